"""Customer Thermometer connector for the Fivetran Connector SDK.

Syncs a Customer Thermometer account's survey responses, comments, recipient lists, thermometers
and headline metrics into five typed tables.

The API's quirks, and the design that answers each of them:
- One `GET` endpoint with the key in the URL (`apiKey=...`): every URL, message and exception the
  connector logs or raises goes through `mask_secrets()`, including what `requests` says itself.
- No pagination, newest first, at most `limit` records per answer (200 when `limit` is absent):
  the connector always sends `limit=10000` and reads `comment` and `blast_result` by date window.
  An answer that holds `limit` records may be truncated; since it is newest first, it covers every
  day after its oldest one completely, so the next request asks only for the days up to that oldest
  day (see `sync_windowed_table()`). A read time-out on a multi-day window splits the window.
- A rejected key is answered with HTTP 200 and a plain-text body: a list body that is not XML, or a
  value body that is not a number, is an error and never data; one that mentions the key stops the
  sync at once.
- Answers can be megabytes: bodies are parsed as the bytes arrive, 8 KB at a time
  (`XMLPullParser`), and each record is upserted and released as soon as the next one has begun
  (the parser holds the records of one 8 KB piece at most). Every 10,000 upserts the state the
  sync started with is checkpointed again, which commits the rows without moving any cursor; the
  accumulated state is checkpointed once, at the end.

See the Fivetran Connector SDK documentation: https://fivetran.com/docs/connectors/connector-sdk
"""

# For reading configuration from a JSON file when run directly
import json

# For reading a row's primary key
import operator

# For matching numbers, keys and tags in the API's answers
import re

# For the retry back-off
import time

# For date windows and typed values
from datetime import date, datetime, timedelta, timezone

# For masking the key in URL-encoded form
from urllib.parse import quote, quote_plus, urlparse

# For streaming XML parsing with the standard library
from xml.etree.ElementTree import ParseError, XMLPullParser

# For the HTTP requests (pre-installed in Fivetran's runtime)
import requests

# Import required classes from fivetran_connector_sdk
from fivetran_connector_sdk import Connector

# For enabling Logs in your connector code
from fivetran_connector_sdk import Logging as log

# For supporting Data operations like Upsert(), Update(), Delete() and checkpoint()
from fivetran_connector_sdk import Operations as op

# For the setup form and its test
from fivetran_connector_sdk import ConfigurationForm, Test, form_field

__DEFAULT_BASE_URL = "https://app.customerthermometer.com/api.php"
__DEFAULT_FROM_DATE = "1970-01-01"
__DEFAULT_LOOKBACK_DAYS = 2
__MAX_LOOKBACK_DAYS = 365
__MIN_API_KEY_LENGTH = 10
__RECORD_LIMIT = 10000  # the most records one answer holds; an answer this full may be truncated
__REQUEST_TIMEOUT_SECONDS = 30
__MAX_RETRIES = 3
__BACKOFF_BASE_SECONDS = 1
__MAX_RETRY_AFTER_SECONDS = 60
__CHUNK_BYTES = 65536  # read from the network at a time
__FEED_BYTES = 8192  # handed to the XML parser at a time (see iter_records())
__BODY_SNIPPET_CHARS = 200
__MAX_VALUE_BODY_BYTES = 1024
__CHECKPOINT_EVERY_ROWS = 10000
__MAX_VALUE_WARNINGS_PER_FIELD = 5
__MASK = "***"

__NUMBER_PATTERN = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")
__KEY_IN_URL_PATTERN = re.compile(r"(apiKey=)[^&\s'\"]*", re.IGNORECASE)
__KEY_REJECTED_PATTERN = re.compile(r"api[\s_-]*key|unauthori[sz]ed|forbidden", re.IGNORECASE)
__ELEMENT_START_PATTERN = re.compile(rb"<[A-Za-z_:]")
__LEADING_BYTES = b" \t\r\n\xef\xbb\xbf"  # white space and a UTF-8 byte order mark
__DATE_PATTERN = re.compile(r"\d{4}-\d{2}-\d{2}")
__WHOLE_NUMBER_PATTERN = re.compile(r"\d+")

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
    },
    "blast_result": {
        "method": "getBlastResults",
        "root": "thermometer_blast_responses",
        "record": "thermometer_blast_response",
        "primary_key": ["blast_id", "response_id", "thermometer_id", "date_submitted"],
        "columns": __RESPONSE_COLUMNS,
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
        },
    },
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


class TransientError(CustomerThermometerError):
    """A failure worth retrying: 429, 5xx, a body cut short.

    Args:
        message: what happened, key masked.
        retry_after: seconds the API asked to wait, or None.
    """

    def __init__(self, message, retry_after=None):
        super().__init__(message)
        self.retry_after = retry_after


class WindowTimeoutError(CustomerThermometerError):
    """A read time-out on a window longer than one day: the window is split, not retried."""


class UnexpectedBodyError(CustomerThermometerError):
    """An answer that is neither XML (for a list) nor a number (for a value).

    Args:
        snippet: the first characters of the body, not yet masked.
    """

    def __init__(self, snippet):
        super().__init__("unexpected body")
        self.snippet = snippet


def _utc_now():
    """Return the current time in UTC; tests replace this to pin the clock."""
    return datetime.now(timezone.utc)


def _sleep(seconds):
    """Wait between retries; tests replace this to assert the waits without waiting."""
    time.sleep(seconds)


def mask_secrets(text, api_key):
    """Return text with the API key masked, as given and URL-encoded, and any apiKey= value.

    Args:
        text: any message, URL or exception text.
        api_key: the configured key (may be None).
    Returns:
        The text, safe to log.
    """
    text = __KEY_IN_URL_PATTERN.sub(r"\1" + __MASK, str(text))
    if api_key:
        for variant in {api_key, quote(api_key, safe=""), quote_plus(api_key)}:
            text = text.replace(variant, __MASK)
    return text


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
    api_key = configuration.get("api_key")
    if not isinstance(api_key, str) or not api_key.strip():
        raise ValueError(
            "Configuration 'api_key' is missing or empty: expected your Customer Thermometer "
            "API key."
        )
    if api_key.strip().upper().startswith("<YOUR_"):
        raise ValueError(
            "Configuration 'api_key' still holds the placeholder from configuration.json: "
            "replace it with your Customer Thermometer API key."
        )
    if any(character.isspace() for character in api_key):
        raise ValueError(
            "Configuration 'api_key' contains white space: expected the key as one unbroken token."
        )
    if len(api_key) < __MIN_API_KEY_LENGTH:
        raise ValueError(
            f"Configuration 'api_key' is too short: expected a key of at least "
            f"{__MIN_API_KEY_LENGTH} characters."
        )

    from_date_text = _optional_text(configuration, "from_date") or __DEFAULT_FROM_DATE
    try:
        if not __DATE_PATTERN.fullmatch(from_date_text):
            raise ValueError(from_date_text)
        from_date = date.fromisoformat(from_date_text)
    except ValueError:
        raise ValueError(
            f"Configuration 'from_date' is {from_date_text!r}: expected a real date as "
            f"YYYY-MM-DD, such as 2024-01-31."
        ) from None
    today = _utc_now().date()
    if from_date > today:
        raise ValueError(
            f"Configuration 'from_date' is {from_date_text}, which lies in the future: expected a "
            f"date on or before {today.isoformat()}."
        )

    lookback_text = _optional_text(configuration, "lookback_days")
    lookback_days = __DEFAULT_LOOKBACK_DAYS
    if lookback_text is not None:
        if not __WHOLE_NUMBER_PATTERN.fullmatch(lookback_text) or not (
            0 <= int(lookback_text) <= __MAX_LOOKBACK_DAYS
        ):
            raise ValueError(
                f"Configuration 'lookback_days' is {lookback_text!r}: expected a whole number "
                f"from 0 to {__MAX_LOOKBACK_DAYS}."
            )
        lookback_days = int(lookback_text)

    base_url = _optional_text(configuration, "base_url") or __DEFAULT_BASE_URL
    parsed = urlparse(base_url)
    if parsed.scheme not in ("http", "https") or not parsed.hostname or " " in base_url:
        raise ValueError(
            f"Configuration 'base_url' is {mask_secrets(base_url, api_key)!r}: expected an "
            f"http(s) URL with a host, such as {__DEFAULT_BASE_URL}."
        )

    return {
        "api_key": api_key,
        "from_date": from_date,
        "lookback_days": lookback_days,
        "base_url": base_url,
    }


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
        self.session = requests.Session()
        self.upserts = 0
        self.stats = {}

    def table_stats(self, table):
        """Return the counters of one table, created on first use."""
        return self.stats.setdefault(
            table, {"requests": 0, "rows": 0, "skipped": 0, "bad_values": {}}
        )

    def close(self):
        """Release the HTTP connections."""
        self.session.close()


def upsert_row(context, table, row):
    """Upsert one row; every 10,000 upserts, commit them by checkpointing the start state.

    The start state moves no cursor, so a sync that fails later loses no row and skips none.
    """
    op.upsert(table=table, data=row)
    context.table_stats(table)["rows"] += 1
    context.upserts += 1
    if context.upserts % __CHECKPOINT_EVERY_ROWS == 0:
        op.checkpoint(state=context.start_state)


def make_api_request(context, table, method, params, read_body, split_on_timeout=False):
    """GET one API method and read its answer, retrying transient failures with back-off.

    Args:
        context: the SyncContext.
        table: the table the request is for (its request counter is increased).
        method: the API method (`getMethod`).
        params: further query parameters (dates, limit).
        read_body: called with the streamed response; what it returns is returned. It may raise
            TransientError (a body cut short) to have the request retried.
        split_on_timeout: raise WindowTimeoutError on a read time-out instead of retrying.
    Returns:
        What read_body returned.
    Raises:
        AuthenticationError: the key was rejected (never retried).
        WindowTimeoutError: a read time-out, when split_on_timeout is set.
        ApiError: a failure that is not transient, or one still failing after the retries.
    """
    query = {"getMethod": method, "apiKey": context.api_key, **params}
    described = describe_request(method, params)
    stats = context.table_stats(table)
    for attempt in range(__MAX_RETRIES + 1):
        stats["requests"] += 1
        retry_after = None
        try:
            with context.session.get(
                context.settings["base_url"],
                params=query,
                timeout=__REQUEST_TIMEOUT_SECONDS,
                stream=True,
            ) as response:
                raise_for_status(response, described, context.api_key)
                return read_body(response)
        except TransientError as error:
            reason, retry_after = str(error), error.retry_after
        except (requests.exceptions.ConnectionError, requests.exceptions.Timeout) as error:
            if split_on_timeout and is_read_timeout(error):
                raise WindowTimeoutError(f"{described}: read timed out") from None
            reason = f"{type(error).__name__}: {mask_secrets(error, context.api_key)}"
        except requests.exceptions.ChunkedEncodingError as error:
            reason = f"body cut short: {mask_secrets(error, context.api_key)}"
        except requests.exceptions.RequestException as error:
            raise ApiError(
                f"{described} failed: {type(error).__name__}: "
                f"{mask_secrets(error, context.api_key)}"
            ) from None
        if attempt == __MAX_RETRIES:
            raise ApiError(f"{described} failed after {attempt + 1} attempts: {reason}")
        wait = backoff_seconds(attempt, retry_after)
        log.warning(f"{described}: {reason}; retry {attempt + 1} of {__MAX_RETRIES} in {wait:g} s")
        _sleep(wait)
    raise AssertionError("unreachable")  # the loop either returns or raises


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


def backoff_seconds(attempt, retry_after):
    """Return the wait before retry number attempt + 1: Retry-After (capped) or 1, 2, 4 s."""
    if retry_after is not None:
        return min(retry_after, __MAX_RETRY_AFTER_SECONDS)
    return __BACKOFF_BASE_SECONDS * 2**attempt


def raise_for_status(response, described, api_key):
    """Classify the HTTP status of an answer.

    Raises:
        AuthenticationError: 401 or 403.
        TransientError: 429 or 5xx, with the Retry-After seconds when given.
        ApiError: any other status that is not 2xx.
    """
    status = response.status_code
    if status in (401, 403):
        raise AuthenticationError(
            f"Customer Thermometer rejected the API key (HTTP {status} for {described}): check "
            f"'api_key' in the configuration."
        )
    if status == 429 or status >= 500:
        raise TransientError(f"HTTP {status}", parse_retry_after(response.headers))
    if not 200 <= status < 300:
        snippet = mask_secrets(
            read_snippet(response.iter_content(chunk_size=__BODY_SNIPPET_CHARS * 4)), api_key
        )
        raise ApiError(f"{described} answered HTTP {status}: {snippet!r}")


def parse_retry_after(headers):
    """Return Retry-After in seconds when the header holds a number of seconds, else None."""
    value = (headers.get("Retry-After") or "").strip()
    return float(value) if __NUMBER_PATTERN.fullmatch(value) and float(value) >= 0 else None


def read_snippet(chunks, head=b""):
    """Return the first characters of a body (for error messages).

    Args:
        chunks: the body's remaining bytes, as an iterable of chunks.
        head: the bytes of the body read already.
    """
    for chunk in chunks:
        if len(head) >= __BODY_SNIPPET_CHARS * 4:
            break
        head += chunk
    return head.decode("utf-8", errors="replace").strip()[:__BODY_SNIPPET_CHARS]


def raise_for_unexpected_body(described, snippet, api_key, expected):
    """Turn a body that is not the expected shape into the right error.

    Raises:
        AuthenticationError: the body mentions the key (how the API says it rejects one).
        ApiError: any other such body; its first 200 characters, key masked, are in the message.
    """
    masked = mask_secrets(snippet[:__BODY_SNIPPET_CHARS], api_key)
    if __KEY_REJECTED_PATTERN.search(snippet):
        raise AuthenticationError(
            f"Customer Thermometer rejected the API key ({described} answered {masked!r}): "
            f"check 'api_key' in the configuration."
        )
    raise ApiError(f"{described} answered a body that is not {expected}: {masked!r}")


# ---------------------------------------------------------------------------------------------
# XML: records parsed as the bytes arrive, each released once it has been handed on.
# ---------------------------------------------------------------------------------------------


def iter_records(chunks, root_tag, record_tag):
    """Yield each record of a streamed XML list as a dict of field name to text (or None).

    Records are the root's direct children; a field holding elements is flattened into
    `parent_child` names. An empty body or an empty root yields nothing. The root is checked as
    soon as it has been read and each record as it is handed on, so a body of another shape is an
    error, never data. A record is handed on once the next one has begun (or the body has ended),
    then removed from the tree: the parser holds no more than the records of one 8 KB piece.

    Args:
        chunks: an iterable of bytes, in the order they arrive.
        root_tag: the root element the list must have.
        record_tag: the element of one record.
    Raises:
        UnexpectedBodyError: the body is not XML (with its first characters).
        ApiError: the XML is malformed, has a DTD, or has another shape.
        TransientError: the body ended before the XML did (cut short).
    """
    # Only the first "start" event (the root's) is needed. Once it has been read, events are
    # switched off where the parser allows it, as queueing an event per element costs about as
    # much as the parsing; the queue then only ever holds a parse error met while feeding.
    parser = XMLPullParser(events=("start",))
    queue = getattr(parser, "_events_queue", None)
    events_on = True
    # Small pieces keep the elements alive at once (those of the records in one piece) under the
    # garbage collector's threshold of 700 new objects: fed 64 KB at a time, the parser builds
    # some 2,000 elements at once, which triggers collections and makes parsing twice as slow.
    chunks = _pieces(chunks, __FEED_BYTES)
    head = b""
    prolog_checked = False
    root = None
    for chunk in chunks:
        if not prolog_checked:
            head += chunk
            stripped = head.lstrip(__LEADING_BYTES)
            if not stripped:
                continue
            if not stripped.startswith(b"<"):
                raise UnexpectedBodyError(read_snippet(chunks, head))
            element_start = __ELEMENT_START_PATTERN.search(head)
            prolog = head if element_start is None else head[: element_start.start()]
            if b"<!DOCTYPE" in prolog or b"<!ENTITY" in prolog:
                raise ApiError(
                    "the XML answer declares a DTD, which the connector does not accept"
                )
            if element_start is None:
                continue
            prolog_checked = True
            chunk, head = head, b""
        try:
            parser.feed(chunk)
            if events_on:
                events = list(parser.read_events())
            elif queue:
                raise queue.popleft()
        except ParseError as error:
            raise ApiError(f"malformed XML: {error}") from None
        if root is None:
            if not events:
                continue
            root = _checked_root(events[0][1], root_tag)
            events_on = not _stop_events(parser, queue)
        events = None  # holds no record once read
        # Every record but the last has ended, as another one has begun after it.
        ended = len(root) - 1
        if ended > 0:
            for record in root[:ended]:
                yield _record_fields(record, root_tag, record_tag)
            del root[:ended]
    if not prolog_checked:
        if not head.lstrip(__LEADING_BYTES):
            return  # an empty body: no data
        try:
            parser.feed(head)
        except ParseError as error:
            raise ApiError(f"malformed XML: {error}") from None
    try:
        parser.close()
        events = list(parser.read_events()) if root is None else []
    except ParseError as error:
        raise TransientError(f"body cut short before the XML ended ({error})") from None
    if root is None:
        root = _checked_root(events[0][1] if events else None, root_tag)
    for record in root:
        yield _record_fields(record, root_tag, record_tag)


def _pieces(chunks, size):
    """Yield the bytes of chunks in pieces of at most size bytes."""
    for chunk in chunks:
        if len(chunk) <= size:
            yield chunk
            continue
        for start in range(0, len(chunk), size):
            yield chunk[start : start + size]


def _checked_root(root, root_tag):
    """Return the root element, or raise ApiError when it is missing or not `root_tag`."""
    if root is None or root.tag != root_tag:
        found = "no element" if root is None else f"<{root.tag}>"
        raise ApiError(f"expected an XML list with root <{root_tag}>, got {found}")
    return root


def _stop_events(parser, queue):
    """Ask the parser to queue no more events; return False where it cannot be asked.

    `XMLPullParser` sets its events through its parser's `_setevents()` (CPython 3.4 and later);
    without it, events keep being queued and are read and dropped after each chunk.
    """
    set_events = getattr(getattr(parser, "_parser", None), "_setevents", None)
    if queue is None or set_events is None:
        return False
    set_events(queue, ())
    queue.clear()
    return True


def _record_fields(record, root_tag, record_tag):
    """Return one record's fields, or raise ApiError when the element is not a record."""
    if record.tag != record_tag or not len(record):
        raise ApiError(
            f"expected <{root_tag}> to hold only <{record_tag}> records with fields, found "
            f"another shape (<{record.tag}>)"
        )
    if any(map(len, record)):
        return flatten_record(record)  # a field holding elements
    return {field.tag: field.text for field in record}


def flatten_record(element, prefix="", fields=None):
    """Return a record's fields as a flat dict: `<a><b>x</b></a>` gives `{"a_b": "x"}`.

    Args:
        element: the record (or a nested field) element.
        prefix: the name prefix of a nested field.
        fields: the dict to fill (a new one when None).
    Returns:
        Field name to text; an empty element gives None.
    """
    if fields is None:
        fields = {}
    for child in element:
        if len(child):
            flatten_record(child, f"{prefix}{child.tag}_", fields)
        else:
            fields[prefix + child.tag if prefix else child.tag] = child.text
    return fields


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
    """Return True for 1/true/yes, False for 0/false/no, or raise ValueError."""
    value = text.strip().lower()
    if value in ("1", "true", "yes"):
        return True
    if value in ("0", "false", "no"):
        return False
    raise ValueError(f"{text!r} is not a boolean")


def _to_naive_datetime(text):
    """Return text as a naive datetime, wall-clock unchanged (an offset is dropped)."""
    value = datetime.fromisoformat(text.strip())
    return value if value.tzinfo is None else value.replace(tzinfo=None)


CONVERTERS = {
    "LONG": _to_long,
    "INT": _to_int,
    "BOOLEAN": _to_boolean,
    "NAIVE_DATETIME": _to_naive_datetime,
    "DOUBLE": float,
}

# Per table, the converter of each column that is not text (text needs none).
TABLE_CONVERTERS = {
    table: {
        name: CONVERTERS[column_type]
        for name, column_type in spec["columns"].items()
        if column_type in CONVERTERS
    }
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
    for name, convert in TABLE_CONVERTERS[table].items():
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
            stats = context.table_stats(table)
            stats["skipped"] += 1
            if stats["skipped"] <= __MAX_VALUE_WARNINGS_PER_FIELD:
                log.warning(
                    f"{table}: skipped a record without a primary-key value for '{key}' "
                    f"(response_id {fields.get('response_id')!r})"
                )
            return None
    return row


def warn_bad_value(context, table, field, column_type, response_id):
    """Count a value that could not be converted, and log the first few of each field."""
    bad_values = context.table_stats(table)["bad_values"]
    bad_values[field] = bad_values.get(field, 0) + 1
    if bad_values[field] <= __MAX_VALUE_WARNINGS_PER_FIELD:
        log.warning(
            f"{table}: field '{field}' of response_id {response_id!r} is not a valid "
            f"{column_type}; stored as NULL"
        )


# ---------------------------------------------------------------------------------------------
# Lists, windows and state.
# ---------------------------------------------------------------------------------------------


def fetch_list(context, table, params, split_on_timeout=False, delivered=frozenset()):
    """Request one list answer and upsert its records as they are parsed.

    Args:
        context: the SyncContext.
        table: the table whose method is called.
        params: date and limit parameters (empty for undated lists).
        split_on_timeout: see make_api_request().
        delivered: primary keys upserted already by this sync, not to be upserted again.
    Returns:
        (records in the answer, oldest submission day among them or None, the primary keys of
        the records of that day).
    """
    spec = TABLE_SPECS[table]
    primary_key_of = operator.itemgetter(*spec["primary_key"])
    described = describe_request(spec["method"], params)

    def read_body(response):
        count = 0
        oldest_day = None
        oldest_day_keys = set()
        snippet = None
        try:
            for fields in iter_records(
                response.iter_content(chunk_size=__CHUNK_BYTES), spec["root"], spec["record"]
            ):
                count += 1
                row = build_row(context, table, fields)
                if row is None:
                    continue
                key = primary_key_of(row)
                submitted = row.get("date_submitted")
                if submitted is not None:
                    submitted_day = submitted.date()
                    if oldest_day is None or submitted_day < oldest_day:
                        oldest_day, oldest_day_keys = submitted_day, set()
                    if submitted_day == oldest_day:
                        oldest_day_keys.add(key)
                if key not in delivered:
                    upsert_row(context, table, row)
        except UnexpectedBodyError as error:
            snippet = error.snippet
        except ApiError as error:
            raise ApiError(f"{described}: {mask_secrets(error, context.api_key)}") from None
        if snippet is not None:
            raise_for_unexpected_body(described, snippet, context.api_key, "XML")
        return count, oldest_day, oldest_day_keys

    return make_api_request(
        context, table, spec["method"], params, read_body, split_on_timeout=split_on_timeout
    )


def read_cursor(state, table):
    """Return a table's saved cursor date, reading the earlier example's key too, or None.

    Raises:
        ValueError: a saved value that is not a date.
    """
    for key in (f"{table}_cursor", f"{table}_last_sync"):
        value = state.get(key)
        if value:
            try:
                return datetime.fromisoformat(str(value).replace("Z", "+00:00")[:32]).date()
            except ValueError:
                try:
                    return date.fromisoformat(str(value)[:10])
                except ValueError:
                    raise ValueError(
                        f"State '{key}' is {value!r}: expected a date (YYYY-MM-DD) or an ISO "
                        f"timestamp."
                    ) from None
    return None


def sync_windowed_table(context, state, table):
    """Sync a dated list table by windows, covering its whole range, then advance its cursor.

    A table without a cursor starts at from_date; otherwise at the cursor minus lookback_days.
    The range ends tomorrow (UTC). An answer holding the limit is newest first, so the days after
    its oldest day are complete and only [start, oldest day] is asked again; a single day that
    alone fills the limit is logged. The records of that oldest day, upserted already, are not
    upserted again. A read time-out on a multi-day window splits it in halves.

    Args:
        context: the SyncContext.
        state: the accumulating state; the table's cursor is set in it on success.
    """
    settings = context.settings
    cursor = read_cursor(state, table)
    if cursor is None:
        start = settings["from_date"]
    else:
        start = cursor - timedelta(days=settings["lookback_days"])
    pending = [(start, context.upper_bound, frozenset())]
    while pending:
        low, high, delivered = pending.pop()
        params = {"fromDate": low.isoformat(), "toDate": high.isoformat(), "limit": __RECORD_LIMIT}
        try:
            count, oldest, oldest_keys = fetch_list(
                context, table, params, split_on_timeout=low < high, delivered=delivered
            )
        except WindowTimeoutError:
            middle = low + (high - low) // 2
            log.warning(
                f"{table}: {low}..{high} timed out; asking for {low}..{middle} and "
                f"{middle + timedelta(days=1)}..{high} instead"
            )
            pending.append((low, middle, delivered))
            pending.append((middle + timedelta(days=1), high, delivered))
            continue
        if count < __RECORD_LIMIT:
            continue
        # The records of the oldest day were delivered already: the next answer skips them.
        for window in remaining_windows(table, low, high, oldest):
            pending.append(window + (frozenset(oldest_keys | delivered),))
    state[f"{table}_cursor"] = context.today.isoformat()
    state.pop(f"{table}_last_sync", None)
    log_table_summary(context, table, f"{start}..{context.upper_bound}")


def remaining_windows(table, low, high, oldest):
    """Return the windows still to read after an answer of [low, high] that filled the limit.

    Args:
        table: the table name (for the warning).
        low, high: the window asked for.
        oldest: the oldest submission day in the answer, or None when none could be read.
    Returns:
        A list of (from, to) date pairs, possibly empty.
    """
    if oldest is None:
        if low == high:
            oldest = high
        else:
            middle = low + (high - low) // 2
            return [(low, middle), (middle + timedelta(days=1), high)]
    oldest = min(max(oldest, low), high)
    if oldest == high:
        log.warning(
            f"{table}: {high.isoformat()} alone holds {__RECORD_LIMIT} or more responses, the "
            f"most the API returns for one request; older responses of that day may be missing"
        )
        return [(low, high - timedelta(days=1))] if low < high else []
    return [(low, oldest)]


def sync_full_table(context, table):
    """Sync an undated list table whole (it is small: lists, thermometers)."""
    fetch_list(context, table, {})
    log_table_summary(context, table, "whole list")


def log_table_summary(context, table, described_range):
    """Log the one info line of a table: range, requests, rows, skipped rows, bad values."""
    stats = context.table_stats(table)
    bad = ", ".join(f"{field}: {count}" for field, count in sorted(stats["bad_values"].items()))
    log.info(
        f"{table}: {described_range}, {stats['requests']} requests, {stats['rows']} rows, "
        f"{stats['skipped']} skipped" + (f", NULL for bad values ({bad})" if bad else "")
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
    described = describe_request(method, params)

    def read_body(response):
        data = b""
        for chunk in response.iter_content(chunk_size=__MAX_VALUE_BODY_BYTES):
            data += chunk
            if len(data) > __MAX_VALUE_BODY_BYTES:
                break
        text = data.decode("utf-8", errors="replace").strip()
        if __NUMBER_PATTERN.fullmatch(text):
            return float(text)
        if __KEY_REJECTED_PATTERN.search(text):
            raise_for_unexpected_body(described, text, context.api_key, "a number")
        raise UnexpectedBodyError(text)

    return make_api_request(context, table, method, params, read_body)


def sync_metrics(context, state):
    """Record each metric's current value once per sync.

    Dated metrics are asked for from_date (or 1970-01-01) to the upper bound; send_quota is
    undated. A body that is not a number is logged as a warning and gets no row.
    """
    table = "metric"
    from_date = context.settings["from_date"]
    recorded_at = context.started_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    for metric_name, (method, dated) in METRIC_METHODS.items():
        params = {}
        if dated:
            params = {
                "fromDate": from_date.isoformat(),
                "toDate": context.upper_bound.isoformat(),
                "limit": __RECORD_LIMIT,
            }
        try:
            value = fetch_value(context, table, method, params)
        except UnexpectedBodyError as error:
            log.warning(
                f"metric: {method} answered {mask_secrets(error.snippet, context.api_key)!r}, "
                f"which is not a number; no row for {metric_name}"
            )
            continue
        row = {"metric_name": metric_name, "metric_value": value, "recorded_at": recorded_at}
        if dated:
            row["from_date"] = params["fromDate"]
            row["to_date"] = params["toDate"]
        upsert_row(context, table, row)
    log_table_summary(context, table, f"{from_date}..{context.upper_bound}")


def sync_comments(context, state):
    """Sync the `comment` table from getComments."""
    sync_windowed_table(context, state, "comment")


def sync_blast_results(context, state):
    """Sync the `blast_result` table from getBlastResults."""
    sync_windowed_table(context, state, "blast_result")


def sync_recipient_lists(context, state):
    """Sync the `recipient_list` table from getRecipientLists."""
    sync_full_table(context, "recipient_list")


def sync_thermometers(context, state):
    """Sync the `thermometer` table from getThermometers."""
    sync_full_table(context, "thermometer")


SYNC_STEPS = [
    ("comment", sync_comments),
    ("blast_result", sync_blast_results),
    ("recipient_list", sync_recipient_lists),
    ("thermometer", sync_thermometers),
    ("metric", sync_metrics),
]


def update(configuration: dict, state: dict):
    """Sync every table, then checkpoint the accumulated state once.

    A rejected key stops the sync at once with no state change. A table that fails after its
    retries keeps its old cursor without stopping the others; after the last table the state is
    checkpointed and the sync fails, naming the failed tables.

    Args:
        configuration: the connector's configuration.
        state: the state saved by the previous sync ({} on the first one).
    Raises:
        ValueError: a bad configuration value (before any request).
        AuthenticationError: the key was rejected.
        RuntimeError: one or more tables failed.
    """
    settings = validate_configuration(configuration)
    for table in ("comment", "blast_result"):
        read_cursor(state, table)  # a corrupt saved cursor fails here, before any request
    context = SyncContext(settings, state)
    new_state = dict(state)
    failed = []
    try:
        for table, sync_table in SYNC_STEPS:
            try:
                sync_table(context, new_state)
            except ApiError as error:
                log.error(f"{table}: failed, its cursor is kept: {error}")
                failed.append(table)
    finally:
        context.close()
    op.checkpoint(state=new_state)
    if failed:
        raise RuntimeError(
            f"Customer Thermometer sync failed for {', '.join(failed)} (see the errors above); "
            f"the other tables were saved and the failed ones will be read again next sync."
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
            f"{mask_secrets(error.snippet, settings['api_key'])!r}"
        )
    except ApiError as error:
        return Test.failure(
            f"Could not reach Customer Thermometer at {urlparse(settings['base_url']).hostname}: "
            f"{mask_secrets(error, settings['api_key'])}"
        )
    finally:
        context.close()


def configuration_form():
    """Return the setup form: the key, the first-sync date, the lookback, and a key check."""
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
    form.add_test(label="Check the API key", func=check_api_key)
    return form


# Create the connector object using the schema, update and configuration_form functions
connector = Connector(update=update, schema=schema, configuration_form=configuration_form)

# Check if the script is being run as the main module.
# This is Python's standard entry method allowing your script to be run directly from the command
# line or IDE 'run' button. This is useful for debugging while you write your code.
if __name__ == "__main__":
    # Open the configuration.json file and load its contents
    with open("configuration.json", "r") as f:
        configuration = json.load(f)

    # Test the connector locally
    connector.debug(configuration=configuration)
