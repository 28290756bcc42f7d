"""Unit tests of customer_thermometer/cursors.py: the state read and checked before any request
(cursor, history, saved values) and how it advances."""

from datetime import timedelta

import pytest

from customer_thermometer.cursors import (
    STATE_SUFFIXES,
    advanced_state,
    bounded_state,
    day_total,
    describe_ranges,
    merged_ranges,
    read_cursor,
    read_date_filter,
    read_date_layout,
    read_history,
    read_largest_answer,
    read_limit,
    read_unproven,
    validate_state,
    without,
)
from customer_thermometer.dates import DateReader
from customer_thermometer.specs import DATED_TABLES
from tests.conftest import TODAY, UNDER_EVERY_PARSER, day
from tests.support import UPPER, run


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


class TestProgress:
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


@UNDER_EVERY_PARSER
class TestTablesFailCleanly:
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
        assert "re-sync it (in Fivetran, or `fivetran reset` locally)" in message or (
            "expected a date" in message
        )
        assert "saved it" not in message  # it says what is wrong, not who did it
        assert len(message) < 400
        assert api.queries == [] and captured.checkpoints == []

    def test_a_legacy_cursor_out_of_range_is_named_by_its_own_key(self, captured, api):
        with pytest.raises(ValueError) as raised:
            run(state={"comment_last_sync": "2099-01-01T00:00:00Z"})
        assert str(raised.value).startswith(
            "State 'comment_last_sync' is '2099-01-01T00:00:00Z', which is not between "
            "1970-01-01 and tomorrow"
        )

    def test_a_history_out_of_range_says_how_to_start_over_and_not_who_saved_it(
        self, captured, api
    ):
        with pytest.raises(ValueError) as raised:
            run(state={"comment_history": [["1900-01-01", "2026-11-01"]]})
        assert str(raised.value) == (
            "State 'comment_history' is \"[['1900-01-01', '2026-11-01']]\", whose days are not "
            f"between 1970-01-01 and tomorrow ({UPPER}), the days a sync reads. To start the "
            "table over, re-sync it (in Fivetran, or `fivetran reset` locally): it is read again "
            "from 'from_date'."
        )
        assert api.queries == []

    def test_a_cursor_of_tomorrow_is_accepted(self, captured, api):
        # The newest day the answers held may be tomorrow in UTC, in a zone ahead of it.
        tomorrow = TODAY + timedelta(days=1)
        run(state={"blast_result_cursor": tomorrow.isoformat(), "comment_cursor": "1970-01-01"})
        assert api.sent("getBlastResults")[0]["fromDate"] == (tomorrow - timedelta(2)).isoformat()


@UNDER_EVERY_PARSER
class TestColumnsAndWidth:
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


class TestFailuresSay:
    def test_a_saved_timestamp_cursor_must_be_a_whole_timestamp(self, captured, api):
        for saved in ("2026-10-01T12:34:56Z", "2026-10-01T12:34:56.123+02:00", "2026-10-01"):
            before = len(api.sent("getComments"))
            run(state={"comment_cursor": saved})
            assert api.sent("getComments")[before]["fromDate"] == "2026-09-29"
        with pytest.raises(ValueError, match="State 'comment_cursor' is '2026-10-01 and more'"):
            run(state={"comment_cursor": "2026-10-01 and more"})


class TestConfigurationSays:
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


def days(*pairs):
    """Return (first, last) date ranges from (text, text) pairs."""
    return [(day(first), day(last)) for first, last in pairs]


class TestRanges:
    def test_ranges_that_touch_or_overlap_merge_and_others_stay_apart(self):
        ranges = days(("2026-11-10", "2026-11-12"), ("2026-11-01", "2026-11-03"))
        ranges += days(("2026-11-13", "2026-11-14"), ("2026-11-11", "2026-11-11"))
        ranges += days(("2026-11-05", "2026-11-06"))
        assert merged_ranges(ranges) == days(
            ("2026-11-01", "2026-11-03"),
            ("2026-11-05", "2026-11-06"),
            ("2026-11-10", "2026-11-14"),
        )

    def test_a_range_inside_another_leaves_it_whole(self):
        ranges = days(("2026-11-01", "2026-11-20"), ("2026-11-05", "2026-11-06"))
        assert merged_ranges(ranges) == days(("2026-11-01", "2026-11-20"))

    def test_with_a_most_the_nearest_ranges_merge_first(self):
        ranges = days(("2026-11-01", "2026-11-01"), ("2026-11-05", "2026-11-05"))
        ranges += days(("2026-11-07", "2026-11-07"), ("2026-11-20", "2026-11-21"))
        assert merged_ranges(ranges, most=3) == days(
            ("2026-11-01", "2026-11-01"),
            ("2026-11-05", "2026-11-07"),
            ("2026-11-20", "2026-11-21"),
        )
        assert merged_ranges(ranges, most=2) == days(
            ("2026-11-01", "2026-11-07"), ("2026-11-20", "2026-11-21")
        )
        assert merged_ranges(ranges, most=1) == days(("2026-11-01", "2026-11-21"))
        assert merged_ranges(ranges, most=4) == merged_ranges(ranges)
        assert merged_ranges([], most=1) == []

    def test_without_keeps_the_parts_outside_the_bounds_on_each_side(self):
        ranges = days(("2026-11-01", "2026-11-30"))
        assert without(ranges, day("2026-11-10"), day("2026-11-20")) == days(
            ("2026-11-01", "2026-11-09"), ("2026-11-21", "2026-11-30")
        )
        assert without(ranges, day("2026-11-01"), day("2026-11-30")) == []
        assert without(ranges, day("2026-10-01"), day("2026-11-29")) == days(
            ("2026-11-30", "2026-11-30")
        )
        assert without(ranges, day("2026-11-02"), day("2026-12-29")) == days(
            ("2026-11-01", "2026-11-01")
        )
        inside = days(("2026-11-05", "2026-11-06"))
        assert without(inside, day("2026-11-01"), day("2026-11-30")) == []
        before = days(("2026-10-05", "2026-10-06"))
        assert without(before, day("2026-11-01"), day("2026-11-30")) == before

    def test_days_are_counted_with_both_ends(self):
        ranges = days(("2026-11-01", "2026-11-01"), ("2026-11-05", "2026-11-07"))
        assert day_total(ranges) == 4 and day_total([]) == 0

    def test_ranges_are_described_newest_first(self):
        ranges = days(("2026-11-01", "2026-11-01"), ("2026-11-05", "2026-11-07"))
        assert describe_ranges(ranges) == "2026-11-05..2026-11-07, 2026-11-01..2026-11-01"


class TestReadState:
    def test_a_cursor_is_a_date_or_the_date_of_a_whole_timestamp(self):
        assert read_cursor({"comment_cursor": "2026-11-20"}, "comment") == day("2026-11-20")
        saved = {"comment_cursor": "2026-11-20T23:59:59Z"}
        assert read_cursor(saved, "comment") == day("2026-11-20")
        legacy = {"comment_last_sync": "2026-11-19T10:00:00+01:00"}
        assert read_cursor(legacy, "comment") == day("2026-11-19")
        both = {"comment_cursor": "2026-11-20", "comment_last_sync": "2026-11-01"}
        assert read_cursor(both, "comment") == day("2026-11-20")
        assert read_cursor({"blast_result_cursor": "2026-11-20"}, "comment") is None
        assert read_cursor({"comment_cursor": ""}, "comment") is None

    @pytest.mark.parametrize("value", ["2026-11-2", "2026-11-20X", "20/11/2026", "2026-11-20 25h"])
    def test_a_cursor_that_is_neither_names_its_key(self, value):
        with pytest.raises(ValueError, match="State 'comment_cursor' is .*expected a date"):
            read_cursor({"comment_cursor": value}, "comment")

    def test_a_history_is_read_oldest_first(self):
        saved = {"comment_history": [["2026-11-10", "2026-11-12"], ["2026-11-01", "2026-11-01"]]}
        assert read_history(saved, "comment") == days(
            ("2026-11-01", "2026-11-01"), ("2026-11-10", "2026-11-12")
        )
        assert read_history({}, "comment") == [] and read_history(saved, "blast_result") == []

    @pytest.mark.parametrize(
        "value",
        [[["2026-11-12", "2026-11-10"]], [["2026-11-12"]], "2026-11-12", [[1, 2]], [None]],
    )
    def test_a_history_that_is_not_ranges_of_days_names_its_key(self, value):
        with pytest.raises(ValueError, match="State 'comment_history' is .*first no later"):
            read_history({"comment_history": value}, "comment")

    def test_a_one_day_history_is_a_range(self):
        saved = {"comment_history": [["2026-11-10", "2026-11-10"]]}
        assert read_history(saved, "comment") == days(("2026-11-10", "2026-11-10"))

    @pytest.mark.parametrize("value", [0, 1, 10000])
    def test_a_largest_answer_within_the_limit_is_read(self, value):
        assert read_largest_answer({"comment_largest_answer": value}, "comment") == value

    @pytest.mark.parametrize("value", [-1, 10001, True, 5.0, "5"])
    def test_a_largest_answer_past_the_limit_names_its_key(self, value):
        with pytest.raises(ValueError, match="State 'comment_largest_answer' is .*10,000"):
            read_largest_answer({"comment_largest_answer": value}, "comment")

    @pytest.mark.parametrize("lag", [0, 365])
    def test_a_date_filter_is_read_with_its_lag(self, lag):
        saved = {"comment_date_field": "blast_date", "comment_lag_days": lag}
        assert read_date_filter(saved, "comment") == ("blast_date", lag)
        assert read_date_filter({}, "comment") == ("date_submitted", 0)

    @pytest.mark.parametrize("lag", [-1, 366, True, 1.0])
    def test_a_lag_out_of_range_names_its_key(self, lag):
        with pytest.raises(ValueError, match="State 'comment_lag_days' is .* from 0 to 365"):
            read_date_filter({"comment_lag_days": lag}, "comment")


TODAY_OF_STATE = day("2026-11-26")


class TestValidateState:
    @pytest.mark.parametrize("cursor", ["1970-01-01", "2026-11-27"])
    def test_cursors_from_1970_to_tomorrow_are_accepted(self, cursor):
        validate_state({"blast_result_cursor": cursor}, TODAY_OF_STATE)

    @pytest.mark.parametrize("cursor", ["1969-12-31", "2026-11-28"])
    def test_a_cursor_outside_names_its_key_and_tomorrow(self, cursor):
        with pytest.raises(ValueError) as raised:
            validate_state({"blast_result_cursor": cursor}, TODAY_OF_STATE)
        assert f"State 'blast_result_cursor' is '{cursor}', which is not between 1970-01-01 " in (
            str(raised.value)
        )
        assert "tomorrow (2026-11-27)" in str(raised.value)

    def test_a_legacy_cursor_outside_names_the_legacy_key(self):
        with pytest.raises(ValueError, match="State 'comment_last_sync' is '2027-01-01'"):
            validate_state({"comment_last_sync": "2027-01-01"}, TODAY_OF_STATE)

    @pytest.mark.parametrize(
        "history, accepted",
        [
            ([["1970-01-01", "2026-11-27"]], True),
            ([["1969-12-31", "2026-11-01"]], False),
            ([["2026-11-01", "2026-11-28"]], False),
            ([["2026-11-01", "2026-11-02"], ["2026-11-20", "2026-11-28"]], False),
        ],
    )
    def test_history_days_must_lie_from_1970_to_tomorrow(self, history, accepted):
        state = {"comment_history": history}
        if accepted:
            validate_state(state, TODAY_OF_STATE)
        else:
            with pytest.raises(ValueError, match="State 'comment_history' is .*tomorrow"):
                validate_state(state, TODAY_OF_STATE)

    @pytest.mark.parametrize(
        "state",
        [{"blast_result_date_field": "sent"}, {"blast_result_largest_answer": -1}],
    )
    def test_the_date_filter_and_largest_answer_are_checked_too(self, state):
        with pytest.raises(ValueError, match="State 'blast_result_"):
            validate_state(state, TODAY_OF_STATE)


class Walked:
    """The walk of one table as advanced_state() reads it."""

    def __init__(
        self, progress, field="date_submitted", lag_days=0, limit=10000, answered=False, keys=None
    ):
        self.progress, self.field, self.lag_days = progress, field, lag_days
        self.limit, self.limit_answered = limit, answered
        self.deferred = []
        self.key_store = keys


class Synced:
    """A sync's context as advanced_state() reads it: the walk of each table read."""

    def __init__(self, layout=None, reconcile_days=30, **walks):
        self.walks = walks
        self.dates = DateReader(layout)
        self.settings = {"reconcile_days": reconcile_days}


class TestAdvancedState:
    SAVED = {
        "comment_cursor": "2026-11-01",
        "comment_history": [["2026-10-01", "2026-10-02"]],
        "comment_last_sync": "2026-10-30T00:00:00Z",
        "comment_largest_answer": 500,
        "blast_result_cursor": "2026-11-05",
        "unknown": "kept",
    }

    def test_a_proven_walk_saves_its_cursor_and_history_and_drops_legacy_keys(self):
        left = days(("2026-10-01", "2026-10-01"), ("2026-10-05", "2026-10-06"))
        state = advanced_state(self.SAVED, Synced(comment=Walked((day("2026-11-20"), left, []))))
        assert state == {
            "comment_cursor": "2026-11-20",
            "comment_history": [["2026-10-01", "2026-10-01"], ["2026-10-05", "2026-10-06"]],
            "blast_result_cursor": "2026-11-05",
            "unknown": "kept",
        }

    def test_a_history_read_whole_is_dropped(self):
        state = advanced_state(self.SAVED, Synced(comment=Walked((day("2026-11-20"), [], []))))
        assert "comment_history" not in state and state["comment_cursor"] == "2026-11-20"

    @pytest.mark.parametrize("progress", [None, (None, [], [])])
    def test_a_walk_that_proved_nothing_leaves_the_saved_state(self, progress):
        state = advanced_state(self.SAVED, Synced(comment=Walked(progress)))
        assert state == self.SAVED and state is not self.SAVED
        assert advanced_state(self.SAVED, Synced()) == self.SAVED

    def test_a_filter_following_another_date_is_saved_with_its_lag_capped(self):
        walk = Walked((day("2026-11-20"), [], []), field="blast_date", lag_days=400)
        state = advanced_state({}, Synced(blast_result=walk))
        assert state == {
            "blast_result_cursor": "2026-11-20",
            "blast_result_date_field": "blast_date",
            "blast_result_lag_days": 365,
        }
        walk = Walked((day("2026-11-20"), [], []), field="blast_date", lag_days=3)
        assert advanced_state({}, Synced(blast_result=walk))["blast_result_lag_days"] == 3

    @pytest.mark.parametrize("limit, saved", [(1000, 1000), (200, 200), (None, "none")])
    def test_the_limit_a_list_was_answered_with_is_saved_unless_the_first(self, limit, saved):
        walk = Walked(None, limit=limit, answered=True)  # saved even when nothing was proven
        state = advanced_state({}, Synced(comment=walk))
        assert state == {"comment_limit": saved}
        assert read_limit(state, "comment") == limit
        walk = Walked((day("2026-11-20"), [], []), answered=True)
        assert "comment_limit" not in advanced_state(state, Synced(comment=walk))
        walk = Walked((day("2026-11-20"), [], []))  # no list answered: the saved form stays
        assert advanced_state(state, Synced(comment=walk))["comment_limit"] == saved

    def test_days_comments_could_not_join_are_read_again_by_blast_result(self):
        walk = Walked((day("2026-11-20"), [], []))
        walk.deferred = [(day("2026-10-01"), day("2026-10-03"))]
        saved = {
            "blast_result_cursor": "2026-11-20",
            "blast_result_history": [["2026-10-04", "2026-10-05"]],
        }
        state = advanced_state(saved, Synced(comment=walk))
        assert state["blast_result_history"] == [["2026-10-01", "2026-10-05"]]
        assert "comment_history" not in state  # the comment walk saves its own days itself
        assert "blast_result_history" not in advanced_state({}, Synced(comment=walk))
        legacy = advanced_state(
            {"blast_result_last_sync": "2026-11-20T00:00:00Z"}, Synced(comment=walk)
        )
        assert legacy["blast_result_history"] == [["2026-10-01", "2026-10-03"]]

    @pytest.mark.parametrize("value", [0, 300, 10001, "200", "None", True, [200], 200.5])
    def test_a_saved_limit_that_is_not_a_form_tried_is_a_state_error(self, value):
        with pytest.raises(ValueError) as raised:
            validate_state({"blast_result_limit": value}, TODAY)
        assert str(raised.value).startswith("State 'blast_result_limit' is ")
        assert "expected one of 10000, 5000, 1000, 500, 200, none" in str(raised.value)

    @pytest.mark.parametrize("layout", ["DD/MM/YYYY", "MM/DD/YYYY"])
    def test_a_layout_the_answers_proved_is_saved_and_read_back(self, layout):
        state = advanced_state({}, Synced(layout))  # the API's: saved under each table
        assert state == {"comment_date_layout": layout, "blast_result_date_layout": layout}
        assert read_date_layout(state) == layout
        assert read_date_layout({"blast_result_date_layout": layout}) == layout
        assert read_date_layout({}) is None

    def test_two_saved_layouts_that_differ_are_a_state_error(self):
        state = {"comment_date_layout": "DD/MM/YYYY", "blast_result_date_layout": "MM/DD/YYYY"}
        with pytest.raises(ValueError) as raised:
            validate_state(state, TODAY)
        assert str(raised.value) == (
            "State 'comment_date_layout' and 'blast_result_date_layout' differ (DD/MM/YYYY and "
            "MM/DD/YYYY): the API writes its datetimes one way. Remove the wrong one, or both "
            "to have the answers prove it again."
        )

    @pytest.mark.parametrize("value", ["dd/mm/yyyy", "YYYY/MM/DD", "", 1, ["DD/MM/YYYY"]])
    def test_a_saved_layout_the_connector_never_saves_is_a_state_error(self, value):
        with pytest.raises(ValueError) as raised:
            validate_state({"comment_date_layout": value}, TODAY)
        assert str(raised.value).startswith("State 'comment_date_layout' is ")
        assert "expected one of DD/MM/YYYY, MM/DD/YYYY" in str(raised.value)

    def test_no_saved_limit_is_the_first_form(self):
        assert read_limit({}, "comment") == 10000
        assert read_limit({"comment_limit": 5000}, "comment") == 5000

    def test_windows_to_read_again_are_saved_with_their_tries_and_dropped_once_proven(self):
        again = [
            (day("2026-10-03"), day("2026-10-04"), 2),
            (day("2026-10-05"), day("2026-10-09"), 1),
        ]
        state = advanced_state(self.SAVED, Synced(comment=Walked((day("2026-11-20"), [], again))))
        assert state["comment_unproven"] == [["2026-10-03", "2026-10-09", 2]]  # merged: the most
        proven = advanced_state(state, Synced(comment=Walked((day("2026-11-21"), [], []))))
        assert "comment_unproven" not in proven


class TestMoreRanges:
    def test_the_nearest_ranges_are_those_with_the_smallest_gap_between_them(self):
        ranges = days(("2026-11-01", "2026-11-01"), ("2026-11-03", "2026-11-10"))
        ranges += days(("2026-11-12", "2026-11-12"))
        assert merged_ranges(ranges, most=2) == days(
            ("2026-11-01", "2026-11-10"), ("2026-11-12", "2026-11-12")
        )

    def test_a_one_day_history_is_accepted(self):
        validate_state({"comment_history": [["2026-11-10", "2026-11-10"]]}, TODAY_OF_STATE)


class TestStateErrorsQuoteTheValue:
    def test_each_corrupt_value_is_quoted(self):
        with pytest.raises(ValueError, match="State 'comment_history' is 'soon': expected"):
            read_history({"comment_history": "soon"}, "comment")
        with pytest.raises(ValueError, match="State 'comment_largest_answer' is '-3': expected"):
            read_largest_answer({"comment_largest_answer": -3}, "comment")
        late = {"comment_history": [["2026-11-10", "2027-01-01"]]}
        with pytest.raises(ValueError) as raised:
            validate_state(late, TODAY_OF_STATE)
        assert "State 'comment_history' is \"[['2026-11-10', '2027-01-01']]\", whose days" in (
            str(raised.value)
        )


class TestCursorForms:
    @pytest.mark.parametrize("value", ["2026-11-20x", "2026-11-20 ", "2026-11-20T25:00"])
    def test_a_date_with_anything_after_it_must_be_a_whole_timestamp(self, value):
        with pytest.raises(ValueError, match="State 'comment_cursor' is"):
            read_cursor({"comment_cursor": value}, "comment")

    @pytest.mark.parametrize("value", ["2026-11-20T23:00:00Z", "2026-11-20T23:00:00+05:00"])
    def test_a_timestamp_with_a_zone_is_read_by_its_date(self, value):
        assert read_cursor({"comment_cursor": value}, "comment") == day("2026-11-20")


class TestABoundedState:
    def test_unknown_keys_are_kept_in_name_order_while_they_fit(self):
        # As JSON, a is 989 bytes, b 24, c 109 and d 9: a and b fit, c does not, d does.
        state = {"d": "", "c": "y" * 100, "b": "x" * 15, "a": "z" * 980}
        state["blast_result_cursor"] = "2026-11-01"
        bounded, dropped = bounded_state(state)
        assert bounded == {k: state[k] for k in ("a", "b", "d", "blast_result_cursor")}
        assert dropped == ["c"]

    @pytest.mark.parametrize("size, kept", [(1024, True), (1025, False)])
    def test_the_room_for_unknown_keys_is_1024_bytes_of_json(self, size, kept):
        value = "v" * (size - len('{"k": ""}'))
        assert ("k" in bounded_state({"k": value})[0]) is kept

    def test_every_key_the_connector_knows_is_kept_whatever_its_size(self):
        state = {
            f"{table}{suffix}": "2026-11-01" for table in DATED_TABLES for suffix in STATE_SUFFIXES
        }
        for table in DATED_TABLES:
            state[f"{table}_history"] = [
                ["2020-01-01", "2026-01-01"],
                ["2026-11-01", "2026-11-02"],
            ]
            state[f"{table}_unproven"] = [["2026-01-02", "2026-01-05", 2]]
        assert bounded_state(state) == (state, [])

    def test_a_history_of_more_ranges_than_a_sync_saves_is_merged_to_that_many(self):
        ranges = [[(day("2026-01-01") + timedelta(days=3 * n)).isoformat()] * 2 for n in range(25)]
        bounded, _ = bounded_state(
            {"comment_history": ranges, "blast_result_history": ranges[:20]}
        )
        merged = read_history(bounded, "comment")
        assert len(merged) == 20 and merged[0][0] == day("2026-01-01")
        assert merged[-1][1] == day(ranges[-1][1])
        assert bounded["blast_result_history"] == ranges[:20]
        assert all(any(a <= day(d) <= b for a, b in merged) for d, _ in ranges)


class TestOverlappingHistory:
    def test_a_range_past_tomorrow_is_refused_whatever_the_order_of_the_ranges(self):
        saved = [["2020-01-01", "2099-01-01"], ["2021-01-01", "2021-01-02"]]
        with pytest.raises(ValueError, match="State 'comment_history' is .* not between"):
            validate_state({"comment_history": saved}, TODAY_OF_STATE)


class TestWindowsToReadAgain:
    @pytest.mark.parametrize(
        "saved",
        [
            "2026-11-01",
            [["2026-11-01", "2026-11-02"]],
            [["2026-11-02", "2026-11-01", 1]],
            [["2026-11-01", "2026-11-02", 0]],
            [["2026-11-01", "2026-11-02", 4]],
            [["2026-11-01", "2026-11-02", "1"]],
            [["2026-11-01", "2026-11-02", True]],
            [["2026-11-01", "someday", 1]],
        ],
    )
    def test_a_corrupt_value_is_a_state_error_naming_it(self, saved):
        with pytest.raises(ValueError) as raised:
            read_unproven({"comment_unproven": saved}, "comment")
        assert str(raised.value).startswith("State 'comment_unproven' is ")
        assert "expected a list of [first, last, tries]" in str(raised.value)
        assert "from 1 to 3" in str(raised.value)

    def test_windows_are_read_oldest_first_with_their_tries(self):
        saved = [["2026-11-05", "2026-11-06", 2], ["2026-11-01", "2026-11-01", 3]]
        assert read_unproven({"blast_result_unproven": saved}, "blast_result") == [
            (day("2026-11-01"), day("2026-11-01"), 3),
            (day("2026-11-05"), day("2026-11-06"), 2),
        ]
        assert read_unproven({}, "blast_result") == []

    @pytest.mark.parametrize(
        "saved",
        [[["1969-12-31", "2026-11-01", 1]], [["2026-11-01", "2026-11-28", 1]]],
    )
    def test_days_outside_what_a_sync_reads_are_a_state_error(self, saved):
        with pytest.raises(ValueError, match="State 'blast_result_unproven' is .* not between"):
            validate_state({"blast_result_unproven": saved}, TODAY_OF_STATE)
        validate_state({"blast_result_unproven": [["1970-01-01", "2026-11-27", 1]]}, TODAY)

    def test_ranges_that_touch_merge_with_their_most_tries(self):
        ranges = tried(("2026-11-01", "2026-11-02", 1), ("2026-11-03", "2026-11-04", 2))
        ranges += tried(("2026-11-10", "2026-11-10", 1))
        assert merged_ranges(ranges) == tried(
            ("2026-11-01", "2026-11-04", 2), ("2026-11-10", "2026-11-10", 1)
        )

    def test_past_the_most_the_nearest_merge(self):
        ranges = tried(("2026-11-01", "2026-11-01", 1), ("2026-11-03", "2026-11-03", 1))
        ranges += tried(("2026-11-10", "2026-11-10", 2))
        assert merged_ranges(ranges, most=2) == tried(
            ("2026-11-01", "2026-11-03", 1), ("2026-11-10", "2026-11-10", 2)
        )
        assert merged_ranges(ranges, most=1) == tried(("2026-11-01", "2026-11-10", 2))

    def test_a_state_of_many_windows_is_bounded_to_twenty(self):
        saved = [[f"2026-10-{n:02d}", f"2026-10-{n:02d}", 1] for n in range(1, 31, 2)]
        saved += [[f"2026-11-{n:02d}", f"2026-11-{n:02d}", 2] for n in range(1, 21, 2)]
        bounded, _ = bounded_state({"comment_unproven": saved})
        assert len(bounded["comment_unproven"]) == 20
        assert bounded["comment_unproven"][-1] == ["2026-11-19", "2026-11-19", 2]


def tried(*ranges):
    """Return (first, last, tries) ranges of ("YYYY-MM-DD", "YYYY-MM-DD", tries)."""
    return [(day(first), day(last), tries) for first, last, tries in ranges]
