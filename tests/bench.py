"""`make bench`: the connector against the SDK's own floor, through `fivetran debug`.

Runs, in one go:
- the connector against the stand-in API with N responses (default 100,000) and with N/10,
  each a first sync, measuring wall time, peak RSS of the whole `fivetran` process and the
  requests made;
- a baseline at N and at N/10: a minimal connector that upserts exactly the rows the connector
  delivered (read back from its warehouse), with the connector's own schema(), NULL values left out
  and a checkpoint every 10,000 rows, from memory: no HTTP, no XML. It loads the rows 10,000 at a
  time (so that it holds no more than the SDK does between checkpoints, and its peak RSS is the
  SDK's own floor); the time spent loading is logged and subtracted from its wall time;
- a first sync of a small account (5,000 responses) to count requests per list method.

Usage: `make bench` or `python -m tests.bench [--responses N] [--days D]`.
"""

import argparse
import pickle
import re
import shutil
import sys
import tempfile
from pathlib import Path

from tests.fake_api import FakeCustomerThermometer
from tests.harness import REPOSITORY, Project

TABLES = ["comment", "blast_result", "recipient_list", "thermometer", "metric"]
LIST_METHODS = ["getComments", "getBlastResults", "getRecipientLists", "getThermometers"]
UPSERTS_PATTERN = re.compile(r"Upserts\s*\|\s*(\d+)")
LOADED_PATTERN = re.compile(r"baseline loaded (\d+) rows in ([0-9.]+) s")
BATCH_ROWS = 10000

BASELINE_CONNECTOR = '''"""Baseline: upsert pre-built rows with the connector's schema(); no HTTP, no XML."""
import os
import pickle
import time

from fivetran_connector_sdk import Connector, Logging as log, Operations as op

from ct_connector import schema

ROWS_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "rows.pickle")


def update(configuration, state):
    loading = 0.0
    count = 0
    with open(ROWS_PATH, "rb") as rows_file:
        while True:
            started = time.perf_counter()
            try:
                rows = pickle.load(rows_file)  # a batch of 10,000 rows
            except EOFError:
                break
            finally:
                loading += time.perf_counter() - started
            for table, row in rows:
                op.upsert(table=table, data=row)
                count += 1
                if count % 10000 == 0:
                    op.checkpoint(state={})
            del rows
    log.info(f"baseline loaded {count} rows in {loading:.3f} s")
    op.checkpoint(state={"baseline": "done"})


connector = Connector(update=update, schema=schema)
'''


def sync_connector(folder, responses, days):
    """First sync of the connector against a stand-in account; returns (result, api, project)."""
    with FakeCustomerThermometer(responses=responses, days=days, seed=42) as api:
        project = Project(folder)
        result = project.debug(
            {"api_key": api.api_key, "base_url": api.base_url}, timeout=1800, measure=True
        )
        if not result.succeeded:
            print(result.output[-4000:])
            raise SystemExit(f"the connector's sync of {responses} responses failed")
        return result, api, project


def delivered_rows(project):
    """Return every row the connector's sync left in its warehouse, NULLs left out."""
    import duckdb

    connection = duckdb.connect(str(project.warehouse), read_only=True)
    rows = []
    try:
        for table in TABLES:
            columns = [
                name
                for (name,) in connection.execute(
                    "select column_name from information_schema.columns where table_schema = "
                    f"'tester' and table_name = '{table}' and column_name not like '_fivetran%'"
                ).fetchall()
            ]
            selected = [
                f"strftime({name}, '%Y-%m-%dT%H:%M:%SZ')" if name == "recorded_at" else name
                for name in columns
            ]
            cursor = connection.execute(f"select {', '.join(selected)} from tester.{table}")
            for values in cursor.fetchall():
                rows.append(
                    (
                        table,
                        {name: value for name, value in zip(columns, values) if value is not None},
                    )
                )
    finally:
        connection.close()
    return rows


def run_baseline(folder, rows):
    """Run the baseline connector through `fivetran debug`; returns (result, load seconds)."""
    project = Project(folder)
    shutil.copy(REPOSITORY / "connector.py", project.path / "ct_connector.py")
    (project.path / "connector.py").write_text(BASELINE_CONNECTOR)
    with open(project.path / "rows.pickle", "wb") as rows_file:
        for start in range(0, len(rows), BATCH_ROWS):
            pickle.dump(rows[start : start + BATCH_ROWS], rows_file, pickle.HIGHEST_PROTOCOL)
    result = project.debug({}, timeout=1800, measure=True)
    if not result.succeeded:
        print(result.output[-4000:])
        raise SystemExit("the baseline failed")
    loaded = LOADED_PATTERN.search(result.output)
    return result, float(loaded.group(2))


def upserts(result):
    """Return the Upserts count the CLI printed."""
    found = UPSERTS_PATTERN.search(result.output)
    return int(found.group(1)) if found else None


def main(argv=None):
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description="Benchmark the connector against the SDK floor")
    parser.add_argument("--responses", type=int, default=100000)
    parser.add_argument("--days", type=int, default=730)
    args = parser.parse_args(argv)
    n = args.responses
    connector, baseline, load_seconds, apis = {}, {}, {}, {}
    with tempfile.TemporaryDirectory(prefix="ct-bench-") as folder:
        folder = Path(folder)
        for size in (n, n // 10):
            print(f"connector, first sync of {size} responses ...", flush=True)
            connector[size], apis[size], project = sync_connector(
                folder / f"connector-{size}", size, args.days
            )
            print(f"baseline, the same rows from memory ({size} responses) ...", flush=True)
            baseline[size], load_seconds[size] = run_baseline(
                folder / f"baseline-{size}", delivered_rows(project)
            )
        print("connector, first sync of a 5,000-response account ...", flush=True)
        _, tiny_api, _ = sync_connector(folder / "small-account", 5000, args.days)

    print()
    print(
        f"{'run':<10}{'responses':>10}{'wall s':>9}{'peak RSS MB':>13}{'requests':>10}"
        f"{'upserts':>9}"
    )
    for size in (n, n // 10):
        run = connector[size]
        print(
            f"{'connector':<10}{size:>10}{run.seconds:>9.2f}{run.peak_rss_mb:>13.1f}"
            f"{len(apis[size].requests):>10}{upserts(run):>9}"
        )
        run = baseline[size]
        print(
            f"{'baseline':<10}{size:>10}{run.seconds - load_seconds[size]:>9.2f}"
            f"{run.peak_rss_mb:>13.1f}{0:>10}{upserts(run):>9}"
        )
    loads = ", ".join(f"{load_seconds[size]:.2f} s at {size}" for size in (n, n // 10))
    print(f"(baseline wall times exclude the time spent loading their rows: {loads})")

    time_ratio = connector[n].seconds / (baseline[n].seconds - load_seconds[n])
    rss_ratio = connector[n].peak_rss_mb / connector[n // 10].peak_rss_mb
    floor_ratio = baseline[n].peak_rss_mb / baseline[n // 10].peak_rss_mb
    above = [connector[size].peak_rss_mb - baseline[size].peak_rss_mb for size in (n, n // 10)]
    per_method = {m: len(tiny_api.requests_for(m)) for m in LIST_METHODS}
    print()
    print(f"time ratio connector/baseline at N={n}: {time_ratio:.3f} (target <= 1.15)")
    print(
        f"peak RSS at N vs N/10: connector {rss_ratio:.3f} (target <= 1.2), baseline (the SDK's "
        f"floor) {floor_ratio:.3f}; peak at N: {connector[n].peak_rss_mb:.1f} MB (target < 300)"
    )
    print(
        f"connector's peak RSS above the baseline's: {above[0]:+.1f} MB at N, "
        f"{above[1]:+.1f} MB at N/10"
    )
    print(f"first sync of a 5,000-response account, requests per list method: {per_method}")
    methods = {m: len(apis[n].requests_for(m)) for m in LIST_METHODS}
    print(f"requests per list method at N={n}: {methods}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
