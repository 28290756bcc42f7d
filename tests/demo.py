"""`make demo`: the connector syncing the stand-in API into files/warehouse.db, then a summary.

Starts the stand-in on 127.0.0.1 with a demo account (3,000 responses over two years), writes a
demo configuration under files/ (ignored by git), runs `fivetran debug` on this project as a user
would, stops the stand-in and prints what landed: rows per table, and responses per temperature
per month for the last six months.
"""

import json
import os
import subprocess
import sys
import tempfile

import duckdb

from tests.fake_api import FakeCustomerThermometer
from tests.harness import REPOSITORY, stub_pipreqs, venv_bin

TABLES = ["comment", "blast_result", "recipient_list", "thermometer", "metric"]


def main():
    """Run the demo; exit non-zero when the sync fails or the key shows in its output."""
    files = REPOSITORY / "files"
    files.mkdir(exist_ok=True)
    for name in ("warehouse.db", "state.json"):
        (files / name).unlink(missing_ok=True)  # start from an empty warehouse each time
    requirements = REPOSITORY / "requirements.txt"
    requirements_text = requirements.read_text() if requirements.exists() else None
    configuration_path = files / "demo-configuration.json"

    with FakeCustomerThermometer(responses=3000, days=730, seed=2026) as api:
        print(f"Stand-in Customer Thermometer API listening on {api.base_url}", flush=True)
        configuration_path.write_text(
            json.dumps({"api_key": api.api_key, "base_url": api.base_url, "lookback_days": "2"})
        )
        with tempfile.TemporaryDirectory() as stub_folder:
            env = dict(os.environ, DO_NOT_TRACK="1")
            env["PATH"] = os.pathsep.join(
                [str(stub_pipreqs(stub_folder)), str(venv_bin()), env.get("PATH", "")]
            )
            completed = subprocess.run(
                [
                    str(venv_bin() / "fivetran"),
                    "debug",
                    str(REPOSITORY),
                    "--configuration",
                    str(configuration_path),
                ],
                cwd=REPOSITORY,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                timeout=600,
            )
        requests_made = len(api.requests)
        api_key = api.api_key
    if requirements_text is not None and not requirements.exists():
        requirements.write_text(requirements_text)  # `fivetran debug` deletes an empty one

    if api_key in completed.stdout:
        print("The API key appeared in the connector's output: refusing to print it.")
        return 1
    print(completed.stdout, end="")
    if completed.returncode != 0:
        print(f"fivetran debug failed with exit code {completed.returncode}")
        return completed.returncode
    print_summary(files / "warehouse.db", requests_made)
    return 0


def print_summary(warehouse, requests_made):
    """Print rows per table and responses per temperature per month from the warehouse."""
    connection = duckdb.connect(str(warehouse), read_only=True)
    try:
        print("\n=== What landed in files/warehouse.db (schema tester) ===")
        print(f"{'table':<16}{'rows':>8}")
        for table in TABLES:
            count = connection.execute(f"select count(*) from tester.{table}").fetchone()[0]
            print(f"{table:<16}{count:>8}")
        print(f"(requests made to the stand-in API: {requests_made})")

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
        print("\nResponses per temperature, last six months:")
        print(f"{'month':<9}{'Gold':>7}{'Green':>7}{'Yellow':>8}{'Red':>6}{'total':>7}")
        for month, gold, green, yellow, red, total in rows:
            print(f"{month:<9}{gold:>7}{green:>7}{yellow:>8}{red:>6}{total:>7}")

        metrics = connection.execute(
            "select metric_name, metric_value from tester.metric order by metric_name"
        ).fetchall()
        print("\nMetrics: " + ", ".join(f"{name} {value:g}" for name, value in metrics))
    finally:
        connection.close()


if __name__ == "__main__":
    sys.exit(main())
