"""How many syncs a history takes: the connector against the stand-in, sync after sync, until
no `<table>_history` is left, for a few sizes, caps and request budgets (the README's table).

Run with `.venv/bin/python -m tools.history_syncs` (about two minutes). The connector runs in
this process (its operations captured, as the unit tests do), over real HTTP to the stand-in.
"""

import connector
from tools.fake_api import FakeCustomerThermometer

API_KEY = "history-syncs-key-0123456789"
# responses, days, the stand-in's cap, requests a sync per dated table
CASES = [
    (3000, 730, 200, 12),
    (100000, 3650, 1000, 100),
    (100000, 3650, 200, 200),
    (100000, 3650, 200, connector.SYNC_LIMITS["max_windows_per_table"]),
]
MAX_SYNCS = 60


def syncs_to_read(responses, days, cap, budget):
    """Return (syncs, requests per dated table in the first sync) for one case."""
    states, summaries = [], []
    connector.op.upsert = lambda table, data: None
    connector.op.checkpoint = lambda state: states.append(dict(state))
    for level in ("debug", "info", "warning", "error"):
        setattr(connector.log, level, lambda message, *args, **kwargs: summaries.append(message))
    connector.SYNC_LIMITS["max_windows_per_table"] = budget
    with FakeCustomerThermometer(
        responses=responses, days=days, seed=3, api_key=API_KEY, cap=cap
    ) as api:
        state, syncs, first = {}, 0, None
        while syncs < MAX_SYNCS:
            connector.update({"api_key": API_KEY, "base_url": api.base_url}, state)
            syncs, state = syncs + 1, states[-1]
            if first is None:
                first = [m for m in summaries if m.startswith(("blast_result: 19", "comment: 19"))]
            if not any(key.endswith("_history") for key in state):
                return syncs, first
    raise AssertionError(f"history not read after {MAX_SYNCS} syncs")


def main():
    """Print one line per case."""
    print("| responses | days | answers cut at | requests a sync | syncs to read the history |")
    for responses, days, cap, budget in CASES:
        syncs, first = syncs_to_read(responses, days, cap, budget)
        requests = ", ".join(line.split(", ")[1] for line in first)
        print(f"| {responses:,} | {days:,} | {cap:,} | {budget:,} | {syncs} (first: {requests}) |")


if __name__ == "__main__":
    main()
