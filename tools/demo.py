"""`make demo`: the connector syncs a stand-in account into a warehouse of its own; a summary.

Starts the stand-in API on 127.0.0.1 with a demo account (3,000 responses over two years), copies
the connector into `files/demo/project/` (ignored by git), runs `fivetran debug` there as a user
would, stops the stand-in and prints what landed: rows per table, the saved state, and responses
per temperature per month for the last six months.

The demo never touches your own local syncs: the warehouse and state `make debug` writes for each
configuration, in `files/accounts/<name>/files/`, stay exactly as they were, and your next sync
does not start from the demo's state.
"""

import shutil
import sys

import duckdb

from tools.fake_api import FakeCustomerThermometer
from tools.harness import REPOSITORY, Project
from tools.inspect_warehouse import print_summary

DEMO_FOLDER = REPOSITORY / "files" / "demo"


def main():
    """Run the demo; exit non-zero when the sync fails or the key shows in its output."""
    shutil.rmtree(DEMO_FOLDER, ignore_errors=True)  # each demo starts from an empty warehouse
    project = Project(DEMO_FOLDER)
    with FakeCustomerThermometer(responses=3000, days=730, seed=2026) as api:
        print(f"Stand-in Customer Thermometer API listening on {api.base_url}", flush=True)
        result = project.debug(
            {"api_key": api.api_key, "base_url": api.base_url, "lookback_days": "2"}, timeout=600
        )
        requests_made = len(api.requests)
        api_key = api.api_key
    if api_key in result.output:
        print("The API key appeared in the connector's output: refusing to print it.")
        return 1
    print(result.output, end="")
    if not result.succeeded:
        print(f"fivetran debug failed with exit code {result.returncode}")
        return result.returncode or 1
    print(f"\n(requests made to the stand-in API: {requests_made})")
    print_summary(project.path)
    print_temperatures(project.warehouse)
    relative = project.path.relative_to(REPOSITORY)
    print(
        f"\nThe demo's warehouse is {relative}/files/warehouse.db (your own local syncs, in "
        f"files/accounts/, were not touched).\nLook at it again with: make inspect "
        f"PROJECT={relative}"
    )
    return 0


def print_temperatures(warehouse):
    """Print responses per temperature per month, for the last six months."""
    connection = duckdb.connect(str(warehouse), read_only=True)
    try:
        rows = connection.execute("""
            select strftime(date_trunc('month', date_submitted), '%Y-%m') as month,
                   count(*) filter (where response = 'Gold') as gold,
                   count(*) filter (where response = 'Green') as green,
                   count(*) filter (where response = 'Yellow') as yellow,
                   count(*) filter (where response = 'Red') as red,
                   count(*) as total
            from tester.blast_result
            group by 1 order by 1 desc limit 6
            """).fetchall()
    finally:
        connection.close()
    print("\nResponses per temperature, last six months:")
    print(f"{'month':<9}{'Gold':>7}{'Green':>7}{'Yellow':>8}{'Red':>6}{'total':>7}")
    for month, gold, green, yellow, red, total in rows:
        print(f"{month:<9}{gold:>7}{green:>7}{yellow:>8}{red:>6}{total:>7}")


if __name__ == "__main__":
    sys.exit(main())
