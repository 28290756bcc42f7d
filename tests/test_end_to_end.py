"""End-to-end tests: the real `fivetran debug` on a copy of the project, over real HTTP to the
stand-in API, into a real DuckDB warehouse. Each run's whole output and crash reports are checked
for the API key."""

import base64
import re
import socket
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlencode

import pytest

from customer_thermometer.cursors import validate_state
from customer_thermometer.specs import TABLE_SPECS
from tests.deferring.deferring_parser import MODES
from tests.support import in_ranges, kept_or_given_up
from tools.fake_api import CONVENTIONS, FAULTS, MEANINGS, VARIANTS, FakeCustomerThermometer
from tools.harness import REPOSITORY, Project, deferring_parser_env, edited_copy

API_KEY = "e2e-SECRET-key-5f1c9a7e3b"
SPECS = "customer_thermometer/specs.py"  # where the limits a test lowers are named

EXPECTED_TYPES = {
    "blast_result": {
        "response_id": "BIGINT",
        "blast_id": "BIGINT",
        "thermometer_id": "BIGINT",
        "temperature_id": "INTEGER",
        "date_submitted": "TIMESTAMP",
        "response_date": "TIMESTAMP",
        "blast_date": "TIMESTAMP",
        "response_bounced": "BOOLEAN",
        "comment_hidden": "BOOLEAN",
        "response": "VARCHAR",
        "comment": "VARCHAR",
        "custom_12": "VARCHAR",
        "location_country": "VARCHAR",
    },
    "comment": {"response_id": "BIGINT", "date_submitted": "TIMESTAMP", "comment": "VARCHAR"},
    "recipient_list": {"id": "BIGINT", "name": "VARCHAR"},
    "thermometer": {"id": "BIGINT", "name": "VARCHAR"},
    "metric": {
        "metric_name": "VARCHAR",
        "metric_value": "DOUBLE",
        "recorded_at": "TIMESTAMP WITH TIME ZONE",
        "from_date": "DATE",
        "to_date": "DATE",
        "responses_counted": "BIGINT",
    },
}


class Runner:
    """A project copy plus checks that every run keeps the key secret.

    Args:
        folder: where to put the project's copy.
        source: the tree of the project to run (the repository by default).
        parser: "eager" (the Python's own XML parser), or a mode of the deferring double that
            every run then parses with (see tests/deferring/).
    """

    def __init__(self, folder, source=REPOSITORY, parser="eager"):
        self.project = Project(folder, source)
        self.outputs = []
        self.parser = parser
        self.parsers_made = Path(folder) / "parsers-made"

    def sync(self, api, env=None, **overrides):
        """Run one sync against the stand-in and check the key is in no output."""
        values = {"api_key": API_KEY, "base_url": api.base_url}
        values.update(overrides)
        if self.parser != "eager":
            env = {**deferring_parser_env(self.parser, self.parsers_made), **(env or {})}
        result = self.project.debug({k: v for k, v in values.items() if v is not None}, env=env)
        self.outputs.append(result.output)
        assert_key_absent(result.output, self.project.crash_reports())
        if self.parser != "eager":  # the double, and only it, parsed the run's answers
            made = self.parsers_made.read_text().split() if self.parsers_made.exists() else []
            assert made and set(made) == {self.parser}, "the deferring parser was not used"
        return result

    def table(self, table, columns):
        """Return a table's rows as sorted tuples of the given columns."""
        names = ", ".join(columns)
        return sorted(self.project.query(f"select {names} from tester.{table}"), key=repr)


def state_besides_keys(runner):
    """Return the saved state without the keys of the reconcile horizon, once the next sync
    would read it (what the keys hold: tests/test_reconcile.py)."""
    state = runner.project.state()
    validate_state(state, datetime.now(timezone.utc).date())
    return {key: value for key, value in state.items() if not key.endswith("_keys")}


def assert_key_absent(output, crash_reports):
    """Fail when the API key appears in a run's output or in a crash report."""
    assert API_KEY not in output
    for report in crash_reports:
        assert API_KEY not in report


def expected(api, table, columns):
    """Return the stand-in's truth for a table as sorted tuples of the given columns."""
    return sorted((tuple(row.get(name) for name in columns) for row in api.truth(table)), key=repr)


def truth_columns(api, table):
    """Return every column the truth of a table names."""
    columns = []
    for row in api.truth(table):
        for name in row:
            if name not in columns:
                columns.append(name)
    return columns


def assert_warehouse_equals_truth(runner, api):
    """Every table holds exactly the stand-in's records, value for value."""
    for table in ["blast_result", "comment", "thermometer", "recipient_list"]:
        columns = truth_columns(api, table)
        assert runner.table(table, columns) == expected(api, table, columns), table


@pytest.fixture
def runner(request, tmp_path):
    """A Runner in tmp_path; under UNDER_EVERY_PARSER, once per parser."""
    return Runner(tmp_path, parser=getattr(request, "param", "eager"))


# A test marked so runs under the Python's own parser and each mode of the deferring double.
UNDER_EVERY_PARSER = pytest.mark.parametrize(
    "runner", ("eager",) + MODES, indirect=True, ids=lambda mode: f"parser={mode}"
)


@pytest.fixture
def small_api():
    with FakeCustomerThermometer(responses=1500, days=400, seed=11, api_key=API_KEY) as api:
        yield api


@UNDER_EVERY_PARSER
def test_first_and_second_sync_land_exactly_the_stand_ins_records(runner, small_api):
    first = runner.sync(small_api)
    assert first.succeeded, first.output
    assert_warehouse_equals_truth(runner, small_api)
    for table, types in EXPECTED_TYPES.items():
        actual = runner.project.column_types(table)
        assert {name: actual.get(name) for name in types} == types, table
    metrics = dict(runner.project.query("select metric_name, metric_value from tester.metric"))
    assert metrics["num_responses"] == 1500 and metrics["send_quota"] == 4250
    today = small_api.today
    assert state_besides_keys(runner) == {
        "comment_cursor": today.isoformat(),
        "blast_result_cursor": today.isoformat(),
    }

    added = small_api.add_responses(40, days_ago=(0, 1))
    requests_before = len(small_api.requests)
    second = runner.sync(small_api)
    assert second.succeeded, second.output
    assert_warehouse_equals_truth(runner, small_api)
    ids = {row[0] for row in runner.project.query("select response_id from tester.blast_result")}
    assert {response["response_id"] for response in added} <= ids
    # The reconcile horizon of 30 days (the lookback's 2 are within it) is read again.
    recent = (today - timedelta(days=30)).isoformat()
    dated = [
        entry
        for entry in small_api.requests[requests_before:]
        if entry["getMethod"] in ("getComments", "getBlastResults")
    ]
    # Each table's window (32 days), and a range four times as long before it that proves it
    # by answering more.
    wider = (today - timedelta(days=30 + 4 * 32)).isoformat()
    assert [entry["fromDate"] for entry in dated] == [recent, wider] * 2
    assert all(entry["apiKey"] == "***" for entry in small_api.requests)


def dated_requests(api, since=0):
    """Return the requests per dated table from request number since: lists and counts.

    getNumResponsesValue witnesses getBlastResults answers; the one a sync asks after the lists
    (the dated tables are read first) is the metric's.
    """
    entries = api.requests[since:]
    lists = [n for n, e in enumerate(entries) if e["getMethod"] == "getRecipientLists"]
    entries = entries[: lists[0]] if lists else entries
    counts = [e for e in entries if e["getMethod"] == "getNumResponsesValue"]
    return {
        "comment": sum(1 for e in entries if e["getMethod"] == "getComments"),
        "blast_result": sum(1 for e in entries if e["getMethod"] == "getBlastResults")
        + len(counts),
    }


def test_a_3000_response_account_takes_at_most_six_requests_per_dated_table_then_three(runner):
    with FakeCustomerThermometer(responses=3000, days=730, seed=2026, api_key=API_KEY) as api:
        first = runner.sync(api)
        assert first.succeeded, first.output
        # Its answer and its newest day (which calibrates the witness); the counts of its halves
        # prove them (for comments, the tally of the responses: no request).
        assert dated_requests(api) == {"comment": 2, "blast_result": 5}
        api.add_responses(25, days_ago=(0, 1))
        before = len(api.requests)
        second = runner.sync(api)
        assert second.succeeded, second.output
        # Its window and a range four times as long that proves it.
        assert dated_requests(api, before) == {"comment": 2, "blast_result": 2}
        assert_warehouse_equals_truth(runner, api)


def lands_every_row_typed(runner, api):
    """Run a sync that must succeed, name nothing as maybe missing, and land every row of the
    stand-in with the column types expected; return its result."""
    result = runner.sync(api)
    assert result.succeeded, result.output[-3000:]
    assert "may be missing" not in result.output
    assert_warehouse_equals_truth(runner, api)
    for table, types in EXPECTED_TYPES.items():
        actual = runner.project.column_types(table)
        assert {name: actual.get(name) for name in types} == types, table
    return result


@pytest.mark.parametrize("variant", VARIANTS.values(), ids=list(VARIANTS))
def test_every_row_lands_typed_whatever_the_account_does_differently(runner, variant):
    with FakeCustomerThermometer(
        responses=3000, days=730, seed=8, api_key=API_KEY, **variant
    ) as api:
        lands_every_row_typed(runner, api)
        state = state_besides_keys(runner)
        assert state == {
            "comment_cursor": api.today.isoformat(),
            "blast_result_cursor": api.today.isoformat(),
        }


@pytest.mark.parametrize("variant", MEANINGS.values(), ids=list(MEANINGS))
def test_every_row_lands_whatever_the_answers_turn_out_to_mean(runner, variant):
    with FakeCustomerThermometer(
        responses=3000, days=730, seed=8, api_key=API_KEY, **variant
    ) as api:
        result = runner.sync(api)
        assert result.succeeded, result.output[-3000:]
        assert_warehouse_equals_truth(runner, api)
        lines = result.output.splitlines()
        unproven = [line for line in lines if "could not be proven complete" in line]
        # Tables whose answers no count could check: the size rule's assumption is said.
        caveats = {
            re.search(r"(\w+): no count could check", line).group(1)
            for line in lines
            if "no count could check" in line
        }
        state = state_besides_keys(runner)
        if variant.get("counts") == "answered":
            assert caveats == {"blast_result"}
        if variant.get("date_filter") == "blast_date":
            # Comment records carry no send date, so no answer can show their filter follows
            # it: what could not be proven is named; every row still landed.
            assert caveats == {"comment"}
            assert unproven and all("comment: getComments" in line for line in unproven)
            assert "getBlastResults selects records by blast_date" in result.output
            assert state["blast_result_date_field"] == "blast_date"
            assert state["blast_result_lag_days"] == 4
        else:
            assert unproven == [] and caveats <= (
                {"blast_result"} if "counts" in variant else set()
            )
            assert state == {
                "comment_cursor": api.today.isoformat(),
                "blast_result_cursor": api.today.isoformat(),
            }
        if variant.get("to_date") == "midnight":
            assert "toDate seems to end at the start of its day (its midnight)" in result.output


@pytest.mark.parametrize("variant", CONVENTIONS.values(), ids=list(CONVENTIONS))
def test_every_row_lands_whatever_convention_the_answers_teach(runner, variant):
    with FakeCustomerThermometer(
        responses=3000, days=730, seed=8, api_key=API_KEY, **variant
    ) as api:
        first = lands_every_row_typed(runner, api)
        learned = {}
        if "max_limit" in variant:
            learned.update(blast_result_limit=variant["max_limit"])
            learned.update(comment_limit=variant["max_limit"])
        layout = {"day_first": "DD/MM/YYYY", "month_first": "MM/DD/YYYY"}.get(
            variant.get("datetimes")
        )
        if layout:  # the API's, saved under each table
            learned.update(blast_result_date_layout=layout, comment_date_layout=layout)
        state = state_besides_keys(runner)
        assert {key: state[key] for key in state if "cursor" not in key} == learned
        if variant.get("comment_dates") == "undated":
            assert "getComments records carry no date_submitted" in first.output
        api.add_responses(40, days_ago=(0, 1, 2))
        second = runner.sync(api)  # starts with what the first learned
        assert second.succeeded, second.output[-3000:]
        assert " instead of limit=" not in second.output and "writes dates as" not in second.output
        assert_warehouse_equals_truth(runner, api)


CAPS_OF_NO_ONE_NUMBER = {
    "drawn per answer, no count": {"cap_range": (30, 80), "counts": "none"},
    "drawn per answer, counted": {"cap_range": (30, 80)},
    "by bytes, no count": {"cap_bytes": 32768, "counts": "none"},
    "by bytes, counted": {"cap_bytes": 32768},
}


@pytest.mark.parametrize(
    "variant", CAPS_OF_NO_ONE_NUMBER.values(), ids=list(CAPS_OF_NO_ONE_NUMBER)
)
def test_a_cap_of_no_one_number_loses_no_row_unnamed_over_five_syncs(runner, variant):
    with FakeCustomerThermometer(
        responses=500, days=200, seed=12, api_key=API_KEY, **variant
    ) as api:
        outputs = []
        for _ in range(5):
            result = runner.sync(api)
            assert result.succeeded, result.output[-3000:]
            outputs.append(result.output)
    state = runner.project.state()
    for table in ("blast_result", "comment"):
        landed = {row for (row,) in runner.table(table, ["response_id"])}
        for row in api.truth(table):  # each missing one: still to read, or given up by name
            if row["response_id"] not in landed:
                assert in_ranges(
                    row["date_submitted"].date(), kept_or_given_up(state, outputs, table)
                )
    if variant.get("counts") == "none":  # no count: what the answers showed is named
        assert "so the API's cap is not one number of records" in outputs[0]
        assert "blast_result: no count could check" not in outputs[0]


def test_a_retry_after_of_an_hour_fails_its_table_at_once_and_the_next_sync_lands_all(runner):
    with FakeCustomerThermometer(
        responses=300, days=60, seed=4, api_key=API_KEY, retry_after_once=3600
    ) as api:
        first = runner.sync(api)
        assert first.returncode != 0 and first.seconds < 60
        assert "asking to wait 3,600 s before asking again" in first.output
        assert "; retry 1 of" not in first.output  # no sleep
        second = runner.sync(api)
        assert second.succeeded, second.output[-3000:]
        assert_warehouse_equals_truth(runner, api)


def test_a_cap_that_drops_between_syncs_loses_no_new_response(runner):
    with FakeCustomerThermometer(responses=3000, days=730, seed=8, api_key=API_KEY) as api:
        first = runner.sync(api)
        assert first.succeeded, first.output[-3000:]
        api.cap = 20
        api.add_responses(60, days_ago=(0, 1))
        second = runner.sync(api)
        assert second.succeeded, second.output[-3000:]
        assert "may be missing" not in second.output
        assert_warehouse_equals_truth(runner, api)


def test_faults_lose_nothing_and_duplicate_nothing(runner):
    with FakeCustomerThermometer(
        responses=24000, days=60, seed=5, api_key=API_KEY, fault_rate=0.3
    ) as api:
        successes = 0
        for _ in range(6):
            result = runner.sync(api)
            if result.succeeded:
                successes += 1
            else:
                assert result.returncode != 0
                assert "failed after 4 attempts" in result.output
                assert "sync failed for" in result.output
            if successes == 2:
                break
            api.add_responses(20, days_ago=(0, 1, 2))
        assert successes == 2
        outcomes = {entry["outcome"] for entry in api.requests}
        assert set(FAULTS) <= outcomes
        windows = [e for e in api.requests if e["getMethod"] == "getBlastResults"]
        assert len({(e["fromDate"], e["toDate"]) for e in windows}) > 2  # windows were split
        api.fault_rate = 0
        assert_warehouse_equals_truth(runner, api)
        count = runner.project.query("select count(*) from tester.blast_result")[0][0]
        assert count == len(api.truth("blast_result"))


def test_a_wrong_key_fails_fast_without_retries_or_state(runner, small_api):
    result = runner.sync(small_api, api_key="wrong-key-0123456789abc")
    assert result.returncode != 0
    assert "rejected the API key" in result.output
    assert len(small_api.requests) == 1
    assert runner.project.state() is None
    assert "wrong-key-0123456789abc" not in result.output


@pytest.mark.parametrize(
    "overrides, named",
    [
        ({"api_key": "<YOUR_CUSTOMER_THERMOMETER_API_KEY>"}, "api_key"),
        ({"from_date": "2024-13-01"}, "from_date"),
        ({"from_date": "1900-01-01"}, "from_date"),
        ({"lookback_days": "1000"}, "lookback_days"),
        ({"base_url": "not a url"}, "base_url"),
    ],
)
def test_a_bad_configuration_value_fails_before_any_request(runner, small_api, overrides, named):
    result = runner.sync(small_api, **overrides)
    assert result.returncode != 0
    assert f"Configuration '{named}'" in result.output
    assert small_api.requests == []
    assert runner.project.state() is None


def test_a_base_url_read_as_two_hosts_sends_the_key_to_neither(runner, small_api):
    # One URL parser reads the stand-in's port here; requests would send to the other listener.
    with FakeCustomerThermometer(responses=10, days=5, seed=2, api_key=API_KEY) as other:
        other_port = other.base_url.split(":")[2].split("/")[0]
        url = small_api.base_url.replace("//", f"//127.0.0.1:{other_port}\\@", 1)
        result = runner.sync(small_api, base_url=url)
        assert other.requests == [] and small_api.requests == []
    assert result.returncode != 0
    assert "Configuration 'base_url'" in result.output
    assert f"would send it to 127.0.0.1:{other_port}." in result.output
    assert runner.project.state() is None


def test_a_record_alone_in_its_answer_whose_key_cannot_be_read_fails_no_table(runner):
    with FakeCustomerThermometer(responses=0, days=5, seed=8, api_key=API_KEY) as api:
        api.add_response(response_id=2**64, comment="the only response, its id past 64 bits")
        first = runner.sync(api)
        assert first.succeeded, first.output[-3000:]
        for table in ("blast_result", "comment"):
            assert (
                f"{table}: skipped a record without a primary-key value for 'response_id' "
                f"(response_id '18446744073709551616')"
            ) in first.output
        good = api.add_responses(20, days_ago=(0, 1))
        assert runner.sync(api).succeeded
    landed = runner.table("blast_result", ["response_id"])
    assert landed == sorted((response["response_id"],) for response in good)


BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(
        f'<!ENTITY lol{n} "{("&lol" + (str(n - 1) if n > 1 else "") + ";") * 10}">'
        for n in range(1, 10)
    )
    + "]><thermometer_blast_responses><thermometer_blast_response><comment>&lol9;"
    "</comment></thermometer_blast_response></thermometer_blast_responses>"
)


@UNDER_EVERY_PARSER
@pytest.mark.parametrize(
    "body, said",
    [
        ("<thermometer_blast_responses><thermometer_blast_response><a></b>", "malformed XML"),
        ("Service temporarily disabled for maintenance", "not XML"),
        (BILLION_LAUGHS, "DTD"),
    ],
)
def test_a_bad_body_fails_its_table_cleanly_and_fast(runner, small_api, body, said):
    small_api.overrides["getBlastResults"] = body.encode()
    result = runner.sync(small_api)
    assert result.returncode != 0
    assert said in result.output
    assert "sync failed for blast_result" in result.output
    assert state_besides_keys(runner) == {"comment_cursor": small_api.today.isoformat()}
    comments = runner.project.query("select count(*) from tester.comment")[0][0]
    assert comments == len(small_api.truth("comment"))


@UNDER_EVERY_PARSER
def test_a_one_megabyte_comment_and_non_ascii_text_arrive_intact(runner, small_api):
    long_comment = ('Ünïcødé ✓ 👍 "quoted" <tag> & more\n' * 30000)[:1_000_000]
    response = small_api.add_response(comment=long_comment, first_name="Zoë 渡辺")
    result = runner.sync(small_api)
    assert result.succeeded, result.output[-3000:]
    rows = runner.project.query(
        "select comment, first_name from tester.blast_result "
        f"where response_id = {response['response_id']}"
    )
    assert rows == [(long_comment, "Zoë 渡辺")]
    stored = runner.project.query(
        f"select comment from tester.comment where response_id = {response['response_id']}"
    )
    assert stored == [(long_comment,)]


def test_stand_in_stops_by_itself():
    api = FakeCustomerThermometer(responses=5, days=2, api_key=API_KEY).start()
    port = api.port
    api.stop()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=5).close()


def key_pieces(key, size=6):
    """Return every piece of size characters of a key."""
    return {key[start : start + size] for start in range(len(key) - size + 1)}


def test_no_piece_of_an_echoed_key_reaches_the_output_or_a_crash_report(runner):
    key = "ab&SECRETPART123xyz"
    with FakeCustomerThermometer(responses=300, days=30, seed=3, api_key=key) as api:
        api.overrides["getComments"] = ("E" * 190 + f"Invalid API key {key}" + "." * 300).encode()
        first = runner.project.debug({"api_key": key, "base_url": api.base_url})
        assert first.returncode != 0 and "rejected the API key" in first.output
        del api.overrides["getComments"]
        api.overrides["getBlastResults"] = (
            f"<error>{'E' * 185}ab&amp;SECRETPART123xyz ab%26SECRETPART123xyz</error>".encode()
        )
        second = runner.project.debug({"api_key": key, "base_url": api.base_url})
        assert second.returncode != 0 and "sync failed for blast_result" in second.output
        texts = [first.output, second.output, *runner.project.crash_reports()]
        assert runner.project.crash_reports()
        for text in texts:
            assert not [piece for piece in key_pieces(key) if piece in text]


ECHOED_KEY = "Kq+Zvw/Xwq-9876abcJ"  # no English word in it: the crash report quotes our source


def refused_echoing(runner, body):
    """Sync against a stand-in whose blast results refuse ECHOED_KEY with body; return the
    output and the crash reports of the failed sync."""
    with FakeCustomerThermometer(responses=300, days=30, seed=3, api_key=ECHOED_KEY) as api:
        api.overrides["getBlastResults"] = body.encode()
        result = runner.project.debug({"api_key": ECHOED_KEY, "base_url": api.base_url})
    assert result.returncode != 0 and "rejected the API key" in result.output
    return result, runner.project.crash_reports()


def test_a_key_echoed_in_another_case_or_encoding_reaches_no_output_or_crash_report(runner):
    key = ECHOED_KEY
    result, reports = refused_echoing(
        runner, f"Invalid API Key {key.upper()} (Kq%2bzvw%2fxwq-9876ABCJ, {key[:9]})"
    )
    assert reports and "Locals:" in "".join(reports)  # the frames' locals are what it shows
    for text in [result.output, *reports]:
        lowered = text.lower()
        assert not [piece for piece in key_pieces(key.lower()) if piece in lowered]


@pytest.mark.parametrize("alignment", [0, 1, 2])
def test_a_key_echoed_in_base64_or_json_escapes_reaches_no_output_or_crash_report(
    runner, alignment
):
    key = ECHOED_KEY
    echoed = base64.b64encode(b"k:"[:alignment] + key.encode()).decode()
    escaped = "".join(f"\\u{ord(character):04x}" for character in key)
    result, reports = refused_echoing(
        runner, f'Invalid API Key: "{echoed}" {{"key": "{escaped}"}}'
    )
    assert reports
    for text in [result.output, *reports]:
        assert echoed[4:16] not in text and escaped[:36] not in text
        assert not [piece for piece in key_pieces(key.lower()) if piece in text.lower()]


@UNDER_EVERY_PARSER
def test_a_record_of_twenty_thousand_fields_lands_its_first_500_and_the_sync_goes_on(
    runner, small_api
):
    wide = "".join(f"<f{n}>v</f{n}>" for n in range(20000))
    small_api.overrides["getThermometers"] = (
        f"<thermometers><thermometer><id>1</id>{wide}</thermometer></thermometers>".encode()
    )
    result = runner.sync(small_api)
    assert result.succeeded, result.output[-3000:]
    columns = runner.project.column_types("thermometer")
    assert 500 < len(columns) <= 500 + 10  # the declared ones, Fivetran's, and 500 more
    assert "thermometer: dropped 19,500 fields" in result.output


@UNDER_EVERY_PARSER
def test_a_body_nobody_foresaw_fails_only_its_table_without_a_traceback(runner, small_api):
    small_api.overrides["getThermometers"] = (
        b'<?xml version="1.0" encoding="Shift_JIS"?><thermometers/>'
    )
    small_api.overrides["getRecipientLists"] = (
        b"<recipient_lists><recipient_list><id>1</id>"
        + b"<a>" * 100000
        + b"</a>" * 100000
        + b"</recipient_list></recipient_lists>"
    )
    result = runner.sync(small_api)
    assert result.returncode != 0
    assert "sync failed for recipient_list, thermometer" in result.output
    assert "encoding" in result.output and "nests deeper than 32 levels" in result.output
    assert "Traceback" not in result.output.split("sync failed for")[0]
    state = runner.project.state()
    assert state["blast_result_cursor"] == small_api.today.isoformat()


def test_a_saved_cursor_in_the_future_stops_the_sync_before_any_request(runner, small_api):
    runner.project.path.joinpath("files").mkdir(exist_ok=True)
    runner.project.path.joinpath("files", "state.json").write_text(
        '{"comment_cursor": "2099-01-01"}'
    )
    result = runner.sync(small_api)
    assert result.returncode != 0
    assert "State 'comment_cursor'" in result.output and "re-sync it (in Fivetran" in result.output
    assert small_api.requests == []


def test_a_cut_mid_chunk_delivers_a_prefix_of_the_answer():
    with FakeCustomerThermometer(responses=300, days=30, seed=4, api_key=API_KEY) as api:
        query = {"getMethod": "getBlastResults", "apiKey": API_KEY}
        full = api.answer(query)[2]
        api.next_faults.append("cut_chunked")
        with socket.create_connection(("127.0.0.1", api.port), timeout=10) as connection:
            connection.sendall(
                f"GET /api.php?{urlencode(query)} HTTP/1.1\r\nHost: x\r\n\r\n".encode()
            )
            raw = b""
            while chunk := connection.recv(65536):
                raw += chunk
    head, _, body = raw.partition(b"\r\n\r\n")
    assert b"Transfer-Encoding: chunked" in head
    received = b""
    while body:
        size_line, _, body = body.partition(b"\r\n")
        size = int(size_line, 16)
        received += body[:size]
        body = body[size + 2 :] if len(body) >= size + 2 else b""
    assert 0 < len(received) < len(full)
    assert full.startswith(received)  # cut, not a body's first bytes sent again
    assert api.requests[-1]["outcome"] == "cut_chunked"


def with_request_budget(folder, budget):
    """Write a copy of the project whose dated tables make at most budget requests a sync."""
    line = "MAX_WINDOWS_PER_TABLE = 5000"
    return edited_copy(Path(folder) / "budget", SPECS, line, f"MAX_WINDOWS_PER_TABLE = {budget}")


def test_a_history_larger_than_one_syncs_budget_lands_whole_over_several_syncs(tmp_path):
    runner = Runner(tmp_path, with_request_budget(tmp_path, 12))
    with FakeCustomerThermometer(
        responses=3000, days=730, seed=15, api_key=API_KEY, cap=200
    ) as api:
        first = runner.sync(api)
        assert first.succeeded, first.output
        state = runner.project.state()
        assert "blast_result_history" in state and "days are still to read" in first.output
        # The first sync holds the newest days: every response of the last week.
        week = (api.today - timedelta(days=7)).isoformat()
        landed = runner.project.query(
            f"select count(*) from tester.blast_result where date_submitted >= '{week}'"
        )[0][0]
        assert landed == sum(
            1
            for row in api.truth("blast_result")
            if row["date_submitted"] >= datetime.fromisoformat(week)
        )
        syncs = 1
        while "blast_result_history" in state or "comment_history" in state:
            result = runner.sync(api)
            assert result.succeeded, result.output
            state, syncs = runner.project.state(), syncs + 1
            assert syncs <= 8, state
        assert syncs > 2
        assert_warehouse_equals_truth(runner, api)


def test_a_gateway_time_out_on_long_ranges_lands_every_row(runner):
    with FakeCustomerThermometer(
        responses=1500, days=400, seed=16, api_key=API_KEY, timeout_over_days=60
    ) as api:
        result = runner.sync(api)
        assert result.succeeded, result.output
        assert "answered HTTP 504; asking for each half instead" in result.output
        assert_warehouse_equals_truth(runner, api)


@pytest.mark.parametrize("offset", [-8, 14], ids=["UTC-8", "UTC+14"])
def test_a_response_submitted_after_a_sync_lands_with_lookback_0_in_any_zone(runner, offset):
    # The account's date is the connector's UTC date less a day (at UTC-8, before 08:00 UTC),
    # or more a day (at UTC+14, after 10:00 UTC): the tests pin that half of the day.
    utc_today = datetime.now(timezone.utc).date()
    account_today = utc_today + timedelta(days=-1 if offset < 0 else 1)
    with FakeCustomerThermometer(
        responses=400, days=60, seed=17, api_key=API_KEY, today=account_today
    ) as api:
        first = runner.sync(api, lookback_days="0")
        assert first.succeeded, first.output
        # The cursor is the newest day the answers held, as the account dates it.
        assert runner.project.state()["blast_result_cursor"] == account_today.isoformat()
        added = api.add_responses(3, days_ago=(0,))  # dated the account's today
        assert {r["date_submitted"].date() for r in added} == {account_today}
        second = runner.sync(api, lookback_days="0")
        assert second.succeeded, second.output
        assert_warehouse_equals_truth(runner, api)


def test_metrics_of_an_account_of_more_than_ten_thousand_responses_count_them_all(runner):
    with FakeCustomerThermometer(responses=12000, days=400, seed=18, api_key=API_KEY) as api:
        result = runner.sync(api)
        assert result.succeeded, result.output
        rows = dict(
            (name, (value, counted))
            for name, value, counted in runner.project.query(
                "select metric_name, metric_value, responses_counted from tester.metric"
            )
        )
        assert rows["num_responses"] == (12000, 12000)
        assert rows["happiness"][1] == rows["nps"][1] == 12000
        assert rows["send_quota"][1] is None


def progress_lines(output, table):
    """Return (rows, requests) of each line in which a table said how far it got."""
    found = re.findall(rf"{table}: ([0-9,]+) rows? so far, ([0-9,]+) requests?, reading ", output)
    return [(int(rows.replace(",", "")), int(sent.replace(",", ""))) for rows, sent in found]


def test_a_long_sync_says_how_far_each_table_got(runner):
    with FakeCustomerThermometer(responses=12000, days=400, seed=18, api_key=API_KEY) as api:
        result = runner.sync(api)
        assert result.succeeded, result.output
    lines = progress_lines(result.output, "blast_result")
    assert (10000, lines[0][1]) in lines and lines[0][1] >= 1
    assert all(rows <= 12000 for rows, _ in lines)
    (summary,) = re.findall(
        r"blast_result: [0-9-]+\.\.[0-9-]+, (\d+) requests?, 12,000 rows,", result.output
    )
    assert all(sent <= int(summary) for _, sent in lines)
    assert "1 requests" not in result.output and "1 rows" not in result.output


def test_an_unreachable_api_stops_the_sync_after_one_table_and_keeps_every_cursor(runner):
    with FakeCustomerThermometer(responses=300, days=60, seed=4, api_key=API_KEY) as api:
        assert runner.sync(api).succeeded
        base_url = api.base_url
    saved = runner.project.state()
    gone = SimpleNamespace(base_url=base_url)  # nothing listens on that port any more
    result = runner.sync(gone)
    assert result.returncode != 0 and "SYNC SUCCEEDED" not in result.output
    assert runner.project.state() == saved
    errors = [line for line in result.output.splitlines() if "could not be reached" in line]
    assert errors and all("could not be reached at 127.0.0.1 (" in line for line in errors)
    assert "refused" in errors[0]
    retries = [line for line in result.output.splitlines() if "; retry " in line]
    assert len(retries) == 3  # one request's retries, not every table's
    for table in ("comment", "recipient_list", "thermometer", "metric"):
        assert f"{table}:" not in result.output.replace("(only what they proved is saved): ", "")


def test_answers_that_stall_end_the_sync_by_themselves(tmp_path):
    # A copy whose answers have 2 s, not 300.
    lowered = edited_copy(
        tmp_path / "lowered", SPECS, "ANSWER_DEADLINE_SECONDS = 300", "ANSWER_DEADLINE_SECONDS = 2"
    )
    runner = Runner(tmp_path / "run", lowered)
    with FakeCustomerThermometer(responses=300, days=60, seed=4, api_key=API_KEY) as api:
        api.stalls["getComments"] = ["header", "gzip_garbage"]  # then its answers come whole
        api.stalls["getThermometers"] = "trailers"  # every time
        result = runner.sync(api)
        assert len(api.requests_for("getThermometers")) == 4
        assert api.requests_for("getSendQuota") == []
    assert result.returncode != 0 and "SYNC SUCCEEDED" not in result.output
    assert (
        "Customer Thermometer did not finish its answers at 127.0.0.1 (4 answers in a row "
        "stalled past their deadline of 2 s, the last of getThermometers), so the sync stopped. "
        "Not read, or not whole (only what they proved is saved): thermometer, metric."
    ) in result.output
    halves = [line for line in result.output.splitlines() if "asking for each half" in line]
    assert len(halves) == 2 and all("took longer than 2 s" in line for line in halves)
    columns = ["response_id", "date_submitted", "comment"]
    assert runner.table("comment", columns) == expected(api, "comment", columns)
    state = runner.project.state()
    assert state["comment_cursor"] == state["blast_result_cursor"]


def test_a_malformed_header_and_a_two_megabyte_response_id_leave_no_key_and_no_flood(tmp_path):
    # A runtime that prints every library's warnings: a root handler, installed at start-up.
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "sitecustomize.py").write_text(
        "import logging, sys\n"
        "logging.basicConfig(stream=sys.stdout, format='ROOT %(name)s: %(message)s')\n"
    )
    runner = Runner(tmp_path / "run")
    with FakeCustomerThermometer(responses=300, days=60, seed=4, api_key=API_KEY) as api:
        body = b"<thermometers><thermometer><id>1</id><name>A</name></thermometer></thermometers>"
        api.raw_answers["getThermometers"] = (
            b"HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nNo colon in this header line\r\n"
            b"Content-Length: %d\r\n\r\n%s" % (len(body), body)
        )
        huge_id = b"9" * (2 * 2**20)
        api.overrides["getRecipientLists"] = (
            b"<recipient_lists><recipient_list><id>%s</id><name>x</name></recipient_list>"
            b"<recipient_list><id>5</id><name>y</name></recipient_list></recipient_lists>"
            % huge_id
        )
        result = runner.sync(api, env={"PYTHONPATH": str(tmp_path / "site")})
    assert result.succeeded, result.output[-3000:]
    assert "ROOT urllib3.connection: Failed to parse headers (url=" in result.output
    assert "apiKey=***" in result.output
    lowered = result.output.lower()
    assert not [piece for piece in key_pieces(API_KEY.lower()) if piece in lowered]
    assert len(result.output) < 200_000 and "9" * 300 not in result.output
    assert runner.table("recipient_list", ["id", "name"]) == [(5, "y")]
    assert runner.table("thermometer", ["id", "name"]) == [(1, "A")]


KEYS = {table: spec["primary_key"] for table, spec in TABLE_SPECS.items()}


def warehouse_keys(runner, table):
    """Return (the primary keys of a table's live rows, those of its rows marked deleted)."""
    names = ", ".join(KEYS[table])
    rows = runner.project.query(f"select {names}, _fivetran_deleted from tester.{table}")
    live = {tuple(row[:-1]) for row in rows if not row[-1]}
    return live, {tuple(row[:-1]) for row in rows if row[-1]}


def keys_of(rows, table):
    """Return the primary keys of rows of a table."""
    return {tuple(row[name] for name in KEYS[table]) for row in rows}


def submitted_days_ago(api, low, high):
    """Return the stand-in's blast_result rows submitted low to high days before today, oldest
    first."""
    rows = sorted(api.truth("blast_result"), key=lambda row: row["date_submitted"])
    return [row for row in rows if low <= (api.today - row["date_submitted"].date()).days <= high]


def test_deletions_a_hidden_comment_and_a_move_inside_the_horizon_reach_the_warehouse(runner):
    with FakeCustomerThermometer(responses=600, days=120, seed=21, api_key=API_KEY) as api:
        first = runner.sync(api)
        assert first.succeeded, first.output[-3000:]
        recent = submitted_days_ago(api, 2, 25)  # inside the horizon of 30 days
        inside = [row for row in recent if row["comment"]][:3] + [
            row for row in recent if not row["comment"]
        ][:2]
        outside = submitted_days_ago(api, 60, 119)[:2]  # older than the horizon
        rest = [row for row in recent if row not in inside]
        hidden = next(row for row in rest if row["comment"] and not row["comment_hidden"])
        moved = next(row for row in rest if row is not hidden)
        for row in inside + outside:
            api.delete_response(row["response_id"])
        api.hide_comment(hidden["response_id"])
        api.move_response(moved["response_id"], 1)
        second = runner.sync(api)
        assert second.succeeded, second.output[-3000:]
        assert "may be missing" not in second.output
        for table in ("blast_result", "comment"):
            live, gone = warehouse_keys(runner, table)
            deleted_rows = inside + [moved] if table == "blast_result" else inside
            if table == "comment":
                deleted_rows = [row for row in inside + [moved] if row["comment"]]
            # The 5 (as far as the table held them) and the moved response's old key are
            # marked deleted; the 2 older than the horizon stay live (no sync read them again).
            assert gone == keys_of(deleted_rows, table), table
            assert live == keys_of(api.truth(table), table) | keys_of(
                [row for row in outside if table == "blast_result" or row["comment"]], table
            ), table
        (hidden_now,) = runner.project.query(
            "select comment_hidden from tester.blast_result where response_id = "
            f"{hidden['response_id']}"
        )
        assert hidden_now == (True,)
        moved_rows = runner.project.query(
            "select date_submitted from tester.blast_result where not _fivetran_deleted and "
            f"response_id = {moved['response_id']}"
        )
        assert moved_rows == [(moved["date_submitted"] + timedelta(days=1),)]


# Answers that may tempt a reconcile into deleting what still exists, on an account whose
# windows must be split (a cap of 40 records).
RECONCILED = {
    "silent cap of 40": {"cap": 40},
    "limit ignored (200)": {"ignore_limit": True},
    "oldest 40 kept, listed oldest first": {"cap": 40, "keep": "oldest", "order": "oldest_first"},
    "toDate as midnight, cap 40": {"cap": 40, "to_date": "midnight"},
    "dates filtered on the send date": {"cap": 40, "date_filter": "blast_date"},
    "limit above 200 refused": {"max_limit": 200, "limit_refusal": "status"},
    "faults at 0.3": {"cap": 40, "fault_rate": 0.3},
}


@pytest.mark.parametrize("variant", RECONCILED.values(), ids=list(RECONCILED))
def test_no_row_the_api_still_holds_is_marked_deleted_over_the_syncs(runner, variant):
    with FakeCustomerThermometer(
        responses=400, days=90, seed=31, api_key=API_KEY, **variant
    ) as api:
        for sync in range(5 if variant.get("fault_rate") else 3):
            result = runner.sync(api)
            if not variant.get("fault_rate"):
                assert result.succeeded, result.output[-3000:]
            for table in ("blast_result", "comment"):
                _, gone = warehouse_keys(runner, table)
                assert not gone & keys_of(api.truth(table), table), (table, sync)
            # Between syncs: new responses, one deleted and one moved inside the horizon, one
            # comment hidden.
            api.add_responses(15, days_ago=(0, 1, 3))
            recent = submitted_days_ago(api, 1, 20)
            api.delete_response(recent[sync]["response_id"])
            api.move_response(recent[-1 - sync]["response_id"], 1)
            api.hide_comment(recent[len(recent) // 2]["response_id"])
