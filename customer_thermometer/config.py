"""Reading the configuration: each value checked, with an error that names what is wrong and
what is expected; `validate_configuration()` in connector.py puts them together."""

import ipaddress
import re
from datetime import date
from urllib.parse import urlparse

from . import clock
from .masking import cited, is_placeholder, mask_secrets
from .specs import MAX_LOOKBACK_DAYS

DEFAULT_BASE_URL = "https://app.customerthermometer.com/api.php"


DEFAULT_FROM_DATE = "1970-01-01"


DEFAULT_LOOKBACK_DAYS = 2


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
    """Return from_date as a date (1970-01-01 when not set), or raise ValueError."""
    text = text or DEFAULT_FROM_DATE
    try:
        from_date = date.fromisoformat(text) if DATE_PATTERN.fullmatch(text) else None
    except ValueError:
        from_date = None
    if from_date is None:
        raise ValueError(
            f"Configuration 'from_date' is {cited(text)}: expected a real date as YYYY-MM-DD, "
            f"such as 2024-01-31."
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
    if text is None:
        return DEFAULT_LOOKBACK_DAYS
    # At most three digits, read before int(): int() of thousands of digits is an error itself.
    if not LOOKBACK_PATTERN.fullmatch(text) or int(text) > MAX_LOOKBACK_DAYS:
        raise ValueError(
            f"Configuration 'lookback_days' is {cited(text)}: expected a whole number from 0 to "
            f"{MAX_LOOKBACK_DAYS}."
        )
    return int(text)


def validated_base_url(text, api_key):
    """Return base_url (the API's own when not set), or raise ValueError (credentials masked)."""
    base_url = text or DEFAULT_BASE_URL
    if not is_http_url(base_url):
        raise ValueError(
            f"Configuration 'base_url' is {cited(mask_secrets(base_url, api_key))}: expected an "
            f"http(s) URL with a valid host name or IP address, such as {DEFAULT_BASE_URL}."
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
