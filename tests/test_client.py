"""Unit tests of customer_thermometer/client.py: requests, retries and their waits, the diagnoses
of a failed answer (refused key, unreachable host, error pages), and bodies read whole."""

import socket
import threading
from datetime import timedelta

import pytest
import requests

import connector
from customer_thermometer.answers import fetch_list
from customer_thermometer.client import (
    decoded,
    is_read_timeout,
    make_api_request,
    parse_retry_after,
    past_deadline,
    raise_for_status,
    raise_if_key_rejected,
    read_snippet,
    stream_body,
)
from customer_thermometer.context import SyncContext
from customer_thermometer.errors import (
    ApiError,
    AuthenticationError,
    CustomerThermometerError,
    RefusedError,
    TransientError,
    UnexpectedBodyError,
    UnreachableError,
    WindowTimeoutError,
)
from customer_thermometer.specs import SYNC_LIMITS
from customer_thermometer.xml_stream import iter_records
from tests.conftest import API_KEY, BASE_URL, TODAY, UNDER_EVERY_PARSER, configuration
from tests.support import (
    SCRIPTED_STATE,
    UPPER,
    RawBody,
    assert_no_piece_of,
    blast_xml,
    everything_said,
    list_shape,
    refused,
    run,
    run_scripted,
    the_failure,
    unresolved,
)


class TestRequests:
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

    def test_retry_after_is_honoured_up_to_the_most_a_sync_waits(self, captured, api):
        api.script(
            "getThermometers",
            (429, "slow down", {"Retry-After": "7"}),
            (503, "", {"Retry-After": "60"}),
        )
        run()
        assert captured.sleeps == [7, 60]
        assert len(captured.rows("thermometer")) == 4

    @pytest.mark.parametrize(
        "status, retry_after, said",
        [
            (429, "3600", "3,600 s"),
            (503, "61", "61 s"),
            (429, "Thu, 26 Nov 2026 16:30:00 GMT", "3,600 s"),  # an hour after the pinned now
        ],
    )
    def test_a_longer_wait_fails_the_table_at_once_naming_it_and_the_others_go_on(
        self, captured, api, status, retry_after, said
    ):
        api.script("getThermometers", (status, "", {"Retry-After": retry_after}))
        with pytest.raises(RuntimeError, match="thermometer"):
            run()
        assert captured.sleeps == [] and len(api.sent("getThermometers")) == 1
        (error,) = [m for m in captured.messages("error") if m.startswith("thermometer")]
        assert (
            f"getThermometers answered HTTP {status}, asking to wait {said} before asking again, "
            f"more than the 60 s a sync waits: not asked again in this sync"
        ) in error
        assert captured.rows("recipient_list") and captured.rows("metric")

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


@UNDER_EVERY_PARSER
class TestBodies:
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


@UNDER_EVERY_PARSER
class TestTablesFailCleanly:
    @pytest.mark.parametrize("body", ["9" * 400, "1e400", "-" + "9" * 400])
    def test_a_metric_that_is_not_finite_gets_no_row(self, captured, api, body):
        api.script("getNPSValue", (200, body))
        run_scripted(api)
        names = {row["metric_name"] for row in captured.rows("metric")}
        assert "nps" not in names and "happiness" in names
        (warning,) = [m for m in captured.messages("warning") if "getNPSValue" in m]
        assert "not a finite number" in warning


class TestNoPathForTheKey:
    @pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
    def test_a_redirect_is_never_followed(self, captured, api, status):
        elsewhere = f"http://evil.example.test/steal?apiKey={API_KEY}"
        failure = the_failure(
            api,
            captured,
            "thermometer",
            "getThermometers",
            (status, "moved", {"Location": elsewhere}),
        )
        assert f"answered HTTP {status}, a redirect to evil.example.test, not followed" in failure
        assert len(api.sent("getThermometers")) == 1  # not retried, and sent nowhere else
        assert len(captured.rows("metric")) == 6  # the other tables went on
        assert API_KEY not in failure


@UNDER_EVERY_PARSER
class TestErrorDocuments:
    def test_an_empty_body_nothing_framed_is_retried_then_an_error(self, captured, api):
        unframed = (200, "", {"Transfer-Encoding": "identity"})
        failure = the_failure(api, captured, "comment", "getComments", *[unframed] * 4)
        assert "empty body, with no Content-Length or chunks to say it ended" in failure
        assert captured.sleeps == [1, 2, 4]

    def test_an_empty_body_with_its_length_is_no_data(self, captured, api):
        api.script("getComments", (200, "", {"Content-Length": "0"}))
        run_scripted(api)
        assert not captured.messages("error")


def test_an_empty_http_1_0_body_closed_by_the_server_is_not_an_empty_answer(captured):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.settimeout(5)

    def serve():
        for _ in range(4):
            try:
                connection, _ = listener.accept()
            except OSError:
                return
            with connection:
                connection.recv(65536)
                connection.sendall(b"HTTP/1.0 200 OK\r\nContent-Type: text/xml\r\n\r\n")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{listener.getsockname()[1]}/api.php"
    context = SyncContext(connector.validate_configuration(configuration(base_url=url)), {})
    try:
        with pytest.raises(ApiError, match="empty body, with no Content-Length"):
            fetch_list(context, "thermometer", {})
    finally:
        context.close()
        listener.close()
        thread.join(timeout=5)
    assert captured.sleeps == [1, 2, 4]


class TestRightDiagnoses:
    def test_a_firewalls_403_page_is_its_tables_error_not_a_refused_key(self, captured, api):
        page = "<html><body><h1>403 Forbidden</h1>Request blocked by the firewall</body></html>"
        failure = the_failure(api, captured, "thermometer", "getThermometers", (403, page))
        assert "answered HTTP 403" in failure and "blocked by the firewall" in failure
        assert len(captured.rows("metric")) == 6 and captured.sleeps == []

    @pytest.mark.parametrize("status", [200, 403])
    def test_too_many_requests_for_the_key_is_retried_not_a_refused_key(
        self, captured, api, status
    ):
        api.script("getThermometers", (status, "Too many requests for this API key"))
        run_scripted(api)
        assert captured.sleeps == [1] and len(captured.rows("thermometer")) == 4
        assert any("rate limited" in m for m in captured.messages("warning"))

    @pytest.mark.parametrize(
        "said", ["Invalid API Key", "API key is not valid", "Unauthorized", "Wrong key"]
    )
    def test_a_body_that_says_the_key_was_refused_is_a_refused_key(self, captured, api, said):
        api.script("getThermometers", (200, said))
        with pytest.raises(AuthenticationError):
            run_scripted(api)

    @pytest.mark.parametrize(
        "page",
        [
            "Unauthorized IP address: blocked by the web application firewall",
            "Request blocked. Not authorized to access this resource",
            "SSL error: bad key exchange",
        ],
    )
    def test_a_page_that_does_not_say_the_key_was_refused_is_no_refused_key(
        self, captured, api, page
    ):
        api.script("getThermometers", (403, page))
        with pytest.raises(RuntimeError, match="failed for thermometer"):
            run_scripted(api)
        assert len(captured.rows("metric")) == 6

    @pytest.mark.parametrize(
        "said",
        [
            "Your API key has expired",
            "This API key was revoked",
            "API key is no longer valid",
            "Access denied for this API key",
        ],
    )
    def test_more_ways_of_saying_the_key_was_refused(self, captured, api, said):
        api.script("getThermometers", (200, said))
        with pytest.raises(AuthenticationError):
            run_scripted(api)

    def test_a_byte_order_mark_before_a_number_is_ignored(self, captured, api):
        api.script("getSendQuota", (200, b"\xef\xbb\xbf1200"))
        assert connector.check_api_key(configuration()).failure is None
        api.script("getNPSValue", (200, "\ufeff 43.5\n"))
        run_scripted(api)
        nps = [row for row in captured.rows("metric") if row["metric_name"] == "nps"]
        assert nps[0]["metric_value"] == 43.5

    @pytest.mark.parametrize(
        "page",
        [
            "<!DOCTYPE html><html><body>Down for maintenance</body></html>",
            "<html><body>Down for maintenance</body></html>",
            "<?xml version='1.0'?><!DOCTYPE html PUBLIC '-//W3C//DTD XHTML 1.0//EN' 'x'>"
            "<html><body>Down for maintenance</body></html>",
        ],
    )
    def test_an_html_page_is_named_as_one(self, captured, api, page):
        failure = the_failure(api, captured, "thermometer", "getThermometers", (200, page))
        assert "answered an HTML page, not the API's XML" in failure
        assert "Down for maintenance" in failure and "declares a DTD" not in failure

    def test_an_unknown_content_encoding_is_named(self, captured, api):
        failure = the_failure(
            api,
            captured,
            "thermometer",
            "getThermometers",
            (200, b"\x00\x01garbage", {"Content-Encoding": "snappy"}),
        )
        assert "in the content encoding 'snappy', which the connector cannot decode" in failure
        assert "UTF-16" not in failure


class TestCounts:
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


@UNDER_EVERY_PARSER
class TestPrologs:
    def test_a_text_body_is_quoted_from_its_start_whatever_the_pieces(self):
        body = b"Service temporarily disabled \xff for maintenance" * 3
        with pytest.raises(UnexpectedBodyError) as raised:
            list(iter_records((body[i : i + 7] for i in range(0, 300, 7)), list_shape()))
        assert raised.value.snippet == body.decode("utf-8", errors="replace").strip()


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


@UNDER_EVERY_PARSER
class TestStreaming:
    def test_what_a_body_read_raises_becomes_what_requests_would(self, context):
        from requests.packages.urllib3.exceptions import (
            DecodeError,
            ProtocolError,
            ReadTimeoutError,
        )

        with pytest.raises(TransientError, match=r"^body cut short \(gone\)$"):
            list(stream_body(context, RawBody(ProtocolError("gone"))))
        timeout = ReadTimeoutError(None, "/", "slow")
        with pytest.raises(requests.exceptions.ConnectionError) as raised:
            list(stream_body(context, RawBody(timeout)))
        assert raised.value.args[0] is timeout and is_read_timeout(raised.value)
        with pytest.raises(requests.exceptions.ContentDecodingError) as raised:
            list(stream_body(context, RawBody(DecodeError("bad gzip"))))
        assert str(raised.value.args[0]) == "bad gzip"

    def test_a_body_is_read_whole_in_order(self, context):
        raw = RawBody(chunks=[b"ab", b"cd", b"e"])
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


K = API_KEY  # an answer that echoes the key, as a misconfigured gateway may
ECHOES = {
    "a refused page": [(403, f"Forbidden for {K}")],
    "a server error": [(500, f"Internal error at {K}")] * 4,
    "another status": [(404, f"No such page: {K}")],
    "a rate limit": [(429, f"Slow down, {K}")] * 4,
    "a rate limit in the body": [(200, f"Rate limit exceeded for {K}")] * 4,
    "a connection refused": [requests.exceptions.ConnectionError(f"refused to {K}")] * 4,
    "a body cut short": [requests.exceptions.ChunkedEncodingError(f"cut {K}")] * 4,
    "an unknown encoding": [(200, "<x/>", {"Content-Encoding": f"x-{K}"})],
    "a redirect": [(302, "", {"Location": f"https://{K}.example.test/api.php"})],
    "a redirect without a host": [(302, "", {"Location": f"/moved/{K}"})],
    "a request that cannot be sent": [requests.exceptions.InvalidURL(f"bad {K}")],
}


class TestEveryFailureMasksTheKey:
    @pytest.mark.parametrize("answers", ECHOES.values(), ids=ECHOES.keys())
    def test_a_failing_request_names_its_method_and_never_the_key(self, captured, api, answers):
        api.script("getThermometers", *answers)
        with pytest.raises(RuntimeError) as raised:
            run_scripted(api)
        (failure,) = captured.messages("error")
        assert "getThermometers" in failure
        assert_no_piece_of(API_KEY, everything_said(captured, raised.value))

    @pytest.mark.parametrize("body", [f"Invalid API key {K}", f"Rate limit exceeded, {K}"])
    def test_a_metric_body_never_says_the_key(self, captured, api, body):
        api.script("getNPSValue", *[(200, body)] * 4)
        with pytest.raises((RuntimeError, AuthenticationError)) as raised:
            run_scripted(api)
        assert_no_piece_of(API_KEY, everything_said(captured, raised.value))

    def test_a_metric_that_is_not_a_number_is_quoted_without_the_key(self, captured, api):
        api.script("getNPSValue", (200, f"n/a for {K}"))
        run_scripted(api)
        (warning,) = [m for m in captured.messages("warning") if "getNPSValue" in m]
        assert "n/a for ***" in warning


class Answered(RawBody):
    """An answer of a status, headers and a body, read as stream_body() reads one."""

    def __init__(self, status, body=b"", headers=None):
        super().__init__(chunks=[body] if body else [])
        self.status_code = status
        self.headers = requests.structures.CaseInsensitiveDict(headers or {})


def status_outcome(status, body=b"", headers=None):
    """Return what raise_for_status() does with an answer: None, or the error raised."""
    context = SyncContext(connector.validate_configuration(configuration()), {})
    try:
        raise_for_status(context, Answered(status, body, headers), "getThermometers")
    except CustomerThermometerError as error:
        return error
    finally:
        context.close()
    return None


class TestStatuses:
    @pytest.mark.parametrize("status", [200, 204, 299])
    def test_a_2xx_answer_is_read(self, status):
        assert status_outcome(status) is None

    @pytest.mark.parametrize("status", [408, 429, 500, 503, 599])
    def test_time_outs_rate_limits_and_server_errors_are_retried(self, status):
        error = status_outcome(status, headers={"Retry-After": "7"})
        assert isinstance(error, TransientError) and str(error) == f"HTTP {status}"
        assert error.retry_after == 7.0

    @pytest.mark.parametrize("status", [400, 404, 409, 499])
    def test_another_client_error_is_the_tables_error_quoting_the_body(self, status):
        error = status_outcome(status, b"no such thing")
        assert type(error) is RefusedError  # a list asked so is asked again in simpler forms
        assert str(error) == f"getThermometers answered HTTP {status}: 'no such thing'"

    @pytest.mark.parametrize("status", [100, 199])
    def test_a_status_neither_2xx_nor_a_client_error_is_no_refusal(self, status):
        assert type(status_outcome(status, b"?")) is ApiError

    @pytest.mark.parametrize("status", [300, 302, 399])
    def test_a_redirect_is_not_followed_and_names_where_it_points(self, status):
        error = status_outcome(status, headers={"Location": "https://elsewhere.test/api.php"})
        assert type(error) is ApiError
        assert f"answered HTTP {status}, a redirect to elsewhere.test, not followed" in str(error)

    def test_a_relative_redirect_points_at_the_apis_own_host(self):
        assert "a redirect to ct.example.test," in str(status_outcome(301, headers={}))
        error = status_outcome(301, headers={"Location": "/moved/api.php"})
        assert "a redirect to ct.example.test," in str(error)
        assert "a redirect to nowhere," in str(status_outcome(301, headers={"Location": "x:y"}))

    def test_a_redirects_host_is_shown_cut_to_100_characters(self):
        host = "h" * 150 + ".test"
        error = status_outcome(307, headers={"Location": f"https://{host}/"})
        assert f"a redirect to {'h' * 100}, not followed" in str(error)

    def test_a_401_is_a_refused_key_and_a_403_only_when_its_body_says_so(self):
        assert isinstance(status_outcome(401), AuthenticationError)
        assert isinstance(status_outcome(403, b"Invalid API key"), AuthenticationError)
        error = status_outcome(403, b"Blocked by the firewall")
        assert type(error) is RefusedError
        assert "(not a refused key: it does not say so)" in str(error)
        assert "getThermometers (HTTP 403)" in str(status_outcome(403, b"Invalid API key"))


class TestRetryAfter:
    @pytest.mark.parametrize(
        "value, seconds",
        [("0", 0.0), ("12", 12.0), (" 3.5 ", 3.5), ("-1", None), ("soon", None), ("", None)]
        + [("Wed, 21 Oct 2026 07:28:00 GMT", 0.0), ("Thu, 26 Nov 2026 15:31:00 GMT", 60.0)]
        + [("Thu, 26 Nov 2026 15:31:00", 60.0), ("Thu, 32 Nov 2026 12:01:00 GMT", None)],
    )
    def test_retry_after_is_read_as_seconds_or_a_date(self, captured, value, seconds):
        assert parse_retry_after({"Retry-After": value}) == seconds

    def test_no_retry_after_is_none(self):
        assert parse_retry_after({}) is None


def connect_error(cause):
    """Return the error requests raises for a connection that failed with cause (as urllib3
    wraps it)."""
    from requests.packages.urllib3.exceptions import MaxRetryError

    return requests.exceptions.ConnectionError(MaxRetryError(None, "http://h.test/", cause))


def request_outcome(api, *answers, split=False, method="getThermometers"):
    """Return what make_api_request() returns (the status read) or raises, on these answers."""
    api.script(method, *answers)
    context = SyncContext(connector.validate_configuration(configuration()), {})
    try:
        read = make_api_request(
            context, "thermometer", method, {}, lambda r: r.status_code, split_on_timeout=split
        )
        return read, context
    except CustomerThermometerError as error:
        return error, context
    finally:
        context.close()


class TestTheClientsOwnErrors:
    def test_an_error_page_is_quoted_masked_by_the_client_itself(self):
        for status, body in [(403, b"Forbidden: " + K.encode()), (404, b"gone " + K.encode())]:
            error = status_outcome(status, body)
            assert "***" in str(error) and K not in str(error)
        refused_key = status_outcome(403, b"Invalid API key " + K.encode())
        assert isinstance(refused_key, AuthenticationError) and K not in str(refused_key)
        redirect = status_outcome(302, headers={"Location": f"https://{K}.example.test/"})
        assert "a redirect to ***.example.test," in str(redirect)

    def test_a_rate_limit_in_a_body_is_retried_and_quoted_masked(self):
        with pytest.raises(TransientError) as raised:
            raise_if_key_rejected("getX", f"Rate limit exceeded for {K}", K)
        assert str(raised.value) == "answered 'Rate limit exceeded for ***' (rate limited)"
        with pytest.raises(AuthenticationError) as raised:
            raise_if_key_rejected("getX", f"Invalid API key {K}", K)
        assert "(getX answered 'Invalid API key ***')" in str(raised.value)

    @pytest.mark.parametrize(
        "said",
        [
            "<message>Invalid <b>API key</b></message>",
            "<e>API <i>key</i> <u>has been revoked</u></e>",
            "<RB><p/>Invalid <b/> API key<br/></RB>",
        ],
    )
    def test_a_refusal_is_read_with_its_tags_as_spaces(self, said):
        with pytest.raises(AuthenticationError):
            raise_if_key_rejected("getX", said, K)

    @pytest.mark.parametrize("said", ["<p>valid</p> <b>API key</b>", "<p>your API key</p><b/>"])
    def test_tags_alone_make_no_refusal(self, said):
        raise_if_key_rejected("getX", said, K)  # raises nothing

    def test_each_attempt_is_counted_and_the_last_reason_named_masked(self, captured, api):
        error, context = request_outcome(api, *[(500, "x")] * 3 + [(503, "y")])
        assert str(error) == "getThermometers failed after 4 attempts: HTTP 503"
        assert context.table_stats("thermometer")["requests"] == 4
        assert captured.messages("warning")[0] == (
            "getThermometers: HTTP 500; retry 1 of 3 in 1 s"
        )
        cut = requests.exceptions.ChunkedEncodingError(f"cut at {K}")
        error, _ = request_outcome(api, *[cut] * 4)
        assert str(error) == "getThermometers failed after 4 attempts: body cut short: cut at ***"

    def test_a_host_never_reached_is_named_with_its_reason_masked(self, captured, api):
        from requests.packages.urllib3.exceptions import NewConnectionError

        cause = NewConnectionError(None, f"Failed to connect to {K}: [Errno 111] refused {K}")
        error, _ = request_outcome(api, *[connect_error(cause)] * 4)
        assert isinstance(error, UnreachableError)
        assert error.reason == "refused ***, on all 4 attempts of getThermometers"
        assert str(error) == (
            "getThermometers failed after 4 attempts: could not connect to ct.example.test: "
            "refused ***"
        )

    def test_a_connection_timed_out_is_said_so(self, captured, api):
        from requests.packages.urllib3.exceptions import ConnectTimeoutError

        error, _ = request_outcome(api, *[connect_error(ConnectTimeoutError("slow"))] * 4)
        assert error.reason.startswith("the connection timed out, on all 4 attempts")

    def test_a_system_error_without_its_words_is_named_by_its_kind(self, captured, api):
        from requests.packages.urllib3.exceptions import NewConnectionError

        error, _ = request_outcome(api, *[connect_error(NewConnectionError(None, "no"))] * 4)
        assert error.reason.startswith("NewConnectionError, on all 4 attempts")

    def test_a_broken_connection_is_retried_and_named_masked(self, captured, api):
        broken = requests.exceptions.ConnectionError(f"reset by {K}")
        error, _ = request_outcome(api, *[broken] * 4)
        assert type(error) is ApiError
        assert str(error).endswith("attempts: ConnectionError: reset by ***")
        empty = requests.exceptions.ConnectionError()
        error, _ = request_outcome(api, *[empty] * 4)
        assert str(error).endswith("attempts: ConnectionError: ")

    def test_a_window_that_times_out_is_split_with_its_reason(self, captured, api):
        timeout = requests.exceptions.ReadTimeout()
        error, _ = request_outcome(api, timeout, split=True)
        assert type(error) is WindowTimeoutError and str(error) == "timed out"
        error, _ = request_outcome(api, (504, "gateway"), split=True)
        assert str(error) == "answered HTTP 504"
        error, _ = request_outcome(api, (504, "gateway"), (200, "ok"))
        assert error == 200

    def test_an_unknown_encoding_is_named_masked_with_what_is_read(self, captured, api):
        error, _ = request_outcome(api, (200, "x", {"Content-Encoding": f"gzip, x-{K}"}))
        assert "***" in str(error) and K not in str(error)
        read = str(error).partition("(it reads ")[2].rstrip(")").split(", ")
        assert {"gzip", "deflate", "identity"} <= set(read) and read == sorted(read)
        for coding in ("gzip", "identity", "GZIP, Identity", "", ", ".join(read)):
            read, _ = request_outcome(api, (200, "x", {"Content-Encoding": coding}))
            assert read == 200, coding

    def test_a_redirect_is_never_followed(self, captured, api):
        error, _ = request_outcome(api, (302, "", {"Location": BASE_URL + "?moved=1"}))
        assert "a redirect to ct.example.test, not followed" in str(error)
        assert len(api.queries) == 1

    def test_stalls_in_a_row_are_broken_by_any_answer_that_ends(self, captured, api):
        context = SyncContext(connector.validate_configuration(configuration()), {})
        context.stalls = 2
        api.script("getThermometers", (200, "ok"))
        make_api_request(context, "thermometer", "getThermometers", {}, lambda r: None)
        assert context.stalls == 0
        context.stalls = 2
        api.script("getThermometers", (404, "no"))
        with pytest.raises(ApiError):
            make_api_request(context, "thermometer", "getThermometers", {}, lambda r: None)
        assert context.stalls == 0
        context.close()


class TestSnippets:
    def test_a_snippet_reads_a_thousand_bytes_and_shows_up_to_two_thousand(self):
        assert read_snippet(iter([b"a" * 999, b"b" * 5, b"c" * 5])) == "a" * 999 + "b" * 5
        assert read_snippet(iter([b"a" * 1000, b"b"])) == "a" * 1000
        assert read_snippet(iter([b"a" * 2500])) == "a" * 2000

    def test_a_text_is_read_as_utf_8_without_its_byte_order_mark(self):
        assert decoded(" \ufeff caf\u00e9 \n".encode()) == "caf\u00e9"
        assert decoded(b"caf\xe9") == "caf\ufffd"

    def test_a_body_is_read_a_chunk_at_a_time(self, captured):
        context = SyncContext(connector.validate_configuration(configuration()), {})
        sizes = []

        class Sized(RawBody):
            def read1(self, size, decode_content=False):
                sizes.append(size)
                return super().read1(size, decode_content)

        assert list(stream_body(context, Sized(chunks=[b"ab", b"c"]))) == [b"ab", b"c"]
        assert sizes == [65536] * 3 and context.answer_bytes == 3
        context.close()


class TestPastDeadline:
    @pytest.fixture
    def late(self, captured):
        context = SyncContext(connector.validate_configuration(configuration()), {})
        context.answer_deadline_seconds = 0.5
        yield context
        context.close()

    def test_a_late_answer_is_retried_or_its_window_split(self, late):
        error = past_deadline(late, "getX", False)
        assert type(error) is TransientError
        assert str(error) == "the answer took longer than 0.5 s"
        error = past_deadline(late, "getX", True)
        assert type(error) is WindowTimeoutError
        assert str(error) == "was not read whole (the answer took longer than 0.5 s)"

    def test_late_answers_that_sent_little_count_as_stalls_in_a_row(self, late):
        late.answer_bytes = 2**20 - 1
        past_deadline(late, "getX", False)
        past_deadline(late, "getX", False)
        assert late.stalls == 2
        late.answer_bytes = 2**20
        past_deadline(late, "getX", False)
        assert late.stalls == 0

    def test_four_stalls_in_a_row_stop_the_sync_naming_the_last(self, late):
        late.stalls = 3
        error = past_deadline(late, "getX 2026-11-01..2026-11-02", True)
        assert type(error) is UnreachableError
        assert str(error) == "getX 2026-11-01..2026-11-02: the answer took longer than 0.5 s"
        assert error.reason == (
            "4 answers in a row stalled past their deadline of 0.5 s, the last of "
            "getX 2026-11-01..2026-11-02"
        )
        assert (error.host, error.what) == ("ct.example.test", "did not finish its answers at")


class TestRequestsThatCannotBeSent:
    def test_a_request_that_cannot_be_sent_is_named_masked_by_the_client(self, captured, api):
        error, _ = request_outcome(api, requests.exceptions.InvalidURL(f"bad {K}"))
        assert type(error) is ApiError
        assert str(error) == "getThermometers failed: InvalidURL: bad ***"
