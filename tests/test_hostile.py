"""Hostile and broken answers: each bounded, reported as its table's error, never leaking the key.

Each test is one case an attacker or a flaky network produced; unit tests call the connector's
functions (with the mocked API or a real trickling server on 127.0.0.1), and the end-to-end file
checks what crosses the SDK (crash reports, the CLI's output).
"""

import html
import socket
import threading
import time
import traceback
import types
import zlib
from datetime import date, timedelta
from urllib.parse import quote_plus, unquote_plus

import pytest

import connector
from customer_thermometer import answers, client
from customer_thermometer.answers import fetch_list
from customer_thermometer.client import fetch_value
from customer_thermometer.context import LIBRARY_LOGGERS, SyncContext
from customer_thermometer.deadline import AnswerWatch
from customer_thermometer.errors import ApiError, AuthenticationError, UnreachableError
from customer_thermometer.fields import ListShape
from customer_thermometer.masking import mask_secrets
from customer_thermometer.specs import SYNC_LIMITS, TABLE_SPECS
from customer_thermometer.xml_prolog import checked_prolog
from customer_thermometer.xml_repair import XmlRepair, _reference_code, _safe_cut, _xml_allows
from customer_thermometer.xml_stream import iter_records
from tests.conftest import API_KEY, BASE_URL, TODAY, UNDER_EVERY_PARSER, configuration
from tests.test_connector import (
    SCRIPTED_STATE,
    blast_xml,
    keys,
    list_shape,
    records_of,
    run,
    run_scripted,
    truth_keys,
)
from tools.fake_api import STALLS, FakeCustomerThermometer


def the_failure(api, captured, table, method, *answers):
    """Answer a method's next requests with these, run an incremental sync, which must fail
    that table, and return the table's one error line."""
    api.script(method, *answers)
    with pytest.raises(RuntimeError, match=f"failed for {table}"):
        run_scripted(api)
    (failure,) = captured.messages("error")
    return failure


def key_pieces(key, size=6):
    """Return every piece of size characters of a key."""
    return {key[start : start + size] for start in range(len(key) - size + 1)}


def assert_no_piece_of(key, texts):
    """Fail when any 6-character piece of key appears in any of texts."""
    for text in texts:
        leaked = [piece for piece in key_pieces(key) if piece in text]
        assert not leaked, f"{leaked} of the key in {text!r}"


def everything_said(captured, raised=None):
    """Return every log line and the text of an exception and its causes."""
    texts = list(captured.messages())
    exception = raised
    while exception is not None:
        texts.append(str(exception))
        exception = exception.__cause__ or exception.__context__
    return texts


class TestKeyLeaks:
    @pytest.mark.parametrize("position", [0, 150, 188, 190, 195, 199, 400])
    def test_a_key_echoed_near_the_cut_leaves_no_piece(self, captured, api, position):
        body = "E" * position + f"Invalid API key {API_KEY} for this account" + "." * 500
        api.script("getComments", (200, body))
        api.script("getRecipientLists", (404, body))
        api.script("getNPSValue", (200, body))
        with pytest.raises(AuthenticationError) as raised:
            run()
        assert_no_piece_of(API_KEY, everything_said(captured, raised.value))

    @pytest.mark.parametrize("position", [150, 190, 199])
    def test_an_echoed_key_leaves_no_piece_in_errors_warnings_or_the_setup_test(
        self, captured, api, position
    ):
        body = "E" * position + API_KEY + "." * 500
        api.script("getComments", (200, body))
        api.script("getRecipientLists", (404, body))
        api.script("getNPSValue", (200, body))
        with pytest.raises(RuntimeError) as raised:
            run()
        texts = everything_said(captured, raised.value)
        assert any("getComments" in text for text in texts)
        assert any("getNPSValue" in text for text in captured.messages("warning"))
        api.script("getSendQuota", (200, body))
        texts.append(connector.check_api_key(configuration()).failure)
        assert_no_piece_of(API_KEY, texts)

    def test_a_key_holding_an_ampersand_is_masked_in_every_form(self, captured, api):
        key = "ab&SECRETPART123"
        api.fake.api_key = key
        url_echo = f"https://x/api.php?getMethod=getComments&apiKey={key}&limit=1"
        api.script("getComments", (200, f"Bad request {url_echo} from ab&amp;SECRETPART123"))
        with pytest.raises(RuntimeError, match="failed for comment") as raised:
            run(api_key=key)
        texts = everything_said(captured, raised.value)
        api.script(
            "getBlastResults", (200, "<error>ab%26SECRETPART123 ab&amp;SECRETPART123</error>")
        )
        with pytest.raises(RuntimeError) as raised:
            run(state={"comment_cursor": TODAY.isoformat()}, api_key=key)
        texts += everything_said(captured, raised.value)
        assert any("getBlastResults" in text for text in captured.messages("error"))
        assert_no_piece_of(key, texts)

    def test_the_credentials_of_a_proxy_url_are_masked(self, captured):
        masked = mask_secrets(
            "GET http://user:pa55word@proxy.example.test:3128/api.php failed", API_KEY
        )
        assert "pa55word" not in masked and "user" not in masked
        assert "proxy.example.test:3128/api.php" in masked
        with pytest.raises(ValueError) as raised:
            connector.validate_configuration(
                configuration(base_url="http://user:pa55word@bad..host/api.php")
            )
        assert "pa55word" not in str(raised.value) and "'base_url'" in str(raised.value)

    def test_a_refused_connection_to_a_proxy_with_credentials_masks_them(self, captured, api):
        import requests

        proxy_url = "http://user:pa55word@ct.example.test/api.php?apiKey=" + API_KEY
        api.script(
            "getThermometers", *[requests.exceptions.ConnectionError(f"refused {proxy_url}")] * 4
        )
        with pytest.raises(RuntimeError):
            run_scripted(api)
        texts = captured.messages()
        assert any("getThermometers" in text for text in texts)
        assert not [text for text in texts if "pa55word" in text]
        assert_no_piece_of(API_KEY, texts)


@UNDER_EVERY_PARSER
class TestTablesFailCleanly:
    @pytest.mark.parametrize(
        "declaration, named",
        [("Shift_JIS", "'Shift_JIS'"), ("x-nope", "'x-nope'"), ("X" * 60, repr("X" * 40))],
    )
    def test_an_encoding_the_parser_cannot_read_is_the_tables_error(
        self, captured, api, declaration, named
    ):
        body = f'<?xml version="1.0" encoding="{declaration}"?><thermometers/>'
        api.script("getThermometers", (200, body))
        with pytest.raises(RuntimeError, match="thermometer"):
            run_scripted(api)
        (error,) = captured.messages("error")
        assert "encoding" in error and named in error and "expected UTF-8" in error
        assert captured.rows("recipient_list") and captured.rows("metric")

    @pytest.mark.parametrize("depth", [5000, 100000])
    def test_a_record_nested_very_deep_is_the_tables_error(self, captured, api, depth):
        record = "<a>" * depth + "x" + "</a>" * depth
        body = f"<thermometers><thermometer><id>1</id>{record}</thermometer></thermometers>"
        api.script("getThermometers", (200, body))
        with pytest.raises(RuntimeError, match="thermometer"):
            run_scripted(api)
        (error,) = captured.messages("error")
        assert "nests deeper than 32 levels" in error

    def test_an_error_no_one_foresaw_is_still_only_its_tables(self, captured, api, monkeypatch):
        def broken(context, table, fields):
            raise ZeroDivisionError("a bug met on one record")

        monkeypatch.setattr(answers, "build_row", broken)
        with pytest.raises(RuntimeError, match="blast_result, comment, recipient_list"):
            run(state=SCRIPTED_STATE)
        errors = captured.messages("error")
        assert len(errors) == 4 and all("unexpected ZeroDivisionError" in e for e in errors)
        assert captured.rows("metric")
        assert captured.checkpoints[-1] == SCRIPTED_STATE

    @pytest.mark.parametrize(
        "saved, why",
        [
            ("0001-01-01", "not between 1970-01-01 and tomorrow"),
            ("1969-12-31", "not between 1970-01-01 and tomorrow"),
            ("2099-01-01", "not between 1970-01-01 and tomorrow"),
            ((TODAY + timedelta(days=2)).isoformat(), "not between 1970-01-01 and tomorrow"),
            ("x" * 5000, "expected a date"),
        ],
    )
    def test_a_saved_cursor_out_of_range_is_a_state_error_before_any_request(
        self, captured, api, saved, why
    ):
        with pytest.raises(ValueError) as raised:
            run(state={"blast_result_cursor": saved})
        message = str(raised.value)
        assert "State 'blast_result_cursor'" in message and why in message
        assert "Re-sync" in message or "expected a date" in message
        assert len(message) < 400
        assert api.queries == [] and captured.checkpoints == []

    def test_a_legacy_cursor_out_of_range_is_named_by_its_own_key(self, captured, api):
        with pytest.raises(ValueError) as raised:
            run(state={"comment_last_sync": "2099-01-01T00:00:00Z"})
        assert str(raised.value).startswith(
            "State 'comment_last_sync' is '2099-01-01T00:00:00Z', which is not between "
            "1970-01-01 and tomorrow"
        )

    def test_a_cursor_of_tomorrow_is_accepted(self, captured, api):
        # The newest day the answers held may be tomorrow in UTC, in a zone ahead of it.
        tomorrow = TODAY + timedelta(days=1)
        run(state={"blast_result_cursor": tomorrow.isoformat(), "comment_cursor": "1970-01-01"})
        assert api.sent("getBlastResults")[0]["fromDate"] == (tomorrow - timedelta(2)).isoformat()

    @pytest.mark.parametrize(
        "overrides, named",
        [
            ({"base_url": "http://a..b/api.php"}, "base_url"),
            ({"base_url": "http://[::1/"}, "base_url"),
            ({"base_url": "http://127.0.0.1:99999/api.php"}, "base_url"),
            ({"base_url": "http://-bad-.example/api.php"}, "base_url"),
            ({"lookback_days": "9" * 5000}, "lookback_days"),
            ({"from_date": "2" * 5000}, "from_date"),
        ],
    )
    def test_a_malformed_value_is_a_configuration_error_naming_the_key(
        self, captured, overrides, named
    ):
        with pytest.raises(ValueError) as raised:
            connector.validate_configuration(configuration(**overrides))
        assert f"Configuration '{named}'" in str(raised.value)
        assert len(str(raised.value)) < 300

    @pytest.mark.parametrize("url", ["http://[::1]:8765/api.php", "https://10.0.0.1/api.php"])
    def test_ip_addresses_are_hosts(self, captured, url):
        assert connector.validate_configuration(configuration(base_url=url))["base_url"] == url

    @pytest.mark.parametrize("body", ["9" * 400, "1e400", "-" + "9" * 400])
    def test_a_metric_that_is_not_finite_gets_no_row(self, captured, api, body):
        api.script("getNPSValue", (200, body))
        run_scripted(api)
        names = {row["metric_name"] for row in captured.rows("metric")}
        assert "nps" not in names and "happiness" in names
        (warning,) = [m for m in captured.messages("warning") if "getNPSValue" in m]
        assert "not a finite number" in warning


@UNDER_EVERY_PARSER
class TestParserAbuse:
    @pytest.mark.parametrize(
        "body",
        [
            '<!-- <a --><!DOCTYPE r [<!ENTITY e "777">]><r><response_id>&e;</response_id></r>',
            '<?xml version="1.0"?><!--x--><?pi <a?><!DOCTYPE r [<!ENTITY e "7">]><r/>',
        ],
    )
    def test_a_dtd_after_a_comment_or_instruction_is_refused(self, body):
        with pytest.raises(ApiError, match="DTD"):
            records_of(body)

    @pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be", "utf-16", "utf-32"])
    def test_a_body_in_utf_16_or_32_is_refused_whatever_it_declares(self, encoding):
        text = (
            '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE r [<!ENTITY e "777">]>'
            "<r><x><response_id>&e;</response_id></x></r>"
        )
        with pytest.raises(ApiError, match="UTF-16 or UTF-32"):
            list(iter_records([text.encode(encoding)], list_shape()))

    def test_a_nested_id_never_overwrites_the_primary_key(self, captured, api):
        body = (
            "<thermometer_blast_responses><thermometer_blast_response>"
            "<response><id>999</id></response><response_id>1</response_id><blast_id>2</blast_id>"
            "<thermometer_id>3</thermometer_id>"
            "<date_submitted>2026-11-20 08:15:00</date_submitted>"
            "</thermometer_blast_response></thermometer_blast_responses>"
        )
        api.script("getBlastResults", (200, body))
        run_scripted(api)
        (row,) = captured.rows("blast_result")
        assert row["response_id"] == 1 and row["response_id_2"] == "999"

    def test_mixed_content_keeps_its_text(self, captured, api):
        body = (
            "<comments><comment><response_id>5</response_id><date_submitted>2026-11-20 08:15:00"
            "</date_submitted><comment>Hello <b>bold</b> world</comment></comment></comments>"
        )
        api.script("getComments", (200, body))
        run_scripted(api)
        (row,) = captured.rows("comment")
        assert row["comment"] == "Hello bold world"


@UNDER_EVERY_PARSER
class TestBounds:
    def test_white_space_before_the_root_is_dropped_as_it_arrives(self):
        pieces = [b" \n" * 4096] * 2048 + [b"<comments><comment><id>1</id></comment></comments>"]
        yielded = list(checked_prolog(iter(pieces)))
        assert yielded == [pieces[-1]]  # 16 MB of white space, never held or searched again

    def test_a_record_larger_than_its_limit_is_an_error(self):
        huge = b"<comments><comment><comment>" + b"x" * 5_000_000
        with pytest.raises(ApiError, match="larger than 1,000,000 bytes"):
            list(iter_records([huge], list_shape("comment"), max_record_bytes=10**6))

    def test_a_compressed_bomb_stops_at_the_record_limit(self, captured, api, monkeypatch):
        compressor = zlib.compressobj(9, zlib.DEFLATED, 31)  # gzip framing
        parts = [compressor.compress(b"<thermometers><thermometer><name>")]
        parts += [compressor.compress(b"A" * 1_000_000) for _ in range(400)]  # 400 MB of text
        bomb = b"".join(parts) + compressor.flush()
        assert len(bomb) < 1_000_000
        monkeypatch.setitem(SYNC_LIMITS, "max_record_bytes", 10_000_000)
        api.script("getThermometers", (200, bomb, {"Content-Encoding": "gzip"}))
        with pytest.raises(RuntimeError, match="thermometer"):
            run_scripted(api)
        (error,) = captured.messages("error")
        assert "larger than 10,000,000 bytes" in error

    def test_an_answer_larger_than_its_limit_splits_a_window_then_fails_a_day(
        self, captured, api, monkeypatch
    ):
        monkeypatch.setitem(SYNC_LIMITS, "max_answer_bytes", 1)
        with pytest.raises(RuntimeError, match="blast_result"):
            run(from_date=(TODAY - timedelta(days=1)).isoformat())
        sent = [(q["fromDate"], q["toDate"]) for q in api.sent("getBlastResults")]
        yesterday, tomorrow = (
            (TODAY - timedelta(1)).isoformat(),
            (TODAY + timedelta(1)).isoformat(),
        )
        assert sent[:2] == [(yesterday, tomorrow), (tomorrow, tomorrow)]
        assert sent[-1][0] == sent[-1][1]  # a single day: an error, not split further
        errors = [m for m in captured.messages("error") if m.startswith("blast_result")]
        assert errors and "passed 1 bytes" in errors[0]

    def test_windows_are_bounded_per_table_and_the_next_syncs_go_on_from_there(
        self, captured, api, monkeypatch
    ):
        from tools.fake_api import FakeCustomerThermometer

        api.fake = FakeCustomerThermometer(
            responses=60, days=30, seed=5, api_key=API_KEY, today=TODAY, cap=3
        )
        monkeypatch.setitem(SYNC_LIMITS, "max_windows_per_table", 10)
        state, syncs = {}, 0
        while syncs == 0 or "blast_result_history" in state or "comment_history" in state:
            before = len(api.queries)
            run(state=state)  # a sync that stops on its budget succeeds, saying what is left
            syncs += 1
            sent = api.queries[before:]
            dated = [q for q in sent if q["getMethod"] == "getBlastResults"]
            counts = [q for q in sent if q["getMethod"] == "getNumResponsesValue"][:-1]
            # The last window read may make a few more at once (a count, its halves' counts).
            assert len(dated) + len(counts) <= 10 + 7
            new_state = captured.checkpoints[-1]
            if "blast_result_history" in new_state:
                left = sum(
                    (date.fromisoformat(b) - date.fromisoformat(a)).days + 1
                    for a, b in new_state["blast_result_history"]
                )
                still = f"{left} day is" if left == 1 else f"{left:,} days are"
                assert any(
                    m.startswith("blast_result: ") and f"{still} still to read" in m
                    for m in captured.messages("warning")
                )
            state = new_state
            assert syncs < 40, state
        assert syncs > 2  # the history did take several syncs
        assert sorted(set(keys(captured.rows("blast_result")))) == truth_keys(api.fake)
        comments = {
            (row["response_id"], row["date_submitted"]) for row in captured.rows("comment")
        }
        truth = {(row["response_id"], row["date_submitted"]) for row in api.fake.truth("comment")}
        assert comments == truth

    def test_a_sync_that_proves_no_day_of_what_is_left_fails_the_table(
        self, captured, api, monkeypatch
    ):
        from tools.fake_api import FakeCustomerThermometer

        api.fake = FakeCustomerThermometer(
            responses=60, days=30, seed=5, api_key=API_KEY, today=TODAY, cap=3
        )
        monkeypatch.setitem(SYNC_LIMITS, "max_windows_per_table", 1)
        with pytest.raises(RuntimeError, match="blast_result, comment"):
            run()  # one request: the newest records, cut, prove no day
        state = captured.checkpoints[-1]  # but what it read is saved: its cursor, the history
        assert state["blast_result_history"] and state["blast_result_cursor"]
        with pytest.raises(RuntimeError, match="blast_result, comment"):
            run(state=state)  # its one request reads the recent days; the history never moves
        assert any(
            "no day of what was left to read was proven" in m for m in captured.messages("error")
        )
        assert captured.checkpoints[-1]["blast_result_history"] == state["blast_result_history"]


def trickling_server(start, tick):
    """Serve on 127.0.0.1, to each connection: start, then tick every 0.05 s (at most 10 s).
    Return (its URL's host and port, a function that stops it)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.settimeout(0.2)
    stop = threading.Event()

    def answer(connection):
        with connection:
            connection.settimeout(1)
            try:
                connection.recv(65536)
                connection.sendall(start)
                for _ in range(200):
                    if stop.is_set():
                        return
                    connection.sendall(tick)
                    time.sleep(0.05)
            except OSError:
                return

    def serve():
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            threading.Thread(target=answer, args=(connection,), daemon=True).start()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()

    def stopped():
        stop.set()
        thread.join(timeout=5)
        listener.close()

    return f"127.0.0.1:{listener.getsockname()[1]}", stopped


@pytest.fixture
def stalling(monkeypatch):
    """A stand-in on 127.0.0.1 whose answers can stall (its `stalls`), with deadlines of 0.5 s."""
    monkeypatch.setitem(SYNC_LIMITS, "answer_deadline_seconds", 0.5)
    with FakeCustomerThermometer(
        responses=40, days=10, seed=3, api_key=API_KEY, today=TODAY
    ) as fake:
        yield fake


class TestEveryDeadlineHolds:
    """An answer that keeps sending, too little to end, ends at its deadline."""

    @pytest.mark.parametrize("stall", STALLS)
    def test_answers_that_stall_are_retried_then_stop_the_sync(self, captured, stalling, stall):
        stalling.stalls["getThermometers"] = stall
        with pytest.raises(RuntimeError) as raised:
            run(base_url=stalling.base_url)
        message = str(raised.value)
        assert "Customer Thermometer did not finish its answers at 127.0.0.1 (4 answers in a " in (
            message
        )
        assert "stalled past their deadline of 0.5 s, the last of getThermometers)" in message
        assert message.endswith(
            "so the sync stopped. Not read, or not whole (only what they "
            "proved is saved): thermometer, metric. Check base_url and this machine's network "
            "(or proxy), then sync again."
        )
        assert len(stalling.requests_for("getThermometers")) == 4
        assert captured.sleeps == [1, 2, 4]
        assert stalling.requests_for("getSendQuota") == []  # no table after it was asked
        assert len(captured.rows("recipient_list")) == len(stalling.recipient_lists)
        state = captured.checkpoints[-1]
        assert state["comment_cursor"] == state["blast_result_cursor"] == TODAY.isoformat()

    def test_a_window_that_stalls_is_split_and_four_in_a_row_stop_the_sync(
        self, captured, stalling
    ):
        stalling.stalls["getComments"] = "header"
        with pytest.raises(RuntimeError, match="the last of getComments") as raised:
            run(base_url=stalling.base_url)
        assert "saved): comment, recipient_list, thermometer, metric." in str(raised.value)
        assert len(stalling.requests_for("getComments")) == 4 and captured.sleeps == []
        halves = [m for m in captured.messages("warning") if "asking for each half" in m]
        assert len(halves) == 3 and "took longer than 0.5 s" in halves[0]
        assert sorted(keys(captured.rows("blast_result"))) == truth_keys(stalling)
        state = captured.checkpoints[-1]
        assert "comment_cursor" not in state and state["blast_result_cursor"]

    def test_stalls_not_in_a_row_do_not_stop_the_sync(self, captured, stalling):
        stalling.stalls["getRecipientLists"] = ["gzip_empty", "chunk_size"]
        stalling.stalls["getThermometers"] = ["trailers", "header"]
        run(base_url=stalling.base_url)  # four stalls, an answer read whole between
        assert captured.sleeps == [1, 2, 1, 2]
        landed = {row["id"] for row in captured.rows("thermometer")}  # upserted again too
        assert landed == {thermometer["id"] for thermometer in stalling.thermometers}
        assert len(captured.rows("metric")) == 6

    def test_answers_that_ended_between_stalls_break_the_row(self, captured, stalling):
        stalling.stalls["getSendQuota"] = ["header", None, "header", None, "header", None] * 2
        stalling.next_faults = ["503"] * 6  # each None above: an answer, a failed one
        context = SyncContext(
            connector.validate_configuration(configuration(base_url=stalling.base_url)), {}
        )
        context.answer_deadline_seconds = 0.5
        try:
            for _ in range(3):  # 12 attempts, 6 of them stalled, never 2 in a row
                with pytest.raises(ApiError, match="failed after 4 attempts") as raised:
                    fetch_value(context, "metric", "getSendQuota", {})
                assert not isinstance(raised.value, UnreachableError)
        finally:
            context.close()

    @pytest.mark.parametrize("stall", ["header", "gzip_empty"])
    def test_windows_read_again_to_prove_others_may_stall_too(self, captured, stalling, stall):
        stalling.stalls["getBlastResults"] = [stall, None, stall, None, stall]
        run(base_url=stalling.base_url)
        assert not captured.messages("error")
        assert sorted(keys(captured.rows("blast_result"))) == truth_keys(stalling)

    def test_a_wider_range_asked_to_prove_a_window_may_stall(self, captured, stalling):
        run(base_url=stalling.base_url)
        stalling.stalls["getBlastResults"] = [None, "header"]  # the lookback, then its proof
        run(state=captured.checkpoints[-1], base_url=stalling.base_url)
        assert not captured.messages("error")
        (probe,) = [e for e in stalling.requests_for("getBlastResults") if "stall" in e["outcome"]]
        assert probe["fromDate"] < (TODAY - timedelta(days=7)).isoformat()  # wider: the proof

    def test_the_deadline_shuts_down_the_socket_under_a_tls_layer(self, captured):
        ours, theirs = socket.socketpair()
        with ours, theirs:
            theirs.settimeout(5)
            layered = types.SimpleNamespace(socket=ours)  # as urllib3's TLS inside TLS
            with AnswerWatch(0.05) as watch:
                AnswerWatch.enlist(layered)
                assert theirs.recv(1) == b""  # shut down: the peer reads the end
            assert watch.cut()

    def test_a_deadline_passed_before_any_socket_cut_nothing(self):
        with AnswerWatch(0.01) as watch:
            time.sleep(0.1)
        assert watch.expired and not watch.cut()

    def test_a_slow_answer_that_sent_much_breaks_the_row(self, captured, stalling, monkeypatch):
        monkeypatch.setattr(client, "STALL_BYTES", 100)  # the XML before the trailers
        stalling.stalls["getRecipientLists"] = ["header"] * 3 + ["trailers"]
        stalling.stalls["getThermometers"] = ["header"] * 3  # then it answers
        with pytest.raises(RuntimeError, match="failed for recipient_list"):
            run(base_url=stalling.base_url)  # 6 stalls, never 4 in a row
        assert len(captured.rows("thermometer")) == len(stalling.thermometers)

    def test_a_slow_answer_that_sent_much_is_no_stall(self, captured, stalling, monkeypatch):
        monkeypatch.setattr(client, "STALL_BYTES", 100)  # the XML before the trailers
        stalling.stalls["getRecipientLists"] = "trailers"
        with pytest.raises(RuntimeError, match="failed for recipient_list"):
            run(base_url=stalling.base_url)
        (failure,) = captured.messages("error")
        assert "getRecipientLists failed after 4 attempts: the answer took longer than 0.5 s" in (
            failure
        )
        assert len(captured.rows("metric")) == 6  # the sync went on

    @pytest.mark.parametrize(
        "scheme, start, tick",
        [
            ("http", b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n", b"7"),
            # a TLS record's header, announcing 16 KB, then its bytes one by one: the handshake
            # waits for the whole record
            ("https", b"\x16\x03\x03\x40\x00", b"\x02"),
        ],
    )
    def test_a_trickle_in_the_body_or_the_tls_handshake_ends_at_the_deadline(
        self, captured, scheme, start, tick
    ):
        address, stopped = trickling_server(start, tick)
        settings = connector.validate_configuration(
            configuration(base_url=f"{scheme}://{address}/api.php")
        )
        context = SyncContext(settings, {})
        context.answer_deadline_seconds = 0.5
        try:
            with pytest.raises(UnreachableError, match="took longer than 0.5 s"):
                fetch_value(context, "metric", "getSendQuota", {})
        finally:
            context.close()
            stopped()
        assert captured.sleeps == [1, 2, 4]


def test_the_mocked_api_is_the_default(api):
    assert BASE_URL.startswith("https://")


MIXED_KEY = "Key+Adv/Secret-9876abc"


def assert_no_piece_in_any_case(key, texts):
    """Fail when any 6-character piece of key appears, in any case, in any of texts."""
    for text in texts:
        leaked = [piece for piece in key_pieces(key.lower()) if piece in text.lower()]
        assert not leaked, f"{leaked} of the key in {text!r}"


class TestNoPathForTheKey:
    @pytest.mark.parametrize(
        "echo",
        [
            MIXED_KEY.upper(),
            MIXED_KEY.lower(),
            "Key%2badv%2fsecret-9876ABC",  # URL-encoded, lower-case hex, case changed
            "Key%252BAdv%252FSecret",  # encoded twice, cut short
            "&#75;&#101;&#121;&#43;&#65;&#100;&#118;&#47;&#83;&#101;&#99;&#114;&#101;&#116;",
            "Key&#x2B;Adv&#x2F;Secret-9876abc",
            MIXED_KEY[3:12],
        ],
    )
    def test_an_echo_in_any_case_or_encoding_is_masked(self, echo):
        masked = mask_secrets(f"answer: Invalid API Key {echo}.", MIXED_KEY)
        assert masked.startswith("answer: Invalid API Key ") and "***" in masked
        assert_no_piece_in_any_case(MIXED_KEY, [masked])
        decoded = html.unescape(unquote_plus(unquote_plus(masked)))
        assert_no_piece_in_any_case(MIXED_KEY, [decoded])

    @pytest.mark.parametrize("times", [1, 2, 3, 4, 6, 9])
    def test_a_key_of_short_runs_encoded_again_and_again_is_masked(self, times):
        key = "K+a/b+c/d+e/f+g/h+i/j"  # no piece of six characters without a sign in it
        echo = key
        for _ in range(times):
            echo = quote_plus(echo)
        masked = mask_secrets(f"answer: {echo}", key)
        decoded = masked
        for _ in range(times):
            decoded = unquote_plus(decoded)
        assert_no_piece_in_any_case(key, [masked, decoded])

    @pytest.mark.parametrize("times", [2, 4])
    def test_a_key_of_which_every_character_is_encoded_is_masked(self, times):
        echo = MIXED_KEY
        for _ in range(times):
            echo = (
                "".join(f"%{ord(c):02X}" for c in echo)
                if echo == MIXED_KEY
                else (echo.replace("%", "%25"))
            )
        masked = mask_secrets(f"Invalid API Key: {echo}", MIXED_KEY)
        decoded = masked
        for _ in range(times):
            decoded = unquote_plus(decoded)
        assert_no_piece_in_any_case(MIXED_KEY, [masked, decoded])

    def test_text_without_the_key_is_left_as_it_was(self):
        text = "2026-01-01T00:00:00+01:00 a%20b &amp; Keyboard"
        assert mask_secrets(text, MIXED_KEY) == text

    def test_a_rejected_key_echoed_upper_cased_leaves_no_frame_below_update(self, captured, api):
        api.fake.api_key = "another-key-entirely"
        api.script("getBlastResults", (200, f"Invalid API Key {API_KEY.upper()}"))
        with pytest.raises(AuthenticationError) as raised:
            run()
        error = raised.value
        assert error.__cause__ is None and error.__context__ is None
        frames = [frame.f_code.co_name for frame, _ in traceback.walk_tb(error.__traceback__)]
        # (mutmut renames the functions it mutates: names are matched in part)
        assert "update" in frames[-1]
        assert not any(below in name for name in frames for below in ("sync_every", "fetch_"))
        assert_no_piece_in_any_case(API_KEY, everything_said(captured, error))

    def test_an_error_nobody_foresaw_leaves_update_masked_and_alone(self, monkeypatch):
        def broken(context, state):
            raise KeyError(f"no {API_KEY.swapcase()} here")

        monkeypatch.setattr(connector, "sync_blast_results", broken)
        monkeypatch.setattr(connector, "sync_one_table", lambda context, table, sync: sync())
        with pytest.raises(RuntimeError) as raised:
            connector.update(configuration(), {})
        assert str(raised.value).startswith("KeyError: ")
        assert raised.value.__context__ is None
        assert_no_piece_in_any_case(API_KEY, [str(raised.value)])

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

    def test_a_value_echoing_the_key_is_masked_in_the_bad_value_warning(self, captured, api):
        bad_value = {
            "response_id": "7",
            "blast_id": "1",
            "thermometer_id": "2",
            "temperature_id": API_KEY,
            "date_submitted": "2026-11-20 10:00:00",
        }
        unkeyed = {"response_id": API_KEY.upper(), "date_submitted": "2026-11-20 11:00:00"}
        api.script("getBlastResults", (200, blast_xml(bad_value, unkeyed)))
        run_scripted(api)
        warnings = captured.messages("warning")
        assert any("'temperature_id' of response_id" in m for m in warnings)
        assert any("skipped a record without a primary-key value" in m for m in warnings)
        assert_no_piece_in_any_case(API_KEY, captured.messages())

    def test_a_tag_named_like_the_key_is_masked_in_the_shape_report(self, captured, api):
        tag = "k" + API_KEY.replace("-", "_")
        record = blast_xml(
            {"id": "1", "name": "A", tag: "x"}, root="thermometers", tag="thermometer"
        )
        api.script("getThermometers", (200, record))
        run_scripted(api)
        assert any("thermometer: shape:" in m for m in captured.messages("info"))
        assert_no_piece_in_any_case(API_KEY, captured.messages())

    def test_the_http_libraries_log_no_key_whatever_handler_prints_them(self):
        import io
        import logging

        stream = io.StringIO()
        handler = logging.StreamHandler(stream)
        logging.getLogger().addHandler(handler)
        try:
            context = SyncContext(connector.validate_configuration(configuration()), {})
            url = f"{BASE_URL}?getMethod=getComments&apiKey={API_KEY}"
            try:
                raise ValueError(f"bad header in {url}")
            except ValueError:
                logging.getLogger("urllib3.connectionpool").warning(
                    "Failed to parse headers (url=%s): %s", url, "x", exc_info=True
                )
            context.close()
        finally:
            logging.getLogger().removeHandler(handler)
        logged = stream.getvalue()
        assert "Failed to parse headers (url=" in logged and "bad header in" in logged
        assert_no_piece_in_any_case(API_KEY, [logged])
        for name in LIBRARY_LOGGERS:  # closed: the sync's filter is gone with it
            assert context.log_filter not in logging.getLogger(name).filters


@UNDER_EVERY_PARSER
class TestErrorDocuments:
    @pytest.mark.parametrize(
        "body",
        [
            "<error><code>42</code><message>Date range too large</message></error>",
            "<Fault><faultstring>Date range too large</faultstring></Fault>",
            "<errors><error><code>42</code><text>Date range too large</text></error></errors>",
            "<response><status>error</status><message>Date range too large</message></response>",
            '<thermometer_blast_responses status="error" message="Date range too large"/>',
            '<ErrorResponse code="42">Date range too large</ErrorResponse>',
            '<response status="fail" reason="Date range too large"/>',
            "<thermometer_blast_responses><thermometer_blast_response><response_id>1"
            "</response_id></thermometer_blast_response><error>Date range too large</error>"
            "</thermometer_blast_responses>",
        ],
    )
    def test_an_error_document_is_an_error_never_an_empty_answer(self, captured, api, body):
        failure = the_failure(api, captured, "blast_result", "getBlastResults", (200, body))
        assert "getBlastResults" in failure and "an error document" in failure
        assert "Date range too large" in failure
        assert captured.rows("blast_result") == []
        state = captured.checkpoints[-1]
        assert state["blast_result_cursor"] == SCRIPTED_STATE["blast_result_cursor"]
        assert "blast_result_history" not in state  # nothing proven: nothing moved

    def test_records_without_fields_are_still_skipped_and_counted(self, captured, api):
        body = blast_xml({"id": "1", "name": "A"}, root="thermometers", tag="thermometer")
        api.script(
            "getThermometers",
            (200, body.replace("</thermometers>", "<x>text</x><y/>") + "</thermometers>"),
        )
        run_scripted(api)
        assert captured.rows("thermometer") == [{"id": 1, "name": "A"}]
        assert any("skipped 2 records that held no field" in m for m in captured.messages())

    def test_an_empty_root_with_attributes_that_say_no_error_is_no_data(self, captured, api):
        api.script("getThermometers", (200, '<thermometers total="0" page="1"/>'))
        run_scripted(api)
        assert captured.rows("thermometer") == [] and not captured.messages("error")

    def test_no_comment_where_blast_result_read_some_is_named_in_a_warning(self, captured, api):
        api.script("getComments", (200, "<comments/>"))
        run()
        assert captured.rows("comment") == []
        assert any(
            "answered no record, while blast_result read" in m and "with a comment" in m
            for m in captured.messages("warning")
        ), captured.messages()

    def test_a_list_of_only_empty_elements_is_no_data(self, captured, api):
        api.script("getThermometers", (200, "<thermometers><thermometer/></thermometers>"))
        run_scripted(api)
        assert captured.rows("thermometer") == [] and not captured.messages("error")

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


def thermometers(*records):
    """Return a getThermometers body of records given as raw XML."""
    return (
        "<thermometers>"
        + "".join(f"<thermometer>{r}</thermometer>" for r in records)
        + ("</thermometers>")
    )


@UNDER_EVERY_PARSER
class TestColumnsAndWidth:
    def test_fields_that_normalise_to_one_name_keep_their_columns_whatever_their_order(
        self, captured, api
    ):
        api.script(
            "getThermometers",
            (
                200,
                thermometers(
                    "<id>1</id><NPSScore>upper</NPSScore><nps_score>plain</nps_score>",
                    "<id>2</id><nps_score>plain</nps_score><NPSScore>upper</NPSScore>",
                ),
            ),
        )
        run_scripted(api)
        rows = {row["id"]: row for row in captured.rows("thermometer")}
        assert rows[1]["nps_score"] == rows[2]["nps_score"] == "plain"
        assert rows[1]["nps_score_2"] == rows[2]["nps_score_2"] == "upper"

    def test_fivetrans_own_column_names_are_renamed(self, captured, api):
        body = thermometers(
            "<id>1</id><_fivetran_synced>x</_fivetran_synced><_fivetran_deleted>"
            "true</_fivetran_deleted>"
        )
        api.script("getThermometers", (200, body))
        run_scripted(api)
        (row,) = captured.rows("thermometer")
        assert row == {"id": 1, "api_fivetran_synced": "x", "api_fivetran_deleted": "true"}

    def test_a_table_takes_at_most_500_new_columns_a_sync(self, captured, api):
        wide = "<id>1</id>" + "".join(f"<f{n}>v</f{n}>" for n in range(20000))
        api.script("getThermometers", (200, thermometers(wide, "<id>2</id><f0>w</f0>")))
        run_scripted(api)
        rows = {row["id"]: row for row in captured.rows("thermometer")}
        assert len(rows[1]) == 1 + 500 and rows[2] == {"id": 2, "f0": "w"}
        (dropped,) = [m for m in captured.messages("warning") if "dropped" in m]
        assert "dropped 19,500 fields" in dropped and "(and 19,450 more)" in dropped
        assert all(len(m) < 5000 for m in captured.messages())

    def test_a_value_past_one_megabyte_is_cut_with_a_warning(self, captured, api):
        big = "x" * (3 * 2**20)
        api.script("getThermometers", (200, thermometers(f"<id>1</id><name>{big}</name>")))
        run_scripted(api)
        (row,) = captured.rows("thermometer")
        assert len(row["name"]) == 2**20
        assert any("cut 1 value longer than 1,048,576" in m for m in captured.messages())

    def test_a_value_past_one_megabyte_in_an_attribute_is_cut(self, captured, api):
        big = "y" * (2 * 2**20)
        body = (
            '<thermometers><thermometer id="1" name="a"/>'
            f'<thermometer id="2" name="{big}"/><thermometer id="3" name="c"/></thermometers>'
        )
        chunks = [body.encode()[: 60 + len(big)], body.encode()[60 + len(big) :]]
        shape = ListShape(TABLE_SPECS["thermometer"])
        records = list(iter_records(chunks, shape))
        assert [len(r["name"]) for r in records] == [1, 2**20, 1] and shape.cut_values == 1

    def test_a_nested_fivetran_name_is_renamed_too(self, captured, api):
        body = thermometers("<id>1</id><_><fivetran_deleted>true</fivetran_deleted></_>")
        api.script("getThermometers", (200, body))
        run_scripted(api)
        (row,) = captured.rows("thermometer")
        assert row == {"id": 1, "api__fivetran_deleted": "true"}

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

    @pytest.mark.parametrize("saved", [10**30, -1, "12", True, 10001])
    def test_a_saved_largest_answer_no_sync_could_have_seen_is_a_state_error(
        self, captured, api, saved
    ):
        with pytest.raises(ValueError, match="State 'comment_largest_answer' is"):
            run(state={"comment_largest_answer": saved})
        assert api.queries == []

    def test_a_saved_largest_answer_within_the_limit_is_dropped_as_before(self, captured, api):
        run(state={"comment_largest_answer": 200, "comment_cursor": TODAY.isoformat()})
        assert "comment_largest_answer" not in captured.checkpoints[-1]


def comments_body(*texts, encoding=None):
    """Return a getComments body of one comment per text (bytes, put in as they are)."""
    declaration = f'<?xml version="1.0" encoding="{encoding}"?>'.encode() if encoding else b""
    records = b"".join(
        b"<comment><response_id>%d</response_id><blast_id>1</blast_id><thermometer_id>2"
        b"</thermometer_id><date_submitted>2026-11-20 10:%02d:00</date_submitted><comment>%s"
        b"</comment></comment>" % (100 + n, n, text)
        for n, text in enumerate(texts)
    )
    return declaration + b"<comments>" + records + b"</comments>"


def comments_answer(texts, line=b"", encoding=None, between=b"", bad_start=None, after=None):
    """Return (a getComments body, the indexes of its records that cannot be read): one record
    per text, a field a line; `between` after the second record; the record bad_start with a
    start tag XML does not allow; after: (index, text) of a field after a record's comment."""
    declaration = f'<?xml version="1.0" encoding="{encoding}"?>'.encode() if encoding else b""
    records, bad = [], set()
    for n, text in enumerate(texts):
        start = b"<comment a=1>" if n == bad_start else b"<comment>"
        fields = [
            b"<response_id>%d</response_id>" % (100 + n),
            b"<date_submitted>2026-11-20 10:00:00</date_submitted>",
            b"<comment>%s</comment>" % text,
        ]
        if after is not None and after[0] == n:
            fields.append(b"<company>%s</company>" % after[1])
        records.append(line.join([start, *fields, b"</comment>"]) + line)
        if n == 1:
            records.append(between)
        unreadable = b"<br>" in text or b"</b>" in text or (after and after[0] == n)
        if n == bad_start or unreadable:
            bad.add(n)
    return declaration + b"<comments>" + line + b"".join(records) + b"</comments>", bad


@UNDER_EVERY_PARSER
class TestOneBadRecordNeverStallsATable:
    @pytest.mark.parametrize(
        ("raw", "read"),
        [
            (b"tab\x0bbed", "tab\ufffdbed"),
            (b"nul &#0; ref", "nul \ufffd ref"),
            (b"caf&eacute; &nbsp;ok", "caf\u00e9 \u00a0ok"),
            (b"lone &#xD83D; half", "lone \ufffd half"),
            (b"pair &#xD83D;&#xDE00;", "pair \U0001f600"),
            (b"apart &#xD83D; &#xDE00;", "apart \ufffd \ufffd"),
            (b"unit &#31;&#32;separator", "unit \ufffd separator"),
            (b"odd \xef\xbf\xbe and \xef\xbf\xbf chars", "odd \ufffd and \ufffd chars"),
            (b"I <3 it, a < b", "I <3 it, a < b"),
            (b"latin \xe9t\xe9", "latin \ufffdt\ufffd"),
            (b"cdata ]]> outside", "cdata ]]> outside"),
            (b"AT&T rocks & rolls", "AT&T rocks & rolls"),
            (b"unknown &nosuch; entity", "unknown &nosuch; entity"),
            (b"<![CDATA[kept <b>&amp; as is]]>", "kept <b>&amp; as is"),
        ],
    )
    def test_a_comment_xml_cannot_hold_lands_with_the_rest(self, captured, api, raw, read):
        api.script("getComments", (200, comments_body(b"fine", raw, b"also fine")))
        run_scripted(api)
        comments = {row["response_id"]: row["comment"] for row in captured.rows("comment")}
        assert comments == {100: "fine", 101: read, 102: "also fine"}
        assert captured.checkpoints[-1]["comment_cursor"] == "2026-11-20"
        assert not captured.messages("error")
        if read != raw.decode("utf-8", "replace") and b"CDATA" not in raw:
            assert any("comment: repaired " in m for m in captured.messages("warning"))

    @pytest.mark.parametrize(
        "raw",
        [b"Great<br>thanks", b"a <b>bold</i> claim", b"<p>para", b"x</b> y"],
    )
    def test_a_record_that_cannot_be_read_is_skipped_named_and_the_rest_lands(
        self, captured, api, raw
    ):
        api.script("getComments", (200, comments_body(b"fine", raw, b"also fine")))
        run_scripted(api)
        comments = {row["response_id"]: row["comment"] for row in captured.rows("comment")}
        assert comments == {100: "fine", 102: "also fine"}
        assert captured.checkpoints[-1]["comment_cursor"] == "2026-11-20"
        assert not captured.messages("error")
        (warning,) = [m for m in captured.messages("warning") if "could not read" in m]
        assert warning.startswith("comment: skipped 1 record the XML parser could not read")
        assert "(response_id: '101')" in warning

    @pytest.mark.parametrize(
        ("texts", "options"),
        [
            ([b"a\rb", b"x<br>y", b"ok", b"ok"], {"line": b"\n"}),  # a lone CR before
            ([b"a\rb", b"x<br>y", b"ok", b"ok"], {}),  # the same, on one line
            ([b"ok", b"x<br>y", b"ok", b"<br>"], {"line": b"\r\n"}),
            ([b"ok", b"x<br>y", b"caf\xe9", b"ok"], {"encoding": "ISO-8859-1"}),  # after a restart
            ([b"ok", b"ok", b"ok"], {"between": b"<?pi x?><!-- n -->", "bad_start": 2}),
            ([b"ok", b"x<br>y", b"ok", b"ok"], {"bad_start": 2}),  # right after a record skipped
            ([b"a\rb"] + [b"ok"] * 300 + [b"x<br>y", b"ok"], {"line": b"\n"}),  # long before
            ([b"ok"] * 300 + [b"x<br>y", b"ok"], {"line": b"\r\n"}),  # CR LF split by pieces
            ([b"a\r\nb" * 5, b"ok", b"x<br>y", b"ok"], {"line": b"\n"}),  # around empty feeds
            ([b"ok", b"x<br>y", b"ok", b"ok"], {"between": b"<!-- c --><?pi x?>"}),  # then
            ([b"ok", b"ok", b"ok"], {"after": (1, b"Acme <Ltd>")}),  # after a <comment> field
            ([b"ok", b"x</comment></b>", b"ok"], {}),  # a stray end tag after the field's end
            ([b"ok", b"x<br>y", b"ok"], {"between": b"<!-- a\nlong\rcomment -->"}),
        ],
    )
    def test_each_record_lands_or_is_counted_and_named_whatever_the_pieces(self, texts, options):
        body, bad = comments_answer(texts, **options)
        good = [str(100 + n) for n in range(len(texts)) if n not in bad]
        for size in (1, 2, 7, 100, 8192, len(body)):
            shape = list_shape("comment")
            pieces = [body[i : i + size] for i in range(0, len(body), size)]
            read = list(iter_records(pieces, shape))
            assert [r["response_id"] for r in read if r] == good, size
            assert len(read) == len(texts) and shape.unreadable == len(bad), size
            assert shape.unreadable_ids == [str(100 + n) for n in sorted(bad)], size

    @pytest.mark.parametrize(
        "body",
        [
            comments_answer([b"ok", b"ok", b"ok"], between=b"<!-- a <b -- c -->")[0],  # between
            comments_answer([b"ok", b"ok", b"ok"], between=b" junk </b>")[0],  # text then
            comments_answer([b"ok", b"ok"], bad_start=0)[0],  # before any record
        ],
    )
    def test_malformed_xml_no_record_holds_fails_the_answer(self, body):
        with pytest.raises(ApiError, match="malformed XML"):
            list(iter_records([body], list_shape("comment")))

    def test_the_limit_of_records_that_cannot_be_read_is_one_answers(self):
        shape = list_shape("comment")
        for _ in range(2):  # as a window read again to prove it
            body = comments_answer([b"<br>"] * 60 + [b"ok"])[0]
            assert len(list(iter_records([body], shape))) == 61
        assert shape.unreadable == 120 and shape.unreadable_ids == [
            "100",
            "101",
            "102",
            "103",
            "104",
        ]

    def test_a_record_skipped_is_bounded_as_any_record(self):
        body = comments_answer([b"ok", b"x<br>" + b"y" * 5000, b"ok"])[0]
        pieces = [body[i : i + 100] for i in range(0, len(body), 100)]
        with pytest.raises(ApiError, match="a record larger than 2,000 bytes"):
            list(iter_records(pieces, list_shape("comment"), max_record_bytes=2000))

    def test_a_response_id_in_an_attribute_names_a_record_skipped(self):
        body = (
            b'<comments><comment a="1" response_id="7"><comment>x<br>y</comment></comment>'
            b'<comment response_id="8"><comment>ok</comment></comment></comments>'
        )
        shape = list_shape("comment")
        assert list(iter_records([body], shape)) == [
            {},
            {"comment": "ok", "response_id": "8"},
        ]
        assert shape.unreadable_ids == ["7"]

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

    def test_repairs_split_between_pieces_are_made_whole(self):
        body = comments_body(*[b"x" * 700 + b" caf&eacute;\x0b&#xD83D;&#xDE00;"] * 40)
        for size in (1, 7, 100, 8192):
            pieces = [body[i : i + size] for i in range(0, len(body), size)]
            records = list(iter_records(pieces, list_shape("comment")))
            assert len(records) == 40, size
            assert all(r["comment"].endswith(" caf\u00e9\ufffd\U0001f600") for r in records)

    def test_a_latin_1_answer_is_read_as_latin_1(self):
        body = comments_body(b"caf\xe9", encoding="ISO-8859-1")
        (record,) = iter_records([body], list_shape("comment"))
        assert record["comment"] == "caf\u00e9"

    def test_a_clean_answer_is_fed_unchanged(self):
        body = comments_body(
            b"plain &amp; &lt;fine&gt; \xc3\xa9", b"&#233; &#x1F600;", b"&#x0000000041;&#00066;"
        )
        records = list(iter_records([body], list_shape("comment")))
        assert [r["comment"] for r in records] == [
            "plain & <fine> \u00e9",
            "\u00e9 \U0001f600",
            "AB",
        ]


@UNDER_EVERY_PARSER
class TestRepairEdges:
    @pytest.mark.parametrize("size", [1, 5, 10**6])
    def test_each_repair_is_counted_once_and_xmls_own_entities_not_at_all(self, size):
        body = comments_body(
            b"&amp;&lt;&gt;&quot;&apos; &eacute;&nbsp;&nosuch; AT&T \x0b &NotEqualTilde;"
        )
        shape = list_shape("comment")
        pieces = [body[i : i + size] for i in range(0, len(body), size)]
        (record,) = iter_records(pieces, shape)
        assert record["comment"] == "&<>\"' \u00e9\u00a0&nosuch; AT&T \ufffd \u2242\u0338"
        assert shape.repaired == 6  # é, no-break space, &nosuch;, AT&T's &, \x0b, two characters

    @pytest.mark.parametrize(
        ("code", "allowed"),
        [
            (0x8, False),
            (0x9, True),
            (0xA, True),
            (0xB, False),
            (0xD, True),
            (0x1F, False),
            (0x20, True),
            (0xD7FF, True),
            (0xD800, False),
            (0xDFFF, False),
            (0xE000, True),
            (0xFFFD, True),
            (0xFFFE, False),
            (0xFFFF, False),
            (0x10000, True),
            (0x10FFFF, True),
            (0x110000, False),
            (-1, False),
        ],
    )
    def test_the_characters_xml_allows(self, code, allowed):
        assert _xml_allows(code) is allowed

    @pytest.mark.parametrize(
        ("digits", "code"),
        [
            (b"x41", 0x41),
            (b"X41", 0x41),
            (b"x0000000041", 0x41),
            (b"65", 65),
            (b"0000000065", 65),
            (b"x0", 0),
            (b"0", 0),
            (b"x10FFFF", 0x10FFFF),
            (b"x123456789", -1),
            (b"123456789", -1),
            (b"12345678", 12345678),
            (b"x12345678", 0x12345678),
        ],
    )
    def test_the_code_a_reference_names(self, digits, code):
        assert _reference_code(digits) == code

    def test_a_long_text_is_cut_where_nothing_repaired_is_split(self):
        text = b"a" * 100
        assert _safe_cut(text) == 36  # 64 bytes held back
        assert _safe_cut(b"a" * 63) <= 0
        assert _safe_cut(b"<tag attr='" + b"a" * 100) == 0  # still in its tag
        assert _safe_cut(b"<tag>" + b"a" * 100) == 41
        # Before a reference (an & within 40 bytes of the cut) and a run of references.
        data = b"a" * 50 + b"&eacute;" + b"b" * 60
        assert _safe_cut(data) == 50
        data = b"a" * 40 + b"&#xD83D;&#xDE00;" + b"b" * 58
        assert _safe_cut(data) == 40
        # Not in the middle of a UTF-8 character, nor after the "]" of a "]]>" to be.
        data = b"a" * 35 + "\u00e9".encode() * 40
        assert _safe_cut(data) % 2 == 1 and data[_safe_cut(data)] == 0xC3
        data = b"a" * 34 + b"]]" + b"c" * 64
        assert _safe_cut(data) == 34

    def test_every_cut_of_a_hostile_text_reads_the_same(self):
        text = (b"x" * 70 + b"&eacute;&#xD83D;&#xDE00;\x0b]]>&AT" + "\u00e9".encode() * 30) * 20
        body = comments_body(text)
        whole = list(iter_records([body], list_shape("comment")))
        for size in (1, 3, 64, 65, 100):
            pieces = [body[i : i + size] for i in range(0, len(body), size)]
            assert list(iter_records(pieces, list_shape("comment"))) == whole, size

    def test_references_are_read_one_by_one_and_in_pairs(self):
        repair = XmlRepair(True)
        part = b"&#65;&#xD83D;&#66;&#xDE00;&#xD83D;&#xDE00;&#0;"
        assert repair._numeric_references(part) == (b"&#65;&#xFFFD;&#66;&#xFFFD;&#128512;&#xFFFD;")
        assert repair.repaired == 4
        assert repair._numeric_references(b"&#xD83D;") == b"&#xFFFD;"
        assert repair._numeric_references(b"no refs") == b"no refs"
