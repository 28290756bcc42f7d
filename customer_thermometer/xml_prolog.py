"""The start of a list answer's body: cut into the pieces the parser is fed, and the XML before
its root element (declaration, comments, processing instructions) checked: a DTD, an HTML page, a
body that is not XML or not in an ASCII-compatible encoding are refused before any parsing.
What follows the root's start tag is xml_stream's."""

import re

from .client import decoded, read_snippet
from .errors import ApiError, UnexpectedBodyError
from .specs import SNIPPET_READ_BYTES

MAX_PROLOG_BYTES = 65536  # what may come before the root element


# White space, an XML declaration, a processing instruction or a comment, before the root.
PROLOG_TOKEN_PATTERN = re.compile(rb"\s+|<\?.*?\?>|<!--.*?-->", re.DOTALL)


HTML_PAGE = "an HTML page, not the API's XML"


HTML_DOCTYPE = b"<!doctype html"  # how an HTML page starts (any case), if not with <html
HTML_START_BYTES = len(HTML_DOCTYPE)  # read before a body's start is judged, unless it ends


LEADING_BYTES = b" \t\r\n\xef\xbb\xbf"  # white space and a UTF-8 byte order mark


DECLARED_ENCODING_PATTERN = re.compile(rb"<\?xml[^>]*?encoding\s*=\s*[\"']([^\"']*)", re.DOTALL)


MAX_QUOTED_ENCODING_CHARS = 40


def declared_encoding(prolog):
    """Return the encoding an XML declaration at the start of prolog names (at most 40
    characters, for a message), or None."""
    found = DECLARED_ENCODING_PATTERN.match(prolog)
    if found is None:
        return None
    return found.group(1)[:MAX_QUOTED_ENCODING_CHARS].decode("ascii", errors="replace")


def split_pieces(chunks, size):
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
    in UTF-16 or UTF-32 is refused, as its prolog could not be read that way. Nothing is judged
    before 14 bytes have come (or the body ended), so that the diagnosis of a body (an HTML page,
    a DTD, a wide encoding) never depends on how its bytes arrive.

    Raises:
        UnexpectedBodyError: the body does not start with `<` (not XML: an error message).
        ApiError: the prolog declares a DTD or is longer than 64 KB, or the body is not in an
            encoding whose ASCII characters are single bytes.
    """
    pieces = iter(pieces)
    head = b""
    for piece in pieces:
        head = (head + piece) if head else piece.lstrip(LEADING_BYTES)
        if len(head) < HTML_START_BYTES:
            continue  # too short to tell an HTML page or a wide encoding, whatever the pieces
        if root_found(head, pieces):
            yield head
            yield from pieces
            return
    if head:
        root_found(head, pieces)  # what the whole of a short body shows
        yield head  # the parser says what is wrong with a body that ends inside its prolog


def root_found(head, pieces):
    """Check the start of a body (head; pieces are the rest, for a snippet); return True once
    the root element's start is in head, False while the prolog goes on.

    Raises:
        UnexpectedBodyError, ApiError: see checked_prolog().
    """
    if head.startswith((b"\xfe\xff", b"\xff\xfe")) or b"\x00" in head[:4]:
        raise ApiError("the XML answer is in UTF-16 or UTF-32: expected UTF-8")
    if not head.startswith(b"<"):
        raise UnexpectedBodyError(read_snippet(pieces, head))
    if head[:HTML_START_BYTES].lower().startswith((HTML_DOCTYPE, b"<html")):
        raise UnexpectedBodyError(read_snippet(pieces, head), HTML_PAGE)
    try:
        root_start = prolog_end(head)
    except UnexpectedBodyError as error:  # an HTML page after a prolog: quoted as any other
        raise UnexpectedBodyError(read_snippet(pieces, head), error.kind) from None
    if (len(head) if root_start is None else root_start) > MAX_PROLOG_BYTES:
        raise ApiError("the XML answer's prolog is longer than 64 KB: not a list")
    return root_start is not None


def prolog_end(head):
    """Return where the root element starts in head, or None when more bytes are needed.

    Raises:
        ApiError: the prolog declares a DTD.
    """
    position = 0
    while True:
        token = PROLOG_TOKEN_PATTERN.match(head, position)
        if token is not None:
            position = token.end()
            continue
        rest = head[position : position + HTML_START_BYTES]
        if rest.lower() == HTML_DOCTYPE:
            raise UnexpectedBodyError(decoded(head[:SNIPPET_READ_BYTES]), HTML_PAGE)
        if HTML_DOCTYPE.startswith(rest.lower()):
            return None  # an HTML page's doctype, or a DTD: the next bytes tell
        if rest.startswith(b"<!") and not b"<!--".startswith(rest[:4]):
            raise ApiError("the XML answer declares a DTD, which the connector does not accept")
        if len(rest) >= 2 and rest[1:2] not in b"?!":
            return position
        return None
