"""A record's fields: its elements and attributes, flattened and named as Fivetran names
columns, and a table's shape (the names met, the records skipped) for its report."""

import functools
import re
from xml.etree.ElementTree import Element

from .errors import ApiError
from .specs import MAX_COLUMNS, MAX_VALUE_CHARS

MAX_RECORD_DEPTH = 32  # levels of elements within one record


NAME_BOUNDARY_PATTERN = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


NON_NAME_PATTERN = re.compile(r"[^0-9A-Za-z]+")


class ListShape:
    """How one table's answers were shaped in this sync, for the shape report.

    Records are the root's children whatever their names; the documented names are only compared
    with what arrived, so that a user with a real account can see, and report, how it answers.

    Args:
        spec: the table's TABLE_SPECS entry.
        safe_name: returns a new field's column name with the key masked in it (see
            masking.masked_column()); None: names are kept as they are.
    """

    def __init__(self, spec, safe_name=None):
        self.expected = (spec["root"], spec["record"])
        self.declared = set(spec["columns"])
        self.roots = set()
        self.records = set()
        # The table's columns in this sync: the declared ones, then each new field's, up to 500.
        self.fields = set(self.declared)
        self.empty_records = 0
        self.dropped_fields = set()  # fields past the 500 columns, dropped
        self.cut_values = 0  # values longer than 1 MB, cut
        self.repaired = 0  # characters XML does not allow, repaired (see XmlRepair)
        self.unreadable = 0  # records the parser could not read, skipped (see RecordParser)
        self.unreadable_ids = []  # the first response_ids found in them
        self.safe_name = safe_name
        self.renamed = {}  # field name -> its column name, for each new name safe_name met

    def column_of(self, name):
        """Return the column of a field name not met before (see safe_name)."""
        if self.safe_name is None:
            return name
        if name not in self.renamed:
            self.renamed[name] = self.safe_name(name)
        return self.renamed[name]

    def names(self):
        """Return the root names and the record names found, without namespaces, sorted."""
        return (
            sorted({local_name(tag) for tag in self.roots}),
            sorted({local_name(tag) for tag in self.records}),
        )

    def other_names(self):
        """Return the root and record names found that are not the documented ones, or None."""
        found = self.names()
        if set(found[0]) <= {self.expected[0]} and set(found[1]) <= {self.expected[1]}:
            return None
        return found

    def undeclared(self):
        """Return the field names found that the schema does not declare, sorted."""
        return sorted(self.fields - self.declared)


def local_name(tag):
    """Return an element's name without its namespace (`{uri}name` or `prefix:name`)."""
    return tag.rpartition("}")[2].rpartition(":")[2]


# Fivetran's own column names: `_fivetran_synced`, `_fivetran_deleted`, any `_..._fivetran...`.
RESERVED_NAME_PATTERN = re.compile(r"_+fivetran")


@functools.lru_cache(maxsize=4096)
def normalised_name(tag):
    """Return an element or attribute name as Fivetran names columns: snake_case, lower case.

    A namespace is dropped (`{uri}ID` and `ns:ID` give `id`); `TemperatureID` gives
    `temperature_id`, `blastID` `blast_id`, `custom_1` stays as it is.
    """
    snake = NAME_BOUNDARY_PATTERN.sub("_", local_name(tag))
    name = NON_NAME_PATTERN.sub("_", snake).lower() or "_"
    return unreserved(name)


def unreserved(name):
    """Return a column name other than Fivetran's own (`_fivetran_synced`, `_fivetran_deleted`,
    or any `_..._fivetran...`): those are not the API's to set, and get `api` before them."""
    return "api" + name if RESERVED_NAME_PATTERN.match(name) else name


def record_fields(record, shape):
    """Return one record's fields as a flat dict of name to text (None for an empty element).

    Fields are the record's attributes and child elements; an element holding elements is
    flattened (`<location><country>GB</country></location>` gives `location_country`), as are a
    field's attributes (`location_source`). An element holding both text and elements (mixed
    content) keeps all its text as one value. A name met twice keeps the shallower value and the
    other becomes `name_2`, so that nothing nested ever overwrites a field such as the key; of
    two siblings whose names normalise to one, the one spelt as the normal form (`nps_score`
    before `NPSScore`), else the first in sorted order, keeps the name, whatever their order.
    A table has at most 500 columns besides its declared ones: the fields of further names are
    dropped (counted in shape).

    Args:
        record: the record element.
        shape: the table's ListShape: its columns so far (new ones are added), and counters.
    Raises:
        ApiError: the record nests deeper than 32 levels.
    """
    names = shape.fields
    # Most records hold only plain elements, each named once and as met before: one
    # comprehension reads them.
    if not record.keys() and not any(map(len, record)) and not any(map(Element.keys, record)):
        fields = {field.tag: field.text for field in record}
        if len(fields) == len(record) and names.issuperset(fields):
            return fields
    fields = _flattened_fields(record)
    if not names.issuperset(fields):
        room = MAX_COLUMNS + len(shape.declared) - len(names)
        for name in [name for name in fields if name not in names]:
            column = shape.column_of(name)
            if column != name:  # a name holding the key: its column is masked
                name = _put_field(fields, column, fields.pop(name))
                if name in names:
                    continue
            if room > 0:
                names.add(name)
                room -= 1
            else:
                shape.dropped_fields.add(name)
                del fields[name]
    return fields


def cut_values(fields):
    """Cut each value longer than 1 MB to its first 1 MB; return how many were cut."""
    cut = 0
    for name, text in fields.items():
        if text is not None and len(text) > MAX_VALUE_CHARS:
            fields[name] = text[:MAX_VALUE_CHARS]
            cut += 1
    return cut


def _flattened_fields(record):
    """Flatten a record level by level, without recursion; see record_fields()."""
    fields = {}
    level = [(record, "")]
    for _depth in range(MAX_RECORD_DEPTH):
        deeper = []
        for element, name in level:
            for attribute, value in element.items():
                _put_field(fields, _joined(name, attribute), value)
            for child in sorted(element, key=_spelling_order):
                child_name = _joined(name, child.tag)
                if len(child) or child.keys():
                    _read_child(fields, deeper, child, child_name)
                elif child_name in fields:
                    _put_field(fields, child_name, child.text)
                else:
                    fields[child_name] = child.text  # a plain element, named once: the most seen
        if not deeper:
            return fields
        level = deeper
    raise ApiError(
        f"a <{record.tag}> record nests deeper than {MAX_RECORD_DEPTH} levels: not a list"
    )


def _spelling_order(element):
    """Sort key of siblings: names spelt as their normal form first, then by spelling (stable
    for siblings of one spelling), so that the field a name goes to never depends on the order
    the API sent them in."""
    return (element.tag != normalised_name(element.tag), element.tag)


def _read_child(fields, deeper, child, name):
    """Put a child element's text in fields, or queue it when it holds elements to flatten."""
    if len(child) and not _is_mixed(child):
        deeper.append((child, name))  # its attributes and children, one level down
        return
    text = "".join(child.itertext()) if len(child) else child.text
    if text is not None or not child.keys():  # an element with only attributes has no text
        _put_field(fields, name, text)
    for attribute, value in child.items():
        _put_field(fields, _joined(name, attribute), value)


def _joined(prefix, tag):
    """Return the flattened name of a child: its normalised name after the parent's."""
    return unreserved(f"{prefix}_{normalised_name(tag)}") if prefix else normalised_name(tag)


def _is_mixed(element):
    """Return True when an element holding elements also holds text of its own."""
    if element.text and element.text.strip():
        return True
    return any(child.tail and child.tail.strip() for child in element)


def _put_field(fields, name, value):
    """Set a field, renaming it `name_2`, `name_3`... when the name is taken already; return
    the name it got."""
    unique, number = name, 1
    while unique in fields:
        number += 1
        unique = f"{name}_{number}"
    fields[unique] = value
    return unique
