"""What the answers teach of the API's conventions as a sync goes, beyond the proofs: the
layout of its dates, a record dated by another table's, and a `limit` refused silently (a list
a count contradicts that no smaller window explains)."""

from datetime import timedelta

from fivetran_connector_sdk import Logging as log

from .output import count_of, quoted, say, warn_first_few
from .specs import TABLE_SPECS
from .windows import (
    asked_days,
    child_delivered,
    fetch_count,
    fetch_window,
    new_window,
    simpler_forms,
    use_limit,
    warn_unproven,
    window_label,
    witness_name,
)


def joined_or_not(context, table, window, answer):
    """Go on with a window some of whose records without a date could not be joined (see
    rows.joined_date()). Where the table they are joined from read the window's own days whole
    in this sync, those records are of other days (a margin): nothing is lost. Otherwise the
    window's days are read again next sync by both tables (walk.deferred, see
    cursors.advanced_state()), said in a warning naming the first records."""
    if not answer.unjoined:
        return
    if any(first <= window.start and window.end <= last for first, last in context.tally_days):
        return
    walk = context.walk(table)
    walk.deferred.append((window.start, window.end))
    source = TABLE_SPECS[table]["tallied_from"]
    ids = ", ".join(quoted(response_id) for response_id in context.unjoined_ids)
    warn_first_few(
        context,
        (table, "not joined"),
        f"{table}: {window_label(walk, window)} held {count_of(answer.unjoined, 'record')} "
        f"without a date whose response {source} did not read in this sync (response_id "
        f"{ids}): skipped, and those days are read again next sync by both tables",
    )


def dates_read(context, table, window, answer):
    """Return False when an answer held records whose dates read as a day and month either way
    (see in_doubt()); note a window whose dates were all read in a known layout (a layout newly
    known is said once)."""
    say_layout(context, table)
    if answer.doubtful:
        return False
    if context.dates.layout is not None:
        context.walk(table).decided_days.append((window.start, window.end))
    return True


def in_doubt(context, table, window, answer):
    """Go on with an answer that held records whose dates read as a day and month either way
    (see DateReader), held back: return what is still to read for its window.

    The layout is known once a later record shows a day past 12, or once it is the only one
    under which they fall in the days asked for: the window is then read again. Until then, a
    window of several days is read again in halves, whose fewer days tell the two apart; a day
    that still does not is held back (see walk.doubted())."""
    walk = context.walk(table)
    reader = context.dates
    reader.decide_by_days(*asked_days(walk, window))
    delivered = child_delivered(walk, window, answer, window.start, window.end)
    if reader.layout is not None:
        say_layout(context, table)
        walk.outside_keys = None  # read again, it may well answer the same records
        return [window._replace(delivered=delivered)]
    if window.start < window.end:
        middle = window.start + (window.end - window.start) // 2
        older = child_delivered(walk, window, answer, window.start, middle)
        newer = child_delivered(walk, window, answer, middle + timedelta(days=1), window.end)
        return [
            new_window(window.start, middle, older),
            new_window(middle + timedelta(days=1), window.end, newer),
        ]
    walk.doubted.append((window._replace(delivered=delivered), answer.doubtful))
    return []


def say_layout(context, table):
    """Say once at INFO the layout a table's answers proved the API's dates are in."""
    reader = context.dates
    if reader.layout is not None and not reader.said:
        reader.said = True
        say(
            context,
            log.info,
            f"{table}: {context.walk(table).method} writes dates as {reader.layout} "
            f"({reader.how}): every table's answers are read so from now on, and the next "
            f"syncs start with it",
        )


def other_form_finds(context, table, window, why):
    """Ask a window whose answer a count contradicts in each simpler form of LIMIT_FORMS (once
    a sync): the API may refuse a `limit` silently, by answering less. Return the window to
    read again in the first form that answered records no answer had (it serves the rest of
    the sync, see use_limit()), or None: the form asked before is asked again.

    Args:
        why: how the answers contradict the count, for the log.
    """
    walk = context.walk(table)
    simpler = simpler_forms(walk)
    if walk.forms_tried or not simpler:
        return None
    walk.forms_tried = True
    before = walk.limit
    why = f"{window_label(walk, window)} {why} (a `limit` refused silently?)"
    for limit in simpler:
        use_limit(context, walk, limit, why)
        answer = fetch_window(context, table, window)
        walk.found_new += answer.new
        if answer.new:  # upserted now: not upserted again
            return window._replace(delivered=child_delivered(walk, window, answer, *window[:2]))
        why = "no more records answered"
    use_limit(context, walk, before, "no simpler form answered more records")
    return None


def empty_answer(context, table, window):
    """Check an empty answer against the table's count (for blast_result 1 request, the tally of
    blast_result for comments: none); return what is still to read for its window.

    A count of 0 proves it. A count of more contradicts it: the API may refuse the `limit`
    silently, by answering less, so the simpler forms are tried (see other_form_finds()), and
    the window is read again in the first that answers records; where none does, it is not
    proven (a warning names it, and it is read again next sync). With no count to check it, it
    is taken as it is once a list of the table answered a record in this sync; before, the
    simpler forms are tried in the same way.
    """
    walk = context.walk(table)
    if walk.verifying:
        return []  # verify_claim() compares what the parts found with the count
    counted = None if walk.witness.unusable else fetch_count(context, table, window)
    if counted is None:
        if walk.records_answered:
            return []
        why = "answered no record, before any list of this table did, and no count could check it"
        again = other_form_finds(context, table, window, why)
        if again is not None:
            return [again]
        warn_unproven(
            context,
            table,
            window,
            "it answered no record in any form tried, no list of this table had answered one "
            "in this sync, and no count could check it",
        )
        return []
    if counted == 0:
        return []
    why = f"answered no record, and {witness_name(table)} counted {counted}"
    again = other_form_finds(context, table, window, why)
    if again is not None:
        return [again]
    if "tallied_from" in TABLE_SPECS[table]:
        said = (
            f"{TABLE_SPECS[table]['tallied_from']} read {count_of(counted, 'response')} with a "
            f"comment for those days"
        )
    else:
        said = f"{witness_name(table)} counted {counted}"
    warn_unproven(context, table, window, f"it answered no record, while {said}")
    return []
