"""Unit tests of customer_thermometer/output.py: upserts and their commits, progress lines, quoted
values and the first few warnings of a kind."""

import pytest

import connector
from customer_thermometer import clock
from customer_thermometer.answers import fetch_list, key_packer
from customer_thermometer.output import (
    count_of,
    delete_row,
    note_progress,
    quoted,
    say,
    upsert_row,
    warn_first_few,
)
from customer_thermometer.specs import SYNC_LIMITS
from tests.conftest import API_KEY, TODAY, UNDER_EVERY_PARSER, configuration
from tests.support import blast_xml, row_of, run, run_scripted, sync_context


class TestState:
    def test_every_ten_thousand_upserts_commit_the_start_state(self, captured, api, monkeypatch):
        monkeypatch.setitem(SYNC_LIMITS, "checkpoint_every_rows", 10)
        start = {"comment_cursor": "2026-10-01"}
        run(state=start)
        total = len(captured.upserts)
        assert total > 50
        intermediate, final = captured.checkpoints[:-1], captured.checkpoints[-1]
        assert intermediate == [start] * (total // 10)
        assert final["comment_cursor"] == TODAY.isoformat()


class TestSaysHowFar:
    def test_a_table_says_how_far_it_got_every_so_many_rows(self, captured, api, monkeypatch):
        monkeypatch.setitem(SYNC_LIMITS, "progress_every_rows", 20)
        run()
        rows = len(captured.rows("blast_result"))
        lines = [m for m in captured.messages("info") if m.startswith("blast_result: ")]
        progress = [m for m in lines if " so far, " in m]
        assert len(progress) == rows // 20 and rows >= 40
        assert progress[0].startswith("blast_result: 20 rows so far, ")
        assert "reading getBlastResults 1970-01-01.." in progress[0]
        assert progress[1].startswith("blast_result: 40 rows so far, ")

    def test_a_table_says_how_far_it_got_every_so_many_seconds(self, captured, api, monkeypatch):
        seconds = iter(range(0, 10**6, 31))  # each look at the clock finds 31 s more gone
        monkeypatch.setattr(clock, "monotonic", lambda: next(seconds))
        run(from_date="2026-11-20")
        thermometer = [m for m in captured.messages("info") if m.startswith("thermometer: ")]
        # Looked at on its request (0 s) and at the end of its answer (31 s).
        assert "thermometer: 4 rows so far, 1 request, reading getThermometers" in thermometer

    def test_a_table_quiet_for_less_than_both_says_nothing_until_its_summary(self, captured, api):
        run()
        assert not any(" so far, " in m for m in captured.messages("info"))

    def test_records_read_again_still_say_how_far_a_table_got(self, captured, api, monkeypatch):
        seconds = iter(range(0, 10**6, 31))  # each look at the clock finds 31 s more gone
        monkeypatch.setattr(clock, "monotonic", lambda: next(seconds))
        ids = set(range(1, 201))
        body = blast_xml(
            *({"id": str(n), "name": "T"} for n in ids), root="thermometers", tag="thermometer"
        )
        api.script("getThermometers", (200, body))
        packed = {key_packer("thermometer")({"id": n}) for n in ids}
        answer = fetch_list(sync_context(), "thermometer", {}, delivered={None: packed})
        assert answer.count == 200 and answer.new == 0  # all upserted before
        said = [m for m in captured.messages("info") if " so far, " in m]
        # Looked at after 64, 128 and 192 records, and at the answer's end.
        assert len(said) == 4 and said[0].startswith("thermometer: 0 rows so far")

    def test_counts_read_as_english(self):
        assert count_of(1, "request") == "1 request"
        assert count_of(0, "row") == "0 rows"
        assert count_of(12500, "row") == "12,500 rows"


@UNDER_EVERY_PARSER
class TestColumnsAndWidth:
    def test_no_log_line_quotes_more_than_200_characters_of_a_value(self, captured, api):
        huge_id = "9" * 2_000_000
        record = {
            "response_id": huge_id,
            "blast_id": "1",
            "thermometer_id": "2",
            "date_submitted": "2026-11-20 10:00:00",
        }
        keyed = dict(record, response_id="7", temperature_id="x" * 5000)
        api.script("getBlastResults", (200, blast_xml(keyed, record)))
        run_scripted(api)
        assert all(len(m) < 1000 for m in captured.messages()), max(map(len, captured.messages()))


class TestConversions:
    def test_the_first_five_warnings_of_a_kind_are_logged_and_all_are_counted(
        self, captured, context
    ):
        for number in range(7):
            row_of(context, response_id=str(number), blast_id=None)
        assert context.table_stats("blast_result")["skipped"] == 7
        warnings = captured.messages("warning")
        assert len(warnings) == 5
        assert warnings[0] == (
            "blast_result: skipped a record without a primary-key value for 'blast_id' "
            "(response_id '0')"
        )
        for number in range(7):
            row_of(context, response_id=str(number), temperature_id="hot")
        bad = [m for m in captured.messages("warning") if "is not a valid" in m]
        assert len(bad) == 5 and context.table_stats("blast_result")["bad_values"] == {
            "temperature_id": 7
        }
        assert bad[0] == (
            "blast_result: field 'temperature_id' of response_id '0' is not a valid INT; "
            "stored as NULL"
        )


class TestFailuresSay:
    def test_long_values_are_shown_cut_to_forty_characters(self, captured):
        with pytest.raises(ValueError) as raised:
            connector.validate_configuration(configuration(from_date="x" * 41))
        assert f"is '{'x' * 40}...':" in str(raised.value)
        with pytest.raises(ValueError) as raised:
            connector.validate_configuration(configuration(from_date="y" * 40))
        assert f"is '{'y' * 40}':" in str(raised.value)


class TestBoundaries:
    def test_each_field_has_its_own_five_warnings(self, captured, context):
        for number in range(3):
            row_of(context, response_id=str(number), temperature_id="hot", blast_date="never")
        assert len([m for m in captured.messages("warning") if "is not a valid" in m]) == 6


class TestOutputUnits:
    def test_a_message_is_said_at_its_level_with_the_key_masked(self, captured):
        context = sync_context()
        say(context, connector.log.warning, f"an echo of {API_KEY}")
        assert captured.logs == [("warning", "an echo of ***")]
        context.close()

    def test_upserts_count_per_table_and_commit_the_start_state_every_so_many(
        self, captured, monkeypatch
    ):
        monkeypatch.setitem(SYNC_LIMITS, "checkpoint_every_rows", 3)
        context = sync_context({"comment_cursor": "2026-11-20"})
        for n in range(7):
            upsert_row(context, "comment" if n % 2 else "blast_result", {"n": n})
        assert [row["n"] for row in captured.rows("comment")] == [1, 3, 5]
        assert context.table_stats("comment")["rows"] == 3
        assert context.table_stats("blast_result")["rows"] == 4
        assert context.upserts == 7
        assert captured.checkpoints == [{"comment_cursor": "2026-11-20"}] * 2
        context.close()

    def test_a_row_marked_deleted_is_counted_for_its_table_and_commits_nothing(self, captured):
        context = sync_context()
        delete_row(context, "comment", {"response_id": 7})
        delete_row(context, "comment", {"response_id": 8})
        assert captured.deletes == [
            ("comment", {"response_id": 7}),
            ("comment", {"response_id": 8}),
        ]
        assert context.table_stats("comment")["deleted"] == 2
        assert context.table_stats("comment")["rows"] == 0 and not captured.upserts
        context.close()

    def test_progress_is_said_at_the_rows_or_the_seconds_whichever_comes_first(
        self, captured, monkeypatch
    ):
        now = [100.0]
        monkeypatch.setattr(clock, "monotonic", lambda: now[0])
        monkeypatch.setitem(SYNC_LIMITS, "progress_every_rows", 4)
        monkeypatch.setitem(SYNC_LIMITS, "progress_every_seconds", 30)
        context = sync_context()
        stats = context.table_stats("comment")
        note_progress(context, "comment", "getComments 2026-11-01..2026-11-02")
        stats["rows"], stats["requests"] = 3, 1
        note_progress(context, "comment")
        assert captured.messages("info") == []
        stats["rows"] = 4
        note_progress(context, "comment")
        now[0] = 129.9
        stats["rows"] = 7
        note_progress(context, "comment", "getComments 2026-11-03..2026-11-03")
        now[0] = 130.0
        note_progress(context, "comment")
        assert captured.messages("info") == [
            "comment: 4 rows so far, 1 request, reading getComments 2026-11-01..2026-11-02",
            "comment: 7 rows so far, 1 request, reading getComments 2026-11-03..2026-11-03",
        ]
        context.close()

    def test_a_value_is_quoted_whole_up_to_200_characters(self):
        assert quoted("x" * 200) == repr("x" * 200)
        assert quoted("x" * 201) == repr("x" * 200) + " (cut, of 201 characters)"
        assert quoted("y" * 12345).endswith(" (cut, of 12,345 characters)")
        assert quoted(5) == "5" and quoted(None) == "None"

    def test_counts_of_one_and_of_thousands(self):
        assert count_of(1, "row") == "1 row" and count_of(1234, "row") == "1,234 rows"

    def test_warnings_are_counted_per_kind(self, captured):
        context = sync_context()
        for n in range(6):
            warn_first_few(context, ("comment", "a"), f"a {n}")
        warn_first_few(context, ("comment", "b"), "b 0")
        assert captured.messages("warning") == ["a 0", "a 1", "a 2", "a 3", "a 4", "b 0"]
        assert context.warnings == {("comment", "a"): 6, ("comment", "b"): 1}
        context.close()


class TestProgressClock:
    def test_the_seconds_count_from_the_last_line_said(self, captured, monkeypatch):
        now = [100.0]
        monkeypatch.setattr(clock, "monotonic", lambda: now[0])
        monkeypatch.setitem(SYNC_LIMITS, "progress_every_rows", 4)
        context = sync_context()
        note_progress(context, "comment", "getComments 2026-11-01..2026-11-02")
        now[0] = 110.0
        context.table_stats("comment")["rows"] = 4
        note_progress(context, "comment")
        now[0] = 135.0
        note_progress(context, "comment")
        assert len(captured.messages("info")) == 1
        context.close()
