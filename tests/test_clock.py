"""Unit tests of customer_thermometer/clock.py: the real time and the real waits, which every
other test pins or records instead."""

import time
from datetime import datetime, timedelta, timezone

from customer_thermometer import clock


class TestClock:
    def test_now_is_the_time_in_utc(self):
        now = clock.utc_now()
        assert now.tzinfo is not None and now.utcoffset() == timedelta(0)
        assert abs(now - datetime.now(timezone.utc)) < timedelta(seconds=5)

    def test_a_wait_takes_its_seconds_on_a_clock_that_only_moves_forward(self):
        before, started = clock.monotonic(), time.monotonic()
        clock.sleep(0.05)
        after = clock.monotonic()
        assert abs(before - started) < 1
        assert after - before >= 0.05
