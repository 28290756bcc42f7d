"""Unit tests of customer_thermometer/conventions.py: what the answers teach of the API's
conventions: the day-or-month layout of its dates, comments dated by blast_result, and a `limit`
refused silently."""

import pytest

from customer_thermometer.conventions import (
    dates_read,
    empty_answer,
    in_doubt,
    joined_or_not,
    other_form_finds,
    say_layout,
)
from tests.conftest import day, small_account
from tests.support import answer_of, in_every_form, sync_context, window

EMPTY = (200, "<thermometer_blast_responses/>")


@pytest.fixture
def synced(captured):
    context = sync_context()
    yield context
    context.close()


class TestJoined:
    def test_days_whose_records_were_not_joined_are_read_again_by_both(self, synced, captured):
        answer = answer_of("2026-11-10")
        days = window("2026-11-10", "2026-11-12")
        joined_or_not(synced, "comment", days, answer)
        assert synced.walk("comment").deferred == []
        answer.unjoined, synced.unjoined_ids = 2, [7, 9]
        joined_or_not(synced, "comment", days, answer)
        assert synced.walk("comment").deferred == [(day("2026-11-10"), day("2026-11-12"))]
        assert synced.walk("comment").unproven == []  # no try: the next sync can join them
        assert captured.messages("warning") == [
            "comment: getComments 2026-11-10..2026-11-12 held 2 records without a date whose "
            "response blast_result did not read in this sync (response_id 7, 9): skipped, and "
            "those days are read again next sync by both tables"
        ]

    def test_records_of_days_read_whole_by_blast_result_are_of_other_days(self, synced):
        synced.tally_days = [(day("2026-11-01"), day("2026-11-12"))]
        answer = answer_of("2026-11-10")
        answer.unjoined = 3  # of a margin day, say: their own window joins them
        joined_or_not(synced, "comment", window("2026-11-10", "2026-11-12"), answer)
        assert synced.walk("comment").deferred == []
        joined_or_not(synced, "comment", window("2026-11-10", "2026-11-13"), answer)
        assert synced.walk("comment").deferred == [(day("2026-11-10"), day("2026-11-13"))]


class TestLayoutSaid:
    def test_a_layout_is_said_once_and_a_saved_one_not_at_all(self, synced, captured):
        say_layout(synced, "blast_result")
        assert captured.messages("info") == []
        reader = synced.dates
        reader.read("13/02/2026")
        say_layout(synced, "blast_result")
        say_layout(synced, "blast_result")
        assert captured.messages("info") == [
            "blast_result: getBlastResults writes dates as DD/MM/YYYY (a day past 12): every "
            "table's answers are read so from now on, and the next syncs start with it"
        ]
        saved = sync_context({"comment_date_layout": "MM/DD/YYYY"})
        say_layout(saved, "comment")
        assert len(captured.messages("info")) == 1
        saved.close()

    def test_only_windows_read_whole_in_a_known_layout_are_noted(self, synced, captured):
        walk = synced.walk("blast_result")
        days = window("2026-11-10", "2026-11-12")
        assert dates_read(synced, "blast_result", days, answer_of("2026-11-10"))
        assert walk.decided_days == []  # no layout known: the dates were ISO
        synced.dates.read("13/11/2026")
        assert dates_read(synced, "blast_result", days, answer_of("2026-11-10"))
        assert walk.decided_days == [(day("2026-11-10"), day("2026-11-12"))]
        assert "writes dates as DD/MM/YYYY" in captured.messages("info")[0]  # newly known
        doubtful = answer_of("2026-11-10")
        doubtful.doubtful = 1
        assert not dates_read(synced, "blast_result", days, doubtful)
        assert len(walk.decided_days) == 1


class TestInDoubt:
    def doubt(self, context, text):
        reader = context.dates
        reader.spans = {}
        reader.read(text, True)
        answer = answer_of("2026-11-10")
        answer.doubtful = 1
        return answer

    def test_the_days_asked_for_decide_and_the_window_is_read_again(self, synced, captured):
        answer = self.doubt(synced, "11/10/2026 10:00")  # 11 October, or 10 November
        synced.walk("blast_result").outside_keys = {"its records"}
        again = in_doubt(synced, "blast_result", window("2026-11-01", "2026-11-12"), answer)
        assert synced.walk("blast_result").outside_keys is None  # the same again is no error
        assert [(w.start, w.end) for w in again] == [(day("2026-11-01"), day("2026-11-12"))]
        assert set(again[0].delivered) == {day("2026-11-10")}  # not upserted again
        assert synced.dates.layout == "MM/DD/YYYY"
        (said,) = captured.messages("info")
        assert "MM/DD/YYYY (only under it do they fall in the days asked for)" in said

    def test_days_that_do_not_tell_are_read_in_halves(self, synced):
        self.doubt(synced, "11/10/2026 10:00")
        answer = answer_of("2026-10-26", "2026-10-27", "2026-11-10")
        answer.doubtful = 1
        again = in_doubt(synced, "blast_result", window("2026-10-01", "2026-11-20"), answer)
        assert [(w.start, w.end, w.side, w.cut_at) for w in again] == [
            (day("2026-10-01"), day("2026-10-26"), None, None),
            (day("2026-10-27"), day("2026-11-20"), None, None),
        ]
        assert set(again[0].delivered) == {day("2026-10-26")}  # each half: its days' records
        assert set(again[1].delivered) == {day("2026-10-27"), day("2026-11-10")}
        assert synced.walk("blast_result").doubted == []

    def test_a_day_that_does_not_tell_is_held_back(self, synced):
        answer = self.doubt(synced, "03/05/2026 10:00")  # neither is November 10
        assert in_doubt(synced, "blast_result", window("2026-11-10", "2026-11-10"), answer) == []
        ((held, records),) = synced.walk("blast_result").doubted
        assert (held.start, held.end, records) == (day("2026-11-10"), day("2026-11-10"), 1)
        assert set(held.delivered) == {day("2026-11-10")}


class TestSilentRefusal:
    def test_simpler_forms_are_tried_once_and_the_first_with_more_is_kept(
        self, synced, api, captured
    ):
        api.script("getBlastResults", EMPTY, EMPTY)  # 5000 and 1000 answer nothing either
        walk = synced.walk("blast_result")
        walk.found_new = 5
        days = window("2026-10-28", "2026-11-27")
        again = other_form_finds(synced, "blast_result", days, "answered too few")
        assert [sent["limit"] for sent in api.sent("getBlastResults")] == ["5000", "1000", "500"]
        assert walk.limit == 500 and walk.forms_tried and walk.found_new == 65
        assert again.start == days.start and sum(map(len, again.delivered.values())) == 60
        assert other_form_finds(synced, "blast_result", days, "again") is None  # once a sync
        said = captured.messages("info")
        assert said[0].endswith("answered too few (a `limit` refused silently?)")
        assert said[1] == (
            "blast_result: asking getBlastResults with limit=1000 instead of limit=5000, from now "
            "on: no more records answered"
        )

    def test_no_form_answering_more_restores_the_form_sent_before(self, synced, api, captured):
        api.script("getBlastResults", *in_every_form(EMPTY))
        walk = synced.walk("blast_result")
        walk.limit = 1000
        days = window("2026-11-01", "2026-11-02")
        assert other_form_finds(synced, "blast_result", days, "x") is None
        assert [sent.get("limit") for sent in api.sent("getBlastResults")] == ["500", "200", None]
        assert walk.limit == 1000
        assert captured.messages("info")[0] == (
            "blast_result: asking getBlastResults with limit=500 instead of limit=1000, from now "
            "on: getBlastResults 2026-11-01..2026-11-02 x (a `limit` refused silently?)"
        )
        assert captured.messages("info")[-1].endswith("no simpler form answered more records")

    def test_no_form_is_simpler_than_none(self, synced, api):
        synced.walk("blast_result").limit = None
        days = window("2026-11-01", "2026-11-02")
        assert other_form_finds(synced, "blast_result", days, "x") is None
        assert api.queries == []

    def test_an_empty_answer_a_count_contradicts_is_asked_in_simpler_forms(
        self, synced, api, captured
    ):
        walk = synced.walk("blast_result")
        walk.records_answered = True  # whenever it comes
        days = window("2026-10-28", "2026-11-27")
        api.script("getBlastResults", EMPTY)  # 5000 answers nothing; 1000 answers the 60
        again = empty_answer(synced, "blast_result", days)
        assert len(again) == 1 and walk.limit == 1000
        assert len(api.sent("getNumResponsesValue")) == 1
        assert captured.messages("info")[0].endswith(
            "getBlastResults 2026-10-28..2026-11-27 answered no record, and getNumResponsesValue "
            "counted 60 (a `limit` refused silently?)"
        )

    def test_an_empty_answer_a_count_agrees_with_is_proven(self, synced, api):
        api.fake = small_account(responses=0)
        assert empty_answer(synced, "blast_result", window("2026-11-01", "2026-11-02")) == []
        walk = synced.walk("blast_result")
        assert len(api.queries) == 1 and not walk.forms_tried and walk.unproven == []

    def test_no_count_proves_it_only_once_a_list_answered_a_record(self, synced, api):
        walk = synced.walk("blast_result")
        walk.witness.unusable = "it counts what no list holds"
        days = window("2026-11-01", "2026-11-02")
        api.script("getBlastResults", *in_every_form(EMPTY))
        assert empty_answer(synced, "blast_result", days) == []
        assert len(api.queries) == 5  # each simpler form, and no count
        (unproven,) = walk.unproven
        assert unproven.endswith(
            "it answered no record in any form tried, no list of this table had answered one "
            "in this sync, and no count could check it"
        )
        walk.records_answered = True
        assert empty_answer(synced, "blast_result", days) == [] and len(walk.unproven) == 1
        assert len(api.queries) == 5

    def test_no_count_and_a_simpler_form_answering_records_reads_it_again(self, synced, api):
        walk = synced.walk("blast_result")
        walk.witness.unusable = "none"
        api.script("getBlastResults", EMPTY)  # 5000 answers nothing, 1000 the 60
        again = empty_answer(synced, "blast_result", window("2026-10-28", "2026-11-27"))
        assert len(again) == 1 and walk.limit == 1000 and walk.unproven == []

    def test_an_empty_answer_no_form_fills_is_unproven(self, synced, api):
        api.script("getBlastResults", *in_every_form(EMPTY))
        assert empty_answer(synced, "blast_result", window("2026-10-28", "2026-11-27")) == []
        (unproven,) = synced.walk("blast_result").unproven
        assert unproven.endswith("it answered no record, while getNumResponsesValue counted 60")
        assert synced.walk("blast_result").limit == 10000

    def test_an_empty_comment_answer_is_unproven_when_the_tally_read_some(self, synced):
        synced.tally_days = [(day("2026-11-01"), day("2026-11-20"))]
        synced.tally = {day("2026-11-10"): {1: None}}
        walk = synced.walk("comment")
        walk.forms_tried = True
        assert empty_answer(synced, "comment", window("2026-11-10", "2026-11-10")) == []
        (unproven,) = walk.unproven
        assert unproven.endswith(
            "it answered no record, while blast_result read 1 response with a comment for "
            "those days"
        )

    def test_no_check_while_verifying(self, synced, api):
        walk = synced.walk("blast_result")
        walk.verifying = True
        assert empty_answer(synced, "blast_result", window("2026-11-10", "2026-11-10")) == []
        assert api.queries == [] and walk.unproven == []
