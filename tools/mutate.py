"""`make mutate [MODULE=name]`: the mutants of one module, or of each in turn, against that
module's own unit tests (`tests/test_<module>.py`), with its score and time.

Each module runs in a folder of its own, `files/mutation/<module>/`: a copy of the project whose
`pyproject.toml` tells mutmut to mutate that module only and to judge its mutants by its test
module only. So a module's score says what its own tests catch, not what a sync through every
module happens to catch, and one module's run is minutes, not hours. The folder is made afresh
at each run: mutmut's cache re-tests only the functions whose code changed, so a score kept
from an earlier run would not see tests that changed since.

Prints, per module, the outcome counts, the score (killed, timed out or caught by a type check,
over all mutants that ran) against the target of 90%, and the survivors, one name a line (`cd
files/mutation/<module> && mutmut show NAME` shows each); then a table of every module run.
Exits 1 when a module is under the target. A line whose mutants cannot change behaviour is marked
in the code with `# pragma: no mutate (the reason)`: mutmut makes no mutant of it, and the table
counts the lines marked.
"""

import collections
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parent.parent
PACKAGE = "customer_thermometer"
WORK = REPOSITORY / "files" / "mutation"
KILLED = {"killed", "timeout", "caught by type check", "segfault"}
TARGET = 0.90
# A test past this many seconds has hung (see WALL_LIMIT_SECONDS in tests/conftest.py): the
# slowest unit test takes 4 s on this machine.
WALL_LIMIT_SECONDS = 20
# What a module's tests import besides the module: the project, the test support, the stand-in.
COPIED = ["connector.py", PACKAGE, "tests", "tools"]
SETTINGS = """[tool.mutmut]
source_paths = ["connector.py", "{package}"]
only_mutate = ["{path}"]
also_copy = ["tools"]
pytest_add_cli_args_test_selection = ["tests/{tests}"]
pytest_add_cli_args = ["-q", "-p", "no:cacheprovider"]
"""


def modules():
    """Return every module that has mutants to judge: connector and the package's modules."""
    names = sorted(path.stem for path in (REPOSITORY / PACKAGE).glob("*.py"))
    return ["connector"] + [name for name in names if name != "__init__"]


def source_path(module):
    """Return the path, in the project, of a module's source."""
    return "connector.py" if module == "connector" else f"{PACKAGE}/{module}.py"


def prepare(module):
    """Copy the project into a new folder of the module (an earlier run's removed) and write
    the settings that confine mutmut to the module and its tests; return the folder."""
    folder = WORK / module
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    for name in COPIED:
        source, target = REPOSITORY / name, folder / name
        if source.is_dir():
            shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, target)
    tests = f"test_{module}.py"
    settings = SETTINGS.format(package=PACKAGE, path=source_path(module), tests=tests)
    (folder / "pyproject.toml").write_text(settings)
    return folder


def outcomes_in(folder):
    """Return {mutant name: outcome} of the module's last run."""
    listed = subprocess.run(
        [sys.executable, "-m", "mutmut", "results", "--all", "true"],
        cwd=folder,
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    outcomes = {}
    for line in listed.splitlines():
        name, _, outcome = line.strip().rpartition(": ")
        if name:
            outcomes[name] = outcome
    return outcomes


def run_module(module, children):
    """Run one module's mutants; print its counts and survivors; return (mutants that ran,
    killed, seconds), or None when nothing judged them (no test module, or mutmut failed)."""
    if not (REPOSITORY / "tests" / f"test_{module}.py").exists():
        print(f"{module}: no tests/test_{module}.py to judge its mutants")
        return None
    folder = prepare(module)
    started = time.monotonic()
    run = subprocess.run(
        [sys.executable, "-m", "mutmut", "run", "--max-children", str(children)],
        cwd=folder,
        env=dict(os.environ, TEST_WALL_LIMIT_SECONDS=str(WALL_LIMIT_SECONDS)),
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.monotonic() - started
    if run.returncode != 0:  # its tests failed unmutated, say: no mutant was judged
        said = (run.stdout + run.stderr).strip().splitlines()[-15:]
        print(f"{module}: mutmut failed (exit {run.returncode}):\n  " + "\n  ".join(said))
        return None
    outcomes = outcomes_in(folder)
    counts = collections.Counter(outcomes.values())
    ran = sum(count for outcome, count in counts.items() if outcome != "skipped")
    killed = sum(counts[outcome] for outcome in KILLED)
    said = ", ".join(f"{outcome} {count}" for outcome, count in sorted(counts.items()))
    print(f"{module}: {said}")
    for name, outcome in sorted(outcomes.items()):
        if outcome not in KILLED:
            print(f"  {outcome}: {name}")
    return ran, killed, seconds


def row(module, result):
    """Return a module's row of the table, and whether it meets the target."""
    source = (REPOSITORY / source_path(module)).read_text()
    marked = source.count("# pragma: no mutate")
    if "def " not in source:  # mutmut mutates functions only
        return f"| `{module}` | 0 | - | no function to mutate | {marked} | - |", True
    if result is None or not result[0]:
        return f"| `{module}` | ? | - | not judged (see above) | {marked} | - |", False
    ran, killed, seconds = result
    score = killed / ran
    line = f"| `{module}` | {ran} | {killed} | {score:.1%} | {marked} | {seconds / 60:.1f} min |"
    return line, score >= TARGET


def main(arguments):
    """Run the named modules (default: all); print the table; exit 1 if one is under TARGET."""
    wanted = arguments or modules()
    unknown = [name for name in wanted if name not in modules()]
    if unknown:
        print(f"No such module: {', '.join(unknown)}; expected one of {', '.join(modules())}")
        return 2
    table, short, total = [], [], 0.0
    for module in wanted:
        has_code = "def " in (REPOSITORY / source_path(module)).read_text()
        result = run_module(module, children=2) if has_code else None
        line, met = row(module, result)
        table.append(line)
        total += result[2] if result else 0.0
        if not met:
            short.append(module)
    print("\n| module | mutants | killed | score | lines marked | time |")
    print("|---|---|---|---|---|---|")
    print("\n".join(table))
    print(f"{len(wanted)} modules in {total / 60:.1f} min")
    print(f"target {TARGET:.0%}: " + (f"not met by {', '.join(short)}" if short else "all met"))
    return 1 if short else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
