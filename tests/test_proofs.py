"""Unit tests of customer_thermometer/proofs.py: a window counts as read only when its answers
prove it (splits, reads by temperature, checks, bounds that a filter follows)."""

from datetime import datetime, timedelta

import pytest
import requests

from customer_thermometer.answers import Answer
from customer_thermometer.errors import ApiError
from customer_thermometer.proofs import (
    bounds_mismatch,
    check_group,
    dates_fit,
    missing_keys,
    split,
)
from customer_thermometer.reports import log_table_summary
from customer_thermometer.specs import SYNC_LIMITS
from customer_thermometer.windows import log_unproven, window_params
from tests.conftest import API_KEY, TODAY, UNDER_EVERY_PARSER, day
from tests.support import (
    UPPER,
    answer_of,
    blast_xml,
    capped_account,
    keyed_record,
    keys,
    run,
    spans,
    sync_context,
    truth_keys,
    window,
)
from tools.fake_api import FakeCustomerThermometer


class TestRequests:
    def test_read_timeout_splits_a_multi_day_window_instead_of_retrying(self, captured, api):
        api.script("getBlastResults", requests.exceptions.ReadTimeout("read timed out"))
        run(from_date="2026-11-01")
        sent = [(q["fromDate"], q["toDate"]) for q in api.sent("getBlastResults")]
        assert sent[0] == ("2026-11-01", UPPER)
        assert sent[1] == ("2026-11-15", UPPER) and ("2026-11-01", "2026-11-14") in sent
        assert captured.sleeps == []
        assert len(captured.rows("blast_result")) == len(
            [
                r
                for r in api.fake.truth("blast_result")
                if r["date_submitted"].date() >= day("2026-11-01")
            ]
        )


class TestWindows:
    @pytest.fixture
    def capped(self, api):
        """Make the stand-in answer at most 10 records, newest kept, whatever `limit` says."""

        def make(**variant):
            fake = FakeCustomerThermometer(
                responses=60, days=30, seed=5, api_key=API_KEY, today=TODAY, **variant
            )
            api.fake = fake
            return fake

        return make

    @pytest.mark.parametrize(
        "variant",
        [
            {"cap": 10},
            {"cap": 10, "keep": "oldest"},
            {"cap": 10, "order": "oldest_first"},
            {"cap": 10, "keep": "oldest", "order": "oldest_first"},
            {"cap": 7},
            {"ignore_limit": True},
            {},
        ],
    )
    def test_every_row_lands_once_whatever_the_cap_and_order(self, captured, api, capped, variant):
        fake = capped(**variant)
        run()
        assert sorted(keys(captured.rows("blast_result"))) == truth_keys(fake)  # each once
        comment_ids = sorted(row["response_id"] for row in captured.rows("comment"))
        assert comment_ids == sorted(row["response_id"] for row in fake.truth("comment"))
        assert not [m for m in captured.messages("warning") if "may be missing" in m]
        assert captured.checkpoints[-1]["blast_result_cursor"] == TODAY.isoformat()

    def test_a_day_that_fills_an_answer_is_read_by_temperature(self, captured, api, capped):
        fake = capped(cap=10)
        fake.add_responses(14, days_ago=(3,))
        run()
        busy_day = (TODAY - timedelta(days=3)).isoformat()
        by_temperature = [q for q in api.sent("getBlastResults") if "temperatureID" in q]
        assert {q["temperatureID"] for q in by_temperature} == {"1", "2", "3", "4"}
        assert {(q["fromDate"], q["toDate"]) for q in by_temperature} == {(busy_day, busy_day)}
        assert sorted(keys(captured.rows("blast_result"))) == truth_keys(fake)
        assert not [m for m in captured.messages("warning") if "may be missing" in m]

    def test_a_day_and_temperature_that_fill_an_answer_are_a_warning(self, captured, api, capped):
        fake = capped(cap=10)
        fake.add_responses(80, days_ago=(3,))
        run()
        busy_day = (TODAY - timedelta(days=3)).isoformat()
        warnings = [m for m in captured.messages("warning") if "not be proven complete" in m]
        assert warnings and all(busy_day in m and "temperatureID" in m for m in warnings)
        other_days = [k for k in truth_keys(fake) if k[3].date().isoformat() != busy_day]
        assert set(other_days) <= set(keys(captured.rows("blast_result")))
        assert captured.checkpoints[-1]["blast_result_cursor"] == TODAY.isoformat()

    def test_records_no_date_range_narrows_are_a_clear_error(self, captured, api):
        api.fake.cap, api.fake.keep, api.fake.ignore_dates = 10, "oldest", True
        with pytest.raises(RuntimeError, match="blast_result"):
            run(state={"blast_result_cursor": "2026-11-20"})
        assert any("ignore the date range" in m for m in captured.messages("error"))
        assert len(api.sent("getBlastResults")) <= 4
        assert captured.checkpoints[-1]["blast_result_cursor"] == "2026-11-20"

    def test_a_cut_answer_is_split_at_the_median_day_of_its_records(self):
        context = sync_context()
        answer = answer_of("2026-01-05", "2026-01-10", "2026-01-20", "2026-01-25")
        windows = split(context, "comment", window("2026-01-01", "2026-01-31"), answer, None)
        # The newer half is read first (the last of the list): it calibrates the count first.
        assert spans(windows) == [
            ("2026-01-01", "2026-01-10", None, None),
            ("2026-01-11", "2026-01-31", None, None),
        ]
        assert [w.side for w in windows] == ["older", "newer"]

    def test_a_split_is_placed_where_the_answers_showed_a_cut_keeps_its_records(self):
        context = sync_context()
        answer = answer_of("2026-01-05", "2026-01-10", "2026-01-20", "2026-01-25")
        whole = window("2026-01-01", "2026-01-31")
        context.walk("comment").cut_sides = {"older"}  # missing records were found before
        assert spans(split(context, "comment", whole, answer, None)) == [
            ("2026-01-01", "2026-01-05", None, None),
            ("2026-01-06", "2026-01-31", None, None),
        ]
        context.walk("comment").cut_sides = {"newer"}
        assert spans(split(context, "comment", whole, answer, None)) == [
            ("2026-01-21", "2026-01-31", None, None),
            ("2026-01-01", "2026-01-20", None, None),
        ]
        context.walk("comment").cut_sides = {"older", "newer"}  # both: no side is assumed
        assert split(context, "comment", whole, answer, None)[0].end == day("2026-01-10")

    def test_children_carry_what_their_parent_and_its_answer_held_in_their_days(self):
        context = sync_context()
        answer = answer_of("2026-01-05", "2026-01-25")
        parent = window("2026-01-01", "2026-01-31", delivered={day("2026-01-05"): {"earlier"}})
        older, newer = split(context, "comment", parent, answer, None)
        assert older.delivered == {day("2026-01-05"): {"earlier", ("key", 0)}}
        assert newer.delivered == {day("2026-01-25"): {("key", 1)}}
        context.walk("comment").margin = 1  # a child asks one more day on each side
        answer = answer_of("2026-01-05", "2026-01-06")
        for child in split(context, "comment", parent, answer, None):
            assert set(child.delivered) == {day("2026-01-05"), day("2026-01-06")}

    def test_records_of_one_day_are_read_around_it_and_the_day_alone(self):
        context = sync_context()
        answer = answer_of("2026-01-10", "2026-01-10")
        assert spans(
            split(context, "comment", window("2026-01-01", "2026-01-31"), answer, None)
        ) == [
            ("2026-01-01", "2026-01-09", None, None),
            ("2026-01-11", "2026-01-31", None, None),
            ("2026-01-10", "2026-01-10", None, None),
        ]

    def test_a_day_that_filled_an_answer_is_read_by_temperature_then_checked(self):
        context = sync_context()
        answer = answer_of("2026-01-10", "2026-01-10")
        windows = split(context, "comment", window("2026-01-10", "2026-01-10"), answer, None)
        assert spans(windows) == ["check"] + [
            ("2026-01-10", "2026-01-10", t, None) for t in (1, 2, 3, 4)
        ]
        assert all(
            w.delivered == {day("2026-01-10"): {("key", 0), ("key", 1)}} for w in windows[1:]
        )

    def test_records_no_temperature_found_again_are_read_by_blast_then_warned(self, captured):
        context = sync_context()
        answer = Answer(track_blasts=True)
        for number, blast in enumerate([9001, 9002, 9002]):
            row = {"date_submitted": datetime(2026, 1, 10, 8), "blast_id": blast}
            answer.add(row, ("key", number))
        answer.count = 3
        check, *by_temperature = split(
            context, "comment", window("2026-01-10", "2026-01-10"), answer, None
        )
        context.walk("comment").groups[check.group]["found"].update({("key", 0)})
        by_blast = check_group(context, "comment", check)
        assert spans(by_blast) == ["check", ("2026-01-10", "2026-01-10", None, 9002)]
        # Nothing the day's answers held is upserted again.
        assert by_blast[1].delivered == {day("2026-01-10"): {("key", 0), ("key", 1), ("key", 2)}}
        assert any("by blastID" in m for m in captured.messages("info"))
        context.walk("comment").groups[check.group]["found"].update({("key", 1)})
        assert check_group(context, "comment", by_blast[0]) == []
        assert captured.messages("warning") == []  # said when the table's walk ends
        log_unproven(context, "comment")
        (warning,) = captured.messages("warning")
        assert "2026-01-10" in warning and "1 record " in warning and "may be missing" in warning
        log_table_summary(context, "comment", "2026-01-10..2026-01-10")
        assert captured.messages("info")[-1].endswith(
            ", 1 window not proven complete (see the warnings)"
        )

    def test_a_day_found_again_whole_by_temperature_is_proven(self, captured):
        context = sync_context()
        check, *_ = split(
            context, "comment", window("2026-01-10", "2026-01-10"), answer_of("2026-01-10"), None
        )
        context.walk("comment").groups[check.group]["found"].add(("key", 0))
        assert check_group(context, "comment", check) == []
        assert captured.messages("warning") == []

    def test_records_an_earlier_answer_held_must_be_found_again(self, captured):
        context = sync_context()
        child = window("2026-01-01", "2026-01-10", delivered={day("2026-01-10"): {"a", "b"}})
        assert missing_keys(child, answer_of("2026-01-10")) == {day("2026-01-10"): 2}
        assert bounds_mismatch(context, "comment", child, {day("2026-01-10"): 2}) == [child]
        (said,) = captured.messages("info")
        assert "toDate seems to end at the start of its day" in said
        assert window_params(context.walk("comment"), child)["toDate"] == "2026-01-11"
        assert bounds_mismatch(context, "comment", child, {day("2026-01-01"): 1}) == []
        log_unproven(context, "comment")
        (warning,) = captured.messages("warning")
        assert "2026-01-01..2026-01-10 could not be proven complete" in warning

    def test_dates_outside_the_window_show_which_date_the_filter_follows(self, captured):
        context = sync_context()
        answer = Answer()
        row = {"date_submitted": datetime(2026, 1, 14, 8), "blast_date": datetime(2026, 1, 9, 9)}
        answer.add(row, "key")
        assert not dates_fit(context, "blast_result", window("2026-01-01", "2026-01-10"), answer)
        walk = context.walk("blast_result")
        assert walk.field == "blast_date" and walk.restart
        assert any("selects records by blast_date" in m for m in captured.messages("warning"))

    def test_dates_a_day_outside_the_window_widen_it_once(self, captured):
        context = sync_context()
        answer = Answer()
        answer.add({"date_submitted": datetime(2026, 1, 11, 3)}, "key")
        assert not dates_fit(context, "comment", window("2026-01-01", "2026-01-10"), answer)
        assert context.walk("comment").margin == 1
        assert any("another clock" in m for m in captured.messages("info"))

    def test_dates_far_outside_are_kept_unless_other_days_answer_the_same(self, captured):
        context = sync_context()
        answer = Answer()
        answer.add({"date_submitted": datetime(2026, 3, 1, 3)}, "key")
        assert dates_fit(context, "comment", window("2026-01-01", "2026-01-10"), answer)
        assert any("outside the days asked for" in m for m in captured.messages("warning"))
        with pytest.raises(ApiError, match="ignore the date range"):
            dates_fit(context, "comment", window("2026-01-01", "2026-01-05"), answer)

    def test_an_answer_smaller_than_another_is_complete_the_largest_is_not(self, captured, api):
        api.fake = FakeCustomerThermometer(
            responses=3, days=20, seed=2, api_key=API_KEY, today=TODAY
        )
        api.fake.overrides["getNumResponsesValue"] = b"n/a"  # no count: the lists alone
        run(from_date="2026-11-01")
        # Three records: the largest answer so far, so it is read again in halves, each smaller.
        days = sorted(r["date_submitted"].date() for r in api.fake.truth("blast_result"))
        sent = [(q["fromDate"], q["toDate"]) for q in api.sent("getBlastResults")]
        assert sent == [
            ("2026-11-01", UPPER),
            (days[2].isoformat(), UPPER),  # its newest day, to calibrate a count (none here)
            ((days[1] + timedelta(days=1)).isoformat(), UPPER),
            ("2026-11-01", days[1].isoformat()),
        ]


class TestProofs:
    def test_a_wider_range_that_finds_more_of_the_windows_days_proves_nothing(self, captured, api):
        # The window's answer is scripted short; the wider range (the stand-in) holds the rest of
        # its days, so the window was cut: it is read in parts, and every record lands.
        api.script(
            "getBlastResults", (200, blast_xml(keyed_record(date_submitted="2026-11-25 08:00:00")))
        )
        run(state={"blast_result_cursor": "2026-11-26"})
        window, wider, *parts = api.sent("getBlastResults")
        assert (window["fromDate"], wider["fromDate"]) == ("2026-11-24", "2026-11-08")
        assert parts  # not proven by the wider range
        recent = [k for k in truth_keys(api.fake) if k[3].date() >= day("2026-11-24")]
        assert set(recent) <= set(keys(captured.rows("blast_result")))

    def test_a_count_above_a_smaller_answer_shows_it_was_cut(self, captured, api):
        # After a few answers the API answers fewer records than before (a cap by time, or one
        # that dropped): an answer smaller than the largest is no proof then, the count is.
        api.fake = capped_account(later_cap=12, later_after=6)
        run()
        assert sorted(keys(captured.rows("blast_result"))) == truth_keys(api.fake)
        assert any(
            "it was cut below the largest answer" in m for m in captured.messages("warning")
        )

    def test_a_count_whose_claimed_cut_finds_nothing_is_no_longer_believed(self, captured, api):
        # The count also counts deleted responses: once a cut it claimed brings no record more,
        # it is not believed again, so it cannot make the sync peel windows a day at a time.
        api.fake = capped_account(counts="with_deleted")
        run()
        assert sorted(keys(captured.rows("blast_result"))) == truth_keys(api.fake)
        said = [m for m in captured.messages("info") if "found no record more" in m]
        assert len(said) == 1 and said[0].startswith("blast_result: getNumResponsesValue")
        assert len(api.sent("getBlastResults")) < 2 * 400 / 20 + 6

    def test_what_the_witness_turned_out_to_be_is_said_once(self, captured, api):
        api.fake = capped_account()
        run()
        said = [m for m in captured.messages("info") if "used as a witness" in m]
        assert [m.split(":")[0] for m in said] == ["blast_result", "comment"]
        assert "getNumResponsesValue counted" in said[0]
        assert "the tally of blast_result's responses with a comment counted" in said[1]


class TestProgress:
    @pytest.mark.parametrize("status", [504, 524, 408])
    def test_a_gateway_time_out_on_a_long_window_asks_for_its_halves(self, captured, api, status):
        api.script("getBlastResults", (status, "<html>Gateway Time-out</html>"))
        run(from_date="2026-11-01")
        whole, *parts = [(q["fromDate"], q["toDate"]) for q in api.sent("getBlastResults")]
        assert whole == ("2026-11-01", UPPER)
        assert parts[0] != whole and parts[0][1] == UPPER  # the newer half, not the same range
        assert captured.sleeps == []  # split, not retried
        assert any(f"answered HTTP {status}" in m for m in captured.messages("warning"))
        since = [k for k in truth_keys(api.fake) if k[3].date() >= day("2026-11-01")]
        assert sorted(set(keys(captured.rows("blast_result")))) == since


@UNDER_EVERY_PARSER
class TestBounds:
    def test_an_answer_larger_than_its_limit_splits_a_window_then_fails_a_day(
        self, captured, api, monkeypatch
    ):
        monkeypatch.setitem(SYNC_LIMITS, "max_answer_bytes", 1)
        with pytest.raises(RuntimeError, match="blast_result"):
            run(from_date=(TODAY - timedelta(days=1)).isoformat())
        sent = [(q["fromDate"], q["toDate"]) for q in api.sent("getBlastResults")]
        yesterday, tomorrow = (
            (TODAY - timedelta(1)).isoformat(),
            (TODAY + timedelta(1)).isoformat(),
        )
        assert sent[:2] == [(yesterday, tomorrow), (tomorrow, tomorrow)]
        assert sent[-1][0] == sent[-1][1]  # a single day: an error, not split further
        errors = [m for m in captured.messages("error") if m.startswith("blast_result")]
        assert errors and "passed 1 bytes" in errors[0]


class TestMoreFailuresSay:
    def test_a_window_that_times_out_says_it_is_halved(self, captured, api):
        api.script("getBlastResults", requests.exceptions.ReadTimeout("slow"))
        run(from_date="2026-11-01")
        assert (
            f"blast_result: getBlastResults 2026-11-01..{(TODAY + timedelta(1)).isoformat()} "
            f"timed out; asking for each half instead" in captured.messages("warning")
        )
