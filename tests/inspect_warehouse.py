"""`make inspect`: what a local sync left, read with the venv's duckdb (no duckdb CLI needed).

Prints, for a project folder that `fivetran debug` ran in (this repository by default, or the
demo's `files/demo/project`): the rows per table, the metrics, the saved state and the time of the
last sync.

Usage: `make inspect [PROJECT=folder]` or `python -m tests.inspect_warehouse [folder]`.
"""

import json
import sys
from pathlib import Path

import duckdb

SCHEMA = "tester"  # where `fivetran debug` writes the tables


def print_summary(project):
    """Print rows per table, metrics, saved state and last sync time of a project's warehouse.

    Args:
        project: the folder `fivetran debug` ran in (its `files/` holds the warehouse and state).
    Returns:
        False when there is no warehouse to read.
    """
    files = Path(project) / "files"
    warehouse = files / "warehouse.db"
    if not warehouse.exists():
        print(f"No local warehouse at {warehouse}: run `make debug` (or `make demo`) first.")
        return False
    connection = duckdb.connect(str(warehouse), read_only=True)
    try:
        tables = [
            name
            for (name,) in connection.execute(
                "select table_name from information_schema.tables where table_schema = ? "
                "order by table_name",
                [SCHEMA],
            ).fetchall()
        ]
        print(f"\n=== {warehouse} (schema {SCHEMA}) ===")
        print(f"{'table':<16}{'rows':>8}  last synced (UTC)")
        for table in tables:
            # Cast the time zone column to text: reading it as a value needs pytz.
            rows, synced = connection.execute(
                f'select count(*), max("_fivetran_synced")::varchar from {SCHEMA}."{table}"'
            ).fetchone()
            print(f"{table:<16}{rows:>8}  {synced or '-'}")
        if "metric" in tables:
            metrics = connection.execute(
                f"select metric_name, metric_value from {SCHEMA}.metric "
                "qualify row_number() over "
                "(partition by metric_name order by recorded_at desc) = 1 "
                "order by metric_name"
            ).fetchall()
            print("Latest metrics: " + ", ".join(f"{name} {value:g}" for name, value in metrics))
    finally:
        connection.close()
    state = files / "state.json"
    saved = json.loads(state.read_text()) if state.exists() else None
    print(f"Saved state ({state}): {json.dumps(saved, sort_keys=True)}")
    return True


def main(argv=None):
    """Print the summary of the project folder given (default: the current folder)."""
    argv = sys.argv[1:] if argv is None else argv
    return 0 if print_summary(argv[0] if argv else ".") else 1


if __name__ == "__main__":
    sys.exit(main())
