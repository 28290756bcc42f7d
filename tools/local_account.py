"""The local folder of one configuration file, for `make configure | check | debug | inspect`.

Each configuration file syncs in a folder of its own, `files/accounts/<its name without .json>/`,
which holds only `connector.py`, the `customer_thermometer` package and `requirements.txt` (so
the CLI's dependency check sees production code only) beside the CLI's `files/` (the warehouse and
the state). A file of the same name elsewhere is refused rather than given that folder. The file
is `$CONFIGURATION` (the Makefile exports it, so that any path, spaces included, arrives whole).

Usage (the Makefile's): `python -m tools.local_account COMMAND`, where COMMAND is
- `prepare`: check the file exists, refuse a folder another file uses, refresh the folder's copy of
  the connector; print the folder;
- `folder`: print the folder, refusing one another file uses (for `make inspect`);
- `path`: print the file's absolute path;
- `before-configure`: as `prepare`, for a file that may not exist yet (which must then be
  git-ignored: `*.local.json`, or outside the repository), with a copy of the existing one in the
  folder as `configuration.json`, where the CLI writes; print the folder;
- `after-configure STATUS`: save what the CLI wrote as the file (or say it was kept), say what to
  run next, and warn when the folder holds a sync of what the file named before;
- `configure`: `before-configure`, `fivetran configuration` in the folder, `after-configure`;
- `check`: `prepare`, then `fivetran configuration --test` in the folder, which reads only a
  `configuration.json` there: a link to the file, never a copy of the key.
`configure` and `check` remove what they put in the folder however the CLI ends: success, an
error, Ctrl-C or a termination signal (a file the CLI wrote holds the key, encrypted or not).
Messages go to standard error; exit code 2 means the command must not go on.
"""

import os
import shlex
import shutil
import signal
import subprocess
import sys
from pathlib import Path

from tools.harness import REPOSITORY, copy_project

ACCOUNTS = Path("files") / "accounts"
DEFAULT = "configuration.local.json"
MARKER = ".configuration"  # in a folder: which file's sync it holds
WRITTEN = "configuration.json"  # what `fivetran configuration` writes where it runs


class Refused(Exception):
    """A configuration file the command cannot go on with; the message says what to do."""


def say(message):
    """Print a message for the user (standard error: standard output is the Makefile's)."""
    print(message, file=sys.stderr, flush=True)


def configuration():
    """Return $CONFIGURATION as given (the default file when it is not set)."""
    return os.environ.get("CONFIGURATION") or DEFAULT


def command_for(target, given):
    """Return the make command that runs target for the file given."""
    if given == DEFAULT:
        return f"make {target}"
    return f"make {target} CONFIGURATION={shlex.quote(given)}"


def folder_of(given):
    """Return a file's folder under files/accounts/, refusing a name that has none."""
    name = Path(given).name
    stem = name[: -len(".json")] if name.endswith(".json") else name
    if not stem or stem in (".", ".."):
        raise Refused(f"{given!r} has no name before .json: call it, say, b.local.json.")
    return ACCOUNTS / stem


def owned_folder(given):
    """Return a file's folder, refusing it when another file's sync is there."""
    folder = folder_of(given)
    owner = os.path.relpath(given)
    marker = folder / MARKER
    if marker.exists() and marker.read_text().strip() != owner:
        raise Refused(
            f"{folder} holds the local sync of {marker.read_text().strip()}, not of {owner}: "
            f"give one of the two files another name (each name gets its own folder)."
        )
    return folder


def prepared_folder(given):
    """Make a file's folder (or refresh it) with today's connector.py, its package and
    requirements.txt."""
    folder = owned_folder(given)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / MARKER).write_text(os.path.relpath(given) + "\n")
    copy_project(REPOSITORY, folder)  # what production runs, as every copy of the project holds
    return folder


def prepare(given):
    """See the module's `prepare`."""
    if not Path(given).is_file():
        raise Refused(
            f"No configuration file {given}: run `{command_for('configure', given)}` first (it "
            f"asks for your API key and saves it there), then this command again."
        )
    return prepared_folder(given)


def before_configure(given):
    """See the module's `before-configure`."""
    path = Path(given).resolve()
    inside = path.is_relative_to(REPOSITORY)
    if inside and not path.name.endswith(".local.json"):
        raise Refused(
            f"{given} would be committed (only *.local.json is git-ignored here, and "
            f"configuration.json is the template): save your configuration as, say, "
            f"`{command_for('configure', 'b.local.json')}`, or outside the repository."
        )
    if not path.parent.is_dir():
        raise Refused(f"{given}: its folder {path.parent} does not exist.")
    folder = prepared_folder(given)
    (folder / WRITTEN).unlink(missing_ok=True)
    if path.is_file():  # shown to the CLI, which asks before replacing it
        shutil.copy(path, folder / WRITTEN)
    return folder


def after_configure(given, status):
    """See the module's `after-configure`; return the exit code."""
    folder = folder_of(given)
    written = folder / WRITTEN
    path = Path(given)
    existed = path.is_file()
    try:
        if status != 0 or not written.is_file():
            say(f"{given} was not saved: see the messages above.")
            return status or 1
        if existed and written.read_bytes() == path.read_bytes():
            say(f"{given} was kept as it was.")
            return 0
        shutil.copy(written, path)
        os.chmod(path, 0o600)  # it holds the key (encrypted): only its owner reads it
    finally:
        written.unlink(missing_ok=True)
    say(f"Saved as {given}; configuration.json stays the template.")
    if existed and (folder / "files" / "state.json").exists():
        say(
            f"WARNING: {folder}/files/ holds the local sync of what {given} said before. If it "
            f"now names another account (another key or API URL), start that sync over with "
            f"`rm -r {shlex.quote(str(folder / 'files'))}`, or give the other account a file of "
            f"its own (each file gets its own folder)."
        )
    say(
        f"Next: `{command_for('check', given)}` (the key against the API), then "
        f"`{command_for('debug', given)}`."
    )
    return 0


class Stopped(BaseException):
    """A termination signal, raised where the command is so that its clean-up runs."""


def stop_on_signals():
    """Make SIGTERM and SIGHUP raise Stopped, and Ctrl-C (SIGINT) KeyboardInterrupt even where
    the parent ignored it."""

    def stop(number, frame):
        raise Stopped(number)

    for number in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(number, stop)
    signal.signal(signal.SIGINT, signal.default_int_handler)


def run_cli(folder, *arguments):
    """Run the fivetran CLI in folder (standard input and output the user's); return its exit
    code."""
    return subprocess.run(["fivetran", *arguments], cwd=folder).returncode


def configure(given):
    """See the module's `configure`; return the exit code."""
    try:
        status = run_cli(before_configure(given), "configuration")
    except (KeyboardInterrupt, Stopped):  # nothing is saved, and nothing is left in the folder
        (folder_of(given) / WRITTEN).unlink(missing_ok=True)
        raise
    return after_configure(given, status)


def check(given):
    """See the module's `check`; return the exit code."""
    folder = prepare(given)
    link = folder / WRITTEN
    link.unlink(missing_ok=True)
    link.symlink_to(Path(given).resolve())
    try:
        return run_cli(folder, "configuration", "--test")
    finally:
        link.unlink(missing_ok=True)


def main(argv):
    """Run one command; return the exit code."""
    given = configuration()
    command = argv[0] if argv else ""
    try:
        if command == "prepare":
            print(prepare(given))
        elif command == "folder":
            print(owned_folder(given))
        elif command == "path":
            print(Path(given).resolve())
        elif command == "before-configure":
            print(before_configure(given))
        elif command == "after-configure":
            return after_configure(given, int(argv[1]))
        elif command == "configure":
            return configure(given)
        elif command == "check":
            return check(given)
        else:
            say(__doc__)
            return 2
    except Refused as refused:
        say(str(refused))
        return 2
    except (KeyboardInterrupt, Stopped):
        say("Stopped: nothing of the configuration is left in the folder.")
        return 130
    return 0


if __name__ == "__main__":
    stop_on_signals()
    sys.exit(main(sys.argv[1:]))
