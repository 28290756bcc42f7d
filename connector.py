"""Customer Thermometer connector for the Fivetran Connector SDK.

Syncs a Customer Thermometer account's survey responses (`blast_result`), their comments
(`comment`), recipient lists, thermometers and headline metrics into five typed tables. `update()`
runs the five endpoint functions below, `sync_blast_results()` ... `sync_metrics()`; a table that
fails is named and read again next sync without stopping the others, and the state (each dated
table's cursor, the days it still has to read, and the keys of its reconcile horizon, the last
`reconcile_days` days read again each sync so that edits land and deleted responses are marked
deleted) is checkpointed once, after the last table
(every 10,000 rows, the state the sync started with is checkpointed again: that commits the rows
without moving a cursor).

The design in one paragraph: the API has one `GET` endpoint with the key in the URL, no
pagination, no published schema, and answers capped at `limit` records (or fewer), so the two
dated tables are read by date window, and a window counts as read only when the answers prove
it (a smaller answer, a count that agrees, or smaller windows that find again all it held); what
cannot be proven is a warning and is read again later. Bodies are parsed as the bytes arrive and
every record becomes a typed row; every text that is logged or raised is masked for the key.

The package `customer_thermometer/`, from the entry down to the leaves:
- `walk`: a table read whole (a dated table's windows within its budget, or one answer);
- `reconcile`, `keystore`: the horizon read again, what no longer answers deleted (only where
  proven twice and confirmed), and the keys of each proven day as the state keeps them;
- `proofs`, `windows`: the proof that a window is whole, and what one window asks and answers;
- `conventions`, `dates`: what the answers teach (a refused `limit`, a datetime layout, a date
  joined from another table);
- `answers`: one list answer read and upserted, and the count that witnesses its size;
- `cursors`: the state, each cursor, history and date filter, validated before any request;
- `context`: one sync's shared state (`SyncContext`); `reports`: a table's closing lines;
- `client`, `deadline`: one request with its retries, diagnoses and answer deadline;
- `xml_prolog`, `xml_stream`, `xml_repair`, `fields`, `rows`: a body's start checked, streamed
  XML to records (text XML forbids repaired) to fields to typed rows;
- `config`, `metrics`, `output`, `masking`, `errors`, `clock`, `specs`: configuration values,
  metric requests, log lines and upserts, the key kept secret, errors, time, and table specs.

See the Fivetran Connector SDK documentation: https://fivetran.com/docs/connectors/connector-sdk
"""

import functools
import json

from fivetran_connector_sdk import ConfigurationForm, Connector, Test, form_field
from fivetran_connector_sdk import Logging as log
from fivetran_connector_sdk import Operations as op

from customer_thermometer import (
    client,
    clock,
    config,
    cursors,
    errors,
    masking,
    metrics,
    output,
    reports,
    specs,
    walk,
)
from customer_thermometer.context import SyncContext

SETUP_TEST_TABLE = "metric"  # the table whose counters the setup test's one request adds to


def validate_configuration(configuration):
    """Check every configuration value and return the settings the sync uses.

    Args:
        configuration: the connector's configuration; every value is a string.
    Returns:
        A dict with `api_key`, `from_date` (date), `lookback_days` and `reconcile_days` (int)
        and `base_url`.
    Raises:
        ValueError: naming the key that is wrong and what it expects; the key itself is never
            repeated.
    """
    api_key = config.validated_api_key(configuration.get("api_key"))
    return {
        "api_key": api_key,
        "from_date": config.validated_from_date(config.optional_text(configuration, "from_date")),
        "lookback_days": config.validated_lookback_days(
            config.optional_text(configuration, "lookback_days")
        ),
        "reconcile_days": config.validated_reconcile_days(
            config.optional_text(configuration, "reconcile_days")
        ),
        "base_url": config.validated_base_url(
            config.optional_text(configuration, "base_url"), api_key
        ),
    }


def schema(configuration: dict):
    """Declare the five tables, their primary keys and the column types the connector knows.

    Args:
        configuration: the connector's configuration (not needed to declare the tables).
    Returns:
        The list of table declarations.
    """
    return [
        {"table": table, "primary_key": spec["primary_key"], "columns": dict(spec["columns"])}
        for table, spec in specs.TABLE_SPECS.items()
    ]


def sync_metrics(context):
    """Record each metric's current value once per sync.

    Dated metrics are asked for from_date (or 1970-01-01) to the upper bound; send_quota is
    undated. Each dated row records how many responses it was computed over (the count, read
    first; NULL when it is unknown). A body that is not a number is logged as a warning and
    gets no row.
    """
    table = "metric"
    recorded_at = context.started_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    counted = None  # num_responses, once read: the `limit` of the other dated metrics
    for metric_name, (method, dated) in specs.METRIC_METHODS.items():
        params = metrics.metric_params(context, metric_name, dated, counted)
        try:
            value = client.fetch_value(context, table, method, params)
        except errors.UnexpectedBodyError as error:
            said = masking.masked_snippet(error.snippet, context.api_key)
            output.say(
                context,
                log.warning,
                f"metric: {method} answered {said!r}, which is not a finite number; "
                f"no row for {metric_name}",
            )
            continue
        if metric_name == "num_responses" and value >= 0 and value.is_integer():
            counted = int(value)
        row = {"metric_name": metric_name, "metric_value": value, "recorded_at": recorded_at}
        if dated:
            row["from_date"] = params["fromDate"]
            row["to_date"] = params["toDate"]
            row["responses_counted"] = counted
        output.upsert_row(context, table, row)
    reports.log_table_summary(
        context, table, f"{context.settings['from_date']}..{context.upper_bound}"
    )


def sync_comments(context, state):
    """Sync the `comment` table from getComments; return its new cursor."""
    cursor, history = cursors.read_cursor(state, "comment"), cursors.read_history(state, "comment")
    unproven = cursors.read_unproven(state, "comment")
    return walk.sync_windowed_table(context, "comment", cursor, history, unproven)


def sync_blast_results(context, state):
    """Sync the `blast_result` table from getBlastResults; return its new cursor."""
    cursor, history = (
        cursors.read_cursor(state, "blast_result"),
        cursors.read_history(state, "blast_result"),
    )
    unproven = cursors.read_unproven(state, "blast_result")
    return walk.sync_windowed_table(context, "blast_result", cursor, history, unproven)


def sync_recipient_lists(context):
    """Sync the `recipient_list` table from getRecipientLists (whole: it has no cursor)."""
    walk.sync_full_table(context, "recipient_list")


def sync_thermometers(context):
    """Sync the `thermometer` table from getThermometers (whole: it has no cursor)."""
    walk.sync_full_table(context, "thermometer")


def sync_one_table(context, table, sync_table):
    """Run one table's sync; return (True, its new cursor or None), or (False, None) if it failed.

    Every error met while reading a table is that table's error, logged here, so that the other
    tables go on: an answer no one foresaw must not stop the sync with a traceback. A rejected
    key, or a host that could not be reached, stops the sync.

    Args:
        context: the SyncContext.
        table: the table's name, for the log.
        sync_table: a function of no argument that syncs the table and returns its cursor.
    Raises:
        AuthenticationError: the key was rejected.
        UnreachableError: the API's host could not be reached.
    """
    try:
        return True, sync_table()
    except (errors.AuthenticationError, errors.UnreachableError):
        raise
    except errors.ApiError as error:
        if isinstance(error, errors.LongWaitError):
            context.waits[table] = error.seconds
        output.say(context, log.error, f"{table}: failed, {read_again(table)}: {error}")
    except Exception as error:  # any other error is this table's too: it is logged, not lost
        message = masking.mask_secrets(error, context.api_key)[: specs.BODY_SNIPPET_CHARS]
        output.say(
            context,
            log.error,
            f"{table}: failed on an unexpected {type(error).__name__} ({message}), "
            f"{read_again(table)}",
        )
    return False, None


def read_again(table):
    """Return what becomes of a table that failed, for its error line."""
    if table in specs.DATED_TABLES:
        return "and is read again next sync from what it proved"
    return "and is read again next sync"


def unreachable_message(context, error, not_read, failed):
    """Return the one error of a sync that stopped because the API's host could not be reached."""
    message = (
        f"Customer Thermometer {error.what} {error.host} ({error.reason}), so the sync stopped. "
        f"Not read, or not whole (only what they proved is saved): {', '.join(not_read)}"
    )
    if failed:
        message += f"; failed before: {', '.join(failed)}"
    return f"{message}. Check base_url and this machine's network (or proxy), then sync again."


def waited_message(waits):
    """Return the one error of a sync in which the API asked every table to wait longer than a
    sync waits (Retry-After), each failing at its first request."""
    longest = max(waits.values())
    return (
        f"Customer Thermometer asked every table to wait before asking again (Retry-After), up "
        f"to {client.seconds(longest)}, longer than a sync waits, so the sync stopped without "
        f"waiting; nothing was lost, and every table is read again next sync (schedule it after "
        f"the wait)."
    )


def update(configuration: dict, state: dict):
    """Sync every table, then checkpoint the accumulated state once.

    A rejected key stops the sync at once with no state change. A table that fails after its
    retries keeps only what it proved (its cursor never passes a day it did not prove) without
    stopping the others; after the last table the state is checkpointed and the sync fails,
    naming the failed tables. A host that could not be reached on any attempt stops the sync
    after that table: the state is checkpointed (the tables not read keep their cursors) and the
    sync fails with one error naming the host.

    Args:
        configuration: the connector's configuration.
        state: the state saved by the previous sync ({} on the first one).
    Raises:
        ValueError: a bad configuration value (before any request).
        AuthenticationError: the key was rejected.
        RuntimeError: one or more tables failed, or the API could not be reached.
    """
    # What leaves update() is raised here, afresh: its message masked, and neither a frame
    # below this one nor the error it replaces, so a crash report (which shows each frame's
    # locals) holds nothing an answer said.
    failure = None
    try:
        sync_every_table(configuration, state)
    except Exception as error:
        failure = masking.masked_error(error, masking.secret_of(configuration))
    if failure is not None:
        raise failure


def sync_every_table(configuration, state):
    """Run update()'s sync: see update()."""
    settings = validate_configuration(configuration)
    # A corrupt saved value fails before any request.
    cursors.validate_state(state, clock.utc_now().date())
    state, dropped = cursors.bounded_state(state)
    if dropped:
        names = ", ".join(masking.cited(key) for key in dropped[: specs.MAX_REPORTED_NAMES])
        log.warning(
            f"State keys the connector does not know are saved again up to "
            f"{cursors.UNKNOWN_STATE_BYTES:,} bytes in all; {len(dropped):,} more are not: "
            f"{masking.mask_secrets(names, settings['api_key'])}"
        )
    context = SyncContext(settings, state)
    steps = [
        # blast_result first: the responses with a comment it read whole witness the comments.
        ("blast_result", functools.partial(sync_blast_results, context, state)),
        ("comment", functools.partial(sync_comments, context, state)),
        ("recipient_list", functools.partial(sync_recipient_lists, context)),
        ("thermometer", functools.partial(sync_thermometers, context)),
        ("metric", functools.partial(sync_metrics, context)),
    ]
    failed, unreachable = [], None
    try:
        for index, (table, sync_table) in enumerate(steps):
            try:
                succeeded, _ = sync_one_table(context, table, sync_table)
            except errors.UnreachableError as error:
                unreachable = (error, [name for name, _ in steps[index:]])
                break
            if not succeeded:
                failed.append(table)
    finally:
        context.close()
    # Save the accumulated state once, after every table: what each dated table proved (a
    # failed one's too, never past it: its cursor and the days still to read) and the date
    # filters the answers showed.
    op.checkpoint(state=cursors.advanced_state(state, context))
    if unreachable is not None:
        raise RuntimeError(unreachable_message(context, *unreachable, failed)) from None
    if len(context.waits) == len(steps):
        raise RuntimeError(waited_message(context.waits))
    if failed:
        others = "the other tables were saved and " if len(failed) < len(steps) else ""
        raise RuntimeError(
            f"Customer Thermometer sync failed for {', '.join(failed)} (see the errors above); "
            f"{others}the failed ones will be read again next sync."
        )


def check_api_key(configuration: dict):
    """Setup test: ask Customer Thermometer for the send quota with the configured key.

    Args:
        configuration: the configuration entered in the setup form.
    Returns:
        Test.success(), or Test.failure() with a plain message.
    """
    try:
        settings = validate_configuration(configuration)
    except ValueError as error:
        return Test.failure(str(error))
    context = SyncContext(settings, {})
    try:
        client.fetch_value(context, SETUP_TEST_TABLE, "getSendQuota", {})
        return Test.success()
    except errors.AuthenticationError:
        return Test.failure(
            "Customer Thermometer rejected the API key: check that it is a current API key."
        )
    except errors.UnexpectedBodyError as error:
        return Test.failure(
            "Customer Thermometer answered something other than the send quota: "
            f"{masking.masked_snippet(error.snippet, settings['api_key'])!r}"
        )
    except errors.ApiError as error:
        return Test.failure(
            f"Could not reach Customer Thermometer at {context.host}: "
            f"{masking.mask_secrets(error, settings['api_key'])}"
        )
    finally:
        context.close()


def configuration_form():
    """Return the setup form: key, first-sync date, lookback, reconcile horizon, API URL, and a
    check of the key."""
    form = ConfigurationForm()
    form.add_field(
        form_field.TextField(
            "api_key",
            "API key",
            form_field.TextField.password,
            description="Your Customer Thermometer API key (Account settings > API).",
            required=True,
        )
    )
    form.add_field(
        form_field.TextField(
            "from_date",
            "Sync responses from",
            form_field.TextField.plain_text,
            description="Where the first sync starts, as YYYY-MM-DD. Later syncs continue from "
            "their saved state. From 1970-01-01 on; default: 1970-01-01 (everything).",
            required=False,
            placeholder="2024-01-01",
        )
    )
    form.add_field(
        form_field.TextField(
            "lookback_days",
            "Lookback days",
            form_field.TextField.plain_text,
            description="How many days before the last sync each sync reads again, for "
            "responses that reach the API late. A whole number from 0 to 365. Default: 2.",
            required=False,
            placeholder="2",
        )
    )
    form.add_field(
        form_field.TextField(
            "reconcile_days",
            "Reconcile days",
            form_field.TextField.plain_text,
            description="How many days before the last sync each sync reads again to update "
            "edited responses and mark deleted ones deleted. A whole number from 0 (off) to 365. "
            "Default: 30.",
            required=False,
            placeholder="30",
        )
    )
    form.add_field(
        form_field.TextField(
            "base_url",
            "API URL",
            form_field.TextField.plain_text,
            description="Where to send requests, for a proxy or a stand-in of the API. An "
            "http(s) URL with a host. Default: https://app.customerthermometer.com/api.php.",
            required=False,
            placeholder="https://app.customerthermometer.com/api.php",
        )
    )
    form.add_test(label="Check the API key", func=check_api_key)
    return form


# Create the connector object using the schema, update and configuration_form functions
connector = Connector(update=update, schema=schema, configuration_form=configuration_form)

# Check if the script is being run as the main module.
# This is Python's standard entry method allowing your script to be run directly from the command
# line or IDE 'run' button. This is useful for debugging while you write your code.
if __name__ == "__main__":
    # Open the configuration.json file and load its contents
    with open("configuration.json") as f:
        configuration = json.load(f)

    # Test the connector locally
    connector.debug(configuration=configuration)
