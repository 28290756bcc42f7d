"""Unit tests of customer_thermometer/proofs.py: a window counts as read only when its answers
prove it (splits, reads by temperature, checks, bounds that a filter follows)."""

from datetime import datetime, timedelta

import pytest
import requests

from customer_thermometer import proofs
from customer_thermometer.answers import Answer
from customer_thermometer.errors import ApiError, WindowTimeoutError
from customer_thermometer.proofs import (
    answer_at_risk,
    bounds_mismatch,
    by_temperature,
    calibrate,
    check_group,
    child_delivered,
    complete_answer,
    dates_fit,
    defer_check,
    follow_field,
    missing_keys,
    near_cut,
    own_days,
    probe_proves,
    read_window,
    split,
    two_children,
    verify_claim,
)
from customer_thermometer.reports import log_table_summary
from customer_thermometer.specs import SYNC_LIMITS
from customer_thermometer.windows import (
    GroupCheck,
    TableWalk,
    log_unproven,
    note_cut,
    window_params,
)
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


@pytest.fixture
def walked(captured):
    """A sync's context whose blast_result walk has seen an answer of 10 records."""
    context = sync_context()
    context.walk("blast_result").largest = 10
    yield context
    context.close()


@pytest.fixture
def counts(monkeypatch):
    """Scripted counts for fetch_count: {(start, end, temperature): count}; asked are listed."""
    scripted, asked = {}, []

    def fetch_count(context, table, window):
        key = (window.start.isoformat(), window.end.isoformat(), window.temperature)
        asked.append(key)
        return scripted.get(key)

    monkeypatch.setattr(proofs, "fetch_count", fetch_count)
    scripted["asked"] = asked
    return scripted


def keyed(*numbers):
    """Return the keys answer_of() gives its records of these positions."""
    return {("key", number) for number in numbers}


class TestMissingAndDelivered:
    def test_missing_keys_are_counted_per_day_of_the_windows_own_days(self):
        delivered = {day("2026-11-09"): keyed(0), day("2026-11-10"): keyed(1, 2, 3)}
        delivered[day("2026-11-12")] = keyed(4)
        answer = answer_of("2026-11-10", "2026-11-10")  # keys 0 and 1
        days = window("2026-11-10", "2026-11-11", delivered=delivered)
        assert missing_keys(days, answer) == {day("2026-11-10"): 2}
        assert missing_keys(window("2026-11-13", "2026-11-14", delivered=delivered), answer) == {}

    def test_a_child_gets_what_its_parent_and_its_answer_held_in_its_days_and_margin(self):
        walk = TableWalk("blast_result")
        parent = window("2026-11-01", "2026-11-30", delivered={day("2026-11-05"): keyed(7)})
        answer = answer_of("2026-11-05", "2026-11-06", "2026-11-08")
        child = child_delivered(walk, parent, answer, day("2026-11-05"), day("2026-11-06"))
        assert child == {day("2026-11-05"): keyed(7, 0), day("2026-11-06"): keyed(1)}
        walk.margin = 1
        child = child_delivered(walk, parent, answer, day("2026-11-07"), day("2026-11-07"))
        assert child == {day("2026-11-06"): keyed(1), day("2026-11-08"): keyed(2)}
        assert parent.delivered == {day("2026-11-05"): keyed(7)}  # the parent's is left whole

    def test_own_days_are_counted_oldest_first_within_the_window(self):
        answer = answer_of("2026-11-12", "2026-11-10", "2026-11-12", "2026-11-20")
        assert own_days(window("2026-11-10", "2026-11-15"), answer) == [
            (day("2026-11-10"), 1),
            (day("2026-11-12"), 2),
        ]


class TestSplit:
    def test_a_day_alone_holding_the_records_is_read_alone_between_its_sides(self, walked):
        answer = answer_of("2026-11-12", "2026-11-12")
        got = split(walked, "blast_result", window("2026-11-10", "2026-11-14"), answer, None)
        assert spans(got) == [
            ("2026-11-10", "2026-11-11", None, None),
            ("2026-11-13", "2026-11-14", None, None),
            ("2026-11-12", "2026-11-12", None, None),
        ]
        assert [w.side for w in got] == ["older", "newer", None]
        assert got[2].delivered == {day("2026-11-12"): keyed(0, 1)}

    @pytest.mark.parametrize(
        "held, windows",
        [
            ("2026-11-10", [("2026-11-11", "2026-11-14"), ("2026-11-10", "2026-11-10")]),
            ("2026-11-14", [("2026-11-10", "2026-11-13"), ("2026-11-14", "2026-11-14")]),
        ],
    )
    def test_a_day_at_an_end_has_one_side(self, walked, held, windows):
        answer = answer_of(held)
        got = split(walked, "blast_result", window("2026-11-10", "2026-11-14"), answer, None)
        assert [(w.start.isoformat(), w.end.isoformat()) for w in got] == windows

    def test_an_answer_with_no_record_in_its_days_is_halved(self, walked):
        got = split(walked, "blast_result", window("2026-11-10", "2026-11-15"), Answer(), None)
        assert spans(got) == [
            ("2026-11-10", "2026-11-12", None, None),
            ("2026-11-13", "2026-11-15", None, None),
        ]

    @pytest.mark.parametrize(
        "sides, cut",
        [(set(), "2026-11-12"), ({"older"}, "2026-11-10"), ({"newer"}, "2026-11-13")],
    )
    def test_a_split_falls_at_the_median_or_towards_the_end_a_cut_keeps(self, walked, sides, cut):
        walked.walk("blast_result").cut_sides = sides
        answer = answer_of("2026-11-10", "2026-11-11", "2026-11-12", "2026-11-13", "2026-11-14")
        got = split(walked, "blast_result", window("2026-11-10", "2026-11-14"), answer, None)
        older, newer = sorted(got, key=lambda w: w.start)
        assert older.end == day(cut) and newer.start == day(cut) + timedelta(days=1)
        assert (older.side, newer.side) == ("older", "newer")

    def test_the_newer_half_is_read_first_unless_a_cut_keeps_the_oldest(self, walked):
        answer = answer_of("2026-11-10", "2026-11-14")
        days = window("2026-11-10", "2026-11-14")
        assert [w.side for w in split(walked, "blast_result", days, answer, None)] == [
            "older",
            "newer",
        ]
        walked.walk("blast_result").cut_sides = {"newer"}
        assert [w.side for w in split(walked, "blast_result", days, answer, None)] == [
            "newer",
            "older",
        ]


class TestTwoChildrenWithACount:
    def test_a_side_its_count_proves_is_not_read_again(self, walked, counts):
        walk = walked.walk("blast_result")
        walk.witness.agreed = 1
        answer = answer_of("2026-11-10", "2026-11-10", "2026-11-14")
        counts[("2026-11-10", "2026-11-12", None)] = 2
        counts[("2026-11-13", "2026-11-14", None)] = 5
        got = two_children(
            walked,
            "blast_result",
            window("2026-11-10", "2026-11-14"),
            answer,
            day("2026-11-12"),
            9,
        )
        assert [(w.start.isoformat(), w.counted) for w in got] == [("2026-11-13", 5)]
        assert counts["asked"] == [("2026-11-13", "2026-11-14", None)] + [
            ("2026-11-10", "2026-11-12", None)
        ]

    def test_where_a_cut_keeps_the_newest_only_that_side_is_counted(self, walked, counts):
        walk = walked.walk("blast_result")
        walk.witness.agreed, walk.cut_sides = 1, {"older"}
        answer = answer_of("2026-11-10", "2026-11-14")
        counts[("2026-11-13", "2026-11-14", None)] = 1
        got = two_children(
            walked,
            "blast_result",
            window("2026-11-10", "2026-11-14"),
            answer,
            day("2026-11-12"),
            7,
        )
        assert [(w.start.isoformat(), w.counted) for w in got] == [("2026-11-10", 6)]
        assert counts["asked"] == [("2026-11-13", "2026-11-14", None)]

    def test_a_count_above_the_largest_answer_raises_what_the_witness_can_vouch_for(
        self, walked, counts
    ):
        walk = walked.walk("blast_result")
        walk.witness.agreed = 1
        counts[("2026-11-13", "2026-11-14", None)] = 25
        two_children(
            walked,
            "blast_result",
            window("2026-11-10", "2026-11-14"),
            answer_of("2026-11-13"),
            day("2026-11-12"),
            None,
        )
        assert walk.witness.above == 25

    def test_no_count_is_asked_while_a_claim_is_being_verified(self, walked, counts):
        walk = walked.walk("blast_result")
        walk.witness.agreed, walk.verifying = 1, True
        got = two_children(
            walked,
            "blast_result",
            window("2026-11-10", "2026-11-14"),
            answer_of("2026-11-13"),
            day("2026-11-12"),
            None,
        )
        assert len(got) == 2 and counts["asked"] == []


class TestByTemperature:
    def test_a_full_day_is_read_by_each_temperature_then_checked(self, walked):
        answer = answer_of("2026-11-10", "2026-11-10")
        days = window("2026-11-10", "2026-11-10", probe=day("2026-11-01"))
        got = by_temperature(walked, "blast_result", days, answer, counted=4)
        walk = walked.walk("blast_result")
        assert got[0] == GroupCheck(1) and walk.next_group == 2
        assert [(w.temperature, w.group, w.probe) for w in got[1:]] == [
            (t, 1, None) for t in (1, 2, 3, 4)
        ]
        group = walk.groups[1]
        assert group["keys"] == keyed(0, 1) and group["found"] == set()
        assert (group["counted"], group["by_blast"], group["window"]) == (4, False, days)
        assert all(w.delivered == {day("2026-11-10"): keyed(0, 1)} for w in got[1:])

    def test_a_full_day_and_temperature_is_read_by_each_blast_its_records_name(self, walked):
        walk = walked.walk("blast_result")
        answer = answer_of("2026-11-10", "2026-11-10", "2026-11-10")
        answer.blast_of = {("key", 0): 7, ("key", 1): 3, ("key", 2): None}
        walk.groups[5] = {"blasts": {("key", 9): 11}}
        days = window("2026-11-10", "2026-11-10", temperature=2, group=5)
        got = by_temperature(walked, "blast_result", days, answer)
        assert [(w.temperature, w.blast) for w in got[1:]] == [(2, 3), (2, 7), (2, 11)]
        assert walk.groups[1]["by_blast"] is True and walk.groups[1]["keys"] == keyed(0, 1, 2)

    def test_a_full_day_temperature_and_blast_is_a_warning(self, walked):
        days = window("2026-11-10", "2026-11-10", temperature=2, blast=7)
        answer = answer_of("2026-11-10", count=10)
        assert by_temperature(walked, "blast_result", days, answer) == []
        (unproven,) = walked.walk("blast_result").unproven
        assert unproven.endswith(
            "it alone held 10 records, as many as the largest answer, so it may have been cut"
        )


class TestCheckGroup:
    def grouped(self, context, keys, found, counted=None, temperature=None, blasts=None):
        walk = context.walk("blast_result")
        walk.groups[3] = {
            "window": window("2026-11-10", "2026-11-10", temperature=temperature),
            "keys": keys,
            "found": found,
            "blasts": blasts or {},
            "counted": counted,
            "by_blast": temperature is not None,
        }
        return check_group(context, "blast_result", GroupCheck(3))

    def test_a_day_whose_temperatures_found_everything_is_proven(self, walked):
        assert self.grouped(walked, keyed(0, 1), keyed(0, 1)) == []
        assert (
            walked.walk("blast_result").unproven == []
            and 3 not in walked.walk("blast_result").groups
        )

    def test_records_found_by_no_temperature_are_read_by_blast(self, walked, captured):
        blasts = {("key", 1): 7, ("key", 2): 5, ("key", 0): 5}
        got = self.grouped(walked, keyed(0, 1, 2), keyed(0), blasts=blasts)
        assert got[0] == GroupCheck(3)
        assert [(w.blast, w.group) for w in got[1:]] == [(5, 3), (7, 3)]
        assert got[1].delivered == {day("2026-11-10"): keyed(0, 1, 2)}
        assert walked.walk("blast_result").groups[3]["by_blast"] is True
        assert any("2 records of 2026-11-10 are selected by no" in m for m in captured.messages())

    def test_records_still_missing_are_a_warning_naming_how_many(self, walked):
        self.grouped(walked, keyed(0, 1), keyed(0), temperature=2)
        (unproven,) = walked.walk("blast_result").unproven
        assert unproven.endswith(
            "read by temperatureID or blastID, 1 record an answer held for it was found again "
            "by none of them"
        )

    def test_two_records_missing_were_found_by_none(self, walked):
        self.grouped(walked, keyed(0, 1, 2), keyed(0))
        (unproven,) = walked.walk("blast_result").unproven
        assert "2 records an answer held for it were found again by none" in unproven

    def test_fewer_records_than_the_count_are_a_warning(self, walked):
        self.grouped(walked, keyed(0, 1), keyed(0, 1), counted=3)
        (unproven,) = walked.walk("blast_result").unproven
        assert unproven.endswith("they held 2 records, and it counts 3")

    def test_as_many_as_a_count_above_the_largest_is_proven(self, walked):
        assert self.grouped(walked, keyed(*range(11)), keyed(*range(12)), counted=12) == []
        walked.walk("blast_result").witness.above = 5
        assert self.grouped(walked, keyed(0, 1), keyed(0, 1, 2), counted=3) == []
        assert walked.walk("blast_result").unproven == []

    def test_a_cut_day_without_a_vouching_count_is_a_warning(self, walked):
        self.grouped(walked, keyed(0, 1), keyed(0, 1, 2))
        (unproven,) = walked.walk("blast_result").unproven
        assert "its answer was cut, and records no temperatureID selects" in unproven

    def test_a_temperature_read_by_blast_without_a_count_is_a_warning(self, walked):
        self.grouped(walked, keyed(0, 1), keyed(0, 1), temperature=2)
        (unproven,) = walked.walk("blast_result").unproven
        assert unproven.endswith("the records of a blast none of its records named may be missing")

    def test_a_believed_count_is_asked_for_a_day_split_before_it_was(self, walked, counts):
        walked.walk("blast_result").witness.agreed = 1
        counts[("2026-11-10", "2026-11-10", None)] = 2
        assert self.grouped(walked, keyed(0, 1), keyed(0, 1)) == []
        assert counts["asked"] == [("2026-11-10", "2026-11-10", None)]


class TestDeferCheck:
    def test_a_check_waits_once_for_the_windows_left_while_the_witness_is_untested(self, walked):
        walk = walked.walk("blast_result")
        walk.groups[1] = {}
        pending = [window("2026-11-01", "2026-11-02")]
        assert defer_check(walk, GroupCheck(1), pending)
        assert pending[0] == GroupCheck(1) and walk.groups[1]["deferred"]
        assert not defer_check(walk, GroupCheck(1), pending)

    @pytest.mark.parametrize("agreed, unusable, left", [(1, None, 1), (0, "no", 1), (0, None, 0)])
    def test_a_check_does_not_wait_otherwise(self, walked, agreed, unusable, left):
        walk = walked.walk("blast_result")
        walk.groups[1] = {}
        walk.witness.agreed, walk.witness.unusable = agreed, unusable
        pending = [window("2026-11-01", "2026-11-02")] * left
        assert not defer_check(walk, GroupCheck(1), pending) and len(pending) == left


def held(*records, field="date_submitted"):
    """Return an Answer of records given as (key, date_submitted text, blast_date text)."""
    answer = Answer(field)
    for key, submitted, sent in records:
        row = {"date_submitted": datetime.fromisoformat(f"{submitted} 12:00")}
        if sent:
            row["blast_date"] = datetime.fromisoformat(f"{sent} 12:00")
        answer.add(row, key)
        answer.count += 1
    return answer


class TestDatesFit:
    def test_an_answer_within_its_days_fits(self, walked):
        answer = held((1, "2026-11-10", None), (2, "2026-11-12", None))
        assert dates_fit(walked, "blast_result", window("2026-11-10", "2026-11-12"), answer)
        assert dates_fit(walked, "blast_result", window("2026-11-10", "2026-11-12"), Answer())

    def test_records_within_a_day_outside_widen_every_window_once(self, walked, captured):
        answer = held((1, "2026-11-09", None), (2, "2026-11-13", None))
        days = window("2026-11-10", "2026-11-12")
        assert not dates_fit(walked, "blast_result", days, answer)
        assert walked.walk("blast_result").margin == 1
        assert captured.messages("info") == [
            "blast_result: getBlastResults 2026-11-10..2026-11-12 answered records of "
            "2026-11-09..2026-11-13: the dates seem to follow another clock. Every window is "
            "now asked with 1 more day on each side, and keeps the records of its own days"
        ]

    def test_records_whose_send_dates_fit_show_the_filter_follows_them(self, walked, captured):
        answer = held((1, "2026-11-20", "2026-11-10"), (2, "2026-11-25", "2026-11-12"))
        days = window("2026-11-10", "2026-11-12")
        assert not dates_fit(walked, "blast_result", days, answer)
        walk = walked.walk("blast_result")
        assert (walk.field, walk.restart) == ("blast_date", True)
        (warning,) = captured.messages("warning")
        assert warning.startswith(
            "blast_result: getBlastResults selects records by blast_date, not by date_submitted"
        )
        follow_field(walked, "blast_result", "date_submitted")
        assert walk.field == "blast_date" and len(captured.messages("warning")) == 1

    def test_records_far_outside_are_kept_with_a_warning_then_the_same_are_an_error(
        self, walked, captured
    ):
        walk = walked.walk("blast_result")
        walk.margin = 1
        answer = held((1, "2026-10-01", None), (2, "2026-10-02", None))
        days = window("2026-11-10", "2026-11-12")
        assert dates_fit(walked, "blast_result", days, answer)
        (warning,) = captured.messages("warning")
        assert warning == (
            "blast_result: getBlastResults 2026-11-10..2026-11-12 answered records dated "
            "2026-10-01..2026-10-02, outside the days asked for: they are kept, and reading "
            "goes on"
        )
        with pytest.raises(ApiError) as raised:
            dates_fit(walked, "blast_result", window("2026-11-13", "2026-11-14"), answer)
        assert "answered the same records as for other days, dated 2026-10-01 to 2026-10-02" in (
            str(raised.value)
        )


class TestBoundsMismatch:
    @pytest.mark.parametrize(
        "missing, meaning",
        [
            ({"2026-11-12": 1}, "toDate seems to end at the start of its day (its midnight)"),
            ({"2026-11-10": 2}, "fromDate seems to start after its day begins (another clock)"),
            ({"2026-11-10": 1, "2026-11-12": 1}, "they seem to follow another clock or date"),
        ],
    )
    def test_records_not_found_again_widen_every_window_once_saying_why(
        self, walked, captured, missing, meaning
    ):
        days = window("2026-11-10", "2026-11-12")
        lost = {day(text): count for text, count in missing.items()}
        assert bounds_mismatch(walked, "blast_result", days, lost) == [days]
        (info,) = captured.messages("info")
        first, last = min(missing), max(missing)
        count = sum(missing.values())
        records = "record" if count == 1 else "records"
        assert info == (
            f"blast_result: getBlastResults 2026-11-10..2026-11-12 did not answer again {count} "
            f"{records} an earlier answer held for {first}..{last}: {meaning}. Every window is "
            f"now asked with 1 more day on each side, and keeps the records of its own days"
        )

    def test_a_mismatch_after_the_margin_is_a_warning(self, walked):
        walked.walk("blast_result").margin = 1
        days = window("2026-11-10", "2026-11-12")
        assert bounds_mismatch(walked, "blast_result", days, {day("2026-11-11"): 3}) == []
        (unproven,) = walked.walk("blast_result").unproven
        assert unproven.endswith(
            "it did not answer again 3 records an earlier answer held for 2026-11-11..2026-11-11"
        )


class TestCompleteAnswer:
    def test_an_answer_lacking_what_an_earlier_one_held_is_a_bounds_mismatch(self, walked):
        days = window("2026-11-10", "2026-11-12", delivered={day("2026-11-11"): keyed(7)})
        assert complete_answer(walked, "blast_result", days, answer_of("2026-11-11")) == [days]

    def test_a_smaller_answer_under_doubt_is_unproven(self, walked):
        walked.doubt = True
        walk = walked.walk("blast_result")
        walk.witness.unusable, walk.records_answered = "no count", True  # an empty one is taken
        days = window("2026-11-10", "2026-11-12")
        assert complete_answer(walked, "blast_result", days, answer_of("2026-11-11")) == []
        (unproven,) = walked.walk("blast_result").unproven
        assert "it is smaller than the largest answer, but a count in this sync held more" in (
            unproven
        )
        assert complete_answer(walked, "blast_result", days, Answer()) == []
        assert len(walked.walk("blast_result").unproven) == 1

    def test_without_a_usable_count_a_smaller_answer_is_complete(self, walked, counts):
        walked.walk("blast_result").witness.unusable = "none"
        days = window("2026-11-10", "2026-11-12")
        assert complete_answer(walked, "blast_result", days, answer_of("2026-11-11")) == []
        assert counts["asked"] == []

    def test_the_first_smaller_answer_calibrates_the_count(self, walked, counts, captured):
        counts[("2026-11-10", "2026-11-12", None)] = 2
        days = window("2026-11-10", "2026-11-12")
        answer = answer_of("2026-11-11", "2026-11-12")
        assert complete_answer(walked, "blast_result", days, answer) == []
        assert walked.walk("blast_result").witness.agreed == 1
        (info,) = captured.messages("info")
        assert info == (
            "blast_result: getNumResponsesValue counted 2 for getBlastResults "
            "2026-11-10..2026-11-12, as many as it listed: used as a witness of getBlastResults "
            "answers in this sync, as far as it proves right"
        )
        assert complete_answer(walked, "blast_result", days, answer) == []
        assert walked.walk("blast_result").witness.agreed == 1  # calibrated: not asked again

    def test_a_count_below_the_list_is_not_believed(self, walked, counts):
        counts[("2026-11-10", "2026-11-12", None)] = 1
        days = window("2026-11-10", "2026-11-12")
        complete_answer(walked, "blast_result", days, answer_of("2026-11-11", "2026-11-12"))
        assert walked.walk("blast_result").witness.unusable == (
            "it counted 1 for getBlastResults 2026-11-10..2026-11-12, which listed 2"
        )

    def test_a_count_that_its_parent_derived_proves_without_a_request(self, walked, counts):
        walked.walk("blast_result").cut_sides = {"older"}
        walked.walk("blast_result").witness.agreed = 1
        days = window("2026-11-10", "2026-11-12", counted=2)
        answer = answer_of("2026-11-11", "2026-11-12")
        assert complete_answer(walked, "blast_result", days, answer) == []
        assert counts["asked"] == []


@pytest.fixture
def answers(monkeypatch):
    """Scripted answers for fetch_window: {(start, end, temperature): Answer or an error}; the
    windows asked are listed under "asked"."""
    scripted = {"asked": []}

    def fetch_window(context, table, window, keep_days=None):
        key = (window.start.isoformat(), window.end.isoformat(), window.temperature)
        scripted["asked"].append(key)
        found = scripted.get(key, Answer())
        if isinstance(found, Exception):
            raise found
        return found

    monkeypatch.setattr(proofs, "fetch_window", fetch_window)
    return scripted


def grown(answer, new=0, lag=0):
    """Return answer with new records and a lag set, as fetch_list fills them."""
    answer.new, answer.lag_days = new, lag
    return answer


class TestReadWindow:
    def test_an_answer_smaller_than_the_largest_is_complete(self, walked, answers, counts):
        walked.walk("blast_result").witness.unusable = "none"
        answers[("2026-11-10", "2026-11-12", None)] = grown(answer_of("2026-11-11"), new=1, lag=3)
        assert read_window(walked, "blast_result", window("2026-11-10", "2026-11-12")) == []
        walk = walked.walk("blast_result")
        assert (walk.largest, walk.found_new, walk.lag_days) == (10, 1, 3)
        assert walk.last_answer is answers[("2026-11-10", "2026-11-12", None)]

    def test_an_answer_as_large_as_the_largest_is_split(self, walked, answers, counts):
        walked.walk("blast_result").witness.unusable = "none"
        days = ["2026-11-10"] * 6 + ["2026-11-12"] * 6
        answers[("2026-11-10", "2026-11-12", None)] = answer_of(*days)
        got = read_window(walked, "blast_result", window("2026-11-10", "2026-11-12"))
        assert spans(got) == [
            ("2026-11-10", "2026-11-10", None, None),
            ("2026-11-11", "2026-11-12", None, None),
        ]
        assert walked.walk("blast_result").largest == 12

    def test_a_side_that_found_new_records_shows_which_end_a_cut_keeps(self, walked, answers):
        walked.walk("blast_result").witness.unusable = "none"
        answers[("2026-11-10", "2026-11-11", None)] = grown(answer_of("2026-11-11"), new=1)
        read_window(walked, "blast_result", window("2026-11-10", "2026-11-11", side="older"))
        answers[("2026-11-12", "2026-11-12", None)] = grown(answer_of("2026-11-12"), new=0)
        read_window(walked, "blast_result", window("2026-11-12", "2026-11-12", side="newer"))
        assert walked.walk("blast_result").keeps == "newest"

    def test_what_a_temperature_found_counts_for_its_day(self, walked, answers):
        walk = walked.walk("blast_result")
        walk.witness.unusable = "none"
        walk.groups[2] = {"found": {("key", 9)}}
        answers[("2026-11-10", "2026-11-10", 3)] = answer_of("2026-11-10")
        read_window(
            walked, "blast_result", window("2026-11-10", "2026-11-10", temperature=3, group=2)
        )
        assert walk.groups[2]["found"] == {("key", 9), ("key", 0)}

    def test_a_window_that_times_out_is_halved_with_a_warning(self, walked, answers, captured):
        answers[("2026-11-10", "2026-11-13", None)] = WindowTimeoutError("timed out")
        got = read_window(walked, "blast_result", window("2026-11-10", "2026-11-13"))
        assert spans(got) == [
            ("2026-11-10", "2026-11-11", None, None),
            ("2026-11-12", "2026-11-13", None, None),
        ]
        assert captured.messages("warning") == [
            "blast_result: getBlastResults 2026-11-10..2026-11-13 timed out; asking for each "
            "half instead"
        ]
        assert walked.walk("blast_result").last_answer is None

    def test_a_window_whose_dates_did_not_fit_is_read_again_unless_the_table_restarts(
        self, walked, answers
    ):
        days = window("2026-11-10", "2026-11-12")
        answers[("2026-11-10", "2026-11-12", None)] = held((1, "2026-11-13", None))
        assert read_window(walked, "blast_result", days) == [days]
        answers[("2026-11-10", "2026-11-12", None)] = held(
            (1, "2026-11-20", "2026-11-10"), (2, "2026-11-25", "2026-11-30")
        )
        walked.walk("blast_result").margin = 0
        answers[("2026-11-10", "2026-11-12", None)] = held((1, "2026-11-20", "2026-11-11"))
        assert read_window(walked, "blast_result", days) == []
        assert walked.walk("blast_result").restart


class TestProbe:
    def test_a_wider_range_holding_more_and_nothing_new_proves_a_window(self, walked, answers):
        days = window("2026-11-20", "2026-11-27", probe=day("2026-10-01"))
        answer = answer_of(*["2026-11-21"] * 10)
        answers[("2026-10-01", "2026-11-27", None)] = answer_of(*["2026-11-01"] * 11)
        assert probe_proves(walked, "blast_result", days, answer)
        assert walked.walk("blast_result").largest == 11

    @pytest.mark.parametrize("size, new", [(10, 0), (11, 1)])
    def test_a_wider_range_no_larger_or_finding_more_proves_nothing(
        self, walked, answers, size, new
    ):
        days = window("2026-11-20", "2026-11-27", probe=day("2026-10-01"))
        wide = grown(answer_of(*["2026-11-01"] * size), new=new)
        answers[("2026-10-01", "2026-11-27", None)] = wide
        assert not probe_proves(walked, "blast_result", days, answer_of(*["2026-11-21"] * 10))

    def test_a_wider_range_that_times_out_proves_nothing(self, walked, answers):
        days = window("2026-11-20", "2026-11-27", probe=day("2026-10-01"))
        answers[("2026-10-01", "2026-11-27", None)] = WindowTimeoutError("timed out")
        assert not probe_proves(walked, "blast_result", days, answer_of("2026-11-21"))


class TestCalibrate:
    def test_the_newest_day_of_a_full_answer_is_read_again_and_counted(
        self, walked, answers, counts, captured
    ):
        answer = answer_of(*["2026-11-10"] * 5 + ["2026-11-12"] * 5)
        again = held(*[(("key", n), "2026-11-12", None) for n in range(5, 10)])
        answers[("2026-11-12", "2026-11-14", None)] = grown(again, new=1)
        counts[("2026-11-12", "2026-11-14", None)] = 5
        calibrate(walked, "blast_result", window("2026-11-10", "2026-11-14"), answer)
        walk = walked.walk("blast_result")
        assert walk.calibrated and walk.witness.agreed == 1 and walk.found_new == 1
        assert answers["asked"] == [("2026-11-12", "2026-11-14", None)]

    def test_a_count_that_differs_is_not_used(self, walked, answers, counts):
        answer = answer_of(*["2026-11-10"] * 5 + ["2026-11-12"] * 5)
        again = held(*[(("key", n), "2026-11-12", None) for n in range(5, 10)])
        answers[("2026-11-12", "2026-11-14", None)] = again
        counts[("2026-11-12", "2026-11-14", None)] = 4
        calibrate(walked, "blast_result", window("2026-11-10", "2026-11-14"), answer)
        assert walked.walk("blast_result").witness.unusable.startswith("it counted 4 for")

    @pytest.mark.parametrize(
        "days, temperature", [(["2026-11-10"] * 10, None), (["2026-11-10", "2026-11-12"], 2)]
    )
    def test_one_day_or_a_temperature_is_not_calibrated_on(
        self, walked, answers, days, temperature
    ):
        calibrate(
            walked,
            "blast_result",
            window("2026-11-10", "2026-11-14", temperature=temperature),
            answer_of(*days),
        )
        assert answers["asked"] == [] and walked.walk("blast_result").calibrated

    @pytest.mark.parametrize("part", [WindowTimeoutError("t"), "full"])
    def test_a_part_not_proven_by_its_size_calibrates_nothing(self, walked, answers, counts, part):
        answer = answer_of(*["2026-11-10"] * 5 + ["2026-11-12"] * 5)
        full = answer_of(*["2026-11-12"] * 10)
        answers[("2026-11-12", "2026-11-14", None)] = full if part == "full" else part
        calibrate(walked, "blast_result", window("2026-11-10", "2026-11-14"), answer)
        assert counts["asked"] == [] and walked.walk("blast_result").witness.agreed == 0


class TestCompleteAnswerCounts:
    def test_comments_more_than_the_tally_name_blast_result_as_missing_some(
        self, captured, counts
    ):
        context = sync_context()
        walk = context.walk("comment")
        walk.largest = 10
        counts[("2026-11-10", "2026-11-12", None)] = 1
        complete_answer(
            context,
            "comment",
            window("2026-11-10", "2026-11-12"),
            answer_of("2026-11-10", "2026-11-11", table="comment"),
        )
        assert captured.messages("warning") == [
            "blast_result: getComments 2026-11-10..2026-11-12 listed 2 comments, more than the "
            "1 responses with a comment it read for those days: responses of "
            "2026-11-10..2026-11-12 may be missing from it"
        ]
        assert walk.witness.unusable.startswith("it counted 1 for getComments")
        context.close()

    def test_a_count_above_a_list_before_any_agreement_is_not_believed(self, walked, counts):
        counts[("2026-11-10", "2026-11-12", None)] = 3
        complete_answer(
            walked, "blast_result", window("2026-11-10", "2026-11-12"), answer_of("2026-11-11")
        )
        assert walked.walk("blast_result").witness.unusable == (
            "it counted 3 for getBlastResults 2026-11-10..2026-11-12, which listed 1"
        )

    def test_a_believed_count_above_a_list_reads_the_window_in_parts(
        self, walked, counts, answers, captured
    ):
        walk = walked.walk("blast_result")
        walk.witness.agreed, walk.cut_sides = 1, {"older"}
        counts[("2026-11-10", "2026-11-12", None)] = 4
        answer = answer_of("2026-11-10", "2026-11-12")
        answers[("2026-11-11", "2026-11-12", None)] = grown(answer_of("2026-11-12"), new=1)
        got = complete_answer(walked, "blast_result", window("2026-11-10", "2026-11-12"), answer)
        assert captured.messages("warning")[0] == (
            "blast_result: getBlastResults 2026-11-10..2026-11-12 listed 2 records and counted 4: "
            "it was cut below the largest answer (a cap by size or time, or one that dropped); "
            "reading it in parts"
        )
        assert ("2026-11-11", "2026-11-12", None) in answers["asked"]
        assert walk.largest == 2 and got  # cut below the largest: parts to read again
        assert not walk.verifying

    def test_a_days_windows_are_checked_by_their_group_not_by_what_their_day_held(self, walked):
        walked.walk("blast_result").witness.unusable = "none"
        days = window("2026-11-10", "2026-11-10", temperature=1, group=1)
        days = days._replace(delivered={day("2026-11-10"): keyed(5, 6)})
        assert complete_answer(walked, "blast_result", days, answer_of("2026-11-10")) == []
        assert walked.walk("blast_result").unproven == []

    def test_an_empty_comment_answer_is_checked_against_the_tally(self, captured):
        context = sync_context()
        context.tally_days = [(day("2026-11-01"), day("2026-11-20"))]
        context.tally = {day("2026-11-10"): {1, 2}}
        context.walk("comment").largest = 10
        context.walk("comment").forms_tried = True  # no other form is tried
        days = window("2026-11-10", "2026-11-12")
        assert complete_answer(context, "comment", days, Answer()) == []
        (unproven,) = context.walk("comment").unproven
        assert unproven.endswith(
            "it answered no record, while blast_result read 2 responses with a comment for "
            "those days"
        )
        context.close()


class TestVerifyClaim:
    def test_parts_that_find_nothing_more_make_the_count_unbelieved(self, walked, answers):
        walk = walked.walk("blast_result")
        walk.witness.agreed = 1
        walk.forms_tried = True  # other forms answered no more records
        answer = answer_of("2026-11-10", "2026-11-12")
        verify_claim(walked, "blast_result", window("2026-11-10", "2026-11-12"), answer, 4)
        assert walk.doubt and walked.doubt
        assert walk.witness.unusable == (
            "it counted 4 for getBlastResults 2026-11-10..2026-11-12, and the windows that "
            "replaced it found no record more"
        )
        assert walk.largest == 10 and not walk.verifying

    def test_parts_that_find_more_are_read_again_with_the_count_checking_them(
        self, walked, answers
    ):
        walk = walked.walk("blast_result")
        walk.witness.agreed = 1
        answer = answer_of("2026-11-10", "2026-11-12")
        answers[("2026-11-10", "2026-11-10", None)] = grown(answer_of("2026-11-10"), new=1)
        got = verify_claim(walked, "blast_result", window("2026-11-10", "2026-11-12"), answer, 4)
        assert walk.largest == 2 and not walk.doubt and walk.witness.unusable is None
        again = [w for w in got if not isinstance(w, GroupCheck)]
        assert (day("2026-11-10"), day("2026-11-10")) in [(w.start, w.end) for w in again]
        (first,) = [w for w in again if w.start == w.end == day("2026-11-10")]
        assert first.delivered[day("2026-11-10")] == keyed(0)


class TestAnswerAtRisk:
    def test_an_untested_count_is_calibrated_first_once(self, walked, answers, counts):
        answer = answer_of(*["2026-11-10"] * 5 + ["2026-11-12"] * 5)
        answer_at_risk(walked, "blast_result", window("2026-11-10", "2026-11-14"), answer)
        walk = walked.walk("blast_result")
        assert walk.calibrated and answers["asked"][0] == ("2026-11-12", "2026-11-14", None)
        asked = len(answers["asked"])
        answer_at_risk(walked, "blast_result", window("2026-11-10", "2026-11-14"), answer)
        assert len(answers["asked"]) == asked

    @pytest.mark.parametrize("agreed, unusable", [(1, None), (0, "none")])
    def test_a_tested_or_unusable_count_is_not_calibrated(
        self, walked, answers, counts, agreed, unusable
    ):
        walk = walked.walk("blast_result")
        walk.witness.agreed, walk.witness.unusable = agreed, unusable
        answer = answer_of(*["2026-11-10"] * 5 + ["2026-11-12"] * 5)
        answer_at_risk(walked, "blast_result", window("2026-11-10", "2026-11-14"), answer)
        assert not walk.calibrated

    def test_a_full_day_its_count_agrees_with_is_proven(self, walked, counts):
        walk = walked.walk("blast_result")
        walk.witness.agreed = walk.calibrated = 1
        counts[("2026-11-10", "2026-11-10", None)] = 10
        days = window("2026-11-10", "2026-11-10")
        assert answer_at_risk(walked, "blast_result", days, answer_of(*["2026-11-10"] * 10)) == []

    def test_a_full_day_counted_below_its_list_is_read_by_temperature(self, walked, counts):
        walk = walked.walk("blast_result")
        walk.witness.agreed = walk.calibrated = 1
        counts[("2026-11-10", "2026-11-10", None)] = 9
        days = window("2026-11-10", "2026-11-10")
        got = answer_at_risk(walked, "blast_result", days, answer_of(*["2026-11-10"] * 10))
        assert walk.witness.unusable.startswith("it counted 9 for getBlastResults 2026-11-10")
        assert got[0] == GroupCheck(1) and walk.groups[1]["counted"] is None

    def test_a_full_day_counted_above_its_list_is_read_by_temperature_with_the_count(
        self, walked, counts
    ):
        walk = walked.walk("blast_result")
        walk.witness.agreed = walk.calibrated = 1
        counts[("2026-11-10", "2026-11-10", None)] = 12
        days = window("2026-11-10", "2026-11-10")
        answer_at_risk(walked, "blast_result", days, answer_of(*["2026-11-10"] * 10))
        assert walk.groups[1]["counted"] == 12

    def test_a_longer_window_is_counted_only_below_what_the_count_can_vouch_for(
        self, walked, counts
    ):
        walk = walked.walk("blast_result")
        walk.witness.agreed = walk.calibrated = 1
        answer = answer_of(*["2026-11-10"] * 5 + ["2026-11-12"] * 5)
        answer_at_risk(walked, "blast_result", window("2026-11-10", "2026-11-12"), answer)
        assert ("2026-11-10", "2026-11-12", None) not in counts["asked"]
        walk.witness.above = 11
        answer_at_risk(walked, "blast_result", window("2026-11-10", "2026-11-12"), answer)
        assert ("2026-11-10", "2026-11-12", None) in counts["asked"]
        walk.witness.above = 10
        counts["asked"].clear()
        answer_at_risk(walked, "blast_result", window("2026-11-10", "2026-11-12"), answer)
        assert ("2026-11-10", "2026-11-12", None) not in counts["asked"]


def sized(answer, size, new=0, new_day=None):
    """Return answer with its bytes, and new records of an oldest day, as fetch_list fills them."""
    answer.bytes, answer.new = size, new
    answer.new_days = {day(new_day)} if new_day else set()
    return answer


class TestACapOfNoOneNumber:
    def test_a_part_finding_records_of_earlier_days_shows_its_parent_cut(self, walked, answers):
        walk = walked.walk("blast_result")
        walk.witness.unusable = "none"
        older = window("2026-11-01", "2026-11-09", side="older", cut_at=(10, 8000, 0))
        answers[("2026-11-01", "2026-11-09", None)] = sized(
            answer_of("2026-11-05"), 800, new=1, new_day="2026-11-05"
        )
        read_window(walked, "blast_result", older)
        assert walk.cut_sizes == {10} and walk.cut_bytes == (8000, 10)

    @pytest.mark.parametrize("new_day", [str(TODAY - timedelta(days=1)), str(TODAY)])
    def test_a_response_that_came_during_the_sync_shows_no_cut(self, walked, answers, new_day):
        walk = walked.walk("blast_result")
        walk.witness.unusable = "none"
        days = window(new_day, new_day, side="newer", cut_at=(10, 8000, 0))
        answers[(new_day, new_day, None)] = sized(answer_of(new_day), 800, new=1, new_day=new_day)
        read_window(walked, "blast_result", days)
        assert walk.cut_sizes == set()

    @pytest.mark.parametrize(
        "margin, new_day",
        [
            (1, "2026-11-05"),  # the part asks a day more on each side than its parent did
            (0, "2026-11-11"),  # a filter by the send date answers records after its days
        ],
    )
    def test_new_records_its_parent_never_asked_for_show_no_cut(
        self, walked, answers, margin, new_day
    ):
        walk = walked.walk("blast_result")
        walk.witness.unusable = "none"
        walk.margin = margin
        older = window("2026-11-01", "2026-11-09", side="older", cut_at=(10, 8000, 0))
        answers[("2026-11-01", "2026-11-09", None)] = sized(
            answer_of(new_day), 800, new=1, new_day=new_day
        )
        read_window(walked, "blast_result", older)
        assert walk.cut_sizes == set()

    def test_cuts_at_two_sizes_refute_the_size_rule(self, walked, captured):
        walk = walked.walk("blast_result")
        note_cut(walk, 300, 250_000)
        assert walk.refuted is None  # the largest answer (10) is below it
        note_cut(walk, 250, 200_000)
        assert walk.refuted == "answers were cut at 250 and at 300 records"
        assert walk.cut_bytes == (200_000, 250)
        (said,) = captured.messages("info")
        assert said == (
            "blast_result: answers were cut at 250 and at 300 records, so the API's cap is not "
            "one number of records: from now on in this sync an answer smaller than another "
            "proves nothing, and answers of 250 records or more are read in parts"
        )
        note_cut(walk, 200, 100_000)
        assert walk.refuted.endswith("at 250 and at 300 records") and len(captured.logs) == 1

    def test_an_answer_larger_than_one_that_was_cut_refutes_it(self, walked):
        walk = walked.walk("blast_result")
        walk.most = 300
        note_cut(walk, 300, 250_000)
        assert walk.refuted is None
        walk.most = 301
        note_cut(walk, 300, 250_000)
        assert walk.refuted == "an answer held 301 records, and one of 300 was cut"

    def test_once_refuted_an_answer_as_large_as_a_cut_one_is_read_in_parts(self, walked, answers):
        walk = walked.walk("blast_result")
        walk.witness.unusable = "none"
        walk.largest = walk.most = 30
        note_cut(walk, 8, 8000)
        assert walk.refuted is not None
        answers[("2026-11-10", "2026-11-12", None)] = sized(
            answer_of(*["2026-11-10"] * 4 + ["2026-11-12"] * 4), 100
        )
        got = read_window(walked, "blast_result", window("2026-11-10", "2026-11-12"))
        assert len(got) == 2  # split, though smaller than the largest (30)
        answers[("2026-11-20", "2026-11-22", None)] = sized(answer_of(*["2026-11-21"] * 7), 100)
        assert read_window(walked, "blast_result", window("2026-11-20", "2026-11-22")) == []
        assert walk.size_proven[-1] == (day("2026-11-20"), day("2026-11-22"))

    @pytest.mark.parametrize(
        "records, size, at_risk",
        [
            (9, 9000, True),  # 90% of the records, within one record's bytes
            (9, 8999, False),  # a byte fewer
            (8, 9500, False),  # fewer than 90% of the records
            (10, 9000, True),
        ],
    )
    def test_an_answer_of_as_many_bytes_as_one_cut_is_at_risk(
        self, walked, records, size, at_risk
    ):
        walk = walked.walk("blast_result")
        walk.largest = walk.most = 10
        note_cut(walk, 10, 10_000)  # a cut answer of 10 records, 1,000 bytes each
        answer = sized(answer_of(*["2026-11-10"] * records), size)
        assert near_cut(walk, answer) is at_risk

    def test_without_a_cut_no_answer_is_near_one(self, walked):
        assert (
            near_cut(walked.walk("blast_result"), sized(answer_of("2026-11-10"), 10**9)) is False
        )

    def test_records_missing_from_within_a_windows_days_show_it_was_cut(
        self, walked, answers, counts
    ):
        walk = walked.walk("blast_result")
        walk.witness.unusable = "none"
        walk.most = 10
        held = {day("2026-11-15"): keyed(90, 91)}
        days = window("2026-11-10", "2026-11-20", delivered=held)
        answer = sized(answer_of("2026-11-18", "2026-11-19"), 700)
        got = complete_answer(walked, "blast_result", days, answer)
        assert walk.cut_sizes == {2} and walk.refuted is not None
        assert len(got) == 2 and walk.margin == 0  # read in parts; the bounds are not doubted

    def test_records_missing_between_those_it_held_question_what_the_dates_mean(
        self, walked, counts
    ):
        # A cut leaves out one end; a filter by another date than the records' leaves gaps.
        walk = walked.walk("blast_result")
        days = window("2026-11-10", "2026-11-20", delivered={day("2026-11-15"): keyed(90)})
        answer = sized(answer_of("2026-11-13", "2026-11-18"), 700)
        assert complete_answer(walked, "blast_result", days, answer) == [days]
        assert walk.margin == 1 and walk.cut_sizes == set()

    def test_records_missing_on_the_first_day_held_show_a_cut_within_that_day(
        self, walked, answers, counts
    ):
        walk = walked.walk("blast_result")
        walk.witness.unusable = "none"
        days = window("2026-11-10", "2026-11-20", delivered={day("2026-11-15"): keyed(90)})
        answer = sized(answer_of("2026-11-15", "2026-11-18"), 700)
        assert len(complete_answer(walked, "blast_result", days, answer)) >= 2
        assert walk.cut_sizes == {2}

    @pytest.mark.parametrize("edge", ["2026-11-10", "2026-11-11", "2026-11-19", "2026-11-20"])
    def test_records_missing_at_the_edges_question_the_bounds(self, walked, counts, edge):
        walk = walked.walk("blast_result")
        days = window("2026-11-10", "2026-11-20", delivered={day(edge): keyed(90)})
        answer = sized(answer_of("2026-11-15"), 700)
        assert complete_answer(walked, "blast_result", days, answer) == [days]
        assert walk.margin == 1 and walk.cut_sizes == set()
