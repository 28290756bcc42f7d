"""One sync's shared state, SyncContext: its settings, HTTP session, and per table the walk, the
shape met and the counts; made by update() and handed to every table."""

import functools
import logging
from datetime import timedelta

import requests

from . import clock
from .config import sending_address
from .cursors import read_date_filter, read_date_layout, read_limit
from .dates import DateReader
from .deadline import WatchedAdapter
from .fields import ListShape
from .masking import KeyFinder, KeyMaskingFilter, masked_column
from .specs import SYNC_LIMITS, TABLE_SPECS
from .windows import TableWalk

# The loggers of the HTTP libraries (each module of urllib3 logs to its own).
LIBRARY_LOGGERS = (
    "requests",
    "urllib3",
    "urllib3.connection",
    "urllib3.connectionpool",
    "urllib3.poolmanager",
    "urllib3.response",
    "urllib3.util.retry",
)


class SyncContext:
    """What one sync shares between tables: settings, HTTP session, clock, counters.

    Args:
        settings: what validate_configuration() returned.
        start_state: the state the sync started with, checkpointed again to commit rows.
    """

    def __init__(self, settings, start_state):
        self.settings = settings
        self.api_key = settings["api_key"]
        self.start_state = dict(start_state)
        self.started_at = clock.utc_now()
        self.today = self.started_at.date()
        self.upper_bound = self.today + timedelta(days=1)
        self.host = sending_address(settings["base_url"])[0]  # where the key goes, for messages
        self.session = requests.Session()
        for prefix in ("https://", "http://"):
            self.session.mount(prefix, WatchedAdapter())
        self.stalls = 0  # answers in a row that passed their deadline with little read
        self.answer_bytes = 0  # of the answer being read, decompressed
        self.log_filter = KeyMaskingFilter(self.api_key)
        self.key_finder = KeyFinder(self.api_key)  # the key among a record's values
        for name in LIBRARY_LOGGERS:
            logging.getLogger(name).addFilter(self.log_filter)
        self.upserts = 0
        self.stats = {}
        self.shapes = {}
        self.walks = {}
        # The API's datetimes, one layout for every table (see DateReader), as saved.
        self.dates = DateReader(read_date_layout(start_state))
        # day -> {response_id: date_submitted} of the responses with a comment blast_result
        # upserted (a witness of the comments, and their dates: see submitted_dates())
        self.tally = {}
        self.submitted = None  # response_id -> date_submitted, from the tally once needed
        self.joined = False  # whether a record took its date from the tally (said once)
        self.unjoined = 0  # records without a date the tally did not hold
        self.unjoined_ids = []  # the first few response_ids of those, in the answer read last
        self.tally_days = []  # the (first, last) days blast_result read whole, once it did
        self.counted_days = {}  # day -> whether blast_result's count confirmed it (reconcile)
        self.doubt = False  # a table's answers showed a cap that may not be fixed (TableWalk)
        self.warnings = {}
        self.waits = {}  # table -> the wait (s) a Retry-After asked for past what a sync waits
        self.answer_deadline_seconds = SYNC_LIMITS["answer_deadline_seconds"]
        self.max_answer_bytes = SYNC_LIMITS["max_answer_bytes"]
        self.max_record_bytes = SYNC_LIMITS["max_record_bytes"]
        self.max_windows_per_table = SYNC_LIMITS["max_windows_per_table"]
        self.checkpoint_every_rows = SYNC_LIMITS["checkpoint_every_rows"]
        self.progress_every_rows = SYNC_LIMITS["progress_every_rows"]
        self.progress_every_seconds = SYNC_LIMITS["progress_every_seconds"]
        self.progress = {}  # table -> when and at how many rows it last said how far it got

    def table_stats(self, table):
        """Return the counters of one table, created on first use."""
        if table not in self.stats:
            self.stats[table] = {
                "requests": 0,
                "rows": 0,
                "deleted": 0,
                "skipped": 0,
                "bad_values": {},
            }
        return self.stats[table]

    def shape(self, table):
        """Return the ListShape of a list table's answers in this sync, created on first use."""
        if table not in self.shapes:
            safe_name = functools.partial(masked_column, api_key=self.api_key)
            self.shapes[table] = ListShape(TABLE_SPECS[table], safe_name)
        return self.shapes[table]

    def submitted_dates(self):
        """Return {response_id: date_submitted} of the responses with a comment blast_result
        read in this sync, made from the tally on first use (the comments are read after it)."""
        if self.submitted is None:
            self.submitted = {}
            for dates in self.tally.values():
                self.submitted.update(dates)
        return self.submitted

    def walk(self, table):
        """Return the TableWalk of a dated table, started from the saved date filter and
        `limit`."""
        if table not in self.walks:
            state = self.start_state
            self.walks[table] = TableWalk(
                table, *read_date_filter(state, table), read_limit(state, table)
            )
        return self.walks[table]

    def close(self):
        """Release the HTTP connections and the libraries' loggers."""
        self.session.close()
        for name in LIBRARY_LOGGERS:
            logging.getLogger(name).removeFilter(self.log_filter)
