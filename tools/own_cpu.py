"""The connector's own CPU for a whole first sync, paired with another revision's.

`make bench` measures the whole `fivetran` process, whose CPU is mostly the SDK's and moves by
some 20% from run to run here. This runs `update()` of both connectors in one process, turn and
turn about, with the SDK's operations and log lines as no-ops, against one stand-in in another
process (whose CPU is not counted), and prints the CPU time (`time.process_time`) of each run
and the ratio of the least of each: the cost of the connector's own code.

Usage: `python -m tools.own_cpu REVISION [--responses N] [--repeat R]`.
"""

import argparse
import importlib.util
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from fivetran_connector_sdk import Logging, Operations

from tools.harness import PACKAGE, REPOSITORY, git_tree

API_KEY = "own-cpu-key-0123456789"


def load_connector(folder, name):
    """Import the connector.py of folder as a module called name, with its package."""
    sys.path.insert(0, str(folder))
    for module in [m for m in sys.modules if m == PACKAGE or m.startswith(PACKAGE + ".")]:
        del sys.modules[module]  # each tree imports its own package
    spec = importlib.util.spec_from_file_location(name, Path(folder) / "connector.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    sys.path.remove(str(folder))
    return module


def silence_sdk(rows):
    """Make the SDK's operations count rows and do nothing else, and its log lines nothing."""
    Operations.upsert = staticmethod(lambda table, data: rows.append(1))
    Operations.checkpoint = staticmethod(lambda state: None)
    Logging.LOG_LEVEL = Logging.Level.WARNING
    for level in ("debug", "fine", "info", "warning", "error", "severe"):
        setattr(Logging, level, staticmethod(lambda *args, **kwargs: None))


def start_stand_in(folder, responses, *options):
    """Start the stand-in in another process, with more of its options; return (process, base
    URL)."""
    port_file = Path(folder) / "port"
    command = [sys.executable, "-m", "tools.fake_api", "--port", "0", "--port-file"]
    command += [str(port_file), "--responses", str(responses), "--days", "730", "--seed", "42"]
    command += ["--api-key", API_KEY, *options]
    process = subprocess.Popen(
        command, cwd=REPOSITORY, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 120
    while not (port_file.exists() and port_file.read_text().strip()):
        if time.monotonic() > deadline or process.poll() is not None:
            process.kill()
            raise SystemExit("the stand-in did not start")
        time.sleep(0.2)
    return process, f"http://127.0.0.1:{int(port_file.read_text())}/api.php"


def main(argv=None):
    """Run both connectors turn and turn about; print each run and the ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("revision", help="the git revision to compare this tree with")
    parser.add_argument("--responses", type=int, default=100000)
    parser.add_argument("--repeat", type=int, default=4)
    args = parser.parse_args(argv)
    rows = []
    silence_sdk(rows)
    with tempfile.TemporaryDirectory(prefix="ct-own-cpu-") as folder:
        before = load_connector(git_tree(args.revision, Path(folder) / "tree"), "before")
        this = load_connector(REPOSITORY, "this")
        process, base_url = start_stand_in(folder, args.responses)
        configuration = {"api_key": API_KEY, "base_url": base_url}
        times = {args.revision: [], "this": []}
        try:
            for index in range(args.repeat):
                pair = [(args.revision, before), ("this", this)]
                for name, module in pair if index % 2 == 0 else reversed(pair):
                    rows.clear()
                    started = time.process_time()
                    module.update(configuration=configuration, state={})
                    times[name].append(time.process_time() - started)
                    print(f"{name}: {times[name][-1]:.2f} s CPU, {len(rows)} rows", flush=True)
        finally:
            process.terminate()
    least = {name: min(values) for name, values in times.items()}
    print(
        f"least CPU: this {least['this']:.2f} s, {args.revision} {least[args.revision]:.2f} s: "
        f"{least['this'] / least[args.revision] - 1:+.1%}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
