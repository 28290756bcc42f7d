"""The `metric` table's requests: which range and limit each value method is asked with."""

from .specs import RECORD_LIMIT


def metric_params(context, metric_name, dated, counted):
    """Return the query parameters of one metric.

    num_responses is asked with no `limit` (the API then counts every response of the range);
    the other dated metrics with a `limit` of that count, so that each is computed over every
    response of the range and not over the newest 10,000 (or, when the count is unknown, with
    `limit` 10,000, as the list methods are).
    """
    if not dated:
        return {}
    params = {"fromDate": context.settings["from_date"].isoformat()}
    params["toDate"] = context.upper_bound.isoformat()
    if metric_name != "num_responses":
        params["limit"] = max(counted, 1) if counted is not None else RECORD_LIMIT
    return params
