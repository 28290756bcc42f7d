"""Unit tests of customer_thermometer/answers.py: a list answer read into its records, what it
counts as unreadable or keyless, and when it fails its table."""

import pytest

from customer_thermometer.errors import (
    AuthenticationError,
)
from tests.conftest import UNDER_EVERY_PARSER
from tests.support import (
    SCRIPTED_SUMMARY,
    blast_xml,
    comments_body,
    run,
    run_scripted,
    the_failure,
)


@UNDER_EVERY_PARSER
class TestBodies:
    def test_a_plain_text_list_body_is_an_error_logged_with_its_start(self, captured, api):
        api.script("getComments", (200, "Unknown method, please read the documentation " * 20))
        with pytest.raises(RuntimeError, match="comment"):
            run()
        (error,) = [m for m in captured.messages("error") if "getComments" in m]
        assert "Unknown method, please read" in error
        assert len(error) < 500

    def test_a_root_holding_a_rejected_key_message_is_a_rejected_key(self, captured, api):
        api.script("getBlastResults", (200, "<?xml version='1.0'?><error>Invalid API Key</error>"))
        with pytest.raises(AuthenticationError, match="rejected the API key"):
            run()
        assert len(api.queries) == 1 and captured.checkpoints == []


@UNDER_EVERY_PARSER
class TestRecords:
    def test_records_missing_a_primary_key_are_skipped_counted_and_named(self, captured, api):
        body = blast_xml(
            {
                "response_id": "1",
                "blast_id": "2",
                "thermometer_id": "3",
                "date_submitted": "2026-11-20 08:15:00",
            },
            {"response_id": "7", "thermometer_id": "3", "date_submitted": "2026-11-20 08:15:00"},
            {"response_id": "8", "blast_id": "2", "thermometer_id": "3", "date_submitted": None},
        )
        api.script("getBlastResults", (200, body))
        run_scripted(api)
        assert [row["response_id"] for row in captured.rows("blast_result")] == [1]
        warnings = [m for m in captured.messages("warning") if "primary-key" in m]
        assert any("'blast_id'" in m and "blast_result" in m for m in warnings)
        assert any("'date_submitted'" in m for m in warnings)
        (summary,) = [m for m in captured.messages("info") if m.startswith(SCRIPTED_SUMMARY)]
        assert "2 skipped" in summary


@UNDER_EVERY_PARSER
class TestListShapes:
    def test_an_answer_whose_records_all_lack_the_key_fails_the_table(self, captured, api):
        body = "<response><error><code>7</code><message>try later</message></error></response>"
        api.script("getThermometers", (200, body))
        with pytest.raises(RuntimeError, match="thermometer"):
            run()
        (error,) = captured.messages("error")
        assert "none with the primary key" in error and "getThermometers" in error


@UNDER_EVERY_PARSER
class TestOneBadRecordNeverStallsATable:
    def test_records_that_cannot_be_read_are_counted_in_the_answer(self, captured, api):
        api.script("getComments", (200, comments_body(b"ok", b"<br>", b"<br>", b"ok", b"<br>")))
        run_scripted(api)
        assert sorted(row["response_id"] for row in captured.rows("comment")) == [100, 103]
        summary = [m for m in captured.messages("info") if m.startswith("comment: 20")]
        assert summary and "3 skipped" in summary[-1]
        (warning,) = [m for m in captured.messages("warning") if "could not read" in m]
        assert "skipped 3 records" in warning and "'101', '102', '104'" in warning

    def test_an_answer_of_more_than_100_records_that_cannot_be_read_fails_its_table(
        self, captured, api
    ):
        failure = the_failure(
            api, captured, "comment", "getComments", (200, comments_body(*[b"<br>"] * 101))
        )
        assert "malformed XML: more than 100 records unreadable" in failure
