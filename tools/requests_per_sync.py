"""Requests per dated table (lists and counts) of a first sync and of the next (25 new responses),
and the rows the next one upserts and marks deleted: for the demo account (3,000 responses) and
the bench's (100,000), through `fivetran debug`.

Usage: `python -m tools.requests_per_sync`.
"""

import tempfile

from tools.bench import dated_requests
from tools.fake_api import FakeCustomerThermometer
from tools.harness import REPOSITORY, Project

ACCOUNTS = ((3000, 2026), (100000, 42))  # responses over 730 days, seed: the demo's, the bench's


def main():
    for responses, seed in ACCOUNTS:
        with (
            tempfile.TemporaryDirectory() as folder,
            FakeCustomerThermometer(responses=responses, days=730, seed=seed) as api,
        ):
            project = Project(folder, REPOSITORY)
            configuration = {"api_key": api.api_key, "base_url": api.base_url}
            first = project.debug(configuration, timeout=1800)
            assert first.succeeded, first.output[-3000:]
            print(f"{responses:,} responses, first sync: {dated_requests(api)}", flush=True)
            before = len(api.requests)
            api.add_responses(25, days_ago=(0, 1))
            second = project.debug(configuration, timeout=1800)
            assert second.succeeded, second.output[-3000:]
            counts = [line.strip() for line in second.output.splitlines() if "| " in line]
            print(f"{responses:,} responses, next sync: {dated_requests(api, before)}")
            said = [line for line in counts if "Upserts" in line or "Deletes" in line]
            print("  " + "; ".join(said))


if __name__ == "__main__":
    main()
