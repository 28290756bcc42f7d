"""Unit tests of customer_thermometer/rows.py: each field converted to its declared type, a bad
value becoming NULL with a warning."""

from datetime import datetime

import pytest

from customer_thermometer.rows import build_row
from tests.conftest import API_KEY, UNDER_EVERY_PARSER
from tests.support import blast_xml, keyed_record, row_of, run_scripted


@UNDER_EVERY_PARSER
class TestRecords:
    def test_values_are_typed(self, captured, api):
        record = {
            "response_id": "123",
            "blast_id": "9",
            "thermometer_id": "4",
            "temperature_id": "2",
            "date_submitted": "2026-11-20 08:15:00",
            "response_date": "2026-11-20 08:15:00",
            "blast_date": "2026-11-19 09:00:00",
            "response_bounced": "0",
            "comment_hidden": "1",
            "response": "Green",
            "comment": "Fish &amp; chips &lt;3 &#233; 👍",
            "custom_3": None,
            "first_name": "",
        }
        api.script("getBlastResults", (200, blast_xml(record)))
        run_scripted(api)
        (row,) = captured.rows("blast_result")
        assert row == {
            "response_id": 123,
            "blast_id": 9,
            "thermometer_id": 4,
            "temperature_id": 2,
            "date_submitted": datetime(2026, 11, 20, 8, 15),
            "response_date": datetime(2026, 11, 20, 8, 15),
            "blast_date": datetime(2026, 11, 19, 9, 0),
            "response_bounced": False,
            "comment_hidden": True,
            "response": "Green",
            "comment": "Fish & chips <3 é 👍",
        }

    def test_date_submitted_falls_back_to_response_date(self, captured, api):
        body = blast_xml(
            {"response_id": "5", "comment": "x", "response_date": "2026-11-21 10:00:00"},
            root="comments",
            tag="comment",
        )
        api.script("getComments", (200, body))
        run_scripted(api)
        (row,) = captured.rows("comment")
        assert row["date_submitted"] == datetime(2026, 11, 21, 10, 0)

    def test_a_bad_value_becomes_null_with_a_warning_and_never_fails_the_sync(self, captured, api):
        record = keyed_record(
            response_id="11",
            temperature_id="hot",
            blast_date="0000-00-00 00:00:00",
            response_bounced="maybe",
            custom_1="kept",
            date_submitted="2026-11-24 10:00:00",
        )
        api.script("getBlastResults", (200, blast_xml(record)))
        run_scripted(api)
        (row,) = captured.rows("blast_result")
        assert "temperature_id" not in row and "blast_date" not in row
        assert "response_bounced" not in row and row["custom_1"] == "kept"
        warnings = captured.messages("warning")
        assert any(
            "'temperature_id'" in m and "'11'" in m and "blast_result" in m for m in warnings
        )
        assert captured.checkpoints[-1]["blast_result_cursor"] == "2026-11-24"  # its day

    def test_out_of_range_integers_become_null(self, captured, api):
        record = keyed_record(temperature_id=str(2**40))
        api.script("getBlastResults", (200, blast_xml(record)))
        run_scripted(api)
        assert "temperature_id" not in captured.rows("blast_result")[0]


@UNDER_EVERY_PARSER
class TestListShapes:
    def test_iso_datetimes_keep_their_wall_clock(self, captured, api):
        record = keyed_record(
            date_submitted="2017-08-18T22:33:39+02:00",
            response_date="2017-08-18T22:33:39Z",
            blast_date="2017-08-18T09:00:00-08:00",
        )
        api.script("getBlastResults", (200, blast_xml(record)))
        run_scripted(api, from_date="2017-08-01")
        (row,) = captured.rows("blast_result")
        assert row["date_submitted"] == datetime(2017, 8, 18, 22, 33, 39)
        assert row["response_date"] == datetime(2017, 8, 18, 22, 33, 39)
        assert row["blast_date"] == datetime(2017, 8, 18, 9, 0)


class TestConversions:
    @pytest.mark.parametrize(
        "text, value",
        [("1", True), ("0", False), ("true", True), (" TRUE ", True), ("Yes", True)]
        + [("false", False), ("False", False), ("no", False), ("NO", False)],
    )
    def test_booleans(self, context, text, value):
        assert row_of(context, response_bounced=text)["response_bounced"] is value

    @pytest.mark.parametrize("text", ["maybe", "2", "-1", "yes please", "t"])
    def test_a_boolean_of_another_word_is_null(self, context, text):
        assert "response_bounced" not in row_of(context, response_bounced=text)

    @pytest.mark.parametrize(
        "column, low, high",
        [("blast_id", -(2**63), 2**63 - 1), ("temperature_id", -(2**31), 2**31 - 1)],
    )
    def test_integers_hold_their_type_s_range_and_no_more(self, context, column, low, high):
        assert row_of(context, "comment", **{column: str(low)})[column] == low
        assert row_of(context, "comment", **{column: str(high)})[column] == high
        for outside in (low - 1, high + 1):
            assert column not in row_of(context, "comment", **{column: str(outside)})

    @pytest.mark.parametrize(
        "text",
        [
            "2017-08-18 22:33:39",
            "2017-08-18T22:33:39",
            "2017-08-18T22:33:39Z",
            "2017-08-18T22:33:39z",
            "2017-08-18T22:33:39+05:30",
            " 2017-08-18T22:33:39-08:00 ",
        ],
    )
    def test_datetimes_keep_their_wall_clock(self, context, text):
        assert row_of(context, blast_date=text)["blast_date"] == datetime(2017, 8, 18, 22, 33, 39)

    @pytest.mark.parametrize("text", ["2017-08-18 25:00:00", "yesterday", "Z", "2017-08-18TZ"])
    def test_a_datetime_that_is_not_one_is_null(self, context, text):
        assert "blast_date" not in row_of(context, blast_date=text)

    def test_date_submitted_falls_back_to_response_date_only_when_missing(self, context):
        row = row_of(context, date_submitted=None, response_date="2026-11-21 10:00:00")
        assert row["date_submitted"] == row["response_date"] == datetime(2026, 11, 21, 10, 0)
        row = row_of(context, response_date="2026-11-21 10:00:00")
        assert row["date_submitted"] == datetime(2026, 11, 20, 8, 15)


class TestFailuresSay:
    def test_a_value_that_is_not_a_number_is_quoted(self, captured, api):
        api.script("getNPSValue", (200, "Please upgrade your plan"))
        run_scripted(api)
        assert (
            "metric: getNPSValue answered 'Please upgrade your plan', which is not a finite "
            "number; no row for nps" in captured.messages("warning")
        )


class TestKeysAndBadValues:
    def test_a_record_without_a_key_value_is_skipped_counted_and_named(self, captured, context):
        record = {"response_id": "17", "blast_id": "2", "date_submitted": "2026-11-20 08:15:00"}
        assert build_row(context, "blast_result", record) is None
        assert build_row(context, "blast_result", dict(record, thermometer_id="")) is None
        assert context.table_stats("blast_result")["skipped"] == 2
        assert context.table_stats("comment")["skipped"] == 0
        assert (
            captured.messages("warning")
            == [
                "blast_result: skipped a record without a primary-key value for 'thermometer_id' "
                "(response_id '17')"
            ]
            * 2
        )
        assert context.warnings == {("blast_result", "records without a key"): 2}

    def test_a_value_that_does_not_convert_is_null_counted_per_field_and_named(
        self, captured, context
    ):
        row_of(context, response_id="9", temperature_id="hot", comment_hidden="maybe")
        row = row_of(context, response_id="10", temperature_id="warm")
        assert "temperature_id" not in row and row["response_id"] == 10
        assert context.table_stats("blast_result")["bad_values"] == {
            "temperature_id": 2,
            "comment_hidden": 1,
        }
        assert captured.messages("warning")[0] == (
            "blast_result: field 'temperature_id' of response_id '9' is not a valid INT; "
            "stored as NULL"
        )
        assert context.warnings[("blast_result", "temperature_id")] == 2


class TestZones:
    @pytest.mark.parametrize(
        "text", ["2026-11-20T08:15:00Z", "2026-11-20T08:15:00z", " 2026-11-20T08:15:00z "]
    )
    def test_a_utc_mark_in_either_case_is_dropped_with_its_wall_clock(self, context, text):
        assert row_of(context, date_submitted=text)["date_submitted"] == datetime(
            2026, 11, 20, 8, 15
        )


class TestTheKeyInValues:
    def test_each_value_holding_the_key_is_masked_and_named_once_a_field(self, context, captured):
        fields = {
            "response_id": "5",
            "blast_id": "2",
            "thermometer_id": "3",
            "date_submitted": "2026-11-20 08:15:00",
            "comment": f"sent by {API_KEY.upper()}",
            "custom_1": f"k={API_KEY}",
            "company": "Acme",
        }
        row = build_row(context, "blast_result", fields)
        assert (row["comment"], row["custom_1"], row["company"]) == (
            "sent by ***",
            "k=***",
            "Acme",
        )
        assert captured.messages("warning") == [
            f"blast_result: field '{name}' of response_id '5' holds the API key; it lands with "
            f"the key masked"
            for name in ("comment", "custom_1")
        ]

    def test_a_key_field_holding_the_key_is_masked_and_the_record_skipped(self, context):
        fields = {"response_id": API_KEY, "blast_id": "2", "thermometer_id": "3"}
        fields["date_submitted"] = "2026-11-20 08:15:00"
        assert build_row(context, "blast_result", fields) is None

    def test_a_value_without_the_key_is_left_alone(self, context, captured):
        fields = {"response_id": "5", "blast_id": "2", "thermometer_id": "3"}
        fields["date_submitted"] = "2026-11-20 08:15:00"
        fields["comment"] = API_KEY[:-1]
        assert build_row(context, "blast_result", fields)["comment"] == API_KEY[:-1]
        assert captured.messages("warning") == []


class TestDateJoin:
    AT = datetime(2026, 11, 20, 8, 15)

    def comment(self, context, **fields):
        record = {"response_id": "7", "comment": "Nice", **fields}
        return build_row(context, "comment", record)

    def test_a_comment_without_a_date_takes_its_responses_once_said(self, context, captured):
        context.tally = {self.AT.date(): {7: self.AT, 8: self.AT}}
        row = self.comment(context, date_submitted="", response_date=None)
        assert row["date_submitted"] == self.AT and "response_date" not in row
        assert self.comment(context)["date_submitted"] == self.AT
        (said,) = [m for m in captured.messages("info") if "carry no date_submitted" in m]
        assert said == (
            "comment: getComments records carry no date_submitted: each takes it from the "
            "blast_result record of its response_id read in this sync"
        )
        assert context.unjoined == 0

    def test_a_comment_whose_response_was_not_read_is_skipped_never_keyless(
        self, context, captured
    ):
        context.tally = {self.AT.date(): {8: self.AT}}
        assert self.comment(context) is None
        assert self.comment(context, response_id="9") is None
        assert context.unjoined == 2 and context.unjoined_ids == [7, 9]
        for number in range(10, 20):
            self.comment(context, response_id=str(number))
        assert context.unjoined == 12 and context.unjoined_ids == [7, 9, 10, 11, 12]
        assert captured.messages("warning") == []  # its window says what became of them

    def test_a_date_of_its_own_is_kept_and_a_bad_one_is_no_missing_one(self, context, captured):
        context.tally = {self.AT.date(): {7: self.AT}}
        own = self.comment(context, response_date="2026-11-21 10:00:00")
        assert own["date_submitted"] == datetime(2026, 11, 21, 10, 0)
        assert self.comment(context, date_submitted="0000-00-00 00:00:00") is None
        assert context.unjoined == 0 and not captured.messages("info")

    def test_only_a_table_whose_spec_names_a_source_joins(self, context, captured):
        context.tally = {self.AT.date(): {1: self.AT}}
        record = {"response_id": "1", "blast_id": "2", "thermometer_id": "3"}
        assert build_row(context, "blast_result", record) is None
        assert context.unjoined == 0


class TestOtherLayouts:
    def test_a_datetime_in_another_layout_lands_typed_as_the_same_datetime(self, context):
        row = row_of(context, date_submitted="20/11/2026 08:15:00", blast_date=" 2026-11-19z")
        assert row["date_submitted"] == datetime(2026, 11, 20, 8, 15)
        assert row["blast_date"] == datetime(2026, 11, 19)
        assert context.dates.layout == "DD/MM/YYYY"

    def test_a_date_that_reads_either_way_holds_its_record_back(self, context, captured):
        assert row_of(context, date_submitted="05/11/2026 08:15:00") is None
        assert context.dates.doubts == 1 and len(context.dates.spans) == 2  # the filter's date
        assert context.table_stats("blast_result")["skipped"] == 0  # not skipped: held back
        assert row_of(context, blast_date="05/11/2026 08:15:00") is None
        assert context.dates.doubts == 2 and captured.messages("warning") == []

    def test_a_doubt_of_another_date_than_the_filters_keeps_no_days(self, context):
        assert row_of(context, blast_date="05/11/2026 08:15:00") is None
        assert context.dates.doubts == 1 and context.dates.spans == {}

    def test_a_datetime_no_layout_reads_is_null_with_a_warning(self, context, captured):
        row = row_of(context, blast_date="the 5th of November")
        assert "blast_date" not in row
        (warned,) = captured.messages("warning")
        assert "field 'blast_date' of response_id '1' is not a valid NAIVE_DATETIME" in warned

    def test_an_id_that_is_no_number_is_never_read_as_a_date(self, context, captured):
        row = row_of(context, temperature_id="05/11/2026")
        assert "temperature_id" not in row and context.dates.doubts == 0
