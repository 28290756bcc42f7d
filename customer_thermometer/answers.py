"""One list answer read and upserted (fetch_list), what it held (Answer: its keys and the span
of its dates), and the count witness that proves an answer's size (CountWitness)."""

import operator
import struct

from .client import describe_request, make_api_request, raise_if_key_rejected, stream_body
from .errors import ApiError, RefusedError, UnexpectedBodyError
from .keystore import EPOCH, MICROSECOND, packed_names
from .masking import mask_secrets, masked_snippet
from .output import count_of, note_progress, quoted, upsert_row, warn_first_few
from .rows import build_row
from .specs import DATE_FIELDS, TABLE_SPECS
from .xml_stream import iter_records

# Header names (requests' headers ignore their case, so a constant's spelling is no matter).
CONTENT_LENGTH, TRANSFER_ENCODING = "Content-Length", "Transfer-Encoding"


PROGRESS_EVERY_RECORDS = 64  # records read between two looks at the clock (and at each answer)


def fetch_list(context, table, params, delivered=None, split_on_timeout=False, answer_of=None):
    """Request one list answer and upsert its records as they are parsed.

    Args:
        context: the SyncContext.
        table: the table whose method is called.
        params: date, temperature and limit parameters (empty for undated lists).
        delivered: {day: primary keys} upserted already by this sync, not upserted again.
        split_on_timeout: see make_api_request().
        answer_of: makes the empty Answer each attempt fills (default: a plain Answer).
    Returns:
        An Answer: how many records it held, how many were new, their keys by day.
    Raises:
        RefusedError: an answer that is not a list (an error document, a plain-text complaint).
        ApiError: besides make_api_request()'s errors, an answer holding records none of which
            names the table's primary-key fields (a shape the connector cannot land). A record
            that names them but whose values cannot be read is skipped, counted and warned of,
            even alone in its answer.
    """
    spec = TABLE_SPECS[table]
    request_label = describe_request(spec["method"], params)

    def read_body(response):
        answer = answer_of() if answer_of else Answer()
        try:
            upsert_answer(context, table, response, answer, delivered or {})
        except UnexpectedBodyError as error:
            raise_if_key_rejected(request_label, error.snippet, context.api_key)
            raise RefusedError(
                f"{request_label} answered {error.kind}: "
                f"{masked_snippet(error.snippet, context.api_key)!r}"
            ) from None
        except ApiError as error:
            raise ApiError(f"{request_label}: {mask_secrets(error, context.api_key)}") from None
        if answer.some_unnamed and not answer.any_named:
            raise ApiError(
                f"{request_label} answered {count_of(answer.count, 'record')}, none with the "
                f"primary key {spec['primary_key']}: a shape the connector cannot land (see the "
                f"shape report)"
            )
        return answer

    return make_api_request(
        context, table, spec["method"], params, read_body, split_on_timeout=split_on_timeout
    )


def key_packer(table):
    """Return the function that packs a row's primary key into bytes, exactly: each value in 8
    (a LONG as it is, the datetime as microseconds since year 1, after the LONGs).

    An answer keeps the key of each record it held (see Answer): bytes of the 2 or 4 values take
    49-65 bytes, where a tuple of them took 150-200.
    """
    names = packed_names(table)
    spec = TABLE_SPECS[table]
    times = [name for name in names if spec["columns"][name] == "NAIVE_DATETIME"]
    longs = operator.itemgetter(*names[: len(names) - len(times)])
    layout = struct.Struct(f">{len(names)}q")  # 8 bytes each, signed, as a LONG is
    if len(names) - len(times) == 1:  # itemgetter() of one name gives its value, not a tuple
        one = longs
        longs = lambda row: (one(row),)  # noqa: E731 (one line, as the getter it stands for)
    if not times:
        return lambda row: layout.pack(*longs(row))
    (time,) = times  # a dated table's key holds one datetime, packed last
    return lambda row: layout.pack(*longs(row), (row[time] - EPOCH) // MICROSECOND)


def upsert_answer(context, table, response, answer, delivered):
    """Upsert the records of one streamed answer that were not delivered before; fill answer."""
    key_fields = TABLE_SPECS[table]["primary_key"]
    joins = "tallied_from" in TABLE_SPECS[table]  # a record's date may come from another's
    unjoined, context.unjoined_ids = context.unjoined, []
    dates = context.dates
    doubts, dates.spans = dates.doubts, {}
    primary_key_of = key_packer(table)
    texts_of = KeyTexts(table)
    tally = context.tally if table == "blast_result" else None
    chunks = stream_body(context, response)
    # Whether the body's end is framed (a length, or chunks): headers ignore their names' case.
    length = CONTENT_LENGTH in response.headers
    encoding = response.headers.get(TRANSFER_ENCODING) or ""
    framed = length or "chunked" in encoding.lower()
    records = iter_records(chunks, context.shape(table), context.max_record_bytes, framed)
    for fields in records:
        answer.count += 1
        if not answer.count % PROGRESS_EVERY_RECORDS:  # records read again count too
            note_progress(context, table)
        if not fields:  # a record that could not be read: in the answer, counted, warned of
            context.table_stats(table)["skipped"] += 1
            continue
        if not answer.any_named:
            if names_every(fields, key_fields, joins):
                answer.any_named = True
            else:
                answer.some_unnamed = True
        row = build_row(context, table, fields)
        if row is None:
            continue
        key = primary_key_of(row)
        day = answer.add(row, key)
        texts_of.check(context, fields, row, key, answer.repeated)
        if key in delivered.get(day, ()):
            continue  # upserted already in this sync
        if answer.keep_days is None or (day is not None and answer.keeps(day)):
            # Upsert the record: a primary key seen again later in this sync is skipped above.
            upsert_row(context, table, row)
            answer.count_new(day)
            if tally is not None and "comment" in row and day is not None:
                # A record of a margin day may be upserted twice: the tally keeps distinct ones.
                tally.setdefault(day, {})[row["response_id"]] = row["date_submitted"]
    answer.bytes = context.answer_bytes
    answer.unjoined = context.unjoined - unjoined
    answer.doubtful = dates.doubts - doubts
    note_progress(context, table)


def names_every(fields, key_fields, joins=False):
    """Return True when a record's fields name each primary-key field, whatever their values
    (date_submitted may be named by response_date, its fallback, or with joins by nothing: see
    build_row())."""
    return all(
        name in fields or (name == "date_submitted" and ("response_date" in fields or joins))
        for name in key_fields
    )


class KeyTexts:
    """The texts of one answer's id key fields, so that two records whose distinct texts type
    to one key (`7` and `007`, `10` and `1_0`, `3` and `٣`) are a warning naming both: the
    later one's row replaces the earlier's, as any upsert of a key does.

    Only texts that are not how their number is written are kept: an answer holds few, if any.

    Args:
        table: the table whose records are checked.
    """

    def __init__(self, table):
        spec = TABLE_SPECS[table]
        self.table = table
        self.names = [name for name in spec["primary_key"] if spec["columns"][name] == "LONG"]
        self.odd = {}  # key -> its first record's texts, where one was not its number's

    def check(self, context, fields, row, key, repeated):
        """Remember a record's key texts when odd; warn when its key came before in the answer
        with other texts."""
        if not repeated:  # the common case, first: a key met once, written as its numbers
            for name in self.names:
                if fields.get(name) != str(row[name]):
                    break
            else:
                return
        texts = tuple(fields.get(name) for name in self.names)
        plain = tuple(str(row[name]) for name in self.names)
        first = self.odd.get(key, plain) if repeated else None
        if texts != plain:
            self.odd.setdefault(key, texts)
        if first is not None and first != texts:
            differing = ", ".join(
                f"{name} {quoted(a)} and {quoted(b)}"
                for name, a, b in zip(self.names, first, texts, strict=True)
                if a != b
            )
            warn_first_few(
                context,
                (self.table, "key texts read as one"),
                f"{self.table}: two records of one answer whose texts differ, {differing}, are "
                f"read as one key; the later record's row is the one kept",
            )


class Answer:
    """What one list answer held, for the window logic.

    Args:
        field: the record date the API's date filter follows; records are filed by its day.
        track_blasts: remember each record's blast_id (for a day read again by blastID).
        track_lag: remember the longest time between a record's send and its submission.
        keep_days: (first, last) day whose records are upserted (None: every record's).
    """

    def __init__(
        self, field="date_submitted", track_blasts=False, track_lag=False, keep_days=None
    ):
        self.keep_days = keep_days
        self.count = 0  # records in the answer, keyed or not
        self.any_named = False  # whether any record named every primary-key field
        self.some_unnamed = False  # a record before any named did not name every one
        self.repeated = False  # whether the record added last had a key added before
        self.new = 0  # records not delivered before in this sync
        self.new_days = set()  # the days of those records
        self.unjoined = 0  # records without a date whose response's date was not read
        self.doubtful = 0  # records held back: a date whose day and month could be either
        self.bytes = 0  # of the answer, decompressed
        self.field = field
        self.keys_by_day = {}
        # The first and last value of the other date a filter may follow.
        (self.other,) = (name for name in DATE_FIELDS if name != field)
        self.other_first = self.other_last = None
        self.blast_of = {} if track_blasts else None
        self.lag_days = 0 if track_lag else None
        self._day = self._keys = None  # pragma: no mutate (a cache: the last record's day, keys)

    def add(self, row, key):
        """File a keyed record under its day (returned; None when it has no such date)."""
        self.repeated = False
        other = row.get(self.other)
        if other is not None:
            if self.other_first is None:
                self.other_first = self.other_last = other
            elif other < self.other_first:  # pragma: no mutate (a tie changes nothing)
                self.other_first = other
            elif other > self.other_last:  # pragma: no mutate (a tie changes nothing)
                self.other_last = other
        value = row.get(self.field)
        if value is None:
            return None
        day = value.date()
        if day != self._day:  # records come a day at a time: the day's keys are looked up once
            self._day = day  # pragma: no mutate (a cache: without it, looked up every record)
            self._keys = self.keys_by_day.get(day)
            if self._keys is None:
                self._keys = self.keys_by_day[day] = set()
        self.repeated = key in self._keys
        self._keys.add(key)
        if self.blast_of is not None:
            self.blast_of[key] = row.get("blast_id")
        if self.lag_days is not None and "date_submitted" in row:
            self.lag_days = max(self.lag_days, (row["date_submitted"].date() - day).days)
        return day

    def count_new(self, day):
        """Count a record not delivered before in this sync, of day (or None)."""
        self.new += 1
        self.new_days.add(day)

    def span(self, name):
        """Return the first and last day of a date field among the records (None, None: none)."""
        if name == self.field:
            if not self.keys_by_day:
                return None, None
            return min(self.keys_by_day), max(self.keys_by_day)
        if self.other_first is None:
            return None, None
        return self.other_first.date(), self.other_last.date()

    def keeps(self, day):
        """Return True when a record of day is upserted (see keep_days)."""
        return self.keep_days[0] <= day <= self.keep_days[1]

    def keys(self):
        """Return every key the answer filed under a day."""
        return set().union(*self.keys_by_day.values())


class CountWitness:
    """getNumResponsesValue as a second witness of a window's size, as far as it proved right.

    It is believed only after it has counted exactly what a window proven another way held
    (`agreed`), and never once it counted fewer records than a list held or disagreed before
    agreeing (`unusable`). A count can prove an answer as large as any this sync has seen only
    when it has counted more than any list answer held (`above`): a count computed over a capped
    list never does, so it can never vouch for a cut answer.
    """

    def __init__(self):
        self.agreed = 0
        self.above = 0
        self.unusable = None  # why it is not used, once known

    @property
    def usable(self):
        """True when counts may prove or disprove answers."""
        return self.agreed > 0 and self.unusable is None
