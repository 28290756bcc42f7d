"""The path a new user takes, on a fresh checkout: the README's own `make` commands, from the demo
to a sync of their account and a package for production, with `git status` clean after each.

The checkout is a new git repository holding the project's files (tracked and new ones, as a
clone of this working tree would). Its `.venv` reuses the running venv's packages, with a
`pipreqs` that succeeds at once (the real one waits for PyPI's web API), so `make` installs
nothing and the CLI runs as it does for a user.
"""

import hashlib
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.fake_api import FakeCustomerThermometer
from tests.harness import REPOSITORY, stub_pipreqs
from tests.test_end_to_end import expected

SECOND_KEY = "second-account-key-0042"
PRODUCTION_FILES = {"connector.py", "requirements.txt", "configuration_form.pb"}


def git(folder, *args):
    """Run git in folder and return its output."""
    return subprocess.run(
        ["git", "-c", "user.name=test", "-c", "user.email=test@example.test", *args],
        cwd=folder,
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def fake_venv(folder):
    """Make folder/.venv a venv that uses the running one's packages and a stub pipreqs."""
    real = Path(sys.prefix)
    venv = folder / ".venv"
    (venv / "bin").mkdir(parents=True)
    shutil.copy(real / "pyvenv.cfg", venv / "pyvenv.cfg")
    (venv / "lib").symlink_to(real / "lib")
    for entry in (real / "bin").iterdir():
        if entry.name != "pipreqs":
            (venv / "bin" / entry.name).symlink_to(entry)
    shutil.copy(stub_pipreqs(folder / ".stub") / "pipreqs", venv / "bin" / "pipreqs")
    shutil.rmtree(folder / ".stub")
    (venv / ".installed").touch()  # newer than requirements-dev.txt: nothing to install


@pytest.fixture
def checkout(tmp_path):
    """A fresh checkout of the project: its files, committed in a new repository."""
    folder = tmp_path / "checkout"
    listed = git(REPOSITORY, "ls-files", "--cached", "--others", "--exclude-standard", "-z")
    for name in filter(None, listed.split("\0")):
        if (REPOSITORY / name).is_file():
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPOSITORY / name, folder / name)
    git(folder, "init", "-q")
    git(folder, "add", "-A")
    git(folder, "commit", "-q", "-m", "fresh checkout")
    fake_venv(folder)
    return folder


def make(folder, *targets):
    """Run make in folder; return its output, failing the test when make fails."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("MAKE")}
    completed = subprocess.run(
        ["make", *targets],
        cwd=folder,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stdout[-4000:]
    assert git(folder, "status", "--porcelain") == "", f"git status after make {targets}"
    return completed.stdout


def checksum(path):
    """Return the SHA-256 of a file."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def warehouse_rows(folder, table, columns):
    """Return a table of a project folder's warehouse as sorted tuples of some columns."""
    import duckdb

    connection = duckdb.connect(str(folder / "files" / "warehouse.db"), read_only=True)
    try:
        rows = connection.execute(f"select {', '.join(columns)} from tester.{table}").fetchall()
    finally:
        connection.close()
    return sorted(rows, key=repr)


def test_demo_then_an_account_then_a_package_on_a_fresh_checkout(checkout):
    demo = make(checkout, "demo")
    assert "files/demo/project/files/warehouse.db" in demo and "SYNC SUCCEEDED" in demo

    columns = ["response_id", "blast_id", "date_submitted", "response", "comment", "company"]
    with FakeCustomerThermometer(responses=700, days=200, seed=77, api_key=SECOND_KEY) as account:
        # What `make configure` saves, written here as the form would.
        (checkout / "configuration.local.json").write_text(
            json.dumps({"api_key": SECOND_KEY, "base_url": account.base_url})
        )
        first = make(checkout, "debug")
        assert "SYNC SUCCEEDED" in first and SECOND_KEY not in first
        assert warehouse_rows(checkout, "blast_result", columns) == expected(
            account, "blast_result", columns
        )
        assert len(warehouse_rows(checkout, "comment", ["response_id"])) == len(
            account.truth("comment")
        )
        warehouse, state = checkout / "files" / "warehouse.db", checkout / "files" / "state.json"
        before = (checksum(warehouse), checksum(state))
        assert json.loads(state.read_text())["blast_result_cursor"] == account.today.isoformat()

        make(checkout, "demo")
        assert (checksum(warehouse), checksum(state)) == before  # the demo left them as they were

        account.add_responses(5, days_ago=(0,))
        again = make(checkout, "debug")
        assert "SYNC SUCCEEDED" in again
        assert warehouse_rows(checkout, "blast_result", columns) == expected(
            account, "blast_result", columns
        )  # all of the account's rows, none of the demo's

    demo_project = checkout / "files" / "demo" / "project"
    assert len(warehouse_rows(demo_project, "blast_result", ["response_id"])) == 3000
    inspected = make(checkout, "inspect")
    assert (
        "blast_result" in inspected and "705" in inspected and "blast_result_cursor" in inspected
    )

    requirements = (checkout / "requirements.txt").read_bytes()
    make(checkout, "package")
    (package,) = (checkout / "files" / "stage").glob("*/files/*.zip")
    names = set(zipfile.ZipFile(package).namelist())
    assert "connector.py" in names and names <= PRODUCTION_FILES, names
    assert (checkout / "requirements.txt").read_bytes() == requirements


def test_inspect_says_what_to_do_without_a_warehouse(checkout):
    env = {key: value for key, value in os.environ.items() if not key.startswith("MAKE")}
    completed = subprocess.run(
        ["make", "inspect"], cwd=checkout, env=env, capture_output=True, text=True, timeout=120
    )
    assert completed.returncode != 0
    assert "run `make debug` (or `make demo`) first" in completed.stdout
