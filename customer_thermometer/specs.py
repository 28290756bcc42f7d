"""The tables the connector writes and the limits it keeps: each table's API method, element
names, primary key and declared columns, the metrics' value methods, and what one answer and one
table's windows may take."""

from datetime import date

MAX_LOOKBACK_DAYS = 365


EARLIEST_DATE = date(1970, 1, 1)  # the earliest day a sync reads, from_date's default


MAX_HISTORY_RANGES = 20  # ranges of days still to read saved per table (nearest ones merged)


MAX_UNPROVEN_TRIES = 3  # syncs that read a window no answer proved, before it is given up


MAX_MARGIN_DAYS = 1  # asked around a window's own days once its bounds proved not to be days


RECORD_LIMIT = 10000  # sent as `limit`; the API may cap its answers lower, or ignore it


# The forms of a list request tried in turn while the API refuses one: `limit` (the first
# sent), smaller ones down to the documented default of 200, then none (None).
LIMIT_FORMS = (RECORD_LIMIT, 5000, 1000, 500, 200, None)


DATED_TABLES = ("comment", "blast_result")


MAX_COLUMNS = 500  # columns a table may gain in a sync beyond its declared ones


MAX_VALUE_CHARS = 2**20  # of one value: a longer one is cut, with a warning


MAX_REPORTED_NAMES = 50  # field names a shape report lists (each cut to 60 characters)


BODY_SNIPPET_CHARS = 200


SNIPPET_READ_BYTES = 1000  # read for a snippet: masked whole, then cut to 200 characters


ANSWER_DEADLINE_SECONDS = 300  # for one whole answer (each read also has its own time-out)


MAX_ANSWER_BYTES = 256 * 2**20  # of one answer, decompressed; a larger window is split


MAX_RECORD_BYTES = 32 * 2**20  # of one record


MAX_WINDOWS_PER_TABLE = 5000  # requests (before retries) for one dated table in one sync


CHECKPOINT_EVERY_ROWS = 10000


# A table says how far it got at least every so many rows or seconds, whichever comes first.
PROGRESS_EVERY_ROWS = 10000


PROGRESS_EVERY_SECONDS = 30


MAX_WARNINGS_PER_KIND = 5  # the first five of each kind are logged; the summary counts all


MASK = "***"


# The survey response fields the API is known to send, for `comment` and `blast_result` alike.
RESPONSE_COLUMNS = {
    "response_id": "LONG",
    "blast_id": "LONG",
    "thermometer_id": "LONG",
    "temperature_id": "INT",
    "date_submitted": "NAIVE_DATETIME",
    "response_date": "NAIVE_DATETIME",
    "blast_date": "NAIVE_DATETIME",
    "response_bounced": "BOOLEAN",
    "comment_hidden": "BOOLEAN",
    "response": "STRING",
    "recipient": "STRING",
    "first_name": "STRING",
    "last_name": "STRING",
    "company": "STRING",
    "comment": "STRING",
    **{f"custom_{number}": "STRING" for number in range(1, 13)},
}


NAMED_COLUMNS = {"id": "LONG", "name": "STRING"}


# One spec per table: what schema() declares and what the sync functions read.
TABLE_SPECS = {
    "comment": {
        "method": "getComments",
        "root": "comments",
        "record": "comment",
        "primary_key": ["response_id", "date_submitted"],
        "columns": RESPONSE_COLUMNS,
        # No value method counts comments: the responses with a comment that blast_result read
        # whole in this sync, tallied per day, are the second witness (see CountWitness).
        "tallied_from": "blast_result",
    },
    "blast_result": {
        "method": "getBlastResults",
        "root": "thermometer_blast_responses",
        "record": "thermometer_blast_response",
        "primary_key": ["blast_id", "response_id", "thermometer_id", "date_submitted"],
        "columns": RESPONSE_COLUMNS,
        # Counts what this method lists (responses), with the same date, temperature and blast
        # parameters: a second witness of an answer's size (see CountWitness).
        "counted_by": "getNumResponsesValue",
    },
    "recipient_list": {
        "method": "getRecipientLists",
        "root": "recipient_lists",
        "record": "recipient_list",
        "primary_key": ["id"],
        "columns": NAMED_COLUMNS,
    },
    "thermometer": {
        "method": "getThermometers",
        "root": "thermometers",
        "record": "thermometer",
        "primary_key": ["id"],
        "columns": NAMED_COLUMNS,
    },
    "metric": {
        "primary_key": ["metric_name", "recorded_at"],
        "columns": {
            "metric_name": "STRING",
            "metric_value": "DOUBLE",
            "recorded_at": "UTC_DATETIME",
            "from_date": "NAIVE_DATE",
            "to_date": "NAIVE_DATE",
            "responses_counted": "LONG",
        },
    },
}


# What one answer, and one table's windows, may take: a SyncContext starts from these (tests
# lower them on theirs).
SYNC_LIMITS = {
    "answer_deadline_seconds": ANSWER_DEADLINE_SECONDS,
    "max_answer_bytes": MAX_ANSWER_BYTES,
    "max_record_bytes": MAX_RECORD_BYTES,
    "max_windows_per_table": MAX_WINDOWS_PER_TABLE,
    "checkpoint_every_rows": CHECKPOINT_EVERY_ROWS,
    "progress_every_rows": PROGRESS_EVERY_ROWS,
    "progress_every_seconds": PROGRESS_EVERY_SECONDS,
}


# The value methods behind the `metric` table: metric name -> (API method, asked for a date range).
METRIC_METHODS = {
    "num_responses": ("getNumResponsesValue", True),
    "response_rate": ("getResponseRateValue", True),
    "temp_rating": ("getTempRatingValue", True),
    "nps": ("getNPSValue", True),
    "happiness": ("getHappinessValue", True),
    "send_quota": ("getSendQuota", False),
}


# The record dates an API's date filter may follow, the one assumed first.
DATE_FIELDS = ("date_submitted", "blast_date")
