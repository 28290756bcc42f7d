"""`make bench`: the connector against the SDK's own floor, through `fivetran debug`.

Runs, in one go:
- the connector against the stand-in API with N responses (default 100,000) and with N/10,
  each a first sync, measuring wall time, peak RSS of the whole `fivetran` process and the
  requests made;
- a baseline: a minimal connector that upserts exactly the rows the connector delivered at N
  (read back from its warehouse), with the connector's own schema(), NULL values left out and a
  checkpoint every 10,000 rows, from memory: no HTTP, no XML. The time it spends loading those rows
  from a pickle is logged and subtracted from its wall time;
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

BASELINE_CONNECTOR = '''"""Baseline: upsert pre-built rows from memory with the connector's schema(); no HTTP, no XML."""
import os
import pickle
import time

from fivetran_connector_sdk import Connector, Logging as log, Operations as op

from ct_connector import schema

ROWS_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "rows.pickle")


def update(configuration, state):
    started = time.perf_counter()
    with open(ROWS_PATH, "rb") as rows_file:
        rows = pickle.load(rows_file)
    log.info(f"baseline loaded {len(rows)} rows in {time.perf_counter() - started:.3f} s")
    for count, (table, row) in enumerate(rows, start=1):
        op.upsert(table=table, data=row)
        if count % 10000 == 0:
            op.checkpoint(state={})
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
        pickle.dump(rows, rows_file, protocol=pickle.HIGHEST_PROTOCOL)
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
    figures = []
    with tempfile.TemporaryDirectory(prefix="ct-bench-") as folder:
        folder = Path(folder)
        print(f"connector, first sync of {n} responses ...", flush=True)
        big, big_api, big_project = sync_connector(folder / "big", n, args.days)
        big_requests = len(big_api.requests)
        print(f"connector, first sync of {n // 10} responses ...", flush=True)
        small, small_api, _ = sync_connector(folder / "tenth", n // 10, args.days)
        print("baseline, the same rows from memory ...", flush=True)
        rows = delivered_rows(big_project)
        baseline, load_seconds = run_baseline(folder / "baseline", rows)
        print("connector, first sync of a 5,000-response account ...", flush=True)
        _, tiny_api, _ = sync_connector(folder / "small-account", 5000, args.days)

    baseline_seconds = baseline.seconds - load_seconds
    figures.append(("connector", n, big.seconds, big.peak_rss_mb, big_requests, upserts(big)))
    figures.append(
        (
            "connector",
            n // 10,
            small.seconds,
            small.peak_rss_mb,
            len(small_api.requests),
            upserts(small),
        )
    )
    figures.append(("baseline", n, baseline_seconds, baseline.peak_rss_mb, 0, upserts(baseline)))
    print()
    print(
        f"{'run':<10}{'responses':>10}{'wall s':>9}{'peak RSS MB':>13}{'requests':>10}{'upserts':>9}"
    )
    for name, responses, seconds, peak, requests_made, upserted in figures:
        print(
            f"{name:<10}{responses:>10}{seconds:>9.2f}{peak:>13.1f}{requests_made:>10}"
            f"{upserted:>9}"
        )
    print(f"(baseline wall time excludes {load_seconds:.2f} s spent loading its rows)")
    time_ratio = big.seconds / baseline_seconds
    rss_ratio = big.peak_rss_mb / small.peak_rss_mb
    per_method = {m: len(tiny_api.requests_for(m)) for m in LIST_METHODS}
    print()
    print(f"time ratio connector/baseline at N={n}: {time_ratio:.3f} (target <= 1.15)")
    print(
        f"peak RSS at N vs N/10: {rss_ratio:.3f} (target <= 1.2); peak at N: "
        f"{big.peak_rss_mb:.1f} MB (target < 300)"
    )
    print(f"first sync of a 5,000-response account, requests per list method: {per_method}")
    methods = {m: len(big_api.requests_for(m)) for m in LIST_METHODS}
    print(f"requests per list method at N={n}: {methods}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
