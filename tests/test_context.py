"""Unit tests of customer_thermometer/context.py: what one sync sets up, here the HTTP libraries'
loggers, which never print the key."""

import logging
from datetime import timedelta

import connector
from customer_thermometer.context import LIBRARY_LOGGERS, SyncContext
from customer_thermometer.deadline import WatchedAdapter
from customer_thermometer.specs import SYNC_LIMITS, TABLE_SPECS
from tests.conftest import API_KEY, BASE_URL, PINNED_NOW, TODAY, configuration
from tests.support import (
    assert_no_piece_in_any_case,
    sync_context,
)


class TestNoPathForTheKey:
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


class TestSyncContext:
    def test_a_sync_starts_at_the_pinned_time_and_reads_to_tomorrow(self, captured):
        state = {"comment_cursor": "2026-11-20"}
        context = SyncContext(connector.validate_configuration(configuration()), state)
        assert context.started_at == PINNED_NOW and context.today == TODAY
        assert context.upper_bound == TODAY + timedelta(days=1)
        assert context.host == "ct.example.test" and context.api_key == API_KEY
        assert context.start_state == state and context.start_state is not state
        context.close()

    def test_every_scheme_goes_through_the_watched_adapter(self, captured):
        context = sync_context()
        for url in ("https://ct.example.test/api.php", "http://ct.example.test/api.php"):
            assert isinstance(context.session.get_adapter(url), WatchedAdapter)
        context.close()

    def test_nothing_is_counted_before_the_first_request(self, captured):
        context = sync_context()
        assert (context.stalls, context.answer_bytes, context.upserts) == (0, 0, 0)
        assert (context.stats, context.shapes, context.walks, context.progress) == ({}, {}, {}, {})
        assert (context.tally, context.tally_days, context.warnings) == ({}, [], {})
        assert context.doubt is False
        assert (context.submitted, context.joined, context.unjoined, context.waits) == (
            None,
            False,
            0,
            {},
        )
        context.close()

    def test_what_earlier_syncs_learned_is_where_a_sync_starts(self, captured):
        saved = {"comment_limit": 200, "blast_result_date_layout": "MM/DD/YYYY"}
        context = sync_context(saved)
        assert context.walk("comment").limit == 200
        assert context.walk("blast_result").limit == 10000
        assert context.dates.layout == "MM/DD/YYYY" and context.dates.doubts == 0
        assert sync_context().dates.layout is None
        context.close()

    def test_the_key_is_looked_for_in_values_and_masked_in_new_column_names(self, captured):
        context = sync_context()
        assert context.key_finder.holds([f"x{API_KEY}y"])
        assert not context.key_finder.holds(["nothing"])
        column = context.shape("blast_result").column_of(f"field_{API_KEY}")
        assert API_KEY not in column and column.startswith("field_")
        context.close()

    def test_the_dates_of_commented_responses_come_from_the_tally_once(self, captured):
        context = sync_context()
        context.tally = {TODAY: {7: "at seven"}, TODAY - timedelta(days=1): {8: "at eight"}}
        assert context.submitted_dates() == {7: "at seven", 8: "at eight"}
        context.tally[TODAY][9] = "later"
        assert 9 not in context.submitted_dates()  # made once: the comments come after
        context.close()

    def test_the_limits_are_the_sync_limits_of_its_start(self, captured, monkeypatch):
        for number, name in enumerate(SYNC_LIMITS, start=7):
            monkeypatch.setitem(SYNC_LIMITS, name, number)
        context = sync_context()
        assert {name: getattr(context, name) for name in SYNC_LIMITS} == dict(SYNC_LIMITS)
        context.close()

    def test_a_tables_counters_are_made_once(self, captured):
        context = sync_context()
        stats = context.table_stats("comment")
        assert stats == {"requests": 0, "rows": 0, "deleted": 0, "skipped": 0, "bad_values": {}}
        stats["rows"] = 5
        assert context.table_stats("comment")["rows"] == 5
        assert context.table_stats("thermometer")["rows"] == 0
        context.close()

    def test_a_tables_shape_is_made_once_from_its_spec(self, captured):
        context = sync_context()
        shape = context.shape("blast_result")
        assert context.shape("blast_result") is shape and context.shape("comment") is not shape
        spec = TABLE_SPECS["blast_result"]
        assert shape.expected == (spec["root"], spec["record"])
        assert shape.declared == set(spec["columns"])
        context.close()

    def test_a_walk_starts_from_the_saved_date_filter(self, captured):
        state = {"blast_result_date_field": "blast_date", "blast_result_lag_days": 3}
        context = sync_context(state)
        walk = context.walk("blast_result")
        assert context.walk("blast_result") is walk
        assert (walk.table, walk.field, walk.lag_days) == ("blast_result", "blast_date", 3)
        assert (context.walk("comment").field, context.walk("comment").lag_days) == (
            "date_submitted",
            0,
        )
        context.close()

    def test_the_key_filter_is_on_every_library_logger_until_closed(self, captured):
        context = sync_context()
        for name in LIBRARY_LOGGERS:
            assert context.log_filter in logging.getLogger(name).filters, name
        context.close()
        for name in LIBRARY_LOGGERS:
            assert context.log_filter not in logging.getLogger(name).filters, name


class TestContextKeeps:
    def test_the_settings_and_the_filters_key_are_the_syncs(self, captured):
        settings = connector.validate_configuration(configuration())
        context = SyncContext(settings, {})
        assert context.settings is settings and context.log_filter.api_key == API_KEY
        context.close()
