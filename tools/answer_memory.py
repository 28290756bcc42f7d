"""What a sync keeps per record of its largest answer: the memory the connector's own objects take
once one answer of N records was read (the keys its proofs compare, the comments' tally).

Everything else a sync holds is flat: records are parsed as the bytes arrive and let go, and the
SDK holds at most 10,000 rows between checkpoints. But a window's proof compares the records of
an answer with those of its parts, so the keys of an answer stay until its window is proven.

It starts the stand-in in another process (`--answer-all`: `limit` ignored, every record in one
answer), reads that answer with the connector's own fetch_window() under `tracemalloc`, and prints
the memory still held after it and at its peak, in all and per record.

Usage: `python -m tools.answer_memory [--responses N]` (default 100,000).
"""

import argparse
import sys
import tempfile
import tracemalloc
from datetime import date

import connector
from customer_thermometer.context import SyncContext
from customer_thermometer.windows import fetch_window, new_window
from tools.own_cpu import API_KEY, silence_sdk, start_stand_in


def measure(base_url):
    """Read one answer of every record; return (records, bytes kept after, peak bytes)."""
    silence_sdk([])
    settings = connector.validate_configuration({"api_key": API_KEY, "base_url": base_url})
    context = SyncContext(settings, {})
    try:
        tracemalloc.start()
        window = new_window(date(1970, 1, 1), context.upper_bound)
        answer = fetch_window(context, "blast_result", window)
        kept, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        return answer.count, kept, peak
    finally:
        context.close()


def main(argv=None):
    """Measure and print; return 0."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--responses", type=int, default=100_000)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        process, base_url = start_stand_in(folder, args.responses, "--answer-all")
        try:
            records, kept, peak = measure(base_url)
        finally:
            process.terminate()
            process.wait()
    print(
        f"one answer of {records:,} records: {kept / 2**20:.1f} MB kept after it "
        f"({kept / records:.0f} bytes a record), {peak / 2**20:.1f} MB at its peak "
        f"({peak / records:.0f} bytes a record)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
