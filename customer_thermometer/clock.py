"""The time the connector reads and the waits it makes, in one place, so that tests pin the one
and record the other."""

import time
from datetime import datetime, timezone


def utc_now():
    """Return the current time in UTC; tests replace this to pin the clock."""
    return datetime.now(timezone.utc)


def sleep(seconds):
    """Wait between retries; tests replace this to assert the waits without waiting."""
    time.sleep(seconds)


def monotonic():
    """Return seconds on a clock that only moves forward; tests replace this to pin it."""
    return time.monotonic()
