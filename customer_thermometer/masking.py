"""Keeping the API key secret: masks the key, in every form an answer or a library may echo it,
in any text before it is logged or raised; the filter that does it for the HTTP libraries' own
log lines."""

import base64
import functools
import html.entities
import logging
import re
import traceback
from urllib.parse import quote, quote_plus, unquote_plus
from xml.sax.saxutils import escape as xml_escape

from .errors import AuthenticationError
from .specs import BODY_SNIPPET_CHARS, MASK

MASKED_PIECE_CHARS = 6  # no piece of the key this long survives mask_secrets()


XML_QUOTES = {'"': "&quot;", "'": "&apos;"}  # escaped as XML escapes them in an attribute


URL_SAFE = str.maketrans("+/", "-_")  # base64's URL-safe alphabet


MAX_DECODINGS = 10  # URL and entity decodings of a text, until nothing changes


KEY_IN_URL_PATTERN = re.compile(r"(apiKey=)[^&\s'\"]*", re.IGNORECASE)


URL_CREDENTIALS_PATTERN = re.compile(r"(\b[A-Za-z][A-Za-z0-9+.-]*://)[^/\s@]*@")


JSON_ESCAPE_PATTERN = re.compile(r"\\u([0-9A-Fa-f]{4})")  # \u0041, as JSON writes any character


NON_NAME_PATTERN = re.compile(r"[^0-9A-Za-z]+")  # what a column name holds as `_`


def mask_secrets(text, api_key):
    """Return text with the API key masked in every form, and with any URL's credentials masked.

    The key is masked in any case (upper, lower, mixed), as given, URL-encoded both ways
    (`quote_plus` encodes what `quote` keeps, such as `/`), XML-escaped, hex-encoded,
    base64-encoded (at each of the three alignments, both alphabets) and as a column name (`_`
    for what is not a letter or digit), then any `apiKey=` value and any `user:password@` of a
    URL, then any 6-character piece of a form of the key that is still there (from a key cut
    short or encoded another way).
    Where the text, once its URL encoding, its JSON `\\uXXXX` escapes and its entities and
    character references are read (again and again, until nothing changes, at most ten times),
    holds a piece of the key, that decoded text is masked instead.
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
    for _ in range(MAX_DECODINGS):
        once_more = html.unescape(unquote_plus(json_unescaped(decoded)))
        if once_more == decoded:
            break
        decoded = once_more
        if pieces.search(decoded):
            text = decoded = _masked_once(decoded, api_key)
    return text


def json_unescaped(text):
    """Return text with its JSON `\\uXXXX` escapes read (a lone surrogate is left as it is)."""
    return JSON_ESCAPE_PATTERN.sub(_json_character, text)


def _json_character(match):
    """Return the character a `\\uXXXX` escape stands for (the escape itself for a surrogate,
    which is no character alone: a text holding one could not be written out)."""
    code = int(match.group(1), 16)
    return match.group(0) if 0xD800 <= code <= 0xDFFF else chr(code)


def _masked_once(text, api_key):
    """Return text with the key's forms, URL keys and credentials, then its pieces, masked."""
    if api_key:
        text = _key_patterns(api_key)[0].sub(MASK, text)
    text = KEY_IN_URL_PATTERN.sub(r"\1" + MASK, text)
    text = URL_CREDENTIALS_PATTERN.sub(r"\1" + MASK + "@", text)
    if api_key:
        text = _key_patterns(api_key)[1].sub(MASK, text)
    return text


@functools.lru_cache(maxsize=4)
def _key_patterns(api_key):
    """Return two patterns of a key, in any case: its whole forms, and their 6-character pieces
    (longest alternatives first, so that a whole form is masked as one)."""
    forms = _key_forms(api_key)
    pieces = {
        form[start : start + MASKED_PIECE_CHARS]
        for form in forms
        for start in range(len(form) - MASKED_PIECE_CHARS + 1)
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
    return textual_forms(api_key) | base64_cores(api_key)


def textual_forms(api_key):
    """Return the forms of the key a text may hold as characters of its own: as given,
    URL-encoded both ways, XML-escaped, as a column name and hex-encoded (in either case: the
    patterns ignore case)."""
    escaped = xml_escape(api_key, XML_QUOTES)
    named = NON_NAME_PATTERN.sub("_", api_key)
    return {api_key, quote_plus(api_key), quote(api_key), escaped, named, api_key.encode().hex()}


def base64_cores(api_key):
    """Return the characters the key's bytes alone decide in a base64 text, at each of the three
    places it may start within a group of three bytes, in both alphabets (standard, URL-safe)."""
    data = api_key.encode()
    cores = set()
    for offset in range(3):
        encoded = base64.b64encode(bytes(offset) + data).decode()
        first = -(-8 * offset // 6)  # the characters holding a bit of the bytes before it
        last = 8 * (offset + len(data)) // 6  # and from here, of the bytes after it
        core = encoded[first:last]
        cores |= {core, core.translate(URL_SAFE)}
    return cores


def masked_column(name, api_key):
    """Return a column name with the key masked in it (`key_***` becomes `key_masked`), or the
    name as it was when it holds no piece of the key."""
    masked = mask_secrets(name, api_key)
    if masked == name:
        return name
    return NON_NAME_PATTERN.sub("_", masked.replace(MASK, "_masked_")).strip("_").lower()


class KeyFinder:
    """Finds the key, whole, in any case and in its plain text forms (URL-encoded, XML-escaped),
    among a record's values: one search of them all joined, so that a record costs little.

    Args:
        api_key: the configured key (None: nothing is ever found).
    """

    def __init__(self, api_key):
        self.forms = sorted({form.lower() for form in textual_forms(api_key)}) if api_key else []

    def holds(self, texts):
        """Return True when one of texts holds the key in one of its forms."""
        joined = "\0".join(texts).lower()
        for form in self.forms:  # a loop, not any(): this runs for every record
            if form in joined:
                return True
        return False


def masked_snippet(text, api_key):
    """Return the first 200 characters of a body, masked before it is cut."""
    return mask_secrets(text, api_key)[:BODY_SNIPPET_CHARS]


def cited(text):
    """Return a configuration or state value as shown in an error: quoted, at most 40 chars."""
    text = str(text)
    return repr(text if len(text) <= 40 else text[:40] + "...")


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
