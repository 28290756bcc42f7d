"""The proof that a window is whole: an answer smaller than another of this sync, a count that
agrees, or smaller windows (halves, days, temperatures) that find again all it held; what the
answers show about the bounds and the date field is followed."""

from datetime import timedelta

from fivetran_connector_sdk import Logging as log

from .answers import Answer
from .conventions import dates_read, empty_answer, in_doubt, joined_or_not, other_form_finds
from .errors import ApiError, WindowTimeoutError
from .output import count_of, say, warn_first_few
from .specs import DATE_FIELDS, MAX_MARGIN_DAYS, TABLE_SPECS
from .windows import (
    GroupCheck,
    asked_days,
    child_delivered,
    distrust,
    fetch_count,
    fetch_window,
    new_window,
    note_cut,
    size_proven,
    warn_unproven,
    window_label,
    witness_name,
    witnessed,
)

TEMPERATURE_IDS = (1, 2, 3, 4)  # Gold, Green, Yellow, Red: a full day is asked for by each


def read_window(context, table, window):
    """Read one window of a dated table; return the windows (and checks) still to read for it.

    Raises:
        ApiError: besides fetch_list()'s errors, an API that answers the same records whatever
            the dates asked for, as no window could then make progress.
    """
    walk = context.walk(table)
    walk.last_answer = None
    try:
        answer = walk.last_answer = fetch_window(context, table, window)
    except WindowTimeoutError as error:
        say(
            context,
            log.warning,
            f"{table}: {window_label(walk, window)} {error}; asking for each half instead",
        )
        return split(context, table, window, Answer(walk.field), None)
    if not dates_fit(context, table, window, answer):
        return [] if walk.restart else [window]  # read again, as the answer showed how
    if not dates_read(context, table, window, answer):
        return in_doubt(context, table, window, answer)
    joined_or_not(context, table, window, answer)
    if answer.lag_days:
        walk.lag_days = max(walk.lag_days, answer.lag_days)
    if window.group is not None:
        walk.groups[window.group]["found"].update(answer.keys())
    walk.found_new += answer.new
    if window.side is not None and answer.new:
        walk.cut_sides.add(window.side)  # its parent lacked records on this side
    if window.cut_at is not None and shows_cut(context, window, answer):
        records, size, margin = window.cut_at
        if margin == walk.margin:  # with more days asked around it, a part asks for more
            note_cut(walk, records, size)
    near = near_cut(walk, answer) and not walk.verifying  # verify_claim() reads those again
    at_risk = answer.count > 0 and (answer.count >= walk.largest or near)
    walk.largest = max(walk.largest, answer.count)
    if not at_risk:
        return complete_answer(context, table, window, answer)
    return answer_at_risk(context, table, window, answer)


def shows_cut(context, window, answer):
    """Return True when a part's answer held new records of its own days (those of the days
    after them may be another date's) before yesterday (later ones may have come since): its
    parent's answer lacked them, so it was cut."""
    before = context.today - timedelta(days=1)
    return any(window.start <= day <= window.end and day < before for day in answer.new_days)


def near_cut(walk, answer):
    """Return True when an answer smaller than the largest may have been cut all the same: once
    the size rule is refuted, as many records as an answer that was cut; and, with at least 90%
    of its records, as many bytes, within one record, as the answer cut at the fewest bytes (a
    cap by size cuts answers of a few records fewer, of as many bytes)."""
    if walk.refuted is not None and answer.count >= min(walk.cut_sizes):
        return True
    if walk.cut_bytes is None:
        return False
    size, records = walk.cut_bytes
    return 10 * answer.count >= 9 * records and answer.bytes >= size - size // records


def complete_answer(context, table, window, answer):
    """Check a window whose answer is smaller than another (so not cut by a record cap).

    It must find again what an earlier answer held in its days: records missing from the edges
    of its days show that the date bounds do not mean what was assumed; records missing from
    within them, that it was cut all the same (by a cap that is not one number of records). The
    first such window calibrates the count witness; once some answer was cut, the count checks
    each of them (a cap by size or time, or one that dropped, cuts answers smaller than the
    largest).
    """
    walk = context.walk(table)
    missing = missing_keys(window, answer) if window.group is None else {}
    if missing:
        return lacking(context, table, window, answer, missing)
    witness = walk.witness
    if (walk.doubt or context.doubt) and answer.count:
        warn_unproven(
            context,
            table,
            window,
            "it is smaller than the largest answer, but a count in this sync held more than such "
            "an answer (a cap by size or time, or a count of more than the list)",
        )
        return []
    if answer.count == 0:
        return empty_answer(context, table, window)
    believed = witness.agreed and not walk.cut_seen and walk.refuted is None
    if witness.unusable or walk.verifying or believed:
        # No count to use; or calibrated, and no cut that a count should look for.
        return size_proven(walk, window)
    listed = witnessed(table, window, answer.keys_by_day)
    if window.counted == listed:
        return []  # as many as its parent's count less its sibling's
    counted = fetch_count(context, table, window)
    if counted is None:
        return size_proven(walk, window)
    if counted == listed:
        agree(walk, table, window, counted)
        return []
    if counted < listed and "tallied_from" in TABLE_SPECS[table]:
        say(
            context,
            log.warning,
            f"{TABLE_SPECS[table]['tallied_from']}: {window_label(walk, window)} listed {listed} "
            f"comments, more than the {counted} responses with a comment it read for those days: "
            f"responses of {window.start}..{window.end} may be missing from it",
        )
    if counted < listed or not walk.witness.agreed:
        disagree(walk, window, counted, listed)
        return size_proven(walk, window)
    say(
        context,
        log.warning,
        f"{table}: {window_label(walk, window)} listed {count_of(listed, 'record')} and counted "
        f"{counted}: it was cut below the largest answer (a cap by size or time, or one that "
        f"dropped); reading it in parts",
    )
    return verify_claim(context, table, window, answer, counted)


def verify_claim(context, table, window, answer, counted):
    """Read at once the windows that replace one the count says was cut; return what is still
    to read.

    Where they find no record more, the count is not believed again in this sync (so a count
    that counts more than the lists hold cannot make the sync read windows a day at a time);
    where they do, they are read again with the count checking them.
    """
    walk = context.walk(table)
    found, walk.verifying = walk.found_new, True
    follow_ups, again = [], []
    try:
        for part in split(context, table, window, answer, None):
            if isinstance(part, GroupCheck):
                follow_ups.append(part)
                continue
            follow_ups.extend(read_window(context, table, part))
            if walk.last_answer is not None:  # to read again: what it found is not upserted again
                delivered = child_delivered(walk, part, walk.last_answer, part.start, part.end)
                again.append(part._replace(delivered=delivered))
    finally:
        walk.verifying = False
    if walk.found_new == found:
        why = f"answered {answer.count:,} records, {counted} counted, and parts found none more"
        again = other_form_finds(context, table, window, why)
        if again is not None:
            return follow_ups + [again]  # read again in the form that answered more
        distrust(
            walk,
            f"it counted {counted} for {window_label(walk, window)}, and the windows that "
            f"replaced it found no record more",
        )
        walk.doubt = context.doubt = True  # it counts more than the lists hold, or a cap varies
        return follow_ups
    # Cut below the largest answer: answers as large as this one may be cut from now on.
    walk.largest = min(walk.largest, answer.count)
    note_cut(walk, answer.count, answer.bytes)
    return follow_ups + again


def lacking(context, table, window, answer, missing):
    """Go on with a window smaller than the largest answer that lacks records an earlier answer
    held in its days. Where they lie within its days (bounds leave out no day within) and at or
    beyond an end of the days its records span, it was cut at that end, and is read in parts;
    otherwise
    the bounds, or the date the filter follows, mean something else (see bounds_mismatch())."""
    one = timedelta(days=1)
    first, last = answer.span(context.walk(table).field)
    within = [day for day in missing if window.start + one < day < window.end - one]
    if first is not None and within and not any(first < day < last for day in within):
        note_cut(context.walk(table), answer.count, answer.bytes)
        return answer_at_risk(context, table, window, answer)
    return bounds_mismatch(context, table, window, missing)


def missing_keys(window, answer):
    """Return {day: count} of the records an earlier answer held in a window's own days that
    its answer did not hold."""
    missing = {}
    for day, keys in window.delivered.items():
        if window.start <= day <= window.end:
            lost = len(keys - answer.keys_by_day.get(day, set()))
            if lost:
                missing[day] = lost
    return missing


def bounds_mismatch(context, table, window, missing):
    """Widen every window by a day on each side once, saying what the bounds turned out to mean;
    a mismatch that remains is a warning."""
    walk = context.walk(table)
    days = sorted(missing)
    count = sum(missing.values())
    held = f"{count_of(count, 'record')} an earlier answer held for {days[0]}..{days[-1]}"
    if walk.margin >= MAX_MARGIN_DAYS:
        warn_unproven(context, table, window, f"it did not answer again {held}")
        return []
    walk.margin += 1
    if days == [window.end]:
        meaning = "toDate seems to end at the start of its day (its midnight)"
    elif days == [window.start]:
        meaning = "fromDate seems to start after its day begins (another clock)"
    else:
        meaning = "they seem to follow another clock or date"
    say(
        context,
        log.info,
        f"{table}: {window_label(walk, window)} did not answer again {held}: {meaning}. Every "
        f"window is now asked with {walk.margin} more day on each side, and keeps the records "
        f"of its own days",
    )
    return [window]


def dates_fit(context, table, window, answer):
    """Check an answer's dates against the days asked for; return False to read it again.

    Records dated outside the days asked for show which date the filter follows (another of
    DATE_FIELDS: the table is read again by it), or another clock (within a day: windows get a
    margin); records still outside are kept, with a warning, and reading goes on.

    Raises:
        ApiError: the same records answered for other days (the API ignores the dates).
    """
    walk = context.walk(table)
    low, high = asked_days(walk, window)
    first, last = answer.span(walk.field)
    if first is None or (low <= first and last <= high):
        return True
    for name in DATE_FIELDS:
        other = answer.span(name)
        if name != walk.field and other[0] is not None and low <= other[0] <= other[1] <= high:
            follow_field(context, table, name)
            return False
    if walk.margin < MAX_MARGIN_DAYS and low - timedelta(1) <= first <= last <= high + timedelta(
        1
    ):
        walk.margin += 1
        say(
            context,
            log.info,
            f"{table}: {window_label(walk, window)} answered records of {first}..{last}: the "
            f"dates seem to follow another clock. Every window is now asked with "
            f"{walk.margin} more day on each side, and keeps the records of its own days",
        )
        return False
    keys = answer.keys()
    if keys == walk.outside_keys:
        raise ApiError(
            f"{window_label(walk, window)} answered the same records as for other days, dated "
            f"{first} to {last}: the API seems to ignore the date range, so the connector "
            f"cannot tell when it has read everything"
        )
    walk.outside_keys = keys
    warn_first_few(
        context,
        (table, "outside"),
        f"{table}: {window_label(walk, window)} answered records dated {first}..{last}, outside "
        f"the days asked for: they are kept, and reading goes on",
    )
    return True


def follow_field(context, table, name):
    """Read a table again by the date its filter turned out to follow (once a sync)."""
    walk = context.walk(table)
    if walk.field != DATE_FIELDS[0]:
        return
    walk.field, walk.restart = name, True
    say(
        context,
        log.warning,
        f"{table}: {walk.method} selects records by {name}, not by date_submitted: the table is "
        f"read again by {name}, and each later sync reads from as many days before its cursor "
        f"as the longest a response came after its send",
    )


def answer_at_risk(context, table, window, answer):
    """Prove an answer as large as any this sync has seen, or replace it by smaller windows.

    A wider range proves an incremental window at once; otherwise the count witness, calibrated
    first where it is untested (see calibrate()), proves the answer or its parts.
    """
    walk = context.walk(table)
    if window.probe is not None and probe_proves(context, table, window, answer):
        return size_proven(walk, window)  # a wider range answered more: a size
    if not walk.witness.agreed and walk.witness.unusable is None and not walk.calibrated:
        calibrate(context, table, window, answer)
    counted, listed = window.counted, witnessed(table, window, answer.keys_by_day)
    witness = walk.witness
    one_day = window.start == window.end  # its count checks what its parts find again
    if witness.usable and counted is None and (listed < witness.above or one_day):
        counted = fetch_count(context, table, window)
        if counted is not None and counted == listed:
            return []
        if counted is not None and counted < listed:
            disagree(walk, window, counted, listed)
            counted = None
    return split(context, table, window, answer, counted)


def calibrate(context, table, window, answer):
    """Calibrate an untested count witness on the smallest part of an answer that is proven by
    size: the window from its records' newest day on, read again."""
    walk = context.walk(table)
    walk.calibrated = True  # once a sync
    days = own_days(window, answer)
    if len(days) < 2 or window.temperature is not None or window.blast is not None:
        return
    newest = days[-1][0]
    part = new_window(
        newest, window.end, child_delivered(walk, window, answer, newest, window.end)
    )
    try:
        part_answer = fetch_window(context, table, part)
    except WindowTimeoutError:
        return  # not read: no calibration
    walk.found_new += part_answer.new
    for day, keys in part_answer.keys_by_day.items():  # upserted now: not upserted again later
        answer.keys_by_day.setdefault(day, set()).update(keys)
    if part_answer.count >= walk.largest or missing_keys(part, part_answer):
        return  # not proven by its size: no calibration
    counted = fetch_count(context, table, part)
    listed = witnessed(table, part, part_answer.keys_by_day)
    if counted == listed:
        agree(walk, table, part, counted)
    elif counted is not None:
        disagree(walk, part, counted, listed)


def agree(walk, table, window, counted):
    """Count one agreement of the witness with a window proven another way (said the first
    time)."""
    walk.witness.agreed += 1
    if walk.witness.agreed == 1:
        log.info(  # dates, counts and names of this code only: nothing from an answer
            f"{table}: {witness_name(table)} counted {counted} for {window_label(walk, window)}, "
            f"as many as it listed: used as a witness of {walk.method} answers in this sync, as "
            f"far as it proves right",
        )


def probe_proves(context, table, window, answer):
    """Ask a wider range ending where a window ends: more records, and none of the window's days
    that its answer lacked, prove the window's answer was not cut.

    Records of the days before the window (read by earlier syncs) are not upserted again.
    """
    walk = context.walk(table)
    delivered = child_delivered(walk, window, answer, window.probe, window.end)
    wide = new_window(window.probe, window.end, delivered)
    try:
        wide_answer = fetch_window(context, table, wide, keep_days=asked_days(walk, window))
    except WindowTimeoutError:
        return False  # not read: it proves nothing
    walk.largest = max(walk.largest, wide_answer.count)
    return wide_answer.count > answer.count and not wide_answer.new


def own_days(window, answer):
    """Return [(day, records)] of an answer within a window's own days, oldest first."""
    return sorted(
        (day, len(keys))
        for day, keys in answer.keys_by_day.items()
        if window.start <= day <= window.end
    )


def split(context, table, window, answer, counted):
    """Return the windows that replace one whose answer may have been cut, each proven on its
    own: split at a day of its records (the median, or nearer the end the answers showed a cut
    keeps), a day alone read by temperatureID."""
    walk = context.walk(table)
    days = own_days(window, answer)
    if window.start == window.end:
        return by_temperature(context, table, window, answer, counted)
    if len(days) == 1:
        return around_day(walk, window, answer, days[0][0])
    if not days:
        middle = window.start + (window.end - window.start) // 2
        return two_children(context, table, window, answer, middle, counted)
    share = {"newest": 0.0, "oldest": 1.0}.get(walk.keeps, 0.5)
    total, running, cut_day = sum(n for _, n in days), 0, days[-2][0]
    for day, records in days[:-1]:
        running += records
        if running >= share * total:
            cut_day = day
            break
    return two_children(context, table, window, answer, cut_day, counted)


def around_day(walk, window, answer, day):
    """Return the windows around a day that alone held an answer's records, and the day."""
    one = timedelta(days=1)
    windows = []
    cut_at = (answer.count, answer.bytes, walk.margin) if answer.count else None  # none unread
    if window.start < day:
        older = child_delivered(walk, window, answer, window.start, day - one)
        windows.append(new_window(window.start, day - one, older, side="older", cut_at=cut_at))
    if day < window.end:
        newer = child_delivered(walk, window, answer, day + one, window.end)
        windows.append(new_window(day + one, window.end, newer, side="newer", cut_at=cut_at))
    windows.append(new_window(day, day, child_delivered(walk, window, answer, day, day)))
    return windows


def disagree(walk, window, counted, listed):
    """Stop believing a witness whose count of a window differs from what its answer listed."""
    distrust(walk, f"it counted {counted} for {window_label(walk, window)}, which listed {listed}")


def two_children(context, table, window, answer, cut_day, counted):
    """Return the two windows a window is split into at cut_day, the side a cut keeps last.

    Where the count witness is believed, a side whose count equals what the answers held there
    is proven without being read again: the side a cut keeps, or (while no side is known) both.
    """
    walk = context.walk(table)
    one = timedelta(days=1)
    cut_at = (answer.count, answer.bytes, walk.margin) if answer.count else None  # none unread
    older = new_window(
        window.start,
        cut_day,
        child_delivered(walk, window, answer, window.start, cut_day),
        side="older",
        cut_at=cut_at,
    )
    newer = new_window(
        cut_day + one,
        window.end,
        child_delivered(walk, window, answer, cut_day + one, window.end),
        side="newer",
        cut_at=cut_at,
    )
    # The newer is read first (the last in the list): it shows first how far the count is right.
    kept, other = (older, newer) if walk.keeps == "oldest" else (newer, older)
    if not walk.witness.usable or walk.verifying:
        return [other, kept]
    checked = [kept] if walk.keeps else [kept, other]
    still = [] if walk.keeps is None else [other]
    for side in checked:
        side_count = fetch_count(context, table, side)
        if side_count is not None and side_count > walk.largest:
            walk.witness.above = max(walk.witness.above, side_count)
        if walk.keeps and counted is not None and side_count is not None:
            still[0] = other._replace(counted=counted - side_count)  # for cuts, never a proof
        known = witnessed(table, side, side.delivered)
        if side_count is not None and side_count == known < walk.largest:
            continue  # proven by its count
        still.append(side._replace(counted=side_count))
    return still


def by_temperature(context, table, window, answer, counted=None):
    """Read a day that alone filled an answer again by each temperatureID (a day and
    temperature by each blastID its records name), then check what they found."""
    if window.blast is not None:
        warn_unproven(
            context,
            table,
            window,
            f"it alone held {count_of(answer.count, 'record')}, as many as the largest answer, "
            f"so it may have been cut",
        )
        return []
    walk = context.walk(table)
    delivered = child_delivered(walk, window, answer, window.start, window.end)
    blasts = dict(answer.blast_of or {})
    if window.temperature is None:
        keys = set().union(*delivered.values()) if delivered else set()
    else:  # its own records (its days' delivered keys hold every temperature's)
        keys = answer.keys()
        if window.group in walk.groups:  # every blast seen that day
            blasts.update(walk.groups[window.group]["blasts"])
    group, walk.next_group = walk.next_group, walk.next_group + 1
    walk.groups[group] = {
        "window": window,
        "keys": keys,
        "found": set(),
        "blasts": blasts,
        "counted": counted,
        "by_blast": window.temperature is not None,
    }
    if window.temperature is None:
        children = [
            window._replace(temperature=temperature, delivered=delivered, group=group, probe=None)
            for temperature in TEMPERATURE_IDS
        ]
    else:
        children = [
            window._replace(blast=blast, delivered=delivered, group=group)
            for blast in sorted(set(blasts.values()) - {None})
        ]
    return [GroupCheck(group)] + children


def defer_check(walk, check, pending):
    """Put a day's check after the windows still to read, once, while the count witness is
    untested: they may calibrate it, and a believed count checks the day. Return True if so."""
    group = walk.groups[check.group]
    witness = walk.witness
    if group.get("deferred") or witness.agreed or witness.unusable or not pending:
        return False
    group["deferred"] = True
    pending.insert(0, check)
    return True


def check_group(context, table, check):
    """Check that a day's windows by temperature (or blast) found again all it held, and as
    many as its count when one is believed.

    Records no temperatureID selects (a send without one) are read by the blastID of each; what
    is still missing is a warning naming the day and how many records.
    """
    walk = context.walk(table)
    group = walk.groups.pop(check.group)
    window, found, counted = group["window"], group["found"], group["counted"]
    if counted is None and walk.witness.usable:  # believed since the day was split
        counted = group["counted"] = fetch_count(context, table, window)
    missing = group["keys"] - found
    short = counted is not None and len(found | group["keys"]) < counted
    # With no count, a day whose answer was cut (its temperatures held more) may lack records
    # that no temperatureID selects and that the cut left out: nothing can find those.
    # A count no larger than the largest answer may be one computed over a capped list.
    vouched = counted is not None and (counted > walk.largest or counted < walk.witness.above)
    uncounted_cut = not vouched and window.temperature is None and bool(found - group["keys"])
    if not missing and not short and not uncounted_cut:
        if counted is not None or window.temperature is None:
            return []
    blasts = sorted({group["blasts"].get(key) for key in missing} - {None})
    if missing and blasts and not group["by_blast"]:
        say(
            context,
            log.info,
            f"{table}: {count_of(len(missing), 'record')} of {window.start} are selected by no "
            f"temperatureID (sends without a temperature, say): reading the day by blastID",
        )
        walk.groups[check.group] = dict(group, by_blast=True)  # what it found so far counts
        delivered = {window.start: group["keys"] | found}
        return [check] + [
            window._replace(blast=blast, group=check.group, delivered=delivered)
            for blast in blasts
        ]
    if missing:
        were = "was" if len(missing) == 1 else "were"
        reason = (
            f"{count_of(len(missing), 'record')} an answer held for it {were} found again by "
            f"none of them"
        )
    elif short:
        reason = (
            f"they held {count_of(len(found | group['keys']), 'record')}, and it counts {counted}"
        )
    elif uncounted_cut:
        reason = (
            "its answer was cut, and records no temperatureID selects that it left out cannot "
            "be found without a count"
        )
    else:
        reason = "the records of a blast none of its records named may be missing"
    warn_unproven(context, table, window, f"read by temperatureID or blastID, {reason}")
    return []
