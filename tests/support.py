"""What the unit tests share: runs of update() against the mocked API, records and bodies
made to order, and checks that no piece of the key was said."""

import re
import socket
import threading
import time
from datetime import date, datetime, timedelta

import pytest
import requests

import connector
from customer_thermometer.answers import Answer
from customer_thermometer.context import SyncContext
from customer_thermometer.fields import ListShape
from customer_thermometer.rows import build_row
from customer_thermometer.specs import LIMIT_FORMS, TABLE_SPECS
from customer_thermometer.windows import GroupCheck, new_window
from customer_thermometer.xml_stream import iter_records
from tests.conftest import API_KEY, BASE_URL, TODAY, configuration, day
from tools.fake_api import FakeCustomerThermometer

ALL_TABLES = ["comment", "blast_result", "recipient_list", "thermometer", "metric"]


UPPER = (TODAY + timedelta(days=1)).isoformat()


LIST_METHODS = ["getComments", "getBlastResults", "getRecipientLists", "getThermometers"]


# The state of an incremental sync whose windows (2026-11-18 to tomorrow) are proven by a wider
# range before them: run_scripted() moves the stand-in's 60 responses to the 30 days before
# 2026-11-18, so that range answers more records than a scripted answer holds, none of the
# window's days, and a scripted answer of a few records is the whole table.
SCRIPTED_STATE = {"comment_cursor": "2026-11-20", "blast_result_cursor": "2026-11-20"}


SCRIPTED_SUMMARY = f"blast_result: 2026-11-18..{UPPER}"  # how its summary line starts


def run(state=None, **overrides):
    """Run update() with a valid configuration (changed by overrides) and a state."""
    connector.update(configuration(**overrides), dict(state or {}))


def run_scripted(api, **overrides):
    """Run an incremental sync in which a scripted answer of a few records is the whole table."""
    api.fake = FakeCustomerThermometer(
        responses=60, days=30, seed=5, api_key=API_KEY, today=TODAY - timedelta(days=9)
    )
    run(state=SCRIPTED_STATE, **overrides)


def keyed_record(**fields):
    """Return a blast result record (field -> text) with a whole primary key, and these fields."""
    record = {
        "response_id": "1",
        "blast_id": "2",
        "thermometer_id": "3",
        "date_submitted": "2026-11-20 08:15:00",
    }
    record.update(fields)
    return record


def list_shape(table="blast_result"):
    """Return a new ListShape of a table, as one sync keeps."""
    return ListShape(TABLE_SPECS[table])


def records_of(body, table="blast_result", shape=None):
    """Return the records iter_records() reads from a whole body."""
    return list(iter_records([body.encode()], shape or list_shape(table)))


def blast_xml(*records, root="thermometer_blast_responses", tag="thermometer_blast_response"):
    """Return an XML list body of records given as dicts of field -> text (None: empty)."""
    parts = []
    for record in records:
        fields = "".join(
            f"<{name}/>" if value is None else f"<{name}>{value}</{name}>"
            for name, value in record.items()
        )
        parts.append(f"<{tag}>{fields}</{tag}>")
    return f"<{root}>{''.join(parts)}</{root}>"


BLAST_ROOT, BLAST_RECORD = "thermometer_blast_responses", "thermometer_blast_response"


def blast_answer(records):
    """Return a getBlastResults body of records given as (response_id, comment, note): the
    length of an attribute that makes the start tag long (none for 0)."""
    tags = []
    for response_id, comment, note in records:
        attribute = f' note="{"n" * note}"' if note else ""
        tags.append(
            f"<{BLAST_RECORD}{attribute}><response_id>{response_id}</response_id>"
            f"<comment>{comment}</comment></{BLAST_RECORD}>\n"
        )
    return (f"<{BLAST_ROOT}>\n" + "".join(tags) + f"</{BLAST_ROOT}>\n").encode()


def in_pieces(body, size):
    """Return body as a stream of pieces of size bytes, as the network might deliver it."""
    return (body[i : i + size] for i in range(0, len(body), size))


def keys(rows):
    """Return the primary keys of blast_result rows, in the order they were upserted."""
    return [
        (r["blast_id"], r["response_id"], r["thermometer_id"], r["date_submitted"]) for r in rows
    ]


def truth_keys(fake):
    """Return the primary keys of every blast_result row the stand-in holds, sorted."""
    return sorted(keys(fake.truth("blast_result")))


def window(start, end, **options):
    """Return a Window of days start..end (text)."""
    return new_window(day(start), day(end), **options)


def spans(windows):
    """Return windows as (start, end, temperature, blast) tuples of text (checks as "check")."""
    return [
        "check"
        if isinstance(w, GroupCheck)
        else (w.start.isoformat(), w.end.isoformat(), w.temperature, w.blast)
        for w in windows
    ]


def sync_context(state=None):
    """Return the SyncContext of a sync with a valid configuration."""
    return SyncContext(connector.validate_configuration(configuration()), state or {})


def answer_of(*days, table="blast_result", count=None):
    """Return an Answer that held one record on each day (text), keyed by its position."""
    answer = Answer()
    for number, text in enumerate(days):
        submitted = datetime.fromisoformat(f"{text} 12:00:00")
        answer.add({"date_submitted": submitted, "blast_id": 9000 + number % 2}, ("key", number))
    answer.count = count or len(days)
    return answer


def capped_account(**options):
    """Return a stand-in of 400 responses over 200 days that answers at most 20 records."""
    return FakeCustomerThermometer(
        responses=400, days=200, seed=9, api_key=API_KEY, today=TODAY, cap=20, **options
    )


def history_days(state, table="blast_result"):
    """Return the days a saved state leaves a table's history to read."""
    return sum(
        (day(last) - day(first)).days + 1 for first, last in state.get(f"{table}_history", [])
    )


def refused():
    """Return the error requests raises when a connection is refused (as urllib3 wraps it)."""
    from requests.packages.urllib3.exceptions import MaxRetryError, NewConnectionError

    cause = NewConnectionError(None, "Failed to establish a new connection: [Errno 111] refused")
    return requests.exceptions.ConnectionError(MaxRetryError(None, BASE_URL, cause))


def unresolved():
    """Return the error requests raises when the host name does not resolve."""
    from requests.packages.urllib3.exceptions import MaxRetryError, NameResolutionError

    cause = NameResolutionError("ct.example.test", None, "[Errno -2] Name or service not known")
    return requests.exceptions.ConnectionError(MaxRetryError(None, BASE_URL, cause))


def in_every_form(answer):
    """Return an answer once for each form a list request may be asked in (LIMIT_FORMS)."""
    return [answer] * len(LIMIT_FORMS)


def refused_in_every_form(answer):
    """Return a refusal that does not name the limit as often as a list request is asked before
    its table fails: twice in each form of LIMIT_FORMS."""
    return [answer] * 2 * len(LIMIT_FORMS)


def the_failure(api, captured, table, method, *answers):
    """Answer a method's next requests with these, run an incremental sync, which must fail
    that table, and return the table's one error line."""
    api.script(method, *answers)
    with pytest.raises(RuntimeError, match=f"failed for {table}"):
        run_scripted(api)
    (failure,) = captured.messages("error")
    return failure


def key_pieces(key, size=6):
    """Return every piece of size characters of a key."""
    return {key[start : start + size] for start in range(len(key) - size + 1)}


def assert_no_piece_of(key, texts):
    """Fail when any 6-character piece of key appears in any of texts."""
    for text in texts:
        leaked = [piece for piece in key_pieces(key) if piece in text]
        assert not leaked, f"{leaked} of the key in {text!r}"


def everything_said(captured, raised=None):
    """Return every log line and the text of an exception and its causes."""
    texts = list(captured.messages())
    exception = raised
    while exception is not None:
        texts.append(str(exception))
        exception = exception.__cause__ or exception.__context__
    return texts


def trickling_server(start, tick):
    """Serve on 127.0.0.1, to each connection: start, then tick every 0.05 s (at most 10 s).
    Return (its URL's host and port, a function that stops it)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.settimeout(0.2)
    stop = threading.Event()

    def answer(connection):
        with connection:
            connection.settimeout(1)
            try:
                connection.recv(65536)
                connection.sendall(start)
                for _ in range(200):
                    if stop.is_set():
                        return
                    connection.sendall(tick)
                    time.sleep(0.05)
            except OSError:
                return

    def serve():
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            threading.Thread(target=answer, args=(connection,), daemon=True).start()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()

    def stopped():
        stop.set()
        thread.join(timeout=5)
        listener.close()

    return f"127.0.0.1:{listener.getsockname()[1]}", stopped


MIXED_KEY = "Key+Adv/Secret-9876abc"


def assert_no_piece_in_any_case(key, texts):
    """Fail when any 6-character piece of key appears, in any case, in any of texts."""
    for text in texts:
        leaked = [piece for piece in key_pieces(key.lower()) if piece in text.lower()]
        assert not leaked, f"{leaked} of the key in {text!r}"


def thermometers(*records):
    """Return a getThermometers body of records given as raw XML."""
    return (
        "<thermometers>"
        + "".join(f"<thermometer>{r}</thermometer>" for r in records)
        + ("</thermometers>")
    )


def comments_body(*texts, encoding=None):
    """Return a getComments body of one comment per text (bytes, put in as they are)."""
    declaration = f'<?xml version="1.0" encoding="{encoding}"?>'.encode() if encoding else b""
    records = b"".join(
        b"<comment><response_id>%d</response_id><blast_id>1</blast_id><thermometer_id>2"
        b"</thermometer_id><date_submitted>2026-11-20 10:%02d:00</date_submitted><comment>%s"
        b"</comment></comment>" % (100 + n, n, text)
        for n, text in enumerate(texts)
    )
    return declaration + b"<comments>" + records + b"</comments>"


def comments_answer(texts, line=b"", encoding=None, between=b"", bad_start=None, after=None):
    """Return (a getComments body, the indexes of its records that cannot be read): one record
    per text, a field a line; `between` after the second record; the record bad_start with a
    start tag XML does not allow; after: (index, text) of a field after a record's comment."""
    declaration = f'<?xml version="1.0" encoding="{encoding}"?>'.encode() if encoding else b""
    records, bad = [], set()
    for n, text in enumerate(texts):
        start = b"<comment a=1>" if n == bad_start else b"<comment>"
        fields = [
            b"<response_id>%d</response_id>" % (100 + n),
            b"<date_submitted>2026-11-20 10:00:00</date_submitted>",
            b"<comment>%s</comment>" % text,
        ]
        if after is not None and after[0] == n:
            fields.append(b"<company>%s</company>" % after[1])
        records.append(line.join([start, *fields, b"</comment>"]) + line)
        if n == 1:
            records.append(between)
        unreadable = b"<br>" in text or b"</b>" in text or (after and after[0] == n)
        if n == bad_start or unreadable:
            bad.add(n)
    return declaration + b"<comments>" + line + b"".join(records) + b"</comments>", bad


PASSWORD, PLAIN = (
    connector.form_field.TextField.password,
    connector.form_field.TextField.plain_text,
)


def row_of(context, table="blast_result", **fields):
    """Return the row build_row() makes of a record with a whole key and these fields."""
    record = {"response_id": "1", "blast_id": "2", "thermometer_id": "3"}
    record["date_submitted"] = "2026-11-20 08:15:00"
    record.update(fields)
    return build_row(context, table, record)


class RawBody:
    """A response whose body raises an error, or checks how it is read."""

    def __init__(self, error=None, chunks=()):
        self.raw = self
        self.error = error
        self.chunks = list(chunks)

    def read1(self, size, decode_content=False):
        assert decode_content is True  # compressed bodies are read decompressed
        if self.error is not None:
            raise self.error
        return self.chunks.pop(0) if self.chunks else b""


RANGE_PATTERN = re.compile(r"(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})")


def kept_or_given_up(state, outputs, table):
    """Return the (first, last) days a table's state still has to read, and those its syncs
    said they gave up."""
    ranges = [item[:2] for item in state.get(f"{table}_unproven", [])]
    ranges += state.get(f"{table}_history", [])
    for line in "".join(outputs).splitlines():
        if f"{table}: " in line and "no sync reads" in line:
            ranges += RANGE_PATTERN.findall(line)
    return [(date.fromisoformat(first), date.fromisoformat(last)) for first, last in ranges]


def in_ranges(day, ranges):
    """Return True when day lies in one of (first, last) ranges."""
    return any(first <= day <= last for first, last in ranges)
