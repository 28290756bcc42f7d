"""Unit tests of customer_thermometer/reports.py: the shape report, its warnings and each table's
summary line."""

from datetime import timedelta

import pytest

from tests.conftest import TODAY, UNDER_EVERY_PARSER
from tests.support import (
    SCRIPTED_SUMMARY,
    blast_xml,
    keyed_record,
    list_shape,
    records_of,
    run,
    run_scripted,
)


@UNDER_EVERY_PARSER
class TestParser:
    @pytest.fixture
    def blast_body(self, fake):
        """A getBlastResults answer of the small stand-in data set (60 records)."""
        return fake.answer({"getMethod": "getBlastResults", "apiKey": fake.api_key})[2]

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
        api.script("getComments", (200, "<comments/>"))
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
