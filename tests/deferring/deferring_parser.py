"""A test double of a parser whose Expat defers its events (2.6 and later), on any Python.

Expat 2.6 ("reparse deferral", the fix for CVE-2023-52425) may hold back what it parsed of a fed
piece until more bytes arrive, or until `flush()` or `close()`. The connector must be right
whenever the events come. This double hands the bytes on to a real `XMLParser` late, never
early, in one of three modes:
- `tag_boundary`: up to the last tag's end (`>`) fed; the rest, a tag or a text cut between two
  pieces, waits until as many bytes again have come, as Expat 2.6 waits for a buffer twice the
  size of the unfinished token it last met;
- `one_late`: each piece only once the next one is fed, so what a piece holds reaches the tree
  while the bytes after it are already in;
- `at_close`: only at `flush()` or `close()`, the latest a deferring parser may wait.

Each offers `flush()`, as every Python whose Expat defers does (3.13, and 3.12.3+, 3.11.9+,
3.10.14+). `tests/conftest.py` puts it in the connector's place for the unit tests; for a
`fivetran debug` run, `sitecustomize.py` beside it does (see `tools/harness.py`).
"""

from xml.etree.ElementTree import XMLParser

MODES = ("tag_boundary", "one_late", "at_close")


class DeferringParser:
    """An XMLParser that hands its bytes on late (see the module docstring).

    Args:
        target: the parser's target, as XMLParser's.
        encoding: the encoding that overrides the document's, as XMLParser's.
    """

    mode = "at_close"
    made = 0  # parsers made, so a test can see the double was in use

    def __init__(self, *, target=None, encoding=None):
        type(self).made += 1
        self.parser = XMLParser(target=target, encoding=encoding)
        self.held = []  # the pieces held, in order
        self.size = 0  # their bytes
        self.waits_for = 0  # bytes held before a tag_boundary parser hands on again

    def feed(self, data):
        """Hold data; hand on what the mode allows of the bytes held."""
        self.held.append(data.encode("utf-8") if isinstance(data, str) else data)
        self.size += len(self.held[-1])
        if self.mode == "one_late" and len(self.held) > 1:
            self.size -= len(self.held[0])
            self.parser.feed(self.held.pop(0))
        if self.mode != "tag_boundary" or self.size < self.waits_for:
            return
        held = b"".join(self.held)
        end = held.rfind(b">") + 1
        self.held, self.size = [held[end:]], len(held) - end
        self.waits_for = 2 * self.size
        if end:
            self.parser.feed(held[:end])

    def flush(self):
        """Hand on every byte held, as a deferring parser's flush() parses all it was fed."""
        held = b"".join(self.held)
        self.held, self.size, self.waits_for = [], 0, 0
        if held:
            self.parser.feed(held)
        if hasattr(self.parser, "flush"):  # a Python whose own Expat defers too
            self.parser.flush()

    def close(self):
        """Hand on the bytes held, then close the real parser."""
        self.flush()
        return self.parser.close()


def deferring(mode):
    """Return a DeferringParser class that defers in mode (one of MODES)."""
    if mode not in MODES:
        raise ValueError(f"unknown deferring mode {mode!r}: expected one of {MODES}")
    return type(f"DeferringParser_{mode}", (DeferringParser,), {"mode": mode, "made": 0})
