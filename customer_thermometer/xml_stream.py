"""Streaming XML into records: a body parsed as its bytes arrive, each record handed on once the
next has begun and then let go, an error document told from an empty list, and a record the
parser cannot read skipped (counted) while the rest is read."""

import re
from xml.etree import ElementTree
from xml.etree.ElementTree import ParseError, TreeBuilder, XMLParser

from .client import decoded
from .errors import ApiError, TransientError, UnexpectedBodyError
from .fields import cut_values, local_name, normalised_name, record_fields
from .specs import MAX_RECORD_BYTES, MAX_REPORTED_NAMES, SNIPPET_READ_BYTES
from .xml_prolog import checked_prolog, declared_encoding, prolog_end, split_pieces
from .xml_repair import XmlRepair

DEFAULT_CODEC = "utf-8"  # of a body that declares no encoding


FEED_BYTES = 8192  # handed to the XML parser at a time (see iter_records())


ERROR_ROOTS = ("error", "errors", "fault")  # an error where a record should be, lower case


UTF8_NAME_PATTERN = re.compile(r"utf-?8", re.IGNORECASE)


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


# What a root's attributes say when the answer is an error (`status="error"`, `message="Service
# unavailable"`), not an empty list.
ERROR_WORD_PATTERN = re.compile(
    r"error|fail|fault|unavailable|denied|invalid|exceeded|forbidden|too many", re.IGNORECASE
)


# What an attribute named like an error says when there is none (`error="0"`,
# `error_count="0"`, `failed="false"`, `errors="none"`, `error=""`): a list, not an error.
NO_ERROR_PATTERN = re.compile(r"\s*(?:0+|false|no|none|null|nil|ok|success)?\s*", re.IGNORECASE)


def iter_records(chunks, shape, max_record_bytes=MAX_RECORD_BYTES, framed=True):
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
    reader = repair = None  # made once the declared encoding is known
    sizes = RecordBytes(max_record_bytes)
    head = b""  # the body's start (empty until a piece came), quoted for an error document
    # Whether records with fields came, records of only text, and text between records.
    seen = {"fields": False, "text": False, "between": False}
    # Small pieces keep the elements alive at once (those of one piece's records) under the
    # garbage collector's threshold of 700 new objects: fed 64 KB at a time, the parser builds
    # some 2,000 elements at once, which makes parsing twice as slow.
    for piece in checked_prolog(split_pieces(chunks, FEED_BYTES)):
        if not head:  # the first piece holds the whole prolog (see checked_prolog())
            declared = declared_encoding(piece)
            repair = XmlRepair(declared is None or UTF8_NAME_PATTERN.fullmatch(declared))
            reader = RecordParser(shape, declared)
        if len(head) < SNIPPET_READ_BYTES:
            head += piece[: SNIPPET_READ_BYTES - len(head)]
        sizes.add(len(piece))
        records = _fed(reader, sizes, repair.repaired_piece(piece), sizes.flush_due())
        yield from _handed_on(records, shape, seen)
        root = reader.root()
        if root is not None and says_error(root):
            raise UnexpectedBodyError(decoded(head), "an error document")
        # Records are handed on where the bytes fed end before a tag (no start tag cut in two),
        # once another one began: all but the last have ended.
        if root is not None and len(root) > 1 and repair.at_tag_start():
            yield from _handed_on(_ended_records(reader, sizes), shape, seen)
        sizes.check()
    if reader is not None:  # else no byte came (nor a reader made): see _records_after_the_end()
        # The body has ended: a deferring parser hands on all it holds before anything is
        # decided, so that the last records, an unreadable one among them, and the root's
        # attributes take the same path as any others.
        yield from _handed_on(reader.feed(repair.rest(), flush=True), shape, seen)
        shape.repaired += repair.repaired
    yield from _records_after_the_end(reader, shape, (seen, head, framed))


class RecordBytes:
    """The bytes that bound one record's size: those fed since records were last handed on, and
    since the parser last caught up with all it was fed (see RecordParser.feed()).

    A record is handed on once the parser shows the next one began; a parser that defers its
    events shows it late, by as many bytes as it held, and the count since then would miss
    them. So the parser is made to catch up once an eighth of the bound has come since it last
    did, and at the bound itself: a record is then called too large within an eighth of the
    bound, whatever the parser (a flush costs one parse of what it holds).
    """

    def __init__(self, most):
        self.most = most
        self.unreleased = 0  # fed since records were last handed on
        self.since_caught_up = 0  # fed since the parser last handed on all it held

    def add(self, size):
        """Count size bytes more fed."""
        self.unreleased += size
        self.since_caught_up += size

    def flush_due(self):
        """Return whether the parser must now hand on all it holds."""
        return self.unreleased > self.most or self.since_caught_up > self.most // 8

    def caught_up(self):
        """Note the parser handed on all it held."""
        self.since_caught_up = 0

    def handed_on(self):
        """Note the records that ended were handed on: the last one began since."""
        self.unreleased = 0

    def restarted(self, fed):
        """Note a new parser went on after an unreadable record, fed fed bytes since."""
        self.unreleased = self.since_caught_up = fed

    def check(self):
        """Raise ApiError when the bytes since records were last handed on pass the bound."""
        if self.unreleased > self.most:
            raise ApiError(f"the XML answer holds a record larger than {self.most:,} bytes")


def _fed(reader, sizes, data, flush):
    """Feed data to reader (flushed where asked); return the records it handed on (see
    RecordParser.feed()), keeping sizes."""
    records = reader.feed(data, flush=flush)
    if flush:
        sizes.caught_up()
    if reader.restarted and reader.boundary is None:  # a record skipped, and its end found
        reader.restarted = False
        sizes.restarted(reader.fed)
    return records


def _ended_records(reader, sizes):
    """Return the answer's records that have ended, taken out of the tree.

    The parser first hands on all it holds (a flush): where it defers its events, the records it
    shows could otherwise stand behind the bytes fed, and a record skipped later could not be
    found in the bytes kept since the hand-on before last (see RecordParser.recovered()).
    """
    records = _fed(reader, sizes, b"", True)
    root = reader.root()
    ended = len(root) - 1 if root is not None else 0  # all but the last: another one began
    if ended > 0:
        records += root[:ended]
        del root[:ended]
        reader.handed_on()
        sizes.handed_on()
    return records


def says_error(root):
    """Return True for a root that is an error document by its name (`error`, `errors`,
    `fault`, `ErrorResponse`...) or by its attributes (`<comments status="error" message=..>`),
    unless what they say is that there is none (`<comments error="0">`)."""
    name = local_name(root.tag).lower()
    if "error" in name or "fault" in name:  # error, errors, fault, ErrorResponse...
        return True
    return any(
        ERROR_WORD_PATTERN.search(f"{key} {value}") and not NO_ERROR_PATTERN.fullmatch(value)
        for key, value in root.items()
    )


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
        raise UnexpectedBodyError(decoded(head), "an error document")
    if not len(root) and root.text and root.text.strip():
        raise UnexpectedBodyError(root.text.strip())
    own_text = bool(root.text and root.text.strip())
    records = list(root)
    del root[:]
    yield from _handed_on(records, shape, seen)
    if (seen["text"] or seen["between"] or own_text) and not seen["fields"]:
        # A root's own text among children none of which holds a field (`<RB>Invalid API
        # key<br/></RB>`) is a message too.
        raise UnexpectedBodyError(decoded(head), "an error document (no child holds a field)")


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
        self.codec = declared or DEFAULT_CODEC
        self.opening = None  # the prolog and the root's start tag, once the root began
        self.first = b""  # the bytes fed until then
        self.boundary = None  # a skipped record's end, while it has not come
        self.names = None  # the record's and the root's names, once a record began
        self.unreadable = 0  # records of this answer skipped
        self.restarted = False  # a new parser went on after a record skipped
        # Set by recovered() before they are read, for the record skipped last:
        self.seeking_id = False  # pragma: no mutate (whether its id is still looked for)
        self.error = None  # pragma: no mutate (the parser's error in it)
        self.guarded = False  # pragma: no mutate (no record may start before it ends)
        self.starts = None  # pragma: no mutate (the pattern of a record start tag)
        self.held = b""  # pragma: no mutate (bytes skipped that may begin its end)
        self.start()

    def start(self):
        """Make a new parser, with the answer's opening fed when it is known.

        It keeps the pieces fed since the hand-on before last, and since the last one; where
        each group starts (marks: lines before it, characters of its line before it, whether a
        CR ends what came before); and where the bytes fed end (lines, column, after_cr).
        """
        self.builder = TreeBuilder()
        self.holder = self.builder.start("answer", {})
        self.parser = XMLParser(target=self.builder)
        self.lines, self.column, self.after_cr = 0, 0, False
        self.fed = 0  # bytes of the answer fed to this parser, its opening aside
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
        a piece holds may reach the tree only with a later piece, or at close(). Three things
        cannot wait, and flush first (see flushed()): a hand-on (see _ended_records()), the
        bound on a record's size (see RecordBytes) and the end of the body. A flush costs one
        parse of what is held, unfinished token included: none is made while a huge token
        arrives but every eighth of the record bound, so the defence holds.

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
        self.fed += len(piece)
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
            found = ROOT_START_PATTERN.match(self.first, prolog_end(self.first) or 0)
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
        self.restarted = True
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


def _handed_on(records, shape, seen):
    """Yield the fields of records that have some, counting those without any in shape, and
    noting in seen whether records with fields, or of only text, came; for a record that could
    not be read (None), yield no field. Each record is let go once read: none stays alive in
    records while the later ones are read."""
    records.reverse()
    while records:
        record = records.pop()
        if record is None:
            yield {}
            continue
        if len(shape.records) < MAX_REPORTED_NAMES:
            shape.records.add(record.tag)
        if not seen["between"] and record.tail and not record.tail.isspace():
            seen["between"] = True  # the root's own text, after this record
        fields = record_fields(record, shape)
        shape.cut_values += cut_values(fields)
        if fields:
            seen["fields"] = True
            yield fields
        elif local_name(record.tag).lower() in ERROR_ROOTS:  # `<error>` among the records
            raise UnexpectedBodyError(
                decoded(ElementTree.tostring(record)[:SNIPPET_READ_BYTES]),
                "an error document (an error where a record should be)",
            )
        else:
            shape.empty_records += 1
            if record.text and record.text.strip():
                seen["text"] = True
