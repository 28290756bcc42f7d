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
- both again at N (`--repeat`, default 2): the fastest run of each counts, as noise only ever
  adds time (a single run here varies by about 5%);
- a first and a second sync (25 new responses) of a 3,000-response account to count requests
  per dated table (lists and counts together);
- with `--against REVISION` (`make bench AGAINST=...`), that revision's connector too, at N, run
  alternately with this one (`--repeat` times each, the fastest counting): a paired comparison
  of CPU time, as the absolute ratio moves by some 20% from run to run here.

Wall time includes the stand-in's own time to build its answers, which is not the connector's:
the CPU time of each `fivetran` process tree (user and system, `getrusage` of the child) is the
figure that is the connector's own, and its ratio over the baseline's is the CPU target.

It prints every run, then each target, met or not, and exits 1 when one is not met.

Usage: `make bench [AGAINST=REVISION]` or
`python -m tools.bench [--responses N] [--days D] [--repeat R] [--against REVISION]`.
"""

import argparse
import pickle
import re
import shutil
import sys
import tempfile
from pathlib import Path

from tools.fake_api import FakeCustomerThermometer
from tools.harness import REPOSITORY, Project, git_tree

TABLES = ["comment", "blast_result", "recipient_list", "thermometer", "metric"]
LIST_METHODS = ["getComments", "getBlastResults", "getRecipientLists", "getThermometers"]
UPSERTS_PATTERN = re.compile(r"Upserts\s*\|\s*(\d+)")
LOADED_PATTERN = re.compile(r"baseline loaded (\d+) rows in ([0-9.]+) s")
BATCH_ROWS = 10000

BASELINE_CONNECTOR = '''"""Baseline: upsert pre-built rows with the connector's schema()."""
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


def sync_connector(folder, responses, days, again=0, source=REPOSITORY):
    """First sync of the connector against a stand-in account; returns (result, api, project).

    Args:
        again: when more than 0, add that many responses (today and yesterday) after the first
            sync and sync again; the result is the first sync's.
        source: the tree of the connector to run (this one by default).
    """
    with FakeCustomerThermometer(responses=responses, days=days, seed=42) as api:
        project = Project(folder, source=source)
        configuration = {"api_key": api.api_key, "base_url": api.base_url}
        result = project.debug(configuration, timeout=1800, measure=True)
        if again:
            api.add_responses(again, days_ago=(0, 1))
            api.second_sync_from = len(api.requests)
            second = project.debug(configuration, timeout=1800)
            result = result if second.succeeded else second
        if not result.succeeded:
            print(result.output[-4000:])
            raise SystemExit(f"the connector's sync of {responses} responses failed")
        return result, api, project


def dated_requests(api, since=0, until=None):
    """Return the requests per dated table of requests since..until: lists and counts.

    getNumResponsesValue witnesses getBlastResults answers; one count a sync is the metric's
    (from 1970), which is not the table's.
    """
    entries = api.requests[since:until]
    counts = [entry for entry in entries if entry["getMethod"] == "getNumResponsesValue"]
    return {
        "comment": sum(1 for entry in entries if entry["getMethod"] == "getComments"),
        "blast_result": sum(1 for entry in entries if entry["getMethod"] == "getBlastResults")
        + len(counts)
        - 1,
    }


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
                        {
                            name: value
                            for name, value in zip(columns, values, strict=True)
                            if value is not None
                        },
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


def check(label, value, target, met):
    """Print one target's line; return whether it is met."""
    print(f"{'met' if met else 'NOT MET':>8}  {label}: {value} (target {target})")
    return met


def run_pair(folder, size, days, name, source=REPOSITORY):
    """One connector sync of size responses and one baseline of its rows; return both."""
    print(f"connector, first sync of {size} responses ({name}) ...", flush=True)
    result, api, project = sync_connector(
        folder / f"connector-{size}-{name}", size, days, source=source
    )
    print(f"baseline, the same rows from memory ({size} responses, {name}) ...", flush=True)
    baseline, load_seconds = run_baseline(
        folder / f"baseline-{size}-{name}", delivered_rows(project)
    )
    rows = table_counts(project)
    return {
        "connector": result,
        "baseline": baseline,
        "baseline_seconds": baseline.seconds - load_seconds,
        "baseline_cpu": baseline.cpu_seconds - load_seconds,
        "api": api,
        "rows": rows,
    }


def table_counts(project):
    """Return the rows per table of a project's warehouse."""
    return {table: project.query(f"select count(*) from tester.{table}")[0][0] for table in TABLES}


def print_runs(runs):
    """Print the figures of every run."""
    print()
    print(
        f"{'run':<10}{'responses':>10}{'wall s':>9}{'CPU s':>8}{'peak RSS MB':>13}"
        f"{'requests':>10}{'upserts':>9}"
    )
    for size, pairs in runs.items():
        for pair in pairs:
            connector = pair["connector"]
            print(
                f"{'connector':<10}{size:>10}{connector.seconds:>9.2f}"
                f"{connector.cpu_seconds:>8.2f}{connector.peak_rss_mb:>13.1f}"
                f"{len(pair['api'].requests):>10}{upserts(connector):>9}"
            )
            baseline = pair["baseline"]
            print(
                f"{'baseline':<10}{size:>10}{pair['baseline_seconds']:>9.2f}"
                f"{pair['baseline_cpu']:>8.2f}{baseline.peak_rss_mb:>13.1f}{0:>10}"
                f"{upserts(baseline):>9}"
            )
    print("(baseline wall and CPU times exclude the time spent loading their rows)")


def main(argv=None):
    """Run the benchmark, print its figures and targets; exit 1 when a target is not met."""
    parser = argparse.ArgumentParser(description="Benchmark the connector against the SDK floor")
    parser.add_argument("--responses", type=int, default=100000)
    parser.add_argument("--days", type=int, default=730)
    parser.add_argument(
        "--repeat", type=int, default=2, help="runs at N of each (the fastest of each counts)"
    )
    parser.add_argument("--against", help="a git revision to compare with, run alternately")
    args = parser.parse_args(argv)
    n = args.responses
    with tempfile.TemporaryDirectory(prefix="ct-bench-") as folder:
        folder = Path(folder)
        before = git_tree(args.against, folder / "before") if args.against else None
        runs, against = {n: []}, []
        for i in range(args.repeat):
            runs[n].append(run_pair(folder, n, args.days, f"run {i + 1}"))
            if before is not None:
                against.append(run_pair(folder, n, args.days, f"{args.against} {i + 1}", before))
        runs[n // 10] = [run_pair(folder, n // 10, args.days, "run 1")]
        print("connector, first and second sync of a 3,000-response account ...", flush=True)
        _, small_api, _ = sync_connector(folder / "small-account", 3000, args.days, again=25)
    print_runs(runs)

    fastest = {
        size: (
            min(pair["connector"].seconds for pair in pairs),
            min(pair["baseline_seconds"] for pair in pairs),
        )
        for size, pairs in runs.items()
    }
    least_cpu = (
        min(pair["connector"].cpu_seconds for pair in runs[n]),
        min(pair["baseline_cpu"] for pair in runs[n]),
    )
    peak = {
        size: (
            max(pair["connector"].peak_rss_mb for pair in pairs),
            max(pair["baseline"].peak_rss_mb for pair in pairs),
        )
        for size, pairs in runs.items()
    }
    above = {size: peak[size][0] - peak[size][1] for size in runs}
    first = runs[n][0]
    requests = dated_requests(first["api"])
    budget = {table: 2 * first["rows"][table] / 10000 + 6 for table in requests}
    small_first = dated_requests(small_api, 0, small_api.second_sync_from)
    small_second = dated_requests(small_api, small_api.second_sync_from)
    print()
    results = [
        check(
            f"time ratio connector/baseline at N={n} (fastest of {args.repeat} each)",
            f"{fastest[n][0] / fastest[n][1]:.3f}",
            "<= 1.15",
            fastest[n][0] / fastest[n][1] <= 1.15,
        ),
        check(
            f"CPU ratio connector/baseline at N={n} (least of {args.repeat} each)",
            f"{least_cpu[0] / least_cpu[1]:.3f} ({least_cpu[0]:.2f} s / {least_cpu[1]:.2f} s)",
            "<= 1.10",
            least_cpu[0] / least_cpu[1] <= 1.10,
        ),
        check(f"peak RSS at N={n}", f"{peak[n][0]:.1f} MB", "< 300 MB", peak[n][0] < 300),
        check(
            "connector's peak RSS above the baseline's (the SDK's floor)",
            f"{above[n]:+.1f} MB at N, {above[n // 10]:+.1f} MB at N/10",
            "at N no more than at N/10 + 20 MB",
            above[n] <= above[n // 10] + 20,
        ),
        check(
            f"requests per dated table at N={n}, lists and counts",
            ", ".join(f"{t} {requests[t]} (budget {budget[t]:.1f})" for t in requests),
            "<= 2 x rows / 10,000 + 6",
            all(requests[t] <= budget[t] for t in requests),
        ),
        check(
            "3,000-response account, requests per dated table, first sync",
            str(small_first),
            "<= 6 each",
            all(count <= 6 for count in small_first.values()),
        ),
        check(
            "3,000-response account, requests per dated table, second sync",
            str(small_second),
            "<= 3 each",
            all(count <= 3 for count in small_second.values()),
        ),
    ]
    print(f"(the baseline's own peak RSS at N vs N/10: {peak[n][1] / peak[n // 10][1]:.3f})")
    if against:
        results.append(compare(args.against, runs[n], against))
    return 0 if all(results) else 1


def compare(revision, runs, against):
    """Print the paired comparison with another revision's runs at N; return whether this
    connector's CPU ratio is within 3% of that revision's."""
    print()
    for mine, theirs in zip(runs, against, strict=True):
        print(
            f"paired: this {mine['connector'].cpu_seconds:.2f} s CPU "
            f"(baseline {mine['baseline_cpu']:.2f} s), {revision} "
            f"{theirs['connector'].cpu_seconds:.2f} s (baseline {theirs['baseline_cpu']:.2f} s)"
        )
    ratio, before = (
        min(pair["connector"].cpu_seconds for pair in pairs)
        / min(pair["baseline_cpu"] for pair in runs + against)
        for pairs in (runs, against)
    )
    return check(
        f"CPU ratio against {revision}'s, same run (least CPU of each over the least baseline)",
        f"{ratio:.3f} against {before:.3f} ({ratio / before - 1:+.1%})",
        "within +3%",
        ratio <= before * 1.03,
    )


if __name__ == "__main__":
    sys.exit(main())
