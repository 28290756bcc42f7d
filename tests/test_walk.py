"""Unit tests of customer_thermometer/walk.py: the order a table's windows are read in, the cursor
each sync leaves, and the request budget's history."""

from datetime import date, timedelta

import pytest

from customer_thermometer.proofs import read_window
from customer_thermometer.specs import SYNC_LIMITS
from customer_thermometer.walk import (
    doubted,
    doubts_to_read,
    log_walk_end,
    made_progress,
    new_cursor,
    no_progress,
    not_read_since,
    reordered,
    restart,
    start_windows,
    still_to_read,
    sync_windowed_table,
    unproven_to_save,
)
from customer_thermometer.windows import TableWalk, log_unproven
from tests.conftest import API_KEY, TODAY, UNDER_EVERY_PARSER, day, small_account
from tests.support import (
    LIST_METHODS,
    UPPER,
    blast_xml,
    capped_account,
    history_days,
    in_ranges,
    kept_or_given_up,
    keyed_record,
    keys,
    run,
    spans,
    sync_context,
    truth_keys,
    window,
)
from tools.fake_api import FakeCustomerThermometer


class TestRequests:
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


class TestWindows:
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


class TestProgress:
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


@UNDER_EVERY_PARSER
class TestBounds:
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


@pytest.fixture
def synced(captured):
    """The context of a sync on 2026-11-26 (tomorrow: 2026-11-27), from_date 2026-01-01."""
    context = sync_context()
    context.settings["from_date"] = day("2026-01-01")
    yield context
    context.close()


def days_of(windows):
    """Return windows as (start, end, probe) tuples of text."""
    return [
        (w.start.isoformat(), w.end.isoformat(), w.probe and w.probe.isoformat()) for w in windows
    ]


class TestStartWindows:
    def test_a_first_sync_reads_from_from_date_to_tomorrow(self, synced):
        assert days_of(start_windows(synced, "comment", None, [])) == [
            ("2026-01-01", "2026-11-27", None)
        ]

    def test_a_next_sync_reads_its_lookback_proven_by_a_range_four_times_longer(self, synced):
        got = start_windows(synced, "comment", day("2026-11-20"), [])
        # 2026-11-18..27 is 10 days: the probe starts 40 days before it
        assert days_of(got) == [("2026-11-18", "2026-11-27", "2026-10-09")]

    def test_a_probe_starts_no_earlier_than_from_date(self, synced):
        synced.settings["from_date"] = day("2026-11-10")
        assert days_of(start_windows(synced, "comment", day("2026-11-20"), [])) == [
            ("2026-11-18", "2026-11-27", "2026-11-10")
        ]
        synced.settings["from_date"] = day("2026-11-18")
        assert days_of(start_windows(synced, "comment", day("2026-11-20"), [])) == [
            ("2026-11-18", "2026-11-27", None)
        ]
        synced.settings["from_date"] = day("2026-11-19")
        assert days_of(start_windows(synced, "comment", day("2026-11-20"), []))[0][0] == (
            "2026-11-19"
        )

    def test_a_filter_on_send_dates_reads_back_as_far_as_the_longest_lag(self, synced):
        walk = synced.walk("comment")
        walk.field, walk.lag_days = "blast_date", 5
        got = start_windows(synced, "comment", day("2026-11-20"), [])
        assert got[-1].start == day("2026-11-13")

    def test_history_within_from_date_is_read_before_the_lookback(self, synced):
        history = [
            (day("2025-12-01"), day("2025-12-31")),
            (day("2025-12-20"), day("2026-01-05")),
            (day("2026-03-01"), day("2026-03-02")),
        ]
        got = start_windows(synced, "comment", day("2026-11-20"), history)
        assert [(w.start.isoformat(), w.end.isoformat()) for w in got] == [
            ("2026-01-01", "2026-01-05"),
            ("2026-03-01", "2026-03-02"),
            ("2026-11-18", "2026-11-27"),
        ]
        history = [(day("2025-12-01"), day("2026-01-01"))]
        got = start_windows(synced, "comment", day("2026-11-20"), history)
        assert (got[0].start, got[0].end) == (day("2026-01-01"), day("2026-01-01"))


class TestWhatIsLeft:
    def test_days_from_the_new_cursor_on_are_left_to_the_next_window(self):
        left = [(day("2026-11-01"), day("2026-11-10")), (day("2026-11-20"), day("2026-11-25"))]
        got = still_to_read(left, None, day("2026-11-08"), [], day("2026-01-01"))
        assert got == [(day("2026-11-01"), day("2026-11-07"))]

    def test_days_an_earlier_sync_proved_are_not_left_but_the_saved_cursors_day_is(self):
        left = [(day("2026-11-10"), day("2026-11-25"))]
        history = [(day("2026-11-12"), day("2026-11-13"))]
        got = still_to_read(left, day("2026-11-20"), day("2026-11-26"), history, day("2026-11-10"))
        assert got == [
            (day("2026-11-12"), day("2026-11-13")),
            (day("2026-11-20"), day("2026-11-25")),
        ]

    def test_at_most_twenty_ranges_are_left(self):
        left = [(day("2026-01-01") + timedelta(days=3 * n),) * 2 for n in range(30)]
        got = still_to_read(left, None, day("2026-12-01"), [], day("2026-01-01"))
        assert len(got) == 20 and got[0][0] == day("2026-01-01")

    def test_a_cursor_is_the_newest_day_read_never_back_nor_past_tomorrow(self, synced):
        walk = synced.walk("comment")
        assert new_cursor(synced, walk, None) is None
        assert new_cursor(synced, walk, day("2026-11-20")) == day("2026-11-20")
        walk.newest = day("2026-11-22")
        assert new_cursor(synced, walk, day("2026-11-20")) == day("2026-11-22")
        assert new_cursor(synced, walk, None) == day("2026-11-22")
        assert new_cursor(synced, walk, day("2026-11-24")) == day("2026-11-24")
        walk.newest = day("2026-12-05")
        assert new_cursor(synced, walk, None) == day("2026-11-27")

    def test_progress_is_fewer_days_left_than_before(self, synced):
        first = [window("2026-01-01", "2026-11-27")]
        left = [(day("2026-01-01"), day("2026-06-30"))]
        assert made_progress(synced, None, day("2026-11-20"), first, left)
        assert not made_progress(synced, None, None, first, left)
        assert not made_progress(synced, None, day("2026-01-02"), first, [first[0][:2]])
        starts = [window("2026-03-01", "2026-03-10"), window("2026-11-18", "2026-11-27")]
        cursor = day("2026-11-20")
        assert made_progress(
            synced, cursor, cursor, starts, [(day("2026-03-01"), day("2026-03-09"))]
        )
        assert not made_progress(synced, cursor, cursor, starts, [starts[0][:2]])


class TestWalkSays:
    def test_a_walk_that_proved_nothing_says_how_many_requests_it_made(self, synced):
        walk = synced.walk("comment")
        walk.requests = 3
        assert str(no_progress(walk)).startswith(
            "3 requests (lists and counts) made and windows still to read, and no day of what "
            "was left to read was proven"
        )

    def test_a_restart_forgets_what_the_other_date_showed(self, synced):
        walk = synced.walk("comment")
        walk.restart, walk.groups, walk.unproven, walk.margin = True, {1: {}}, ["w"], 1
        walk.newest = day("2026-11-20")
        synced.tally[day("2026-11-20")] = {1}
        restart(synced, walk)
        assert (walk.restart, walk.groups, walk.unproven, walk.margin) == (False, {}, [], 0)
        assert walk.newest is None and synced.tally == {}

    def test_the_end_of_a_walk_says_what_it_could_not_prove_and_what_is_left(
        self, synced, captured
    ):
        walk = synced.walk("comment")
        walk.witness.unusable, walk.largest, walk.requests = "no count", 10, 400
        walk.field, walk.lag_days = "blast_date", 3
        log_walk_end(synced, "comment", [(day("2026-11-01"), day("2026-11-01"))])
        assert captured.messages("warning") == [
            "comment: no count could check getComments's answers in this sync, so they were "
            "proven complete by their size alone, which holds for a cap of a fixed number of "
            "records: if the API's cap changed during the sync, responses may be missing",
            "comment: getComments selects by blast_date (the send date), so a sync reads sends "
            "from 3 days before its lookback (the longest a response came after its send so "
            "far); a response to an older send is not read",
            "comment: 400 requests made, as many as one sync makes for a table: 1 day is still "
            "to read (2026-11-01..2026-11-01); the rows read are kept, and the next sync goes "
            "on from there, newest days first",
        ]

    def test_days_left_are_counted_in_the_plural(self, synced, captured):
        log_walk_end(synced, "comment", [(day("2026-11-01"), day("2026-11-02"))])
        (warning,) = captured.messages("warning")
        assert "0 requests made" in warning and ": 2 days are still to read" in warning

    @pytest.mark.parametrize("doubt, largest", [(True, 10), (False, 0)])
    def test_no_size_warning_where_a_doubt_was_said_or_nothing_was_listed(
        self, synced, captured, doubt, largest
    ):
        walk = synced.walk("comment")
        walk.witness.unusable, walk.largest, synced.doubt = "no count", largest, doubt
        log_walk_end(synced, "comment", [])
        assert captured.messages("warning") == []


class TestWalkWhole:
    def test_a_filter_on_send_dates_restarts_the_walk_and_lands_every_row(self, captured, api):
        fake = api.fake = small_account(cap=10, date_filter="blast_date")
        run()
        assert sorted(set(keys(captured.rows("blast_result")))) == truth_keys(fake)
        state = captured.checkpoints[-1]
        assert state["blast_result_date_field"] == "blast_date"
        assert state["blast_result_cursor"] == TODAY.isoformat()
        (summary,) = [m for m in captured.messages("info") if m.startswith("blast_result: 1970")]
        assert summary.startswith(f"blast_result: 1970-01-01..{UPPER}, ")

    def test_a_restart_keeps_a_next_syncs_cursor_and_history(self, captured, api):
        fake = api.fake = small_account(cap=10, date_filter="blast_date")
        state = {
            "blast_result_cursor": "2026-11-20",
            "blast_result_history": [["2026-11-01", "2026-11-03"]],
        }
        run(state=state)
        sent = {(q["fromDate"], q["toDate"]) for q in api.sent("getBlastResults")}
        assert ("2026-11-01", "2026-11-03") in sent
        assert "blast_result_history" not in captured.checkpoints[-1]
        assert fake.truth("blast_result")

    def test_a_full_table_says_it_read_the_whole_list(self, captured, api):
        run()
        (summary,) = [m for m in captured.messages("info") if m.startswith("thermometer: wh")]
        assert summary.startswith("thermometer: whole list, 1 request, ")

    def test_a_table_read_whole_and_proven_becomes_the_comments_witness(self, captured, api):
        context = sync_context()
        context.settings["from_date"] = day("2026-11-01")
        assert sync_windowed_table(context, "blast_result", None) == TODAY.isoformat()
        assert context.tally_days == [(day("2026-11-01"), TODAY + timedelta(days=1))]
        assert context.walk("blast_result").progress == (TODAY, [], [])
        context.close()

    def test_comments_are_no_witness_and_an_unproven_table_neither(self, captured, api):
        context = sync_context()
        context.settings["from_date"] = day("2026-11-01")
        sync_windowed_table(context, "comment", None)
        assert context.tally_days == []
        walk = context.walk("blast_result")
        walk.unproven.append("a window")
        sync_windowed_table(context, "blast_result", None)
        assert context.tally_days == []
        context.close()

    def test_a_table_with_nothing_answered_and_no_cursor_keeps_none(self, captured, api):
        api.fake = small_account(responses=0)
        context = sync_context()
        assert sync_windowed_table(context, "blast_result", None) is None
        assert context.walk("blast_result").progress == (None, [], [])
        context.close()

    def test_a_walk_stops_at_its_budget_and_leaves_the_rest(self, captured, api, monkeypatch):
        api.fake = capped_account()
        monkeypatch.setitem(SYNC_LIMITS, "max_windows_per_table", 6)
        context = sync_context()
        sync_windowed_table(context, "blast_result", None)
        walk = context.walk("blast_result")
        assert walk.requests == 6 and walk.progress[1]
        assert any("6 requests made, as many as" in m for m in captured.messages("warning"))
        context.close()


def tried(*ranges):
    """Return (first, last, tries) ranges of ("YYYY-MM-DD", "YYYY-MM-DD", tries)."""
    return [(day(first), day(last), tries) for first, last, tries in ranges]


class TestWindowsReadAgain:
    def walk(self, *unproven):
        walk = TableWalk("blast_result")
        walk.unproven_days = [(day(first), day(last)) for first, last in unproven]
        return walk

    def test_a_window_not_proven_is_saved_with_one_try_more_than_those_it_overlaps(self):
        walk = self.walk(("2026-11-01", "2026-11-03"), ("2026-11-10", "2026-11-10"))
        earlier = tried(("2026-11-03", "2026-11-05", 1), ("2026-11-20", "2026-11-21", 1))
        saved = unproven_to_save(walk, earlier, [], day("2026-11-26"))
        assert saved == tried(("2026-11-01", "2026-11-03", 2), ("2026-11-10", "2026-11-10", 1))
        assert walk.given_up == []

    def test_an_earlier_window_not_read_keeps_its_tries_for_the_days_still_to_read(self):
        earlier = tried(("2026-11-03", "2026-11-09", 2))
        left = [(day("2026-11-01"), day("2026-11-04")), (day("2026-11-08"), day("2026-11-12"))]
        saved = unproven_to_save(self.walk(), earlier, left, day("2026-11-26"))
        assert saved == tried(("2026-11-03", "2026-11-04", 2), ("2026-11-08", "2026-11-09", 2))

    def test_an_earlier_window_whose_read_failed_the_table_counts_a_try(self):
        earlier = tried(("2026-11-03", "2026-11-09", 2), ("2026-11-12", "2026-11-12", 1))
        left = [(day("2026-11-03"), day("2026-11-12"))]
        failed = (day("2026-11-05"), day("2026-11-06"))
        walk = self.walk()
        saved = unproven_to_save(walk, earlier, left, day("2026-11-26"), failed)
        assert saved == tried(("2026-11-12", "2026-11-12", 1))
        assert walk.given_up == [(day("2026-11-03"), day("2026-11-09"))]

    def test_a_window_tried_by_three_syncs_is_given_up(self):
        walk = self.walk(("2026-11-01", "2026-11-02"), ("2026-11-05", "2026-11-05"))
        earlier = tried(("2026-11-01", "2026-11-01", 2), ("2026-11-05", "2026-11-05", 1))
        saved = unproven_to_save(walk, earlier, [], day("2026-11-26"))
        assert saved == tried(("2026-11-05", "2026-11-05", 2))
        assert walk.given_up == [(day("2026-11-01"), day("2026-11-02"))]

    def test_days_from_the_new_cursor_on_are_left_to_the_next_syncs_first_window(self):
        walk = self.walk(("2026-11-20", "2026-11-27"))
        saved = unproven_to_save(walk, [], [], day("2026-11-25"))
        assert saved == tried(("2026-11-20", "2026-11-24", 1))


class TestACapOfNoOneNumberOverSyncs:
    @pytest.mark.parametrize(
        "variant",
        [
            {"cap_range": (6, 15), "counts": "none"},
            {"cap_range": (6, 15)},
            {"cap_bytes": 9000, "counts": "none"},
            {"cap_bytes": 9000},
        ],
        ids=["drawn, no count", "drawn, counted", "bytes, no count", "bytes, counted"],
    )
    def test_every_row_lands_or_each_missing_window_is_named_and_kept(
        self, captured, api, variant
    ):
        api.fake = small_account(responses=200, days=60, **variant)
        state = {}
        for _ in range(5):
            try:
                run(state=state)
            except RuntimeError:
                pass  # a table that could not finish: what it proved is saved
            state = captured.checkpoints[-1]
        outputs = ["\n".join(captured.messages("warning"))]
        for table in ("blast_result", "comment"):
            landed = {row["response_id"] for row in captured.rows(table)}
            ranges = kept_or_given_up(state, outputs, table)
            for row in api.fake.truth(table):  # each missing one: still to read, or given up
                if row["response_id"] not in landed:
                    assert in_ranges(row["date_submitted"].date(), ranges), row["response_id"]

    def test_a_varying_cap_is_named_apart_from_the_generic_warning(self, captured, api):
        api.fake = small_account(responses=200, days=60, cap_range=(6, 15), counts="none")
        run()
        warned = captured.messages("warning")
        refuted = [m for m in warned if "so the API's cap is not one number of records" in m]
        assert refuted and refuted[0].startswith("blast_result: ")
        assert "proven by size alone may be missing responses" in refuted[0]
        assert "read again next sync" in refuted[0]
        assert not [m for m in warned if m.startswith("blast_result: no count could check")]
        assert captured.checkpoints[-1]["blast_result_unproven"]

    def test_a_fixed_cap_without_a_count_keeps_the_generic_warning_only(self, captured, api):
        api.fake = small_account(responses=200, days=60, cap=10, counts="none")
        run()
        warned = captured.messages("warning")
        assert [m for m in warned if m.startswith("blast_result: no count could check")]
        assert not [m for m in warned if "not one number of records" in m]
        assert "blast_result_unproven" not in captured.checkpoints[-1]
        assert sorted(set(keys(captured.rows("blast_result")))) == truth_keys(api.fake)

    def test_a_window_not_proven_is_read_again_until_proven_or_given_up(self, captured, api):
        # The count counts deleted responses too: windows it cannot vouch for are named, kept,
        # read again by each later sync, and given up after three.
        api.fake = capped_account(counts="with_deleted")
        run()
        first = captured.checkpoints[-1]["blast_result_unproven"]
        assert first and all(tries == 1 for _, _, tries in first)
        sent = len(api.queries)
        run(state=captured.checkpoints[-1])
        asked = {(q["fromDate"], q["toDate"]) for q in api.queries[sent:] if "fromDate" in q}
        assert any(first[0][0] <= low <= first[0][1] for low, _ in asked)
        second = captured.checkpoints[-1].get("blast_result_unproven", [])
        run(state=captured.checkpoints[-1])
        third = captured.checkpoints[-1].get("blast_result_unproven", [])
        assert all(tries < 3 for _, _, tries in second + third)
        if any(tries == 2 for _, _, tries in second):
            assert any("in 3 syncs in a row, so no sync reads" in m for m in captured.messages())


class TestAFilterByAnotherDateOverSyncs:
    def test_windows_read_again_under_a_send_date_filter_never_fail_a_table(self, captured, api):
        # Comments carry no send date: their windows cannot be proven, and are read again.
        api.fake = small_account(responses=300, days=60, cap=40, date_filter="blast_date")
        state, sent = {}, []
        for _ in range(4):
            before = len(api.queries)
            run(state=state)  # raises if a table failed
            state = captured.checkpoints[-1]
            sent.append(len([q for q in api.queries[before:] if q["getMethod"] == "getComments"]))
        assert max(sent[1:]) <= 2 * sent[0] + 10  # read again, not peeled a day at a time
        assert "comment_unproven" not in state  # given up after three syncs, by name
        assert any("no sync reads" in m for m in captured.messages("warning"))
        landed = {row["response_id"] for row in captured.rows("comment")}
        assert landed == {row["response_id"] for row in api.fake.truth("comment")}


class TestCommentsWithoutADate:
    def comment_keys(self, rows):
        return sorted((row["response_id"], row["date_submitted"]) for row in rows)

    def test_every_comment_lands_with_its_responses_date(self, captured, capped):
        fake = capped(comment_dates="undated")
        run()
        truth = self.comment_keys(fake.truth("comment"))
        assert self.comment_keys(captured.rows("comment")) == truth and truth
        assert not captured.messages("warning")
        assert "comment_unproven" not in captured.checkpoints[-1]

    def test_comments_whose_responses_were_not_read_are_read_again_next_sync(
        self, captured, capped, api
    ):
        fake = capped(comment_dates="undated")
        api.script("getBlastResults", (500, "down"), (500, "down"), (500, "down"), (500, "down"))
        with pytest.raises(RuntimeError, match=r"failed for blast_result \("):
            run()  # no blast result read: no comment lands, and none without its date
        assert captured.rows("comment") == []
        warned = "\n".join(captured.messages("warning"))
        assert "without a date whose response blast_result did not read in this sync" in warned
        assert "skipped, and those days are read again next sync by both tables" in warned
        state = captured.checkpoints[-1]
        assert "comment_cursor" not in state  # nothing proven
        run(state=state)
        truth = self.comment_keys(fake.truth("comment"))
        assert self.comment_keys(captured.rows("comment")) == truth


class TestDateLayouts:
    def landed(self, captured, fake):
        for table in ("blast_result", "comment"):
            got = sorted(
                (row["response_id"], row["date_submitted"]) for row in captured.rows(table)
            )
            truth = sorted(
                (row["response_id"], row["date_submitted"]) for row in fake.truth(table)
            )
            assert got == truth and truth, table

    def said(self, captured):
        return [m for m in captured.messages("info") if "writes dates as" in m]

    @pytest.mark.parametrize(
        "layout, saved",
        [
            ("day_first", "DD/MM/YYYY"),
            ("month_first", "MM/DD/YYYY"),
            ("day_first_dots", "DD/MM/YYYY"),
            ("year_slash", None),
        ],
    )
    def test_every_row_lands_typed_and_a_day_or_month_reading_is_saved(
        self, captured, capped, layout, saved
    ):
        fake = capped(datetimes=layout)
        run()
        self.landed(captured, fake)
        assert not captured.messages("warning")
        state = captured.checkpoints[-1]
        assert state.get("blast_result_date_layout") == saved
        assert state.get("comment_date_layout") == saved
        assert len(self.said(captured)) == (1 if saved else 0)  # the API's, for every table
        if saved:
            assert self.said(captured)[0] == (
                f"blast_result: getBlastResults writes dates as {saved} (a day past 12): every "
                f"table's answers are read so from now on, and the next syncs start with it"
            )
        captured.upserts.clear()
        captured.logs.clear()
        run(state=state)  # the next sync starts with it: nothing to decide
        assert not self.said(captured) and not captured.messages("warning")
        assert captured.checkpoints[-1].get("blast_result_date_layout") == saved

    def ambiguous(self, capped):
        """An account whose every response is of the 1st to the 12th of a month."""
        # October 6 to 11 (sends from October 2), read as June 10 to November 10 too: both
        # before tomorrow
        return capped(datetimes="day_first", today=date(2026, 10, 11), days=6)

    def test_dates_that_read_either_way_are_told_apart_by_fewer_days(self, captured, capped):
        fake = self.ambiguous(capped)
        run()
        self.landed(captured, fake)
        assert not captured.messages("warning")
        (said,) = self.said(captured)
        assert "DD/MM/YYYY (only under it do they fall in the days asked for)" in said
        assert captured.checkpoints[-1]["blast_result_cursor"] == "2026-10-11"

    def test_a_day_whose_dates_still_read_either_way_is_held_back_and_not_passed(
        self, captured, api
    ):
        context = sync_context()
        walk = context.walk("blast_result")
        record = keyed_record(date_submitted="05/03/2026 10:00:00")  # neither reading is 11-20
        api.script("getBlastResults", (200, blast_xml(record)))
        assert read_window(context, "blast_result", window("2026-11-20", "2026-11-20")) == []
        assert [(w.start, records) for w, records in walk.doubted] == [(day("2026-11-20"), 1)]
        assert captured.rows("blast_result") == []
        assert doubted(context, "blast_result", day("2026-11-25")) == day("2026-11-20")
        log_unproven(context, "blast_result")
        (warned,) = captured.messages("warning")
        assert warned.startswith("blast_result: getBlastResults 2026-11-20..2026-11-20 could not")
        assert (
            "the dates of 1 record read as DD/MM/YYYY and as MM/DD/YYYY alike (day and month "
            "both 12 or less), and no answer has told the two apart yet: held back, not landed"
        ) in warned
        assert doubted(context, "blast_result", None) is None

    def test_a_held_back_day_is_read_again_once_the_layout_is_known(self, captured):
        context = sync_context()
        walk = context.walk("blast_result")
        held = [(window("2026-11-20", "2026-11-20"), 1), (window("2026-11-02", "2026-11-02"), 2)]
        walk.doubted = list(held)
        assert doubts_to_read(context, "blast_result") == [] and walk.doubted == held
        context.dates.layout = "DD/MM/YYYY"
        walk.decided_days = [(day("2026-11-01"), day("2026-11-10"))]  # read whole since
        assert doubts_to_read(context, "blast_result") == [window("2026-11-20", "2026-11-20")]
        assert walk.doubted == [] and doubts_to_read(context, "blast_result") == []
        walk.doubted = list(held)
        walk.decided_days.append((day("2026-11-11"), day("2026-11-27")))
        assert not_read_since(walk) == []

    def test_the_days_asked_for_tell_the_layouts_apart(self, captured, capped):
        fake = self.ambiguous(capped)
        run(state={"blast_result_cursor": "2026-10-09", "comment_cursor": "2026-10-09"})
        (said,) = self.said(captured)
        assert (
            "writes dates as DD/MM/YYYY (only under it do they fall in the days asked for)" in said
        )
        landed = {row["response_id"] for row in captured.rows("blast_result")}
        assert landed == {
            row["response_id"]
            for row in fake.truth("blast_result")
            if row["date_submitted"].date() >= date(2026, 10, 7)
        }
        assert captured.checkpoints[-1]["blast_result_date_layout"] == "DD/MM/YYYY"

    def test_a_held_back_window_is_read_again_once_a_later_answer_decides(self, captured, capped):
        # The oldest records kept: the first answers hold only days 1 to 12 of November.
        fake = capped(
            datetimes="day_first", today=date(2026, 11, 20), days=20, cap=20, keep="oldest"
        )
        run()
        self.landed(captured, fake)
        assert not [m for m in captured.messages("warning") if "held back" in m]
