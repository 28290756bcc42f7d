"""Shared fixtures: a pinned clock, captured operations, logs and waits, and a mocked API.

The mocked API answers through `responses` with the stand-in's own logic (`FakeCustomerThermometer.
answer`), so the unit tests and the end-to-end tests see the same bytes; single methods can be
given scripted answers (statuses, bodies, exceptions) to pin error handling.
"""

import os
import signal
import sys
from datetime import date, datetime, timezone
from urllib.parse import parse_qs, urlparse

import pytest
import responses as responses_library

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from fivetran_connector_sdk import Logging  # noqa: E402

import connector  # noqa: E402
from customer_thermometer import clock, xml_stream  # noqa: E402
from customer_thermometer.context import SyncContext  # noqa: E402
from customer_thermometer.specs import SYNC_LIMITS  # noqa: E402
from tests.deferring.deferring_parser import MODES, deferring  # noqa: E402
from tools.fake_api import FakeCustomerThermometer  # noqa: E402

Logging.LOG_LEVEL = Logging.Level.FINE

PINNED_NOW = datetime(2026, 11, 26, 15, 30, 0, tzinfo=timezone.utc)
TODAY = PINNED_NOW.date()
API_KEY = "unit-SECRET-key-0123456789"
BASE_URL = "https://ct.example.test/api.php"


# A test class or function marked so runs under the real parser, eager with Expat 2.5, and under
# each mode of the deferring double: what Expat 2.6 does, on every Python (see xml_parser).
UNDER_EVERY_PARSER = pytest.mark.parametrize(
    "xml_parser", ("eager",) + MODES, indirect=True, ids=lambda mode: f"parser={mode}"
)


@pytest.fixture(autouse=True)
def xml_parser(request, monkeypatch):
    """The XML parser the connector uses: the real one, or under UNDER_EVERY_PARSER, each mode
    of the deferring double in turn. Return the parser class."""
    mode = getattr(request, "param", "eager")
    if mode == "eager":
        return xml_stream.XMLParser
    parser = deferring(mode)
    monkeypatch.setattr(xml_stream, "XMLParser", parser)
    return parser


# Set by `make mutate`: a test that runs this many seconds has hung (a mutant that breaks a
# deadline leaves a request waiting on a socket, which costs no CPU time: mutmut's own limits,
# in CPU seconds and a long wall time, end it only minutes later); it fails instead. Unset (or
# 0): no limit.
WALL_LIMIT_SECONDS = float(os.environ.get("TEST_WALL_LIMIT_SECONDS") or 0)


class Hung(BaseException):
    """A test past its wall limit: a BaseException, so that no `except Exception` of the code
    under test swallows it."""


@pytest.fixture(autouse=True)
def wall_limit():
    """Fail a test that runs past WALL_LIMIT_SECONDS (when set)."""
    if not WALL_LIMIT_SECONDS:
        yield
        return

    def hung(signum, frame):
        raise Hung(f"the test ran past {WALL_LIMIT_SECONDS:g} s: it hung")

    previous = signal.signal(signal.SIGALRM, hung)
    signal.setitimer(signal.ITIMER_REAL, WALL_LIMIT_SECONDS)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def configuration(**overrides):
    """Return a valid configuration, with some values changed.

    The reconcile horizon is off unless a test sets it: the other tests' scripted answers are
    written for the window of the lookback alone (tests/test_reconcile.py sets it).
    """
    values = {"api_key": API_KEY, "base_url": BASE_URL, "reconcile_days": "0"}
    values.update(overrides)
    return {key: value for key, value in values.items() if value is not None}


class Captured:
    """What a run emitted: upserts, checkpoints, log lines and waits."""

    def __init__(self):
        self.upserts = []
        self.deletes = []
        self.checkpoints = []
        self.logs = []
        self.sleeps = []

    def rows(self, table):
        """Return the rows upserted into one table."""
        return [row for name, row in self.upserts if name == table]

    def messages(self, level=None):
        """Return the logged messages, of one level or all."""
        return [message for name, message in self.logs if level in (None, name)]


@pytest.fixture
def captured(monkeypatch):
    """Pin the clock and capture op.upsert, op.delete, op.checkpoint, the log and the retry
    waits."""
    result = Captured()
    monkeypatch.setattr(clock, "utc_now", lambda: PINNED_NOW)
    monkeypatch.setattr(clock, "sleep", result.sleeps.append)
    monkeypatch.setattr(
        connector.op, "upsert", lambda table, data: result.upserts.append((table, data))
    )
    monkeypatch.setattr(
        connector.op, "delete", lambda table, keys: result.deletes.append((table, keys))
    )
    monkeypatch.setattr(
        connector.op, "checkpoint", lambda state: result.checkpoints.append(json_copy(state))
    )
    for level in ("debug", "info", "warning"):
        monkeypatch.setattr(
            connector.log, level, lambda message, level=level: result.logs.append((level, message))
        )

    def log_error(message, exception=None):
        result.logs.append(("error", message + (f"\n{exception}" if exception else "")))

    monkeypatch.setattr(connector.log, "error", log_error)
    return result


def json_copy(state):
    """Return a deep copy of a state, as the SDK serialises it."""
    import json

    return json.loads(json.dumps(state))


class MockApi:
    """The stand-in's answers served through `responses`, with scripted overrides per method.

    Args:
        fake: the FakeCustomerThermometer whose data answers by default.
        mock: the active responses.RequestsMock.
    """

    def __init__(self, fake, mock):
        self.fake = fake
        self.queries = []
        self.request_options = []  # what requests was asked for each request (timeout, stream)
        self.scripts = {}
        mock.add_callback(responses_library.GET, BASE_URL, callback=self._answer)

    def script(self, method, *answers):
        """Answer the next requests for method with these, in order, then as the stand-in does.

        Each answer is (status, body), (status, body, headers) or an exception to raise.
        """
        self.scripts.setdefault(method, []).extend(answers)

    def sent(self, method):
        """Return the query parameters of the requests sent for a method."""
        return [query for query in self.queries if query.get("getMethod") == method]

    def _answer(self, request):
        query = {key: values[-1] for key, values in parse_qs(urlparse(request.url).query).items()}
        self.queries.append(query)
        self.request_options.append(dict(request.req_kwargs))
        scripted = self.scripts.get(query.get("getMethod"))
        if scripted:
            answer = scripted.pop(0)
            if isinstance(answer, Exception):
                raise answer
            status, body = answer[0], answer[1]
            headers = dict(answer[2]) if len(answer) > 2 else {}
        else:
            status, headers, body = self.fake.answer(query)
            headers = dict(headers)
        # A body's length, as a server gives it (unless the answer says otherwise).
        encoded = body.encode() if isinstance(body, str) else body
        if not any(name.lower() in ("content-length", "transfer-encoding") for name in headers):
            headers["Content-Length"] = str(len(encoded))
        return status, headers, body


@pytest.fixture
def fake():
    """A small seeded stand-in data set (not serving HTTP) whose 'today' is the pinned date."""
    return FakeCustomerThermometer(responses=60, days=30, seed=5, api_key=API_KEY, today=TODAY)


@pytest.fixture
def api(fake):
    """The mocked API answering like the stand-in; requests to any other URL fail."""
    with responses_library.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield MockApi(fake, mock)
    fake.stop()


def day(text):
    """Return a date from YYYY-MM-DD."""
    return date.fromisoformat(text)


@pytest.fixture
def stalling(monkeypatch):
    """A stand-in on 127.0.0.1 whose answers can stall (its `stalls`), with deadlines of 0.5 s."""
    monkeypatch.setitem(SYNC_LIMITS, "answer_deadline_seconds", 0.5)
    with FakeCustomerThermometer(
        responses=40, days=10, seed=3, api_key=API_KEY, today=TODAY
    ) as fake:
        yield fake


@pytest.fixture
def context(captured):
    """A SyncContext of a valid configuration (its HTTP session unused)."""
    context = SyncContext(connector.validate_configuration(configuration()), {})
    yield context
    context.close()


def small_account(**options):
    """Return a stand-in of 60 responses over 30 days (options change them or add to them)."""
    values = {"responses": 60, "days": 30, "seed": 5, "api_key": API_KEY, "today": TODAY}
    return FakeCustomerThermometer(**{**values, **options})


@pytest.fixture
def blast_body(fake):
    """A getBlastResults answer of the small stand-in data set (60 records)."""
    return fake.answer({"getMethod": "getBlastResults", "apiKey": fake.api_key})[2]


@pytest.fixture
def capped(api):
    """Return a maker of the stand-in the mocked API answers with: 60 responses over 30 days,
    with a variant's options (a cap, an order...)."""

    def make(**variant):
        api.fake = small_account(**variant)
        return api.fake

    return make
