"""The reconcile horizon: rows an earlier proven reading of a day delivered and a proven reading
no longer finds are marked deleted, in both tables; every rule under "never delete a row that
still exists" pinned on its own."""

from datetime import datetime, timedelta

import pytest

import connector
from customer_thermometer import reconcile as reconcile_module
from customer_thermometer.answers import Answer, key_packer
from customer_thermometer.context import SyncContext
from customer_thermometer.errors import ApiError, UnreachableError
from customer_thermometer.keystore import encoded_day, read_keys
from customer_thermometer.reconcile import reconcile
from customer_thermometer.walk import proven_ranges
from tests.conftest import TODAY, configuration, day
from tests.support import run

TOMORROW = TODAY + timedelta(days=1)


HORIZON = "10"  # days: the stand-in's 60 responses span 30


def keyed(row, table="blast_result"):
    """Return the primary key of a row as op.delete is given it."""
    return {name: row[name] for name in connector.specs.TABLE_SPECS[table]["primary_key"]}


def deleted(captured, table):
    """Return the keys marked deleted in a table, sorted."""
    return sorted((keys for name, keys in captured.deletes if name == table), key=repr)


def by_key(rows, table="blast_result"):
    """Return rows' keys as op.delete is given them, sorted."""
    return sorted((keyed(row, table) for row in rows), key=repr)


def first_sync(captured, **overrides):
    """Run a first sync with the horizon on; return its saved state."""
    run(**{"reconcile_days": HORIZON, **overrides})
    state = captured.checkpoints[-1]
    captured.upserts.clear()
    captured.deletes.clear()
    captured.logs.clear()
    return state


def responses(fake, since_days=None, before_days=None):
    """Return the stand-in's blast_result rows submitted in a range of days before today."""
    rows = sorted(fake.truth("blast_result"), key=lambda row: row["date_submitted"])
    low = TODAY - timedelta(days=since_days) if since_days is not None else None
    high = TODAY - timedelta(days=before_days) if before_days is not None else None
    return [
        row
        for row in rows
        if (low is None or row["date_submitted"].date() >= low)
        and (high is None or row["date_submitted"].date() < high)
    ]


class TestDeletions:
    def test_a_first_sync_saves_the_keys_of_its_horizon_and_deletes_nothing(self, captured, api):
        state = first_sync(captured)
        assert not captured.deletes
        for table in ("blast_result", "comment"):
            store = read_keys(state, table, TOMORROW)
            assert min(store.days) >= TODAY - timedelta(days=int(HORIZON))
            pack = key_packer(table)
            truth = {
                pack(row)
                for row in api.fake.truth(table)
                if row["date_submitted"].date() >= min(store.days)
            }
            assert set().union(*store.days.values()) == truth

    def test_a_state_saved_before_the_horizon_deletes_nothing_and_saves_keys(self, captured, api):
        state = first_sync(captured, reconcile_days="0")
        assert "blast_result_keys" not in state
        for row in responses(api.fake, since_days=5)[:3]:
            api.fake.delete_response(row["response_id"])
        run(state=state, reconcile_days=HORIZON)
        assert not captured.deletes
        assert read_keys(captured.checkpoints[-1], "blast_result", TOMORROW).days

    def test_deleted_inside_the_horizon_are_marked_deleted_in_both_tables_older_stay(
        self, captured, api
    ):
        state = first_sync(captured)
        inside = responses(api.fake, since_days=5)[:4]
        outside = responses(api.fake, before_days=12)[:2]
        for row in inside + outside:
            api.fake.delete_response(row["response_id"])
        run(state=state, reconcile_days=HORIZON)
        assert deleted(captured, "blast_result") == by_key(inside)
        commented = [row for row in inside if row["comment"]]
        assert commented and deleted(captured, "comment") == by_key(commented, "comment")
        infos = captured.messages("info")
        assert any(f"{len(inside)} marked deleted" in line for line in infos)

    def test_a_hidden_comment_is_upserted_again_and_nothing_is_deleted(self, captured, api):
        state = first_sync(captured)
        row = next(row for row in responses(api.fake, since_days=5) if row["comment"])
        api.fake.hide_comment(row["response_id"])
        run(state=state, reconcile_days=HORIZON)
        assert not captured.deletes
        (again,) = [
            r for r in captured.rows("blast_result") if r["response_id"] == row["response_id"]
        ]
        assert again["comment_hidden"] is True  # the comment's record carries no such field
        assert [r for r in captured.rows("comment") if r["response_id"] == row["response_id"]]

    def test_a_removed_comment_deletes_its_comment_row_only(self, captured, api):
        state = first_sync(captured)
        row = next(row for row in responses(api.fake, since_days=5) if row["comment"])
        api.fake.remove_comment(row["response_id"])
        run(state=state, reconcile_days=HORIZON)
        assert deleted(captured, "comment") == by_key([row], "comment")
        assert not deleted(captured, "blast_result")
        again = [
            r for r in captured.rows("blast_result") if r["response_id"] == row["response_id"]
        ]
        assert again and all("comment" not in r for r in again)  # the day read again alone too

    def test_a_moved_response_is_one_live_row_at_its_new_date(self, captured, api):
        state = first_sync(captured)
        row = responses(api.fake, since_days=5)[0]
        api.fake.move_response(row["response_id"], 2)
        run(state=state, reconcile_days=HORIZON)
        assert deleted(captured, "blast_result") == by_key([row])
        (again,) = [
            r for r in captured.rows("blast_result") if r["response_id"] == row["response_id"]
        ]
        assert again["date_submitted"] == row["date_submitted"] + timedelta(days=2)

    def test_a_horizon_turned_off_deletes_nothing_and_drops_the_keys(self, captured, api):
        state = first_sync(captured)
        api.fake.delete_response(responses(api.fake, since_days=5)[0]["response_id"])
        run(state=state, reconcile_days="0")
        assert not captured.deletes
        assert not {key for key in captured.checkpoints[-1] if key.endswith("_keys")}

    def test_a_failed_table_deletes_nothing_and_keeps_its_saved_keys(self, captured, api):
        state = first_sync(captured)
        api.fake.delete_response(responses(api.fake, since_days=5)[0]["response_id"])
        api.script("getBlastResults", *[(404, "No such method")] * 20)  # refused in every form
        with pytest.raises(RuntimeError):
            run(state=state, reconcile_days=HORIZON)
        assert not deleted(captured, "blast_result")
        assert captured.checkpoints[-1]["blast_result_keys"] == state["blast_result_keys"]

    def test_a_corrupt_key_store_fails_before_any_request(self, captured, api):
        with pytest.raises(ValueError) as raised:
            run(state={"comment_keys": {"field": "x"}}, reconcile_days=HORIZON)
        assert "State 'comment_keys'" in str(raised.value)
        assert not api.queries and not captured.checkpoints

    def test_a_saved_state_is_read_back_by_the_next_sync_whatever_it_holds(self, captured, api):
        state = first_sync(captured)
        for row in responses(api.fake, since_days=3)[:2]:
            api.fake.move_response(row["response_id"], -1)
        run(state=state, reconcile_days=HORIZON)
        connector.cursors.validate_state(captured.checkpoints[-1], TODAY)


def a_context(state=None, days=HORIZON):
    """Return a SyncContext with the horizon set, started from a state."""
    settings = connector.validate_configuration(configuration(reconcile_days=days))
    return SyncContext(settings, state or {})


def key_on(text, response_id, hour=9):
    """Return the packed blast_result key of a response submitted on a day (text)."""
    at = datetime.fromisoformat(f"{text} {hour:02d}:00:00")
    row = {"blast_id": 1, "response_id": response_id, "thermometer_id": 2, "date_submitted": at}
    return key_packer("blast_result")(row)


def saved_state(days, field="date_submitted", margin=0):
    """Return a state whose blast_result keys are {day text: keys}."""
    texts = {text: encoded_day("blast_result", day(text), keys) for text, keys in days.items()}
    return {"blast_result_keys": {"field": field, "margin": margin, "days": texts}}


def reconciled(captured, state, seen, proven, kept="2026-11-26", counts=None, again=None, **walk):
    """Run reconcile() for blast_result over what a walk saw ({day text: keys}) and proved
    ([(first, last)] texts), a day read again alone answering as again says ({day text: keys};
    by default what was seen) and counted as counts says ({day text: count}; by default as
    many), the largest answer 100; return the keys deleted (response_ids) and the store
    saved."""
    context = a_context(state)
    table_walk = context.walk("blast_result")
    table_walk.keys_from = day(kept) - timedelta(days=int(HORIZON))
    table_walk.seen = {day(text): set(keys) for text, keys in seen.items()}
    table_walk.most = 100
    for name, value in walk.items():
        setattr(table_walk, name, value)
    ranges = [(day(first), day(last)) for first, last in proven]
    answered = {text: set(keys) for text, keys in seen.items()} | (again or {})
    counted = {
        text: len(keys) for text, keys in answered.items() if not isinstance(keys, Exception)
    } | (counts or {})
    asked = []

    def fetch_count(context, table, window):
        asked.append((table, "count", window.start, window.end))
        value = counted.get(window.start.isoformat(), 0)
        if isinstance(value, Exception):
            raise value
        return value

    def fetch_window(context, table, window):
        assert window.start == window.end  # a day read again alone
        asked.append((table, "list", window.start, window.end))
        keys = answered.get(window.start.isoformat(), set())
        if isinstance(keys, Exception):
            raise keys
        answer = Answer()
        answer.keys_by_day, answer.count = {window.start: set(keys)}, len(keys)
        return answer

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(reconcile_module, "fetch_count", fetch_count)
        patch.setattr(reconcile_module, "fetch_window", fetch_window)
        reconcile(context, "blast_result", day(kept), ranges)
    context.close()
    captured.asked = asked
    assert {item[0] for item in asked} <= {"blast_result"}
    assert len(asked) == len(set(asked))  # a day is read, and counted, once a sync at most
    store = read_keys({"blast_result_keys": table_walk.key_store}, "blast_result", TOMORROW)
    ids = sorted(keys["response_id"] for _, keys in captured.deletes)
    return ids, {d.isoformat(): keys for d, keys in store.days.items()}


class TestNeverDeleteARowThatStillExists:
    def test_a_day_proven_both_times_deletes_what_it_no_longer_finds(self, captured):
        state = saved_state({"2026-11-24": {key_on("2026-11-24", 1), key_on("2026-11-24", 2)}})
        ids, store = reconciled(
            captured, state, {"2026-11-24": {key_on("2026-11-24", 2)}}, [("2026-11-20", UP)]
        )
        assert ids == [1]
        assert store == {"2026-11-24": {key_on("2026-11-24", 2)}}

    def test_a_day_not_proven_now_deletes_nothing_and_keeps_its_keys(self, captured):
        old = {key_on("2026-11-24", 1), key_on("2026-11-24", 2)}
        state = saved_state({"2026-11-24": old})
        ids, store = reconciled(
            captured,
            state,
            {"2026-11-24": set()},
            [("2026-11-20", "2026-11-23"), ("2026-11-25", UP)],
        )
        assert ids == [] and store == {"2026-11-24": old}

    def test_a_day_with_no_keys_saved_deletes_nothing(self, captured):
        state = saved_state({"2026-11-23": {key_on("2026-11-23", 1)}})
        ids, store = reconciled(
            captured, state, {"2026-11-24": {key_on("2026-11-24", 3)}}, [("2026-11-24", UP)]
        )
        assert ids == []
        assert store == {
            "2026-11-23": {key_on("2026-11-23", 1)},
            "2026-11-24": {key_on("2026-11-24", 3)},
        }

    @pytest.mark.parametrize("saved_as", [("blast_date", 0), ("date_submitted", 1)])
    def test_keys_read_under_another_filter_or_margin_delete_nothing(self, captured, saved_as):
        state = saved_state({"2026-11-24": {key_on("2026-11-24", 1)}}, *saved_as)
        seen = {"2026-11-24": {key_on("2026-11-24", 2)}}
        ids, store = reconciled(captured, state, seen, [("2026-11-20", UP)])
        assert ids == [] and store == seen  # recorded afresh, under this sync's filter
        (warning,) = captured.messages("warning")
        assert "1 row an earlier sync delivered" in warning and "nothing is marked" in warning

    def test_a_response_moved_to_a_proven_day_has_its_old_key_deleted(self, captured):
        state = saved_state({"2026-11-24": {key_on("2026-11-24", 1)}})
        seen = {"2026-11-24": set(), "2026-11-25": {key_on("2026-11-25", 1)}}
        ids, store = reconciled(captured, state, seen, [("2026-11-20", UP)])
        assert ids == [1] and store == {"2026-11-25": {key_on("2026-11-25", 1)}}

    def test_a_response_moved_to_a_day_not_proven_keeps_its_old_key_to_delete_later(
        self, captured
    ):
        state = saved_state({"2026-11-24": {key_on("2026-11-24", 1)}})
        seen = {"2026-11-24": set(), "2026-11-25": {key_on("2026-11-25", 1)}}
        proven = [("2026-11-20", "2026-11-24"), ("2026-11-26", UP)]
        ids, store = reconciled(captured, state, seen, proven)
        assert ids == [] and store == {"2026-11-24": {key_on("2026-11-24", 1)}}

    def test_days_before_the_horizon_are_neither_deleted_nor_kept(self, captured):
        state = saved_state(
            {"2026-11-10": {key_on("2026-11-10", 1)}, "2026-11-16": {key_on("2026-11-16", 2)}}
        )
        ids, store = reconciled(captured, state, {}, [("2026-11-01", "2026-11-15")])
        assert ids == [] and store == {"2026-11-16": {key_on("2026-11-16", 2)}}

    def test_days_before_those_whose_keys_were_collected_delete_nothing(self, captured):
        state = saved_state({"2026-11-17": {key_on("2026-11-17", 1)}})
        ids, _ = reconciled(captured, state, {}, [("2026-11-01", UP)], keys_from=day("2026-11-18"))
        assert ids == []

    def test_past_the_bound_the_oldest_days_go_with_a_warning(self, captured, monkeypatch):
        seen = {f"2026-11-{n}": {key_on(f"2026-11-{n}", n)} for n in range(20, 27)}
        size = len(encoded_day("blast_result", day("2026-11-20"), seen["2026-11-20"])) + 16
        monkeypatch.setattr(reconcile_module, "KEY_STORE_BYTES", 3 * size)
        ids, store = reconciled(captured, {}, seen, [("2026-11-20", UP)])
        assert sorted(store) == ["2026-11-24", "2026-11-25", "2026-11-26"]
        (warning,) = captured.messages("warning")
        assert "the horizon is 2026-11-24..2026-11-26 instead (3 days)" in warning

    def test_a_horizon_of_0_saves_and_deletes_nothing(self, captured):
        state = saved_state({"2026-11-26": {key_on("2026-11-26", 1)}})
        context = a_context(state, days="0")
        reconcile(context, "blast_result", day("2026-11-26"), [(day("2026-11-20"), TOMORROW)])
        context.close()
        assert context.walk("blast_result").key_store is None and not captured.deletes


UP = TOMORROW.isoformat()


class TestCountsConfirmEachDeletion:
    OLD = {"2026-11-24": {key_on("2026-11-24", 1), key_on("2026-11-24", 2)}}
    NOW = {"2026-11-24": {key_on("2026-11-24", 2)}}

    def key_1_gone(self, captured, **answers):
        """Reconcile the day whose saved key 1 its answers no longer hold, the day read again
        alone and counted as answers say (see reconciled()); return the ids deleted and the
        store saved."""
        return reconciled(
            captured, saved_state(self.OLD), self.NOW, [("2026-11-20", UP)], **answers
        )

    def test_a_count_that_agrees_below_the_largest_answer_confirms_the_day(self, captured):
        ids, _ = self.key_1_gone(captured)
        assert ids == [1]

    @pytest.mark.parametrize("count", [0, 2, 7])
    def test_a_count_that_differs_deletes_nothing_and_keeps_every_key(self, captured, count):
        ids, store = self.key_1_gone(captured, counts={"2026-11-24": count})
        assert ids == [] and store == self.OLD
        (warning,) = captured.messages("warning")
        assert "1 day of the reconcile horizon (2026-11-24)" in warning
        assert "no count confirmed" in warning

    def test_a_key_the_day_read_alone_finds_again_is_not_deleted(self, captured):
        again = {"2026-11-24": self.OLD["2026-11-24"]}  # a cap by size had cut the wide answer
        ids, store = self.key_1_gone(captured, again=again)
        assert ids == [] and store == self.OLD and not captured.messages("warning")

    def test_a_day_read_alone_that_fails_confirms_nothing(self, captured):
        failed = ApiError("getBlastResults failed after 4 attempts: HTTP 500")
        ids, store = self.key_1_gone(
            captured, again={"2026-11-24": failed}, counts={"2026-11-24": 1}
        )
        assert ids == [] and store == self.OLD

    def test_a_count_that_fails_deletes_nothing_and_fails_no_table(self, captured):
        failed = ApiError("getNumResponsesValue failed after 4 attempts: HTTP 500")
        ids, store = self.key_1_gone(captured, counts={"2026-11-24": failed})
        assert ids == [] and store == self.OLD

    def test_a_host_gone_while_counting_stops_the_sync(self, captured):
        gone = UnreachableError("getNumResponsesValue failed", "refused", "ct.example.test")
        with pytest.raises(UnreachableError):
            self.key_1_gone(captured, counts={"2026-11-24": gone})

    def test_a_day_read_alone_and_counted_as_large_as_the_largest_answer_may_be_capped(
        self, captured
    ):
        ids, _ = self.key_1_gone(captured, most=1)
        assert ids == []

    @pytest.mark.parametrize(
        "walk",
        [
            {"witness": type("W", (), {"unusable": "it disagreed", "usable": False})()},
            {"margin": 1},
            {"field": "blast_date"},
        ],
    )
    def test_no_count_confirms_a_distrusted_witness_a_margin_or_send_dates(self, captured, walk):
        state = saved_state(self.OLD, field=walk.get("field", "date_submitted"))
        state["blast_result_keys"]["margin"] = walk.get("margin", 0)
        ids, store = reconciled(captured, state, self.NOW, [("2026-11-20", UP)], **walk)
        assert ids == [] and store == self.OLD

    def test_a_day_with_nothing_to_delete_asks_no_count(self, captured):
        ids, _ = reconciled(captured, saved_state(self.NOW), self.NOW, [("2026-11-20", UP)])
        assert ids == [] and not captured.messages("warning") and captured.asked == []


class TestProvenDays:
    def test_what_was_left_unproven_doubted_or_not_joined_is_not_proven(self, captured):
        context = a_context()
        walk = context.walk("blast_result")
        walk.unproven_days = [(day("2026-11-03"), day("2026-11-03"))]
        walk.doubted = [(connector.walk.new_window(day("2026-11-05"), day("2026-11-06")), 2)]
        walk.deferred = [(day("2026-11-08"), day("2026-11-08"))]
        read = [(day("2026-11-01"), day("2026-11-10"))]
        unread = [(day("2026-11-10"), day("2026-11-10"))]  # the budget ran out on it
        proven = proven_ranges(context, walk, read, unread)
        context.close()
        assert [(a.day, b.day) for a, b in proven] == [(1, 2), (4, 4), (7, 7), (9, 9)]

    def test_sizes_no_count_could_check_prove_no_day(self, captured):
        context = a_context()
        walk = context.walk("blast_result")
        walk.witness.unusable, walk.largest = "no count", 50
        assert proven_ranges(context, walk, [(day("2026-11-01"), day("2026-11-10"))], []) == []
        walk.refuted = "cut at two sizes"  # its windows proven by size are unproven instead
        assert proven_ranges(context, walk, [(day("2026-11-01"), day("2026-11-01"))], [])
        context.close()


def comment_key(text, response_id):
    """Return the packed comment key of a response submitted on a day (text), at 9:00."""
    at = datetime.fromisoformat(f"{text} 09:00:00")
    return key_packer("comment")({"response_id": response_id, "date_submitted": at})


class TestCommentsConfirmedByBothWitnesses:
    DAY = "2026-11-24"

    def run_comments(self, captured, tallied, blast_count, blast_found=3):
        """Reconcile comments of a day that held responses 1 and 2 and now holds 2."""
        saved = {comment_key(self.DAY, 1), comment_key(self.DAY, 2)}
        texts = {self.DAY: encoded_day("comment", day(self.DAY), saved)}
        state = {"comment_keys": {"field": "date_submitted", "margin": 0, "days": texts}}
        context = a_context(state)
        responses = context.walk("blast_result")
        responses.ended, responses.most = True, 100
        responses.seen = {day(self.DAY): {key_on(self.DAY, n) for n in range(blast_found)}}
        context.tally = {day(self.DAY): {n: None for n in range(tallied)}}
        walk = context.walk("comment")
        walk.keys_from, walk.most = day("2026-11-16"), 100
        walk.seen = {day(self.DAY): {comment_key(self.DAY, 2)}}
        alone = Answer()
        alone.keys_by_day = {day(self.DAY): responses.seen[day(self.DAY)]}
        alone.count = blast_found
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(reconcile_module, "fetch_count", lambda *_: blast_count)
            patch.setattr(reconcile_module, "fetch_window", lambda *_: alone)
            reconcile(context, "comment", day("2026-11-26"), [(day("2026-11-20"), TOMORROW)])
        context.close()
        return [keys["response_id"] for _, keys in captured.deletes]

    def test_a_comment_gone_is_deleted_when_the_count_and_the_tally_agree(self, captured):
        assert self.run_comments(captured, tallied=1, blast_count=3) == [1]

    @pytest.mark.parametrize(
        "witnesses",
        [
            {"tallied": 2, "blast_count": 3},  # the tally holds more comments than found
            {"tallied": 1, "blast_count": 4},  # blast_result's answers held fewer than counted
        ],
    )
    def test_a_comment_gone_is_kept_unless_both_agree(self, captured, witnesses):
        assert self.run_comments(captured, **witnesses) == []
        assert "no count confirmed" in captured.messages("warning")[0]
