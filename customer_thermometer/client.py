"""One request to the API, answered or diagnosed: retries with back-off (and Retry-After), the
answer's deadline and size, a body streamed in chunks, and what a failed answer means (a refused
key, a rate limit, a host that cannot be reached)."""

import email.utils
import math
import re
from datetime import timezone
from urllib.parse import urljoin, urlparse

import requests
from fivetran_connector_sdk import Logging as log
from requests.packages.urllib3.exceptions import (
    ConnectTimeoutError,
    DecodeError,
    NewConnectionError,
    ProtocolError,
    ReadTimeoutError,
)
from requests.utils import DEFAULT_ACCEPT_ENCODING

from . import clock
from .deadline import AnswerWatch
from .errors import (
    AnswerLimitError,
    ApiError,
    AuthenticationError,
    LongWaitError,
    RefusedError,
    TransientError,
    UnexpectedBodyError,
    UnreachableError,
    WindowTimeoutError,
)
from .masking import cited, mask_secrets, masked_snippet
from .output import count_of, note_progress, say
from .specs import SNIPPET_READ_BYTES

REQUEST_TIMEOUT_SECONDS = 30


# What a server (or a gateway in front of it) answers when it gave up on a request in time:
# 408 Request Timeout, 504 Gateway Timeout, and Cloudflare's 524 (a timeout reached).
TIMEOUT_STATUSES = (408, 504, 524)


MAX_RETRIES = 3


BACKOFF_BASE_SECONDS = 1


MAX_RETRY_AFTER_SECONDS = 60


# Header names (requests' headers ignore their case, so a constant's spelling is no matter), and
# what an answer without a Content-Encoding is in.
CONTENT_ENCODING, LOCATION, RETRY_AFTER = "Content-Encoding", "Location", "Retry-After"


NO_ENCODING = "identity"


FOLLOW_REDIRECTS = False  # a redirect would take the key in its URL wherever it points


TEXT_CODEC = "utf-8"  # of a body quoted in a message


CHUNK_BYTES = 65536  # read from the network at a time


STALL_BYTES = 2**20  # an answer past its deadline with less than this read had stalled


NUMBER_PATTERN = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")


# What a body says when the key itself was refused ("Invalid API Key" and its kin), and when
# requests came too fast: a mere mention of "API key", or a 403 page, is neither.
KEY_REJECTED_PATTERN = re.compile(
    r"(invalid|incorrect|wrong|unknown|expired|revoked|disabled|missing)\W+(api\W*)?key\b"
    r"|\bapi\W*key\W+(is\W+|has\W+|was\W+)?(been\W+)?(invalid|incorrect|wrong|not\W+valid"
    r"|no\W+longer\W+valid|expired|revoked|disabled|not\W+recogni[sz]ed|required|missing)\b"
    r"|\b(access\W+)?denied\W+for\W+(this|the|your)\W+api\W*key\b"
    r"|^\W*(401\W+)?unauthori[sz]ed\W*$",  # a body that is only that word
    re.IGNORECASE,
)


MARKUP_PATTERN = re.compile(r"<[^<>]*>")  # a tag, read as a space where a body's words are read


RATE_LIMITED_PATTERN = re.compile(
    r"\btoo\W+many\W+requests\b|\brate\W*limit|\bslow\W+down\b"
    r"|\blimit\W+(has\W+been\W+)?(reached|exceeded)\b|\btry\W+again\W+later\b",
    re.IGNORECASE,
)


# The content codings requests decodes here (gzip and deflate, and br or zstd where installed).
READABLE_ENCODINGS = frozenset(
    {"identity", "x-gzip"} | {name.strip() for name in DEFAULT_ACCEPT_ENCODING.split(",")}
)


SYSTEM_ERROR_PATTERN = re.compile(r"\[Errno -?\d+\] ([^'\"()\]]+)")


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
        ApiError: a failure that is not transient (RefusedError: the request as asked, see
            raise_for_status()), or one still failing after the retries.
        LongWaitError: a wait asked for (Retry-After) longer than MAX_RETRY_AFTER_SECONDS: at
            once, without sleeping.
    """
    query = {"getMethod": method, "apiKey": context.api_key, **params}
    request_label = describe_request(method, params)
    stats = context.table_stats(table)
    reason = retry_after = unreachable = None
    for attempt in range(MAX_RETRIES + 1):
        if reason is not None:
            wait = backoff_seconds(attempt - 1, retry_after)
            say(
                context,
                log.warning,
                f"{request_label}: {reason}; retry {attempt} of {MAX_RETRIES} in {wait:g} s",
            )
            clock.sleep(wait)
        stats["requests"] += 1
        note_progress(context, table, request_label)
        try:
            return _request_once(context, query, request_label, read_body, split_on_timeout)
        except TransientError as error:
            reason, retry_after = mask_secrets(error, context.api_key), error.retry_after
            unreachable = error.unreachable
            if retry_after is not None and retry_after > MAX_RETRY_AFTER_SECONDS:
                raise LongWaitError(
                    f"{request_label} answered {reason}, asking to wait {seconds(retry_after)} "
                    f"before asking again, more than the {MAX_RETRY_AFTER_SECONDS} s a sync "
                    f"waits: not asked again in this sync",
                    retry_after,
                ) from None
    message = f"{request_label} failed after {MAX_RETRIES + 1} attempts: {reason}"
    if unreachable is not None:
        raise UnreachableError(
            message,
            f"{unreachable}, on all {count_of(MAX_RETRIES + 1, 'attempt')} of {request_label}",
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
    context.stalls = context.stalls + 1 if context.answer_bytes < STALL_BYTES else 0
    if context.stalls > MAX_RETRIES:
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
            timeout=REQUEST_TIMEOUT_SECONDS,
            stream=True,
            allow_redirects=FOLLOW_REDIRECTS,
        ) as response:
            if split_on_timeout and response.status_code in TIMEOUT_STATUSES:
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
            chunk = response.raw.read1(CHUNK_BYTES, decode_content=True)
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
    said = SYSTEM_ERROR_PATTERN.search(str(reason))
    return said.group(1).strip() if said else type(reason).__name__


def seconds(wait):
    """Return a wait for a message: `3,600 s`, or `for ever` for one past any number."""
    return f"{wait:,.0f} s" if math.isfinite(wait) else "for ever"


def backoff_seconds(attempt, retry_after):
    """Return the wait before retry number attempt + 1: Retry-After (capped) or 1, 2, 4 s."""
    if retry_after is not None:
        return min(retry_after, MAX_RETRY_AFTER_SECONDS)
    return BACKOFF_BASE_SECONDS * 2**attempt


def raise_for_status(context, response, request_label):
    """Classify the HTTP status of an answer.

    Raises:
        AuthenticationError: 401, or a 403 whose body says the key was refused.
        TransientError: also a 403 whose body says requests came too fast.
        TransientError: 408, 429 or 5xx, with the Retry-After seconds when given.
        RefusedError: a 403 that does not say so, or any other 4xx.
        ApiError: a redirect (never followed: the API has no reason to redirect, and the key
            would go wherever it points), or any other status that is not 2xx.
    """
    status = response.status_code
    if status == 403:  # a key refused, or a firewall's or a rate limit's page: the body says
        snippet = read_snippet(stream_body(context, response))
        raise_if_key_rejected(f"{request_label} (HTTP 403)", snippet, context.api_key)
        raise RefusedError(
            f"{request_label} answered HTTP 403: "
            f"{masked_snippet(snippet, context.api_key)!r} (not a refused key: it does not say so)"
        )
    if 300 <= status < 400:
        location = response.headers.get(LOCATION) or ""
        target = urljoin(context.settings["base_url"], location)
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
        refused = RefusedError if 400 <= status < 500 else ApiError
        raise refused(f"{request_label} answered HTTP {status}: {snippet!r}")


def check_content_encoding(context, response, request_label):
    """Refuse an answer in a content coding requests does not decode here, naming it.

    Raises:
        ApiError: a `Content-Encoding` other than identity, gzip, deflate (or br or zstd where
            installed).
    """
    coding = response.headers.get(CONTENT_ENCODING) or NO_ENCODING
    names = {name.strip().lower() for name in coding.split(",")}
    if not names <= READABLE_ENCODINGS:
        shown = mask_secrets(coding, context.api_key)
        raise ApiError(
            f"{request_label} answered in the content encoding {cited(shown)}, which the "
            f"connector cannot decode (it reads {', '.join(sorted(READABLE_ENCODINGS))})"
        )


def parse_retry_after(headers):
    """Return Retry-After in seconds: a number of seconds, or the time from now to an HTTP date
    (0 for one past); None when the header is missing or neither."""
    value = (headers.get(RETRY_AFTER) or "").strip()
    if NUMBER_PATTERN.fullmatch(value):
        return float(value) if float(value) >= 0 else None
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # an HTTP date is in GMT
        when = when.replace(tzinfo=timezone.utc)
    return max((when - clock.utc_now()).total_seconds(), 0.0)


def read_snippet(chunks, head=b""):
    """Return the start of a body, for an error message: mask it before cutting it to 200 chars.

    Args:
        chunks: the body's remaining bytes, as an iterable of chunks.
        head: the bytes of the body read already.
    Returns:
        Its first 1,000 bytes or so, decoded and stripped.
    """
    for chunk in chunks:
        if len(head) >= SNIPPET_READ_BYTES:
            break
        head += chunk
    return decoded(head[: SNIPPET_READ_BYTES * 2])


def decoded(data):
    """Return bytes of a body as text for a message (what is not UTF-8 replaced), stripped of
    white space and of a byte-order mark."""
    text = data.decode(TEXT_CODEC, errors="replace")
    return text.strip().lstrip("\ufeff").strip()


def raise_if_key_rejected(request_label, snippet, api_key):
    """Raise AuthenticationError when a body that is not data says the key was refused, and
    TransientError when it says requests came too fast.

    That is how the API says it rejects a key: with HTTP 200 and a short message (`Invalid API
    Key`). A body that only mentions the key ("Too many requests for this API key") is not that.
    Its words are read with its tags as spaces too (`<message>Invalid <b>API key</b></message>`).
    """
    if KEY_REJECTED_PATTERN.search(snippet) or KEY_REJECTED_PATTERN.search(
        MARKUP_PATTERN.sub(" ", snippet)
    ):
        raise AuthenticationError(
            f"Customer Thermometer rejected the API key ({request_label} answered "
            f"{masked_snippet(snippet, api_key)!r}): check 'api_key' in the configuration."
        )
    if RATE_LIMITED_PATTERN.search(snippet):
        raise TransientError(f"answered {masked_snippet(snippet, api_key)!r} (rate limited)")


def fetch_value(context, table, method, params):
    """Request a value method and return its number.

    Raises:
        UnexpectedBodyError: the body is not a number (after it was checked for a rejected key).
        AuthenticationError, ApiError: see make_api_request().
    """
    request_label = describe_request(method, params)

    def read_body(response):
        text = read_snippet(stream_body(context, response))
        if NUMBER_PATTERN.fullmatch(text) and math.isfinite(float(text)):
            return float(text)
        raise_if_key_rejected(request_label, text, context.api_key)
        raise UnexpectedBodyError(text)

    return make_api_request(context, table, method, params, read_body)
