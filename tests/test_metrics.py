"""Unit tests of customer_thermometer/metrics.py: each metric asked over every response of its
range, and said when no count is known."""

from tests.conftest import UNDER_EVERY_PARSER
from tests.support import SCRIPTED_STATE, run


@UNDER_EVERY_PARSER
class TestBodies:
    def test_send_quota_has_no_date_range(self, captured, api):
        run(from_date="2025-01-01")
        (quota,) = [row for row in captured.rows("metric") if row["metric_name"] == "send_quota"]
        assert quota["metric_value"] == 4250.0 and "from_date" not in quota
        (nps,) = [row for row in captured.rows("metric") if row["metric_name"] == "nps"]
        assert nps["from_date"] == "2025-01-01"
        assert "fromDate" not in api.sent("getSendQuota")[0]


class TestProgress:
    def test_metrics_count_every_response_and_are_computed_over_that_count(self, captured, api):
        run()
        (counted,) = api.sent("getNumResponsesValue")[-1:]
        assert "limit" not in counted and counted["fromDate"] == "1970-01-01"
        for method in ["getResponseRateValue", "getTempRatingValue", "getNPSValue"]:
            assert [q["limit"] for q in api.sent(method)] == ["60"], method
        rows = {row["metric_name"]: row for row in captured.rows("metric")}
        assert rows["num_responses"]["metric_value"] == 60
        assert {rows[name]["responses_counted"] for name in ("nps", "happiness")} == {60}
        assert "responses_counted" not in rows["send_quota"]

    def test_metrics_without_a_count_say_so(self, captured, api):
        api.script("getNumResponsesValue", *[(200, "n/a")] * 20)
        run(state=SCRIPTED_STATE)
        assert [q["limit"] for q in api.sent("getNPSValue")] == ["10000"]
        rows = {row["metric_name"]: row for row in captured.rows("metric")}
        assert "num_responses" not in rows and rows["nps"]["responses_counted"] is None
