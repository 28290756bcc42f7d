"""The state the reconcile horizon keeps: the bytes of each dated table's saved keys (as JSON)
for an account of the stand-in, per 1,000 responses and for a horizon of 30 and 365 days.

Usage: `python -m tools.key_store_size [--responses N] [--days D]` (default: 100,000 responses
over 365 days, a year).
"""

import argparse
import json
from datetime import timedelta

from customer_thermometer.answers import key_packer
from customer_thermometer.keystore import encoded_day
from tools.fake_api import FakeCustomerThermometer

HORIZONS = (30, 365)


def saved_bytes(api, table, horizon):
    """Return (responses, bytes of JSON) of a table's keys for the days of a horizon."""
    pack = key_packer(table)
    first = api.today - timedelta(days=horizon)
    days = {}
    for row in api.truth(table):
        if row["date_submitted"].date() >= first:
            days.setdefault(row["date_submitted"].date(), set()).add(pack(row))
    texts = {day.isoformat(): encoded_day(table, day, keys) for day, keys in sorted(days.items())}
    saved = {"field": "date_submitted", "margin": 0, "days": texts}
    return sum(map(len, days.values())), len(json.dumps({f"{table}_keys": saved}))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--responses", type=int, default=100000)
    parser.add_argument("--days", type=int, default=365)
    args = parser.parse_args(argv)
    api = FakeCustomerThermometer(responses=args.responses, days=args.days, seed=1)
    for horizon in HORIZONS:
        total = 0
        for table in ("blast_result", "comment"):
            rows, size = saved_bytes(api, table, horizon)
            total += size
            print(
                f"{horizon} days, {table}: {rows:,} rows, {size:,} bytes "
                f"({1000 * size / max(rows, 1):,.0f} bytes per 1,000)"
            )
        print(f"{horizon} days, both tables: {total:,} bytes")


if __name__ == "__main__":
    main()
