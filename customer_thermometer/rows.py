"""Typed rows: each declared column's text converted to its type, a value that does not convert
left NULL with a warning, and the primary key checked before any row reaches the SDK."""

from datetime import datetime

from fivetran_connector_sdk import Logging as log

from .dates import DOUBT
from .masking import mask_secrets
from .output import quoted, say, warn_first_few
from .specs import DATED_TABLES, MAX_WARNINGS_PER_KIND, TABLE_SPECS


def _to_long(text):
    """Return text as a 64-bit int, or raise ValueError."""
    value = int(text)
    if not -(2**63) <= value < 2**63:
        raise ValueError(f"{value} is out of range")  # pragma: no mutate (message unread)
    return value


def _to_int(text):
    """Return text as a 32-bit int, or raise ValueError."""
    value = int(text)
    if not -(2**31) <= value < 2**31:
        raise ValueError(f"{value} is out of range")  # pragma: no mutate (message unread)
    return value


def _to_boolean(text):
    """Return True for 1/true/yes, False for 0/false/no (any case), or raise ValueError."""
    value = text.strip().lower()
    if value in ("1", "true", "yes"):
        return True
    if value in ("0", "false", "no"):
        return False
    raise ValueError(f"{text!r} is not a boolean")  # pragma: no mutate (message unread)


def _to_naive_datetime(text):
    """Return text as a naive datetime, wall-clock unchanged (an offset, or `Z`, is dropped).

    `YYYY-MM-DD HH:MM:SS` and ISO 8601 (`2017-08-18T22:33:39+00:00`) are both read; any other
    layout raises ValueError, and is read by the sync's DateReader (see other_layout()).
    """
    value = datetime.fromisoformat(text)
    return value if value.tzinfo is None else value.replace(tzinfo=None)  # a copy only if needed


CONVERTERS = {
    "LONG": _to_long,
    "INT": _to_int,
    "BOOLEAN": _to_boolean,
    "NAIVE_DATETIME": _to_naive_datetime,
    "DOUBLE": float,
}


# Per table, (column, converter) for each column that is not text (text needs none).
TABLE_CONVERTERS = {
    table: tuple(
        (name, CONVERTERS[column_type])
        for name, column_type in spec["columns"].items()
        if column_type in CONVERTERS
    )
    for table, spec in TABLE_SPECS.items()
}


def build_row(context, table, fields):
    """Convert one record's fields to a typed row, or return None when a key is missing.

    Empty values are left out (NULL); unknown fields are kept as text; a datetime that is not
    ISO 8601 is read in the table's other layouts (see DateReader); a value that cannot be
    converted is left out with a warning; `date_submitted` falls back to `response_date`, and
    for a record with neither, to its response's in another table (see joined_date()).

    Args:
        context: the SyncContext (for counters and warnings).
        table: the table name.
        fields: field name to text, from iter_records().
    Returns:
        The row, or None when a primary-key value is missing (counted and logged), a date could
        not be joined (counted in context.unjoined), or a date is in doubt (see DateReader).
    """
    row = {name: text for name, text in fields.items() if text}
    if context.key_finder.holds(row.values()):
        mask_key_values(context, table, row)
    if not typed(context, table, row, fields.get("response_id")):
        return None  # held back: counted by the table's DateReader
    if "date_submitted" not in row and "response_date" in row:
        row["date_submitted"] = row["response_date"]
    if undated(table, fields) and not joined_date(context, table, row):
        return None
    for key in TABLE_SPECS[table]["primary_key"]:
        if key not in row:
            context.table_stats(table)["skipped"] += 1
            warn_first_few(
                context,
                (table, "records without a key"),
                f"{table}: skipped a record without a primary-key value for '{key}' "
                f"(response_id {quoted(fields.get('response_id'))})",
            )
            return None
    return row


def typed(context, table, row, response_id):
    """Convert a row's values to their columns' types in place (one that does not convert is
    dropped, with a warning); return False when a datetime is in doubt (see DateReader)."""
    doubt = False
    for name, convert in TABLE_CONVERTERS[table]:
        text = row.get(name)
        if text is None:
            continue
        try:
            row[name] = convert(text)
        except ValueError:
            value = (
                other_layout(context, table, text, name) if convert is _to_naive_datetime else None
            )
            if value is None:
                del row[name]
                column_type = TABLE_SPECS[table]["columns"][name]
                warn_bad_value(context, table, name, column_type, response_id)
            else:
                row[name] = value
                doubt = doubt or value is DOUBT
    return not doubt


def other_layout(context, table, text, name):
    """Return a datetime of a field that is not ISO 8601 read by the table's DateReader: a
    datetime, DOUBT (day and month could be either, see DateReader), or None when no layout
    reads it."""
    filtered = table in DATED_TABLES and name == context.walk(table).field
    try:
        return context.dates.read(text, filtered)
    except ValueError:
        return None


def undated(table, fields):
    """Return True when a record of a table whose date may be joined (its spec's
    `tallied_from`) carries no date at all (an empty element is none): a value that is there
    but cannot be read is a bad value, not this."""
    if "tallied_from" not in TABLE_SPECS[table]:
        return False
    return not fields.get("date_submitted") and not fields.get("response_date")


def joined_date(context, table, row):
    """Give a record without a date the date_submitted of its response as the table its spec
    names (`tallied_from`) read it in this sync; return False when that table did not read it:
    the record is skipped, counted in context.unjoined and its response_id kept (the first
    five) for its window's warning (see conventions.joined_or_not())."""
    source = TABLE_SPECS[table]["tallied_from"]
    submitted = context.submitted_dates().get(row.get("response_id"))
    if submitted is None:
        context.unjoined += 1
        if len(context.unjoined_ids) < MAX_WARNINGS_PER_KIND:
            context.unjoined_ids.append(row.get("response_id"))
        return False
    row["date_submitted"] = submitted
    if not context.joined:
        context.joined = True
        say(
            context,
            log.info,
            f"{table}: {TABLE_SPECS[table]['method']} records carry no date_submitted: each takes "
            f"it from the {source} record of its response_id read in this sync",
        )
    return True


def mask_key_values(context, table, row):
    """Mask the key in each value of a row that holds it, and log the first few of each field."""
    for name, text in row.items():
        if context.key_finder.holds([text]):
            row[name] = mask_secrets(text, context.api_key)
            warn_first_few(
                context,
                (table, name, "the key"),
                f"{table}: field '{name}' of response_id {quoted(row.get('response_id'))} holds "
                f"the API key; it lands with the key masked",
            )


def warn_bad_value(context, table, field, column_type, response_id):
    """Count a value that could not be converted, and log the first few of each field."""
    bad_values = context.table_stats(table)["bad_values"]
    bad_values[field] = bad_values.get(field, 0) + 1
    warn_first_few(
        context,
        (table, field),
        f"{table}: field '{field}' of response_id {quoted(response_id)} is not a valid "
        f"{column_type}; stored as NULL",
    )
