"""A dated table's walk and its windows: what one request asks for, how a window's answer is
read, and what it proved or left unproven (warned about, read again later)."""

import collections
import functools
import math
from datetime import timedelta

from fivetran_connector_sdk import Logging as log

from .answers import Answer, CountWitness, fetch_list
from .client import fetch_value
from .errors import ApiError, RefusedError, UnexpectedBodyError
from .masking import masked_snippet
from .output import say, warn_first_few
from .specs import DATE_FIELDS, LIMIT_FORMS, RECORD_LIMIT, TABLE_SPECS


class TableWalk:
    """What one dated table's answers have shown in this sync, and what it says once.

    The proof rules: an answer is complete when it is smaller than another answer of its method
    in this sync (a cap, if any, is a number of records that holds for one sync), when the
    count witness says so, or when the windows that replace it, each complete, find again all
    it held. Nothing else is evidence: where a cut answer's records lie only picks split points.
    The first rule is refuted for the sync once answers show a cap that is not one number of
    records (see note_cut()): the windows it proved are then read again by later syncs.

    Args:
        table: `comment` or `blast_result`.
        field: the record date the API's date filter follows (saved by an earlier sync).
        lag_days: the longest a response came after its send (when the filter follows sends).
        limit: the `limit` sent with a list (see LIMIT_FORMS), as an earlier sync left it.
    """

    def __init__(self, table, field="date_submitted", lag_days=0, limit=RECORD_LIMIT):
        self.table = table
        self.limit = limit  # the `limit` sent, one of LIMIT_FORMS (None: none)
        self.limit_answered = False  # whether a list was answered with it in this sync
        self.records_answered = False  # whether a list answered a record in this sync
        self.forms_tried = False  # whether other forms were tried for a silent refusal
        self.next_group = 1
        self.requests = 0  # lists and counts asked for this table in this sync
        self.calibrated = False  # whether calibrate() ran
        self.doubt = False  # a cut the count claimed was not confirmed: answers prove less
        self.found_new = 0  # records this sync's answers held that no earlier one had
        self.verifying = False  # a cut the count claimed is being checked (see verify_claim())
        self.last_answer = None  # the Answer read_window() read last
        self.method = TABLE_SPECS[table]["method"]
        self.field = field
        self.lag_days = lag_days
        self.largest = 0
        self.margin = 0  # days asked before and after a window's own days
        self.cut_sides = set()  # sides of a parent where a child found records it lacked
        self.witness = CountWitness()
        if "tallied_from" in TABLE_SPECS[table]:
            # A tally of rows read whole is no count computed over a capped list.
            self.witness.above = math.inf
        elif "counted_by" not in TABLE_SPECS[table]:
            self.witness.unusable = "no value method counts what it lists"
        self.unproven = []  # the warnings of windows that could not be proven complete
        self.restart = False  # the filter's date turned out to be another: read again
        self.outside_keys = None  # the keys of the last answer dated outside its days
        self.groups = {}  # a day read by temperature or blast: what it must find again
        self.newest = None  # the newest day (of `field`) any answer of this sync held
        self.unproven_days = []  # (first, last) own days of the windows that were not proven
        self.size_proven = []  # (first, last) own days of the windows proven by size alone
        self.cut_sizes = set()  # the records of each answer shown cut in this sync
        self.cut_bytes = None  # (bytes, records) of the one of those with the fewest bytes
        self.most = 0  # records of the largest answer of this sync (never lowered)
        self.refuted = None  # why answers as small as another may be cut, once they showed it
        self.given_up = []  # (first, last) days tried by MAX_UNPROVEN_TRIES syncs, not proven
        self.doubted = []  # (window, records) held back: dates that read either way (DateReader)
        self.decided_days = []  # (first, last) own days of windows read with a known layout
        self.deferred = []  # (first, last) days whose records could not be joined: read again
        self.progress = None  # (cursor, ranges still to read, not proven) once it stopped
        self.keys_from = None  # the first day whose keys are collected (None: see keys_floor())
        self.seen = {}  # day -> the keys answered for it in this sync, from that day on
        self.where = None  # response_id -> the days of seen holding it, once needed
        self.key_store = None  # the keys the state saves once the walk ended (see reconcile())
        self.ended = False  # whether the walk ended without failing (see reconcile())

    @property
    def cut_seen(self):
        """True once an answer of this sync was shown to have been cut."""
        return bool(self.cut_sides)

    @property
    def keeps(self):
        """Which end a cut answer kept, as far as the answers showed: "newest", "oldest", None."""
        if self.cut_sides == {"older"}:
            return "newest"
        if self.cut_sides == {"newer"}:
            return "oldest"
        return None


# One request's own days (both inclusive), temperatureID and blastID (or None), the side of its
# parent it covers ("older", "newer" or None), {day: keys} an earlier answer held in the days it
# asks for (found again, not upserted again), the start of a wider range that proves it by
# answering more (or None), the group it is read in (a day by temperature or blast), a count of
# it derived from its parent's (None when unknown; never a proof), and the records and bytes of
# its parent's answer and the margin it was asked with (None for no parent, or one not read):
# more found, they show it was cut.
Window = collections.namedtuple(
    "Window", "start end temperature blast side delivered probe group counted cut_at"
)


# Checks a day read by temperature (or blast) once its windows are read: see check_group().
GroupCheck = collections.namedtuple("GroupCheck", "group")


def new_window(start, end, delivered=None, probe=None, **options):
    """Return a Window of days start..end; options set its other fields."""
    window = Window(start, end, None, None, None, delivered or {}, probe, None, None, None)
    return window._replace(**options)


def asked_days(walk, window):
    """Return the first and last day a window asks for: its own, and the margin around them."""
    margin = timedelta(days=walk.margin)
    return window.start - margin, window.end + margin


def window_params(walk, window, limit=True):
    """Return the query parameters of a window: days, temperatureID, blastID and `limit`."""
    low, high = asked_days(walk, window)
    params = {"fromDate": low.isoformat(), "toDate": high.isoformat()}
    if window.temperature is not None:
        params["temperatureID"] = window.temperature
    if window.blast is not None:
        params["blastID"] = window.blast
    if limit and walk.limit is not None:
        params["limit"] = walk.limit
    return params


def window_label(walk, window):
    """Return a window's days (and temperature or blast) for a log line."""
    label = f"{walk.method} {window.start}..{window.end}"
    if window.temperature is not None:
        label += f" temperatureID {window.temperature}"
    if window.blast is not None:
        label += f" blastID {window.blast}"
    return label


def fetch_window(context, table, window, keep_days=None):
    """Request a window's list answer; return its Answer.

    A refused request (see RefusedError) is asked again in each simpler form of LIMIT_FORMS in
    turn; the first that answers serves the rest of the sync (see use_limit()). Each form is
    asked twice before the next: a passing error document must not make every later sync ask
    for smaller answers.

    Args:
        keep_days: (first, last) day whose records are upserted (None: every record's).
    Raises:
        ApiError: besides fetch_list()'s errors, a request refused in every form, naming them.
    """
    walk = context.walk(table)
    single_day = window.start == window.end
    make_answer = functools.partial(
        Answer, walk.field, single_day, walk.field != DATE_FIELDS[0], keep_days
    )
    tried = []
    while True:
        walk.requests += 1
        try:
            answer = fetch_list(
                context,
                table,
                window_params(walk, window),
                window.delivered,
                split_on_timeout=window.start < window.end,
                answer_of=make_answer,
            )
            break
        except RefusedError as error:
            tried.append(limit_label(walk.limit))
            if tried.count(tried[-1]) < 2:
                continue  # asked once more first: a passing error must lower no limit for good
            simpler = simpler_forms(walk)
            if not simpler:
                raise ApiError(
                    f"{window_label(walk, window)} was refused in each form tried "
                    f"({', '.join(dict.fromkeys(tried))}), the last: {error}"
                ) from None
            use_limit(context, walk, simpler[0], f"it was refused ({error})")
    walk.limit_answered = True
    walk.records_answered = walk.records_answered or answer.count > 0
    last = answer.span(walk.field)[1]
    if last is not None and (walk.newest is None or last > walk.newest):
        walk.newest = last
    collect_keys(context, walk, answer)
    walk.most = max(walk.most, answer.count)
    check_one_cap(walk)
    return answer


def collect_keys(context, walk, answer):
    """Keep the keys an answer held of each day from the walk's first day to collect on (see
    keys_floor()), for the reconcile horizon."""
    floor = keys_floor(context, walk)
    if floor is None:
        return
    for day, keys in answer.keys_by_day.items():
        if day >= floor:
            if day in walk.seen:
                walk.seen[day] |= keys
            else:
                walk.seen[day] = set(keys)


def keys_floor(context, walk):
    """Return the first day whose keys a walk collects: the saved cursor less reconcile_days
    (walk.keys_from), or on a first sync the newest day answered less reconcile_days; None
    when the horizon is off, or no day was answered yet."""
    days = context.settings["reconcile_days"]
    if not days:
        return None
    if walk.keys_from is not None:
        return walk.keys_from
    return None if walk.newest is None else walk.newest - timedelta(days=days)


def child_delivered(walk, window, answer, start, end):
    """Return {day: keys} that window or its answer held in the days a child start..end asks."""
    margin = timedelta(days=walk.margin)
    low, high = start - margin, end + margin
    delivered = {}
    for source in (window.delivered, answer.keys_by_day):
        for day, keys in source.items():
            if low <= day <= high:
                delivered[day] = delivered[day] | keys if day in delivered else keys
    return delivered


def simpler_forms(walk):
    """Return the forms of LIMIT_FORMS after the one a table's lists are asked in."""
    return LIMIT_FORMS[LIMIT_FORMS.index(walk.limit) + 1 :]


def limit_label(limit):
    """Return a form of LIMIT_FORMS as a log line names it."""
    return "no limit" if limit is None else f"limit={limit}"


def use_limit(context, walk, limit, why):
    """Ask the next lists of a table with another `limit`, saying why (INFO).

    What the answers showed of the cap belongs to the form they were asked in: the size rule
    starts afresh (an answer of the new form proves nothing by being smaller than one before).
    """
    say(
        context,
        log.info,
        f"{walk.table}: asking {walk.method} with {limit_label(limit)} instead of "
        f"{limit_label(walk.limit)}, from now on: {why}",
    )
    walk.limit = limit
    walk.largest = walk.most = 0
    walk.cut_sizes, walk.cut_bytes = set(), None


def note_cut(walk, records, size):
    """Count an answer of records (size bytes) shown cut: its days held records it did not."""
    walk.cut_sizes.add(records)
    if walk.cut_bytes is None or size < walk.cut_bytes[0]:
        walk.cut_bytes = (size, records)
    check_one_cap(walk)


def check_one_cap(walk):
    """Refute the size rule for this sync once the answers show that a cap is not one number of
    records: answers cut at two sizes, or an answer larger than one that was cut."""
    if walk.refuted is not None or not walk.cut_sizes:
        return
    sizes = sorted(walk.cut_sizes)
    if len(sizes) > 1:
        walk.refuted = f"answers were cut at {sizes[0]:,} and at {sizes[-1]:,} records"
    elif walk.most > sizes[0]:
        walk.refuted = f"an answer held {walk.most:,} records, and one of {sizes[0]:,} was cut"
    else:
        return
    log.info(  # counts and names of this code only: nothing from an answer
        f"{walk.table}: {walk.refuted}, so the API's cap is not one number of records: from now "
        f"on in this sync an answer smaller than another proves nothing, and answers of "
        f"{sizes[0]:,} records or more are read in parts"
    )


def size_proven(walk, window):
    """Note a window proven by its size alone (see TableWalk); return what is left of it to
    read: nothing."""
    walk.size_proven.append((window.start, window.end))
    return []


def fetch_count(context, table, window):
    """Return the count witness for a window's days (getNumResponsesValue, or for comments the
    tally of blast_result), or None when it has none."""
    walk = context.walk(table)
    if "tallied_from" in TABLE_SPECS[table]:
        return tallied(context, walk, window)
    params = window_params(walk, window, limit=False)
    walk.requests += 1
    try:
        return int(fetch_value(context, table, TABLE_SPECS[table]["counted_by"], params))
    except UnexpectedBodyError as error:
        distrust(walk, f"it answered {masked_snippet(error.snippet, context.api_key)!r}")
        return None


def tallied(context, walk, window):
    """Return how many responses with a comment blast_result read in a window's own days, or
    None: for a window by temperature or blast, or (the witness then unusable) when blast_result
    was not read whole on those days in this sync."""
    if window.temperature is not None or window.blast is not None:
        return None
    low, high = window.start, window.end
    read = any(first <= low <= high <= last for first, last in context.tally_days)
    if walk.field != DATE_FIELDS[0] or not read:
        distrust(walk, "blast_result was not read whole on these days in this sync")
        return None
    days = (low + timedelta(days=n) for n in range((high - low).days + 1))
    return sum(len(context.tally.get(day, ())) for day in days)


def witnessed(table, window, records):
    """Return how many of {day: keys} its table's witness counts for a window: every one, or
    for a tally (which counts whole days) those of the window's own days."""
    if "tallied_from" not in TABLE_SPECS[table]:
        return sum(len(keys) for keys in records.values())
    return sum(len(keys) for day, keys in records.items() if window.start <= day <= window.end)


def witness_name(table):
    """Return what a table's count witness is, for a log line."""
    spec = TABLE_SPECS[table]
    if "tallied_from" in spec:
        return f"the tally of {spec['tallied_from']}'s responses with a comment"
    return spec.get("counted_by", "no count")


def distrust(walk, reason):
    """Stop using the count witness for a table in this sync, saying why once (INFO)."""
    if walk.witness.unusable is None:
        walk.witness.unusable = reason
        log.info(  # dates, counts and names of this code only: nothing from an answer
            f"{walk.table}: {witness_name(walk.table)} is not used as a witness of "
            f"{walk.method} answers in this sync: {reason}",
        )


def warn_unproven(context, table, window, reason):
    """Count a window that could not be proven complete; its warning is logged when the table's
    walk ends (dropped if the table is read again by another date: see log_unproven())."""
    walk = context.walk(table)
    walk.unproven_days.append((window.start, window.end))
    walk.unproven.append(
        f"{table}: {window_label(walk, window)} could not be proven complete, so responses may "
        f"be missing (it is read again next sync): {reason}"
    )


def log_unproven(context, table):
    """Log the warnings of the windows of a table that could not be proven complete."""
    for message in context.walk(table).unproven:
        warn_first_few(context, (table, "unproven"), message)
