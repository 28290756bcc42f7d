"""What a table says at its end: its shape (names met, fields dropped, values cut or repaired)
and its summary line."""

from fivetran_connector_sdk import Logging as log

from .output import count_of, quoted, say
from .specs import MAX_COLUMNS, MAX_REPORTED_NAMES, MAX_VALUE_CHARS, TABLE_SPECS


def log_shape_report(context, table):
    """Log how a table's answers were shaped: names only, never values.

    One info line names the record element and the fields the schema does not declare (the
    first 50, each cut to 60 characters); a warning says when the root or record names are not
    the documented ones (they were read all the same), another counts records that held no field
    at all (skipped), and others the fields dropped past a table's 500 columns and the values cut
    to 1 MB.
    """
    shape = context.shape(table)
    if not shape.roots:
        return  # no answer held a list
    undeclared = listed_names(shape.undeclared()) or "none"
    roots, records = (listed_names(names, "<{}>") for names in shape.names())
    say(
        context,
        log.info,
        f"{table}: shape: records {records or '-'} in {roots}; "
        f"fields not in the schema: {undeclared}",
    )
    other_names = shape.other_names()
    if other_names is not None:
        say(
            context,
            log.warning,
            f"{table}: {TABLE_SPECS[table]['method']} answered <{'>, <'.join(other_names[0])}> "
            f"holding <{'>, <'.join(other_names[1]) or '-'}> records, not the documented "
            f"<{shape.expected[0]}> holding <{shape.expected[1]}>: read as {table} records",
        )
    log_shape_counts(context, table, shape)


def log_shape_counts(context, table, shape):
    """Log a warning for each thing a table's answers made the connector drop, repair, skip or
    cut, with how many (see log_shape_report())."""
    if shape.dropped_fields:
        say(
            context,
            log.warning,
            f"{table}: dropped {count_of(len(shape.dropped_fields), 'field')} "
            f"({listed_names(sorted(shape.dropped_fields))}): a table takes at most "
            f"{MAX_COLUMNS} columns besides its declared ones in a sync",
        )
    if shape.repaired:
        say(
            context,
            log.warning,
            f"{table}: repaired {count_of(shape.repaired, 'character')} XML does not allow "
            f"(control characters, entities it does not define, bytes that are not UTF-8...): "
            f"read as the text they stand for, or as U+FFFD (see the README, Data handling)",
        )
    if shape.unreadable:
        ids = ", ".join(quoted(name) for name in shape.unreadable_ids) or "none found"
        say(
            context,
            log.warning,
            f"{table}: skipped {count_of(shape.unreadable, 'record')} the XML parser could not "
            f"read (a tag that does not match...), the rest of their answers read "
            f"(response_id: {ids})",
        )
    if shape.cut_values:
        say(
            context,
            log.warning,
            f"{table}: cut {count_of(shape.cut_values, 'value')} longer than "
            f"{MAX_VALUE_CHARS:,} characters to that length",
        )
    if shape.empty_records:
        say(
            context,
            log.warning,
            f"{table}: skipped {count_of(shape.empty_records, 'record')} that held no field at "
            f"all",
        )


def listed_names(names, form="{}"):
    """Return names for a log line, each in form: the first 50, each cut to 60 characters, and
    how many more there are."""
    shown = [
        form.format(name if len(name) <= 60 else name[:57] + "...")
        for name in names[:MAX_REPORTED_NAMES]
    ]
    more = len(names) - len(shown)
    return ", ".join(shown) + (f" (and {more:,} more)" if more > 0 else "")


def log_table_summary(context, table, range_label):
    """Log the one info line of a table: range, requests, rows, skipped rows, bad values, and
    windows that could not be proven complete."""
    stats = context.table_stats(table)
    bad = ", ".join(f"{field}: {count}" for field, count in sorted(stats["bad_values"].items()))
    unproven = len(context.walks[table].unproven) if table in context.walks else 0
    say(
        context,
        log.info,
        f"{table}: {range_label}, {count_of(stats['requests'], 'request')}, "
        f"{count_of(stats['rows'], 'row')}, "
        + (f"{stats['deleted']:,} marked deleted, " if stats["deleted"] else "")
        + f"{stats['skipped']} skipped"
        + (f", NULL for bad values ({bad})" if bad else "")
        + (
            f", {count_of(unproven, 'window')} not proven complete (see the warnings)"
            if unproven
            else ""
        ),
    )
