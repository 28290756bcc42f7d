"""The reconcile horizon: each sync reads the days from its cursor less `reconcile_days` again,
keeps the primary keys of each day it proved (keystore), and deletes (op.delete) a row an
earlier sync delivered for a day only where that sync and this one both proved the day whole
and this one no longer finds it: never a row that still exists."""

from datetime import timedelta

from fivetran_connector_sdk import Logging as log

from .client import fetch_value
from .errors import ApiError, UnexpectedBodyError, UnreachableError
from .keystore import KeyStore, encoded_day, key_values, read_keys, response_index
from .output import count_of, delete_row, say
from .specs import DATE_FIELDS, TABLE_SPECS

KEY_STORE_BYTES = 1_000_000  # of one table's saved keys: past it, the horizon shrinks


DAY_ENTRY_BYTES = 16  # of a day's entry in the saved JSON besides its keys (its date, quotes)


def keys_from(context, cursor):
    """Return the first day whose keys a dated table's walk collects: the saved cursor less
    reconcile_days (the next cursor is never earlier), or None on a first sync (then the newest
    day answered less reconcile_days, see collect_keys())."""
    if cursor is None:
        return None
    return cursor - timedelta(days=context.settings["reconcile_days"])


def collect_keys(context, walk, answer):
    """Keep the keys an answer held of each day from the walk's first day to collect on."""
    days = context.settings["reconcile_days"]
    if not days or walk.newest is None:
        return
    floor = walk.keys_from or walk.newest - timedelta(days=days)
    for day, keys in answer.keys_by_day.items():
        if day >= floor:
            if day in walk.seen:
                walk.seen[day] |= keys
            else:
                walk.seen[day] = set(keys)


def reconcile(context, table, kept, proven):
    """Delete what the API no longer answers for the days of a table's horizon; set
    walk.key_store to the keys the state saves (see keystore.read_keys()).

    A day deletes only when it is proven in this sync (within the days whose keys were
    collected), an earlier sync saved its keys under the same date filter and margin, and its
    count confirms it (see counted_whole()). A key saved for it that no answer of the day holds
    now is deleted, unless its response was answered on another day of this sync that is not
    proven (moved, and its new day unread): that key is saved again, to be deleted once its
    new day is proven. A day the count does not confirm deletes nothing and keeps its keys
    with those found now, and a WARNING names it.

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
    if saved is not None and (saved.field, saved.margin) != (walk.field, walk.margin):
        saved = None  # read under another filter or margin: its days meant other records
    first = kept - timedelta(days=days)
    floor = max(first, walk.keys_from or (walk.newest or kept) - timedelta(days=days))
    proven_days = days_within(proven, floor, context.upper_bound)
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


def reconciled_day(context, table, day, saved, proven_days, deleted, unconfirmed):
    """Delete the saved keys of a proven day that its answers no longer hold, where its count
    confirms them (see reconcile()); return the keys the state saves for it. Each key deleted
    adds the day to deleted; a day whose count does not confirm it is added to unconfirmed."""
    walk = context.walk(table)
    found = walk.seen.get(day, set())
    gone = missing(saved, day, found)
    if gone and not counted_whole(context, table, day, found):
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


def counted_whole(context, table, day, found):
    """Return True when a count confirms that a day's answers held every record of it:
    blast_result's count of the day (getNumResponsesValue, asked once a sync) equals the keys
    its answers held, and is smaller than the largest answer of the sync (a count computed over
    a capped list is never smaller than the cap), its witness not distrusted (a count of other
    records, fewer or more, does not agree); for comments, also the tally of the responses with
    a comment blast_result read that day equals the comments found. Only for days of the
    submission date asked without a margin (a count of other days would prove nothing); a
    count that fails confirms nothing."""
    walk = context.walk(table)
    if walk.margin or walk.field != DATE_FIELDS[0] or not responses_counted(context, day):
        return False
    if table == "blast_result":
        return True
    tallied = any(first <= day <= last for first, last in context.tally_days)
    return tallied and len(context.tally.get(day, ())) == len(found)


def responses_counted(context, day):
    """Return True when blast_result's count of a day equals the keys its answers held for it
    and is below its largest answer (see counted_whole()); asked once a sync a day."""
    if day not in context.counted_days:
        walk = context.walk("blast_result")
        whole = False
        if walk.ended and walk.witness.unusable is None and not walk.margin:
            params = {"fromDate": day.isoformat(), "toDate": day.isoformat()}
            walk.requests += 1
            try:
                counted = fetch_value(
                    context, "blast_result", TABLE_SPECS["blast_result"]["counted_by"], params
                )
            except UnreachableError:
                raise  # the host is gone: the sync stops (see update())
            except (ApiError, UnexpectedBodyError):  # no count: it confirms nothing
                counted = None
            found = len(walk.seen.get(day, ()))
            whole = counted is not None and counted == found < walk.most
        context.counted_days[day] = whole
    return context.counted_days[day]


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
