"""Run the connector the way users do: `fivetran debug` on a copy of the project, into DuckDB.

Shared by the end-to-end tests, `make demo` and `make bench`, so all three run the same path.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parent.parent
PACKAGE = "customer_thermometer"
# What production runs, and so what every copy of the project holds (a package's caches aside).
PROJECT_FILES = ["connector.py", "requirements.txt", PACKAGE]
PEAK_PATTERN = re.compile(r"peak ([0-9.]+) MB")
# Runs a command and then prints the peak resident memory and the CPU time (user and system) of
# that command's process tree.
MEASURE_WRAPPER = (
    "import resource, subprocess, sys; "
    "code = subprocess.call(sys.argv[1:]); "
    "usage = resource.getrusage(resource.RUSAGE_CHILDREN); "
    "print('peak_rss_kb=%d' % usage.ru_maxrss, flush=True); "
    "print('cpu_s=%.3f' % (usage.ru_utime + usage.ru_stime), flush=True); "
    "sys.exit(code)"
)


def copy_project(source, folder):
    """Copy the PROJECT_FILES of source (a tree) into folder, the package's modules without their
    caches, in place of any copied before."""
    Path(folder).mkdir(parents=True, exist_ok=True)
    for name in PROJECT_FILES:
        path, target = Path(source) / name, Path(folder) / name
        if path.is_dir():
            shutil.rmtree(target, ignore_errors=True)
            shutil.copytree(path, target, ignore=shutil.ignore_patterns("__pycache__"))
        elif path.exists():  # `fivetran debug` deletes a requirements.txt that lists nothing
            shutil.copy(path, target)


def edited_copy(folder, path, old, new):
    """Copy the project's files into folder with the text old of one file (path, relative to
    the project) replaced by new, as a test lowers a limit; return folder."""
    copy_project(REPOSITORY, folder)
    target = Path(folder) / path
    text = target.read_text()
    if old not in text:
        raise ValueError(f"{path} holds no {old!r} to replace")
    target.write_text(text.replace(old, new))
    return Path(folder)


def deferring_parser_env(mode, record):
    """Return the environment under which `fivetran debug` parses XML with the deferring double
    (tests/deferring/) in mode, noting each parser it makes in the file record."""
    folder = REPOSITORY / "tests" / "deferring"
    paths = [str(folder)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    return {
        "PYTHONPATH": os.pathsep.join(paths),
        "DEFERRING_PARSER": mode,
        "DEFERRING_PARSER_RECORD": str(record),
    }


def git_tree(revision, folder):
    """Write the repository's files at a git revision into folder (created); return it."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    archive = subprocess.run(
        ["git", "-C", str(REPOSITORY), "archive", revision], capture_output=True, check=True
    )
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive.stdout, check=True)
    return folder


def venv_bin():
    """Return the folder of the running interpreter's scripts (the venv's bin)."""
    return Path(sys.executable).parent


def stub_pipreqs(folder):
    """Write a `pipreqs` that succeeds at once, for PATH.

    `fivetran debug` runs pipreqs, which asks PyPI's web API about imports; on a machine that
    cannot reach it the CLI retries for about 12 s before it skips the check. The connector
    imports nothing beyond the standard library and requests, so the check has nothing to find.
    Where `PIPREQS_RECORD` names a file, the folder it was asked to scan is added to it.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    script = folder / "pipreqs"
    script.write_text(
        "#!/bin/sh\n"
        'if [ -n "$PIPREQS_RECORD" ]; then printf \'%s\\n\' "$1" >> "$PIPREQS_RECORD"; fi\n'
        "exit 0\n"
    )
    script.chmod(0o755)
    return folder


class RunResult:
    """What one `fivetran debug` run left: exit code, output, time and peak memory."""

    def __init__(self, returncode, output, seconds, peak_rss_mb, cpu_seconds=None):
        self.returncode = returncode
        self.output = output
        self.seconds = seconds
        self.peak_rss_mb = peak_rss_mb
        self.cpu_seconds = cpu_seconds  # of the whole `fivetran` process tree, when measured

    @property
    def succeeded(self):
        """True when the sync succeeded."""
        return self.returncode == 0 and "SYNC SUCCEEDED" in self.output

    @property
    def connector_peak_mb(self):
        """The CLI's own report of the connector process's peak memory, in MB, or None."""
        found = PEAK_PATTERN.findall(self.output)
        return float(found[-1]) if found else None


class Project:
    """A copy of the project in a folder, run with `fivetran debug`.

    Args:
        folder: where to put the copy (created).
        source: the tree whose project files are copied (the repository by default; the bench
            gives another version's, see `git_tree()`, and a test one with a limit lowered, see
            `edited_copy()`).
    """

    def __init__(self, folder, source=REPOSITORY):
        self.folder = Path(folder)
        self.path = self.folder / "project"
        self.path.mkdir(parents=True, exist_ok=True)
        copy_project(source, self.path)
        self.bin = stub_pipreqs(self.folder / "stub-bin")
        self.configuration_path = self.folder / "configuration.json"

    @property
    def warehouse(self):
        """The DuckDB file the runs write."""
        return self.path / "files" / "warehouse.db"

    def debug(self, configuration, timeout=240, measure=False, env=None):
        """Run `fivetran debug` with a configuration; return a RunResult.

        Args:
            configuration: the configuration values (strings).
            timeout: seconds before the run is killed (a test then fails).
            measure: read the peak RSS of the whole `fivetran` process (getrusage).
            env: environment variables to set besides.
        """
        self.configuration_path.write_text(json.dumps(configuration))
        env = {**os.environ, **(env or {})}
        env["PATH"] = f"{self.bin}{os.pathsep}{venv_bin()}{os.pathsep}{env.get('PATH', '')}"
        env["DO_NOT_TRACK"] = "1"
        env["PYTHONUNBUFFERED"] = "1"
        command = [
            str(venv_bin() / "fivetran"),
            "debug",
            str(self.path),
            "--configuration",
            str(self.configuration_path),
        ]
        if measure:
            command = [sys.executable, "-c", MEASURE_WRAPPER] + command
        started = time.monotonic()
        completed = subprocess.run(
            command,
            cwd=self.path,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=timeout,
        )
        seconds = time.monotonic() - started
        peak = cpu = None
        if measure:
            found = re.search(r"peak_rss_kb=(\d+)", completed.stdout)
            peak = int(found.group(1)) / 1024 if found else None
            found = re.search(r"cpu_s=([0-9.]+)", completed.stdout)
            cpu = float(found.group(1)) if found else None
        return RunResult(completed.returncode, completed.stdout, seconds, peak, cpu)

    def state(self):
        """Return the saved state, or None when no state was saved."""
        path = self.path / "files" / "state.json"
        return json.loads(path.read_text()) if path.exists() else None

    def crash_reports(self):
        """Return the texts of the crash reports the runs wrote."""
        folder = self.path / "crash-reports"
        return [path.read_text() for path in sorted(folder.glob("*"))] if folder.exists() else []

    def query(self, sql):
        """Run a read-only query on the warehouse and return its rows."""
        import duckdb

        connection = duckdb.connect(str(self.warehouse), read_only=True)
        try:
            return connection.execute(sql).fetchall()
        finally:
            connection.close()

    def column_types(self, table):
        """Return {column: DuckDB type} of a warehouse table."""
        rows = self.query(
            "select column_name, data_type from information_schema.columns "
            f"where table_schema = 'tester' and table_name = '{table}'"
        )
        return dict(rows)
