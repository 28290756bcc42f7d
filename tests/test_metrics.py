"""Unit tests of customer_thermometer/metrics.py: which range and limit each metric is asked
with (the rows they give are the metric endpoint's, in test_connector.py)."""

from datetime import date

import pytest

from customer_thermometer.metrics import metric_params
from tests.conftest import TODAY
from tests.support import sync_context

EVERYTHING = {
    "fromDate": "1970-01-01",
    "toDate": (TODAY.fromordinal(TODAY.toordinal() + 1)).isoformat(),
}


class TestMetricParams:
    def test_an_undated_metric_is_asked_with_nothing(self, captured):
        assert metric_params(sync_context(), "send_quota", False, 60) == {}

    def test_the_count_is_asked_over_every_response_with_no_limit(self, captured):
        assert metric_params(sync_context(), "num_responses", True, None) == EVERYTHING
        assert metric_params(sync_context(), "num_responses", True, 60) == EVERYTHING

    @pytest.mark.parametrize("counted, limit", [(60, 60), (1, 1), (0, 1), (None, 10000)])
    def test_other_dated_metrics_are_computed_over_the_count(self, captured, counted, limit):
        assert metric_params(sync_context(), "nps", True, counted) == EVERYTHING | {"limit": limit}

    def test_the_range_starts_at_the_from_date(self, captured):
        context = sync_context()
        context.settings["from_date"] = date(2025, 1, 1)
        assert metric_params(context, "nps", True, 5)["fromDate"] == "2025-01-01"
