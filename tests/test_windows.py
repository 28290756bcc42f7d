"""Unit tests of customer_thermometer/windows.py: window requests and the count witness that proves
windows without reading them again."""

import math
from datetime import datetime, timedelta

import pytest
import requests

import connector
from customer_thermometer.answers import key_packer
from customer_thermometer.context import SyncContext
from customer_thermometer.errors import WindowTimeoutError
from customer_thermometer.windows import (
    TableWalk,
    asked_days,
    collect_keys,
    distrust,
    fetch_count,
    fetch_window,
    keys_floor,
    log_unproven,
    new_window,
    note_cut,
    size_proven,
    tallied,
    warn_unproven,
    window_label,
    window_params,
    witness_name,
    witnessed,
)
from tests.conftest import API_KEY, TODAY, configuration, day, small_account
from tests.support import (
    UPPER,
    answer_of,
    blast_xml,
    capped_account,
    in_every_form,
    keyed_record,
    keys,
    run,
    sync_context,
    truth_keys,
    window,
)


class TestRequests:
    def test_dated_requests_send_to_date_and_limit_never_end_date(self, captured, api):
        run()
        for method in ["getComments", "getBlastResults", "getNPSValue"]:
            first = api.sent(method)[0]
            assert first["fromDate"] == "1970-01-01"
            assert first["toDate"] == UPPER
            for sent in api.sent(method):
                assert "endDate" not in sent
                assert sent["apiKey"] == API_KEY
        for method in ["getComments", "getBlastResults"]:
            assert {sent["limit"] for sent in api.sent(method)} == {"10000"}


class TestCountWitness:
    @pytest.fixture
    def counted(self, api):
        """Make the stand-in cap its answers at 20 records, counting as told."""

        def make(counts):
            api.fake = capped_account(counts=counts)
            return api.fake

        return make

    @pytest.mark.parametrize("counts", ["exact", "answered", "capped", "with_deleted"])
    def test_every_row_lands_whatever_the_count_counts(self, captured, api, counted, counts):
        fake = counted(counts)
        run()
        assert sorted(keys(captured.rows("blast_result"))) == truth_keys(fake)
        unproven = [m for m in captured.messages("warning") if "may be missing" in m]
        if counts == "with_deleted":
            # Its count held more than an answer smaller than the largest, and the windows
            # replacing it found no more: later windows proven by size alone are named.
            assert unproven and all("a count in this sync held more" in m for m in unproven)
        elif counts == "answered":
            # No count checks blast_result: what that leaves unproven is said.
            (caveat,) = unproven  # comment has the tally of what blast_result read
            assert caveat.startswith("blast_result: no count could check getBlastResults")
        else:
            assert unproven == []

    def test_a_count_proves_windows_without_reading_them_again(self, captured, api, counted):
        counted("exact")
        run()
        with_count = len(api.sent("getBlastResults"))
        api.queries.clear()
        counted("exact").overrides["getNumResponsesValue"] = b"n/a"
        run()
        assert with_count < len(api.sent("getBlastResults"))

    def test_a_count_below_a_list_is_not_used_and_said_once(self, captured, api, counted):
        counted("answered")
        run()
        said = [m for m in captured.messages("info") if "not used as a witness" in m]
        assert len([m for m in said if m.startswith("blast_result")]) == 1
        assert "which listed" in said[-1]

    def test_comments_have_no_count(self, captured, api, counted):
        counted("exact")
        run()
        dated = [q for q in api.sent("getNumResponsesValue") if q["fromDate"] != "1970-01-01"]
        assert not [q for q in dated if q in api.sent("getComments")]
        assert len(dated) < len(api.sent("getBlastResults"))

    def test_a_cap_that_drops_between_syncs_loses_no_new_response(self, captured, api, counted):
        fake = counted("exact")
        fake.cap = None
        run()
        state = captured.checkpoints[-1]
        fake.cap = 20  # below the new responses' 60, above any day and temperature's
        fake.add_responses(60, days_ago=(0, 1))
        captured.upserts.clear()
        run(state=state)
        recent = [k for k in truth_keys(fake) if k[3].date() >= TODAY - timedelta(days=2)]
        assert set(recent) <= set(keys(captured.rows("blast_result")))


class TestTableWalk:
    def test_each_table_starts_with_the_witness_it_can_have(self):
        counted = TableWalk("blast_result")
        assert counted.witness.unusable is None and counted.witness.above == 0
        assert counted.method == "getBlastResults" and counted.field == "date_submitted"
        tallied_walk = TableWalk("comment", "blast_date", 4)
        assert tallied_walk.witness.above == math.inf and tallied_walk.witness.unusable is None
        assert (tallied_walk.field, tallied_walk.lag_days) == ("blast_date", 4)

    def test_a_new_walk_has_read_nothing(self):
        walk = TableWalk("blast_result")
        assert (walk.requests, walk.largest, walk.margin, walk.found_new) == (0, 0, 0, 0)
        assert (walk.unproven, walk.groups, walk.cut_sides) == ([], {}, set())
        assert walk.newest is None and walk.progress is None and walk.last_answer is None
        assert not (walk.calibrated or walk.doubt or walk.verifying or walk.restart)
        assert walk.next_group == 1 and walk.outside_keys is None

    @pytest.mark.parametrize(
        "sides, keeps",
        [(set(), None), ({"older"}, "newest"), ({"newer"}, "oldest"), ({"older", "newer"}, None)],
    )
    def test_which_end_a_cut_keeps_is_the_side_its_children_found_missing(self, sides, keeps):
        walk = TableWalk("blast_result")
        walk.cut_sides = set(sides)
        assert walk.keeps == keeps and walk.cut_seen == bool(sides)


class TestWindowRequests:
    def test_a_window_asks_for_its_days_and_margin_with_the_limit(self):
        walk = TableWalk("blast_result")
        walk.margin = 2
        days = window("2026-11-10", "2026-11-12")
        assert asked_days(walk, days) == (day("2026-11-08"), day("2026-11-14"))
        assert window_params(walk, days) == {
            "fromDate": "2026-11-08",
            "toDate": "2026-11-14",
            "limit": 10000,
        }
        assert "limit" not in window_params(walk, days, limit=False)

    def test_a_temperature_or_blast_is_asked_and_named(self):
        walk = TableWalk("blast_result")
        hot = window("2026-11-10", "2026-11-10", temperature=3)
        assert window_params(walk, hot)["temperatureID"] == 3 and "blastID" not in (
            window_params(walk, hot)
        )
        assert window_label(walk, hot) == "getBlastResults 2026-11-10..2026-11-10 temperatureID 3"
        blast = window("2026-11-10", "2026-11-11", blast="b9")
        assert window_params(walk, blast)["blastID"] == "b9"
        assert "temperatureID" not in window_params(walk, blast)
        assert window_label(walk, blast) == "getBlastResults 2026-11-10..2026-11-11 blastID b9"
        assert window_label(walk, window("2026-11-10", "2026-11-11")) == (
            "getBlastResults 2026-11-10..2026-11-11"
        )

    def test_a_new_window_has_no_options_but_those_given(self):
        made = new_window(day("2026-11-10"), day("2026-11-11"), side="older", counted=5)
        assert made[:7] == (day("2026-11-10"), day("2026-11-11"), None, None, "older", {}, None)
        assert made[7:] == (None, 5, None)


class TestWitness:
    def test_a_tally_counts_only_the_windows_own_days(self):
        records = {day("2026-11-09"): {1, 2}, day("2026-11-10"): {3}, day("2026-11-12"): {4}}
        days = window("2026-11-10", "2026-11-11")
        assert witnessed("comment", days, records) == 1
        assert witnessed("blast_result", days, records) == 4

    def test_each_witness_has_its_name(self):
        assert witness_name("comment") == "the tally of blast_result's responses with a comment"
        assert witness_name("blast_result") == "getNumResponsesValue"
        assert witness_name("thermometer") == "no count"

    def test_a_witness_is_distrusted_once_and_said_once(self, captured):
        walk = TableWalk("blast_result")
        distrust(walk, "it answered 'n/a'")
        distrust(walk, "another reason")
        assert walk.witness.unusable == "it answered 'n/a'"
        (said,) = captured.messages("info")
        assert said == (
            "blast_result: getNumResponsesValue is not used as a witness of getBlastResults "
            "answers in this sync: it answered 'n/a'"
        )

    def test_the_tally_counts_comments_of_days_blast_result_read_whole(self, captured):
        context = sync_context()
        walk = context.walk("comment")
        context.tally_days = [(day("2026-11-01"), day("2026-11-20"))]
        context.tally = {day("2026-11-09"): {1}, day("2026-11-10"): {2, 3}, day("2026-11-11"): {4}}
        assert tallied(context, walk, window("2026-11-10", "2026-11-11")) == 3
        assert tallied(context, walk, window("2026-11-01", "2026-11-20")) == 4
        assert tallied(context, walk, window("2026-11-10", "2026-11-10", temperature=1)) is None
        assert tallied(context, walk, window("2026-11-10", "2026-11-10", blast="b")) is None
        assert walk.witness.unusable is None
        context.close()

    @pytest.mark.parametrize(
        "start, end", [("2026-10-31", "2026-11-02"), ("2026-11-20", "2026-11-21")]
    )
    def test_days_blast_result_did_not_read_whole_make_the_tally_unusable(
        self, captured, start, end
    ):
        context = sync_context()
        walk = context.walk("comment")
        context.tally_days = [(day("2026-11-01"), day("2026-11-20"))]
        assert tallied(context, walk, window(start, end)) is None
        assert (
            walk.witness.unusable == "blast_result was not read whole on these days in this sync"
        )
        context.close()

    def test_a_tally_is_no_witness_for_a_filter_on_another_date(self, captured):
        context = sync_context({"comment_date_field": "blast_date"})
        context.tally_days = [(day("2026-11-01"), day("2026-11-20"))]
        walk = context.walk("comment")
        assert tallied(context, walk, window("2026-11-10", "2026-11-10")) is None
        context.close()


class TestUnproven:
    def test_an_unproven_window_is_warned_of_when_its_table_ends(self, captured):
        context = sync_context()
        warn_unproven(context, "blast_result", window("2026-11-10", "2026-11-11"), "a reason")
        assert captured.messages("warning") == []
        log_unproven(context, "blast_result")
        assert captured.messages("warning") == [
            "blast_result: getBlastResults 2026-11-10..2026-11-11 could not be proven complete, "
            "so responses may be missing (it is read again next sync): a reason"
        ]
        context.close()

    def test_only_the_first_five_are_said(self, captured):
        context = sync_context()
        for n in range(1, 8):
            warn_unproven(context, "comment", window(f"2026-11-0{n}", f"2026-11-0{n}"), "r")
        log_unproven(context, "comment")
        assert len(captured.messages("warning")) == 5
        assert context.warnings[("comment", "unproven")] == 7
        context.close()


class TestWalkFlags:
    def test_a_new_walks_flags_are_false_not_just_unset(self):
        walk = TableWalk("blast_result")
        flags = (walk.calibrated, walk.doubt, walk.verifying, walk.restart)
        assert flags == (False, False, False, False) and all(flag is False for flag in flags)

    def test_a_table_that_nothing_counts_has_no_witness(self):
        walk = TableWalk("thermometer")
        assert walk.witness.unusable == "no value method counts what it lists"

    def test_a_window_keeps_the_range_that_proves_it(self):
        assert window("2026-11-10", "2026-11-11", probe=day("2026-10-01")).probe == day(
            "2026-10-01"
        )

    def test_a_one_day_window_is_tallied(self, captured):
        context = sync_context()
        context.tally_days = [(day("2026-11-10"), day("2026-11-10"))]
        context.tally = {day("2026-11-10"): {1, 2}}
        assert tallied(context, context.walk("comment"), window("2026-11-10", "2026-11-10")) == 2
        context.close()


class TestFetches:
    def test_a_window_is_asked_with_its_days_and_files_its_newest(self, captured, api):
        context = sync_context()
        walk = context.walk("blast_result")
        api.script(
            "getBlastResults", (200, blast_xml(keyed_record(date_submitted="2026-11-20 08:00:00")))
        )
        answer = fetch_window(context, "blast_result", window("2026-11-18", "2026-11-21"))
        assert answer.count == 1 and walk.requests == 1 and walk.newest == day("2026-11-20")
        (sent,) = api.sent("getBlastResults")
        assert (sent["fromDate"], sent["toDate"], sent["limit"]) == (
            "2026-11-18",
            "2026-11-21",
            "10000",
        )
        api.script(
            "getBlastResults", (200, blast_xml(keyed_record(date_submitted="2026-11-19 08:00:00")))
        )
        fetch_window(context, "blast_result", window("2026-11-18", "2026-11-21"))
        assert walk.newest == day("2026-11-20") and walk.requests == 2
        context.close()

    def test_a_one_day_answer_tracks_blasts_and_a_send_date_filter_tracks_lags(
        self, captured, api
    ):
        context = sync_context({"blast_result_date_field": "blast_date"})
        record = keyed_record(
            date_submitted="2026-11-25 08:00:00", blast_date="2026-11-20 09:00:00"
        )
        api.script("getBlastResults", (200, blast_xml(record)))
        answer = fetch_window(context, "blast_result", window("2026-11-20", "2026-11-20"))
        key = key_packer("blast_result")(
            {
                "blast_id": 2,
                "response_id": 1,
                "thermometer_id": 3,
                "date_submitted": datetime(2026, 11, 25, 8),
            }
        )
        assert answer.blast_of == {key: 2}
        assert answer.lag_days == 5 and answer.field == "blast_date"
        api.script("getBlastResults", (200, blast_xml(record)))
        wide = fetch_window(context, "blast_result", window("2026-11-19", "2026-11-20"))
        assert wide.blast_of is None
        context.close()

    def test_only_the_kept_days_are_upserted(self, captured, api):
        context = sync_context()
        records = [
            keyed_record(response_id=str(n), date_submitted=f"2026-11-{n} 08:00:00")
            for n in (18, 20)
        ]
        api.script("getBlastResults", (200, blast_xml(*records)))
        keep = (day("2026-11-19"), day("2026-11-21"))
        fetch_window(context, "blast_result", window("2026-11-18", "2026-11-21"), keep_days=keep)
        assert [row["response_id"] for row in captured.rows("blast_result")] == [20]
        context.close()

    def test_a_long_window_that_times_out_is_split_and_a_day_retried(self, captured, api):
        context = sync_context()
        api.script("getBlastResults", requests.exceptions.ReadTimeout())
        with pytest.raises(WindowTimeoutError):
            fetch_window(context, "blast_result", window("2026-11-18", "2026-11-19"))
        api.script("getBlastResults", requests.exceptions.ReadTimeout())
        assert fetch_window(context, "blast_result", window("2026-11-18", "2026-11-18")).count
        context.close()

    def test_a_count_is_asked_without_a_limit_and_counts_as_a_request(self, captured, api):
        context = sync_context()
        api.script("getNumResponsesValue", (200, "7"))
        assert fetch_count(context, "blast_result", window("2026-11-18", "2026-11-21")) == 7
        (sent,) = api.sent("getNumResponsesValue")
        assert "limit" not in sent and sent["fromDate"] == "2026-11-18"
        assert context.walk("blast_result").requests == 1
        context.close()

    def test_a_count_that_is_not_a_number_is_not_used_again(self, captured, api):
        context = sync_context()
        api.script("getNumResponsesValue", (200, f"n/a for {API_KEY}"))
        assert fetch_count(context, "blast_result", window("2026-11-18", "2026-11-21")) is None
        assert context.walk("blast_result").witness.unusable == "it answered 'n/a for ***'"
        context.close()

    def walk(self, most=10):
        walk = TableWalk("blast_result")
        walk.most = most
        return walk

    def test_one_cut_size_no_larger_than_any_answer_holds(self, captured):
        walk = self.walk(most=300)
        note_cut(walk, 300, 250_000)
        note_cut(walk, 300, 240_000)
        assert walk.refuted is None and walk.cut_bytes == (240_000, 300)
        assert captured.messages() == []

    def test_two_cut_sizes_refute_it_once(self, captured):
        walk = self.walk(most=9)
        note_cut(walk, 9, 9_000)
        note_cut(walk, 8, 9_500)
        assert walk.refuted == "answers were cut at 8 and at 9 records"
        assert walk.cut_bytes == (9_000, 9)  # the fewest bytes, not the fewest records
        note_cut(walk, 7, 1_000)
        assert walk.refuted == "answers were cut at 8 and at 9 records"
        assert len(captured.messages("info")) == 1
        assert captured.messages("info")[0].endswith(
            "answers of 8 records or more are read in parts"
        )

    def test_an_answer_larger_than_a_cut_one_refutes_it(self, captured):
        walk = self.walk(most=1_001)
        note_cut(walk, 1_000, 800_000)
        assert walk.refuted == "an answer held 1,001 records, and one of 1,000 was cut"

    def test_a_window_proven_by_size_is_noted_and_leaves_nothing(self):
        walk = self.walk()
        assert size_proven(walk, window("2026-11-10", "2026-11-12")) == []
        assert walk.size_proven == [(day("2026-11-10"), day("2026-11-12"))]

    def test_a_new_walk_has_seen_no_cut(self):
        walk = TableWalk("comment")
        assert (walk.cut_sizes, walk.cut_bytes, walk.most, walk.refuted) == (set(), None, 0, None)
        assert (walk.unproven_days, walk.size_proven, walk.given_up) == ([], [], [])


class TestRefusedLimit:
    @pytest.mark.parametrize("refusal", ["document", "status", "text"])
    def test_a_refused_limit_is_asked_smaller_in_turn_and_the_first_answered_serves_the_sync(
        self, captured, capped, api, refusal
    ):
        fake = capped(max_limit=500, limit_refusal=refusal)
        run()
        for method in ("getBlastResults", "getComments"):
            limits = [sent.get("limit") for sent in api.sent(method)]
            assert limits[:7] == ["10000", "10000", "5000", "5000", "1000", "1000", "500"]
            assert set(limits[7:]) == {"500"}  # the rest of the sync
        assert sorted(keys(captured.rows("blast_result"))) == truth_keys(fake)
        said = [m for m in captured.messages("info") if "was refused" in m]
        assert len(said) == 6 and "limit must be between 1 and 500" in said[0]
        assert said[0].startswith(
            "blast_result: asking getBlastResults with limit=5000 instead of limit=10000, from "
            "now on: it was refused (getBlastResults 1970-01-01..2026-11-27 answered "
        )
        state = captured.checkpoints[-1]
        assert state["blast_result_limit"] == 500 and state["comment_limit"] == 500

    def test_the_saved_form_is_the_first_asked_next_sync(self, captured, capped, api):
        capped(max_limit=200)
        run(state={"blast_result_limit": 200, "comment_limit": "none"})
        assert {sent.get("limit") for sent in api.sent("getBlastResults")} == {"200"}
        assert {sent.get("limit") for sent in api.sent("getComments")} == {None}
        assert captured.checkpoints[-1]["comment_limit"] == "none"
        assert not [m for m in captured.messages("info") if "was refused" in m]

    def test_no_limit_is_the_last_form_and_is_saved_as_none(self, captured, capped, api):
        capped(max_limit=0)  # every `limit` refused
        run()
        assert api.sent("getBlastResults")[10].get("limit") is None  # each form asked twice
        assert captured.checkpoints[-1]["blast_result_limit"] == "none"

    def test_the_first_form_answered_drops_a_saved_form(self, captured, api):
        run(state={"blast_result_limit": 1000})
        assert "blast_result_limit" in captured.checkpoints[-1]  # answered in its saved form
        walk = TableWalk("blast_result")
        assert walk.limit == 10000 and not walk.limit_answered

    def test_a_list_refused_in_every_form_fails_its_table_naming_each(self, captured, api):
        api.script("getBlastResults", *[(400, "bad request")] * 12)  # twice in each form
        with pytest.raises(RuntimeError, match="failed for blast_result"):
            run()
        (error,) = [m for m in captured.messages("error") if "blast_result" in m]
        assert (
            "was refused in each form tried (limit=10000, limit=5000, limit=1000, limit=500, "
            "limit=200, no limit), the last: getBlastResults" in error
        )
        assert "HTTP 400: 'bad request'" in error
        assert len(api.sent("getBlastResults")) == 12
        assert "blast_result_limit" not in captured.checkpoints[-1]  # none answered

    @pytest.mark.parametrize("said", ["Server busy", "limit must be 1 to 500"])
    def test_a_refusal_is_asked_again_in_its_form_first(self, captured, api, said):
        api.script("getBlastResults", (200, f"<error>{said}</error>"))
        run()
        assert [sent["limit"] for sent in api.sent("getBlastResults")][:2] == ["10000", "10000"]
        assert "blast_result_limit" not in captured.checkpoints[-1]
        assert not [m for m in captured.messages("info") if "from now on" in m]

    def test_a_limit_refused_silently_with_an_empty_list_is_found_by_the_count(
        self, captured, capped, api
    ):
        fake = capped(max_limit=1000, limit_refusal="empty")
        run()
        assert sorted(keys(captured.rows("blast_result"))) == truth_keys(fake)
        comments = {row["response_id"] for row in captured.rows("comment")}
        assert comments == {row["response_id"] for row in fake.truth("comment")}
        said = [m for m in captured.messages("info") if "from now on" in m]
        assert said[0] == (
            "blast_result: asking getBlastResults with limit=5000 instead of limit=10000, from "
            "now on: getBlastResults 1970-01-01..2026-11-27 answered no record, and "
            "getNumResponsesValue counted 60 (a `limit` refused silently?)"
        )
        assert captured.checkpoints[-1]["blast_result_limit"] == 1000
        assert not captured.messages("warning")

    def test_an_empty_list_in_every_form_keeps_the_first_and_is_not_proven(self, captured, api):
        api.script("getBlastResults", *in_every_form((200, "<thermometer_blast_responses/>")))
        run()
        limits = [sent.get("limit") for sent in api.sent("getBlastResults")]
        assert limits == ["10000", "5000", "1000", "500", "200", None]
        said = [m for m in captured.messages("info") if "from now on" in m]
        assert said[-1] == (
            "blast_result: asking getBlastResults with limit=10000 instead of no limit, from now "
            "on: no simpler form answered more records"
        )
        (warned,) = [m for m in captured.messages("warning") if "blast_result" in m]
        assert "it answered no record, while getNumResponsesValue counted 60" in warned
        assert "blast_result_limit" not in captured.checkpoints[-1]

    def test_an_empty_list_a_count_agrees_with_is_taken(self, captured, api):
        api.fake = small_account(responses=0)
        run()
        assert len(api.sent("getBlastResults")) == 1 and len(api.sent("getNumResponsesValue")) == 2
        assert not captured.messages("warning")

    def test_a_new_form_starts_the_size_rule_afresh(self, captured, api):
        context = sync_context()
        walk = context.walk("blast_result")
        walk.largest, walk.most, walk.cut_sizes, walk.cut_bytes = 900, 900, {900}, (9, 900)
        api.script("getBlastResults", (400, "limit too large"), (400, "limit too large"))
        fetch_window(context, "blast_result", window("2026-11-01", "2026-11-02"))
        assert walk.limit == 5000 and walk.limit_answered
        assert (walk.cut_sizes, walk.cut_bytes) == (set(), None)
        assert walk.largest == 0 and 0 < walk.most < 900  # only what the new form answered


def horizon_context(days):
    """Return a SyncContext whose reconcile horizon is days long."""
    settings = connector.validate_configuration(configuration(reconcile_days=days))
    return SyncContext(settings, {})


class TestKeysOfTheHorizon:
    def test_a_first_sync_collects_from_the_newest_day_answered_less_the_horizon(self, captured):
        context = horizon_context("3")
        walk = context.walk("blast_result")
        assert keys_floor(context, walk) is None  # no day answered yet
        walk.newest = day("2026-11-20")
        assert keys_floor(context, walk) == day("2026-11-17")
        collect_keys(context, walk, answer_of("2026-11-16", "2026-11-17", "2026-11-20"))
        assert walk.seen == {day("2026-11-17"): {("key", 1)}, day("2026-11-20"): {("key", 2)}}
        context.close()

    def test_a_next_sync_collects_from_the_saved_cursor_less_the_horizon(self, captured):
        context = horizon_context("3")
        walk = context.walk("blast_result")
        walk.keys_from, walk.newest = day("2026-11-10"), day("2026-11-20")
        assert keys_floor(context, walk) == day("2026-11-10")
        collect_keys(context, walk, answer_of("2026-11-09", "2026-11-10"))
        collect_keys(context, walk, answer_of("2026-11-10", "2026-11-12"))
        assert walk.seen == {
            day("2026-11-10"): {("key", 0), ("key", 1)},  # both answers' keys of the day
            day("2026-11-12"): {("key", 1)},
        }
        context.close()

    def test_no_key_is_collected_with_the_horizon_off(self, captured):
        context = horizon_context("0")
        walk = context.walk("blast_result")
        walk.keys_from, walk.newest = day("2026-11-10"), day("2026-11-20")
        assert keys_floor(context, walk) is None
        collect_keys(context, walk, answer_of("2026-11-12"))
        assert walk.seen == {}
        context.close()
