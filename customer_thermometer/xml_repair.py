"""Repairing, as the bytes arrive, the text of an answer that XML does not allow (forbidden
characters, HTML entities, stray `&` and `<`), so that one customer's comment never fails a
table."""

import html.entities
import re

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


# A reference: named, numeric (two in a row, for a surrogate pair), or an & that starts none.
REFERENCE_PATTERN = re.compile(
    rb"&(?:(?P<name>[A-Za-z][A-Za-z0-9]{0,31});|(?!#(?:x[0-9A-Fa-f]+|[0-9]+);))"
)


NUMBER_REFERENCE_PATTERN = re.compile(rb"&#(x[0-9A-Fa-f]+|[0-9]+);")


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

    def at_tag_start(self):
        """Return whether the bytes handed on so far end right before a `<`: no tag cut in two."""
        return self.held[:1] == b"<"

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
