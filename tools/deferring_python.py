"""`make test`, second part: the whole suite again on a Python whose Expat defers its events.

Expat 2.6 and later ("reparse deferral", the fix for CVE-2023-52425) may hand on what a fed piece
held only once more bytes come, or at flush() or close(). Every CPython released since early 2024
bundles such an Expat (3.13, 3.14, 3.12.3+, 3.11.9+, 3.10.14+), so production very likely parses
with one. Where the Python that ran the suite did not, this looks for one that does (on PATH, then
in pyenv's versions), makes a virtual environment of it (`.venv-<version>`, with
requirements-dev.txt) and runs the suite there. Where none is found, or none can be given a
virtual environment (no `venv` module, no way to install the requirements), it says so in one
line and succeeds: the deferring double (tests/deferring/) is what guarantees the coverage on any
Python.

Usage: `python -m tools.deferring_python <pytest arguments>`; exits with pytest's status.
"""

import glob
import os
import shutil
import subprocess
import sys
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parent.parent
REQUIREMENTS = REPOSITORY / "requirements-dev.txt"
DEFERS_FROM = (2, 6)  # the first Expat that defers its events
SUPPORTED = [(3, minor) for minor in range(14, 9, -1)]  # Pythons Fivetran runs, newest first
PROBE = "import pyexpat, sys; print(*sys.version_info[:3], *pyexpat.version_info)"


def describe(python):
    """Return ((major, minor, micro), (expat major, minor, micro)) of a Python, or None when
    it cannot be run."""
    try:
        found = subprocess.run(
            [str(python), "-c", PROBE], capture_output=True, text=True, timeout=10, check=True
        )
        numbers = [int(part) for part in found.stdout.split()]
    except (OSError, subprocess.SubprocessError, ValueError):
        return None
    return (tuple(numbers[:3]), tuple(numbers[3:6])) if len(numbers) == 6 else None


def dotted(numbers):
    """Return a version as text: 3.13.0."""
    return ".".join(map(str, numbers))


def candidates():
    """Yield the Pythons to look at: python3.14 ... python3.10 on PATH, then pyenv's."""
    for major, minor in SUPPORTED:
        found = shutil.which(f"python{major}.{minor}")
        if found:
            yield Path(found)
    root = os.environ.get("PYENV_ROOT") or os.path.expanduser("~/.pyenv")
    for path in sorted(glob.glob(os.path.join(root, "versions", "3.*", "bin", "python3"))):
        yield Path(path)


def deferring_pythons():
    """Yield (path, version, expat) of each supported Python whose Expat defers."""
    for python in candidates():
        described = describe(python)
        if described and described[0][:2] in SUPPORTED and described[1] >= DEFERS_FROM:
            yield python, *described


def prepared_venv(python, version):
    """Return the Python of `.venv-<version>`, made from python and given requirements-dev.txt
    when missing or older than it; or None, with nothing left half made, where it cannot be
    (its `venv` fails, or pip cannot install the requirements)."""
    venv = REPOSITORY / f".venv-{dotted(version)}"
    venv_python = venv / "bin" / "python"
    stamp = venv / ".installed"
    try:
        if not venv_python.exists():
            print(f"Creating {venv.name} with requirements-dev.txt: about 30 s, once", flush=True)
            subprocess.run([str(python), "-m", "venv", str(venv)], check=True, capture_output=True)
        if not stamp.exists() or stamp.stat().st_mtime < REQUIREMENTS.stat().st_mtime:
            subprocess.run(
                [str(venv_python), "-m", "pip", "install", "--quiet"]
                + ["--disable-pip-version-check", "-r", str(REQUIREMENTS)],
                check=True,
                capture_output=True,
            )
            stamp.touch()
    except (OSError, subprocess.CalledProcessError):
        shutil.rmtree(venv, ignore_errors=True)
        return None
    return venv_python


def usable_python():
    """Return ((path, version, expat, its venv's Python), []) for the first deferring Python
    that can be given a virtual environment, or (None, the paths of those that could not)."""
    unusable = []
    for python, version, expat in deferring_pythons():
        venv_python = prepared_venv(python, version)
        if venv_python is not None:
            return (python, version, expat, venv_python), unusable
        unusable.append(str(python))
    return None, unusable


def main(pytest_arguments):
    """Run the suite on a deferring Python where the running one does not defer."""
    version, expat = describe(sys.executable)
    said = f"The suite ran on Python {dotted(version)} with Expat {dotted(expat)}"
    if expat >= DEFERS_FROM:
        print(f"{said}, which defers its events: no second run is needed.")
        return 0
    found, unusable = usable_python()
    if found is None:
        print(
            f"{said}, which does not defer its events, and no Python 3.10-3.14 with Expat 2.6 or "
            "later on PATH or in pyenv's versions could run it"
            + (f" ({', '.join(unusable)}: no virtual environment)" if unusable else "")
            + ": the deferring double covers that parser."
        )
        return 0
    python, version, expat, venv_python = found
    print(
        f"{said}, which does not defer its events: running it again on Python {dotted(version)} "
        f"({python}) with Expat {dotted(expat)}, which does.",
        flush=True,
    )
    environment = dict(os.environ, DO_NOT_TRACK="1")
    environment["PATH"] = f"{venv_python.parent}{os.pathsep}{environment.get('PATH', '')}"
    command = [str(venv_python), "-m", "pytest", *pytest_arguments]
    return subprocess.call(command, cwd=REPOSITORY, env=environment)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
