"""`make inspect`: what a local sync left, read with the venv's duckdb (no duckdb CLI needed).

Prints, for a folder that `fivetran debug` ran in (a configuration's `files/accounts/<name>`, or
the demo's `files/demo/project`): which warehouse it reads, the rows per table, the metrics, the
saved state and the time of the last sync.

Usage: `make inspect [CONFIGURATION=file | PROJECT=folder]`, or
`python -m tools.inspect_warehouse [folder [configuration file]]`.
"""

import json
import sys
from pathlib import Path

import duckdb

from tools.local_account import command_for

SCHEMA = "tester"  # where `fivetran debug` writes the tables


def print_summary(project, configuration=None):
    """Print rows per table, metrics, saved state and last sync time of a project's warehouse.

    Args:
        project: the folder `fivetran debug` ran in (its `files/` holds the warehouse and state).
        configuration: the configuration file whose local sync that folder holds, if one does.
    Returns:
        False when there is no warehouse to read.
    """
    files = Path(project) / "files"
    warehouse = files / "warehouse.db"
    of = f" of {configuration}" if configuration else ""
    if not warehouse.exists():
        if configuration is None:
            print(f"No local warehouse at {warehouse}: run `make debug` (or `make demo`) first.")
        elif not Path(configuration).is_file():
            print(
                f"No local warehouse{of} at {warehouse}, and no such file: run "
                f"`{command_for('configure', configuration)}`, then "
                f"`{command_for('debug', configuration)}`."
            )
        else:
            print(
                f"No local warehouse{of} at {warehouse}: run "
                f"`{command_for('debug', configuration)}` first."
            )
        return False
    print(f"Reading the local warehouse{of}: {warehouse}")
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
        print(f"{'table':<16}{'rows':>8}{'deleted':>9}  last synced (UTC)")
        for table in tables:
            # Cast the time zone column to text: reading it as a value needs pytz.
            rows, deleted, synced = connection.execute(
                f'select count(*), count(*) filter (where "_fivetran_deleted"), '
                f'max("_fivetran_synced")::varchar from {SCHEMA}."{table}"'
            ).fetchone()
            print(f"{table:<16}{rows:>8}{deleted:>9}  {synced or '-'}")
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
    print(f"Saved state ({state}): {json.dumps(described(saved), sort_keys=True)}")
    return True


def described(state):
    """Return a saved state with the keys of each reconcile horizon summarised (days, bytes)."""
    if not isinstance(state, dict):
        return state
    shown = dict(state)
    for name, value in state.items():
        if name.endswith("_keys") and isinstance(value, dict):
            days = value.get("days") or {}
            size = len(json.dumps(value))
            shown[name] = f"<keys of {len(days)} days, {size:,} bytes>"
    return shown


def main(argv=None):
    """Print the summary of the project folder given (default: the current folder)."""
    argv = sys.argv[1:] if argv is None else argv
    project = argv[0] if argv else "."
    return 0 if print_summary(project, argv[1] if len(argv) > 1 else None) else 1


if __name__ == "__main__":
    sys.exit(main())
