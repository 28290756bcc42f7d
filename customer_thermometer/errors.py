"""The errors the connector raises about the API, one class per way an answer can fail; what
each means for a table is decided where they are caught."""


class CustomerThermometerError(Exception):
    """Base class of the errors this connector raises about the API."""


class AuthenticationError(CustomerThermometerError):
    """Customer Thermometer rejected the API key: the sync stops at once, without retrying."""


class ApiError(CustomerThermometerError):
    """A request failed for good (after its retries, or with an answer that is never data)."""


class RefusedError(ApiError):
    """The API refused a request as it was asked (an error document, a plain-text complaint, an
    HTTP 4xx other than a refused key): a list request is asked again in a simpler form."""


class LongWaitError(ApiError):
    """The API asked to wait (Retry-After) longer than a sync waits: the request ends at once.

    Args:
        message: what was answered, key masked.
        seconds: the wait asked for.
    """

    def __init__(self, message, seconds):
        super().__init__(message)
        self.seconds = seconds


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
