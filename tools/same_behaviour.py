"""Whether this tree's connector behaves as another revision's does, byte for byte.

`python -m tools.same_behaviour REVISION [--only NAME]` runs, for each scenario, the connector of
REVISION and this tree's through `fivetran debug`, each on a stand-in account of its own built
from the same seed, and compares what a user could see:
- every table's rows, value for value (`_fivetran_synced`, and the metric's `recorded_at`, are
  the time of the run), and the column types;
- the state each sync saved;
- the requests made, in order, with their parameters;
- the lines of the run's output (their time stamps, folders, durations and the line numbers
  of a traceback aside).

Scenarios: the demo account (a first sync, then 25 new responses and a next sync); the account
under each stand-in option the end-to-end tests play, and under faults; and a next sync of this
tree from the state REVISION's first sync saved. It prints one line per scenario and each
difference, and exits 1 when there is one.
"""

import argparse
import re
import shutil
import sys
import tempfile
from pathlib import Path

from tools.fake_api import MEANINGS, VARIANTS, FakeCustomerThermometer
from tools.harness import Project, git_tree

API_KEY = "same-behaviour-key-0123456789"
# name -> the stand-in's options (besides responses, days and seed)
SCENARIOS = {
    "demo account": {},
    "faults on 30% of requests": {"fault_rate": 0.3},
    **VARIANTS,
    **MEANINGS,
    "date bounds ignored": {"ignore_dates": True, "cap": 1000},
    "gateway time-out on long ranges": {"timeout_over_days": 90},
}
TABLES = ["blast_result", "comment", "recipient_list", "thermometer", "metric"]
RUN_TIME_COLUMNS = {"_fivetran_synced", "recorded_at"}
# What in a line of output is the run's own: its time stamp, its folders, durations and sizes.
LINE_NOISE = [
    (re.compile(r"^\d{2}:\d{2}:\d{2}\.\d+\s+"), ""),
    (re.compile(r"elapsed \d{2}:\d{2}:\d{2}\.\d+"), "elapsed <time>"),
    (re.compile(r"crash_\d{8}-\d{6}"), "crash_<time>"),
    (re.compile(r"line \d+, in "), "line <n>, in "),  # a traceback's: the code moved
    (re.compile(r"/tmp/[^\s'\"]+"), "<path>"),
    (re.compile(r"\b\d+(\.\d+)?\s*(s|ms|seconds|MB|KB)\b"), "<measure>"),
    (re.compile(r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(\.\d+)?"), "<time>"),
    (re.compile(r"\b\d+(\.\d+)? (rows|records)/s\b"), "<rate>"),
]


def normalised_output(output):
    """Return a run's output lines with what is the run's own replaced."""
    lines = []
    for line in output.splitlines():
        for pattern, replacement in LINE_NOISE:
            line = pattern.sub(replacement, line)
        lines.append(line)
    return lines


def warehouse(project):
    """Return each table's column types and sorted rows, run-time columns aside."""
    seen = {}
    for table in TABLES:
        types = dict(
            project.query(
                "select column_name, data_type from information_schema.columns "
                f"where table_schema = 'tester' and table_name = '{table}' order by column_name"
            )
        )
        columns = [name for name in sorted(types) if name not in RUN_TIME_COLUMNS]
        if not columns:
            seen[table] = (types, [])
            continue
        rows = project.query(f"select {', '.join(columns)} from tester.{table}")
        seen[table] = (types, sorted(rows, key=repr))
    return seen


def sync(project, api):
    """Run one sync of a project; return what a user could see of it."""
    result = project.debug({"api_key": API_KEY, "base_url": api.base_url}, timeout=900)
    return {
        "exit code": result.returncode,
        "output": normalised_output(result.output),
        "state": project.state(),
        "warehouse": warehouse(project) if project.warehouse.exists() else None,
    }


def run_scenario(folder, source, options, later_source=None):
    """Sync a stand-in account with a first sync, 25 new responses, and a next sync (by
    later_source's connector where given, from the state the first one saved)."""
    seen = {}
    with FakeCustomerThermometer(
        responses=3000, days=730, seed=2026, api_key=API_KEY, **options
    ) as api:
        project = Project(folder, source=source)
        seen["first sync"] = sync(project, api)
        seen["first sync"]["requests"] = list(api.requests)
        api.add_responses(25, days_ago=(0, 1))
        since = len(api.requests)
        if later_source is not None:
            later = Project(Path(folder) / "later", source=later_source)
            # The first sync's warehouse and state, as a deployed connection keeps them.
            shutil.copytree(project.path / "files", later.path / "files")
            project = later
        seen["next sync"] = sync(project, api)
        seen["next sync"]["requests"] = api.requests[since:]
    return seen


def differences(before, after, where=""):
    """Yield a line for each place two nested values differ."""
    if isinstance(before, dict) and isinstance(after, dict):
        for key in sorted(set(before) | set(after), key=str):
            yield from differences(before.get(key), after.get(key), f"{where}/{key}")
    elif isinstance(before, list) and isinstance(after, list) and len(before) == len(after):
        for index, (one, other) in enumerate(zip(before, after, strict=True)):
            yield from differences(one, other, f"{where}[{index}]")
    elif before != after:
        yield f"{where}: {str(before)[:300]!r} != {str(after)[:300]!r}"


def main(argv=None):
    """Compare every scenario; exit 1 when one differs."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("revision", help="the git revision to compare this tree with")
    parser.add_argument("--only", help="run only the scenarios whose name holds this")
    args = parser.parse_args(argv)
    repository = Path(__file__).resolve().parent.parent
    differing = 0
    with tempfile.TemporaryDirectory(prefix="ct-same-") as folder:
        folder = Path(folder)
        before_tree = git_tree(args.revision, folder / "tree")
        scenarios = [(name, options) for name, options in SCENARIOS.items()]
        scenarios.append(("next sync from the state the revision saved", {}))
        for index, (name, options) in enumerate(scenarios):
            if args.only and args.only not in name:
                continue
            resumed = name.startswith("next sync from")
            before = run_scenario(folder / f"before-{index}", before_tree, options)
            after = run_scenario(
                folder / f"after-{index}",
                before_tree if resumed else repository,
                options,
                later_source=repository if resumed else None,
            )
            found = list(differences(before, after))
            differing += bool(found)
            first = after["first sync"]
            print(
                f"{'SAME' if not found else 'DIFFERENT'}: {name} "
                f"({len(first['requests'])} + {len(after['next sync']['requests'])} requests, "
                f"{sum(len(rows) for _, rows in (first['warehouse'] or {}).values())} rows, "
                f"exit codes {first['exit code']} and {after['next sync']['exit code']})",
                flush=True,
            )
            for line in found[:20]:
                print(f"    {line}")
    return 1 if differing else 0


if __name__ == "__main__":
    sys.exit(main())
