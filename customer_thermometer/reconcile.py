"""The reconcile horizon: each sync reads the days from its cursor less `reconcile_days` again,
keeps the primary keys of each day it proved (keystore), and deletes (op.delete) a row an
earlier sync delivered for a day only where that sync and this one both proved the day whole
and this one no longer finds it: never a row that still exists."""

from datetime import timedelta

from fivetran_connector_sdk import Logging as log

from .errors import ApiError, UnexpectedBodyError, UnreachableError
from .keystore import KeyStore, encoded_day, key_values, read_keys, response_index
from .output import count_of, delete_row, say
from .specs import DATE_FIELDS
from .windows import fetch_count, fetch_window, keys_floor, new_window

KEY_STORE_BYTES = 1_000_000  # of one table's saved keys: past it, the horizon shrinks


DAY_ENTRY_BYTES = 16  # of a day's entry in the saved JSON besides its keys (its date, quotes)


def keys_from(context, cursor):
    """Return the first day whose keys a dated table's walk collects: the saved cursor less
    reconcile_days (the next cursor is never earlier), or None on a first sync (then the newest
    day answered less reconcile_days, see windows.keys_floor())."""
    if cursor is None:
        return None
    return cursor - timedelta(days=context.settings["reconcile_days"])


def reconcile(context, table, kept, proven):
    """Delete what the API no longer answers for the days of a table's horizon; set
    walk.key_store to the keys the state saves (see keystore.read_keys()).

    A day deletes only when it is proven in this sync (within the days whose keys were
    collected), an earlier sync saved its keys under the same date filter and margin, and the
    day read again alone and counted confirms it (see day_read_whole()). A key saved for it
    that no answer of the day holds now is deleted, unless its response was answered on another
    day of this sync that is not proven (moved, and its new day unread): that key is saved
    again, to be deleted once its new day is proven. A day not confirmed deletes nothing and
    keeps its keys with those found now, and a WARNING names it.

    Args:
        kept: the table's new cursor (None: no state is saved for it).
        proven: the (first, last) days the walk proved whole in this sync, merged.
    """
    walk = context.walk(table)
    walk.ended = True  # its answers are whole where proven: its counts may confirm days
    days = context.settings["reconcile_days"]
    if kept is None or not days:
        return  # nothing proven to save; or the horizon is off (the state drops its keys)
    saved = read_keys(context.start_state, table, context.upper_bound)
    first = kept - timedelta(days=days)
    floor = max(first, keys_floor(context, walk))  # kept: a cursor, or a day answered
    proven_days = days_within(proven, floor, context.upper_bound)
    if saved is not None and (saved.field, saved.margin) != (walk.field, walk.margin):
        set_aside(context, table, saved, proven_days)
        saved = None  # read under another filter or margin: its days meant other records
    store = KeyStore(walk.field, walk.margin, {})
    if saved is not None:  # a day not proven now keeps what its last proven reading held
        store.days.update(
            (day, keys)
            for day, keys in saved.days.items()
            if day >= first and day not in proven_days
        )
    deleted, unconfirmed = [], []
    for day in sorted(proven_days):
        keys = reconciled_day(context, table, day, saved, proven_days, deleted, unconfirmed)
        if keys:
            store.days[day] = keys
    walk.key_store = bounded(context, table, store, first, kept)
    if unconfirmed:
        say(
            context,
            log.warning,
            f"{table}: {count_of(len(unconfirmed), 'day')} of the reconcile horizon "
            f"({', '.join(map(str, unconfirmed[:5]))}{', ...' if len(unconfirmed) > 5 else ''}) "
            f"no longer answered rows an earlier sync delivered, but no count confirmed that "
            f"their answers were whole: nothing is marked deleted, and the next syncs check "
            f"again",
        )
    if deleted:
        say(
            context,
            log.info,
            f"{table}: {count_of(len(deleted), 'row')} that earlier syncs delivered for "
            f"{min(deleted)}..{max(deleted)} and that the API no longer answers for proven days "
            f"marked deleted",
        )


def set_aside(context, table, saved, proven_days):
    """Warn when keys saved under another date filter or margin than this sync's are no longer
    answered for days proven now: they are not deleted (see reconcile())."""
    walk = context.walk(table)
    gone = sum(len(saved.days.get(day, set()) - walk.seen.get(day, set())) for day in proven_days)
    if gone:
        say(
            context,
            log.warning,
            f"{table}: {count_of(gone, 'row')} an earlier sync delivered for the reconcile "
            f"horizon are no longer answered, but that sync read with other date bounds or "
            f"another date filter ({saved.field}, margin {saved.margin}; now {walk.field}, "
            f"margin {walk.margin}): nothing is marked deleted, and the keys are saved afresh",
        )


def reconciled_day(context, table, day, saved, proven_days, deleted, unconfirmed):
    """Delete the saved keys of a proven day that its answers no longer hold, where the day read
    again alone and counted confirms them (see reconcile()); return the keys the state saves for
    it. Each key deleted adds the day to deleted; a day not confirmed is added to unconfirmed."""
    walk = context.walk(table)
    found = walk.seen.get(day, set())
    gone = missing(saved, day, found)
    whole = day_read_whole(context, day) if gone else None
    if whole is not None and table == "blast_result":
        found = found | whole
        gone = missing(saved, day, found)  # found again alone: still there
    if gone and not confirmed(context, table, day, found, whole):
        unconfirmed.append(day)
        return found | saved.days[day]  # nothing deleted: the next syncs check again
    held = set()
    for key in gone:
        values = key_values(table, key)
        elsewhere = answered_days(table, walk).get(values["response_id"], set())
        if elsewhere and not elsewhere & proven_days:
            held.add(key)  # moved to a day not proven: deleted once that day is
            continue
        delete_row(context, table, values)
        deleted.append(day)
    return found | held


def confirmed(context, table, day, found, whole):
    """Return True when a day's records are known whole (see day_read_whole(); whole is what it
    returned) and, for comments, the responses with a comment among them are as many as the
    comments found (both tables are read by the submission date, without a margin)."""
    walk = context.walk(table)
    if whole is None or walk.margin or walk.field != DATE_FIELDS[0]:
        return False
    return table == "blast_result" or len(context.tally.get(day, ())) == len(found)


def day_read_whole(context, day):
    """Return the keys of blast_result's records of a day when the day, read again alone, is
    proven whole by a second witness, else None; asked once a sync a day.

    A deletion cannot be taken back, so it rests on no proof that a cap by size or a cap that
    varies can fool (a size rule, a wider range): the day's list answer, read again (its rows
    upserted again, the tally of its comments made whole), must be smaller than the largest
    answer of the sync, and getNumResponsesValue of the day must count exactly its records and
    be smaller than that largest answer too (a count computed over a capped list is never; one
    of other records, such as answered responses only, differs), its witness not distrusted.
    Only with the submission date as the filter, and no margin; a request that fails confirms
    nothing (a host gone still stops the sync).
    """
    if day not in context.counted_days:
        walk = context.walk("blast_result")
        whole = None
        if walk.ended and walk.witness.unusable is None and not walk.margin:
            if walk.field == DATE_FIELDS[0]:
                whole = counted_alone(context, walk, day)
        context.counted_days[day] = whole
    return context.counted_days[day]


def counted_alone(context, walk, day):
    """Read a day of blast_result again alone and count it; return its keys where both agree
    below the largest answer of the sync (see day_read_whole()), else None."""
    largest, alone = walk.most, new_window(day, day)
    try:
        answer = fetch_window(context, "blast_result", alone)
        counted = fetch_count(context, "blast_result", alone)
    except UnreachableError:
        raise  # the host is gone: the sync stops (see update())
    except (ApiError, UnexpectedBodyError):  # no answer or no count: it confirms nothing
        return None
    keys = answer.keys_by_day.get(day, set())
    if counted is not None and answer.count == len(keys) == counted < largest:
        return keys
    return None


def days_within(ranges, low, high):
    """Return the set of days of (first, last) ranges from low to high."""
    days = set()
    for first, last in ranges:
        day = max(first, low)
        while day <= min(last, high):
            days.add(day)
            day += timedelta(days=1)
    return days


def missing(saved, day, found):
    """Return, in order, the keys a saved KeyStore holds for a day that found does not."""
    if saved is None:
        return []
    return sorted(saved.days.get(day, set()) - found)


def answered_days(table, walk):
    """Return {response_id: days} of the keys a walk collected (made once, then kept)."""
    if walk.where is not None:
        return walk.where
    start = 8 * response_index(table)  # a packed value takes 8 bytes
    where = walk.where = {}
    for day, keys in walk.seen.items():
        for key in keys:
            response_id = int.from_bytes(key[start : start + 8], "big", signed=True)
            where.setdefault(response_id, set()).add(day)
    return where


def bounded(context, table, store, first, kept):
    """Return a KeyStore as the state saves it, its oldest days dropped until it fits in
    KEY_STORE_BYTES, saying with a WARNING to which days the horizon shrank."""
    texts = {day: encoded_day(table, day, keys) for day, keys in sorted(store.days.items())}
    total = sum(len(text) + DAY_ENTRY_BYTES for text in texts.values())
    size = total
    while size > KEY_STORE_BYTES:
        day = min(texts)
        size -= len(texts.pop(day)) + DAY_ENTRY_BYTES
    if size < total:
        start = min(texts) if texts else kept + timedelta(days=1)
        say(
            context,
            log.warning,
            f"{table}: the keys of the reconcile horizon ({first}..{kept}) take {total:,} bytes "
            f"of state, more than the {KEY_STORE_BYTES:,} a table keeps: the horizon is "
            f"{start}..{kept} instead ({count_of((kept - start).days + 1, 'day')}); a response "
            f"deleted from an earlier day stays in the warehouse (lower reconcile_days to stop "
            f"this warning)",
        )
    return {
        "field": store.field,
        "margin": store.margin,
        "days": {day.isoformat(): text for day, text in texts.items()},
    }
