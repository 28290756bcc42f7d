"""Unit tests of customer_thermometer/deadline.py: every answer ends at its deadline, however it
stalls or trickles."""

import socket
import threading
import time
import types
from datetime import timedelta

import pytest

import connector
from customer_thermometer import client
from customer_thermometer.client import fetch_value
from customer_thermometer.context import SyncContext
from customer_thermometer.deadline import WATCHED_POOLS, AnswerWatch, WatchedAdapter
from customer_thermometer.errors import ApiError, UnreachableError
from tests.conftest import TODAY, configuration
from tests.support import keys, run, trickling_server, truth_keys
from tools.fake_api import STALLS


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


@pytest.fixture
def pair():
    """A connected pair of sockets: the first as a request's, the second as the server's."""
    ours, theirs = socket.socketpair()
    yield ours, theirs
    ours.close()
    theirs.close()


def usable(sock, other):
    """Return True when sock still sends to other."""
    try:
        sock.sendall(b"x")
        return other.recv(1) == b"x"
    except OSError:
        return False


class TestAnswerWatch:
    def test_a_watch_starts_unexpired_with_a_daemon_timer(self):
        watch = AnswerWatch(5)
        assert (watch.expired, watch.ended, watch.sockets, watch.copies) == (False, False, [], [])
        assert watch.timer.daemon is True and not watch.cut()

    def test_the_deadline_shuts_down_the_sockets_enlisted(self, pair):
        ours, theirs = pair
        with AnswerWatch(60) as watch:
            AnswerWatch.enlist(ours)
            AnswerWatch.enlist(ours)
            assert watch.sockets == [ours] and usable(ours, theirs)
            watch.expire()
            assert watch.cut() and not usable(ours, theirs)

    def test_a_deadline_with_no_socket_cut_nothing(self):
        with AnswerWatch(60) as watch:
            watch.expire()
        assert watch.expired and not watch.cut()

    def test_a_socket_enlisted_after_the_deadline_is_shut_down_at_once(self, pair):
        ours, theirs = pair
        with AnswerWatch(60) as watch:
            watch.expire()
            AnswerWatch.enlist(ours)
            assert not usable(ours, theirs)

    def test_the_end_of_the_answer_stops_the_watch(self, pair):
        ours, theirs = pair
        with AnswerWatch(60) as watch:
            AnswerWatch.enlist(ours)
        watch.expire()
        assert watch.ended and not watch.expired and usable(ours, theirs)
        AnswerWatch.enlist(ours)  # no watch any more: nothing happens
        assert getattr(AnswerWatch.current, "watch", None) is None

    def test_an_error_inside_the_watch_is_raised(self):
        with pytest.raises(ValueError), AnswerWatch(60):
            raise ValueError("the request's own")

    def test_nothing_is_enlisted_outside_a_watch_or_without_a_socket(self, pair):
        ours, _ = pair
        raised = []
        thread = threading.Thread(target=lambda: raised.append(AnswerWatch.enlist(ours)))
        thread.start()
        thread.join()
        assert raised == [None]
        with AnswerWatch(60) as watch:
            AnswerWatch.enlist(None)
        assert watch.sockets == []

    def test_a_socket_inside_a_tls_layer_is_the_one_enlisted(self, pair):
        ours, theirs = pair

        class Layer:
            def __init__(self, inner):
                self.socket = inner

        with AnswerWatch(60) as watch:
            AnswerWatch.enlist(Layer(Layer(ours)))
            assert watch.sockets == [ours]
            watch.expire()
        assert not usable(ours, theirs)

    def test_a_copy_is_enlisted_and_closed_when_the_answer_ends(self, pair):
        ours, theirs = pair
        with AnswerWatch(60) as watch:
            AnswerWatch.enlist(ours, copy=True)
            (copy,) = watch.copies
            assert watch.sockets == [copy] and copy is not ours
        assert copy.fileno() == -1 and usable(ours, theirs)


class TestWatchedAdapter:
    def test_the_adapters_pools_are_watched_with_their_settings(self):
        adapter = WatchedAdapter(pool_maxsize=7, pool_block=True)
        assert adapter.poolmanager.pool_classes_by_scheme == WATCHED_POOLS
        assert adapter.poolmanager.connection_pool_kw["maxsize"] == 7
        assert adapter.poolmanager.connection_pool_kw["block"] is True

    def test_a_proxys_pools_are_watched_too(self):
        adapter = WatchedAdapter()
        manager = adapter.proxy_manager_for("http://user:pw@127.0.0.1:9")
        assert manager.pool_classes_by_scheme == WATCHED_POOLS
        assert manager.proxy.host == "127.0.0.1"
        assert adapter.proxy_manager_for("http://user:pw@127.0.0.1:9") is manager


class TestMoreWatch:
    def test_a_layer_that_can_shut_down_is_enlisted_itself(self, pair):
        ours, _ = pair

        class Wrapper:
            socket = ours

            def shutdown(self, how):
                pass

        wrapper = Wrapper()
        with AnswerWatch(60) as watch:
            AnswerWatch.enlist(wrapper)
        assert watch.sockets == [wrapper]

    def test_a_proxys_settings_reach_its_pools(self):
        manager = WatchedAdapter().proxy_manager_for("http://127.0.0.1:9", retries=5)
        assert manager.connection_pool_kw["retries"].total == 5
