"""Unit tests of customer_thermometer/cursors.py: the state read and checked before any request
(cursor, history, saved values) and how it advances."""

from datetime import timedelta

import pytest

from tests.conftest import TODAY, UNDER_EVERY_PARSER
from tests.support import run


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
