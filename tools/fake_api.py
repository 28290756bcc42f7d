"""A stand-in of the Customer Thermometer API: a real HTTP server on 127.0.0.1.

It follows the contract this connector was built to (the README's "Pagination", "Data handling"
and "Error handling" say it from the connector's side): one `GET` endpoint, `getMethod` and
`apiKey` in the query, `fromDate`/`toDate` inclusive on the submission day, `limit` newest first
(200 when absent, never more than 10,000), `endDate` ignored, XML lists whose records vary their
field order and hold empty elements, escaped characters, non-ASCII text and a nested element, bare
numbers for the value methods, HTTP 200 `Invalid API Key` for a wrong key and an empty body for an
empty range. List answers are sent as they are assembled (chunked), so the client parses the first
records while the rest are still being selected, as from a server that streams. Optional faults
(500, 503, 429 with `Retry-After: 1`, a dropped connection, a body cut off mid-XML with or without
`Content-Length` or mid-chunk) happen at a given rate, and every request is logged with the key
masked. Variants play what a real account may do differently: a silent cap, `limit` ignored, the
oldest records kept or the latest sends (responses coming days after their send), newest listed
oldest first, comments in the blast shape, capitalised names, fields as attributes, ISO datetimes
with offsets, date bounds ignored, `toDate` read as its midnight, dates filtered on the send date,
sends without a temperature, counts of answered responses only or of a capped list or no count
at all, a cap drawn afresh for each answer or one of bytes, and conventions the answers must
teach: a `limit` above a maximum refused (openly or silently), datetimes in other layouts,
comments without a date, and a long Retry-After. Between syncs, what an account's admin does
may be played too: a response deleted, its comment hidden or removed, or it moved to another day
(`delete_response()`, `hide_comment()`, `remove_comment()`, `move_response()`, or over HTTP:
`--help` says how).

The tests, the demo and the benchmark all use it, so all three exercise the same bytes on the wire:

    with FakeCustomerThermometer(responses=500, seed=7) as api:
        api.base_url, api.truth("blast_result"), api.add_responses(10, days_ago=(0, 1))

From the shell: `python -m tools.fake_api --port 0 --port-file PORT --responses 3000 --days 730`
(`--help` lists every option, the variants of a real account among them).
"""

import argparse
import bisect
import gzip
import itertools
import random
import signal
import socket
import textwrap
import threading
import time
from datetime import date, datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse
from xml.sax.saxutils import escape, quoteattr

DEFAULT_API_KEY = "stand-in-key-0123456789"
DEFAULT_LIMIT = 200
MAX_LIMIT = 10000
TEMPERATURES = {1: "Gold", 2: "Green", 3: "Yellow", 4: "Red"}
FAULTS = ("500", "503", "429", "drop", "cut", "cut_length", "cut_chunked")
STREAM_CHUNK_BYTES = 65536
# The ways an answer can stall while every read returns in time: each sends a little every
# STALL_TICK_SECONDS, until the client goes away or STALL_MOST_SECONDS pass (so that a server
# left alone stops by itself).
STALLS = ("header", "chunk_size", "trailers", "gzip_empty", "gzip_garbage")
STALL_TICK_SECONDS = 0.05
STALL_MOST_SECONDS = 120
ISO_OFFSETS = ["Z", "+00:00", "+05:30", "-08:00"]
# The other layouts an account may write its datetimes in (`datetimes`), each with seconds.
DATETIME_LAYOUTS = {
    "day_first": "%d/%m/%Y %H:%M:%S",
    "month_first": "%m/%d/%Y %H:%M:%S",
    "year_slash": "%Y/%m/%d %H:%M:%S",
    "day_first_dots": "%d.%m.%Y %H:%M:%S",
}
# What a real account may do differently (the shared API notes), each played by the stand-in's
# options: the end-to-end tests land every row under each, and tools.same_behaviour compares two
# versions of the connector under each.
VARIANTS = {
    "silent cap of 1,000": {"cap": 1000},
    "limit ignored (200)": {"ignore_limit": True},
    "oldest 1,000 kept": {"cap": 1000, "keep": "oldest"},
    "newest 1,000 listed oldest first": {"cap": 1000, "order": "oldest_first"},
    "comments in the blast shape": {"comments_shape": "blast"},
    "capitalised names": {"names": "capitalised"},
    "fields as attributes": {"fields_as": "attributes"},
    "ISO datetimes with offsets": {"datetimes": "iso_offset"},
}

# What a real account may do that breaks what the connector assumed of the answers (the shared
# API notes): each lands every row, with what the answers showed said in the log.
MEANINGS = {
    "toDate as midnight, cap 1,000": {"cap": 1000, "to_date": "midnight"},
    "toDate as midnight, limit ignored": {"ignore_limit": True, "to_date": "midnight"},
    "latest sends kept, answers up to 10 days later": {
        "cap": 500,
        "keep": "latest_id",
        "response_lag": 10,
    },
    "sends without a temperature, 1,500 responses in a day": {
        "cap": 1000,
        "untempered": 0.08,
        "busy_day": 1500,
    },
    "dates filtered on the send date": {"cap": 1000, "date_filter": "blast_date"},
    "counts of answered responses only": {"cap": 1000, "counts": "answered"},
    "counts capped like the lists": {"cap": 1000, "counts": "capped"},
    "latest sends, toDate as midnight, capped counts": {
        "cap": 500,
        "keep": "latest_id",
        "response_lag": 10,
        "to_date": "midnight",
        "counts": "capped",
    },
    "limit ignored, oldest first, no temperature, answered counts": {
        "ignore_limit": True,
        "order": "oldest_first",
        "untempered": 0.05,
        "counts": "answered",
    },
}

# Conventions of a real account our sources do not show, which the answers teach (issue 27):
# each lands every row, the convention learned saved for the next syncs; alone, and with a
# cap of 1,000 or `limit` ignored.
CONVENTIONS = {
    "limit above 1,000 refused by an error document": {"max_limit": 1000},
    "limit above 500 refused by HTTP 400": {"max_limit": 500, "limit_refusal": "status"},
    "limit above 1,000 refused silently": {"max_limit": 1000, "limit_refusal": "empty"},
    "datetimes as DD/MM/YYYY": {"datetimes": "day_first"},
    "datetimes as MM/DD/YYYY": {"datetimes": "month_first"},
    "comments without a date": {"comment_dates": "undated"},
    "all three, cap 1,000": {
        "cap": 1000,
        "max_limit": 1000,
        "limit_refusal": "text",
        "datetimes": "day_first",
        "comment_dates": "undated",
    },
    "all three, limit ignored": {
        "ignore_limit": True,
        "max_limit": 5000,
        "datetimes": "month_first",
        "comment_dates": "undated",
    },
}

LIST_ROOTS = {
    "getComments": ("comments", "comment"),
    "getBlastResults": ("thermometer_blast_responses", "thermometer_blast_response"),
    "getRecipientLists": ("recipient_lists", "recipient_list"),
    "getThermometers": ("thermometers", "thermometer"),
}
VALUE_METHODS = (
    "getNumResponsesValue",
    "getResponseRateValue",
    "getTempRatingValue",
    "getNPSValue",
    "getHappinessValue",
    "getSendQuota",
)
# The admin operations over HTTP (getMethod -> the FakeCustomerThermometer method doing it, its
# id in `responseID`; moveResponse's days in `days`): deleteResponse is the API's own write
# method, the others the stand-in's. Each answers ADMIN_DONE, or INVALID_RESPONSE_ID for an id
# that is not a number or not the account's (INVALID_DAYS for days that are not a number or
# would move it off the calendar); no fault, stall or cut answers them (a write must happen
# once, and the faults the other requests see stay the same).
ADMIN_METHODS = {
    "deleteResponse": "delete_response",
    "hideComment": "hide_comment",
    "removeComment": "remove_comment",
    "moveResponse": "move_response",
}
ADMIN_DONE = b"1"
INVALID_RESPONSE_ID = b"Invalid response ID"
INVALID_DAYS = b"Invalid days"
# The fields of a comment record besides date_submitted (which a few records lack), and the
# fields only a blast result record holds.
COMMENT_FIELDS = [
    "response_id",
    "blast_id",
    "thermometer_id",
    "temperature_id",
    "response",
    "response_date",
    "recipient",
    "first_name",
    "last_name",
    "company",
    "comment",
]
RESPONSE_ONLY_FIELDS = ["blast_date", "response_bounced", "comment_hidden"] + [
    f"custom_{number}" for number in range(1, 13)
]
FIRST_NAMES = [
    "Ana",
    "Zoë",
    "José",
    "Łukasz",
    "Mette",
    "渡辺",
    "Oluwaseun",
    "Siobhán",
    "Chen",
    "Ian",
]
LAST_NAMES = ["O'Brien", "Müller", "Nakamura", "Smith & Sons", "Ødegaard", "Kowalski", "García"]
COMPANIES = ["Acme <Ltd>", "Café Olé", "Bäckerei Groß", 'Stark "Industries"', "", "Initech"]
COMMENTS = [
    "Great service!",
    "Quick & friendly 👍",
    'He said "thanks" <3',
    "Très bien, merci.",
    "Line one\nline two",
    "Could be faster…",
    "素晴らしい",
    "",
    "",
    "",
]


class FakeCustomerThermometer:
    """The stand-in API: a seeded data set served over HTTP on 127.0.0.1.

    Args:
        responses: how many survey responses the account holds.
        days: over how many days (ending today, UTC) they were submitted.
        seed: the seed of the data set (and of the faults).
        api_key: the only key accepted.
        fault_rate: the share of requests answered with a fault.
        port: the port to listen on (0: any free port).
        today: the stand-in's "today" (the account's date), for tests that pin the clock.
        utc_offset_hours: the account's time zone: its "today" (and so every response's date)
            is the date at that offset from UTC, while the connector's clock runs in UTC.
        timeout_over_days: answer list requests for ranges longer than this many days with
            HTTP 504 (a gateway that gives up on a long range), or None.
        busy_day: as many responses more, all submitted three days before today (a busy day).
        max_limit: refuse a list asked with a larger `limit` (as limit_refusal says), or None.
    """

    def __init__(
        self,
        responses=1000,
        days=365,
        seed=1,
        api_key=DEFAULT_API_KEY,
        fault_rate=0.0,
        port=0,
        today=None,
        cap=None,
        ignore_limit=False,
        keep="newest",
        order="newest_first",
        comments_shape="comment",
        names="snake",
        fields_as="elements",
        datetimes="plain",
        ignore_dates=False,
        to_date="inclusive",
        date_filter="date_submitted",
        response_lag=4,
        untempered=0.0,
        counts="exact",
        later_cap=None,
        later_after=0,
        utc_offset_hours=0,
        timeout_over_days=None,
        busy_day=0,
        cap_range=None,
        cap_bytes=None,
        answer_all=False,
        retry_after_once=None,
        max_limit=None,
        limit_refusal="document",
        comment_dates="dated",
    ):
        self.api_key = api_key
        self.timeout_over_days = timeout_over_days
        self.to_date = to_date
        self.date_filter = date_filter
        self.response_lag = response_lag
        self.untempered = untempered
        self.counts = counts
        self.later_cap = later_cap  # the cap once later_after answers of a list method were given
        self.later_after = later_after
        self.list_answers = {}
        self.cap = cap
        self.cap_range = cap_range  # (low, high): each list answer's cap, drawn afresh
        self.cap_bytes = cap_bytes  # each list answer holds whole records up to this many bytes
        self.answer_all = answer_all  # `limit` ignored: every record selected is answered
        self.ignore_limit = ignore_limit
        self.keep = keep
        self.order = order
        self.names = names
        self.fields_as = fields_as
        self.datetimes = datetimes
        self.ignore_dates = ignore_dates
        self.list_roots = dict(LIST_ROOTS)
        if comments_shape == "blast":
            self.list_roots["getComments"] = LIST_ROOTS["getBlastResults"]
        self.fault_rate = fault_rate
        local_now = datetime.now(timezone.utc) + timedelta(hours=utc_offset_hours)
        self.today = today or local_now.date()
        self.requests = []
        self.overrides = {}
        # method -> a whole HTTP response, status line and headers included, sent as it is (then
        # the connection is closed): for header tricks no HTTP server library would send
        self.raw_answers = {}
        # method -> one of STALLS, played on each of its requests, or a list of them (or None
        # for an answer as usual), one per request, then answers as usual
        self.stalls = {}
        self.next_faults = []
        self.retry_after_once = retry_after_once  # the first request: 429 asking that wait
        self.max_limit = max_limit  # a list asked with a larger `limit` is refused
        self.limit_refusal = limit_refusal  # how: see VARIANT_CHOICES
        self.comment_dates = comment_dates  # `undated`: comment records carry no date
        if retry_after_once is not None:
            self.next_faults.append("429_long")
        self._lock = threading.Lock()
        self._random = random.Random(seed)
        self._fault_random = random.Random(seed + 1)
        self._cap_random = random.Random(seed + 2)
        self._fault_kinds = itertools.cycle(FAULTS)
        self._responses = []
        self._negated_days = []
        self.deleted = []  # the responses delete_response() moved to the bin no method lists
        self._next_response_id = 100000
        self.thermometers = [{"id": 10 + n, "name": f"Thermometer {n} – NPS"} for n in range(4)]
        self.recipient_lists = [
            {"id": 500 + n, "name": name}
            for n, name in enumerate(["Customers", "Partners & Resellers", "Équipe"])
        ]
        self.blasts = []
        for number in range(24):
            self.blasts.append(
                {
                    "blast_id": 9000 + number,
                    "thermometer_id": self.thermometers[number % 4]["id"],
                    "sent_days_ago": days - (days * number) // 24,
                }
            )
        self._add(
            responses,
            [days - 1 - (index * days) // max(responses, 1) for index in range(responses)],
        )
        self.add_responses(busy_day, days_ago=(3,))
        self._port = port
        self._server = None
        self._thread = None

    # ---- data -----------------------------------------------------------------------------

    def _add(self, count, days_ago_each):
        """Create count responses, the nth submitted days_ago_each[n] days before today."""
        created = []
        for days_ago in days_ago_each[:count]:
            rng = self._random
            blast = rng.choice(self.blasts)
            day = self.today - timedelta(days=days_ago)
            submitted = datetime(day.year, day.month, day.day) + timedelta(
                seconds=rng.randrange(86400)
            )
            blast_day = day - timedelta(days=rng.randrange(0, self.response_lag + 1))
            temperature_id = rng.choice([1, 1, 2, 2, 2, 3, 4])
            if self.untempered and rng.random() < self.untempered:
                temperature_id = None  # a send without a temperature (a bounce, say)
            self._next_response_id += rng.randrange(1, 4)
            response = {
                "response_id": self._next_response_id,
                "blast_id": blast["blast_id"],
                "thermometer_id": blast["thermometer_id"],
                "temperature_id": temperature_id,
                "response": TEMPERATURES.get(temperature_id),
                "date_submitted": submitted,
                "response_date": submitted,
                "blast_date": datetime(blast_day.year, blast_day.month, blast_day.day, 9, 0, 0),
                "recipient": f"person{self._next_response_id}@example.com",
                "first_name": rng.choice(FIRST_NAMES),
                "last_name": rng.choice(LAST_NAMES),
                "company": rng.choice(COMPANIES) or None,
                "comment": rng.choice(COMMENTS) or None,
                "response_bounced": rng.random() < 0.02,
                "comment_hidden": rng.random() < 0.05,
            }
            for number in range(1, 13):
                response[f"custom_{number}"] = (
                    f"value {number}-{rng.randrange(100)}" if rng.random() < 0.15 else None
                )
            if rng.random() < 0.1:
                response["location"] = {"country": rng.choice(["GB", "DE", "JP"]), "city": "X"}
            # Some records carry only response_date (the contract's fallback).
            response["omit_date_submitted"] = rng.random() < 0.02
            response["_xml"] = self._rendered(response)
            created.append(response)
        with self._lock:
            self._responses.extend(created)
            self._sort()
        return created

    def _sort(self):
        """Sort the responses newest submitted first, and their day numbers in step (under
        self._lock)."""
        self._responses.sort(key=lambda item: item["date_submitted"], reverse=True)
        # Ascending negated day numbers, to find a range's newest response by bisection.
        self._negated_days = [-item["date_submitted"].toordinal() for item in self._responses]

    def add_responses(self, count, days_ago=(0, 1)):
        """Add count responses submitted on the given days before today (tests' later syncs)."""
        spread = [days_ago[index % len(days_ago)] for index in range(count)]
        return self._add(count, spread)

    def add_response(self, **fields):
        """Add one response submitted today, with some fields set (a 1 MB comment, say)."""
        response = self.add_responses(1, days_ago=(0,))[0]
        response.update(fields)
        response["_xml"] = self._rendered(response)
        return response

    def _rendered(self, response, rng=None):
        """Render a response's record for both dated methods, in this account's shape, drawing
        its field order and empty-element forms from rng (the data set's own by default)."""
        return {
            method: self._render(response, self.list_roots[method][1], rng)
            for method in ("getBlastResults", "getComments")
        }

    def _render(self, response, record_tag, rng=None):
        """Render one record with a varying field order and both empty-element forms."""
        rng = self._random if rng is None else rng
        names = list(COMMENT_FIELDS)
        if not response["omit_date_submitted"]:
            names.append("date_submitted")
        if record_tag == "comment" and self.comment_dates == "undated":
            names = [name for name in names if name not in ("date_submitted", "response_date")]
        if record_tag != "comment":
            names += RESPONSE_ONLY_FIELDS
            if "location" in response:
                names.append("location")
        rng.shuffle(names)
        if self.fields_as == "attributes":
            return self._render_attributes(response, record_tag, names, rng)
        parts = [f"<{self._name(record_tag)}>"]
        for name in names:
            value, tag = response[name], self._name(name)
            if isinstance(value, dict):
                inner = "".join(
                    f"<{self._name(key)}>{escape(text)}</{self._name(key)}>"
                    for key, text in value.items()
                )
                parts.append(f"<{tag}>{inner}</{tag}>")
            elif value is None:
                parts.append(f"<{tag}/>" if rng.random() < 0.5 else f"<{tag}></{tag}>")
            else:
                parts.append(f"<{tag}>{escape(self._text(value))}</{tag}>")
        parts.append(f"</{self._name(record_tag)}>")
        return "".join(parts).encode("utf-8")

    def _render_attributes(self, response, record_tag, names, rng):
        """Render one record with its fields as attributes (a nested field as a child)."""
        attributes, children = [], []
        for name in names:
            value = response[name]
            if isinstance(value, dict):
                inner = " ".join(f"{self._name(k)}={quoteattr(v)}" for k, v in value.items())
                children.append(f"<{self._name(name)} {inner}/>")
            elif value is not None:
                attributes.append(f"{self._name(name)}={quoteattr(self._text(value))}")
            elif rng.random() < 0.5:
                attributes.append(f'{self._name(name)}=""')
        tag = self._name(record_tag)
        if children:
            return f"<{tag} {' '.join(attributes)}>{''.join(children)}</{tag}>".encode()
        return f"<{tag} {' '.join(attributes)}/>".encode()

    def _name(self, name):
        """Return an element or attribute name as this account spells it."""
        if self.names != "capitalised":
            return name
        return "".join(
            f"_{part}" if part.isdigit() else "ID" if part == "id" else part.capitalize()
            for part in name.split("_")
        )

    def _text(self, value):
        """Render a value as the API does: timestamps as YYYY-MM-DD HH:MM:SS, booleans as 0/1.

        With `datetimes="iso_offset"`, timestamps are ISO 8601 with a `T` and an offset that
        varies (`Z`, `+00:00`, `+05:30`, `-08:00`); the wall-clock time is the same. The other
        `datetimes` are the layouts of DATETIME_LAYOUTS.
        """
        if isinstance(value, datetime) and self.datetimes == "iso_offset":
            offset = ISO_OFFSETS[value.second % len(ISO_OFFSETS)]
            return value.strftime("%Y-%m-%dT%H:%M:%S") + offset
        if isinstance(value, datetime) and self.datetimes in DATETIME_LAYOUTS:
            return value.strftime(DATETIME_LAYOUTS[self.datetimes])
        return _text(value)

    def truth(self, table):
        """Return the rows each table should hold, typed as the warehouse holds them."""
        with self._lock:
            responses = list(self._responses)
        if table == "blast_result":
            return [_row(response, full=True) for response in responses]
        if table == "comment":
            full = self.list_roots["getComments"] != LIST_ROOTS["getComments"]
            rows = [_row(response, full=full) for response in responses if response["comment"]]
            if self.comment_dates == "undated" and not full:
                for row in rows:  # the date comes from the blast result: no response_date
                    row["response_date"] = None
            return rows
        if table == "thermometer":
            return [dict(item) for item in self.thermometers]
        if table == "recipient_list":
            return [dict(item) for item in self.recipient_lists]
        raise KeyError(table)

    # ---- admin operations -----------------------------------------------------------------
    # What an account's admin may do between syncs, which the connector must reconcile. Each
    # returns the response and raises KeyError for an id the account does not hold (a deleted
    # one among them). A changed record is rendered again from a random source of its own, so
    # that the data set's (self._random) draws what it would without them.

    def delete_response(self, response_id):
        """Delete a response: as the API's deleteResponse moves it to a bin no method lists,
        it leaves every list, count and value answer and truth()."""
        with self._lock:
            response = self._responses.pop(self._index(response_id))
            self._sort()
            self.deleted.append(response)
        return response

    def hide_comment(self, response_id):
        """Hide a response's comment: comment_hidden becomes true, and both list methods still
        list the response."""
        return self._change(response_id, lambda response: {"comment_hidden": True})

    def remove_comment(self, response_id):
        """Remove a response's comment text: getComments (which lists only responses with a
        comment) and the comment table leave it out; its blast result shows no comment."""
        return self._change(response_id, lambda response: {"comment": None})

    def move_response(self, response_id, days):
        """Move a response's date_submitted and response_date by days days (negative: earlier),
        keeping the time of day: date filters select it on its new day."""
        moved = timedelta(days=days)
        return self._change(
            response_id,
            lambda response: {
                name: response[name] + moved for name in ("date_submitted", "response_date")
            },
        )

    def _change(self, response_id, changes_of):
        """Change a response's fields by what changes_of(response) returns, render it again
        and keep the responses sorted; return the response."""
        with self._lock:
            response = self._responses[self._index(response_id)]
            changes = changes_of(response)
            rng = random.Random(response["response_id"])
            changes["_xml"] = self._rendered({**response, **changes}, rng)
            response.update(changes)
            self._sort()
        return response

    def _index(self, response_id):
        """Return where the response of this id is in self._responses (under self._lock), or
        raise KeyError naming the id."""
        for index, response in enumerate(self._responses):
            if response["response_id"] == response_id:
                return index
        raise KeyError(f"no response {response_id!r} in the account")

    # ---- answers --------------------------------------------------------------------------

    def answer(self, query):
        """Return (status, headers, body bytes) for a query."""
        status, headers, parts = self.answer_parts(query)
        return status, headers, b"".join(parts)

    def answer_parts(self, query):
        """Return (status, headers, the body as a list of bytes pieces) for a query."""
        method = query.get("getMethod", "")
        if query.get("apiKey") != self.api_key:
            return 200, {}, [b"Invalid API Key"]
        if method in self.overrides:
            return 200, {}, [self.overrides[method]]
        if method in ADMIN_METHODS:
            return 200, {"Content-Type": "text/plain"}, [self._admin_answer(method, query)]
        if method in self.list_roots and self._limit_refused(query):
            return self._refusal(method)
        if method in self.list_roots and self._too_long(query):
            return 504, {}, [b"<html><body>504 Gateway Time-out</body></html>"]
        if method in self.list_roots:
            return (
                200,
                {"Content-Type": "text/xml; charset=utf-8"},
                self._list_parts(method, query),
            )
        if method == "getNumResponsesValue" and self.counts == "none":
            return 200, {}, [b"Unknown method"]
        if method in VALUE_METHODS:
            return 200, {"Content-Type": "text/plain"}, [self._value(method, query).encode()]
        return 200, {}, [b"Unknown method"]

    def _admin_answer(self, method, query):
        """Do an admin operation asked over HTTP (see ADMIN_METHODS); return the body: `1` when
        done, else what was wrong with the query."""
        try:
            response_id = int(query["responseID"])
        except (KeyError, ValueError):
            return INVALID_RESPONSE_ID
        arguments = [response_id]
        if method == "moveResponse":
            try:
                arguments.append(int(query["days"]))
            except (KeyError, ValueError):
                return INVALID_DAYS
        try:
            getattr(self, ADMIN_METHODS[method])(*arguments)
        except KeyError:
            return INVALID_RESPONSE_ID
        except OverflowError:  # days that would move it off the calendar
            return INVALID_DAYS
        return ADMIN_DONE

    def _refusal(self, method):
        """Return the answer to a list asked with a `limit` above max_limit (limit_refusal)."""
        message = f"limit must be between 1 and {self.max_limit}".encode()
        if self.limit_refusal == "status":
            return 400, {"Content-Type": "text/plain"}, [message]
        if self.limit_refusal == "text":
            return 200, {"Content-Type": "text/plain"}, [message]
        if self.limit_refusal == "empty":  # silently: a list of nothing
            root = self.list_roots[method][0].encode()
            return 200, {}, [b"<?xml version='1.0'?><%s/>" % root]
        return 200, {}, [b"<?xml version='1.0'?><error><message>%s</message></error>" % message]

    def _limit_refused(self, query):
        """Return True when a list query's `limit` is one max_limit refuses (above it, or not a
        number); a query without one is answered (200 records at most)."""
        if self.max_limit is None or "limit" not in query:
            return False
        return not query["limit"].isdigit() or int(query["limit"]) > self.max_limit

    def _too_long(self, query):
        """Return True when a dated query asks for more days than timeout_over_days."""
        if self.timeout_over_days is None or "fromDate" not in query:
            return False
        try:
            low, high = date.fromisoformat(query["fromDate"]), date.fromisoformat(query["toDate"])
        except (KeyError, ValueError):
            return False
        return (high - low).days + 1 > self.timeout_over_days

    def _selected(self, query, only_commented=False, unlimited=False):
        """Return the responses a dated query selects, limited, in this account's order.

        `fromDate`/`toDate` (inclusive days of `date_filter`; with `to_date="midnight"`, up to
        the first second of `toDate`), `temperatureID` and `blastID` filter; `limit` (200 when
        absent, at most 10,000) keeps the newest records, the oldest with `keep="oldest"`, or the
        latest sends (by response id, given at the send) with `keep="latest_id"`; a silent `cap`
        keeps fewer, and `ignore_limit` always 200. `unlimited` is for the value methods.
        """
        try:
            low = date.fromisoformat(query.get("fromDate", "1970-01-01"))
            high = date.fromisoformat(query.get("toDate", "9999-12-31"))
            limit = min(int(query.get("limit", DEFAULT_LIMIT)), MAX_LIMIT)
            temperature = int(query["temperatureID"]) if "temperatureID" in query else None
            blast = int(query["blastID"]) if "blastID" in query else None
        except ValueError:
            return []
        if self.ignore_dates:
            low, high = date.min, date.max
        unlimited = unlimited or self.answer_all
        if not unlimited:
            limit = self._answer_limit(limit, query.get("getMethod"))
        candidates = self._candidates(low, high)  # newest first
        if self.keep == "oldest":
            candidates.reverse()
        elif self.keep == "latest_id":
            candidates.sort(
                key=lambda item: (item["blast_date"], item["response_id"]), reverse=True
            )
        matching = (
            response
            for response in candidates
            if (response["comment"] or not only_commented)
            and temperature in (None, response["temperature_id"])
            and blast in (None, response["blast_id"])
        )
        selected = list(matching if unlimited else itertools.islice(matching, limit))
        if (self.keep == "oldest") == (self.order == "newest_first"):
            selected.reverse()
        return selected

    def _answer_limit(self, limit, method):
        """Return how many records a list answer holds at most: the `limit` asked for, as
        ignore_limit, the caps and the cap drawn for this answer leave it."""
        if self.ignore_limit:
            limit = DEFAULT_LIMIT
        if self.cap is not None:
            limit = min(limit, self.cap)
        if self.later_cap is not None and self.list_answers.get(method, 0) > self.later_after:
            limit = min(limit, self.later_cap)
        if self.cap_range is not None:
            with self._lock:
                limit = min(limit, self._cap_random.randint(*self.cap_range))
        return limit

    def _candidates(self, low, high):
        """Return the responses whose filtered date lies in low..high, newest submitted first."""
        if self.date_filter == "date_submitted":
            with self._lock:
                first = bisect.bisect_left(self._negated_days, -high.toordinal())
                last = bisect.bisect_right(self._negated_days, -low.toordinal())
                candidates = self._responses[first:last]
        else:
            with self._lock:
                candidates = [
                    item
                    for item in self._responses
                    if low <= item[self.date_filter].date() <= high
                ]
        if self.to_date == "midnight":
            midnight = datetime(high.year, high.month, high.day)
            candidates = [item for item in candidates if item[self.date_filter] <= midnight]
        return candidates

    def _list_parts(self, method, query):
        """Render a list answer as pieces: none for no records, else the XML list."""
        root, record = self.list_roots[method]
        if method in ("getComments", "getBlastResults"):
            with self._lock:
                self.list_answers[method] = self.list_answers.get(method, 0) + 1
            selected = self._selected(query, only_commented=method == "getComments")
            if not selected:
                return []
            records = [response["_xml"][method] for response in selected]
            if self.cap_bytes is not None:
                records = list(itertools.islice(records, self._fitting(records)))
        else:
            items = self.thermometers if record == "thermometer" else self.recipient_lists
            records = [self._render_named(record, item) for item in items]
        root = self._name(root)
        head = f'<?xml version="1.0" encoding="UTF-8"?>\n<{root}>'.encode()
        return [head, *records, f"</{root}>".encode()]

    def _fitting(self, records):
        """Return how many of records, from the first, fit in cap_bytes (at least one)."""
        total = 0
        for count, record in enumerate(records):
            total += len(record)
            if total > self.cap_bytes:
                return max(count, 1)
        return len(records)

    def _render_named(self, record, item):
        """Render a thermometer or recipient list record in this account's shape."""
        tag, id_name, name_name = self._name(record), self._name("id"), self._name("name")
        if self.fields_as == "attributes":
            return (
                f'<{tag} {id_name}="{item["id"]}" {name_name}={quoteattr(item["name"])}/>'.encode()
            )
        return (
            f"<{tag}><{name_name}>{escape(item['name'])}</{name_name}>"
            f"<{id_name}>{item['id']}</{id_name}></{tag}>".encode()
        )

    def _valued(self, query):
        """Return the responses a value method computes over: the newest `limit` (default all)."""
        selected = self._selected(query, unlimited=True)
        if "limit" in query:
            selected = selected[: max(int(query["limit"]), 0)]
        return selected

    def _value(self, method, query):
        """Compute a value method's bare number from the data set."""
        if method == "getSendQuota":
            return "4250"
        selected = self._valued(query)
        count = len(selected)
        if method == "getNumResponsesValue":
            if self.counts == "answered":
                count = sum(1 for item in selected if not item["response_bounced"])
            elif self.counts == "capped":
                count = len(self._selected(dict(query, limit=MAX_LIMIT)))
            elif self.counts == "with_deleted":
                # Also responses deleted (one in 20 of those older than 90 days) still counted.
                old = datetime.combine(self.today - timedelta(days=90), datetime.min.time())
                count += sum(
                    1
                    for item in selected
                    if item["date_submitted"] < old and item["response_id"] % 20 == 0
                )
            return str(count)
        if count == 0:
            return "0"
        share = {t: sum(1 for r in selected if r["temperature_id"] == t) / count for t in range(5)}
        if method == "getResponseRateValue":
            return f"{min(100.0, count / 3.0):.1f}"
        if method == "getTempRatingValue":
            rated = [r["temperature_id"] for r in selected if r["temperature_id"]]
            return f"{sum(rated) / max(len(rated), 1):.2f}"
        if method == "getNPSValue":
            return str(round(100 * (share[1] - share[3] - share[4])))
        return str(round(100 * (share[1] + share[2])))

    def pick_fault(self):
        """Return a fault name for this request, or None (at the configured rate).

        Faults queued in `next_faults` come first, one per request, whatever the rate.
        """
        with self._lock:
            if self.next_faults:
                return self.next_faults.pop(0)
            if self.fault_rate and self._fault_random.random() < self.fault_rate:
                return next(self._fault_kinds)  # every kind in turn
        return None

    def next_stall(self, method):
        """Return how this request of a method stalls (see `stalls`), or None."""
        with self._lock:
            stall = self.stalls.get(method)
            if isinstance(stall, list):
                return stall.pop(0) if stall else None
            return stall

    def log_request(self, query, outcome):
        """Keep the request's parameters (key masked) and what it was answered."""
        entry = {key: value for key, value in query.items() if key != "apiKey"}
        entry["apiKey"] = "***" if "apiKey" in query else None
        entry["outcome"] = outcome
        with self._lock:
            self.requests.append(entry)

    def requests_for(self, method):
        """Return the logged requests for one method."""
        with self._lock:
            return [entry for entry in self.requests if entry.get("getMethod") == method]

    # ---- server ---------------------------------------------------------------------------

    @property
    def port(self):
        """The port the server listens on."""
        return self._server.server_address[1]

    @property
    def base_url(self):
        """The URL to configure as the connector's base_url."""
        return f"http://127.0.0.1:{self.port}/api.php"

    def start(self):
        """Listen on 127.0.0.1 and serve in a background thread; returns self."""
        self._server = ThreadingHTTPServer(("127.0.0.1", self._port), _make_handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self):
        """Stop serving and close the socket (nothing to do when never started)."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()


def _text(value):
    """Render a value as the API does: timestamps as YYYY-MM-DD HH:MM:SS, booleans as 0/1."""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    return str(value)


def _row(response, full):
    """Return the warehouse row a response should become in blast_result (full) or comment."""
    names = ["date_submitted"] + COMMENT_FIELDS + (RESPONSE_ONLY_FIELDS if full else [])
    row = {name: response[name] for name in names}
    if full and "location" in response:
        row.update({f"location_{key}": value for key, value in response["location"].items()})
    return row


def _chunk(data):
    """Frame data as one chunk of a chunked HTTP body."""
    return b"%x\r\n%s\r\n" % (len(data), data)


class Handler(BaseHTTPRequestHandler):
    """Answers one request as the stand-in `api` (set on a subclass by _make_handler())."""

    protocol_version = "HTTP/1.1"
    api = None

    def do_GET(self):
        query = {key: values[-1] for key, values in parse_qs(urlparse(self.path).query).items()}
        if query.get("getMethod") in ADMIN_METHODS:  # a write: out of the faults' way
            self.api.log_request(query, "ok")
            return self._send_parts(*self.api.answer_parts(query))
        raw = self.api.raw_answers.get(query.get("getMethod"))
        if raw is not None:
            self.api.log_request(query, "raw")
            self.close_connection = True
            return self.wfile.write(raw)
        stall = self.api.next_stall(query.get("getMethod"))
        if stall is not None:
            self.api.log_request(query, f"stall {stall}")
            return self._stall(stall, self.api.answer(query)[2])
        fault = self.api.pick_fault()
        self.api.log_request(query, fault or "ok")
        if fault is None:
            return self._send_parts(*self.api.answer_parts(query))
        if fault == "drop":
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        if fault == "429_long":
            headers = {"Retry-After": f"{self.api.retry_after_once:g}"}
            return self._send(429, headers, b"too many requests")
        if fault in ("500", "503", "429"):
            headers = {"Retry-After": "1"} if fault == "429" else {}
            return self._send(int(fault), headers, b"temporarily unavailable")
        status, headers, body = self.api.answer(query)
        if len(body) <= 1:
            return self._send(status, headers, body)  # nothing to cut
        self._send_cut(fault, body)

    def _stall(self, stall, body):
        """Answer so that the answer never ends, though bytes keep coming: see STALLS."""
        self.close_connection = True
        head = b"HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\n"
        if stall == "header":
            start, tick = head + b"X-Slow: ", b"z"
        elif stall == "chunk_size":
            start, tick = head + b"Transfer-Encoding: chunked\r\n\r\n", b"0"
        elif stall == "trailers":
            framing = b"Transfer-Encoding: chunked\r\n\r\n" + _chunk(body) + b"0\r\n"
            start, tick = head + framing, b"X-Trailer: 1\r\n"
        else:
            coded = gzip.compress(body) if stall == "gzip_garbage" else b""
            start = head + b"Content-Encoding: gzip\r\nConnection: close\r\n\r\n" + coded
            tick = b"garbage!" if stall == "gzip_garbage" else gzip.compress(b"")
        ends = time.monotonic() + STALL_MOST_SECONDS
        try:
            self.wfile.write(start)
            while time.monotonic() < ends:
                self.wfile.write(tick)
                self.wfile.flush()
                time.sleep(STALL_TICK_SECONDS)
        except OSError:  # the client went away
            pass

    def _send_cut(self, fault, body):
        """Send half an answer, then close, in the way the fault names."""
        self.send_response(200)
        first, rest = body[: len(body) // 2], body[len(body) // 2 :]
        if fault == "cut_chunked":
            # Send the first half as a chunk, then announce a chunk of the rest, send half of
            # it and close: the chunk framing shows the cut; what arrives is a prefix.
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            self.wfile.write(_chunk(first))
            self.wfile.write(b"%x\r\n%s" % (len(rest), rest[: len(rest) // 2]))
        elif fault == "cut":
            # Cut mid-body with no Content-Length: only the XML shows it ended early.
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(first)
        else:
            # "cut_length": announce the whole body, send half, close: HTTP shows it.
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(first)
        self.close_connection = True

    def _send_parts(self, status, headers, parts):
        """Send a body of several pieces in chunks as they come, else with its length."""
        if len(parts) <= 1:
            return self._send(status, headers, b"".join(parts))
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        try:
            pending, size = [], 0
            for part in parts:
                pending.append(part)
                size += len(part)
                if size >= STREAM_CHUNK_BYTES:
                    self.wfile.write(_chunk(b"".join(pending)))
                    pending, size = [], 0
            if pending:
                self.wfile.write(_chunk(b"".join(pending)))
            self.wfile.write(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def _send(self, status, headers, body):
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        try:
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def log_message(self, format, *args):
        """Keep the console quiet: requests are logged in api.requests, key masked."""


def _make_handler(api):
    """Return the request handler class bound to one FakeCustomerThermometer."""
    return type("BoundHandler", (Handler,), {"api": api})


# The variants with a choice of behaviours: option -> (choices, the default first; help).
VARIANT_CHOICES = {
    "keep": (
        ["newest", "oldest", "latest_id"],
        "which records a limited answer keeps (`latest_id`: the latest sends, whose responses "
        "came up to --response-lag days later)",
    ),
    "order": (["newest_first", "oldest_first"], "in which order an answer lists its records"),
    "comments_shape": (
        ["comment", "blast"],
        "`blast`: getComments answers with the blast-response root and records",
    ),
    "names": (
        ["snake", "capitalised"],
        "`capitalised`: <Thermometers><Thermometer><ID>, <TemperatureID>...",
    ),
    "fields_as": (["elements", "attributes"], '`attributes`: <thermometer id="101" name="S"/>'),
    "datetimes": (
        ["plain", "iso_offset", *DATETIME_LAYOUTS],
        "`iso_offset`: 2017-08-18T22:33:39+00:00, with varying offsets; `day_first`: "
        "18/08/2017 22:33:39; `month_first`: 08/18/2017 22:33:39; `year_slash`: 2017/08/18 "
        "22:33:39; `day_first_dots`: 18.08.2017 22:33:39",
    ),
    "to_date": (
        ["inclusive", "midnight"],
        "`midnight`: toDate compared with a datetime as its midnight (its day is left out)",
    ),
    "date_filter": (
        ["date_submitted", "blast_date"],
        "`blast_date`: fromDate/toDate select responses by their send date",
    ),
    "limit_refusal": (
        ["document", "status", "text", "empty"],
        "how a `limit` above --max-limit is refused: an XML error document (HTTP 200), HTTP 400, "
        "a plain-text complaint (HTTP 200), or silently, with an empty list",
    ),
    "comment_dates": (
        ["dated", "undated"],
        "`undated`: getComments records carry neither date_submitted nor response_date",
    ),
    "counts": (
        ["exact", "answered", "capped", "with_deleted", "none"],
        "what getNumResponsesValue counts: every response, `answered` ones only (no bounce), "
        "the records a capped list would hold, or every response and some deleted over 90 days "
        "ago; `none`: it answers `Unknown method`, as an account without it would",
    ),
}


# The --help epilog, a paragraph a line (indented: at that indent): the admin operations over
# HTTP (ADMIN_METHODS).
ADMIN_HELP = "\n".join(
    [
        "admin operations (between syncs, what an account's admin may do and the connector must "
        "reconcile): a GET with the right apiKey; each answers `1` (HTTP 200, text/plain), or "
        "`Invalid response ID` (HTTP 200) for an id that is not a number or not the account's. "
        "No fault, stall or cut answers them.",
        "  deleteResponse (the API's own write method): the response leaves every list, count "
        "and value answer, as if in the bin of deleted responses that no method lists.",
        "    http://127.0.0.1:PORT/api.php?apiKey=KEY&getMethod=deleteResponse&responseID=100123",
        "  hideComment: comment_hidden becomes 1; both list methods still list the response.",
        "    http://127.0.0.1:PORT/api.php?apiKey=KEY&getMethod=hideComment&responseID=100123",
        "  removeComment: the comment text is removed: getComments no longer lists the "
        "response, and getBlastResults lists it without a comment.",
        "    http://127.0.0.1:PORT/api.php?apiKey=KEY&getMethod=removeComment&responseID=100123",
        "  moveResponse: date_submitted and response_date move by `days` days (negative: "
        "earlier), at the same time of day; `Invalid days` when days is not a whole number "
        "(or would move it off the calendar).",
        "    http://127.0.0.1:PORT/api.php?apiKey=KEY&getMethod=moveResponse&responseID=100123"
        "&days=-2",
    ]
)


class _LinesHelpFormatter(argparse.HelpFormatter):
    """Wrap each line of a text of several lines (the epilog) as a paragraph of its own, at
    its own indent, never breaking a long word (a URL); a text of one line is wrapped as
    argparse does."""

    def _fill_text(self, text, width, indent):
        if "\n" not in text:
            return super()._fill_text(text, width, indent)
        paragraphs = []
        for line in text.splitlines():
            inner = indent + line[: len(line) - len(line.lstrip())]
            paragraphs.append(
                textwrap.fill(
                    " ".join(line.split()),
                    width,
                    initial_indent=inner,
                    subsequent_indent=inner,
                    break_long_words=False,
                    break_on_hyphens=False,
                )
            )
        return "\n".join(paragraphs)


def main(argv=None):
    """Run the stand-in from the shell until SIGINT or SIGTERM."""
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0], epilog=ADMIN_HELP, formatter_class=_LinesHelpFormatter
    )
    parser.add_argument("--port", type=int, default=0, help="port to listen on (0: any free port)")
    parser.add_argument("--port-file", help="write the port to this file once listening")
    parser.add_argument("--responses", type=int, default=1000, help="survey responses to hold")
    parser.add_argument("--days", type=int, default=365, help="days the responses span")
    parser.add_argument("--seed", type=int, default=1, help="seed of the data set and faults")
    parser.add_argument("--api-key", default=DEFAULT_API_KEY, help="the only key accepted")
    parser.add_argument(
        "--fault-rate", type=float, default=0.0, help="share of requests answered with a fault"
    )
    parser.add_argument("--request-log", help="append the masked request log here at exit")
    variants = parser.add_argument_group(
        "variants", "what a real account may do differently (each lands every row: see README)"
    )
    variants.add_argument(
        "--cap", type=int, help="answer at most this many records, whatever `limit` says"
    )
    variants.add_argument(
        "--ignore-limit", action="store_true", help="ignore `limit`: answer at most 200 records"
    )
    for name, (choices, help_text) in VARIANT_CHOICES.items():
        variants.add_argument(
            f"--{name.replace('_', '-')}", choices=choices, default=choices[0], help=help_text
        )
    variants.add_argument(
        "--later-cap",
        type=int,
        help="answer at most this many records once --later-after answers of a list method were "
        "given (a cap that drops between syncs, or within one: a cap by time)",
    )
    variants.add_argument(
        "--later-after", type=int, default=0, help="answers of a method before --later-cap"
    )
    variants.add_argument(
        "--cap-range",
        type=int,
        nargs=2,
        metavar=("LOW", "HIGH"),
        help="answer at most a number of records drawn afresh for each list answer from LOW to "
        "HIGH (a cap that is not one fixed number)",
    )
    variants.add_argument(
        "--retry-after-once",
        type=float,
        metavar="SECONDS",
        help="answer the first request HTTP 429 with this Retry-After (an API asking for an hour)",
    )
    variants.add_argument(
        "--max-limit",
        type=int,
        help="refuse a list request whose `limit` is above this (see --limit-refusal); one "
        "without `limit` is answered",
    )
    variants.add_argument(
        "--answer-all",
        action="store_true",
        help="ignore `limit` and answer every record selected (one answer may hold them all)",
    )
    variants.add_argument(
        "--cap-bytes",
        type=int,
        help="answer the whole records that fit in this many bytes (a cap by size: at least one)",
    )
    variants.add_argument(
        "--response-lag", type=int, default=4, help="days a response may come after its send"
    )
    variants.add_argument(
        "--untempered",
        type=float,
        default=0.0,
        help="share of responses without a temperature (no temperatureID selects them)",
    )
    variants.add_argument(
        "--utc-offset-hours",
        type=int,
        default=0,
        help="the account's time zone: responses are dated at this offset from UTC (-12..14)",
    )
    variants.add_argument(
        "--timeout-over-days",
        type=int,
        help="answer HTTP 504 to list requests for ranges longer than this many days",
    )
    variants.add_argument(
        "--ignore-dates",
        action="store_true",
        help="ignore `fromDate`/`toDate`: every answer covers every day",
    )
    args = parser.parse_args(argv)
    api = FakeCustomerThermometer(
        responses=args.responses,
        days=args.days,
        seed=args.seed,
        api_key=args.api_key,
        fault_rate=args.fault_rate,
        port=args.port,
        cap=args.cap,
        ignore_limit=args.ignore_limit,
        ignore_dates=args.ignore_dates,
        response_lag=args.response_lag,
        later_cap=args.later_cap,
        later_after=args.later_after,
        untempered=args.untempered,
        utc_offset_hours=args.utc_offset_hours,
        timeout_over_days=args.timeout_over_days,
        cap_range=tuple(args.cap_range) if args.cap_range else None,
        cap_bytes=args.cap_bytes,
        answer_all=args.answer_all,
        retry_after_once=args.retry_after_once,
        max_limit=args.max_limit,
        **{name: getattr(args, name) for name in VARIANT_CHOICES},
    )
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    api.start()
    if args.port_file:
        with open(args.port_file, "w") as port_file:
            port_file.write(str(api.port))
    print(f"stand-in Customer Thermometer API on {api.base_url}", flush=True)
    stop.wait()
    api.stop()
    if args.request_log:
        import json

        with open(args.request_log, "a") as log_file:
            for entry in api.requests:
                log_file.write(json.dumps(entry) + "\n")


if __name__ == "__main__":
    main()
