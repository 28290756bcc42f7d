"""Unit tests of connector.py: each test pins one behaviour the connector promises."""

from datetime import datetime, timedelta
import weakref

import pytest
import requests

import connector
from tests.conftest import API_KEY, TODAY, configuration, day

ALL_TABLES = ["comment", "blast_result", "recipient_list", "thermometer", "metric"]
UPPER = (TODAY + timedelta(days=1)).isoformat()
LIST_METHODS = ["getComments", "getBlastResults", "getRecipientLists", "getThermometers"]


def run(state=None, **overrides):
    """Run update() with a valid configuration (changed by overrides) and a state."""
    connector.update(configuration(**overrides), dict(state or {}))


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
            (sent,) = api.sent(method)
            assert sent["fromDate"] == "1970-01-01"
            assert sent["toDate"] == UPPER
            assert sent["limit"] == "10000"
            assert "endDate" not in sent
            assert sent["apiKey"] == API_KEY

    def test_first_sync_of_a_small_account_makes_one_request_per_list_method(self, captured, api):
        run()
        for method in LIST_METHODS:
            assert len(api.sent(method)) == 1, method

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

    @pytest.mark.parametrize("status", [401, 403])
    def test_rejected_key_by_status_stops_at_once_without_retrying(self, captured, api, status):
        api.script("getComments", (status, "denied"))
        with pytest.raises(connector.AuthenticationError, match="rejected the API key"):
            run()
        assert len(api.queries) == 1
        assert captured.sleeps == []
        assert captured.checkpoints == []

    def test_rejected_key_in_a_200_body_stops_at_once_without_retrying(self, captured, api):
        api.fake.api_key = "another-key-entirely"
        with pytest.raises(connector.AuthenticationError, match="rejected the API key"):
            run()
        assert len(api.queries) == 1
        assert captured.sleeps == [] and captured.checkpoints == []

    def test_rejected_key_in_a_metric_body_stops_the_sync(self, captured, api):
        api.script("getNPSValue", (200, "Invalid API Key"))
        with pytest.raises(connector.AuthenticationError):
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
        assert sorted(sent[1:]) == [("2026-11-01", "2026-11-14"), ("2026-11-15", UPPER)]
        assert captured.sleeps == []
        assert len(captured.rows("blast_result")) == len(
            [
                r
                for r in api.fake.truth("blast_result")
                if r["date_submitted"].date() >= day("2026-11-01")
            ]
        )


class TestBodies:
    def test_empty_body_and_empty_root_are_no_data(self, captured, api):
        api.script("getComments", (200, "  \n"))
        api.script("getBlastResults", (200, '<?xml version="1.0"?><thermometer_blast_responses/>'))
        run()
        assert captured.rows("comment") == [] and captured.rows("blast_result") == []
        assert captured.checkpoints[-1]["comment_cursor"] == TODAY.isoformat()
        assert captured.checkpoints[-1]["blast_result_cursor"] == TODAY.isoformat()

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
        assert len(api.sent("getBlastResults")) == 2 and captured.sleeps == [1]
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
        assert len(api.sent("getBlastResults")) == 2 and captured.sleeps == [1]
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

    def test_unexpected_root_is_an_error(self, captured, api):
        api.script("getThermometers", (200, "<error>Something failed</error>"))
        with pytest.raises(RuntimeError, match="thermometer"):
            run()
        assert any("<thermometers>" in m for m in captured.messages("error"))

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
        run()
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
        record = {
            "response_id": "1",
            "blast_id": "2",
            "thermometer_id": "3",
            "date_submitted": "2026-11-20 08:15:00",
            "nps_segment": "0123",
            "location": "<country>GB</country><region><city>Leeds</city></region>",
        }
        api.script("getBlastResults", (200, blast_xml(record)))
        run()
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
        run()
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
        run()
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
        run()
        assert [row["response_id"] for row in captured.rows("blast_result")] == [1]
        warnings = [m for m in captured.messages("warning") if "primary-key" in m]
        assert any("'blast_id'" in m and "blast_result" in m for m in warnings)
        assert any("'date_submitted'" in m for m in warnings)
        (summary,) = [m for m in captured.messages("info") if m.startswith("blast_result:")]
        assert "2 skipped" in summary

    def test_a_bad_value_becomes_null_with_a_warning_and_never_fails_the_sync(self, captured, api):
        record = {
            "response_id": "11",
            "blast_id": "2",
            "thermometer_id": "3",
            "date_submitted": "2026-11-20 08:15:00",
            "temperature_id": "hot",
            "blast_date": "0000-00-00 00:00:00",
            "response_bounced": "maybe",
            "custom_1": "kept",
        }
        api.script("getBlastResults", (200, blast_xml(record)))
        run()
        (row,) = captured.rows("blast_result")
        assert "temperature_id" not in row and "blast_date" not in row
        assert "response_bounced" not in row and row["custom_1"] == "kept"
        warnings = captured.messages("warning")
        assert any(
            "'temperature_id'" in m and "'11'" in m and "blast_result" in m for m in warnings
        )
        assert captured.checkpoints[-1]["blast_result_cursor"] == TODAY.isoformat()

    def test_out_of_range_integers_become_null(self, captured, api):
        record = {
            "response_id": "1",
            "blast_id": "2",
            "thermometer_id": "3",
            "date_submitted": "2026-11-20 08:15:00",
            "temperature_id": str(2**40),
        }
        api.script("getBlastResults", (200, blast_xml(record)))
        run()
        assert "temperature_id" not in captured.rows("blast_result")[0]


BLAST_TAGS = ("thermometer_blast_responses", "thermometer_blast_response")


def in_pieces(body, size):
    """Return body as a stream of pieces of size bytes, as the network might deliver it."""
    return (body[i : i + size] for i in range(0, len(body), size))


class TestParser:
    @pytest.fixture
    def blast_body(self, fake):
        """A getBlastResults answer of the small stand-in data set (60 records)."""
        return fake.answer({"getMethod": "getBlastResults", "apiKey": fake.api_key})[2]

    def test_a_parser_fed_byte_by_byte_yields_the_same_records(self, blast_body):
        whole = list(connector.iter_records([blast_body], *BLAST_TAGS))
        one_by_one = list(connector.iter_records(in_pieces(blast_body, 1), *BLAST_TAGS))
        assert len(whole) == 60
        assert one_by_one == whole

    def test_a_parser_that_keeps_its_events_on_yields_the_same_records(
        self, blast_body, monkeypatch
    ):
        whole = list(connector.iter_records([blast_body], *BLAST_TAGS))
        monkeypatch.setattr(connector, "_stop_events", lambda parser, queue: False)
        assert list(connector.iter_records(in_pieces(blast_body, 1000), *BLAST_TAGS)) == whole
        with pytest.raises(connector.ApiError, match="malformed XML"):
            list(
                connector.iter_records(
                    [blast_body[:5000], b"</oops>", blast_body[5000:]], *BLAST_TAGS
                )
            )

    def test_the_parser_is_fed_small_pieces_of_large_chunks(self, blast_body, monkeypatch):
        # Fed 64 KB at once, the parser builds ~2,000 elements together, above the garbage
        # collector's threshold: collections then double the parsing time.
        fed = []
        parser_class = connector.XMLPullParser

        class Spy(parser_class):
            def feed(self, data):
                fed.append(len(data))
                super().feed(data)

        monkeypatch.setattr(connector, "XMLPullParser", Spy)
        assert len(blast_body) > 40000
        records = list(connector.iter_records([blast_body], *BLAST_TAGS))
        assert len(records) == 60
        assert sum(fed) == len(blast_body) and max(fed) <= 8192

    def test_records_are_released_once_handed_on(self, blast_body, monkeypatch):
        handed_on = []
        record_fields = connector._record_fields

        def spy(record, root_tag, record_tag):
            handed_on.append(weakref.ref(record))
            return record_fields(record, root_tag, record_tag)

        monkeypatch.setattr(connector, "_record_fields", spy)
        # Pieces shorter than a record: at most one record ends per piece.
        for index, _ in enumerate(connector.iter_records(in_pieces(blast_body, 100), *BLAST_TAGS)):
            assert all(ref() is None for ref in handed_on[:index])  # earlier records freed
            assert handed_on[index]() is not None
        assert len(handed_on) == 60

    def test_parse_errors_met_while_feeding_are_raised(self, blast_body):
        broken = blast_body[:20000] + b"</oops>" + blast_body[20000:]
        with pytest.raises(connector.ApiError, match="malformed XML"):
            list(connector.iter_records(in_pieces(broken, 4096), *BLAST_TAGS))

    @pytest.mark.parametrize(
        "body",
        [
            "<comments><comment><response_id>1</response_id></comment><note>x</note></comments>",
            "<comments><group><comment><response_id>1</response_id></comment></group></comments>",
        ],
    )
    def test_a_list_of_another_shape_is_an_error(self, body):
        with pytest.raises(connector.ApiError, match="another shape"):
            list(connector.iter_records([body.encode()], "comments", "comment"))

    def test_a_comment_record_holding_a_comment_field_is_one_record(self):
        body = b"<comments><comment><comment>hi</comment><response_id>1</response_id></comment></comments>"
        records = list(connector.iter_records([body], "comments", "comment"))
        assert records == [{"comment": "hi", "response_id": "1"}]


class TestWindows:
    @pytest.fixture
    def small_limit(self, monkeypatch):
        monkeypatch.setattr(connector, "__RECORD_LIMIT", 10)

    def test_truncated_window_is_read_until_complete_with_every_row_once(
        self, captured, api, small_limit
    ):
        run()
        truth = {(r["response_id"], r["date_submitted"]) for r in api.fake.truth("blast_result")}
        keys = [(r["response_id"], r["date_submitted"]) for r in captured.rows("blast_result")]
        assert len(api.sent("getBlastResults")) > 3
        assert sorted(keys) == sorted(truth)  # every row, each upserted once

    def test_truncated_window_asks_only_for_what_it_did_not_cover(
        self, captured, api, small_limit
    ):
        run()
        sent = [(q["fromDate"], q["toDate"]) for q in api.sent("getBlastResults")]
        assert sent[0] == ("1970-01-01", UPPER)
        for previous, current in zip(sent, sent[1:]):
            assert current[0] == "1970-01-01"
            assert current[1] <= previous[1]
        # 60 responses over 30 days, 10 at a time: about 60 / (10 - 2) answers, not a halving tree.
        assert len(sent) <= 10

    def test_a_single_day_filling_the_limit_is_a_warning_naming_the_day(
        self, captured, api, small_limit
    ):
        api.fake.add_responses(12, days_ago=(3,))
        run(from_date=(TODAY - timedelta(days=5)).isoformat())
        day_text = (TODAY - timedelta(days=3)).isoformat()
        assert any(day_text in m and "alone holds" in m for m in captured.messages("warning"))
        assert captured.checkpoints[-1]["blast_result_cursor"] == TODAY.isoformat()

    def test_remaining_windows(self, captured):
        assert connector.remaining_windows(
            "t", day("2026-01-01"), day("2026-01-31"), day("2026-01-20")
        ) == [(day("2026-01-01"), day("2026-01-20"))]
        assert connector.remaining_windows(
            "t", day("2026-01-01"), day("2026-01-02"), day("2026-01-02")
        ) == [(day("2026-01-01"), day("2026-01-01"))]
        assert (
            connector.remaining_windows(
                "t", day("2026-01-05"), day("2026-01-05"), day("2026-01-05")
            )
            == []
        )
        assert connector.remaining_windows("t", day("2026-01-01"), day("2026-01-04"), None) == [
            (day("2026-01-01"), day("2026-01-02")),
            (day("2026-01-03"), day("2026-01-04")),
        ]


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
        run(state={"comment_cursor": "2026-11-20"}, lookback_days="10")
        assert api.sent("getComments")[-1]["fromDate"] == "2026-11-10"

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
        assert captured.checkpoints == [
            {"comment_cursor": "2026-11-01", "blast_result_cursor": TODAY.isoformat()}
        ]
        assert captured.rows("thermometer") and captured.rows("metric")

    def test_every_ten_thousand_upserts_commit_the_start_state(self, captured, api, monkeypatch):
        monkeypatch.setattr(connector, "__CHECKPOINT_EVERY_ROWS", 25)
        start = {"comment_cursor": "2026-10-01"}
        run(state=start)
        total = len(captured.upserts)
        assert total > 50
        intermediate, final = captured.checkpoints[:-1], captured.checkpoints[-1]
        assert intermediate == [start] * (total // 25)
        assert final["comment_cursor"] == TODAY.isoformat()


class TestSecrecy:
    def test_mask_secrets_masks_plain_encoded_and_url_forms(self):
        key = "a+b/c=d-0123456789"
        text = f"GET https://x/api.php?getMethod=m&apiKey=a%2Bb%2Fc%3Dd-0123456789 {key} a%2Bb%2Fc%3Dd-0123456789"
        masked = connector.mask_secrets(text, key)
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
        assert set(fields) == {"api_key", "from_date", "lookback_days"}
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
