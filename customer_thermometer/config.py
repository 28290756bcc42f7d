"""Reading the configuration: each value checked, with an error that names what is wrong and
what is expected; `validate_configuration()` in connector.py puts them together."""

import ipaddress
import re
from datetime import date
from urllib.parse import urlparse

import requests
from urllib3.util import parse_url

from . import clock
from .masking import cited, is_placeholder, mask_secrets
from .specs import EARLIEST_DATE, MAX_LOOKBACK_DAYS

DEFAULT_BASE_URL = "https://app.customerthermometer.com/api.php"


DEFAULT_LOOKBACK_DAYS = 2


DEFAULT_RECONCILE_DAYS = 30


MIN_API_KEY_LENGTH = 10


HOST_PATTERN = re.compile(
    r"[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*\.?"
)


DATE_PATTERN = re.compile(r"\d{4}-\d{2}-\d{2}")


LOOKBACK_PATTERN = re.compile(r"\d{1,3}")


def validated_api_key(api_key):
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
    elif len(api_key) < MIN_API_KEY_LENGTH:
        problem = f"is too short: expected a key of at least {MIN_API_KEY_LENGTH} characters"
    else:
        return api_key
    raise ValueError(f"Configuration 'api_key' {problem}.")


def validated_from_date(text):
    """Return from_date as a date (EARLIEST_DATE when not set), or raise ValueError.

    A date before EARLIEST_DATE is refused: the state a sync saves holds no earlier day (see
    cursors.validate_state()), and an empty value reads every response already.
    """
    text = text or EARLIEST_DATE.isoformat()
    try:
        from_date = date.fromisoformat(text) if DATE_PATTERN.fullmatch(text) else None
    except ValueError:
        from_date = None
    if from_date is None:
        raise ValueError(
            f"Configuration 'from_date' is {cited(text)}: expected a real date as YYYY-MM-DD, "
            f"such as 2024-01-31."
        )
    if from_date < EARLIEST_DATE:
        raise ValueError(
            f"Configuration 'from_date' is {text}, before {EARLIEST_DATE}, the earliest day the "
            f"connector reads: expected a date from {EARLIEST_DATE} on (leave it empty to read "
            f"every response)."
        )
    today = clock.utc_now().date()
    if from_date > today:
        raise ValueError(
            f"Configuration 'from_date' is {text}, which lies in the future: expected a date on "
            f"or before {today.isoformat()}."
        )
    return from_date


def validated_lookback_days(text):
    """Return lookback_days as an int (2 when not set), or raise ValueError."""
    return validated_days("lookback_days", text, DEFAULT_LOOKBACK_DAYS)


def validated_reconcile_days(text):
    """Return reconcile_days as an int (30 when not set; 0: off), or raise ValueError."""
    return validated_days("reconcile_days", text, DEFAULT_RECONCILE_DAYS)


def validated_days(name, text, default):
    """Return a setting of whole days from 0 to MAX_LOOKBACK_DAYS as an int (default when not
    set), or raise ValueError naming it."""
    if text is None:
        return default
    # At most three digits, read before int(): int() of thousands of digits is an error itself.
    if not LOOKBACK_PATTERN.fullmatch(text) or int(text) > MAX_LOOKBACK_DAYS:
        raise ValueError(
            f"Configuration '{name}' is {cited(text)}: expected a whole number from 0 to "
            f"{MAX_LOOKBACK_DAYS}."
        )
    return int(text)


def validated_base_url(text, api_key):
    """Return base_url (the API's own when not set), or raise ValueError (credentials masked).

    The URL is read as requests reads it to send the key: one that another reader would take
    to another host (a backslash, user information before an `@`) is refused, so that the host
    validated, named in messages and sent the key are one.
    """
    base_url = text or DEFAULT_BASE_URL
    valid = is_http_url(base_url)
    named, sent = (named_address(base_url), sending_address(base_url)) if valid else (None, None)
    if not valid:
        problem = (
            f"an http(s) URL with a valid host name or IP address, such as {DEFAULT_BASE_URL}"
        )
    elif sent != named:
        problem = (
            f"a URL that names one host: it reads as {address_text(named)} to one URL parser, "
            f"but requests, which sends the key, would send it to {address_text(sent)}"
        )
    elif "\\" in base_url:
        problem = "a URL without a backslash (URL parsers disagree on what it means)"
    elif "@" in urlparse(base_url).netloc:
        problem = "a URL without user information (user@ before the host): the API takes the key"
    else:
        return base_url
    raise ValueError(
        f"Configuration 'base_url' is {cited(mask_secrets(base_url, api_key))}: expected "
        f"{problem}."
    )


def named_address(url):
    """Return the (host, port) the standard library's URL parser reads in url."""
    parsed = urlparse(url)
    return parsed.hostname, parsed.port


def address_text(address):
    """Return a (host, port) for a message."""
    host, port = address
    return f"{host}:{port}" if port is not None else f"{host}"


def sending_address(url):
    """Return the (host, port) requests sends a request for url to ((None, None) when it
    cannot prepare one)."""
    try:
        sent = parse_url(requests.Request("GET", url).prepare().url)  # as its adapter reads it
    except (requests.RequestException, ValueError):
        return None, None
    return (sent.host or "").strip("[]").lower() or None, sent.port


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
        return HOST_PATTERN.fullmatch(host) is not None and len(host) <= 253


def optional_text(configuration, key):
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
