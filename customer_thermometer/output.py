"""What a sync sends out, the same way for every table: a log line (masked), a warning of a kind
(the first few only), a row upserted (and a checkpoint every so many rows), and how far a table
got."""

from fivetran_connector_sdk import Logging as log
from fivetran_connector_sdk import Operations as op

from . import clock
from .masking import mask_secrets
from .specs import BODY_SNIPPET_CHARS, MAX_WARNINGS_PER_KIND


def say(context, level, message):
    """Log a message at a level (`log.info`, `log.warning` or `log.error`), the key masked in
    every form: whatever an answer put in it (a record's id, a tag name) never shows the key."""
    level(mask_secrets(message, context.api_key))


def count_of(number, noun):
    """Return a count as English reads it: '1 request', '0 requests', '12,500 rows'."""
    return f"{number:,} {noun}" if number == 1 else f"{number:,} {noun}s"


def upsert_row(context, table, row):
    """Upsert one row; every 10,000 upserts, commit them by checkpointing the start state.

    The start state moves no cursor, so a sync that fails later loses no row and skips none.
    """
    # The 'upsert' operation inserts the row, or replaces the row with the same primary key.
    op.upsert(table=table, data=row)
    stats = context.table_stats(table)
    stats["rows"] += 1
    if not stats["rows"] % context.progress_every_rows:
        note_progress(context, table)
    context.upserts += 1
    if context.upserts % context.checkpoint_every_rows == 0:
        # Commit the rows so far by saving the state the sync started with: no cursor moves, so
        # a failure later in the sync reads these rows again rather than skipping any.
        op.checkpoint(state=context.start_state)


def delete_row(context, table, keys):
    """Mark the row of a primary key deleted (op.delete: `_fivetran_deleted` in the destination)
    and count it."""
    op.delete(table=table, keys=keys)
    context.table_stats(table)["deleted"] += 1


def note_progress(context, table, reading=None):
    """Log how far a table got once it made 10,000 rows or 30 s since it last said so (or since
    its first request): its rows and requests so far, and what it is reading. Looked at on each
    10,000th row, every 64 records read (upserted or not), and at each request and answer's end.

    Args:
        reading: the request being sent now (its method and days), when one is.
    """
    progress = context.progress.get(table)
    now = clock.monotonic()
    if progress is None:
        progress = context.progress[table] = {"at": now, "rows": 0, "reading": reading}
    elif reading is not None:
        progress["reading"] = reading
    stats = context.table_stats(table)
    if (
        stats["rows"] - progress["rows"] < context.progress_every_rows
        and now - progress["at"] < context.progress_every_seconds
    ):
        return
    progress["at"], progress["rows"] = now, stats["rows"]
    say(
        context,
        log.info,
        f"{table}: {count_of(stats['rows'], 'row')} so far, "
        f"{count_of(stats['requests'], 'request')}, reading {progress['reading']}",
    )


def quoted(value):
    """Return a value an answer held, for a log line: quoted, at most 200 characters of it."""
    if isinstance(value, str) and len(value) > BODY_SNIPPET_CHARS:
        return repr(value[:BODY_SNIPPET_CHARS]) + f" (cut, of {len(value):,} characters)"
    return repr(value)


def warn_first_few(context, kind, message):
    """Log a warning only for the first five of its kind in a sync (the summary counts them all).

    Args:
        context: the SyncContext, which counts the warnings of each kind.
        kind: what the warning is about, such as (table, field).
        message: the warning.
    """
    count = context.warnings.get(kind, 0) + 1
    context.warnings[kind] = count
    if count <= MAX_WARNINGS_PER_KIND:
        say(context, log.warning, message)
