"""Unit tests of customer_thermometer/reports.py: the shape report, its warnings and each table's
summary line."""

from datetime import timedelta

from customer_thermometer.reports import listed_names, log_shape_report, log_table_summary
from tests.conftest import TODAY, UNDER_EVERY_PARSER
from tests.support import (
    SCRIPTED_SUMMARY,
    blast_xml,
    in_every_form,
    keyed_record,
    list_shape,
    records_of,
    run,
    run_scripted,
    sync_context,
)


@UNDER_EVERY_PARSER
class TestParser:
    def test_the_shape_names_fields_the_schema_does_not_declare(self):
        shape = list_shape("thermometer")
        records_of(
            "<thermometers><thermometer><id>1</id><colour>red</colour></thermometer></thermometers>",
            shape=shape,
        )
        assert shape.undeclared() == ["colour"]
        assert shape.other_names() is None


@UNDER_EVERY_PARSER
class TestListShapes:
    def test_any_root_is_read_with_one_warning_per_table(self, captured, api):
        body = blast_xml(
            {"response_id": "5", "comment": "x", "date_submitted": "2026-11-20 08:15:00"},
            {"response_id": "6", "comment": "y", "date_submitted": "2026-11-21 08:15:00"},
        )
        api.script("getComments", (200, body))
        run_scripted(api)
        assert [row["response_id"] for row in captured.rows("comment")] == [5, 6]
        (warning,) = [m for m in captured.messages("warning") if "documented" in m]
        assert "getComments" in warning and "<thermometer_blast_responses>" in warning
        assert "<thermometer_blast_response>" in warning and "<comments>" in warning

    def test_the_shape_report_names_fields_but_never_values(self, captured, api):
        record = keyed_record(NpsSegment="secret-value")
        api.script("getBlastResults", (200, blast_xml(record)))
        run_scripted(api)
        (report,) = [m for m in captured.messages("info") if m.startswith("blast_result: shape")]
        assert "<thermometer_blast_response>" in report and "nps_segment" in report
        assert "secret-value" not in " ".join(captured.messages())
        assert not [m for m in captured.messages("warning") if "documented" in m]

    def test_records_without_fields_are_skipped_with_a_warning(self, captured, api):
        body = blast_xml({"id": "1", "name": "A"}, root="thermometers", tag="thermometer")
        api.script(
            "getThermometers", (200, body.replace("</thermometers>", "<x/></thermometers>"))
        )
        run()
        assert captured.rows("thermometer") == [{"id": 1, "name": "A"}]
        assert any("1 record that held no field" in m for m in captured.messages("warning"))


@UNDER_EVERY_PARSER
class TestErrorDocuments:
    def test_no_comment_where_blast_result_read_some_is_named_in_a_warning(self, captured, api):
        api.script("getComments", *in_every_form((200, "<comments/>")))  # whatever the limit
        run()
        assert captured.rows("comment") == []
        assert any(
            "answered no record, while blast_result read" in m and "with a comment" in m
            for m in captured.messages("warning")
        ), captured.messages()


class TestCounts:
    def test_the_summary_line_counts_requests_rows_and_skipped_records(self, captured, api):
        api.script("getThermometers", (503, "busy"), (500, "down"))
        body = blast_xml(
            {"id": "1", "name": "A"}, {"name": "no id"}, {"id": "2"}, tag="thermometer"
        )
        api.script("getRecipientLists", (200, body.replace("thermometer", "recipient_list")))
        run()
        info = captured.messages("info")
        assert "thermometer: whole list, 3 requests, 4 rows, 0 skipped" in info
        assert "recipient_list: whole list, 1 request, 2 rows, 1 skipped" in info
        assert any(
            m.startswith("metric: 1970-01-01..") and "6 requests, 6 rows" in m for m in info
        )
        (blast,) = [m for m in info if m.startswith("blast_result: 1970")]
        rows = len(api.fake.truth("blast_result"))
        assert blast == (
            f"blast_result: 1970-01-01..{(TODAY + timedelta(1)).isoformat()}, 5 requests, "
            f"{rows} rows, 0 skipped"
        )


@UNDER_EVERY_PARSER
class TestShapesSay:
    def test_the_shape_report_and_the_warning_name_what_arrived(self, captured, api):
        body = (
            "<Thermometers><Thermometer><ID>1</ID><Colour>red</Colour><Size>L</Size>"
            "</Thermometer><Item><ID>2</ID></Item></Thermometers>"
        )
        api.script("getThermometers", (200, body))
        run_scripted(api)
        assert (
            "thermometer: shape: records <Item>, <Thermometer> in <Thermometers>; fields not in "
            "the schema: colour, size" in captured.messages("info")
        )
        assert (
            "thermometer: getThermometers answered <Thermometers> holding <Item>, <Thermometer> "
            "records, not the documented <thermometers> holding <thermometer>: read as "
            "thermometer records" in captured.messages("warning")
        )
        assert (
            "recipient_list: shape: records <recipient_list> in <recipient_lists>; fields not "
            "in the schema: none" in captured.messages("info")
        )

    def test_a_root_with_no_record_names_none(self, captured, api):
        api.script("getThermometers", (200, "<Thermometers/>"))
        run_scripted(api)
        assert (
            "thermometer: getThermometers answered <Thermometers> holding <-> records, not the "
            "documented <thermometers> holding <thermometer>: read as thermometer records"
            in captured.messages("warning")
        )


class TestMoreFailuresSay:
    def test_the_summary_counts_bad_values_per_field(self, captured, api):
        record = {"response_id": "1", "blast_id": "2", "thermometer_id": "3"}
        record.update(date_submitted="2026-11-20 08:15:00", temperature_id="x", blast_date="y")
        api.script("getBlastResults", (200, blast_xml(record)))
        run_scripted(api)
        (summary,) = [m for m in captured.messages("info") if m.startswith(SCRIPTED_SUMMARY)]
        assert summary.endswith(
            ", 1 row, 0 skipped, NULL for bad values (blast_date: 1, temperature_id: 1)"
        )


def shaped(context, table="blast_result", **counts):
    """Return the context's shape of a table, as if one answer held the documented list, with
    these counts (fields dropped, characters repaired, records unreadable...) set."""
    shape = context.shape(table)
    shape.roots.add(shape.expected[0])
    shape.records.add(shape.expected[1])
    for name, value in counts.items():
        setattr(shape, name, value)
    return shape


class TestShapeCounts:
    def test_a_table_that_held_no_list_says_nothing(self, captured):
        context = sync_context()
        log_shape_report(context, "blast_result")
        assert captured.logs == []
        context.close()

    def test_a_documented_list_says_its_shape_and_no_warning(self, captured):
        context = sync_context()
        shaped(context)
        log_shape_report(context, "blast_result")
        assert captured.logs == [
            (
                "info",
                "blast_result: shape: records <thermometer_blast_response> in "
                "<thermometer_blast_responses>; fields not in the schema: none",
            )
        ]
        context.close()

    def test_each_thing_dropped_repaired_skipped_or_cut_is_counted_once(self, captured):
        context = sync_context()
        shape = shaped(context, repaired=1, unreadable=2, cut_values=3, empty_records=1)
        shape.dropped_fields = {"b", "a"}
        shape.unreadable_ids = ["17"]
        log_shape_report(context, "blast_result")
        assert captured.messages("warning") == [
            "blast_result: dropped 2 fields (a, b): a table takes at most 500 columns besides "
            "its declared ones in a sync",
            "blast_result: repaired 1 character XML does not allow (control characters, "
            "entities it does not define, bytes that are not UTF-8...): read as the text they "
            "stand for, or as U+FFFD (see the README, Data handling)",
            "blast_result: skipped 2 records the XML parser could not read (a tag that does not "
            "match...), the rest of their answers read (response_id: '17')",
            "blast_result: cut 3 values longer than 1,048,576 characters to that length",
            "blast_result: skipped 1 record that held no field at all",
        ]
        context.close()

    def test_unreadable_records_without_an_id_say_none_found(self, captured):
        context = sync_context()
        shaped(context, unreadable=1)
        log_shape_report(context, "blast_result")
        (warning,) = captured.messages("warning")
        assert warning.endswith("(response_id: none found)")
        context.close()


class TestListedNames:
    def test_names_are_cut_to_60_characters(self):
        assert listed_names(["n" * 60]) == "n" * 60
        assert listed_names(["n" * 61]) == "n" * 57 + "..."

    def test_at_most_50_names_are_listed_and_the_rest_counted(self):
        names = [f"f{n}" for n in range(1052)]
        listed = listed_names(names, "<{}>")
        assert listed.startswith("<f0>, <f1>, ") and "<f49>" in listed and "<f50>" not in listed
        assert listed.endswith("<f49> (and 1,002 more)")
        assert listed_names(names[:50]).endswith("f49")


class TestSummary:
    def test_the_summary_counts_and_names_bad_values_and_unproven_windows(self, captured):
        context = sync_context()
        stats = context.table_stats("blast_result")
        stats.update(requests=1, rows=1, skipped=2, bad_values={"z": 1, "a": 3})
        context.walk("blast_result").unproven = ["one", "two"]
        log_table_summary(context, "blast_result", "2026-11-01..2026-11-27")
        assert captured.messages("info") == [
            "blast_result: 2026-11-01..2026-11-27, 1 request, 1 row, 2 skipped, NULL for bad "
            "values (a: 3, z: 1), 2 windows not proven complete (see the warnings)"
        ]
        context.close()

    def test_a_table_without_a_walk_has_no_unproven_window(self, captured):
        context = sync_context()
        log_table_summary(context, "thermometer", "all")
        assert captured.messages("info") == ["thermometer: all, 0 requests, 0 rows, 0 skipped"]
        context.close()


class TestMoreNames:
    def test_one_name_past_fifty_is_counted(self):
        assert listed_names([f"f{n}" for n in range(51)]).endswith("f49 (and 1 more)")

    def test_unreadable_ids_are_listed_and_a_list_without_records_says_so(self, captured):
        context = sync_context()
        shape = shaped(context, unreadable=2)
        shape.unreadable_ids = ["17", "18"]
        shape.records.clear()
        log_shape_report(context, "blast_result")
        (info,) = captured.messages("info")
        assert info.startswith("blast_result: shape: records - in <thermometer_blast_responses>")
        (warning,) = captured.messages("warning")
        assert warning.endswith("(response_id: '17', '18')")
        context.close()
