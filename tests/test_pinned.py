"""Unit tests that pin the details a user meets: the setup form, each conversion, the counts in a
table's summary line, what every request asks of `requests`, and what each failure says."""

from datetime import datetime, timedelta

import pytest
import requests

import connector
from customer_thermometer import answers
from customer_thermometer.client import is_read_timeout, read_snippet, stream_body
from customer_thermometer.config import is_http_url
from customer_thermometer.context import SyncContext
from customer_thermometer.errors import (
    ApiError,
    AuthenticationError,
    TransientError,
    UnexpectedBodyError,
)
from customer_thermometer.masking import mask_secrets
from customer_thermometer.rows import build_row
from customer_thermometer.specs import SYNC_LIMITS
from customer_thermometer.xml_stream import iter_records
from tests.conftest import API_KEY, TODAY, UNDER_EVERY_PARSER, configuration
from tests.test_connector import SCRIPTED_SUMMARY, blast_xml, list_shape, run, run_scripted

PASSWORD, PLAIN = (
    connector.form_field.TextField.password,
    connector.form_field.TextField.plain_text,
)


def test_the_setup_form_field_by_field():
    form = connector.configuration_form().to_response()
    fields = [
        (f.name, f.label, f.text_field, f.required, f.description, f.placeholder)
        for f in form.fields
    ]
    assert fields == [
        (
            "api_key",
            "API key",
            PASSWORD,
            True,
            "Your Customer Thermometer API key (Account settings > API).",
            None,
        ),
        (
            "from_date",
            "Sync responses from",
            PLAIN,
            False,
            "Where the first sync starts, as YYYY-MM-DD. Later syncs continue from their saved "
            "state. Default: 1970-01-01 (everything).",
            "2024-01-01",
        ),
        (
            "lookback_days",
            "Lookback days",
            PLAIN,
            False,
            "How many days before the last sync each sync reads again, for responses that reach "
            "the API late. A whole number from 0 to 365. Default: 2.",
            "2",
        ),
        (
            "base_url",
            "API URL",
            PLAIN,
            False,
            "Where to send requests, for a proxy or a stand-in of the API. An http(s) URL with a "
            "host. Default: https://app.customerthermometer.com/api.php.",
            "https://app.customerthermometer.com/api.php",
        ),
    ]
    assert [(t.name, t.label) for t in form.tests] == [("check_api_key", "Check the API key")]


@pytest.fixture
def context(captured):
    """A SyncContext of a valid configuration (its HTTP session unused)."""
    context = SyncContext(connector.validate_configuration(configuration()), {})
    yield context
    context.close()


def row_of(context, table="blast_result", **fields):
    """Return the row build_row() makes of a record with a whole key and these fields."""
    record = {"response_id": "1", "blast_id": "2", "thermometer_id": "3"}
    record["date_submitted"] = "2026-11-20 08:15:00"
    record.update(fields)
    return build_row(context, table, record)


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

    def test_retries_say_why_and_when(self, captured, api):
        api.script("getThermometers", (503, "busy"), (429, "", {"Retry-After": "3"}))
        run_scripted(api)
        retries = [m for m in captured.messages("warning") if m.startswith("getThermometers")]
        assert retries == [
            "getThermometers: HTTP 503; retry 1 of 3 in 1 s",
            "getThermometers: HTTP 429; retry 2 of 3 in 3 s",
        ]

    def test_every_request_streams_with_a_time_out(self, captured, api):
        run()
        assert api.request_options
        for options in api.request_options:
            assert options["timeout"] == 30 and options["stream"] is True


class TestFailuresSay:
    @pytest.mark.parametrize(
        "error, said",
        [
            (requests.exceptions.ConnectionError(f"reset by {API_KEY}"), "ConnectionError: reset"),
            (requests.exceptions.Timeout(f"slow {API_KEY}"), "Timeout: slow"),
            (
                requests.exceptions.ChunkedEncodingError(f"broken {API_KEY}"),
                "body cut short: broken",
            ),
        ],
    )
    def test_a_transient_failure_names_its_kind_without_the_key(self, captured, api, error, said):
        api.script("getThermometers", *[error] * 4)
        with pytest.raises(RuntimeError):
            run_scripted(api)
        (failure,) = captured.messages("error")
        assert f"getThermometers failed after 4 attempts: {said}" in failure
        assert API_KEY not in failure and "***" in failure

    def test_a_request_that_cannot_be_sent_is_not_retried(self, captured, api):
        api.script("getThermometers", requests.exceptions.InvalidURL(f"bad {API_KEY}"))
        with pytest.raises(RuntimeError):
            run_scripted(api)
        (failure,) = captured.messages("error")
        assert "getThermometers failed: InvalidURL: bad ***" in failure
        assert captured.sleeps == []

    def test_a_connection_error_on_a_long_window_is_retried_not_split(self, captured, api):
        api.script("getBlastResults", requests.exceptions.ConnectionError("reset"))
        run(from_date="2026-11-01")
        sent = [(q["fromDate"], q["toDate"]) for q in api.sent("getBlastResults")]
        assert sent[:2] == [("2026-11-01", (TODAY + timedelta(1)).isoformat())] * 2
        assert captured.sleeps == [1]

    def test_a_read_time_out_inside_a_connection_error_splits_a_long_window(self, captured, api):
        from requests.packages.urllib3.exceptions import ReadTimeoutError

        inner = ReadTimeoutError(None, "/api.php", "Read timed out.")
        api.script("getBlastResults", requests.exceptions.ConnectionError(inner))
        run(from_date="2026-11-01")
        first, half = api.sent("getBlastResults")[:2]
        assert (first["fromDate"], half["fromDate"], half["toDate"]) == (
            "2026-11-01",
            "2026-11-15",
            (TODAY + timedelta(1)).isoformat(),
        )
        assert captured.sleeps == []

    @pytest.mark.parametrize("status", [404, 418])
    def test_another_status_is_an_error_quoting_the_body(self, captured, api, status):
        api.script("getThermometers", (status, b"no such \xff thing " + API_KEY.encode()))
        with pytest.raises(RuntimeError):
            run_scripted(api)
        (failure,) = captured.messages("error")
        assert f"getThermometers answered HTTP {status}: 'no such \ufffd thing ***'" in failure

    def test_a_value_that_is_not_a_number_is_quoted(self, captured, api):
        api.script("getNPSValue", (200, "Please upgrade your plan"))
        run_scripted(api)
        assert (
            "metric: getNPSValue answered 'Please upgrade your plan', which is not a finite "
            "number; no row for nps" in captured.messages("warning")
        )

    def test_the_setup_test_says_what_went_wrong(self, captured, api):
        api.script("getSendQuota", (200, "Service paused"))
        assert connector.check_api_key(configuration()).failure == (
            "Customer Thermometer answered something other than the send quota: 'Service paused'"
        )
        api.fake.api_key = "another-key-entirely"
        assert connector.check_api_key(configuration()).failure == (
            "Customer Thermometer rejected the API key: check that it is a current API key."
        )
        assert connector.check_api_key(configuration(from_date="1-1-1")).failure == (
            "Configuration 'from_date' is '1-1-1': expected a real date as YYYY-MM-DD, such as "
            "2024-01-31."
        )

    def test_long_values_are_shown_cut_to_forty_characters(self, captured):
        with pytest.raises(ValueError) as raised:
            connector.validate_configuration(configuration(from_date="x" * 41))
        assert f"is '{'x' * 40}...':" in str(raised.value)
        with pytest.raises(ValueError) as raised:
            connector.validate_configuration(configuration(from_date="y" * 40))
        assert f"is '{'y' * 40}':" in str(raised.value)

    def test_a_saved_timestamp_cursor_must_be_a_whole_timestamp(self, captured, api):
        for saved in ("2026-10-01T12:34:56Z", "2026-10-01T12:34:56.123+02:00", "2026-10-01"):
            before = len(api.sent("getComments"))
            run(state={"comment_cursor": saved})
            assert api.sent("getComments")[before]["fromDate"] == "2026-09-29"
        with pytest.raises(ValueError, match="State 'comment_cursor' is '2026-10-01 and more'"):
            run(state={"comment_cursor": "2026-10-01 and more"})


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


@UNDER_EVERY_PARSER
class TestPrologs:
    @pytest.mark.parametrize(
        "pieces",
        [
            [b"<", b"comments><comment><id>1</id></comment></comments>"],
            [b"<?xml version='1.0'?>", b"<", b"!", b"-- x --", b">", b"<comments>"]
            + [b"<comment><id>1</id></comment></comments>"],
            [b"\xef\xbb\xbf \n<comments><comment><id>1</id></comment></comments>"],
        ],
    )
    def test_a_prolog_arriving_a_byte_at_a_time_is_read(self, pieces):
        records = list(iter_records(iter(pieces), list_shape("comment")))
        assert records == [{"id": "1"}]

    @pytest.mark.parametrize("pieces", [[b"<!", b"DOCTYPE r><r/>"], [b"<!D", b"OCTYPE r><r/>"]])
    def test_a_dtd_arriving_in_pieces_is_refused(self, pieces):
        with pytest.raises(ApiError, match="declares a DTD"):
            list(iter_records(iter(pieces), list_shape("comment")))

    @pytest.mark.parametrize("bom", [b"\xfe\xff", b"\xff\xfe"])
    def test_a_utf_16_byte_order_mark_is_refused(self, bom):
        with pytest.raises(ApiError, match="UTF-16 or UTF-32"):
            list(iter_records([bom + "<r/>".encode("utf-16-le")], list_shape()))

    def test_a_prolog_of_exactly_64_kb_is_read(self):
        prolog = "<?xml version='1.0'?>" + " " * (65536 - 21)
        records = list(
            iter_records([(prolog + "<r><x><id>1</id></x></r>").encode()], list_shape())
        )
        assert records == [{"id": "1"}]

    def test_a_text_body_is_quoted_from_its_start_whatever_the_pieces(self):
        body = b"Service temporarily disabled \xff for maintenance" * 3
        with pytest.raises(UnexpectedBodyError) as raised:
            list(iter_records((body[i : i + 7] for i in range(0, 300, 7)), list_shape()))
        assert raised.value.snippet == body.decode("utf-8", errors="replace").strip()

    def test_a_record_of_exactly_the_limit_is_read(self):
        body = b"<r><x><id>1</id></x></r>"
        assert list(iter_records([body], list_shape(), max_record_bytes=len(body)))
        with pytest.raises(ApiError, match="larger than"):
            list(iter_records([body], list_shape(), max_record_bytes=len(body) - 1))


@UNDER_EVERY_PARSER
class TestAnswerLimits:
    def test_an_answer_of_exactly_its_limit_is_read_and_one_byte_more_is_not_retried(
        self, captured, api, monkeypatch
    ):
        body = blast_xml(
            *[
                {"id": str(n), "name": "x" * 500, "note": "y" * 500}
                for n in range(200)  # about 200 KB: several reads
            ],
            root="thermometers",
            tag="thermometer",
        ).encode()
        api.script("getThermometers", (200, body), (200, body))
        monkeypatch.setitem(SYNC_LIMITS, "max_answer_bytes", len(body))
        run_scripted(api)
        assert len(captured.rows("thermometer")) == 200
        monkeypatch.setitem(SYNC_LIMITS, "max_answer_bytes", len(body) - 1)
        with pytest.raises(RuntimeError, match="thermometer"):
            run_scripted(api)
        assert captured.sleeps == []
        assert any(f"passed {len(body) - 1:,} bytes" in m for m in captured.messages("error"))


class TestMasking:
    def test_every_form_of_a_key_with_quotes_slashes_and_ampersands_is_masked(self):
        key = "ab\"cd'ef/gh&ij0"
        forms = [
            key,
            "ab&quot;cd&apos;ef/gh&amp;ij0",  # XML-escaped
            "ab%22cd%27ef%2Fgh%26ij0",  # quote_plus
            "ab%22cd%27ef/gh%26ij0",  # quote, which keeps "/"
        ]
        masked = mask_secrets(" | ".join(forms), key)
        assert masked == " | ".join(["***"] * 4)

    def test_apikey_values_and_url_credentials_are_replaced_exactly(self):
        text = "GET https://u:p@h.example/api.php?getMethod=x&apiKey=other-key&limit=1"
        assert mask_secrets(text, None) == (
            "GET https://***@h.example/api.php?getMethod=x&apiKey=***&limit=1"
        )

    def test_six_characters_of_the_key_are_masked_and_five_are_not(self):
        key = "abcdefghijkl"
        assert mask_secrets("..ghijkl..", key) == "..***.."
        assert mask_secrets("..abcdef..", key) == "..***.."
        assert mask_secrets("..hijkl..abcde..", key) == "..hijkl..abcde.."


class TestConfigurationSays:
    @pytest.mark.parametrize(
        "api_key, said",
        [
            (None, "is missing or empty: expected your Customer Thermometer API key."),
            (
                "<YOUR_KEY>",
                "still holds the placeholder from configuration.json, the template: run `make "
                "configure` (it asks for your Customer Thermometer API key and saves "
                "configuration.local.json), then `make debug`.",
            ),
            (
                "has space-0123456789",
                "contains white space: expected the key as one unbroken token.",
            ),
            ("123456789", "is too short: expected a key of at least 10 characters."),
        ],
    )
    def test_each_wrong_key_is_named_exactly(self, captured, api_key, said):
        with pytest.raises(ValueError) as raised:
            connector.validate_configuration(configuration(api_key=api_key))
        assert str(raised.value) == f"Configuration 'api_key' {said}"

    def test_a_key_of_ten_characters_is_long_enough(self, captured):
        assert connector.validate_configuration(configuration(api_key="0123456789"))

    def test_a_bad_base_url_is_shown_masked(self, captured):
        with pytest.raises(ValueError) as raised:
            connector.validate_configuration(
                configuration(base_url=f"ftp://h.example/?k={API_KEY[:12]}")
            )
        assert str(raised.value).startswith("Configuration 'base_url' is 'ftp://h.example/?k=***")

    @pytest.mark.parametrize("length, valid", [(253, True), (254, False)])
    def test_a_host_name_has_at_most_253_characters(self, length, valid):
        host = ".".join(["a" * 49] * 5)[:length].rstrip(".") + "b" * (length - 249)
        host = host[:length]
        assert len(host) == length
        assert is_http_url(f"https://{host}/api.php") is valid

    @pytest.mark.parametrize("saved", [True, -1, "5", 1.5, 366])
    def test_a_saved_lag_must_be_a_whole_number_of_days(self, captured, api, saved):
        with pytest.raises(ValueError) as raised:
            run(state={"blast_result_lag_days": saved})
        assert str(raised.value) == (
            f"State 'blast_result_lag_days' is {repr(str(saved))}: expected a whole number of "
            f"days from 0 to 365."
        )
        assert api.queries == []

    def test_a_saved_date_field_must_be_one_the_connector_saves(self, captured, api):
        with pytest.raises(ValueError) as raised:
            run(state={"comment_date_field": "response_date"})
        assert str(raised.value) == (
            "State 'comment_date_field' is 'response_date': expected one of date_submitted, "
            "blast_date."
        )
        assert api.queries == []

    def test_a_cursor_with_more_than_a_date_must_be_a_timestamp(self, captured, api):
        with pytest.raises(ValueError, match="State 'comment_cursor' is '2026-10-01x'"):
            run(state={"comment_cursor": "2026-10-01x"})


class _Raw:
    """A response whose body raises an error, or checks how it is read."""

    def __init__(self, error=None, chunks=()):
        self.raw = self
        self.error = error
        self.chunks = list(chunks)

    def read1(self, size, decode_content=False):
        assert decode_content is True  # compressed bodies are read decompressed
        if self.error is not None:
            raise self.error
        return self.chunks.pop(0) if self.chunks else b""


@UNDER_EVERY_PARSER
class TestStreaming:
    def test_what_a_body_read_raises_becomes_what_requests_would(self, context):
        from requests.packages.urllib3.exceptions import (
            DecodeError,
            ProtocolError,
            ReadTimeoutError,
        )

        with pytest.raises(TransientError, match=r"^body cut short \(gone\)$"):
            list(stream_body(context, _Raw(ProtocolError("gone"))))
        timeout = ReadTimeoutError(None, "/", "slow")
        with pytest.raises(requests.exceptions.ConnectionError) as raised:
            list(stream_body(context, _Raw(timeout)))
        assert raised.value.args[0] is timeout and is_read_timeout(raised.value)
        with pytest.raises(requests.exceptions.ContentDecodingError) as raised:
            list(stream_body(context, _Raw(DecodeError("bad gzip"))))
        assert str(raised.value.args[0]) == "bad gzip"

    def test_a_body_is_read_whole_in_order(self, context):
        raw = _Raw(chunks=[b"ab", b"cd", b"e"])
        assert b"".join(stream_body(context, raw)) == b"abcde"

    def test_a_snippet_stops_after_a_thousand_bytes(self):
        chunks = iter([b"a" * 600, b"b" * 600, b"c" * 600])
        assert read_snippet(chunks) == "a" * 600 + "b" * 600


class TestMoreFailuresSay:
    def test_a_rejected_key_in_a_metric_says_which_request(self, captured, api):
        api.script("getNPSValue", (200, "Invalid API key"))
        with pytest.raises(AuthenticationError) as raised:
            run_scripted(api)
        assert str(raised.value) == (
            f"Customer Thermometer rejected the API key (getNPSValue 1970-01-01.."
            f"{(TODAY + timedelta(1)).isoformat()} answered 'Invalid API key'): check 'api_key' "
            f"in the configuration."
        )

    def test_a_list_body_that_is_not_xml_says_so(self, captured, api):
        api.script("getThermometers", (200, "Maintenance until noon"))
        with pytest.raises(RuntimeError, match=r"sync failed for thermometer \(see"):
            run_scripted(api)
        assert captured.messages("error") == [
            "thermometer: failed, and is read again next sync: getThermometers "
            "answered a body that is "
            "not XML: 'Maintenance until noon'"
        ]

    def test_the_setup_test_names_the_host_it_could_not_reach(self, captured, api):
        api.script(
            "getSendQuota", *[requests.exceptions.ConnectionError(f"refused {API_KEY}")] * 4
        )
        assert connector.check_api_key(configuration()).failure == (
            "Could not reach Customer Thermometer at ct.example.test: getSendQuota failed after "
            "4 attempts: ConnectionError: refused ***"
        )

    def test_an_unexpected_error_is_named_with_the_key_masked(self, captured, api, monkeypatch):
        def broken(context, table, fields):
            raise KeyError(f"no column for {API_KEY}")

        monkeypatch.setattr(answers, "build_row", broken)
        with pytest.raises(RuntimeError):
            run()
        assert captured.messages("error")[0] == (
            "blast_result: failed on an unexpected KeyError ('no column for ***'), and is read "
            "again next sync from what it proved"
        )

    def test_the_summary_counts_bad_values_per_field(self, captured, api):
        record = {"response_id": "1", "blast_id": "2", "thermometer_id": "3"}
        record.update(date_submitted="2026-11-20 08:15:00", temperature_id="x", blast_date="y")
        api.script("getBlastResults", (200, blast_xml(record)))
        run_scripted(api)
        (summary,) = [m for m in captured.messages("info") if m.startswith(SCRIPTED_SUMMARY)]
        assert summary.endswith(
            ", 1 row, 0 skipped, NULL for bad values (blast_date: 1, temperature_id: 1)"
        )

    def test_a_window_that_times_out_says_it_is_halved(self, captured, api):
        api.script("getBlastResults", requests.exceptions.ReadTimeout("slow"))
        run(from_date="2026-11-01")
        assert (
            f"blast_result: getBlastResults 2026-11-01..{(TODAY + timedelta(1)).isoformat()} "
            f"timed out; asking for each half instead" in captured.messages("warning")
        )


class TestBoundaries:
    def test_the_edges_of_each_configuration_value_are_accepted(self, captured):
        settings = connector.validate_configuration(
            configuration(lookback_days="365", from_date=TODAY.isoformat())
        )
        assert settings["lookback_days"] == 365 and settings["from_date"] == TODAY
        assert not is_http_url("https://h.example/api.php?x=a b")

    def test_a_value_that_is_not_a_string_is_named_with_its_type(self, captured):
        with pytest.raises(ValueError) as raised:
            connector.validate_configuration(configuration(lookback_days=2))
        assert str(raised.value) == "Configuration 'lookback_days' must be a string, got int."

    def test_each_field_has_its_own_five_warnings(self, captured, context):
        for number in range(3):
            row_of(context, response_id=str(number), temperature_id="hot", blast_date="never")
        assert len([m for m in captured.messages("warning") if "is not a valid" in m]) == 6
