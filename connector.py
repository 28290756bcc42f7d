"""Customer Thermometer connector for the Fivetran Connector SDK.

Syncs a Customer Thermometer account's survey responses, comments, recipient lists, thermometers
and headline metrics into five typed tables. `update()` walks five endpoint functions
(`sync_blast_results()` ... `sync_metrics()`), which call one request helper
(`make_api_request()`), parse the XML as it streams (`iter_records()`), upsert typed rows
(`build_row()`) and return their cursor; the accumulated state is checkpointed once, at the end.

The API's quirks, and the design that answers each of them:
- One `GET` endpoint with the key in the URL (`apiKey=...`): every URL, message and exception the
  connector logs or raises goes through `mask_secrets()`, including what `requests` says itself.
- No pagination, no schema, and an answer capped at `limit` records, or perhaps fewer (a cap that
  may change, keep any records, and date bounds whose meaning is not documented): the connector
  sends `limit=10000` and reads `comment` and `blast_result` by date window, and a window counts
  as read only when the answers prove it (`TableWalk`): an answer smaller than another of this
  sync, a count believed as far as it proved right (`CountWitness`), or smaller windows that find
  again all it held (`split()`); what they show about the bounds is adapted to and said; what
  cannot be proven is a warning (`warn_unproven()`).
- Element names are known from a few examples only: any root is a list, a record's fields are
  its elements and attributes, named as Fivetran names columns; each table's shape is logged.
- A rejected key is answered with HTTP 200 and a plain-text body: a list body that is not XML, or a
  value body that is not a number, is an error and never data; one that mentions the key stops the
  sync at once.
- Answers can be megabytes, slow or hostile: bodies are parsed as the bytes arrive, 8 KB at a
  time, each record released once handed on; an answer has a deadline and a size, a record a
  size, and a DTD is refused. Every 10,000 upserts the state the sync started with is
  checkpointed again, which commits the rows without moving any cursor.

See the Fivetran Connector SDK documentation: https://fivetran.com/docs/connectors/connector-sdk
"""

# For reading configuration from a JSON file when run directly
# For the window record and the breadth-first flattening
import collections

# For caching normalised field names, and binding each table's sync to its arguments
import functools

# For reading entities and character references a key may be echoed in, and HTML's entities
import html
import html.entities

# For checking that base_url names a host (a name or an IP address)
import ipaddress
import json

# For masking the key in what the HTTP libraries log
import logging

# For refusing a metric that is not a finite number
import math

# For reading a row's primary key
import operator

# For matching numbers, keys and tags in the API's answers
import re

# For ending a request at its answer's deadline, whatever it is waiting on
import socket
import threading

# For the retry back-off
import time

# For masking the key in a traceback the HTTP libraries log
import traceback

# For date windows and typed values
from datetime import date, datetime, timedelta, timezone

# For masking the key in URL-encoded form, and for naming the host a redirect points to
from urllib.parse import quote, quote_plus, unquote_plus, urljoin, urlparse

# For streaming XML parsing with the standard library
from xml.etree import ElementTree
from xml.etree.ElementTree import Element, ParseError, TreeBuilder, XMLParser

# For masking the key in XML-escaped form
from xml.sax.saxutils import escape as xml_escape

# For the HTTP requests (pre-installed in Fivetran's runtime)
import requests

# Import required classes from fivetran_connector_sdk
# For the setup form and its test
from fivetran_connector_sdk import ConfigurationForm, Connector, Test, form_field

# For enabling Logs in your connector code
from fivetran_connector_sdk import Logging as log

# For supporting Data operations like Upsert(), Update(), Delete() and checkpoint()
from fivetran_connector_sdk import Operations as op

# For connections that an answer's deadline can end (see AnswerWatch)
from requests.adapters import HTTPAdapter
from requests.packages.urllib3.connection import HTTPConnection, HTTPSConnection
from requests.packages.urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

# For the errors of reading a body as it arrives: urllib3's, through requests (which bundles it),
# so that the deployed connector imports nothing but requests
from requests.packages.urllib3.exceptions import (
    ConnectTimeoutError,
    DecodeError,
    NewConnectionError,
    ProtocolError,
    ReadTimeoutError,
)
from requests.utils import DEFAULT_ACCEPT_ENCODING

__DEFAULT_BASE_URL = "https://app.customerthermometer.com/api.php"
__DEFAULT_FROM_DATE = "1970-01-01"
__DEFAULT_LOOKBACK_DAYS = 2
__MAX_LOOKBACK_DAYS = 365
__MIN_API_KEY_LENGTH = 10
__RECORD_LIMIT = 10000  # sent as `limit`; the API may cap its answers lower, or ignore it
__DATED_TABLES = ("comment", "blast_result")
__TEMPERATURE_IDS = (1, 2, 3, 4)  # Gold, Green, Yellow, Red: a full day is asked for by each
__REQUEST_TIMEOUT_SECONDS = 30
# What a server (or a gateway in front of it) answers when it gave up on a request in time:
# 408 Request Timeout, 504 Gateway Timeout, and Cloudflare's 524 (a timeout reached).
__TIMEOUT_STATUSES = (408, 504, 524)
__MAX_RETRIES = 3
__BACKOFF_BASE_SECONDS = 1
__MAX_RETRY_AFTER_SECONDS = 60
__CHUNK_BYTES = 65536  # read from the network at a time
__FEED_BYTES = 8192  # handed to the XML parser at a time (see iter_records())
__MAX_PROLOG_BYTES = 65536  # what may come before the root element
__MAX_RECORD_DEPTH = 32  # levels of elements within one record
__MAX_COLUMNS = 500  # columns a table may gain in a sync beyond its declared ones
__MAX_VALUE_CHARS = 2**20  # of one value: a longer one is cut, with a warning
__MAX_REPORTED_NAMES = 50  # field names a shape report lists (each cut to 60 characters)
__BODY_SNIPPET_CHARS = 200
__SNIPPET_READ_BYTES = 1000  # read for a snippet: masked whole, then cut to 200 characters
__ANSWER_DEADLINE_SECONDS = 300  # for one whole answer (each read also has its own time-out)
__STALL_BYTES = 2**20  # an answer past its deadline with less than this read had stalled
__MAX_ANSWER_BYTES = 256 * 2**20  # of one answer, decompressed; a larger window is split
__MAX_RECORD_BYTES = 32 * 2**20  # of one record
__MAX_WINDOWS_PER_TABLE = 5000  # requests (before retries) for one dated table in one sync
__MAX_HISTORY_RANGES = 20  # ranges of days still to read saved per table (nearest ones merged)
__RECENT_DAYS = 7  # a first sync that may stop on its budget reads these days first
__MAX_MARGIN_DAYS = 1  # asked around a window's own days once its bounds proved not to be days
__PROBE_SPAN_FACTOR = 4  # an incremental window is proven by one as many times longer before it
__CHECKPOINT_EVERY_ROWS = 10000
# A table says how far it got at least every so many rows or seconds, whichever comes first.
__PROGRESS_EVERY_ROWS = 10000
__PROGRESS_EVERY_SECONDS = 30
__PROGRESS_EVERY_RECORDS = 64  # records read between two looks at the clock (and at each answer)
__MAX_WARNINGS_PER_KIND = 5  # the first five of each kind are logged; the summary counts all
__MASK = "***"
# The loggers of the HTTP libraries (each module of urllib3 logs to its own).
LIBRARY_LOGGERS = (
    "requests",
    "urllib3",
    "urllib3.connection",
    "urllib3.connectionpool",
    "urllib3.poolmanager",
    "urllib3.response",
    "urllib3.util.retry",
)
__MASKED_PIECE_CHARS = 6  # no piece of the key this long survives mask_secrets()
__MAX_DECODINGS = 10  # URL and entity decodings of a text, until nothing changes

__NUMBER_PATTERN = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")
__KEY_IN_URL_PATTERN = re.compile(r"(apiKey=)[^&\s'\"]*", re.IGNORECASE)
__URL_CREDENTIALS_PATTERN = re.compile(r"(\b[A-Za-z][A-Za-z0-9+.-]*://)[^/\s@]*@")
__HOST_PATTERN = re.compile(
    r"[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*\.?"
)
# What a body says when the key itself was refused ("Invalid API Key" and its kin), and when
# requests came too fast: a mere mention of "API key", or a 403 page, is neither.
__KEY_REJECTED_PATTERN = re.compile(
    r"(invalid|incorrect|wrong|unknown|expired|revoked|disabled|missing)\W+(api\W*)?key\b"
    r"|\bapi\W*key\W+(is\W+|has\W+|was\W+)?(been\W+)?(invalid|incorrect|wrong|not\W+valid"
    r"|no\W+longer\W+valid|expired|revoked|disabled|not\W+recogni[sz]ed|required|missing)\b"
    r"|\b(access\W+)?denied\W+for\W+(this|the|your)\W+api\W*key\b"
    r"|^\W*(401\W+)?unauthori[sz]ed\W*$",  # a body that is only that word
    re.IGNORECASE,
)
__RATE_LIMITED_PATTERN = re.compile(
    r"\btoo\W+many\W+requests\b|\brate\W*limit|\bslow\W+down\b", re.IGNORECASE
)
# The content codings requests decodes here (gzip and deflate, and br or zstd where installed).
__READABLE_ENCODINGS = frozenset(
    {"identity", "x-gzip"} | {name.strip() for name in DEFAULT_ACCEPT_ENCODING.split(",")}
)
# White space, an XML declaration, a processing instruction or a comment, before the root.
__PROLOG_TOKEN_PATTERN = re.compile(rb"\s+|<\?.*?\?>|<!--.*?-->", re.DOTALL)
__NAME_BOUNDARY_PATTERN = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
__NON_NAME_PATTERN = re.compile(r"[^0-9A-Za-z]+")
__ERROR_ROOTS = ("error", "errors", "fault")  # an error where a record should be, lower case
# What XmlRepair looks for (named without leading underscores: a class's methods read them): a
# character XML forbids, an & that is not one of XML's five entities, and the edges of a CDATA
# section (or a `]]>` outside one).
CONTROL_BYTES = bytes(code for code in range(32) if code not in (9, 10, 13))
FORBIDDEN_CHARACTER_PATTERN = re.compile(b"[" + re.escape(CONTROL_BYTES) + b"]")
NONCHARACTER_PATTERN = re.compile(b"\xef\xbf[\xbe\xbf]")
TRAILING_REFERENCE_PATTERN = re.compile(rb"&#x?[0-9A-Fa-f]{1,12};$")
# A "<" that starts no markup (`I <3 it`, `a < b`): a name, `/`, `!` or `?` must follow.
BARE_LESS_THAN_PATTERN = re.compile(rb"<(?![A-Za-z_:/!?\x80-\xff])")
UNKNOWN_AMPERSAND_PATTERN = re.compile(rb"&(?!(?:amp|lt|gt|quot|apos);)")
CDATA_EDGE_PATTERN = re.compile(rb"(<!\[CDATA\[|\]\]>)")
__UTF8_NAME_PATTERN = re.compile(r"utf-?8", re.IGNORECASE)
# A reference: named, numeric (two in a row, for a surrogate pair), or an & that starts none.
REFERENCE_PATTERN = re.compile(
    rb"&(?:(?P<name>[A-Za-z][A-Za-z0-9]{0,31});|(?!#(?:x[0-9A-Fa-f]+|[0-9]+);))"
)
# An answer's records a RecordParser skips at most (past them the answer is malformed), and
# the response_ids of them it notes at most, looking for one in this many bytes.
MAX_UNREADABLE_RECORDS = 100
LINE_END_PATTERN = re.compile(rb"\r\n?|\n")
BETWEEN_PATTERN = re.compile(rb"(?:\s+|<\?.*?\?>|<!--.*?-->)*", re.DOTALL)  # two records
BETWEEN_HELD_BYTES = 65536  # held while skipping: a record's end tag, and what follows it
MAX_NOTED_IDS = 5
ID_SEARCH_BYTES = 1000
# The start tag of an answer's root, after its prolog; a response_id in a record's bytes.
ROOT_START_PATTERN = re.compile(rb"<[^\s/>!?]+(?:\s+[^\s=/>]+\s*=\s*(?:\"[^\"]*\"|'[^']*'))*\s*>")
RESPONSE_ID_PATTERN = re.compile(
    rb"response_?id\s*(?:>\s*|=\s*[\"'])([^<\"']{1,60})", re.IGNORECASE
)
NUMBER_REFERENCE_PATTERN = re.compile(rb"&#(x[0-9A-Fa-f]+|[0-9]+);")
__HTML_PAGE = "an HTML page, not the API's XML"
# What a root's attributes say when the answer is an error (`status="error"`, `message="Service
# unavailable"`), not an empty list.
__ERROR_WORD_PATTERN = re.compile(
    r"error|fail|fault|unavailable|denied|invalid|exceeded|forbidden|too many", re.IGNORECASE
)
__SYSTEM_ERROR_PATTERN = re.compile(r"\[Errno -?\d+\] ([^'\"()\]]+)")
__LEADING_BYTES = b" \t\r\n\xef\xbb\xbf"  # white space and a UTF-8 byte order mark
__DATE_PATTERN = re.compile(r"\d{4}-\d{2}-\d{2}")
__LOOKBACK_PATTERN = re.compile(r"\d{1,3}")
__DECLARED_ENCODING_PATTERN = re.compile(rb"<\?xml[^>]*?encoding\s*=\s*[\"']([^\"']*)", re.DOTALL)
__MAX_QUOTED_ENCODING_CHARS = 40

# The survey response fields the API is known to send, for `comment` and `blast_result` alike.
__RESPONSE_COLUMNS = {
    "response_id": "LONG",
    "blast_id": "LONG",
    "thermometer_id": "LONG",
    "temperature_id": "INT",
    "date_submitted": "NAIVE_DATETIME",
    "response_date": "NAIVE_DATETIME",
    "blast_date": "NAIVE_DATETIME",
    "response_bounced": "BOOLEAN",
    "comment_hidden": "BOOLEAN",
    "response": "STRING",
    "recipient": "STRING",
    "first_name": "STRING",
    "last_name": "STRING",
    "company": "STRING",
    "comment": "STRING",
    **{f"custom_{number}": "STRING" for number in range(1, 13)},
}
__NAMED_COLUMNS = {"id": "LONG", "name": "STRING"}

# One spec per table: what schema() declares and what the sync functions read.
TABLE_SPECS = {
    "comment": {
        "method": "getComments",
        "root": "comments",
        "record": "comment",
        "primary_key": ["response_id", "date_submitted"],
        "columns": __RESPONSE_COLUMNS,
        # No value method counts comments: the responses with a comment that blast_result read
        # whole in this sync, tallied per day, are the second witness (see CountWitness).
        "tallied_from": "blast_result",
    },
    "blast_result": {
        "method": "getBlastResults",
        "root": "thermometer_blast_responses",
        "record": "thermometer_blast_response",
        "primary_key": ["blast_id", "response_id", "thermometer_id", "date_submitted"],
        "columns": __RESPONSE_COLUMNS,
        # Counts what this method lists (responses), with the same date, temperature and blast
        # parameters: a second witness of an answer's size (see CountWitness).
        "counted_by": "getNumResponsesValue",
    },
    "recipient_list": {
        "method": "getRecipientLists",
        "root": "recipient_lists",
        "record": "recipient_list",
        "primary_key": ["id"],
        "columns": __NAMED_COLUMNS,
    },
    "thermometer": {
        "method": "getThermometers",
        "root": "thermometers",
        "record": "thermometer",
        "primary_key": ["id"],
        "columns": __NAMED_COLUMNS,
    },
    "metric": {
        "primary_key": ["metric_name", "recorded_at"],
        "columns": {
            "metric_name": "STRING",
            "metric_value": "DOUBLE",
            "recorded_at": "UTC_DATETIME",
            "from_date": "NAIVE_DATE",
            "to_date": "NAIVE_DATE",
            "responses_counted": "LONG",
        },
    },
}

# What one answer, and one table's windows, may take: a SyncContext starts from these (tests
# lower them on theirs).
SYNC_LIMITS = {
    "answer_deadline_seconds": __ANSWER_DEADLINE_SECONDS,
    "max_answer_bytes": __MAX_ANSWER_BYTES,
    "max_record_bytes": __MAX_RECORD_BYTES,
    "max_windows_per_table": __MAX_WINDOWS_PER_TABLE,
    "checkpoint_every_rows": __CHECKPOINT_EVERY_ROWS,
    "progress_every_rows": __PROGRESS_EVERY_ROWS,
    "progress_every_seconds": __PROGRESS_EVERY_SECONDS,
}

# The value methods behind the `metric` table: metric name -> (API method, asked for a date range).
METRIC_METHODS = {
    "num_responses": ("getNumResponsesValue", True),
    "response_rate": ("getResponseRateValue", True),
    "temp_rating": ("getTempRatingValue", True),
    "nps": ("getNPSValue", True),
    "happiness": ("getHappinessValue", True),
    "send_quota": ("getSendQuota", False),
}


class CustomerThermometerError(Exception):
    """Base class of the errors this connector raises about the API."""


class AuthenticationError(CustomerThermometerError):
    """Customer Thermometer rejected the API key: the sync stops at once, without retrying."""


class ApiError(CustomerThermometerError):
    """A request failed for good (after its retries, or with an answer that is never data)."""


class UnreachableError(ApiError):
    """The API's host could not be reached at all (connection refused, name not resolved), even
    after the retries, or its answers stalled: the sync stops there rather than retrying every
    other table in full.

    Args:
        message: what failed, key masked.
        reason: why (as the system said it), and on which request (key masked).
        host: the API's host.
        what: what the API did not do at the host, for the sync's error.
    """

    def __init__(self, message, reason, host, what="could not be reached at"):
        super().__init__(message)
        self.reason = reason
        self.host = host
        self.what = what


class TransientError(CustomerThermometerError):
    """A failure worth retrying: 429, 5xx, a body cut short.

    Args:
        message: what happened, key masked.
        retry_after: seconds the API asked to wait, or None.
        unreachable: why the host could not be reached at all, when it could not (see
            UnreachableError); None otherwise.
    """

    def __init__(self, message, retry_after=None, unreachable=None):
        super().__init__(message)
        self.retry_after = retry_after
        self.unreachable = unreachable


class AnswerLimitError(CustomerThermometerError):
    """An answer past its size (asking again would not help): a multi-day window is split
    instead."""


class WindowTimeoutError(CustomerThermometerError):
    """A time-out (or an answer past its limits) on a window longer than one day: it is split."""


class UnexpectedBodyError(CustomerThermometerError):
    """An answer that is neither XML (for a list) nor a number (for a value), or an XML error
    document.

    Args:
        snippet: the first characters of the body, not yet masked.
        kind: what the body is, for a message.
    """

    def __init__(self, snippet, kind="a body that is not XML"):
        super().__init__("unexpected body")
        self.snippet = snippet
        self.kind = kind


def _utc_now():
    """Return the current time in UTC; tests replace this to pin the clock."""
    return datetime.now(timezone.utc)


def _sleep(seconds):
    """Wait between retries; tests replace this to assert the waits without waiting."""
    time.sleep(seconds)


def _monotonic():
    """Return seconds on a clock that only moves forward; tests replace this to pin it."""
    return time.monotonic()


def say(context, level, message):
    """Log a message at a level (`log.info`, `log.warning` or `log.error`), the key masked in
    every form: whatever an answer put in it (a record's id, a tag name) never shows the key."""
    level(mask_secrets(message, context.api_key))


def count_of(number, noun):
    """Return a count as English reads it: '1 request', '0 requests', '12,500 rows'."""
    return f"{number:,} {noun}" if number == 1 else f"{number:,} {noun}s"


def mask_secrets(text, api_key):
    """Return text with the API key masked in every form, and with any URL's credentials masked.

    The key is masked in any case (upper, lower, mixed), as given, URL-encoded both ways
    (`quote_plus` encodes what `quote` keeps, such as `/`) and XML-escaped, then any `apiKey=`
    value and any `user:password@` of a URL, then any 6-character piece of a form of the key that
    is still there (from a key cut short or encoded another way). Where the text, once its URL
    encoding and its entities and character references are read (again and again, until nothing
    changes, at most ten times), holds a piece of the key, that decoded text is masked instead.
    Mask whole texts before cutting them: a cut key is no longer recognised whole.

    Args:
        text: any message, URL or exception text.
        api_key: the configured key (may be None).
    Returns:
        The text, safe to log.
    """
    text = _masked_once(str(text), api_key)
    if not api_key:
        return text
    pieces = _key_patterns(api_key)[1]
    decoded = text
    for _ in range(__MAX_DECODINGS):
        once_more = html.unescape(unquote_plus(decoded))
        if once_more == decoded:
            break
        decoded = once_more
        if pieces.search(decoded):
            text = decoded = _masked_once(decoded, api_key)
    return text


def _masked_once(text, api_key):
    """Return text with the key's forms, URL keys and credentials, then its pieces, masked."""
    if api_key:
        text = _key_patterns(api_key)[0].sub(__MASK, text)
    text = __KEY_IN_URL_PATTERN.sub(r"\1" + __MASK, text)
    text = __URL_CREDENTIALS_PATTERN.sub(r"\1" + __MASK + "@", text)
    if api_key:
        text = _key_patterns(api_key)[1].sub(__MASK, text)
    return text


@functools.lru_cache(maxsize=4)
def _key_patterns(api_key):
    """Return two patterns of a key, in any case: its whole forms, and their 6-character pieces
    (longest alternatives first, so that a whole form is masked as one)."""
    forms = _key_forms(api_key)
    pieces = {
        form[start : start + __MASKED_PIECE_CHARS]
        for form in forms
        for start in range(len(form) - __MASKED_PIECE_CHARS + 1)
    }
    return tuple(
        re.compile(
            "|".join(re.escape(item) for item in sorted(items, key=len, reverse=True)),
            re.IGNORECASE,
        )
        for items in (forms, pieces or forms)
    )


def _key_forms(api_key):
    """Return the forms the key may take in a text (none without a key).

    No form holds another (a key holds no white space), so the order they are masked in does
    not matter; what is left of one is masked afterwards, piece by piece, all the same.
    """
    if not api_key:
        return []
    escaped = xml_escape(api_key, {'"': "&quot;", "'": "&apos;"})
    return {api_key, quote_plus(api_key), quote(api_key), escaped}


def masked_snippet(text, api_key):
    """Return the first 200 characters of a body, masked before it is cut."""
    return mask_secrets(text, api_key)[:__BODY_SNIPPET_CHARS]


def _shown(text):
    """Return a configuration or state value as shown in an error: quoted, at most 40 chars."""
    text = str(text)
    return repr(text if len(text) <= 40 else text[:40] + "...")


def validate_configuration(configuration):
    """Check every configuration value and return the settings the sync uses.

    Args:
        configuration: the connector's configuration; every value is a string.
    Returns:
        A dict with `api_key`, `from_date` (date), `lookback_days` (int) and `base_url`.
    Raises:
        ValueError: naming the key that is wrong and what it expects; the key itself is never
            repeated.
    """
    api_key = _validated_api_key(configuration.get("api_key"))
    return {
        "api_key": api_key,
        "from_date": _validated_from_date(_optional_text(configuration, "from_date")),
        "lookback_days": _validated_lookback_days(_optional_text(configuration, "lookback_days")),
        "base_url": _validated_base_url(_optional_text(configuration, "base_url"), api_key),
    }


def _validated_api_key(api_key):
    """Return the API key, or raise ValueError saying what is wrong (never repeating the key)."""
    if not isinstance(api_key, str) or not api_key.strip():
        problem = "is missing or empty: expected your Customer Thermometer API key"
    elif is_placeholder(api_key):
        problem = (
            "still holds the placeholder from configuration.json, the template: run `make "
            "configure` (it asks for your Customer Thermometer API key and saves "
            "configuration.local.json), then `make debug`"
        )
    elif any(character.isspace() for character in api_key):
        problem = "contains white space: expected the key as one unbroken token"
    elif len(api_key) < __MIN_API_KEY_LENGTH:
        problem = f"is too short: expected a key of at least {__MIN_API_KEY_LENGTH} characters"
    else:
        return api_key
    raise ValueError(f"Configuration 'api_key' {problem}.")


def _validated_from_date(text):
    """Return from_date as a date (1970-01-01 when not set), or raise ValueError."""
    text = text or __DEFAULT_FROM_DATE
    try:
        from_date = date.fromisoformat(text) if __DATE_PATTERN.fullmatch(text) else None
    except ValueError:
        from_date = None
    if from_date is None:
        raise ValueError(
            f"Configuration 'from_date' is {_shown(text)}: expected a real date as YYYY-MM-DD, "
            f"such as 2024-01-31."
        )
    today = _utc_now().date()
    if from_date > today:
        raise ValueError(
            f"Configuration 'from_date' is {text}, which lies in the future: expected a date on "
            f"or before {today.isoformat()}."
        )
    return from_date


def _validated_lookback_days(text):
    """Return lookback_days as an int (2 when not set), or raise ValueError."""
    if text is None:
        return __DEFAULT_LOOKBACK_DAYS
    # At most three digits, read before int(): int() of thousands of digits is an error itself.
    if not __LOOKBACK_PATTERN.fullmatch(text) or int(text) > __MAX_LOOKBACK_DAYS:
        raise ValueError(
            f"Configuration 'lookback_days' is {_shown(text)}: expected a whole number from 0 to "
            f"{__MAX_LOOKBACK_DAYS}."
        )
    return int(text)


def _validated_base_url(text, api_key):
    """Return base_url (the API's own when not set), or raise ValueError (credentials masked)."""
    base_url = text or __DEFAULT_BASE_URL
    if not is_http_url(base_url):
        raise ValueError(
            f"Configuration 'base_url' is {_shown(mask_secrets(base_url, api_key))}: expected an "
            f"http(s) URL with a valid host name or IP address, such as {__DEFAULT_BASE_URL}."
        )
    return base_url


def is_http_url(url):
    """Return True when url is an http(s) URL with a valid host name or IP address and port."""
    if any(character.isspace() for character in url):
        return False
    try:
        parsed = urlparse(url)
        host, _port = parsed.hostname, parsed.port  # a bad IPv6 address or port raises here
    except ValueError:
        return False
    if parsed.scheme not in ("http", "https") or not host:
        return False
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        return __HOST_PATTERN.fullmatch(host) is not None and len(host) <= 253


def _optional_text(configuration, key):
    """Return an optional configuration value stripped, or None when absent or blank.

    Raises:
        ValueError: when the value is not a string.
    """
    value = configuration.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError(f"Configuration '{key}' must be a string, got {type(value).__name__}.")
    return value.strip() or None


def schema(configuration: dict):
    """Declare the five tables, their primary keys and the column types the connector knows.

    Args:
        configuration: the connector's configuration (not needed to declare the tables).
    Returns:
        The list of table declarations.
    """
    return [
        {"table": table, "primary_key": spec["primary_key"], "columns": dict(spec["columns"])}
        for table, spec in TABLE_SPECS.items()
    ]


# ---------------------------------------------------------------------------------------------
# HTTP: one request helper with retries, back-off and a masked key.
# ---------------------------------------------------------------------------------------------


class SyncContext:
    """What one sync shares between tables: settings, HTTP session, clock, counters.

    Args:
        settings: what validate_configuration() returned.
        start_state: the state the sync started with, checkpointed again to commit rows.
    """

    def __init__(self, settings, start_state):
        self.settings = settings
        self.api_key = settings["api_key"]
        self.start_state = dict(start_state)
        self.started_at = _utc_now()
        self.today = self.started_at.date()
        self.upper_bound = self.today + timedelta(days=1)
        self.host = urlparse(settings["base_url"]).hostname  # for messages
        self.session = requests.Session()
        for prefix in ("https://", "http://"):
            self.session.mount(prefix, WatchedAdapter())
        self.stalls = 0  # answers in a row that passed their deadline with little read
        self.answer_bytes = 0  # of the answer being read, decompressed
        self.log_filter = KeyMaskingFilter(self.api_key)
        for name in LIBRARY_LOGGERS:
            logging.getLogger(name).addFilter(self.log_filter)
        self.upserts = 0
        self.stats = {}
        self.shapes = {}
        self.walks = {}
        self.tally = {}  # day -> response_id of responses with a comment blast_result upserted
        self.tally_days = []  # the (first, last) days blast_result read whole, once it did
        self.doubt = False  # a table's answers showed a cap that may not be fixed (TableWalk)
        self.warnings = {}
        self.answer_deadline_seconds = SYNC_LIMITS["answer_deadline_seconds"]
        self.max_answer_bytes = SYNC_LIMITS["max_answer_bytes"]
        self.max_record_bytes = SYNC_LIMITS["max_record_bytes"]
        self.max_windows_per_table = SYNC_LIMITS["max_windows_per_table"]
        self.checkpoint_every_rows = SYNC_LIMITS["checkpoint_every_rows"]
        self.progress_every_rows = SYNC_LIMITS["progress_every_rows"]
        self.progress_every_seconds = SYNC_LIMITS["progress_every_seconds"]
        self.progress = {}  # table -> when and at how many rows it last said how far it got

    def table_stats(self, table):
        """Return the counters of one table, created on first use."""
        if table not in self.stats:
            self.stats[table] = {"requests": 0, "rows": 0, "skipped": 0, "bad_values": {}}
        return self.stats[table]

    def shape(self, table):
        """Return the ListShape of a list table's answers in this sync, created on first use."""
        if table not in self.shapes:
            self.shapes[table] = ListShape(TABLE_SPECS[table])
        return self.shapes[table]

    def walk(self, table):
        """Return the TableWalk of a dated table, started from the saved date filter."""
        if table not in self.walks:
            self.walks[table] = TableWalk(table, *read_date_filter(self.start_state, table))
        return self.walks[table]

    def close(self):
        """Release the HTTP connections and the libraries' loggers."""
        self.session.close()
        for name in LIBRARY_LOGGERS:
            logging.getLogger(name).removeFilter(self.log_filter)


class KeyMaskingFilter(logging.Filter):
    """Masks the key in every record of the HTTP libraries' loggers (urllib3 logs a URL, with
    the key in its query, on a malformed header), whatever handler the runtime gives them.

    Args:
        api_key: the configured key.
    """

    def __init__(self, api_key):
        super().__init__()
        self.api_key = api_key

    def filter(self, record):
        """Replace the record's text (and its traceback's) by its masked form; keep it."""
        record.msg, record.args = mask_secrets(record.getMessage(), self.api_key), None
        if record.exc_info:
            shown = "".join(traceback.format_exception(*record.exc_info))
            record.exc_info, record.exc_text = None, mask_secrets(shown, self.api_key)
        elif record.exc_text:
            record.exc_text = mask_secrets(record.exc_text, self.api_key)
        return True


class AnswerWatch:
    """The deadline of one request's whole answer, to its last byte (the TCP connect, before
    there is a socket to shut down, has its own time-out).

    A read's time-out bounds a silence, not a trickle: a server may send a TLS handshake, a
    header, a chunk's size or its trailers a byte at a time, or gzip members that hold
    nothing, and every read returns in time. At the deadline a timer shuts down the sockets
    the request used, which ends a read waiting on one, in any layer; the request then fails,
    and the caller reads its failure as the deadline's. A request runs inside
    `with AnswerWatch(seconds)`; the connections of WatchedAdapter enlist their sockets with
    the watch of their thread.

    Args:
        seconds: the deadline, from now.
    """

    current = threading.local()  # .watch: the watch of the request this thread is sending

    def __init__(self, seconds):
        self.expired = False
        self.ended = False
        self.sockets = []  # kept here: a connection drops its own when an answer says close
        self.copies = []  # of sockets, made by the watch, closed by it
        self.lock = threading.Lock()
        self.timer = threading.Timer(seconds, self.expire)
        self.timer.daemon = True

    def __enter__(self):
        AnswerWatch.current.watch = self
        self.timer.start()
        return self

    def __exit__(self, *exc_info):
        self.timer.cancel()
        AnswerWatch.current.watch = None
        with self.lock:
            self.ended = True
            for copy in self.copies:
                copy.close()
        return False

    @classmethod
    def enlist(cls, sock, copy=False):
        """Put a socket (or, with copy, a copy of it, which stays usable when the socket moves
        into a TLS one) under the watch of this thread's request, if one is watched."""
        watch = getattr(cls.current, "watch", None)
        if watch is None or sock is None:
            return
        while not hasattr(sock, "shutdown") and hasattr(sock, "socket"):
            sock = sock.socket  # TLS inside TLS (an HTTPS proxy): the socket it runs on
        with watch.lock:
            if copy:
                sock = sock.dup()
                watch.copies.append(sock)
            if sock not in watch.sockets:
                watch.sockets.append(sock)
            if watch.expired:
                watch.shut_down()

    def cut(self):
        """Return True when the deadline passed and shut a socket down (not when it passed
        while connecting, before any socket was made: the connect has its own time-out)."""
        with self.lock:
            return self.expired and bool(self.sockets)

    def expire(self):
        """At the deadline (in the timer's thread): shut down the request's sockets."""
        with self.lock:
            if not self.ended:
                self.expired = True
                self.shut_down()

    def shut_down(self):
        """Shut down every socket enlisted, ending the reads waiting on them."""
        for sock in self.sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except (OSError, AttributeError):  # closed already, or no socket of its own
                pass


class WatchedConnection:
    """What makes an HTTP(S) connection's sockets known to the AnswerWatch of its requests."""

    def _new_conn(self):
        """Connect, and enlist a copy of the socket: the TLS handshake that follows reads from a
        socket the watch sees only once the handshake ends (urllib3's own extension point)."""
        sock = super()._new_conn()
        AnswerWatch.enlist(sock, copy=True)
        return sock

    def request(self, *args, **kwargs):
        """Send (a connection kept alive serves several requests), and enlist the socket."""
        super().request(*args, **kwargs)
        AnswerWatch.enlist(self.sock)


class WatchedHTTPConnection(WatchedConnection, HTTPConnection):
    """An HTTP connection whose sockets an AnswerWatch can shut down."""


class WatchedHTTPSConnection(WatchedConnection, HTTPSConnection):
    """An HTTPS connection whose sockets an AnswerWatch can shut down."""


class WatchedHTTPConnectionPool(HTTPConnectionPool):
    """A pool of WatchedHTTPConnection."""

    ConnectionCls = WatchedHTTPConnection


class WatchedHTTPSConnectionPool(HTTPSConnectionPool):
    """A pool of WatchedHTTPSConnection."""

    ConnectionCls = WatchedHTTPSConnection


WATCHED_POOLS = {"http": WatchedHTTPConnectionPool, "https": WatchedHTTPSConnectionPool}
PLAIN_POOLS = {HTTPConnectionPool, HTTPSConnectionPool}


class WatchedAdapter(HTTPAdapter):
    """requests' adapter, with connections that an AnswerWatch can end (through a proxy too,
    unless a SOCKS one, whose connections are its own)."""

    def init_poolmanager(self, *args, **kwargs):
        """Make the pool manager, then give it watched pools."""
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = WATCHED_POOLS

    def proxy_manager_for(self, proxy, **proxy_kwargs):
        """Return the proxy's manager, with watched pools where they were the plain ones."""
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        if set(manager.pool_classes_by_scheme.values()) <= PLAIN_POOLS:
            manager.pool_classes_by_scheme = WATCHED_POOLS
        return manager


def upsert_row(context, table, row):
    """Upsert one row; every 10,000 upserts, commit them by checkpointing the start state.

    The start state moves no cursor, so a sync that fails later loses no row and skips none.
    """
    # The 'upsert' operation inserts the row, or replaces the row with the same primary key.
    op.upsert(table=table, data=row)
    stats = context.table_stats(table)
    stats["rows"] += 1
    if not stats["rows"] % context.progress_every_rows:
        note_progress(context, table)
    context.upserts += 1
    if context.upserts % context.checkpoint_every_rows == 0:
        # Commit the rows so far by saving the state the sync started with: no cursor moves, so
        # a failure later in the sync reads these rows again rather than skipping any.
        op.checkpoint(state=context.start_state)


def note_progress(context, table, reading=None):
    """Log how far a table got once it made 10,000 rows or 30 s since it last said so (or since
    its first request): its rows and requests so far, and what it is reading. Looked at on each
    10,000th row, every 64 records read (upserted or not), and at each request and answer's end.

    Args:
        reading: the request being sent now (its method and days), when one is.
    """
    progress = context.progress.get(table)
    now = _monotonic()
    if progress is None:
        progress = context.progress[table] = {"at": now, "rows": 0, "reading": reading}
    elif reading is not None:
        progress["reading"] = reading
    stats = context.table_stats(table)
    if (
        stats["rows"] - progress["rows"] < context.progress_every_rows
        and now - progress["at"] < context.progress_every_seconds
    ):
        return
    progress["at"], progress["rows"] = now, stats["rows"]
    say(
        context,
        log.info,
        f"{table}: {count_of(stats['rows'], 'row')} so far, "
        f"{count_of(stats['requests'], 'request')}, reading {progress['reading']}",
    )


def make_api_request(context, table, method, params, read_body, split_on_timeout=False):
    """GET one API method and read its answer, retrying transient failures with back-off.

    Args:
        context: the SyncContext.
        table: the table the request is for (its request counter is increased).
        method: the API method (`getMethod`).
        params: further query parameters (dates, limit).
        read_body: called with the streamed response; what it returns is returned. It may raise
            TransientError (a body cut short) to have the request retried.
        split_on_timeout: raise WindowTimeoutError on a time-out (a read time-out, or HTTP 408,
            504 or 524) or an answer past its limits, instead of retrying.
    Returns:
        What read_body returned.
    Raises:
        AuthenticationError: the key was rejected (never retried).
        WindowTimeoutError: a time-out, when split_on_timeout is set.
        UnreachableError: the host could not be reached, on every attempt.
        ApiError: a failure that is not transient, or one still failing after the retries.
    """
    query = {"getMethod": method, "apiKey": context.api_key, **params}
    request_label = describe_request(method, params)
    stats = context.table_stats(table)
    reason = retry_after = unreachable = None
    for attempt in range(__MAX_RETRIES + 1):
        if reason is not None:
            wait = backoff_seconds(attempt - 1, retry_after)
            say(
                context,
                log.warning,
                f"{request_label}: {reason}; retry {attempt} of {__MAX_RETRIES} in {wait:g} s",
            )
            _sleep(wait)
        stats["requests"] += 1
        note_progress(context, table, request_label)
        try:
            return _request_once(context, query, request_label, read_body, split_on_timeout)
        except TransientError as error:
            reason, retry_after = mask_secrets(error, context.api_key), error.retry_after
            unreachable = error.unreachable
    message = f"{request_label} failed after {__MAX_RETRIES + 1} attempts: {reason}"
    if unreachable is not None:
        raise UnreachableError(
            message,
            f"{unreachable}, on all {count_of(__MAX_RETRIES + 1, 'attempt')} of {request_label}",
            context.host,
        )
    raise ApiError(message)


def _request_once(context, query, request_label, read_body, split_on_timeout):
    """Send one GET and read its answer within its deadline; classify what went wrong.

    An answer past its deadline is never data, even when it seems to end well: the deadline
    cut its connection, which may have ended a body with no length early.

    Raises:
        TransientError: worth another attempt (connection errors, time-outs, 429, 5xx, a body
            cut short, an answer past its deadline).
        WindowTimeoutError: a time-out, or an answer past its limits, when split_on_timeout.
        UnreachableError: besides make_api_request()'s case, answers that stalled: as many in
            a row (across requests: any other answer breaks the row) as a request's attempts
            passed their deadline with little read.
        AuthenticationError, ApiError: see make_api_request().
    """
    context.answer_bytes = 0
    with AnswerWatch(context.answer_deadline_seconds) as watch:
        try:
            answer = _send_and_read(context, query, request_label, read_body, split_on_timeout)
        except AuthenticationError:
            raise
        except Exception:  # whatever the cut connection made fail, the deadline is why
            if not watch.cut():
                context.stalls = 0  # an answer that ended, if not well: no stall
                raise
        else:
            if not watch.cut():
                context.stalls = 0
                return answer
    raise past_deadline(context, request_label, split_on_timeout)


def past_deadline(context, request_label, split_on_timeout):
    """Return the error of an answer past its deadline: one to split its window, or to retry,
    or, when answers stalled (see _request_once()), one that stops the sync."""
    seconds = context.answer_deadline_seconds
    context.stalls = context.stalls + 1 if context.answer_bytes < __STALL_BYTES else 0
    if context.stalls > __MAX_RETRIES:
        return UnreachableError(
            f"{request_label}: the answer took longer than {seconds:g} s",
            f"{count_of(context.stalls, 'answer')} in a row stalled past their deadline of "
            f"{seconds:g} s, the last of {request_label}",
            context.host,
            what="did not finish its answers at",
        )
    message = f"the answer took longer than {seconds:g} s"
    if split_on_timeout:
        return WindowTimeoutError(f"was not read whole ({message})")
    return TransientError(message)


def _send_and_read(context, query, request_label, read_body, split_on_timeout):
    """Send one GET and read its answer: see _request_once()."""
    try:
        with context.session.get(
            context.settings["base_url"],
            params=query,
            timeout=__REQUEST_TIMEOUT_SECONDS,
            stream=True,
            allow_redirects=False,  # a redirect would take the key in its URL wherever it points
        ) as response:
            if split_on_timeout and response.status_code in __TIMEOUT_STATUSES:
                raise WindowTimeoutError(f"answered HTTP {response.status_code}")
            raise_for_status(context, response, request_label)
            check_content_encoding(context, response, request_label)
            return read_body(response)
    except AnswerLimitError as error:
        if split_on_timeout:
            raise WindowTimeoutError(f"was not read whole ({error})") from None
        raise ApiError(f"{request_label}: {error}") from None
    except (requests.exceptions.ConnectionError, requests.exceptions.Timeout) as error:
        if split_on_timeout and is_read_timeout(error):
            raise WindowTimeoutError("timed out") from None
        unreachable = unreachable_reason(error)
        if unreachable is not None:
            unreachable = mask_secrets(unreachable, context.api_key)
            message = f"could not connect to {context.host}: {unreachable}"
            raise TransientError(message, unreachable=unreachable) from None
        message = mask_secrets(error, context.api_key)
        raise TransientError(f"{type(error).__name__}: {message}") from None
    except requests.exceptions.ChunkedEncodingError as error:
        raise TransientError(f"body cut short: {mask_secrets(error, context.api_key)}") from None
    except requests.exceptions.RequestException as error:
        raise ApiError(
            f"{request_label} failed: {type(error).__name__}: "
            f"{mask_secrets(error, context.api_key)}"
        ) from None


def stream_body(context, response):
    """Yield an answer's bytes as they arrive (decompressed), within its size; count them in
    context.answer_bytes (its deadline is the AnswerWatch's).

    Reads with `read1()`, which returns what has arrived. Errors are those `iter_content()`
    raises.

    Raises:
        AnswerLimitError: the answer grew past its size.
        TransientError: the body was cut short.
        requests.exceptions.ConnectionError: a read time-out.
        requests.exceptions.ContentDecodingError: a compressed body that does not decompress.
    """
    while True:
        try:
            chunk = response.raw.read1(__CHUNK_BYTES, decode_content=True)
        except ProtocolError as error:
            raise TransientError(f"body cut short ({error})") from None
        except ReadTimeoutError as error:
            raise requests.exceptions.ConnectionError(error) from None
        except DecodeError as error:
            raise requests.exceptions.ContentDecodingError(error) from None
        if not chunk:
            return
        context.answer_bytes += len(chunk)
        if context.answer_bytes > context.max_answer_bytes:
            raise AnswerLimitError(f"the answer passed {context.max_answer_bytes:,} bytes")
        yield chunk


def describe_request(method, params):
    """Return a short description of a request for logs, without the key."""
    if "fromDate" in params:
        return f"{method} {params['fromDate']}..{params['toDate']}"
    return method


def is_read_timeout(error):
    """Return True when a requests error is a read time-out, before or during the body."""
    if isinstance(error, requests.exceptions.ReadTimeout):
        return True
    cause = error.args[0] if error.args else None
    return type(cause).__name__ == "ReadTimeoutError"


def unreachable_reason(error):
    """Return why a requests error means the host could not be reached at all (a connection
    refused or timed out, a name that does not resolve, no route), as the system said it; None
    otherwise.

    A connection that broke once it was made, or a read time-out, is not this: the host answered.
    """
    cause = error.args[0] if error.args else None
    reason = getattr(cause, "reason", cause)
    if not isinstance(reason, ConnectTimeoutError):  # NewConnectionError is one too
        return None
    if not isinstance(reason, NewConnectionError):
        return "the connection timed out"
    said = __SYSTEM_ERROR_PATTERN.search(str(reason))
    return said.group(1).strip() if said else type(reason).__name__


def backoff_seconds(attempt, retry_after):
    """Return the wait before retry number attempt + 1: Retry-After (capped) or 1, 2, 4 s."""
    if retry_after is not None:
        return min(retry_after, __MAX_RETRY_AFTER_SECONDS)
    return __BACKOFF_BASE_SECONDS * 2**attempt


def raise_for_status(context, response, request_label):
    """Classify the HTTP status of an answer.

    Raises:
        AuthenticationError: 401, or a 403 whose body says the key was refused.
        TransientError: also a 403 whose body says requests came too fast.
        TransientError: 408, 429 or 5xx, with the Retry-After seconds when given.
        ApiError: a redirect (never followed: the API has no reason to redirect, and the key
            would go wherever it points), or any other status that is not 2xx.
    """
    status = response.status_code
    if status == 403:  # a key refused, or a firewall's or a rate limit's page: the body says
        snippet = read_snippet(stream_body(context, response))
        raise_if_key_rejected(f"{request_label} (HTTP 403)", snippet, context.api_key)
        raise ApiError(
            f"{request_label} answered HTTP 403: "
            f"{masked_snippet(snippet, context.api_key)!r} (not a refused key: it does not say so)"
        )
    if 300 <= status < 400:
        target = urljoin(context.settings["base_url"], response.headers.get("Location") or "")
        host = mask_secrets(urlparse(target).hostname or "nowhere", context.api_key)[:100]
        raise ApiError(
            f"{request_label} answered HTTP {status}, a redirect to {host}, not followed (the key "
            f"travels in the URL): check base_url, or the proxy in front of the API"
        )
    if status == 401:
        raise AuthenticationError(
            f"Customer Thermometer rejected the API key (HTTP {status} for {request_label}): "
            f"check 'api_key' in the configuration."
        )
    if status in (408, 429) or status >= 500:
        raise TransientError(f"HTTP {status}", parse_retry_after(response.headers))
    if not 200 <= status < 300:
        snippet = masked_snippet(read_snippet(stream_body(context, response)), context.api_key)
        raise ApiError(f"{request_label} answered HTTP {status}: {snippet!r}")


def check_content_encoding(context, response, request_label):
    """Refuse an answer in a content coding requests does not decode here, naming it.

    Raises:
        ApiError: a `Content-Encoding` other than identity, gzip, deflate (or br or zstd where
            installed).
    """
    coding = response.headers.get("Content-Encoding") or "identity"
    names = {name.strip().lower() for name in coding.split(",")}
    if not names <= __READABLE_ENCODINGS:
        shown = mask_secrets(coding, context.api_key)
        raise ApiError(
            f"{request_label} answered in the content encoding {_shown(shown)}, which the "
            f"connector cannot decode (it reads {', '.join(sorted(__READABLE_ENCODINGS))})"
        )


def parse_retry_after(headers):
    """Return Retry-After in seconds when the header holds a number of seconds, else None."""
    value = (headers.get("Retry-After") or "").strip()
    return float(value) if __NUMBER_PATTERN.fullmatch(value) and float(value) >= 0 else None


def read_snippet(chunks, head=b""):
    """Return the start of a body, for an error message: mask it before cutting it to 200 chars.

    Args:
        chunks: the body's remaining bytes, as an iterable of chunks.
        head: the bytes of the body read already.
    Returns:
        Its first 1,000 bytes or so, decoded and stripped.
    """
    for chunk in chunks:
        if len(head) >= __SNIPPET_READ_BYTES:
            break
        head += chunk
    return _decoded(head[: __SNIPPET_READ_BYTES * 2])


def _decoded(data):
    """Return bytes of a body as text for a message (what is not UTF-8 replaced), stripped of
    white space and of a byte-order mark."""
    return data.decode("utf-8", errors="replace").strip().lstrip("\ufeff").strip()


def raise_if_key_rejected(request_label, snippet, api_key):
    """Raise AuthenticationError when a body that is not data says the key was refused, and
    TransientError when it says requests came too fast.

    That is how the API says it rejects a key: with HTTP 200 and a short message (`Invalid API
    Key`). A body that only mentions the key ("Too many requests for this API key") is not that.
    """
    if __KEY_REJECTED_PATTERN.search(snippet):
        raise AuthenticationError(
            f"Customer Thermometer rejected the API key ({request_label} answered "
            f"{masked_snippet(snippet, api_key)!r}): check 'api_key' in the configuration."
        )
    if __RATE_LIMITED_PATTERN.search(snippet):
        raise TransientError(f"answered {masked_snippet(snippet, api_key)!r} (rate limited)")


# ---------------------------------------------------------------------------------------------
# XML: records parsed as the bytes arrive, each released once it has been handed on.
# ---------------------------------------------------------------------------------------------


class ListShape:
    """How one table's answers were shaped in this sync, for the shape report.

    Records are the root's children whatever their names; the documented names are only compared
    with what arrived, so that a user with a real account can see, and report, how it answers.

    Args:
        spec: the table's TABLE_SPECS entry.
    """

    def __init__(self, spec):
        self.expected = (spec["root"], spec["record"])
        self.declared = set(spec["columns"])
        self.roots = set()
        self.records = set()
        # The table's columns in this sync: the declared ones, then each new field's, up to 500.
        self.fields = set(self.declared)
        self.empty_records = 0
        self.dropped_fields = set()  # fields past the 500 columns, dropped
        self.cut_values = 0  # values longer than 1 MB, cut
        self.repaired = 0  # characters XML does not allow, repaired (see XmlRepair)
        self.unreadable = 0  # records the parser could not read, skipped (see RecordParser)
        self.unreadable_ids = []  # the first response_ids found in them

    def names(self):
        """Return the root names and the record names found, without namespaces, sorted."""
        return (
            sorted({local_name(tag) for tag in self.roots}),
            sorted({local_name(tag) for tag in self.records}),
        )

    def other_names(self):
        """Return the root and record names found that are not the documented ones, or None."""
        found = self.names()
        if set(found[0]) <= {self.expected[0]} and set(found[1]) <= {self.expected[1]}:
            return None
        return found

    def undeclared(self):
        """Return the field names found that the schema does not declare, sorted."""
        return sorted(self.fields - self.declared)


def iter_records(chunks, shape, max_record_bytes=__MAX_RECORD_BYTES, framed=True):
    """Yield each record of a streamed XML list as a dict of field name to text (or None).

    Any root holding elements is a list, and each of its children a record (see ListShape); its
    fields are named as in `record_fields()`. A record with no field is skipped and counted. An
    empty body or root yields nothing. A record is handed on once the next one has begun (or the
    body has ended), then removed from the tree: the parser holds the records of one 8 KB piece.
    Every decision holds whenever the parser hands its events on: an Expat that defers them
    (2.6 and later, see RecordParser.feed()) hands them on later, never earlier.
    A root named like an error (`error`, `errors`, `fault`), or one whose children all hold no
    field (each only text, as `<error><code>42</code><message>..</message></error>`), is an error
    document, never an empty list.

    Args:
        chunks: an iterable of bytes, in the order they arrive.
        shape: the table's ListShape, which records the names met.
        max_record_bytes: the most bytes one record (or the text of a root) may take.
        framed: whether the HTTP layer knew where the body ends (a Content-Length, or chunks);
            an empty body that was not is not an empty answer, but one that may have been cut.
    Raises:
        UnexpectedBodyError: the body is not XML, is a root that holds only text, or is an error
            document.
        ApiError: the XML is malformed, declares a DTD, is in an encoding the parser cannot read,
            nests too deep, or holds a record larger than max_record_bytes.
        TransientError: the body ended before the XML did (cut short), or was empty with nothing
            to say where it ended.
    """
    reader = None  # made once the declared encoding is known
    unreleased = 0  # bytes fed since records were last handed on: a bound on one record's size
    declared = None  # the encoding the XML declaration names, once the prolog was read
    head = b""  # the body's start (empty until a piece came), quoted for an error document
    seen = {"fields": 0, "text": 0}  # records with fields, and records of only text
    repair = None  # made once the declared encoding is known
    for piece in checked_prolog(_pieces(chunks, __FEED_BYTES)):
        if not head:  # the first piece holds the whole prolog (see checked_prolog())
            declared = declared_encoding(piece)
            repair = XmlRepair(declared is None or __UTF8_NAME_PATTERN.fullmatch(declared))
            reader = RecordParser(shape, declared)
        if len(head) < __SNIPPET_READ_BYTES:
            head += piece[: __SNIPPET_READ_BYTES - len(head)]
        # Small pieces keep the elements alive at once (those of one piece's records) under the
        # garbage collector's threshold of 700 new objects: fed 64 KB at a time, the parser
        # builds some 2,000 elements at once, which makes parsing twice as slow.
        unreleased += len(piece)
        # Past the bound, a deferring parser is first made to hand on what it holds: the record
        # may have ended in bytes it had not parsed yet.
        records = reader.feed(repair.repaired_piece(piece), flush=unreleased > max_record_bytes)
        yield from _handed_on(records, shape, seen)
        root = reader.root()
        if root is not None and says_error(root):
            raise UnexpectedBodyError(_decoded(head), "an error document")
        ended = len(root) - 1 if root is not None else 0  # all but the last: another one began
        if ended > 0:
            records = root[:ended]
            del root[:ended]
            reader.handed_on()
            unreleased = 0
            yield from _handed_on(records, shape, seen)
        if unreleased > max_record_bytes:
            raise ApiError(f"the XML answer holds a record larger than {max_record_bytes:,} bytes")
    if reader is not None:  # else no byte came (nor a reader made): see _records_after_the_end()
        # The body has ended: a deferring parser hands on all it holds before anything is
        # decided, so that the last records, an unreadable one among them, and the root's
        # attributes take the same path as any others.
        yield from _handed_on(reader.feed(repair.rest(), flush=True), shape, seen)
        shape.repaired += repair.repaired
    yield from _records_after_the_end(reader, shape, (seen, head, framed))


def says_error(root):
    """Return True for a root that is an error document by its name (`error`, `errors`,
    `fault`, `ErrorResponse`...) or by its attributes (`<comments status="error" message=..>`)."""
    name = local_name(root.tag).lower()
    if "error" in name or "fault" in name:  # error, errors, fault, ErrorResponse...
        return True
    return any(__ERROR_WORD_PATTERN.search(f"{key} {value}") for key, value in root.items())


def _records_after_the_end(reader, shape, read):
    """Once the body has ended: check the XML ended too, and yield the records still held.

    An empty body (or only white space) is no data, where the HTTP layer knew it ended there.

    Args:
        reader: the answer's RecordParser (None when no byte came: head is empty then).
        read: what iter_records() saw: its counts of records, the body's start, and whether
            the body was framed.
    Raises:
        TransientError: the body ended before the XML did (cut short), or was empty and not
            framed.
        UnexpectedBodyError: the root holds only text (an error message), or is an error
            document whose children all hold only text.
    """
    seen, head, framed = read
    if not head:
        if not framed:
            raise TransientError("empty body, with no Content-Length or chunks to say it ended")
        return
    if reader.boundary is not None:  # the body ended in a record skipped: the one malformed
        raise ApiError(f"malformed XML: {reader.error}")
    try:  # the connector's own element stays open: a parser may still hand on events here
        reader.parser.close()
    except ParseError as error:
        raise TransientError(f"body cut short before the XML ended ({error})") from None
    root = reader.root()
    shape.roots.add(root.tag)
    if says_error(root):  # one short answer is fed whole only here
        raise UnexpectedBodyError(_decoded(head), "an error document")
    if not len(root) and root.text and root.text.strip():
        raise UnexpectedBodyError(root.text.strip())
    records = list(root)
    del root[:]
    yield from _handed_on(records, shape, seen)
    if seen["text"] and not seen["fields"]:
        raise UnexpectedBodyError(_decoded(head), "an error document (no child holds a field)")


class RecordParser:
    """The XML parser of one list answer, which reads on past a record it cannot read.

    XmlRepair makes readable the text XML does not allow; what is still malformed (a tag that
    does not match, as an HTML `<br>` in a comment) stops a parser. Then the records that ended
    before the error are handed on; the record it is in is skipped, counted in the shape with
    its response_id where one is found (in what was read of it, or in its bytes); and a new
    parser goes on after that record's end: its end tag followed by the next record's start tag
    or the root's end tag (a field named as the record, as a comment's `<comment>`, is not
    followed by those). The new parser is first fed the answer's own prolog and root start tag,
    so that its namespaces and encoding hold. The parser builds the answer inside an element of
    the connector's own, opened before the first byte: the answer's root is then that
    element's child, reachable as the bytes arrive.

    Args:
        shape: the table's ListShape.
        declared: the encoding the XML declaration named, or None.
    """

    def __init__(self, shape, declared):
        self.shape = shape
        self.declared = declared
        self.codec = declared or "utf-8"
        self.opening = None  # the prolog and the root's start tag, once the root began
        self.first = b""  # the bytes fed until then
        # The pieces fed since the hand-on before last, and since the last one; where each
        # group starts (marks: lines before it, characters of its line before it, whether a CR
        # ends what came before); and where the bytes fed end.
        self.pieces, self.marks = [[], []], [(0, 0, False)] * 2
        self.lines = self.column = 0
        self.after_cr = False
        self.boundary = None  # a skipped record's end, while it has not come
        self.seeking_id = False  # for a skipped record, while none was found
        self.error = None  # the parser's, on the last record skipped
        self.names = None  # the record's and the root's names, once a record began
        self.unreadable = 0  # records of this answer skipped
        self.guarded = False  # no record may start before the one skipped ends
        self.starts = None  # the pattern of a record start tag, once one was skipped
        self.held = b""  # bytes skipped that may begin it
        self.start()

    def start(self):
        """Make a new parser, with the answer's opening fed when it is known."""
        self.builder = TreeBuilder()
        self.holder = self.builder.start("answer", {})
        self.parser = XMLParser(target=self.builder)
        self.lines, self.column, self.after_cr = 0, 0, False
        if self.opening is not None:  # read once already: it parses again
            self.parser.feed(self.opening)
            self.advance(self.opening)
        self.pieces, self.marks = [[], []], [self.mark()] * 2

    def root(self):
        """Return the answer's root element, once it began, else None."""
        return self.holder[0] if len(self.holder) else None

    def handed_on(self):
        """Note that the root's ended records were handed on: keep only the bytes since."""
        self.pieces, self.marks = [self.pieces[1], []], [self.marks[1], self.mark()]

    def mark(self):
        """Return where the bytes fed end: see marks."""
        return self.lines, self.column, self.after_cr

    def advance(self, piece):
        """Move where the bytes fed end past piece: its lines (ended as XML's are: CR LF, LF or
        CR alone, a CR LF perhaps split between two pieces), and its last line's characters."""
        if not piece:
            return
        newline = max(piece.rfind(b"\n"), piece.rfind(b"\r"))
        if newline < 0:
            self.column += len(piece.decode(self.codec, "replace"))
        else:
            self.lines += piece.count(b"\n") + piece.count(b"\r") - piece.count(b"\r\n")
            self.lines -= self.after_cr and piece.startswith(b"\n")  # the LF of a CR LF
            self.column = len(piece[newline + 1 :].decode(self.codec, "replace"))
        self.after_cr = piece.endswith(b"\r")

    def feed(self, piece, flush=False):
        """Feed a piece; return the records ended before an unreadable one, and None for it,
        if one was met.

        Expat 2.6 and later defer parsing an unfinished token until more bytes come ("reparse
        deferral", against the quadratic cost of re-reading a huge token from its start): what
        a piece holds may reach the tree only with a later piece, or at close(). Nothing here
        waits for it but the end of the body and the bound on a record's size, which flush
        (see flushed()). A flush costs one parse of what is held, unfinished token included.

        Args:
            piece: the bytes to feed.
            flush: whether the parser must hand on all it holds once the piece is fed.
        Raises:
            ApiError: see recovered(); an encoding the parser cannot read.
        """
        if self.boundary is not None:
            piece = self.after_skipping(piece)
            if piece is None:
                return []
        self.pieces[1].append(piece)
        if self.opening is None:
            self.first += piece
        try:
            self.parser.feed(piece)
            if flush:
                flushed(self.parser)
            self.advance(piece)  # decodes: an unknown encoding fails here if not in the parser
        except ParseError as error:
            return self.recovered(error, flush)
        except (LookupError, ValueError):
            raise ApiError(
                f"the XML answer declares the encoding {self.declared!r}, which the parser "
                f"cannot read: expected UTF-8"
            ) from None
        self.find_opening()
        return []

    def find_opening(self):
        """Keep the answer's prolog and root start tag once the parser read them."""
        if self.opening is None and self.root() is not None:
            found = ROOT_START_PATTERN.match(self.first, _prolog_end(self.first) or 0)
            self.opening, self.first = (self.first[: found.end()] if found else None), b""

    def recovered(self, error, flush):
        """Skip the record the parser could not read; return the records ended before it.
        The rest is fed to a new parser, flushed as the piece that met the error was to be.

        Raises:
            ApiError: the error cannot be placed in a record (see bad_record()), or the answer
                holds more than 100 unreadable records.
        """
        self.find_opening()
        root = self.root()
        if root is not None and len(root):
            self.names = (_tag_bytes(root[-1]), _tag_bytes(root))
        if root is None or self.names is None or self.opening is None:
            raise ApiError(f"malformed XML: {error}")
        if self.unreadable >= MAX_UNREADABLE_RECORDS:
            raise ApiError(f"malformed XML: more than {MAX_UNREADABLE_RECORDS} records unreadable")
        data = b"".join(self.pieces[0] + self.pieces[1])
        at = self.offset(data, *error.position)
        at = -1 if at is None else data.rfind(b"<", 0, at + 1)  # the tag the error is in, or after
        tags = record_tags(*self.names)
        record = self.bad_record(root, data, at, tags)
        if record is False:
            raise ApiError(f"malformed XML: {error}")
        self.shape.unreadable += 1
        self.unreadable += 1
        self.error = error
        self.seeking_id = len(self.shape.unreadable_ids) < MAX_NOTED_IDS
        self.note_id(record, b"")
        good = list(root if record is None else root[:-1])
        self.boundary, self.starts = tags["boundary"], tags["start"]
        self.held = b""
        self.start()
        return good + [None] + self.feed(data[at:], flush)  # None: the record skipped

    def bad_record(self, root, data, at, tags):
        """Return the record the error at the tag starting at `at` is in, or False when it
        cannot be told (the error between two records).

        It is root's last record when that one's start tag comes after the last end tag named
        as the record before the error, or when that end tag is not followed by another record
        or the root's end (so a field's, as a comment's `<comment>`: then no record may start
        before the one skipped ends, see `guarded`). It is None (not begun) when the error is in
        a record's start tag right after a record's end (only white space, comments or
        processing instructions between).
        """
        self.guarded = False
        if at < 0:
            return False
        ends = [found.end() for found in tags["end"].finditer(data, 0, at)]
        since = ends[-1] if ends else 0
        if (
            (ends or not len(root))
            and BETWEEN_PATTERN.fullmatch(data, since, at)
            and tags["start"].match(data, at)
        ):
            return None
        if not len(root):
            return False
        if tags["start"].search(data, since, at):
            return root[-1]
        if ends and not tags["next"].match(data, since):
            self.guarded = True
            return root[-1]
        return False

    def offset(self, data, line, column):
        """Return where in data (the bytes fed since the hand-on before last) the parser's
        position (line, column: characters) is, or None when data does not hold it. Lines end
        as XML's do: CR LF, LF, or CR alone."""
        lines, characters, after_cr = self.marks[0]
        start = 1 if after_cr and data.startswith(b"\n") else 0  # the LF of a CR LF
        ends = LINE_END_PATTERN.finditer(data, start)
        for _ in range(line - 1 - lines):
            found = next(ends, None)
            if found is None:
                return None
            start = found.end()
        if line - 1 == lines:
            column -= characters  # the line began before data
        if column < 0:
            return None
        text = data[start:].decode(self.codec, "replace")
        return start + len(text[:column].encode(self.codec, "replace"))

    def note_id(self, record, skipped):
        """Note the response_id of an unreadable record, read already or in its bytes skipped,
        once one is found (while fewer than five were noted)."""
        if not self.seeking_id:
            return
        found = []
        if record is not None:
            found = [e.text for e in record.iter() if normalised_name(e.tag) == "response_id"]
            found += [v for k, v in record.items() if normalised_name(k) == "response_id"]
        said = RESPONSE_ID_PATTERN.search(skipped)
        if said:
            found.append(said.group(1).decode(self.codec, "replace"))
        found = [text.strip() for text in found if text and text.strip()]
        if found:
            self.shape.unreadable_ids.append(found[0])
            self.seeking_id = False

    def after_skipping(self, piece):
        """Return what of the bytes skipped and piece follows the unreadable record's end, or
        None while it has not come.

        (Its size is bounded by iter_records(): no record is handed on while one is skipped.)
        """
        held = self.held + piece
        found = self.boundary.search(held)
        skipped = held[: found.start() if found else len(held)]
        self.note_id(None, skipped[:ID_SEARCH_BYTES])
        if self.guarded and self.starts.search(skipped):
            raise ApiError(f"malformed XML: {self.error}")  # it was between records after all
        if found:
            self.boundary, self.held = None, b""
            return held[found.end() :]
        self.held = held[max(held.rfind(b"</"), len(held) - BETWEEN_HELD_BYTES, 0) :]
        return None


def flushed(parser):
    """Make a parser hand on every event it holds, where it can: `flush()` came with the Expat
    that defers them (Python 3.13, 3.12.3+, 3.11.9+, 3.10.14+); an older Python parses each
    piece as it is fed, so has nothing to hand on."""
    flush = getattr(parser, "flush", None)
    if flush is not None:
        flush()


def record_tags(record, root):
    """Return patterns of a record's start tag and end tag (any namespace prefix), and of its
    end as a boundary: its end tag followed by the next record's start tag or the root's end
    tag."""
    prefix = rb"(?:[\w.-]+:)?"
    start = rb"<" + prefix + re.escape(record) + rb"(?=[\s/>])"
    end = rb"</" + prefix + re.escape(record) + rb"\s*>"
    after = (
        BETWEEN_PATTERN.pattern + rb"(?:" + start + rb"|</" + prefix + re.escape(root) + rb"\s*>)"
    )
    return {
        "start": re.compile(start),
        "end": re.compile(end),
        "next": re.compile(after, re.DOTALL),  # what follows a record's end
        "boundary": re.compile(end + rb"(?=" + after + rb")", re.DOTALL),
    }


def _tag_bytes(element):
    """Return an element's local name as the bytes a tag spells it with."""
    return local_name(element.tag).encode("utf-8")


def declared_encoding(prolog):
    """Return the encoding an XML declaration at the start of prolog names (at most 40
    characters, for a message), or None."""
    found = __DECLARED_ENCODING_PATTERN.match(prolog)
    if found is None:
        return None
    return found.group(1)[:__MAX_QUOTED_ENCODING_CHARS].decode("ascii", errors="replace")


class XmlRepair:
    """Repairs, as the bytes arrive, the text of an answer that XML does not allow, so that one
    customer's comment never fails a table: each repair is counted (`repaired`).

    - a character XML forbids (a control character such as `\x0b`, or a reference to one: `&#0;`,
      `&#xFFFE;`, a lone surrogate `&#xD83D;`) becomes U+FFFD; two surrogate references that
      make a pair (`&#xD83D;&#xDE00;`) become the character they stand for;
    - an entity XML does not define becomes the character HTML gives it (`&eacute;` is `é`), or
      stays as the text it is (`&nosuch;`); an `&` that starts no reference is an `&`;
    - `]]>` outside a CDATA section is text;
    - in a UTF-8 answer, bytes that are not UTF-8 (a Latin-1 `\xe9`) become U+FFFD.

    A piece is held back from its last `<` on (or its last white space, in a long text), so that
    nothing repaired is ever split between two pieces.

    Args:
        utf8: whether the answer is in UTF-8 (declared so, or not declared at all).
    """

    def __init__(self, utf8):
        self.utf8 = utf8
        # U+FFFD: its bytes in UTF-8 (no reference to read again), else a reference to it
        self.replacement = b"\xef\xbf\xbd" if utf8 else b"&#xFFFD;"
        self.held = b""
        self.in_cdata = False
        self.repaired = 0

    def repaired_piece(self, piece):
        """Return what of held bytes and piece can be fed now, repaired."""
        data = self.held + piece
        cut = data.rfind(b"<")
        if cut <= 0:
            cut = max(data.rfind(b" "), data.rfind(b"\n"))
        if cut <= 0:
            cut = _safe_cut(data)
        if cut <= 0:
            self.held = data
            return b""
        self.held = data[cut:]
        return self._repaired(data[:cut])

    def rest(self):
        """Return the bytes still held, repaired, once the body has ended."""
        data, self.held = self.held, b""
        return self._repaired(data) if data else b""

    def _repaired(self, data):
        if self.utf8 and not data.isascii():
            try:
                data.decode("utf-8")  # data ends before a "<" or a space: no character is split
            except UnicodeDecodeError:
                data = self._as_utf8(data)
            if b"\xef\xbf\xbe" in data or b"\xef\xbf\xbf" in data:  # U+FFFE, U+FFFF
                data = self._sub(NONCHARACTER_PATTERN, b"\xef\xbf\xbd", data)
        if not self.in_cdata and not _needs_repair(data):
            return data  # nearly every piece: nothing to repair
        parts = []
        for part in CDATA_EDGE_PATTERN.split(data):
            if part == b"<![CDATA[" and not self.in_cdata:
                self.in_cdata = True
            elif part == b"]]>" and self.in_cdata:
                self.in_cdata = False
            elif self.in_cdata:
                part = self._sub(FORBIDDEN_CHARACTER_PATTERN, b"\xef\xbf\xbd", part)
            else:
                part = self._repaired_text(part)
            parts.append(part)
        return b"".join(parts)

    def _as_utf8(self, data):
        """Return data with each byte that is not UTF-8 replaced by U+FFFD."""
        text = data.decode("utf-8", errors="replace")
        self.repaired += max(text.count("\ufffd") - data.count(b"\xef\xbf\xbd"), 0)
        return text.encode("utf-8")

    def _repaired_text(self, part):
        """Repair text outside a CDATA section (and markup: only what is wrong changes)."""
        if part == b"]]>":
            self.repaired += 1
            return b"]]&gt;"
        part = self._sub(FORBIDDEN_CHARACTER_PATTERN, self.replacement, part)
        part = self._sub(BARE_LESS_THAN_PATTERN, b"&lt;", part)
        part = REFERENCE_PATTERN.sub(self._reference, part)
        return self._numeric_references(part) if b"&#" in part else part

    def _sub(self, pattern, replacement, part):
        part, count = pattern.subn(replacement, part)
        self.repaired += count
        return part

    def _reference(self, match):
        """Return a reference (or an `&` that starts none) as XML can read it."""
        whole, name = match.group(0), match.group("name")
        if name is not None:
            if name in (b"amp", b"lt", b"gt", b"quot", b"apos"):
                return whole
            self.repaired += 1
            known = html.entities.html5.get(name.decode("ascii") + ";")
            if known is None:
                return b"&amp;" + whole[1:]  # the text it is
            return "".join(f"&#{ord(c)};" for c in known).encode("ascii")
        self.repaired += 1
        return b"&amp;"  # an & that starts no reference (numeric ones: _numeric_references())

    def _numeric_references(self, part):
        """Return part with each numeric reference to a character XML forbids as U+FFFD, and
        each pair of surrogate references (a high one right before a low one) as one."""
        out, position, pending = [], 0, None  # pending: a high surrogate's (match, code)
        for match in NUMBER_REFERENCE_PATTERN.finditer(part):
            code = _reference_code(match.group(1))
            if pending is not None:
                first, high = pending
                pending = None
                if first.end() == match.start() and 0xDC00 <= code < 0xE000:
                    out += [part[position : first.start()], b"&#%d;" % _paired(high, code)]
                    position = match.end()
                    self.repaired += 1
                    continue
                out += [part[position : first.start()], b"&#xFFFD;"]
                position = first.end()
                self.repaired += 1
            if 0xD800 <= code < 0xDC00:
                pending = (match, code)
            elif not _xml_allows(code):
                out += [part[position : match.start()], b"&#xFFFD;"]
                position = match.end()
                self.repaired += 1
        if pending is not None:
            out += [part[position : pending[0].start()], b"&#xFFFD;"]
            position = pending[0].end()
            self.repaired += 1
        out.append(part[position:])
        return b"".join(out)


def _safe_cut(data):
    """Return where a long text without `<` or white space may be cut: 64 bytes before its end,
    moved back before a UTF-8 character's other bytes, a reference (`&` within 40 bytes) or a
    `]` (a `]]>` to be), so that nothing repaired is split; 0 when data is shorter, or still in
    the tag it starts with."""
    cut = len(data) - 64
    if data[:1] == b"<" and not 0 <= data.find(b">") < cut:
        return 0  # still inside the tag it starts with
    while cut > 0 and data[cut] & 0xC0 == 0x80:
        cut -= 1
    ampersand = data.rfind(b"&", max(cut - 40, 0), cut)
    if ampersand != -1:
        cut = ampersand
    # Not between two numeric references (a surrogate pair): before the whole run of them.
    while cut > 0 and (before := TRAILING_REFERENCE_PATTERN.search(data, max(cut - 16, 0), cut)):
        cut = before.start()
    while cut > 0 and data[cut - 1 : cut] == b"]":
        cut -= 1
    return cut


def _needs_repair(data):
    """Return True when data may hold what XmlRepair repairs (a few fast scans of the bytes)."""
    return (
        len(data.translate(None, CONTROL_BYTES)) != len(data)
        or b"]]>" in data
        or b"<![CDATA[" in data
        or (b"&" in data and UNKNOWN_AMPERSAND_PATTERN.search(data) is not None)
        or BARE_LESS_THAN_PATTERN.search(data) is not None
    )


def _paired(high, low):
    """Return the code point a pair of UTF-16 surrogates stands for."""
    return 0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)


def _reference_code(number):
    """Return the code point a numeric reference's digits (`x1F600` or `128512`) name."""
    if number[:1] in (b"x", b"X"):
        digits = number[1:].lstrip(b"0") or b"0"
        return int(digits, 16) if len(digits) <= 8 else -1
    digits = number.lstrip(b"0") or b"0"
    return int(digits) if len(digits) <= 8 else -1


def _xml_allows(code):
    """Return True for a code point XML 1.0 allows in a document."""
    return (
        code in (0x9, 0xA, 0xD)
        or 0x20 <= code <= 0xD7FF
        or 0xE000 <= code <= 0xFFFD
        or 0x10000 <= code <= 0x10FFFF
    )


def _handed_on(records, shape, seen):
    """Yield the fields of records that have some, counting those without any in shape, and in
    seen those with fields and those of only text; for a record that could not be read (None),
    yield no field. Each record is let go once read: none stays alive in records while the
    later ones are read."""
    records.reverse()
    while records:
        record = records.pop()
        if record is None:
            yield {}
            continue
        if len(shape.records) < __MAX_REPORTED_NAMES:
            shape.records.add(record.tag)
        fields = record_fields(record, shape)
        shape.cut_values += _cut_values(fields)
        if fields:
            seen["fields"] += 1
            yield fields
        elif local_name(record.tag).lower() in __ERROR_ROOTS:  # `<error>` among the records
            raise UnexpectedBodyError(
                _decoded(ElementTree.tostring(record)[:__SNIPPET_READ_BYTES]),
                "an error document (an error where a record should be)",
            )
        else:
            shape.empty_records += 1
            seen["text"] += bool(record.text and record.text.strip())


def _pieces(chunks, size):
    """Yield the bytes of chunks in pieces of at most size bytes."""
    for chunk in chunks:
        if len(chunk) <= size:
            yield chunk
            continue
        for start in range(0, len(chunk), size):
            yield chunk[start : start + size]


def checked_prolog(pieces):
    """Yield a body's pieces once the XML before its root element has been checked.

    White space before anything else is dropped as it arrives, so that a body of only white space
    is no data. The prolog (XML declaration, comments, processing instructions) is read token by
    token and must end within 64 KB; a DTD there is refused, so no entity is ever declared. A body
    in UTF-16 or UTF-32 is refused, as its prolog could not be read that way.

    Raises:
        UnexpectedBodyError: the body does not start with `<` (not XML: an error message).
        ApiError: the prolog declares a DTD or is longer than 64 KB, or the body is not in an
            encoding whose ASCII characters are single bytes.
    """
    pieces = iter(pieces)
    head = b""
    for piece in pieces:
        head = (head + piece) if head else piece.lstrip(__LEADING_BYTES)
        if not head:
            continue
        if head.startswith((b"\xfe\xff", b"\xff\xfe")) or b"\x00" in head[:4]:
            raise ApiError("the XML answer is in UTF-16 or UTF-32: expected UTF-8")
        if not head.startswith(b"<"):
            raise UnexpectedBodyError(read_snippet(pieces, head))
        if head[:14].lower().startswith((b"<!doctype html", b"<html")):
            raise UnexpectedBodyError(read_snippet(pieces, head), __HTML_PAGE)
        root_start = _prolog_end(head)
        if min(len(head), root_start or len(head)) > __MAX_PROLOG_BYTES:
            raise ApiError("the XML answer's prolog is longer than 64 KB: not a list")
        if root_start is not None:
            yield head
            yield from pieces
            return
    if head:
        yield head  # the parser says what is wrong with a body that ends inside its prolog


def _prolog_end(head):
    """Return where the root element starts in head, or None when more bytes are needed.

    Raises:
        ApiError: the prolog declares a DTD.
    """
    position = 0
    while True:
        token = __PROLOG_TOKEN_PATTERN.match(head, position)
        if token is not None:
            position = token.end()
            continue
        rest = head[position : position + 14]
        if rest.lower() == b"<!doctype html":
            raise UnexpectedBodyError(_decoded(head[:__SNIPPET_READ_BYTES]), __HTML_PAGE)
        if rest.startswith(b"<!") and not b"<!--".startswith(rest[:4]):
            raise ApiError("the XML answer declares a DTD, which the connector does not accept")
        if len(rest) >= 2 and rest[1:2] not in b"?!":
            return position
        return None


def local_name(tag):
    """Return an element's name without its namespace (`{uri}name` or `prefix:name`)."""
    return tag.rpartition("}")[2].rpartition(":")[2]


@functools.lru_cache(maxsize=4096)
def normalised_name(tag):
    """Return an element or attribute name as Fivetran names columns: snake_case, lower case.

    A namespace is dropped (`{uri}ID` and `ns:ID` give `id`); `TemperatureID` gives
    `temperature_id`, `blastID` `blast_id`, `custom_1` stays as it is.
    """
    snake = __NAME_BOUNDARY_PATTERN.sub("_", local_name(tag))
    name = __NON_NAME_PATTERN.sub("_", snake).lower() or "_"
    return unreserved(name)


def unreserved(name):
    """Return a column name other than Fivetran's own (`_fivetran_synced`, `_fivetran_deleted`,
    or any `_..._fivetran...`): those are not the API's to set, and get `api` before them."""
    return (
        "api" + name if name.startswith("_") and name.lstrip("_").startswith("fivetran") else name
    )


def record_fields(record, shape):
    """Return one record's fields as a flat dict of name to text (None for an empty element).

    Fields are the record's attributes and child elements; an element holding elements is
    flattened (`<location><country>GB</country></location>` gives `location_country`), as are a
    field's attributes (`location_source`). An element holding both text and elements (mixed
    content) keeps all its text as one value. A name met twice keeps the shallower value and the
    other becomes `name_2`, so that nothing nested ever overwrites a field such as the key; of
    two siblings whose names normalise to one, the one spelt as the normal form (`nps_score`
    before `NPSScore`), else the first in sorted order, keeps the name, whatever their order.
    A table has at most 500 columns besides its declared ones: the fields of further names are
    dropped (counted in shape).

    Args:
        record: the record element.
        shape: the table's ListShape: its columns so far (new ones are added), and counters.
    Raises:
        ApiError: the record nests deeper than 32 levels.
    """
    names = shape.fields
    # Most records hold only plain elements, each named once and as met before: one
    # comprehension reads them.
    if not record.keys() and not any(map(len, record)) and not any(map(Element.keys, record)):
        fields = {field.tag: field.text for field in record}
        if len(fields) == len(record) and names.issuperset(fields):
            return fields
    fields = _flattened_fields(record)
    if not names.issuperset(fields):
        room = __MAX_COLUMNS + len(shape.declared) - len(names)
        for name in [name for name in fields if name not in names]:
            if room > 0:
                names.add(name)
                room -= 1
            else:
                shape.dropped_fields.add(name)
                del fields[name]
    return fields


def _cut_values(fields):
    """Cut each value longer than 1 MB to its first 1 MB; return how many were cut."""
    cut = 0
    for name, text in fields.items():
        if text is not None and len(text) > __MAX_VALUE_CHARS:
            fields[name] = text[:__MAX_VALUE_CHARS]
            cut += 1
    return cut


def _flattened_fields(record):
    """Flatten a record level by level, without recursion; see record_fields()."""
    fields = {}
    level = [(record, "")]
    for _depth in range(__MAX_RECORD_DEPTH):
        deeper = []
        for element, name in level:
            for attribute, value in element.items():
                _put_field(fields, _joined(name, attribute), value)
            for child in sorted(element, key=_spelling_order):
                child_name = _joined(name, child.tag)
                if len(child) or child.keys():
                    _read_child(fields, deeper, child, child_name)
                elif child_name in fields:
                    _put_field(fields, child_name, child.text)
                else:
                    fields[child_name] = child.text  # a plain element, named once: the most seen
        if not deeper:
            return fields
        level = deeper
    raise ApiError(
        f"a <{record.tag}> record nests deeper than {__MAX_RECORD_DEPTH} levels: not a list"
    )


def _spelling_order(element):
    """Sort key of siblings: names spelt as their normal form first, then by spelling (stable
    for siblings of one spelling), so that the field a name goes to never depends on the order
    the API sent them in."""
    return (element.tag != normalised_name(element.tag), element.tag)


def _read_child(fields, deeper, child, name):
    """Put a child element's text in fields, or queue it when it holds elements to flatten."""
    if len(child) and not _is_mixed(child):
        deeper.append((child, name))  # its attributes and children, one level down
        return
    text = "".join(child.itertext()) if len(child) else child.text
    if text is not None or not child.keys():  # an element with only attributes has no text
        _put_field(fields, name, text)
    for attribute, value in child.items():
        _put_field(fields, _joined(name, attribute), value)


def _joined(prefix, tag):
    """Return the flattened name of a child: its normalised name after the parent's."""
    return unreserved(f"{prefix}_{normalised_name(tag)}") if prefix else normalised_name(tag)


def _is_mixed(element):
    """Return True when an element holding elements also holds text of its own."""
    if element.text and element.text.strip():
        return True
    return any(child.tail and child.tail.strip() for child in element)


def _put_field(fields, name, value):
    """Set a field, renaming it `name_2`, `name_3`... when the name is taken already."""
    unique, number = name, 1
    while unique in fields:
        number += 1
        unique = f"{name}_{number}"
    fields[unique] = value


# ---------------------------------------------------------------------------------------------
# Values: text converted to each declared column's type before it reaches op.upsert.
# ---------------------------------------------------------------------------------------------


def _to_long(text):
    """Return text as a 64-bit int, or raise ValueError."""
    value = int(text)
    if not -(2**63) <= value < 2**63:
        raise ValueError(f"{value} is out of range")
    return value


def _to_int(text):
    """Return text as a 32-bit int, or raise ValueError."""
    value = int(text)
    if not -(2**31) <= value < 2**31:
        raise ValueError(f"{value} is out of range")
    return value


def _to_boolean(text):
    """Return True for 1/true/yes, False for 0/false/no (any case), or raise ValueError."""
    value = text.strip().lower()
    if value in ("1", "true", "yes"):
        return True
    if value in ("0", "false", "no"):
        return False
    raise ValueError(f"{text!r} is not a boolean")


def _to_naive_datetime(text):
    """Return text as a naive datetime, wall-clock unchanged (an offset, or `Z`, is dropped).

    `YYYY-MM-DD HH:MM:SS` and ISO 8601 (`2017-08-18T22:33:39+00:00`) are both read.
    """
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        text = text.strip()
        if text.endswith(("Z", "z")):
            text = text[:-1]  # Python 3.10 reads no `Z`, which is dropped anyway
        value = datetime.fromisoformat(text)
    return value if value.tzinfo is None else value.replace(tzinfo=None)


CONVERTERS = {
    "LONG": _to_long,
    "INT": _to_int,
    "BOOLEAN": _to_boolean,
    "NAIVE_DATETIME": _to_naive_datetime,
    "DOUBLE": float,
}

# Per table, (column, converter) for each column that is not text (text needs none).
TABLE_CONVERTERS = {
    table: tuple(
        (name, CONVERTERS[column_type])
        for name, column_type in spec["columns"].items()
        if column_type in CONVERTERS
    )
    for table, spec in TABLE_SPECS.items()
}


def build_row(context, table, fields):
    """Convert one record's fields to a typed row, or return None when a key is missing.

    Empty values are left out (NULL); unknown fields are kept as text; a value that cannot be
    converted is left out with a warning; `date_submitted` falls back to `response_date`.

    Args:
        context: the SyncContext (for counters and warnings).
        table: the table name.
        fields: field name to text, from iter_records().
    Returns:
        The row, or None when a primary-key value is missing (counted and logged).
    """
    row = {name: text for name, text in fields.items() if text}
    for name, convert in TABLE_CONVERTERS[table]:
        text = row.get(name)
        if text is None:
            continue
        try:
            row[name] = convert(text)
        except ValueError:
            del row[name]
            column_type = TABLE_SPECS[table]["columns"][name]
            warn_bad_value(context, table, name, column_type, fields.get("response_id"))
    if "date_submitted" not in row and "response_date" in row:
        row["date_submitted"] = row["response_date"]
    for key in TABLE_SPECS[table]["primary_key"]:
        if key not in row:
            context.table_stats(table)["skipped"] += 1
            warn_first_few(
                context,
                (table, "records without a key"),
                f"{table}: skipped a record without a primary-key value for '{key}' "
                f"(response_id {quoted(fields.get('response_id'))})",
            )
            return None
    return row


def quoted(value):
    """Return a value an answer held, for a log line: quoted, at most 200 characters of it."""
    if isinstance(value, str) and len(value) > __BODY_SNIPPET_CHARS:
        return repr(value[:__BODY_SNIPPET_CHARS]) + f" (cut, of {len(value):,} characters)"
    return repr(value)


def warn_bad_value(context, table, field, column_type, response_id):
    """Count a value that could not be converted, and log the first few of each field."""
    bad_values = context.table_stats(table)["bad_values"]
    bad_values[field] = bad_values.get(field, 0) + 1
    warn_first_few(
        context,
        (table, field),
        f"{table}: field '{field}' of response_id {quoted(response_id)} is not a valid "
        f"{column_type}; stored as NULL",
    )


def warn_first_few(context, kind, message):
    """Log a warning only for the first five of its kind in a sync (the summary counts them all).

    Args:
        context: the SyncContext, which counts the warnings of each kind.
        kind: what the warning is about, such as (table, field).
        message: the warning.
    """
    count = context.warnings.get(kind, 0) + 1
    context.warnings[kind] = count
    if count <= __MAX_WARNINGS_PER_KIND:
        say(context, log.warning, message)


# ---------------------------------------------------------------------------------------------
# Lists, windows and state.
# ---------------------------------------------------------------------------------------------


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
        ApiError: besides make_api_request()'s errors, an answer holding records none of which
            has the table's primary key (a shape the connector cannot land).
    """
    spec = TABLE_SPECS[table]
    request_label = describe_request(spec["method"], params)

    def read_body(response):
        answer = answer_of() if answer_of else Answer()
        try:
            upsert_answer(context, table, response, answer, delivered or {})
        except UnexpectedBodyError as error:
            raise_if_key_rejected(request_label, error.snippet, context.api_key)
            raise ApiError(
                f"{request_label} answered {error.kind}: "
                f"{masked_snippet(error.snippet, context.api_key)!r}"
            ) from None
        except ApiError as error:
            raise ApiError(f"{request_label}: {mask_secrets(error, context.api_key)}") from None
        if answer.count and not answer.any_keyed:
            raise ApiError(
                f"{request_label} answered {count_of(answer.count, 'record')}, none with the "
                f"primary key {spec['primary_key']}: a shape the connector cannot land (see the "
                f"shape report)"
            )
        return answer

    return make_api_request(
        context, table, spec["method"], params, read_body, split_on_timeout=split_on_timeout
    )


def upsert_answer(context, table, response, answer, delivered):
    """Upsert the records of one streamed answer that were not delivered before; fill answer."""
    primary_key_of = operator.itemgetter(*TABLE_SPECS[table]["primary_key"])
    tally = context.tally if table == "blast_result" else None
    chunks = stream_body(context, response)
    framed = (
        "Content-Length" in response.headers
        or "chunked" in response.headers.get("Transfer-Encoding", "").lower()
    )
    records = iter_records(chunks, context.shape(table), context.max_record_bytes, framed)
    for fields in records:
        answer.count += 1
        if not answer.count % __PROGRESS_EVERY_RECORDS:  # records read again count too
            note_progress(context, table)
        if not fields:  # a record that could not be read: in the answer, counted, warned of
            context.table_stats(table)["skipped"] += 1
            continue
        row = build_row(context, table, fields)
        if row is None:
            continue
        key = primary_key_of(row)
        day = answer.add(row, key)
        if key in delivered.get(day, ()):
            continue  # upserted already in this sync
        if answer.keep_days is None or (day is not None and answer.keeps(day)):
            # Upsert the record: a primary key seen again later in this sync is skipped above.
            upsert_row(context, table, row)
            answer.new += 1
            if tally is not None and "comment" in row and day is not None:
                # A record of a margin day may be upserted twice: the tally keeps distinct ones.
                tally.setdefault(day, set()).add(row["response_id"])
    note_progress(context, table)


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
        self.any_keyed = False  # whether any record had every primary-key value
        self.new = 0  # records not delivered before in this sync
        self.field = field
        self.keys_by_day = {}
        # The first and last value of the other date a filter may follow.
        (self.other,) = (name for name in DATE_FIELDS if name != field)
        self.other_first = self.other_last = None
        self.blast_of = {} if track_blasts else None
        self.lag_days = 0 if track_lag else None
        self._day = self._keys = None  # the day of the last record, and its keys

    def add(self, row, key):
        """File a keyed record under its day (returned; None when it has no such date)."""
        self.any_keyed = True
        other = row.get(self.other)
        if other is not None:
            if self.other_first is None:
                self.other_first = self.other_last = other
            elif other < self.other_first:
                self.other_first = other
            elif other > self.other_last:
                self.other_last = other
        value = row.get(self.field)
        if value is None:
            return None
        day = value.date()
        if day != self._day:  # records come a day at a time: the day's keys are looked up once
            self._day = day
            self._keys = self.keys_by_day.get(day)
            if self._keys is None:
                self._keys = self.keys_by_day[day] = set()
        self._keys.add(key)
        if self.blast_of is not None:
            self.blast_of[key] = row.get("blast_id")
        if self.lag_days is not None and "date_submitted" in row:
            self.lag_days = max(self.lag_days, (row["date_submitted"].date() - day).days)
        return day

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


# The record dates an API's date filter may follow, the one assumed first.
DATE_FIELDS = ("date_submitted", "blast_date")


class TableWalk:
    """What one dated table's answers have shown in this sync, and what it says once.

    The proof rules: an answer is complete when it is smaller than another answer of its method
    in this sync (a cap, if any, is a number of records that holds for one sync), when the
    count witness says so, or when the windows that replace it, each complete, find again all
    it held. Nothing else is evidence: where a cut answer's records lie only picks split points.

    Args:
        table: `comment` or `blast_result`.
        field: the record date the API's date filter follows (saved by an earlier sync).
        lag_days: the longest a response came after its send (when the filter follows sends).
    """

    def __init__(self, table, field="date_submitted", lag_days=0):
        self.table = table
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
        self.progress = None  # (cursor, ranges still to read) once the walk stopped

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
# answering more (or None), the group it is read in (a day by temperature or blast), and a
# count of it derived from its parent's (None when unknown; never a proof).
Window = collections.namedtuple(
    "Window", "start end temperature blast side delivered probe group counted"
)
# Checks a day read by temperature (or blast) once its windows are read: see check_group().
GroupCheck = collections.namedtuple("GroupCheck", "group")


def new_window(start, end, delivered=None, probe=None, **options):
    """Return a Window of days start..end; options set its other fields."""
    window = Window(start, end, None, None, None, delivered or {}, probe, None, None)
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
    if limit:
        params["limit"] = __RECORD_LIMIT
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

    Args:
        keep_days: (first, last) day whose records are upserted (None: every record's).
    """
    walk = context.walk(table)
    walk.requests += 1
    single_day = window.start == window.end
    make_answer = functools.partial(
        Answer, walk.field, single_day, walk.field != DATE_FIELDS[0], keep_days
    )
    answer = fetch_list(
        context,
        table,
        window_params(walk, window),
        window.delivered,
        split_on_timeout=window.start < window.end,
        answer_of=make_answer,
    )
    last = answer.span(walk.field)[1]
    if last is not None and (walk.newest is None or last > walk.newest):
        walk.newest = last
    return answer


def empty_but_tallied(context, table, window):
    """Check an empty answer of a tallied table (comment) against the tally, which costs no
    request (for other tables, nothing): responses with a comment read for those days mean the
    answer lacks them, a window not proven complete (a warning names it)."""
    walk = context.walk(table)
    if "tallied_from" not in TABLE_SPECS[table] or walk.witness.unusable or walk.verifying:
        return []  # an empty answer of blast_result is taken as it is (a count costs a request)
    counted = fetch_count(context, table, window)
    if counted:
        warn_unproven(
            context,
            table,
            window,
            f"it answered no record, while {TABLE_SPECS[table]['tallied_from']} read "
            f"{count_of(counted, 'response')} with a comment for those days",
        )
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
    walk.unproven.append(
        f"{table}: {window_label(walk, window)} could not be proven complete, so responses may "
        f"be missing: {reason}"
    )


def log_unproven(context, table):
    """Log the warnings of the windows of a table that could not be proven complete."""
    for message in context.walk(table).unproven:
        warn_first_few(context, (table, "unproven"), message)


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
    if answer.lag_days:
        walk.lag_days = max(walk.lag_days, answer.lag_days)
    if window.group is not None:
        walk.groups[window.group]["found"].update(answer.keys())
    walk.found_new += answer.new
    if window.side is not None and answer.new:
        walk.cut_sides.add(window.side)  # its parent lacked records on this side
    at_risk = answer.count > 0 and answer.count >= walk.largest
    walk.largest = max(walk.largest, answer.count)
    if not at_risk:
        return complete_answer(context, table, window, answer)
    return answer_at_risk(context, table, window, answer)


def complete_answer(context, table, window, answer):
    """Check a window whose answer is smaller than another (so not cut by a record cap).

    It must find again what an earlier answer held in its days (else the date bounds do not
    mean what was assumed). The first such window calibrates the count witness; once some answer
    was cut, the count checks each of them (a cap by size or time, or one that dropped, cuts
    answers smaller than the largest).
    """
    walk = context.walk(table)
    missing = missing_keys(window, answer) if window.group is None else {}
    if missing:
        return bounds_mismatch(context, table, window, missing)
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
        return empty_but_tallied(context, table, window)
    if witness.unusable or walk.verifying or (witness.agreed and not walk.cut_seen):
        return []  # no count to use; or calibrated, and no cut that a count should look for
    listed = witnessed(table, window, answer.keys_by_day)
    if window.counted == listed:
        return []  # as many as its parent's count less its sibling's
    counted = fetch_count(context, table, window)
    if counted is None:
        return []
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
        return []
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
        distrust(
            walk,
            f"it counted {counted} for {window_label(walk, window)}, and the windows that "
            f"replaced it found no record more",
        )
        walk.doubt = context.doubt = True  # it counts more than the lists hold, or a cap varies
        return follow_ups
    # Cut below the largest answer: answers as large as this one may be cut from now on.
    walk.largest = min(walk.largest, answer.count)
    return follow_ups + again


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
    if walk.margin >= __MAX_MARGIN_DAYS:
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
    if walk.margin < __MAX_MARGIN_DAYS and low - timedelta(1) <= first <= last <= high + timedelta(
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
        return []
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
    if window.start < day:
        older = child_delivered(walk, window, answer, window.start, day - one)
        windows.append(new_window(window.start, day - one, older, side="older"))
    if day < window.end:
        newer = child_delivered(walk, window, answer, day + one, window.end)
        windows.append(new_window(day + one, window.end, newer, side="newer"))
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
    older = new_window(
        window.start,
        cut_day,
        child_delivered(walk, window, answer, window.start, cut_day),
        side="older",
    )
    newer = new_window(
        cut_day + one,
        window.end,
        child_delivered(walk, window, answer, cut_day + one, window.end),
        side="newer",
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
            for temperature in __TEMPERATURE_IDS
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
                if len(text) > 10:
                    datetime.fromisoformat(text.replace("Z", "+00:00"))  # a whole timestamp
                return date.fromisoformat(text[:10])
            except ValueError:
                raise ValueError(
                    f"State '{key}' is {_shown(value)}: expected a date (YYYY-MM-DD) or an ISO "
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
            f"State '{table}_history' is {_shown(value)}: expected a list of [first, last] days "
            f"(YYYY-MM-DD) still to read, each first no later than its last."
        ) from None
    return sorted(ranges)


def validate_state(state, today):
    """Check the saved state of the dated tables before any request.

    Raises:
        ValueError: naming the state key: a cursor that is not a date, lies after tomorrow or
            before 1970 (a state that no sync of this connection wrote: reading from there
            would skip responses or walk back through decades), history ranges that are not
            days within those bounds, or a saved date filter that is not one the connector knows.
    """
    tomorrow = today + timedelta(days=1)  # a cursor is the newest day the answers held
    for table in __DATED_TABLES:
        cursor = read_cursor(state, table)
        if cursor is not None and not date(1970, 1, 1) <= cursor <= tomorrow:
            key = f"{table}_cursor" if state.get(f"{table}_cursor") else f"{table}_last_sync"
            raise ValueError(
                f"State '{key}' is {_shown(state[key])}, which is not between 1970-01-01 and "
                f"tomorrow ({tomorrow}): no sync of this connection saved it. Re-sync the table "
                f"(in Fivetran, or `fivetran reset` locally) to read it again from 'from_date'."
            )
        history = read_history(state, table)
        if history and not date(1970, 1, 1) <= history[0][0] <= history[-1][1] <= tomorrow:
            raise ValueError(
                f"State '{table}_history' is {_shown(state[f'{table}_history'])}, whose days are "
                f"not between 1970-01-01 and tomorrow ({tomorrow}): no sync of this connection "
                f"saved it. Re-sync the table (in Fivetran, or `fivetran reset` locally)."
            )
        read_date_filter(state, table)
        read_largest_answer(state, table)


def read_largest_answer(state, table):
    """Return the largest answer an earlier version saved for a table (or None); it proves
    nothing now (the state drops it), but a value no sync could have seen is a state error.

    Raises:
        ValueError: a saved value that is not a whole number from 0 to the `limit` sent.
    """
    value = state.get(f"{table}_largest_answer")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= __RECORD_LIMIT:
        raise ValueError(
            f"State '{table}_largest_answer' is {_shown(value)}: expected a whole number from 0 "
            f"to {__RECORD_LIMIT:,} (the most records an answer holds), as an earlier version "
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
            f"State '{table}_date_field' is {_shown(field)}: expected one of "
            f"{', '.join(DATE_FIELDS)}."
        )
    if isinstance(lag, bool) or not isinstance(lag, int) or not 0 <= lag <= __MAX_LOOKBACK_DAYS:
        raise ValueError(
            f"State '{table}_lag_days' is {_shown(lag)}: expected a whole number of days from 0 "
            f"to {__MAX_LOOKBACK_DAYS}."
        )
    return field, lag


def first_window(context, table, cursor):
    """Return the window a dated table's sync starts with.

    Without a cursor it starts at from_date; otherwise at the cursor minus lookback_days (and
    minus the longest a response came after its send, when the filter follows sends), with a
    wider range to prove it by (see probe_proves()).
    """
    walk = context.walk(table)
    from_date = context.settings["from_date"]
    if cursor is None:
        return new_window(from_date, context.upper_bound)
    back = context.settings["lookback_days"] + (
        walk.lag_days if walk.field != "date_submitted" else 0
    )
    start = max(from_date, cursor - timedelta(days=back))
    span = (context.upper_bound - start).days + 1
    probe = max(from_date, start - timedelta(days=__PROBE_SPAN_FACTOR * span))
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
    week = context.today - timedelta(days=__RECENT_DAYS - 1)  # today's and the 6 days before
    newest = pending[-1] if pending else None
    if isinstance(newest, Window) and newest.group is None and newest.start < week <= newest.end:
        split_at = functools.partial(child_delivered, walk, newest, Answer(walk.field))
        older = new_window(newest.start, week - timedelta(days=1), split_at(newest.start, week))
        recent = new_window(week, newest.end, split_at(week, newest.end))
        pending[-1:] = [older, recent]
    return pending


def merged_ranges(ranges, most=None):
    """Return day ranges merged where they touch or overlap, oldest first; with most, the
    nearest ones are merged too until at most that many are left (a range to read is only ever
    widened)."""
    merged = []
    for first, last in sorted(ranges):
        if merged and first <= merged[-1][1] + timedelta(days=1):
            merged[-1] = (merged[-1][0], max(merged[-1][1], last))
        else:
            merged.append((first, last))
    while most is not None and len(merged) > most:
        gaps = [(merged[n + 1][0] - merged[n][1], n) for n in range(len(merged) - 1)]
        _, n = min(gaps)
        merged[n : n + 2] = [(merged[n][0], merged[n + 1][1])]
    return merged


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
    return merged_ranges(left, __MAX_HISTORY_RANGES)


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


def day_total(ranges):
    """Return how many days a list of merged ranges covers."""
    return sum((last - first).days + 1 for first, last in ranges)


def describe_ranges(ranges):
    """Return day ranges for a log line, newest first."""
    return ", ".join(f"{first}..{last}" for first, last in reversed(ranges))


def new_cursor(context, walk, cursor):
    """Return a dated table's cursor after its walk: the newest day its answers held (as the
    API dates it), never earlier than the saved cursor nor later than tomorrow; None when no
    answer ever held a record and none was saved."""
    days = [day for day in (cursor, walk.newest) if day is not None]
    return min(max(days), context.upper_bound) if days else None


def sync_windowed_table(context, table, cursor, history=()):
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
    Returns:
        The table's new cursor (see new_cursor()), as YYYY-MM-DD, or None.
    Raises:
        ApiError: besides read_window()'s errors, a sync that reached the request budget
            without reading any day of what it had to read.
    """
    walk = context.walk(table)
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
            if isinstance(item, GroupCheck):
                if not defer_check(walk, item, pending):
                    pending.extend(check_group(context, table, item))
            else:
                pending.extend(read_window(context, table, item))
            current = None
            if walk.restart:
                # What the answers showed under the other date no longer holds.
                walk.restart, walk.groups, walk.unproven, walk.margin = False, {}, [], 0
                walk.newest = None
                context.tally.clear()
                starts = start_windows(context, table, cursor, history)
                pending = list(starts)
    finally:
        left = [item_days(walk, item) for item in pending] + ([current] if current else [])
        kept = new_cursor(context, walk, cursor)
        if kept is not None:
            left = still_to_read(left, cursor, kept, history, starts[-1].start)
        walk.progress = (kept, left if kept is not None else [])
        log_unproven(context, table)
        log_shape_report(context, table)
    to_read = merged_ranges(item_days(walk, item) for item in starts)
    if left and not made_progress(context, cursor, kept, starts, left):
        raise ApiError(
            f"{count_of(walk.requests, 'request')} (lists and counts) made and windows still to "
            f"read, and no day of what was left to read was proven: the answers do not let the "
            f"connector finish; the rows read and the days proven are kept, the rest is read "
            f"again next sync"
        )
    log_walk_end(context, table, left)
    log_table_summary(context, table, describe_ranges(to_read))
    if table == "blast_result" and not walk.unproven and not left:
        if walk.field == DATE_FIELDS[0]:
            context.tally_days = to_read  # every day proven: a witness of the comments
    return kept.isoformat() if kept is not None else None


def log_walk_end(context, table, left):
    """Log what a dated table's walk could not prove, and the days it leaves to the next sync."""
    walk = context.walk(table)
    if walk.witness.unusable and not (walk.doubt or context.doubt) and walk.largest:
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


def log_shape_report(context, table):
    """Log how a table's answers were shaped: names only, never values.

    One info line names the record element and the fields the schema does not declare (the
    first 50, each cut to 60 characters); a warning says when the root or record names are not
    the documented ones (they were read all the same), another counts records that held no field
    at all (skipped), and others the fields dropped past a table's 500 columns and the values cut
    to 1 MB.
    """
    shape = context.shape(table)
    if not shape.roots:
        return  # no answer held a list
    undeclared = listed_names(shape.undeclared()) or "none"
    roots, records = (listed_names(names, "<{}>") for names in shape.names())
    say(
        context,
        log.info,
        f"{table}: shape: records {records or '-'} in {roots}; "
        f"fields not in the schema: {undeclared}",
    )
    other_names = shape.other_names()
    if other_names is not None:
        say(
            context,
            log.warning,
            f"{table}: {TABLE_SPECS[table]['method']} answered <{'>, <'.join(other_names[0])}> "
            f"holding <{'>, <'.join(other_names[1]) or '-'}> records, not the documented "
            f"<{shape.expected[0]}> holding <{shape.expected[1]}>: read as {table} records",
        )
    if shape.dropped_fields:
        say(
            context,
            log.warning,
            f"{table}: dropped {count_of(len(shape.dropped_fields), 'field')} "
            f"({listed_names(sorted(shape.dropped_fields))}): a table takes at most "
            f"{__MAX_COLUMNS} columns besides its declared ones in a sync",
        )
    if shape.repaired:
        say(
            context,
            log.warning,
            f"{table}: repaired {count_of(shape.repaired, 'character')} XML does not allow "
            f"(control characters, entities it does not define, bytes that are not UTF-8...): "
            f"read as the text they stand for, or as U+FFFD (see the README, Data handling)",
        )
    if shape.unreadable:
        ids = ", ".join(quoted(name) for name in shape.unreadable_ids) or "none found"
        say(
            context,
            log.warning,
            f"{table}: skipped {count_of(shape.unreadable, 'record')} the XML parser could not "
            f"read (a tag that does not match...), the rest of their answers read "
            f"(response_id: {ids})",
        )
    if shape.cut_values:
        say(
            context,
            log.warning,
            f"{table}: cut {count_of(shape.cut_values, 'value')} longer than "
            f"{__MAX_VALUE_CHARS:,} characters to that length",
        )
    if shape.empty_records:
        say(
            context,
            log.warning,
            f"{table}: skipped {count_of(shape.empty_records, 'record')} that held no field at "
            f"all",
        )


def listed_names(names, form="{}"):
    """Return names for a log line, each in form: the first 50, each cut to 60 characters, and
    how many more there are."""
    shown = [
        form.format(name if len(name) <= 60 else name[:57] + "...")
        for name in names[:__MAX_REPORTED_NAMES]
    ]
    more = len(names) - len(shown)
    return ", ".join(shown) + (f" (and {more:,} more)" if more > 0 else "")


def log_table_summary(context, table, range_label):
    """Log the one info line of a table: range, requests, rows, skipped rows, bad values, and
    windows that could not be proven complete."""
    stats = context.table_stats(table)
    bad = ", ".join(f"{field}: {count}" for field, count in sorted(stats["bad_values"].items()))
    unproven = len(context.walks[table].unproven) if table in context.walks else 0
    say(
        context,
        log.info,
        f"{table}: {range_label}, {count_of(stats['requests'], 'request')}, "
        f"{count_of(stats['rows'], 'row')}, "
        f"{stats['skipped']} skipped"
        + (f", NULL for bad values ({bad})" if bad else "")
        + (
            f", {count_of(unproven, 'window')} not proven complete (see the warnings)"
            if unproven
            else ""
        ),
    )


# ---------------------------------------------------------------------------------------------
# Values: the six metrics.
# ---------------------------------------------------------------------------------------------


def fetch_value(context, table, method, params):
    """Request a value method and return its number.

    Raises:
        UnexpectedBodyError: the body is not a number (after it was checked for a rejected key).
        AuthenticationError, ApiError: see make_api_request().
    """
    request_label = describe_request(method, params)

    def read_body(response):
        text = read_snippet(stream_body(context, response))
        if __NUMBER_PATTERN.fullmatch(text) and math.isfinite(float(text)):
            return float(text)
        raise_if_key_rejected(request_label, text, context.api_key)
        raise UnexpectedBodyError(text)

    return make_api_request(context, table, method, params, read_body)


def metric_params(context, metric_name, dated, counted):
    """Return the query parameters of one metric.

    num_responses is asked with no `limit` (the API then counts every response of the range);
    the other dated metrics with a `limit` of that count, so that each is computed over every
    response of the range and not over the newest 10,000 (or, when the count is unknown, with
    `limit` 10,000, as the list methods are).
    """
    if not dated:
        return {}
    params = {"fromDate": context.settings["from_date"].isoformat()}
    params["toDate"] = context.upper_bound.isoformat()
    if metric_name != "num_responses":
        params["limit"] = max(counted, 1) if counted is not None else __RECORD_LIMIT
    return params


def sync_metrics(context):
    """Record each metric's current value once per sync.

    Dated metrics are asked for from_date (or 1970-01-01) to the upper bound; send_quota is
    undated. Each dated row records how many responses it was computed over (the count, read
    first; NULL when it is unknown). A body that is not a number is logged as a warning and
    gets no row.
    """
    table = "metric"
    recorded_at = context.started_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    counted = None  # num_responses, once read: the `limit` of the other dated metrics
    for metric_name, (method, dated) in METRIC_METHODS.items():
        params = metric_params(context, metric_name, dated, counted)
        try:
            value = fetch_value(context, table, method, params)
        except UnexpectedBodyError as error:
            say(
                context,
                log.warning,
                f"metric: {method} answered {masked_snippet(error.snippet, context.api_key)!r}, "
                f"which is not a finite number; no row for {metric_name}",
            )
            continue
        if metric_name == "num_responses" and value >= 0 and value.is_integer():
            counted = int(value)
        row = {"metric_name": metric_name, "metric_value": value, "recorded_at": recorded_at}
        if dated:
            row["from_date"] = params["fromDate"]
            row["to_date"] = params["toDate"]
            row["responses_counted"] = counted
        upsert_row(context, table, row)
    log_table_summary(context, table, f"{context.settings['from_date']}..{context.upper_bound}")


def sync_comments(context, state):
    """Sync the `comment` table from getComments; return its new cursor."""
    cursor, history = read_cursor(state, "comment"), read_history(state, "comment")
    return sync_windowed_table(context, "comment", cursor, history)


def sync_blast_results(context, state):
    """Sync the `blast_result` table from getBlastResults; return its new cursor."""
    cursor, history = read_cursor(state, "blast_result"), read_history(state, "blast_result")
    return sync_windowed_table(context, "blast_result", cursor, history)


def sync_recipient_lists(context):
    """Sync the `recipient_list` table from getRecipientLists (whole: it has no cursor)."""
    sync_full_table(context, "recipient_list")


def sync_thermometers(context):
    """Sync the `thermometer` table from getThermometers (whole: it has no cursor)."""
    sync_full_table(context, "thermometer")


def sync_one_table(context, table, sync_table):
    """Run one table's sync; return (True, its new cursor or None), or (False, None) if it failed.

    Every error met while reading a table is that table's error, logged here, so that the other
    tables go on: an answer no one foresaw must not stop the sync with a traceback. A rejected
    key, or a host that could not be reached, stops the sync.

    Args:
        context: the SyncContext.
        table: the table's name, for the log.
        sync_table: a function of no argument that syncs the table and returns its cursor.
    Raises:
        AuthenticationError: the key was rejected.
        UnreachableError: the API's host could not be reached.
    """
    try:
        return True, sync_table()
    except (AuthenticationError, UnreachableError):
        raise
    except ApiError as error:
        say(context, log.error, f"{table}: failed, {read_again(table)}: {error}")
    except Exception as error:  # any other error is this table's too: it is logged, not lost
        message = mask_secrets(error, context.api_key)[:__BODY_SNIPPET_CHARS]
        say(
            context,
            log.error,
            f"{table}: failed on an unexpected {type(error).__name__} ({message}), "
            f"{read_again(table)}",
        )
    return False, None


def read_again(table):
    """Return what becomes of a table that failed, for its error line."""
    if table in __DATED_TABLES:
        return "and is read again next sync from what it proved"
    return "and is read again next sync"


def unreachable_message(context, error, not_read, failed):
    """Return the one error of a sync that stopped because the API's host could not be reached."""
    message = (
        f"Customer Thermometer {error.what} {error.host} ({error.reason}), so the sync stopped. "
        f"Not read, or not whole (only what they proved is saved): {', '.join(not_read)}"
    )
    if failed:
        message += f"; failed before: {', '.join(failed)}"
    return f"{message}. Check base_url and this machine's network (or proxy), then sync again."


def advanced_state(state, context):
    """Return the state to save: each dated table's cursor and the history it still has to read,
    as far as its walk proved (a failed table's too), and its date filter when the answers
    showed it follows another date than date_submitted.

    A cursor replaces the earlier example's `<table>_last_sync` key, and drops the saved largest
    answer an earlier version kept (a cap can change: it proves nothing); other keys are kept.
    """
    new_state = dict(state)
    for table in __DATED_TABLES:
        walk = context.walks.get(table)
        if walk is None or walk.progress is None or walk.progress[0] is None:
            continue  # not read, or nothing proven: the saved state stands
        cursor, left = walk.progress
        new_state[f"{table}_cursor"] = cursor.isoformat()
        if left:
            new_state[f"{table}_history"] = [
                [first.isoformat(), last.isoformat()] for first, last in left
            ]
        else:
            new_state.pop(f"{table}_history", None)
        new_state.pop(f"{table}_last_sync", None)
        new_state.pop(f"{table}_largest_answer", None)  # an earlier version's: proves nothing
        if walk.field != DATE_FIELDS[0]:
            new_state[f"{table}_date_field"] = walk.field
            new_state[f"{table}_lag_days"] = min(walk.lag_days, __MAX_LOOKBACK_DAYS)
    return new_state


def update(configuration: dict, state: dict):
    """Sync every table, then checkpoint the accumulated state once.

    A rejected key stops the sync at once with no state change. A table that fails after its
    retries keeps its old cursor without stopping the others; after the last table the state is
    checkpointed and the sync fails, naming the failed tables. A host that could not be reached
    on any attempt stops the sync after that table: the state is checkpointed (the tables not
    read keep their cursors) and the sync fails with one error naming the host.

    Args:
        configuration: the connector's configuration.
        state: the state saved by the previous sync ({} on the first one).
    Raises:
        ValueError: a bad configuration value (before any request).
        AuthenticationError: the key was rejected.
        RuntimeError: one or more tables failed, or the API could not be reached.
    """
    # What leaves update() is raised here, afresh: its message masked, and neither a frame
    # below this one nor the error it replaces, so a crash report (which shows each frame's
    # locals) holds nothing an answer said.
    failure = None
    try:
        sync_every_table(configuration, state)
    except Exception as error:
        failure = masked_error(error, secret_of(configuration))
    if failure is not None:
        raise failure


def secret_of(configuration):
    """Return the configured key to mask, or None where it is none: missing, or still the
    template's placeholder (whose pieces, masked in any case, would mask the word `api_key`)."""
    api_key = configuration.get("api_key")
    return None if not isinstance(api_key, str) or is_placeholder(api_key) else api_key


def is_placeholder(text):
    """Return True for a value still holding configuration.json's placeholder (`<YOUR_...>`)."""
    return text.strip().upper().startswith("<YOUR_")


def masked_error(error, api_key):
    """Return an error to raise in place of error: the same kind where the SDK's user knows it
    (a bad value, a rejected key, a failed sync), its message masked in every form."""
    message = mask_secrets(error, api_key)
    if type(error) in (ValueError, AuthenticationError, RuntimeError):
        return type(error)(message)
    return RuntimeError(f"{type(error).__name__}: {message}")


def sync_every_table(configuration, state):
    """Run update()'s sync: see update()."""
    settings = validate_configuration(configuration)
    validate_state(state, _utc_now().date())  # a corrupt saved value fails before any request
    context = SyncContext(settings, state)
    steps = [
        # blast_result first: the responses with a comment it read whole witness the comments.
        ("blast_result", functools.partial(sync_blast_results, context, state)),
        ("comment", functools.partial(sync_comments, context, state)),
        ("recipient_list", functools.partial(sync_recipient_lists, context)),
        ("thermometer", functools.partial(sync_thermometers, context)),
        ("metric", functools.partial(sync_metrics, context)),
    ]
    failed, unreachable = [], None
    try:
        for index, (table, sync_table) in enumerate(steps):
            try:
                succeeded, _ = sync_one_table(context, table, sync_table)
            except UnreachableError as error:
                unreachable = (error, [name for name, _ in steps[index:]])
                break
            if not succeeded:
                failed.append(table)
    finally:
        context.close()
    # Save the accumulated state once, after every table: what each dated table proved (a
    # failed one's too, never past it: its cursor and the days still to read) and the date
    # filters the answers showed.
    op.checkpoint(state=advanced_state(state, context))
    if unreachable is not None:
        raise RuntimeError(unreachable_message(context, *unreachable, failed)) from None
    if failed:
        others = "the other tables were saved and " if len(failed) < len(steps) else ""
        raise RuntimeError(
            f"Customer Thermometer sync failed for {', '.join(failed)} (see the errors above); "
            f"{others}the failed ones will be read again next sync."
        )


def check_api_key(configuration: dict):
    """Setup test: ask Customer Thermometer for the send quota with the configured key.

    Args:
        configuration: the configuration entered in the setup form.
    Returns:
        Test.success(), or Test.failure() with a plain message.
    """
    try:
        settings = validate_configuration(configuration)
    except ValueError as error:
        return Test.failure(str(error))
    context = SyncContext(settings, {})
    try:
        fetch_value(context, "metric", "getSendQuota", {})
        return Test.success()
    except AuthenticationError:
        return Test.failure(
            "Customer Thermometer rejected the API key: check that it is a current API key."
        )
    except UnexpectedBodyError as error:
        return Test.failure(
            "Customer Thermometer answered something other than the send quota: "
            f"{masked_snippet(error.snippet, settings['api_key'])!r}"
        )
    except ApiError as error:
        return Test.failure(
            f"Could not reach Customer Thermometer at {urlparse(settings['base_url']).hostname}: "
            f"{mask_secrets(error, settings['api_key'])}"
        )
    finally:
        context.close()


def configuration_form():
    """Return the setup form: key, first-sync date, lookback, API URL, and a check of the key."""
    form = ConfigurationForm()
    form.add_field(
        form_field.TextField(
            "api_key",
            "API key",
            form_field.TextField.password,
            description="Your Customer Thermometer API key (Account settings > API).",
            required=True,
        )
    )
    form.add_field(
        form_field.TextField(
            "from_date",
            "Sync responses from",
            form_field.TextField.plain_text,
            description="Where the first sync starts, as YYYY-MM-DD. Later syncs continue from "
            "their saved state. Default: 1970-01-01 (everything).",
            required=False,
            placeholder="2024-01-01",
        )
    )
    form.add_field(
        form_field.TextField(
            "lookback_days",
            "Lookback days",
            form_field.TextField.plain_text,
            description="How many days before the last sync each sync reads again, for "
            "responses that reach the API late. A whole number from 0 to 365. Default: 2.",
            required=False,
            placeholder="2",
        )
    )
    form.add_field(
        form_field.TextField(
            "base_url",
            "API URL",
            form_field.TextField.plain_text,
            description="Where to send requests, for a proxy or a stand-in of the API. An "
            "http(s) URL with a host. Default: https://app.customerthermometer.com/api.php.",
            required=False,
            placeholder="https://app.customerthermometer.com/api.php",
        )
    )
    form.add_test(label="Check the API key", func=check_api_key)
    return form


# Create the connector object using the schema, update and configuration_form functions
connector = Connector(update=update, schema=schema, configuration_form=configuration_form)

# Check if the script is being run as the main module.
# This is Python's standard entry method allowing your script to be run directly from the command
# line or IDE 'run' button. This is useful for debugging while you write your code.
if __name__ == "__main__":
    # Open the configuration.json file and load its contents
    with open("configuration.json") as f:
        configuration = json.load(f)

    # Test the connector locally
    connector.debug(configuration=configuration)
