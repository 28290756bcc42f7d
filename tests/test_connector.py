"""Unit tests of connector.py: each test pins one behaviour the connector promises."""

import weakref
from datetime import datetime, timedelta

import pytest
import requests

import connector
from customer_thermometer import clock, xml_stream
from customer_thermometer.answers import Answer, fetch_list
from customer_thermometer.context import SyncContext
from customer_thermometer.errors import ApiError, AuthenticationError
from customer_thermometer.fields import ListShape, normalised_name
from customer_thermometer.masking import mask_secrets
from customer_thermometer.output import count_of
from customer_thermometer.proofs import (
    bounds_mismatch,
    check_group,
    dates_fit,
    missing_keys,
    split,
)
from customer_thermometer.reports import log_table_summary
from customer_thermometer.specs import SYNC_LIMITS, TABLE_SPECS
from customer_thermometer.walk import reordered
from customer_thermometer.windows import GroupCheck, log_unproven, new_window, window_params
from customer_thermometer.xml_stream import iter_records
from tests.conftest import API_KEY, BASE_URL, TODAY, UNDER_EVERY_PARSER, configuration, day
from tools.fake_api import FakeCustomerThermometer

ALL_TABLES = ["comment", "blast_result", "recipient_list", "thermometer", "metric"]
UPPER = (TODAY + timedelta(days=1)).isoformat()
LIST_METHODS = ["getComments", "getBlastResults", "getRecipientLists", "getThermometers"]


# The state of an incremental sync whose windows (2026-11-18 to tomorrow) are proven by a wider
# range before them: run_scripted() moves the stand-in's 60 responses to the 30 days before
# 2026-11-18, so that range answers more records than a scripted answer holds, none of the
# window's days, and a scripted answer of a few records is the whole table.
SCRIPTED_STATE = {"comment_cursor": "2026-11-20", "blast_result_cursor": "2026-11-20"}
SCRIPTED_SUMMARY = f"blast_result: 2026-11-18..{UPPER}"  # how its summary line starts


def run(state=None, **overrides):
    """Run update() with a valid configuration (changed by overrides) and a state."""
    connector.update(configuration(**overrides), dict(state or {}))


def run_scripted(api, **overrides):
    """Run an incremental sync in which a scripted answer of a few records is the whole table."""
    api.fake = FakeCustomerThermometer(
        responses=60, days=30, seed=5, api_key=API_KEY, today=TODAY - timedelta(days=9)
    )
    run(state=SCRIPTED_STATE, **overrides)


def keyed_record(**fields):
    """Return a blast result record (field -> text) with a whole primary key, and these fields."""
    record = {
        "response_id": "1",
        "blast_id": "2",
        "thermometer_id": "3",
        "date_submitted": "2026-11-20 08:15:00",
    }
    record.update(fields)
    return record


def list_shape(table="blast_result"):
    """Return a new ListShape of a table, as one sync keeps."""
    return ListShape(TABLE_SPECS[table])


def records_of(body, table="blast_result", shape=None):
    """Return the records iter_records() reads from a whole body."""
    return list(iter_records([body.encode()], shape or list_shape(table)))


def blast_xml(*records, root="thermometer_blast_responses", tag="thermometer_blast_response"):
    """Return an XML list body of records given as dicts of field -> text (None: empty)."""
    parts = []
    for record in records:
        fields = "".join(
            f"<{name}/>" if value is None else f"<{name}>{value}</{name}>"
            for name, value in record.items()
        )
        parts.append(f"<{tag}>{fields}</{tag}>")
    return f"<{root}>{''.join(parts)}</{root}>"


class TestValidateConfiguration:
    @pytest.mark.parametrize(
        "overrides, named, expected",
        [
            ({"api_key": None}, "api_key", "missing or empty"),
            ({"api_key": ""}, "api_key", "missing or empty"),
            ({"api_key": "   "}, "api_key", "missing or empty"),
            ({"api_key": "<YOUR_CUSTOMER_THERMOMETER_API_KEY>"}, "api_key", "placeholder"),
            ({"api_key": "short-key"}, "api_key", "at least 10 characters"),
            ({"api_key": "has a space-0123456789"}, "api_key", "white space"),
            ({"api_key": "tab\tseparated-0123456789"}, "api_key", "white space"),
            ({"from_date": "2024-02-30"}, "from_date", "YYYY-MM-DD"),
            ({"from_date": "01/02/2024"}, "from_date", "YYYY-MM-DD"),
            ({"from_date": "20240101"}, "from_date", "YYYY-MM-DD"),
            ({"from_date": "2026-11-27"}, "from_date", "future"),
            ({"lookback_days": "-1"}, "lookback_days", "0 to 365"),
            ({"lookback_days": "366"}, "lookback_days", "0 to 365"),
            ({"lookback_days": "2.5"}, "lookback_days", "0 to 365"),
            ({"lookback_days": "two"}, "lookback_days", "0 to 365"),
            ({"base_url": "ftp://ct.example.test/api.php"}, "base_url", "http(s) URL"),
            ({"base_url": "app.customerthermometer.com"}, "base_url", "http(s) URL"),
            ({"base_url": "https:///api.php"}, "base_url", "http(s) URL"),
        ],
    )
    def test_bad_value_raises_naming_the_key(self, captured, overrides, named, expected):
        with pytest.raises(ValueError) as raised:
            connector.validate_configuration(configuration(**overrides))
        assert f"'{named}'" in str(raised.value)
        assert expected in str(raised.value)

    def test_no_message_repeats_the_key(self, captured):
        for bad in ({"from_date": "nope"}, {"lookback_days": "x"}, {"base_url": "nope"}):
            with pytest.raises(ValueError) as raised:
                connector.validate_configuration(configuration(**bad))
            assert API_KEY not in str(raised.value)
        with pytest.raises(ValueError) as raised:
            connector.validate_configuration(configuration(api_key="short key"))
        assert "short key" not in str(raised.value)

    def test_defaults(self, captured):
        settings = connector.validate_configuration({"api_key": API_KEY})
        assert settings["from_date"] == day("1970-01-01")
        assert settings["lookback_days"] == 2
        assert settings["base_url"] == "https://app.customerthermometer.com/api.php"

    def test_bad_configuration_fails_before_any_request(self, captured, api):
        with pytest.raises(ValueError):
            run(lookback_days="400")
        assert api.queries == []
        assert captured.checkpoints == []


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

    def test_a_small_account_takes_two_lists_per_dated_method_then_two(self, captured, api):
        run()
        for method in LIST_METHODS:
            expected = 2 if method in ("getComments", "getBlastResults") else 1
            assert len(api.sent(method)) == expected, method
        # The first answer is the largest the sync has seen: its newest day, read again,
        # calibrates the count, whose halves then prove it without being read again.
        newest = max(r["date_submitted"] for r in api.fake.truth("blast_result")).date()
        whole, newest_day = api.sent("getBlastResults")
        assert (whole["fromDate"], whole["toDate"]) == ("1970-01-01", UPPER)
        assert (newest_day["fromDate"], newest_day["toDate"]) == (newest.isoformat(), UPPER)
        counted = [(q["fromDate"], q["toDate"]) for q in api.sent("getNumResponsesValue")]
        assert counted[0] == (newest.isoformat(), UPPER) and len(counted) == 1 + 2 + 1
        state = captured.checkpoints[-1]
        assert set(state) == {"comment_cursor", "blast_result_cursor"}
        api.queries.clear()
        api.fake.add_responses(5, days_ago=(0, 1))
        run(state=state)
        # The next sync's window is proven by a range four times longer that answers more.
        for method in ("getComments", "getBlastResults"):
            window, wider = api.sent(method)
            assert window["fromDate"] == "2026-11-24" and window["toDate"] == UPPER
            assert wider["fromDate"] == "2026-11-08" and wider["toDate"] == UPPER

    def test_transient_failures_are_retried_with_exponential_backoff(self, captured, api):
        api.script(
            "getThermometers",
            (500, "oops"),
            requests.exceptions.ConnectionError("reset"),
            (503, "busy"),
        )
        run()
        assert len(api.sent("getThermometers")) == 4
        assert captured.sleeps == [1, 2, 4]
        assert len(captured.rows("thermometer")) == 4
        retries = [m for m in captured.messages("warning") if "getThermometers" in m]
        assert len(retries) == 3 and "retry 1 of 3" in retries[0]

    def test_retry_after_is_honoured_and_capped(self, captured, api):
        api.script(
            "getThermometers",
            (429, "slow down", {"Retry-After": "7"}),
            (429, "", {"Retry-After": "600"}),
        )
        run()
        assert captured.sleeps == [7, 60]

    def test_gives_up_after_three_retries(self, captured, api):
        api.script("getThermometers", *[(500, "down")] * 4)
        with pytest.raises(RuntimeError, match="thermometer"):
            run()
        assert len(api.sent("getThermometers")) == 4
        assert captured.sleeps == [1, 2, 4]

    @pytest.mark.parametrize(("status", "body"), [(401, "denied"), (403, "Invalid API Key")])
    def test_rejected_key_by_status_stops_at_once_without_retrying(
        self, captured, api, status, body
    ):
        api.script("getBlastResults", (status, body))  # the first request of a sync
        with pytest.raises(AuthenticationError, match="rejected the API key"):
            run()
        assert len(api.queries) == 1
        assert captured.sleeps == []
        assert captured.checkpoints == []

    def test_rejected_key_in_a_200_body_stops_at_once_without_retrying(self, captured, api):
        api.fake.api_key = "another-key-entirely"
        with pytest.raises(AuthenticationError, match="rejected the API key"):
            run()
        assert len(api.queries) == 1
        assert captured.sleeps == [] and captured.checkpoints == []

    def test_rejected_key_in_a_metric_body_stops_the_sync(self, captured, api):
        api.script("getNPSValue", (200, "Invalid API Key"))
        with pytest.raises(AuthenticationError):
            run()
        assert captured.checkpoints == []

    def test_other_client_errors_are_not_retried(self, captured, api):
        api.script("getThermometers", (400, "bad request"))
        with pytest.raises(RuntimeError, match="thermometer"):
            run()
        assert len(api.sent("getThermometers")) == 1
        assert any("HTTP 400" in m for m in captured.messages("error"))

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


@UNDER_EVERY_PARSER
class TestBodies:
    def test_empty_body_and_empty_root_are_no_data(self, captured, api):
        api.script("getComments", (200, "  \n"))
        api.script("getBlastResults", (200, '<?xml version="1.0"?><thermometer_blast_responses/>'))
        run()
        assert captured.rows("comment") == [] and captured.rows("blast_result") == []
        # No answer held a day to count back from: the next sync reads from from_date again.
        assert captured.checkpoints[-1] == {}

    def test_malformed_xml_fails_the_table_and_is_not_data(self, captured, api):
        api.script("getBlastResults", (200, "<thermometer_blast_responses><a></b>"))
        with pytest.raises(RuntimeError, match="blast_result"):
            run()
        assert captured.rows("blast_result") == []
        assert "blast_result_cursor" not in captured.checkpoints[-1]
        assert any("malformed XML" in m for m in captured.messages("error"))

    def test_a_plain_text_list_body_is_an_error_logged_with_its_start(self, captured, api):
        api.script("getComments", (200, "Unknown method, please read the documentation " * 20))
        with pytest.raises(RuntimeError, match="comment"):
            run()
        (error,) = [m for m in captured.messages("error") if "getComments" in m]
        assert "Unknown method, please read" in error
        assert len(error) < 500

    def test_a_body_cut_short_is_retried(self, captured, api):
        full = api.fake.answer({"getMethod": "getBlastResults", "apiKey": API_KEY})[2]
        api.script("getBlastResults", (200, full[: len(full) // 2]))
        run()
        first, again = api.sent("getBlastResults")[:2]
        assert first == again and captured.sleeps == [1]
        keys = [(r["response_id"], r["date_submitted"]) for r in captured.rows("blast_result")]
        assert set(keys) == {
            (r["response_id"], r["date_submitted"]) for r in api.fake.truth("blast_result")
        }

    def test_a_chunked_body_cut_short_is_retried(self, captured, api):
        api.script(
            "getBlastResults",
            requests.exceptions.ChunkedEncodingError("Connection broken: IncompleteRead"),
        )
        run()
        first, again = api.sent("getBlastResults")[:2]
        assert first == again and captured.sleeps == [1]
        assert len(captured.rows("blast_result")) == len(api.fake.truth("blast_result"))

    def test_a_dtd_is_refused(self, captured, api):
        bomb = (
            '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
            '<!ENTITY lol2 "&lol;&lol;&lol;&lol;">]><thermometers>&lol2;</thermometers>'
        )
        api.script("getThermometers", (200, bomb))
        with pytest.raises(RuntimeError, match="thermometer"):
            run()
        assert any("DTD" in m for m in captured.messages("error"))

    def test_a_root_holding_only_text_is_an_error_body(self, captured, api):
        api.script("getThermometers", (200, "<error>Something failed</error>"))
        with pytest.raises(RuntimeError, match="thermometer"):
            run()
        (error,) = captured.messages("error")
        assert "getThermometers answered an error document: '<error>Something failed</" in error
        assert captured.rows("thermometer") == []

    def test_a_root_holding_a_rejected_key_message_is_a_rejected_key(self, captured, api):
        api.script("getBlastResults", (200, "<?xml version='1.0'?><error>Invalid API Key</error>"))
        with pytest.raises(AuthenticationError, match="rejected the API key"):
            run()
        assert len(api.queries) == 1 and captured.checkpoints == []

    @pytest.mark.parametrize("body", ["Method not allowed", "", "12abc", "NaN"])
    def test_a_metric_that_is_not_a_number_gets_no_row(self, captured, api, body):
        api.script("getHappinessValue", (200, body))
        run()
        names = {row["metric_name"] for row in captured.rows("metric")}
        assert "happiness" not in names and "nps" in names
        assert any("getHappinessValue" in m for m in captured.messages("warning"))

    @pytest.mark.parametrize(
        "body, value", [("-12", -12.0), ("87", 87.0), ("2.35", 2.35), ("43.5\n", 43.5)]
    )
    def test_metric_values_are_decimal_numbers(self, captured, api, body, value):
        api.script("getNPSValue", (200, body))
        run()
        (row,) = [row for row in captured.rows("metric") if row["metric_name"] == "nps"]
        assert row["metric_value"] == value
        assert row["from_date"] == "1970-01-01" and row["to_date"] == UPPER
        assert row["recorded_at"] == "2026-11-26T15:30:00Z"

    def test_send_quota_has_no_date_range(self, captured, api):
        run(from_date="2025-01-01")
        (quota,) = [row for row in captured.rows("metric") if row["metric_name"] == "send_quota"]
        assert quota["metric_value"] == 4250.0 and "from_date" not in quota
        (nps,) = [row for row in captured.rows("metric") if row["metric_name"] == "nps"]
        assert nps["from_date"] == "2025-01-01"
        assert "fromDate" not in api.sent("getSendQuota")[0]


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

    def test_unknown_fields_are_kept_as_text_and_nested_ones_flattened(self, captured, api):
        record = keyed_record(
            nps_segment="0123",
            location="<country>GB</country><region><city>Leeds</city></region>",
        )
        api.script("getBlastResults", (200, blast_xml(record)))
        run_scripted(api)
        (row,) = captured.rows("blast_result")
        assert row["nps_segment"] == "0123"
        assert row["location_country"] == "GB"
        assert row["location_region_city"] == "Leeds"
        assert "location" not in row

    def test_comment_record_with_comment_field_is_one_record(self, captured, api):
        body = blast_xml(
            {"response_id": "5", "comment": "nice", "date_submitted": "2026-11-20 08:15:00"},
            root="comments",
            tag="comment",
        )
        api.script("getComments", (200, body))
        run_scripted(api)
        assert captured.rows("comment") == [
            {"response_id": 5, "comment": "nice", "date_submitted": datetime(2026, 11, 20, 8, 15)}
        ]

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


BLAST_ROOT, BLAST_RECORD = "thermometer_blast_responses", "thermometer_blast_response"


def blast_answer(records):
    """Return a getBlastResults body of records given as (response_id, comment, note): the
    length of an attribute that makes the start tag long (none for 0)."""
    tags = []
    for response_id, comment, note in records:
        attribute = f' note="{"n" * note}"' if note else ""
        tags.append(
            f"<{BLAST_RECORD}{attribute}><response_id>{response_id}</response_id>"
            f"<comment>{comment}</comment></{BLAST_RECORD}>\n"
        )
    return (f"<{BLAST_ROOT}>\n" + "".join(tags) + f"</{BLAST_ROOT}>\n").encode()


def in_pieces(body, size):
    """Return body as a stream of pieces of size bytes, as the network might deliver it."""
    return (body[i : i + size] for i in range(0, len(body), size))


@UNDER_EVERY_PARSER
class TestParser:
    @pytest.fixture
    def blast_body(self, fake):
        """A getBlastResults answer of the small stand-in data set (60 records)."""
        return fake.answer({"getMethod": "getBlastResults", "apiKey": fake.api_key})[2]

    def test_a_parser_fed_byte_by_byte_yields_the_same_records(self, blast_body):
        whole = list(iter_records([blast_body], list_shape()))
        one_by_one = list(iter_records(in_pieces(blast_body, 1), list_shape()))
        assert len(whole) == 60
        assert one_by_one == whole

    def test_the_parser_is_fed_small_pieces_of_large_chunks(self, blast_body, monkeypatch):
        # Fed 64 KB at once, the parser builds ~2,000 elements together, above the garbage
        # collector's threshold: collections then double the parsing time.
        fed = []
        parser_class = xml_stream.XMLParser

        class Spy(parser_class):
            def feed(self, data):
                fed.append(len(data))
                super().feed(data)

        monkeypatch.setattr(xml_stream, "XMLParser", Spy)
        assert len(blast_body) > 40000
        records = list(iter_records([blast_body], list_shape()))
        assert len(records) == 60
        # A piece's tail from its last "<" is fed with the next (see XmlRepair): at most two.
        assert sum(fed) == len(blast_body) and max(fed) <= 2 * 8192

    def test_the_parser_a_test_names_is_the_one_that_parses(self, blast_body, xml_parser):
        made = getattr(xml_parser, "made", None)
        assert len(list(iter_records([blast_body], list_shape()))) == 60
        if made is not None:  # the deferring double: it was made, so it parsed
            assert xml_parser.made > made

    @pytest.mark.parametrize("size", [16, 1460, 4096])
    def test_unreadable_records_among_long_start_tags_are_skipped_whatever_the_pieces(self, size):
        # Start tags of 5 KB: a parser that hands its events on late shows a record's start
        # while the next start tag is still arriving; the skip must find the record all the same.
        body = blast_answer([(i, "a<br>b" if i % 3 == 2 else "ok", 5000) for i in range(6)])
        shape = list_shape()
        records = list(iter_records(in_pieces(body, size), shape))
        assert [r["response_id"] for r in records if r] == ["0", "1", "3", "4"]
        assert shape.unreadable == 2 and shape.unreadable_ids == ["2", "5"]

    @pytest.mark.parametrize("note", [0, 2000])
    def test_unreadable_records_under_a_small_bound_are_no_record_too_large(self, note):
        # Records of at most 2 KB, every other one unreadable, under a bound of 20,000 bytes:
        # the records a skip hands on count as handed on.
        body = blast_answer([(i, "a<br>b" if i % 2 else "ok", note) for i in range(40)])
        shape = list_shape()
        records = list(iter_records(in_pieces(body, 1000), shape, max_record_bytes=20000))
        assert len([r for r in records if r]) == 20 and shape.unreadable == 20

    @pytest.mark.parametrize("first", [0, 40000])
    def test_a_record_past_the_size_bound_is_refused_whatever_the_parser(self, first):
        # A record of 80 KB under a bound of 60,000 bytes, after one whose start tag alone is
        # 40 KB (a deferring parser shows the second record's start late) or a small one.
        body = (
            f"<{BLAST_ROOT}>"
            f'<{BLAST_RECORD} note="{"a" * first}"><response_id>1</response_id></{BLAST_RECORD}>'
            f"<{BLAST_RECORD}><response_id>2</response_id><comment>{'t' * 80000}</comment>"
            f"</{BLAST_RECORD}></{BLAST_ROOT}>"
        ).encode()
        with pytest.raises(ApiError, match="a record larger than 60,000 bytes"):
            list(iter_records(in_pieces(body, 8192), list_shape(), max_record_bytes=60000))

    def test_records_far_under_the_size_bound_are_read_whenever_the_parser_hands_them_on(
        self, blast_body
    ):
        # Records of under 1,000 bytes, an answer of over 40,000 and a bound of 5,000: a parser
        # that held its events back past the bound must be made to hand them on.
        pieces = in_pieces(blast_body, 1000)
        records = list(iter_records(pieces, list_shape(), max_record_bytes=5000))
        assert records == list(iter_records([blast_body], list_shape()))
        assert len(records) == 60

    def test_records_are_released_once_handed_on(self, blast_body, monkeypatch):
        handed_on = []
        read_fields = xml_stream.record_fields

        def spy(record, names):
            handed_on.append(weakref.ref(record))
            return read_fields(record, names)

        monkeypatch.setattr(xml_stream, "record_fields", spy)
        # Pieces shorter than a record: at most one record ends per piece.
        pieces = in_pieces(blast_body, 100)
        for index, _ in enumerate(iter_records(pieces, list_shape())):
            assert all(ref() is None for ref in handed_on[:index])  # earlier records freed
            assert handed_on[index]() is not None
        assert len(handed_on) == 60

    @pytest.mark.parametrize("size", [1, 100, 4096, 10**6])
    def test_a_record_the_parser_cannot_read_is_skipped_and_the_rest_read(self, blast_body, size):
        whole = list(iter_records([blast_body], list_shape()))
        cut = blast_body.index(b"<response_id>", 20000)  # an unclosed tag before a record's id
        shape = list_shape()
        broken = blast_body[:cut] + b"<oops>" + blast_body[cut:]
        read = list(iter_records(in_pieces(broken, size), shape))
        (index,) = [index for index, fields in enumerate(read) if not fields]
        assert 0 < index < 59 and shape.unreadable == 1
        assert read[:index] + read[index + 1 :] == whole[:index] + whole[index + 1 :]
        assert shape.unreadable_ids == [whole[index]["response_id"]]

    def test_parse_errors_outside_a_record_are_raised(self, blast_body):
        cut = blast_body.index(b"<thermometer_blast_response>", 20000)
        broken = blast_body[:cut] + b"</oops>" + blast_body[cut:]
        with pytest.raises(ApiError, match="malformed XML: mismatched tag"):
            list(iter_records(in_pieces(broken, 4096), list_shape()))

    def test_a_comment_record_holding_a_comment_field_is_one_record(self):
        body = (
            "<comments><comment><comment>hi</comment><response_id>1</response_id></comment>"
            "</comments>"
        )
        assert records_of(body, "comment") == [{"comment": "hi", "response_id": "1"}]

    @pytest.mark.parametrize(
        "tag, name",
        [
            ("TemperatureID", "temperature_id"),
            ("ID", "id"),
            ("custom_1", "custom_1"),
            ("Custom_1", "custom_1"),
            ("blastID", "blast_id"),
            ("DateSubmitted", "date_submitted"),
            ("XMLData", "xml_data"),
            ("first-name", "first_name"),
            ("{urn:ct}ResponseID", "response_id"),
        ],
    )
    def test_names_are_normalised_as_fivetran_names_columns(self, tag, name):
        assert normalised_name(tag) == name

    def test_capitalised_and_namespaced_names_are_read(self):
        body = (
            '<ct:Thermometers xmlns:ct="urn:ct"><ct:Thermometer><ct:ID>1</ct:ID>'
            "<ct:Name>Support</ct:Name></ct:Thermometer></ct:Thermometers>"
        )
        shape = list_shape("thermometer")
        assert records_of(body, shape=shape) == [{"id": "1", "name": "Support"}]
        assert shape.other_names() == (["Thermometers"], ["Thermometer"])

    def test_attributes_are_fields_and_nested_attributes_are_flattened(self):
        body = (
            '<thermometers><thermometer id="101" name="Support &amp; Care"/>'
            '<thermometer ID="102"><Name>Sales</Name><location country="GB"/></thermometer>'
            "</thermometers>"
        )
        assert records_of(body, "thermometer") == [
            {"id": "101", "name": "Support & Care"},
            {"id": "102", "name": "Sales", "location_country": "GB"},
        ]

    def test_nested_fields_are_flattened_and_never_overwrite_a_field(self):
        body = (
            "<comments><comment><response><id>999</id></response><response_id>1</response_id>"
            "<a><b><c>deep</c></b></a></comment></comments>"
        )
        assert records_of(body, "comment") == [
            {"response_id": "1", "response_id_2": "999", "a_b_c": "deep"}
        ]

    def test_mixed_content_keeps_all_its_text(self):
        body = "<comments><comment><comment>Hello <b>bold</b> world</comment></comment></comments>"
        assert records_of(body, "comment") == [{"comment": "Hello bold world"}]

    def test_a_record_nesting_too_deep_is_an_error_not_a_crash(self):
        body = "<comments><comment>" + "<a>" * 5000 + "x" + "</a>" * 5000 + "</comment></comments>"
        with pytest.raises(ApiError, match="deeper than 32 levels"):
            records_of(body, "comment")

    def test_records_without_any_field_are_skipped_and_counted(self):
        shape = list_shape("comment")
        body = (
            "<comments><comment><response_id>1</response_id></comment><note>x</note><comment/>"
            "</comments>"
        )
        assert records_of(body, shape=shape) == [{"response_id": "1"}]
        assert shape.empty_records == 2
        assert shape.records == {"comment", "note"}

    def test_the_shape_names_fields_the_schema_does_not_declare(self):
        shape = list_shape("thermometer")
        records_of(
            "<thermometers><thermometer><id>1</id><colour>red</colour></thermometer></thermometers>",
            shape=shape,
        )
        assert shape.undeclared() == ["colour"]
        assert shape.other_names() is None

    @pytest.mark.parametrize(
        "body",
        [
            '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "777">]><r><x>&a;</x></r>',
            '<!-- <a --><!DOCTYPE r [<!ENTITY a "777">]><r><x>&a;</x></r>',
            '<?xml version="1.0"?>\n<!-- a comment --> <?pi x?>\n<!DOCTYPE r><r/>',
        ],
    )
    def test_a_dtd_is_refused_after_any_prolog(self, body):
        with pytest.raises(ApiError, match="DTD"):
            records_of(body)

    def test_white_space_before_the_root_is_read_once(self):
        body = (
            b" " * 300000
            + b"\n<comments><comment><response_id>1</response_id></comment></comments>"
        )
        records = list(iter_records(in_pieces(body, 8192), list_shape("comment")))
        assert records == [{"response_id": "1"}]
        with pytest.raises(ApiError, match="longer than 64 KB"):
            records_of('<?xml version="1.0"?>' + " " * 70000 + "<comments/>", "comment")


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

    def test_an_answer_whose_records_all_lack_the_key_fails_the_table(self, captured, api):
        body = "<response><error><code>7</code><message>try later</message></error></response>"
        api.script("getThermometers", (200, body))
        with pytest.raises(RuntimeError, match="thermometer"):
            run()
        (error,) = captured.messages("error")
        assert "none with the primary key" in error and "getThermometers" in error

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


def keys(rows):
    """Return the primary keys of blast_result rows, in the order they were upserted."""
    return [
        (r["blast_id"], r["response_id"], r["thermometer_id"], r["date_submitted"]) for r in rows
    ]


def truth_keys(fake):
    """Return the primary keys of every blast_result row the stand-in holds, sorted."""
    return sorted(keys(fake.truth("blast_result")))


def window(start, end, **options):
    """Return a Window of days start..end (text)."""
    return new_window(day(start), day(end), **options)


def spans(windows):
    """Return windows as (start, end, temperature, blast) tuples of text (checks as "check")."""
    return [
        "check"
        if isinstance(w, GroupCheck)
        else (w.start.isoformat(), w.end.isoformat(), w.temperature, w.blast)
        for w in windows
    ]


def sync_context(state=None):
    """Return the SyncContext of a sync with a valid configuration."""
    return SyncContext(connector.validate_configuration(configuration()), state or {})


def answer_of(*days, table="blast_result", count=None):
    """Return an Answer that held one record on each day (text), keyed by its position."""
    answer = Answer()
    for number, text in enumerate(days):
        submitted = datetime.fromisoformat(f"{text} 12:00:00")
        answer.add({"date_submitted": submitted, "blast_id": 9000 + number % 2}, ("key", number))
    answer.count = count or len(days)
    return answer


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

    def test_a_capped_account_takes_few_requests(self, captured, api):
        api.fake = FakeCustomerThermometer(
            responses=1000, days=700, seed=3, api_key=API_KEY, today=TODAY, cap=100
        )
        run()
        for method, table in (("getBlastResults", "blast_result"), ("getComments", "comment")):
            rows = len(api.fake.truth(table))
            sent = len(api.sent(method))
            if table == "blast_result":  # and its counts (the metric's is from 1970)
                sent += len(
                    [q for q in api.sent("getNumResponsesValue") if q["fromDate"] > "1970"]
                )
            assert sent <= 2 * rows / 100 + 6, method

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


def capped_account(**options):
    """Return a stand-in of 400 responses over 200 days that answers at most 20 records."""
    return FakeCustomerThermometer(
        responses=400, days=200, seed=9, api_key=API_KEY, today=TODAY, cap=20, **options
    )


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


class TestState:
    def test_from_date_is_used_only_without_state(self, captured, api):
        run(state={"comment_cursor": "2026-11-20"}, from_date="2025-06-01")
        assert api.sent("getComments")[0]["fromDate"] == "2026-11-18"
        assert api.sent("getBlastResults")[0]["fromDate"] == "2025-06-01"

    def test_lookback_days_reads_again_before_the_cursor(self, captured, api):
        run(
            state={"comment_cursor": "2026-11-20", "blast_result_cursor": "2026-11-20"},
            lookback_days="0",
        )
        assert api.sent("getComments")[0]["fromDate"] == "2026-11-20"
        assert api.sent("getBlastResults")[0]["fromDate"] == "2026-11-20"
        before = len(api.sent("getComments"))
        run(state={"comment_cursor": "2026-11-20"}, lookback_days="10")
        assert api.sent("getComments")[before]["fromDate"] == "2026-11-10"

    def test_legacy_last_sync_keys_are_read_as_the_cursor(self, captured, api):
        state = {
            "comment_last_sync": "2026-10-01T12:34:56Z",
            "blast_result_last_sync": "2026-10-05T23:00:00+00:00",
        }
        run(state=state)
        assert api.sent("getComments")[0]["fromDate"] == "2026-09-29"
        assert api.sent("getBlastResults")[0]["fromDate"] == "2026-10-03"
        final = captured.checkpoints[-1]
        assert final["comment_cursor"] == TODAY.isoformat()
        assert "comment_last_sync" not in final

    def test_a_corrupt_cursor_is_a_clear_error_before_any_request(self, captured, api):
        with pytest.raises(ValueError, match="blast_result_cursor"):
            run(state={"blast_result_cursor": "yesterday"})
        assert captured.checkpoints == [] and api.queries == []

    def test_exactly_one_checkpoint_advances_the_state_at_the_end(self, captured, api):
        start = {"comment_cursor": "2026-11-01", "unrelated": "kept"}
        run(state=start)
        assert len(captured.checkpoints) == 1
        assert captured.checkpoints[0] == {
            "comment_cursor": TODAY.isoformat(),
            "blast_result_cursor": TODAY.isoformat(),
            "unrelated": "kept",
        }
        assert captured.upserts  # the checkpoint came after the rows

    def test_a_failed_table_keeps_its_cursor_while_the_others_advance(self, captured, api):
        api.script("getComments", *[(503, "down")] * 4)
        start = {"comment_cursor": "2026-11-01", "blast_result_cursor": "2026-11-01"}
        with pytest.raises(RuntimeError) as raised:
            run(state=start)
        assert "comment" in str(raised.value) and "blast_result" not in str(raised.value)
        (final,) = captured.checkpoints
        assert final["comment_cursor"] == "2026-11-01"
        assert final["blast_result_cursor"] == TODAY.isoformat()
        assert captured.rows("thermometer") and captured.rows("metric")

    def test_every_ten_thousand_upserts_commit_the_start_state(self, captured, api, monkeypatch):
        monkeypatch.setitem(SYNC_LIMITS, "checkpoint_every_rows", 10)
        start = {"comment_cursor": "2026-10-01"}
        run(state=start)
        total = len(captured.upserts)
        assert total > 50
        intermediate, final = captured.checkpoints[:-1], captured.checkpoints[-1]
        assert intermediate == [start] * (total // 10)
        assert final["comment_cursor"] == TODAY.isoformat()


class TestSecrecy:
    def test_mask_secrets_masks_plain_encoded_and_url_forms(self):
        key = "a+b/c=d-0123456789"
        encoded = "a%2Bb%2Fc%3Dd-0123456789"
        text = f"GET https://x/api.php?getMethod=m&apiKey={encoded} {key} {encoded}"
        masked = mask_secrets(text, key)
        assert "0123456789" not in masked and "***" in masked

    def test_the_api_key_never_reaches_a_log_line_or_exception(self, captured, api):
        url = f"{connector.validate_configuration(configuration())['base_url']}?apiKey={API_KEY}"
        api.script("getComments", *[requests.exceptions.ConnectionError(f"failed: {url}")] * 4)
        api.script("getBlastResults", (200, f"Error for {API_KEY}: method unavailable"))
        api.script("getThermometers", requests.exceptions.ReadTimeout(f"timed out: {url}"))
        api.script("getRecipientLists", (404, f"<html>not found {url}</html>"))
        api.script("getNPSValue", (200, f"nothing for key {API_KEY}"[:0] + f"bad {url}"))
        with pytest.raises(Exception) as raised:
            run()
        texts = [message for _, message in captured.logs] + [str(raised.value)]
        assert any("comment" in t for t in texts)
        assert len(captured.messages("error")) >= 3
        for text in texts:
            assert API_KEY not in text
        exception = raised.value
        while exception is not None:
            assert API_KEY not in str(exception)
            exception = exception.__cause__ or exception.__context__


class TestSetupForm:
    def test_form_fields_and_test(self):
        form = connector.configuration_form().to_response()
        fields = {field.name: field for field in form.fields}
        assert set(fields) == {"api_key", "from_date", "lookback_days", "base_url"}
        assert not fields["base_url"].required and "http(s) URL" in fields["base_url"].description
        assert fields["api_key"].required
        assert fields["from_date"].placeholder and fields["lookback_days"].description
        assert [test.label for test in form.tests] == ["Check the API key"]

    def test_check_api_key_succeeds_with_a_good_key(self, captured, api):
        assert connector.check_api_key(configuration()).success
        assert api.sent("getSendQuota")

    def test_check_api_key_fails_plainly_for_a_rejected_key(self, captured, api):
        api.fake.api_key = "another-key-entirely"
        result = connector.check_api_key(configuration())
        assert "rejected the API key" in result.failure
        assert API_KEY not in result.failure

    def test_check_api_key_fails_plainly_when_unreachable(self, captured, api):
        api.script(
            "getSendQuota", *[requests.exceptions.ConnectionError(f"refused apiKey={API_KEY}")] * 4
        )
        result = connector.check_api_key(configuration())
        assert "Could not reach Customer Thermometer" in result.failure
        assert API_KEY not in result.failure

    def test_schema_declares_every_table_with_its_keys(self):
        tables = {table["table"]: table for table in connector.schema({})}
        assert list(tables) == ALL_TABLES
        assert tables["blast_result"]["primary_key"] == [
            "blast_id",
            "response_id",
            "thermometer_id",
            "date_submitted",
        ]
        assert tables["comment"]["columns"]["date_submitted"] == "NAIVE_DATETIME"
        assert tables["metric"]["columns"]["recorded_at"] == "UTC_DATETIME"


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


def history_days(state, table="blast_result"):
    """Return the days a saved state leaves a table's history to read."""
    return sum(
        (day(last) - day(first)).days + 1 for first, last in state.get(f"{table}_history", [])
    )


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

    def test_a_gateway_time_out_on_one_day_is_retried(self, captured, api):
        api.script("getBlastResults", (504, "Gateway Time-out"))
        run(state={"blast_result_cursor": UPPER}, lookback_days="0")
        first, again = api.sent("getBlastResults")[:2]
        assert (
            (first["fromDate"], first["toDate"])
            == (UPPER, UPPER)
            == (
                again["fromDate"],
                again["toDate"],
            )
        )
        assert captured.sleeps == [1]

    def test_the_cursor_is_the_newest_day_the_answers_held(self, captured, api):
        api.fake = FakeCustomerThermometer(
            responses=60, days=30, seed=5, api_key=API_KEY, today=TODAY - timedelta(days=5)
        )
        newest = max(r["date_submitted"] for r in api.fake.truth("blast_result")).date()
        assert newest < TODAY
        run()
        assert captured.checkpoints[-1]["blast_result_cursor"] == newest.isoformat()
        run(state=captured.checkpoints[-1], lookback_days="0")
        assert api.sent("getBlastResults")[-2]["fromDate"] == newest.isoformat()

    def test_the_cursor_never_moves_back_nor_past_tomorrow(self, captured, api):
        api.fake = FakeCustomerThermometer(
            responses=60, days=30, seed=5, api_key=API_KEY, today=TODAY - timedelta(days=9)
        )  # nothing after 2026-11-17
        api.script("getBlastResults", (200, blast_xml(keyed_record())))  # dated 2026-11-20
        run(state={"blast_result_cursor": "2026-11-24", "comment_cursor": "2026-11-24"})
        assert captured.checkpoints[-1]["blast_result_cursor"] == "2026-11-24"
        late = keyed_record(date_submitted="2099-01-01 00:00:00")
        api.script("getBlastResults", (200, blast_xml(late)))
        run(state={"blast_result_cursor": "2026-11-24", "comment_cursor": "2026-11-24"})
        assert captured.checkpoints[-1]["blast_result_cursor"] == UPPER

    def test_a_table_that_fails_midway_keeps_what_it_proved(self, captured, api):
        api.fake = capped_account()
        calls = {"n": 0}
        original = api.fake.answer

        def failing_after_three(query):
            if query.get("getMethod") == "getBlastResults":
                calls["n"] += 1
                if calls["n"] > 3:
                    return 503, {}, b"down"
            return original(query)

        api.fake.answer = failing_after_three
        with pytest.raises(RuntimeError, match="blast_result"):
            run()
        state = captured.checkpoints[-1]
        landed = set(keys(captured.rows("blast_result")))
        # The newest records landed, the cursor is the newest day they hold, and the days not
        # proven are saved to read.
        assert state["blast_result_cursor"] == max(k[3] for k in landed).date().isoformat()
        assert 0 < history_days(state) < (TODAY - day("1970-01-01")).days
        api.fake.answer = original
        run(state=state)
        assert "blast_result_history" not in captured.checkpoints[-1]
        assert sorted(set(keys(captured.rows("blast_result")))) == truth_keys(api.fake)

    def test_recent_days_come_first_then_the_history_newest_first(
        self, captured, api, monkeypatch
    ):
        state = {
            "blast_result_cursor": "2026-11-20",
            "blast_result_history": [["2026-10-01", "2026-10-10"], ["2026-11-01", "2026-11-05"]],
        }
        run(state=state, from_date="2026-10-05")
        sent = [(q["fromDate"], q["toDate"]) for q in api.sent("getBlastResults")]
        recent = sent.index(("2026-11-18", UPPER))
        newer, older = (
            sent.index(("2026-11-01", "2026-11-05")),
            sent.index(
                ("2026-10-05", "2026-10-10")  # from_date cuts what lies before it
            ),
        )
        assert recent < newer < older
        assert "blast_result_history" not in captured.checkpoints[-1]
        history = {
            k
            for k in truth_keys(api.fake)
            if day("2026-11-01") <= k[3].date() <= day("2026-11-05")
        }
        assert history <= set(keys(captured.rows("blast_result")))

    def test_history_waits_for_half_the_requests_at_most(self, captured, api, monkeypatch):
        api.fake = capped_account()
        monkeypatch.setitem(SYNC_LIMITS, "max_windows_per_table", 8)
        state = {
            "blast_result_cursor": "2026-06-01",
            "blast_result_history": [["2026-01-01", "2026-01-31"]],
        }
        run(state=state)
        sent = [(q["fromDate"], q["toDate"]) for q in api.sent("getBlastResults")]
        assert ("2026-01-01", "2026-01-31") in sent[:8]

    @pytest.mark.parametrize(
        "saved",
        ["2026-01-01", [["2026-01-05", "2026-01-01"]], [["x", "2026-01-01"]], [["2026-01-01"]]],
    )
    def test_a_corrupt_history_is_a_clear_error_before_any_request(self, captured, api, saved):
        with pytest.raises(ValueError) as raised:
            run(state={"blast_result_cursor": "2026-11-20", "blast_result_history": saved})
        assert "State 'blast_result_history'" in str(raised.value)
        assert "expected a list of [first, last] days" in str(raised.value)
        assert captured.checkpoints == [] and api.queries == []

    def test_history_days_outside_1970_to_tomorrow_are_a_state_error(self, captured, api):
        with pytest.raises(ValueError, match="State 'comment_history'.*not between 1970-01-01"):
            run(
                state={
                    "comment_cursor": "2026-11-20",
                    "comment_history": [["1969-01-01", "1970-02-01"]],
                }
            )

    def test_metrics_count_every_response_and_are_computed_over_that_count(self, captured, api):
        run()
        (counted,) = api.sent("getNumResponsesValue")[-1:]
        assert "limit" not in counted and counted["fromDate"] == "1970-01-01"
        for method in ["getResponseRateValue", "getTempRatingValue", "getNPSValue"]:
            assert [q["limit"] for q in api.sent(method)] == ["60"], method
        rows = {row["metric_name"]: row for row in captured.rows("metric")}
        assert rows["num_responses"]["metric_value"] == 60
        assert {rows[name]["responses_counted"] for name in ("nps", "happiness")} == {60}
        assert "responses_counted" not in rows["send_quota"]

    def test_metrics_without_a_count_say_so(self, captured, api):
        api.script("getNumResponsesValue", *[(200, "n/a")] * 20)
        run(state=SCRIPTED_STATE)
        assert [q["limit"] for q in api.sent("getNPSValue")] == ["10000"]
        rows = {row["metric_name"]: row for row in captured.rows("metric")}
        assert "num_responses" not in rows and rows["nps"]["responses_counted"] is None

    @pytest.mark.parametrize("keep", ["newest", "oldest", "latest_id"])
    def test_a_first_sync_stopped_by_its_budget_holds_the_newest_week_whatever_a_cut_keeps(
        self, captured, api, monkeypatch, keep
    ):
        api.fake = capped_account(keep=keep)
        monkeypatch.setitem(SYNC_LIMITS, "max_windows_per_table", 24)
        run()
        state = captured.checkpoints[-1]
        assert history_days(state) > 0  # the budget stopped it
        week = {k for k in truth_keys(api.fake) if k[3].date() >= TODAY - timedelta(days=6)}
        assert week and week <= set(keys(captured.rows("blast_result")))

    def test_past_half_its_budget_a_first_sync_reads_the_newest_week_next(self, captured):
        context = sync_context()
        walk = context.walk("blast_result")
        root = window("1970-01-01", UPPER)
        newer, older = window("2026-06-01", UPPER), window("2026-01-01", "2026-05-31")
        # Read in the order that proves them best, the older part would come first.
        order = reordered(context, walk, [newer, older], [root])
        assert spans(order) == [
            ("2026-01-01", "2026-05-31", None, None),
            ("2026-06-01", "2026-11-19", None, None),
            ("2026-11-20", UPPER, None, None),  # today's week: read next
        ]

    def test_past_half_its_budget_a_sync_reads_the_history_it_has_not_begun(self, captured):
        context = sync_context()
        walk = context.walk("blast_result")
        history, recent = window("2020-01-01", "2020-12-31"), window("2026-11-18", UPPER)
        part = window("2026-11-22", UPPER)
        order = reordered(context, walk, [history, part], [history, recent])
        assert order == [part, history]


def refused():
    """Return the error requests raises when a connection is refused (as urllib3 wraps it)."""
    from requests.packages.urllib3.exceptions import MaxRetryError, NewConnectionError

    cause = NewConnectionError(None, "Failed to establish a new connection: [Errno 111] refused")
    return requests.exceptions.ConnectionError(MaxRetryError(None, BASE_URL, cause))


def unresolved():
    """Return the error requests raises when the host name does not resolve."""
    from requests.packages.urllib3.exceptions import MaxRetryError, NameResolutionError

    cause = NameResolutionError("ct.example.test", None, "[Errno -2] Name or service not known")
    return requests.exceptions.ConnectionError(MaxRetryError(None, BASE_URL, cause))


class TestUnreachable:
    @pytest.mark.parametrize(
        ("error", "said"), [(refused, "refused"), (unresolved, "Name or service not known")]
    )
    def test_an_unreachable_host_stops_the_sync_after_one_tables_retries(
        self, captured, api, error, said
    ):
        api.script("getBlastResults", *[error() for _ in range(4)])  # the first table
        with pytest.raises(RuntimeError) as raised:
            run(state=SCRIPTED_STATE)
        message = str(raised.value)
        assert "could not be reached at ct.example.test" in message and said in message
        assert "comment, recipient_list, thermometer, metric" in message
        assert len(api.queries) == 4 and captured.sleeps == [1, 2, 4]  # no other table tried
        assert captured.checkpoints == [SCRIPTED_STATE]  # every cursor kept
        assert API_KEY not in message

    def test_tables_read_before_the_host_went_away_keep_what_they_read(self, captured, api):
        api.script("getComments", *[refused() for _ in range(4)])
        with pytest.raises(
            RuntimeError,
            match=r"Not read, or not whole \(only what they proved is saved\): comment, rec",
        ):
            run(state=SCRIPTED_STATE)
        state = captured.checkpoints[-1]
        assert state["blast_result_cursor"] != SCRIPTED_STATE["blast_result_cursor"]
        assert state["comment_cursor"] == SCRIPTED_STATE["comment_cursor"]
        assert {q["getMethod"] for q in api.queries} <= {
            "getBlastResults",
            "getComments",
            "getNumResponsesValue",
        }

    def test_a_connection_that_breaks_once_made_fails_only_its_table(self, captured, api):
        api.script("getThermometers", *[requests.exceptions.ConnectionError("reset")] * 4)
        with pytest.raises(RuntimeError, match="failed for thermometer"):
            run()
        assert len(captured.rows("metric")) == 6  # the tables after it were read

    def test_the_setup_test_names_the_host_it_could_not_reach(self, captured, api):
        api.script("getSendQuota", *[refused() for _ in range(4)])
        failure = connector.check_api_key(configuration()).failure
        assert "Could not reach Customer Thermometer at ct.example.test" in failure


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
        answer = fetch_list(sync_context(), "thermometer", {}, delivered={None: ids})
        assert answer.count == 200 and answer.new == 0  # all upserted before
        said = [m for m in captured.messages("info") if " so far, " in m]
        # Looked at after 64, 128 and 192 records, and at the answer's end.
        assert len(said) == 4 and said[0].startswith("thermometer: 0 rows so far")

    def test_counts_read_as_english(self):
        assert count_of(1, "request") == "1 request"
        assert count_of(0, "row") == "0 rows"
        assert count_of(12500, "row") == "12,500 rows"


class TestTheCursorsDay:
    def test_a_sync_that_stops_before_proving_the_saved_cursors_day_leaves_it_to_read(
        self, captured, api, monkeypatch
    ):
        # A day fuller than the cap is the newest the first sync's answers held; newer
        # responses arrive; the next sync stops on its budget before proving that day.
        api.fake = FakeCustomerThermometer(
            responses=0, cap=50, seed=3, api_key=API_KEY, today=TODAY
        )
        api.fake.add_responses(300, days_ago=tuple(range(3, 20)))
        full_day = api.fake.add_responses(120, days_ago=(3,))[0]["date_submitted"].date()
        monkeypatch.setitem(SYNC_LIMITS, "max_windows_per_table", 1)
        with pytest.raises(RuntimeError, match="blast_result, comment"):
            run()  # one answer, cut: no day proven, but its cursor and history are saved
        state = captured.checkpoints[-1]
        assert state["blast_result_cursor"] == full_day.isoformat()
        api.fake.add_responses(90, days_ago=(0, 1, 2))
        monkeypatch.setitem(SYNC_LIMITS, "max_windows_per_table", 2)
        with pytest.raises(RuntimeError, match="blast_result, comment"):
            run(state=state)  # it read newer records, but proved no day: a failure to see
        state = captured.checkpoints[-1]
        assert any(
            day(first) <= full_day <= day(last) for first, last in state["blast_result_history"]
        ), state
        monkeypatch.setitem(SYNC_LIMITS, "max_windows_per_table", 5000)
        for _ in range(3):
            run(state=state)
            state = captured.checkpoints[-1]
        assert "blast_result_history" not in state
        assert sorted(set(keys(captured.rows("blast_result")))) == truth_keys(api.fake)
        comments = {row["response_id"] for row in captured.rows("comment")}
        assert comments == {row["response_id"] for row in api.fake.truth("comment")}
