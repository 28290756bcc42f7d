"""The state a sync reads and saves: each dated table's cursor, the history of days still to
read, and the date filter the answers showed, every saved value validated before any request."""

import json
from datetime import date, datetime, timedelta

from .dates import DATE_LAYOUTS
from .keystore import read_keys
from .masking import cited
from .specs import (
    DATE_FIELDS,
    DATED_TABLES,
    EARLIEST_DATE,
    LIMIT_FORMS,
    MAX_HISTORY_RANGES,
    MAX_LOOKBACK_DAYS,
    MAX_UNPROVEN_TRIES,
    RECORD_LIMIT,
    TABLE_SPECS,
)

STATE_SUFFIXES = (
    "_cursor",
    "_last_sync",
    "_history",
    "_date_field",
    "_lag_days",
    "_largest_answer",
    "_unproven",
    "_limit",
    "_date_layout",
    "_keys",
)


UNKNOWN_STATE_BYTES = 1024  # of the keys the connector does not know, carried forward in all


def bounded_state(state):
    """Return (the state, the keys dropped from it): the keys the connector knows (a dated
    table's name and one of STATE_SUFFIXES; a history of more than MAX_HISTORY_RANGES ranges
    merged to that many, which only widens what is read), and as many others, in name order, as
    fit in UNKNOWN_STATE_BYTES of JSON. The runner logs the whole state at every checkpoint: a
    large value no sync reads would be saved, and printed, again and again.

    The state must have passed validate_state().
    """
    known = {table + suffix for table in DATED_TABLES for suffix in STATE_SUFFIXES}
    bounded, dropped, room = {}, [], UNKNOWN_STATE_BYTES
    for table in DATED_TABLES:
        history = read_history(state, table)
        if len(history) > MAX_HISTORY_RANGES:
            bounded[f"{table}_history"] = saved_ranges(history)
        unproven = read_unproven(state, table)
        if len(unproven) > MAX_HISTORY_RANGES:
            bounded[f"{table}_unproven"] = saved_ranges(unproven)
    for key in sorted(state):
        if key in known:
            bounded.setdefault(key, state[key])
            continue
        size = len(json.dumps({key: state[key]}, default=str))
        if size <= room:
            bounded[key] = state[key]
            room -= size
        else:
            dropped.append(key)
    return bounded, dropped


def read_cursor(state, table):
    """Return a table's saved cursor date, reading the earlier example's key too, or None.

    A cursor is `YYYY-MM-DD`, or an ISO timestamp (the earlier example's), whose date is taken.

    Raises:
        ValueError: a saved value that is neither.
    """
    for key in (f"{table}_cursor", f"{table}_last_sync"):
        value = state.get(key)
        if value:
            text = str(value)
            try:
                if len(text) > 10:  # a whole timestamp (Python 3.10 reads no Z)
                    datetime.fromisoformat(text.replace("Z", "+00:00"))
                return date.fromisoformat(text[:10])
            except ValueError:
                raise ValueError(
                    f"State '{key}' is {cited(value)}: expected a date (YYYY-MM-DD) or an ISO "
                    f"timestamp."
                ) from None
    return None


def read_history(state, table):
    """Return the ranges of days a table's history still has to read, as (first, last) dates,
    oldest first ([] when the history was read whole, or by a state that never saved any).

    Raises:
        ValueError: a saved value that is not a list of [first, last] days, first <= last.
    """
    value = state.get(f"{table}_history")
    if value is None:
        return []
    ranges = []
    try:
        for first, last in value:
            first, last = date.fromisoformat(first), date.fromisoformat(last)
            if first > last:
                raise ValueError
            ranges.append((first, last))
    except (TypeError, ValueError):
        raise ValueError(
            f"State '{table}_history' is {cited(value)}: expected a list of [first, last] days "
            f"(YYYY-MM-DD) still to read, each first no later than its last."
        ) from None
    return sorted(ranges)


def read_unproven(state, table):
    """Return the windows a table's earlier syncs read and could not prove complete, as
    (first, last, tries): the days, and how many syncs in a row read them without a proof;
    oldest first ([] when none).

    Raises:
        ValueError: a saved value that is not a list of [first, last, tries], first <= last,
            tries a whole number from 1 to MAX_UNPROVEN_TRIES.
    """
    value = state.get(f"{table}_unproven")
    if value is None:
        return []
    ranges = []
    try:
        for first, last, tries in value:
            first, last = date.fromisoformat(first), date.fromisoformat(last)
            if first > last or type(tries) is not int or not 1 <= tries <= MAX_UNPROVEN_TRIES:
                raise ValueError
            ranges.append((first, last, tries))
    except (TypeError, ValueError):
        raise ValueError(
            f"State '{table}_unproven' is {cited(value)}: expected a list of [first, last, "
            f"tries]: days (YYYY-MM-DD) read again as not proven, each first no later than its "
            f"last, and the syncs that tried them, from 1 to {MAX_UNPROVEN_TRIES}."
        ) from None
    return sorted(ranges)


def saved_ranges(ranges):
    """Return (first, last) ranges, or (first, last, tries), as the state saves them: merged,
    at most MAX_HISTORY_RANGES, days as YYYY-MM-DD."""
    return [
        [first.isoformat(), last.isoformat(), *tries]
        for first, last, *tries in merged_ranges(ranges, MAX_HISTORY_RANGES)
    ]


def validate_state(state, today):
    """Check the saved state of the dated tables before any request.

    Raises:
        ValueError: naming the state key: a cursor that is not a date, lies after tomorrow or
            before EARLIEST_DATE (from_date's earliest: reading from there would skip
            responses or walk back through decades), history ranges that are not days within
            those bounds, or a saved date filter, `limit` or datetime layout that is not one the
            connector knows.
    """
    tomorrow = today + timedelta(days=1)  # a cursor is the newest day the answers held
    for table in DATED_TABLES:
        cursor = read_cursor(state, table)
        if cursor is not None and not EARLIEST_DATE <= cursor <= tomorrow:
            key = f"{table}_cursor" if state.get(f"{table}_cursor") else f"{table}_last_sync"
            raise ValueError(out_of_bounds(key, state[key], "which is", tomorrow))
        for key, ranges in (
            (f"{table}_history", read_history(state, table)),
            (f"{table}_unproven", read_unproven(state, table)),
        ):
            # Oldest first: the first starts first; any of them may end last.
            if (
                ranges
                and not EARLIEST_DATE <= ranges[0][0] <= max(r[1] for r in ranges) <= tomorrow
            ):
                raise ValueError(out_of_bounds(key, state[key], "whose days are", tomorrow))
        read_date_filter(state, table)
        read_largest_answer(state, table)
        read_limit(state, table)
        read_keys(state, table, tomorrow)
    read_date_layout(state)


def out_of_bounds(key, value, what, tomorrow):
    """Return the error of a saved date outside the days a sync reads, and how to start over."""
    return (
        f"State '{key}' is {cited(value)}, {what} not between {EARLIEST_DATE} and tomorrow "
        f"({tomorrow}), the days a sync reads. To start the table over, re-sync it (in "
        f"Fivetran, or `fivetran reset` locally): it is read again from 'from_date'."
    )


def read_largest_answer(state, table):
    """Return the largest answer an earlier version saved for a table (or None); it proves
    nothing now (the state drops it), but a value no sync could have seen is a state error.

    Raises:
        ValueError: a saved value that is not a whole number from 0 to the `limit` sent.
    """
    value = state.get(f"{table}_largest_answer")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= RECORD_LIMIT:
        raise ValueError(
            f"State '{table}_largest_answer' is {cited(value)}: expected a whole number from 0 "
            f"to {RECORD_LIMIT:,} (the most records an answer holds), as an earlier version "
            f"saved it. Re-sync the table (in Fivetran, or `fivetran reset` locally)."
        )
    return value


def read_date_filter(state, table):
    """Return (field, lag days) of a table's date filter as an earlier sync saw it.

    Raises:
        ValueError: a saved field or lag the connector never saves.
    """
    field = state.get(f"{table}_date_field", DATE_FIELDS[0])
    lag = state.get(f"{table}_lag_days", 0)
    if field not in DATE_FIELDS:
        raise ValueError(
            f"State '{table}_date_field' is {cited(field)}: expected one of "
            f"{', '.join(DATE_FIELDS)}."
        )
    if isinstance(lag, bool) or not isinstance(lag, int) or not 0 <= lag <= MAX_LOOKBACK_DAYS:
        raise ValueError(
            f"State '{table}_lag_days' is {cited(lag)}: expected a whole number of days from 0 "
            f"to {MAX_LOOKBACK_DAYS}."
        )
    return field, lag


def read_date_layout(state):
    """Return the layout of the API's datetimes an earlier sync's answers proved (one of
    DATE_LAYOUTS, saved under each dated table), or None.

    Raises:
        ValueError: a saved value that is not one of those, or two that differ.
    """
    layouts = set()
    for table in DATED_TABLES:
        value = state.get(f"{table}_date_layout")
        if value is not None and value not in DATE_LAYOUTS:
            raise ValueError(
                f"State '{table}_date_layout' is {cited(value)}: expected one of "
                f"{', '.join(DATE_LAYOUTS)} (the layout the API's datetimes were proven in)."
            )
        layouts.add(value)
    layouts.discard(None)
    if len(layouts) > 1:
        raise ValueError(
            f"State '{DATED_TABLES[0]}_date_layout' and '{DATED_TABLES[1]}_date_layout' differ "
            f"({' and '.join(sorted(layouts))}): the API writes its datetimes one way. Remove "
            f"the wrong one, or both to have the answers prove it again."
        )
    return layouts.pop() if layouts else None


NO_LIMIT = "none"  # how the state saves the form of LIMIT_FORMS that sends no `limit`


def read_limit(state, table):
    """Return the `limit` an earlier sync found the API answers a table's lists with (one of
    LIMIT_FORMS; None: none), or the first form when none was saved.

    Raises:
        ValueError: a saved value that is not one of those forms.
    """
    value = state.get(f"{table}_limit")
    if value is None:
        return LIMIT_FORMS[0]
    forms = {NO_LIMIT if form is None else form: form for form in LIMIT_FORMS}
    if isinstance(value, bool) or not isinstance(value, (int, str)) or value not in forms:
        raise ValueError(
            f"State '{table}_limit' is {cited(value)}: expected one of "
            f"{', '.join(map(str, forms))} (the `limit` the API answered lists with)."
        )
    return forms[value]


def merged_ranges(ranges, most=None):
    """Return day ranges merged where they touch or overlap, oldest first; with most, the
    nearest ones are merged too until at most that many are left (a range to read is only ever
    widened). A range may carry tries after its days, (first, last, tries): a merged one has the
    most of its parts' (so that no day is tried more often than the bound)."""
    merged = []
    for item in sorted(ranges):
        if merged and item[0] <= merged[-1][1] + timedelta(days=1):
            merged[-1] = joined(merged[-1], item)
        else:
            merged.append(tuple(item))
    while most is not None and len(merged) > most:
        gaps = [(merged[n + 1][0] - merged[n][1], n) for n in range(len(merged) - 1)]
        _, n = min(gaps)
        merged[n : n + 2] = [joined(merged[n], merged[n + 1])]
    return merged


def joined(older, newer):
    """Return one range over two, older starting first: its days, and the most of their tries."""
    return (older[0], max(older[1], newer[1]), *map(max, older[2:], newer[2:]))


def without(ranges, low, high):
    """Return the parts of day ranges outside low..high."""
    one = timedelta(days=1)
    parts = []
    for first, last in ranges:
        if first < low:
            parts.append((first, min(last, low - one)))
        if last > high:
            parts.append((max(first, high + one), last))
    return parts


def day_total(ranges):
    """Return how many days a list of merged ranges covers."""
    return sum((last - first).days + 1 for first, last in ranges)


def describe_ranges(ranges):
    """Return day ranges for a log line, newest first."""
    return ", ".join(f"{first}..{last}" for first, last in reversed(ranges))


def advanced_state(state, context):
    """Return the state to save: each dated table's cursor, the history it still has to read and
    the windows it read but could not prove (read again, see walk.unproven_to_save()), as far
    as its walk proved (a failed table's too), its date filter when the answers showed it
    follows another date than date_submitted, the `limit` its lists were answered with when
    it is not the first form tried, the layout its datetimes were proven in (DateReader), and
    the keys of the days of its reconcile horizon it proved (see reconcile(); a failed table's
    saved keys stand, and none are kept once reconcile_days is 0).

    A cursor replaces the earlier example's `<table>_last_sync` key, and drops the saved largest
    answer an earlier version kept (a cap can change: it proves nothing); other keys are kept
    (the state given is bounded_state()'s).
    """
    new_state = dict(state)
    for table in DATED_TABLES:
        walk = context.walks.get(table)
        with_conventions(new_state, context, table)
        if walk is None or walk.progress is None or walk.progress[0] is None:
            continue  # not read, or nothing proven: the saved state stands
        cursor, left, unproven = walk.progress
        new_state[f"{table}_cursor"] = cursor.isoformat()
        if left:
            new_state[f"{table}_history"] = saved_ranges(left)
        else:
            new_state.pop(f"{table}_history", None)
        if unproven:
            new_state[f"{table}_unproven"] = saved_ranges(unproven)
        else:
            new_state.pop(f"{table}_unproven", None)
        new_state.pop(f"{table}_last_sync", None)
        new_state.pop(f"{table}_largest_answer", None)  # an earlier version's: proves nothing
        if walk.field != DATE_FIELDS[0]:
            new_state[f"{table}_date_field"] = walk.field
            new_state[f"{table}_lag_days"] = min(walk.lag_days, MAX_LOOKBACK_DAYS)
    return with_days_to_join(new_state, context)


def with_conventions(state, context, table):
    """Save in state what a table's answers taught of the API: the `limit` its lists were
    answered with (none when the first form), the layout of its datetimes, and the keys of its
    reconcile horizon (none once reconcile_days is 0; a failed table's saved ones stand)."""
    walk = context.walks.get(table)
    if walk is not None and walk.limit_answered:  # the form the API answered a list in
        if walk.limit == LIMIT_FORMS[0]:
            state.pop(f"{table}_limit", None)
        else:
            state[f"{table}_limit"] = NO_LIMIT if walk.limit is None else walk.limit
    if context.dates.layout is not None:
        state[f"{table}_date_layout"] = context.dates.layout
    if not context.settings["reconcile_days"]:
        state.pop(f"{table}_keys", None)  # the horizon is off: no keys are kept
    elif walk is not None and walk.key_store is not None:
        state[f"{table}_keys"] = walk.key_store


def with_days_to_join(state, context):
    """Return the state with the days a table could not join records of (see
    conventions.joined_or_not()) added to the history of the table it joins them from, which
    then reads them again, so that the next sync joins them. A table never synced reads every
    day anyway."""
    for table in DATED_TABLES:
        walk = context.walks.get(table)
        source = TABLE_SPECS[table].get("tallied_from")
        if walk is None or not walk.deferred or read_cursor(state, source) is None:
            continue
        state[f"{source}_history"] = saved_ranges(read_history(state, source) + walk.deferred)
    return state
