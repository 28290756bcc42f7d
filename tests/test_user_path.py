"""The path a new user takes, on a fresh checkout: the README's own `make` commands, from the demo
to a sync of their account (and of a second one) and a package for production, with `git status`
clean after each.

The checkout is a new git repository holding the project's files (tracked and new ones, as a
clone of this working tree would). Its `.venv` reuses the running venv's packages, with a
`pipreqs` that succeeds at once (the real one waits for PyPI's web API), so `make` installs
nothing and the CLI runs as it does for a user.
"""

import hashlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import zipfile
from pathlib import Path

import pytest

from tests.test_end_to_end import expected
from tools.fake_api import FakeCustomerThermometer
from tools.harness import PACKAGE, REPOSITORY, stub_pipreqs

SECOND_KEY = "second-account-key-0042"
THIRD_KEY = "third-account-key-0077"
PACKAGE_FILES = {f"{PACKAGE}/{path.name}" for path in (REPOSITORY / PACKAGE).glob("*.py")}
PRODUCTION_FILES = {"connector.py", "requirements.txt", "configuration_form.pb"} | PACKAGE_FILES


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


def user_environment():
    """Return this process's environment as a user's shell has it: without the make variables
    (and the configuration) of the `make test` that runs the tests."""
    return {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("MAKE") and key != "CONFIGURATION"
    }


def make(folder, *targets, answers=None, env=None, succeed=True):
    """Run make in folder; return its output, failing the test when make fails (or, with
    succeed=False, when it succeeds).

    Args:
        answers: lines typed at the prompts (make runs with no terminal, so that the CLI's
            password prompt reads them too); none by default.
        env: variables to add to the environment.
    """
    environment = user_environment()
    environment.update(env or {})
    completed = subprocess.run(
        ["make", *targets],
        cwd=folder,
        env=environment,
        input="".join(f"{line}\n" for line in answers) if answers is not None else "",
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=300,
        start_new_session=True,  # no controlling terminal: getpass reads standard input
    )
    assert (completed.returncode == 0) == succeed, completed.stdout[-4000:]
    assert git(folder, "status", "--porcelain") == "", f"git status after make {targets}"
    return completed.stdout


def checksum(path):
    """Return the SHA-256 of a file."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def account_folder(checkout, configuration="configuration.local.json"):
    """Return the folder a configuration's local sync runs in."""
    return checkout / "files" / "accounts" / configuration.removesuffix(".json")


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
        folder = account_folder(checkout)
        assert warehouse_rows(folder, "blast_result", columns) == expected(
            account, "blast_result", columns
        )
        assert len(warehouse_rows(folder, "comment", ["response_id"])) == len(
            account.truth("comment")
        )
        warehouse, state = folder / "files" / "warehouse.db", folder / "files" / "state.json"
        before = (checksum(warehouse), checksum(state))
        assert json.loads(state.read_text())["blast_result_cursor"] == account.today.isoformat()

        make(checkout, "demo")
        assert (checksum(warehouse), checksum(state)) == before  # the demo left them as they were

        account.add_responses(5, days_ago=(0,))
        again = make(checkout, "debug")
        assert "SYNC SUCCEEDED" in again
        assert warehouse_rows(folder, "blast_result", columns) == expected(
            account, "blast_result", columns
        )  # all of the account's rows, none of the demo's

    demo_project = checkout / "files" / "demo" / "project"
    assert len(warehouse_rows(demo_project, "blast_result", ["response_id"])) == 3000
    inspected = make(checkout, "inspect")
    assert (
        "blast_result" in inspected and "705" in inspected and "blast_result_cursor" in inspected
    )
    # The keys of the reconcile horizon are summarised, not printed whole.
    assert re.search(r'"blast_result_keys": "<keys of \d+ days, [\d,]+ bytes>"', inspected)

    requirements = (checkout / "requirements.txt").read_bytes()
    make(checkout, "package")
    (package,) = (checkout / "files" / "stage").glob("*/files/*.zip")
    names = set(zipfile.ZipFile(package).namelist())
    assert {"connector.py"} | PACKAGE_FILES <= names <= PRODUCTION_FILES | {f"{PACKAGE}/"}, names
    assert (checkout / "requirements.txt").read_bytes() == requirements


def test_inspect_says_what_to_do_without_a_warehouse(checkout):
    said = make(checkout, "inspect", succeed=False)
    assert "and no such file: run `make configure`, then `make debug`." in said
    (checkout / "b.local.json").write_text('{"api_key": "x"}')
    said = make(checkout, "inspect", "CONFIGURATION=b.local.json", succeed=False)
    assert "files/accounts/b.local/files/warehouse.db" in said
    assert "run `make debug CONFIGURATION=b.local.json` first" in said
    said = make(checkout, "inspect", "PROJECT=files/demo/project", succeed=False)
    assert "run `make debug` (or `make demo`) first" in said


def inspected_rows(output, table):
    """Return the rows `make inspect` printed for a table."""
    (rows,) = re.findall(rf"^{table}\s+(\d+)\s", output, re.MULTILINE)
    return int(rows)


def test_two_accounts_each_sync_into_a_warehouse_and_state_of_their_own(checkout, tmp_path):
    record = tmp_path / "pipreqs-scanned.txt"
    env = {"HOME": str(tmp_path / "home"), "PIPREQS_RECORD": str(record)}
    columns = ["response_id", "blast_id", "date_submitted", "response", "comment", "company"]
    account_a = FakeCustomerThermometer(responses=700, days=200, seed=77, api_key=SECOND_KEY)
    account_b = FakeCustomerThermometer(responses=400, days=300, seed=91, api_key=THIRD_KEY)
    with account_a as a, account_b as b:
        # The key, then blank answers (the defaults) for the first-sync date and the lookback.
        said = make(checkout, "configure", answers=[SECOND_KEY, "", "", "", a.base_url], env=env)
        assert "Next: `make check` (the key against the API), then `make debug`." in said
        saved = (checkout / "configuration.local.json").read_text()
        assert SECOND_KEY not in saved and json.loads(saved)["base_url"] == a.base_url
        assert "SYNC SUCCEEDED" in make(checkout, "debug", env=env)
        folder_a = account_folder(checkout)
        files_a = sorted((folder_a / "files").iterdir())
        before = [checksum(path) for path in files_a]
        requests_a = len(a.requests)

        b_file = "CONFIGURATION=b.local.json"
        make(checkout, "configure", b_file, answers=[THIRD_KEY, "", "0", "", b.base_url], env=env)
        assert "PASSED" in make(checkout, "check", b_file, env=env)
        second = make(checkout, "debug", b_file, env=env)
        assert "SYNC SUCCEEDED" in second and THIRD_KEY not in second
        folder_b = account_folder(checkout, "b.local.json")
        assert warehouse_rows(folder_b, "blast_result", columns) == expected(
            b, "blast_result", columns
        )
        comments = warehouse_rows(folder_b, "comment", ["response_id", "date_submitted"])
        assert comments == expected(b, "comment", ["response_id", "date_submitted"])
        assert warehouse_rows(folder_b, "thermometer", ["id", "name"]) == expected(
            b, "thermometer", ["id", "name"]
        )
        state_b = json.loads((folder_b / "files" / "state.json").read_text())
        assert state_b["blast_result_cursor"] == b.today.isoformat()
        assert "blast_result_history" not in state_b  # B's history was read from 1970, whole

        # A's warehouse and state are as they were, byte for byte, and A was not asked anything.
        assert sorted((folder_a / "files").iterdir()) == files_a
        assert [checksum(path) for path in files_a] == before
        assert len(a.requests) == requests_a

    shown_a = make(checkout, "inspect", env=env)
    warehouse_a = folder_a.relative_to(checkout) / "files" / "warehouse.db"
    assert f"Reading the local warehouse of configuration.local.json: {warehouse_a}" in shown_a
    assert inspected_rows(shown_a, "blast_result") == 700
    shown_b = make(checkout, "inspect", b_file, env=env)
    assert str(folder_b.relative_to(checkout) / "files" / "warehouse.db") in shown_b
    assert inspected_rows(shown_b, "blast_result") == 400

    scanned = record.read_text().split()
    assert len(scanned) == 2  # one dependency check per sync
    for folder in map(Path, scanned):
        names = {path.name for path in folder.iterdir()}
        assert "tests" not in names and {"connector.py"} <= names, names
        assert names <= {"connector.py", "requirements.txt", PACKAGE, "files", ".configuration"}


def test_a_sync_without_a_configuration_says_which_command_comes_first(checkout):
    said = make(checkout, "debug", succeed=False)
    assert "No configuration file configuration.local.json: run `make configure` first" in said
    said = make(checkout, "check", "CONFIGURATION=b.local.json", succeed=False)
    assert "run `make configure CONFIGURATION=b.local.json` first" in said
    assert "cannot stat" not in said


def test_the_cli_run_in_the_root_on_the_template_says_to_configure_first(checkout):
    env = user_environment()
    env["PATH"] = f"{checkout / '.venv' / 'bin'}{os.pathsep}{env['PATH']}"
    env["DO_NOT_TRACK"] = "1"
    completed = subprocess.run(
        [str(checkout / ".venv" / "bin" / "fivetran"), "debug"],
        cwd=checkout,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert completed.returncode != 0
    assert "run `make configure`" in completed.stdout + completed.stderr
    assert "then `make debug`" in completed.stdout + completed.stderr


def test_two_configurations_of_one_name_never_share_a_folder(checkout):
    for name in ("one", "two"):
        (checkout / name).mkdir()
        (checkout / name / "acct.local.json").write_text('{"api_key": "x"}')
    make(checkout, "debug", "CONFIGURATION=one/acct.local.json", succeed=False)  # a bad key
    for target in ("debug", "inspect"):
        said = make(checkout, target, "CONFIGURATION=two/acct.local.json", succeed=False)
        assert "holds the local sync of one/acct.local.json, not of two/acct.local.json" in said


def test_configure_never_writes_a_file_git_would_commit(checkout, tmp_path):
    env = {"HOME": str(tmp_path / "home")}
    answers = ["y", "a-key-0123456789", "", "", "", ""]
    for name in ("configuration.json", "acct2", "pyproject.toml"):
        said = make(
            checkout, "configure", f"CONFIGURATION={name}", answers=answers, env=env, succeed=False
        )
        assert "would be committed (only *.local.json is git-ignored here" in said
    said = make(
        checkout,
        "configure",
        "CONFIGURATION=nowhere/c.local.json",
        answers=answers,
        env=env,
        succeed=False,
    )
    assert "does not exist" in said and "Saved as" not in said


def test_configure_again_says_the_old_sync_is_still_there(checkout, tmp_path):
    env = {"HOME": str(tmp_path / "home")}
    with FakeCustomerThermometer(responses=50, days=20, seed=5, api_key=SECOND_KEY) as account:
        make(checkout, "configure", answers=[SECOND_KEY, "", "", "", account.base_url], env=env)
        assert "SYNC SUCCEEDED" in make(checkout, "debug", env=env)
        said = make(
            checkout, "configure", answers=["y", THIRD_KEY, "", "", "", account.base_url], env=env
        )
    assert "WARNING: files/accounts/configuration.local/files/ holds the local sync" in said
    assert "rm -r files/accounts/configuration.local/files" in said
    kept = make(checkout, "configure", answers=["n"], env=env)
    assert "configuration.local.json was kept as it was" in kept and "Saved as" not in kept


def test_a_configuration_path_with_spaces_syncs_whole(checkout, tmp_path):
    folder = tmp_path / "my accounts"
    folder.mkdir()
    path = folder / "acme corp.json"
    with FakeCustomerThermometer(responses=80, days=30, seed=6, api_key=SECOND_KEY) as account:
        path.write_text(json.dumps({"api_key": SECOND_KEY, "base_url": account.base_url}))
        said = make(checkout, "debug", f"CONFIGURATION={path}")
        assert "SYNC SUCCEEDED" in said
        rows = warehouse_rows(
            checkout / "files" / "accounts" / "acme corp", "blast_result", ["response_id"]
        )
        assert len(rows) == len(account.truth("blast_result"))


def silent_listener():
    """Return (URL, connections): a server on 127.0.0.1 that accepts and never answers, and the
    list of connections it accepted (closed when the test's process ends)."""
    server = socket.create_server(("127.0.0.1", 0))
    connections = []

    def accept():
        while True:
            try:
                connections.append(server.accept()[0])
            except OSError:
                return

    threading.Thread(target=accept, daemon=True).start()
    return f"http://127.0.0.1:{server.getsockname()[1]}/api.php", connections, server


def stop_midway(checkout, tmp_path, target, signal_number, started):
    """Run make target for b.local.json in a process group of its own, send it signal_number
    once started() is true, and return (its output, the folder's configuration.json)."""
    environment = {**user_environment(), "HOME": str(tmp_path / "home")}
    process = subprocess.Popen(
        ["make", target, "CONFIGURATION=b.local.json"],
        cwd=checkout,
        env=environment,
        stdin=subprocess.PIPE,  # left open: a prompt waits on it
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its own process group: a terminal's Ctrl-C reaches them all
    )
    shown = account_folder(checkout, "b.local.json") / "configuration.json"
    try:
        deadline = time.monotonic() + 120
        while not started(shown) and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert started(shown), f"make {target} ended or hung before the CLI began"
        os.killpg(process.pid, signal_number)
        output = process.communicate(timeout=60)[0]
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    assert process.returncode != 0
    assert not shown.exists() and not shown.is_symlink(), output
    for path in (checkout / "files").rglob("*"):
        assert not path.is_file() or SECOND_KEY.encode() not in path.read_bytes(), path
    assert git(checkout, "status", "--porcelain") == ""
    return output


@pytest.mark.parametrize("number", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
def test_check_stopped_midway_leaves_no_copy_of_the_configuration(checkout, tmp_path, number):
    url, connections, server = silent_listener()
    (checkout / "b.local.json").write_text(json.dumps({"api_key": SECOND_KEY, "base_url": url}))

    def asking(shown):
        # The CLI reads the file itself, not a copy of the key: its folder holds a link.
        return bool(connections) and shown.is_symlink()

    try:
        stop_midway(checkout, tmp_path, "check", number, asking)
    finally:
        server.close()


def test_configure_stopped_at_its_prompt_leaves_no_copy_of_the_configuration(checkout, tmp_path):
    (checkout / "b.local.json").write_text(json.dumps({"api_key": SECOND_KEY}))
    shown_at = []

    def prompting(shown):  # the existing file is shown to the CLI, which asks about it
        if shown.is_file() and not shown_at:
            shown_at.append(time.monotonic())
        return bool(shown_at) and time.monotonic() - shown_at[0] > 2

    said = stop_midway(checkout, tmp_path, "configure", signal.SIGINT, prompting)
    assert "Stopped: nothing of the configuration is left in the folder." in said
    assert json.loads((checkout / "b.local.json").read_text()) == {"api_key": SECOND_KEY}


def test_check_leaves_no_copy_after_a_refused_key_nor_after_success(checkout, tmp_path):
    env = {"HOME": str(tmp_path / "home")}
    shown = account_folder(checkout, "b.local.json") / "configuration.json"
    with FakeCustomerThermometer(responses=10, days=5, seed=3, api_key=THIRD_KEY) as account:
        for key, succeed in ((SECOND_KEY, False), (THIRD_KEY, True)):
            configuration = {"api_key": key, "base_url": account.base_url}
            (checkout / "b.local.json").write_text(json.dumps(configuration))
            said = make(checkout, "check", "CONFIGURATION=b.local.json", env=env, succeed=succeed)
            assert ("PASSED" in said) == succeed
            assert not shown.exists() and not shown.is_symlink()
