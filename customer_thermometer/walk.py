"""A table read whole: a dated table's windows walked newest first within the request budget,
the days left saved as history and the cursor moved only as far as proven; a table without a
cursor read in one answer."""

import functools
from datetime import date, timedelta

from fivetran_connector_sdk import Logging as log

from .answers import Answer, fetch_list
from .cursors import day_total, describe_ranges, merged_ranges, without
from .dates import DAY_FIRST, MONTH_FIRST
from .errors import ApiError
from .output import count_of, say
from .proofs import check_group, defer_check, read_window
from .reconcile import keys_from, reconcile
from .reports import log_shape_report, log_table_summary
from .specs import DATE_FIELDS, MAX_HISTORY_RANGES, MAX_UNPROVEN_TRIES
from .windows import (
    GroupCheck,
    Window,
    child_delivered,
    log_unproven,
    new_window,
    warn_unproven,
)

RECENT_DAYS = 7  # a first sync that may stop on its budget reads these days first


PROBE_SPAN_FACTOR = 4  # an incremental window is proven by one as many times longer before it


def first_window(context, table, cursor):
    """Return the window a dated table's sync starts with.

    Without a cursor it starts at from_date; otherwise at the cursor minus lookback_days or
    reconcile_days, the more (and minus the longest a response came after its send, when the
    filter follows sends), with a wider range to prove it by (see probe_proves()).
    """
    walk = context.walk(table)
    from_date = context.settings["from_date"]
    if cursor is None:
        return new_window(from_date, context.upper_bound)
    settings = context.settings
    back = max(settings["lookback_days"], settings["reconcile_days"]) + (
        walk.lag_days if walk.field != "date_submitted" else 0
    )
    start = max(from_date, cursor - timedelta(days=back))
    span = (context.upper_bound - start).days + 1
    probe = max(from_date, start - timedelta(days=PROBE_SPAN_FACTOR * span))
    return new_window(start, context.upper_bound, probe=probe if probe < start else None)


def start_windows(context, table, cursor, history):
    """Return the windows a dated table's sync starts with, the first to read last.

    Recent days come first: the window from the cursor (see first_window()), or on a first sync
    the whole range from from_date, whose answer holds the newest records and whose parts are
    read newest first; then the ranges the history still has to read, newest first (within
    from_date: a later from_date drops what lies before it).
    """
    if cursor is None:
        return [first_window(context, table, None)]  # every day: the history is in it
    from_date = context.settings["from_date"]
    windows = [
        new_window(max(first, from_date), last) for first, last in history if last >= from_date
    ]
    return windows + [first_window(context, table, cursor)]


def item_days(walk, item):
    """Return the (first, last) own days of a window or of the day a GroupCheck checks."""
    if isinstance(item, GroupCheck):
        item = walk.groups[item.group]["window"]
    return item.start, item.end


def reordered(context, walk, pending, starts):
    """Return what a walk still has to read, reordered once half its requests are made.

    Until then the windows are read in the order that proves them with the fewest requests.
    From then on, history not begun yet is read first, so that a sync whose recent days take
    every request still moves its history on; and where there is none (a first sync), the
    newest days are read first, the last week on its own, so that a sync that stops on its
    budget holds them whatever end a cut answer keeps (a day's windows and their check keep
    their order).
    """
    waiting = [item for item in pending if item in starts[:-1]]
    if waiting:
        return [item for item in pending if item not in waiting] + waiting
    pending = sorted(pending, key=lambda item: item_days(walk, item)[1])  # the last read first
    week = context.today - timedelta(days=RECENT_DAYS - 1)  # today's and the 6 days before
    newest = pending[-1] if pending else None
    if isinstance(newest, Window) and newest.group is None and newest.start < week <= newest.end:
        split_at = functools.partial(child_delivered, walk, newest, Answer(walk.field))
        older = new_window(newest.start, week - timedelta(days=1), split_at(newest.start, week))
        recent = new_window(week, newest.end, split_at(week, newest.end))
        pending[-1:] = [older, recent]
    return pending


def still_to_read(left, cursor, kept, history, recent_start):
    """Return the ranges of days a walk that stopped leaves to the next syncs, oldest first.

    Days from the new cursor on are dropped (the next sync's window starts at or before it),
    and so are the days of this sync's window before the saved cursor that its history did not
    hold: an earlier sync proved those (they were read again for late responses only, which
    is what the next window's lookback does too). The saved cursor's own day is not one of
    them: the sync that saved it may have stopped before proving it (and so dropped it, as
    this one drops its own), leaving it to this one.
    """
    left = without(left, kept, date.max)
    if cursor is not None:
        proven = [(recent_start, cursor - timedelta(days=1))]
        for first, last in history:
            proven = without(proven, first, last)
        for first, last in proven:
            left = without(left, first, last)
    return merged_ranges(left, MAX_HISTORY_RANGES)


def made_progress(context, cursor, kept, starts, left):
    """Return True when a walk that stopped with days still to read proved some day that was
    not proven before it: what is still to read (the days left, and those from the new cursor
    on) is less than what was (the history, and the days from the saved cursor on; all on a
    first sync)."""
    if kept is None:
        return False  # no answer held a record: nothing would be saved
    upper = context.upper_bound
    if cursor is None:
        before = [(starts[0].start, starts[0].end)]
    else:
        before = [(window.start, window.end) for window in starts[:-1]]
        before += [(cursor, upper)]  # the saved cursor's day was left to this sync too
    after = left + [(kept, upper)]  # the new cursor's day is left to the next sync
    return day_total(merged_ranges(after)) < day_total(merged_ranges(before))


def new_cursor(context, walk, cursor):
    """Return a dated table's cursor after its walk: the newest day its answers held (as the
    API dates it), never earlier than the saved cursor nor later than tomorrow; None when no
    answer ever held a record and none was saved."""
    days = [day for day in (cursor, walk.newest) if day is not None]
    return min(max(days), context.upper_bound) if days else None


def doubts_to_read(context, table):
    """Return the windows held back in doubt to read again once the layout is known (those no
    window read since covered: see not_read_since()), leaving none held back; otherwise []."""
    walk = context.walk(table)
    if not walk.doubted or context.dates.layout is None:
        return []
    again, walk.doubted = not_read_since(walk), []
    return again


def not_read_since(walk):
    """Return the windows held back in doubt (see doubted()) whose days no window read once the
    layout was known covered: those are read again."""
    read = merged_ranges(walk.decided_days)
    return [
        window
        for window, _ in walk.doubted
        if not any(first <= window.start and window.end <= last for first, last in read)
    ]


def doubted(context, table, kept):
    """Warn of each window whose records were held back because their dates read as a day and
    month either way (see DateReader), and return the cursor kept before the first of them, so
    that the next syncs read them again until an answer tells the two layouts apart."""
    walk = context.walk(table)
    for window, records in walk.doubted:
        warn_unproven(
            context,
            table,
            window,
            f"the dates of {count_of(records, 'record')} read as {DAY_FIRST} and as "
            f"{MONTH_FIRST} alike (day and month both 12 or less), and no answer has told the "
            f"two apart yet: held back, not landed",
        )
    if kept is None or not walk.doubted:
        return kept
    return min(kept, min(window.start for window, _ in walk.doubted))


def unproven_to_save(walk, earlier, left, kept, failed=None):
    """Return the (first, last, tries) windows a walk leaves to be read again, and set
    walk.given_up to those tried by MAX_UNPROVEN_TRIES syncs in a row.

    A window not proven in this sync is read again by the next, its tries one more than those
    of the earlier windows it overlaps; days from the new cursor on are not (the next sync's
    first window reads them). An earlier window not read in this sync (the budget) keeps its
    tries for the days still to read; one whose read failed the table counts one try more.

    Args:
        earlier: the (first, last, tries) windows the saved state left to read again.
        left: the (first, last) days the walk leaves still to read.
        kept: the new cursor (None: none).
        failed: the (first, last) days being read when the walk failed (None: it did not).
    """
    this = merged_ranges(walk.unproven_days)
    if kept is not None:
        this = without(this, kept, date.max)
    saved = []
    for first, last in this:
        tried = [tries for low, high, tries in earlier if low <= last and first <= high]
        saved.append((first, last, 1 + max(tried, default=0)))
    for low, high, tries in earlier:
        more = failed is not None and low <= failed[1] and failed[0] <= high
        for first, last in left:
            if max(low, first) <= min(high, last):
                saved.append((max(low, first), min(high, last), tries + more))
    walk.given_up = [(first, last) for first, last, tries in saved if tries >= MAX_UNPROVEN_TRIES]
    return [item for item in saved if item[2] < MAX_UNPROVEN_TRIES]


def sync_windowed_table(context, table, cursor, history=(), unproven=()):
    """Sync a dated list table by windows until the answers prove nothing is missing.

    Each answer that may have been cut (see TableWalk) is replaced by windows proven on their
    own; records upserted already in this sync are not upserted again. A window that cannot be
    proven is a warning, counted in the table's summary. Recent days are read first, then the
    history still to read (see start_windows()); a walk that stops on the table's request budget
    or on an error keeps what it proved in walk.progress: the cursor, and the ranges of days
    still to read, which the next sync reads.

    Args:
        context: the SyncContext.
        table: `comment` or `blast_result`.
        cursor: the table's saved cursor date, or None.
        history: the (first, last) days its history still has to read, oldest first.
        unproven: the (first, last, tries) windows earlier syncs read and could not prove,
            read again with the history (see unproven_to_save()).
    Returns:
        The table's new cursor (see new_cursor()), as YYYY-MM-DD, or None.
    Raises:
        ApiError: besides read_window()'s errors, a sync that reached the request budget
            without reading any day of what it had to read.
    """
    walk = context.walk(table)
    walk.keys_from = keys_from(context, cursor)
    earlier = list(unproven)
    history = merged_ranges(list(history) + [(first, last) for first, last, _ in earlier])
    starts = start_windows(context, table, cursor, history)
    pending = list(starts)
    current = None  # the days of the item being read: still to read if reading it fails
    budget = half = context.max_windows_per_table
    half //= 2
    try:
        while pending and walk.requests < budget:
            if walk.requests >= half:
                half = budget  # once
                pending = reordered(context, walk, pending, starts)
            item = pending.pop()
            current = item_days(walk, item)
            read_item(context, table, item, pending)
            current = None
            if not pending:
                pending = doubts_to_read(context, table)
            if walk.restart:
                restart(context, walk)
                starts = start_windows(context, table, cursor, history)
                pending = list(starts)
    finally:
        unread = [item_days(walk, item) for item in pending] + ([current] if current else [])
        left = unread
        kept = doubted(context, table, new_cursor(context, walk, cursor))
        if kept is not None:
            left = still_to_read(left, cursor, kept, history, starts[-1].start)
        unjoined = without(walk.deferred, kept, date.max) if kept is not None else []
        if walk.refuted is not None:
            walk.unproven_days.extend(walk.size_proven)  # a size proves nothing in this sync
        again = (
            unproven_to_save(walk, earlier, left, kept, current) if kept is not None else earlier
        )
        saved = merged_ranges(left + unjoined, MAX_HISTORY_RANGES)  # deferral is no try
        walk.progress = (kept, saved if kept is not None else [], again)
        log_unproven(context, table)
        log_shape_report(context, table)
    to_read = merged_ranges(item_days(walk, item) for item in starts)
    if left and not made_progress(context, cursor, kept, starts, left):
        raise no_progress(walk)
    reconcile(context, table, kept, proven_ranges(context, walk, to_read, unread))
    log_walk_end(context, table, left)
    log_table_summary(context, table, describe_ranges(to_read))
    if table == "blast_result" and not walk.unproven and not left:
        if walk.field == DATE_FIELDS[0]:
            context.tally_days = to_read  # every day proven: a witness of the comments
    return kept.isoformat() if kept is not None else None


def proven_ranges(context, walk, read, unread):
    """Return the (first, last) days a walk that ended proved whole: those it read, less those
    it left unread, could not prove, held back in doubt or could not join; none when its
    answers were proven by their size alone with no count to check them (see
    unchecked_sizes())."""
    if unchecked_sizes(context, walk):
        return []
    doubted = [(window.start, window.end) for window, _ in walk.doubted]
    proven = list(read)
    for first, last in unread + walk.unproven_days + doubted + walk.deferred:
        proven = without(proven, first, last)
    return proven


def unchecked_sizes(context, walk):
    """Return True when a walk's answers were proven by their size alone though no count could
    check any of them (a warning says so), and no other warning covers them."""
    quiet = walk.doubt or context.doubt or walk.refuted is not None
    return bool(walk.witness.unusable and not quiet and walk.largest)


def read_item(context, table, item, pending):
    """Read one item of a walk, a window or a group's check (or put the check off), and add
    to pending what it leaves to read."""
    if isinstance(item, GroupCheck):
        if not defer_check(context.walk(table), item, pending):
            pending.extend(check_group(context, table, item))
    else:
        pending.extend(read_window(context, table, item))


def restart(context, walk):
    """Forget what the answers showed under the date field the walk gave up."""
    walk.restart, walk.groups, walk.unproven, walk.margin = False, {}, [], 0
    walk.newest, walk.unproven_days, walk.size_proven, walk.doubted = None, [], [], []
    walk.decided_days, walk.seen = [], {}
    walk.cut_sizes, walk.most, walk.refuted, walk.cut_bytes = set(), 0, None, None
    context.tally.clear()
    context.submitted = None


def no_progress(walk):
    """Return the error of a walk that proved no day of what it had to read."""
    return ApiError(
        f"{count_of(walk.requests, 'request')} (lists and counts) made and windows still to "
        f"read, and no day of what was left to read was proven: the answers do not let the "
        f"connector finish; the rows read and the days proven are kept, the rest is read "
        f"again next sync"
    )


def log_walk_end(context, table, left):
    """Log what a dated table's walk could not prove, and the days it leaves to the next sync."""
    walk = context.walk(table)
    if walk.refuted is not None and walk.size_proven:
        proven = merged_ranges(walk.size_proven)
        say(
            context,
            log.warning,
            f"{table}: {walk.refuted}, so the API's cap is not one number of records and an "
            f"answer smaller than another proves nothing: "
            f"{count_of(len(walk.size_proven), 'window')} proven by size alone may be missing "
            f"responses, and {'is' if len(walk.size_proven) == 1 else 'are'} read again next sync "
            f"({describe_ranges(proven)})",
        )
    if walk.given_up:
        given_up = merged_ranges(walk.given_up)
        say(
            context,
            log.warning,
            f"{table}: {describe_ranges(given_up)} could not be proven complete in "
            f"{MAX_UNPROVEN_TRIES} syncs in a row, so no sync reads "
            f"{'it' if len(given_up) == 1 else 'them'} again: responses of those days may be "
            f"missing (a re-sync of the table reads them again)",
        )
    if unchecked_sizes(context, walk):
        say(
            context,
            log.warning,
            f"{table}: no count could check {walk.method}'s answers in this sync, so they were "
            f"proven complete by their size alone, which holds for a cap of a fixed number of "
            f"records: if the API's cap changed during the sync, responses may be missing",
        )
    if walk.field != DATE_FIELDS[0]:
        say(
            context,
            log.warning,
            f"{table}: {walk.method} selects by {walk.field} (the send date), so a sync reads "
            f"sends from {walk.lag_days} days before its lookback (the longest a response came "
            f"after its send so far); a response to an older send is not read",
        )
    if left:
        say(
            context,
            log.warning,
            f"{table}: {count_of(walk.requests, 'request')} made, as many as one sync makes for "
            f"a table: {count_of(day_total(left), 'day')} "
            f"{'is' if day_total(left) == 1 else 'are'} still to read ({describe_ranges(left)}); "
            f"the rows read are kept, and the next sync goes on from there, newest days first",
        )


def sync_full_table(context, table):
    """Sync an undated list table whole (it is small: lists, thermometers)."""
    try:
        fetch_list(context, table, {})
    finally:
        log_shape_report(context, table)
    log_table_summary(context, table, "whole list")
