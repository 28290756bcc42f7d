"""Unit tests of connector.py: the setup form and its test, the schema, and what update() does with
each table's outcome (checkpoints, failed tables, errors no one foresaw)."""

import functools
import random
from datetime import date, timedelta

import pytest
import requests

import connector
from customer_thermometer import answers
from customer_thermometer.cursors import validate_state
from customer_thermometer.specs import EARLIEST_DATE, SYNC_LIMITS
from tests.conftest import API_KEY, TODAY, UNDER_EVERY_PARSER, configuration, small_account
from tests.support import ALL_TABLES, PASSWORD, PLAIN, SCRIPTED_STATE, UPPER, refused, run


class TestState:
    def test_exactly_one_checkpoint_advances_the_state_at_the_end(self, captured, api):
        start = {"comment_cursor": "2026-11-01", "unrelated": "kept"}
        run(state=start)
        assert len(captured.checkpoints) == 1
        assert captured.checkpoints[0] == {
            "comment_cursor": TODAY.isoformat(),
            "blast_result_cursor": TODAY.isoformat(),
            "unrelated": "kept",
        }
        assert captured.upserts  # the checkpoint came after the rows

    def test_a_failed_table_keeps_its_cursor_while_the_others_advance(self, captured, api):
        api.script("getComments", *[(503, "down")] * 4)
        start = {"comment_cursor": "2026-11-01", "blast_result_cursor": "2026-11-01"}
        with pytest.raises(RuntimeError) as raised:
            run(state=start)
        assert "comment" in str(raised.value) and "blast_result" not in str(raised.value)
        (final,) = captured.checkpoints
        assert final["comment_cursor"] == "2026-11-01"
        assert final["blast_result_cursor"] == TODAY.isoformat()
        assert captured.rows("thermometer") and captured.rows("metric")


class TestSetupForm:
    def test_form_fields_and_test(self):
        form = connector.configuration_form().to_response()
        fields = {field.name: field for field in form.fields}
        assert set(fields) == {
            "api_key",
            "from_date",
            "lookback_days",
            "reconcile_days",
            "base_url",
        }
        assert not fields["base_url"].required and "http(s) URL" in fields["base_url"].description
        assert fields["api_key"].required
        assert fields["from_date"].placeholder and fields["lookback_days"].description
        assert [test.label for test in form.tests] == ["Check the API key"]

    def test_check_api_key_succeeds_with_a_good_key(self, captured, api):
        assert connector.check_api_key(configuration()).success
        assert api.sent("getSendQuota")

    def test_check_api_key_fails_plainly_for_a_rejected_key(self, captured, api):
        api.fake.api_key = "another-key-entirely"
        result = connector.check_api_key(configuration())
        assert "rejected the API key" in result.failure
        assert API_KEY not in result.failure

    def test_check_api_key_fails_plainly_when_unreachable(self, captured, api):
        api.script(
            "getSendQuota", *[requests.exceptions.ConnectionError(f"refused apiKey={API_KEY}")] * 4
        )
        result = connector.check_api_key(configuration())
        assert "Could not reach Customer Thermometer" in result.failure
        assert API_KEY not in result.failure

    def test_schema_declares_every_table_with_its_keys(self):
        tables = {table["table"]: table for table in connector.schema({})}
        assert list(tables) == ALL_TABLES
        assert tables["blast_result"]["primary_key"] == [
            "blast_id",
            "response_id",
            "thermometer_id",
            "date_submitted",
        ]
        assert tables["comment"]["columns"]["date_submitted"] == "NAIVE_DATETIME"
        assert tables["metric"]["columns"]["recorded_at"] == "UTC_DATETIME"


class TestUnreachable:
    def test_the_setup_test_names_the_host_it_could_not_reach(self, captured, api):
        api.script("getSendQuota", *[refused() for _ in range(4)])
        failure = connector.check_api_key(configuration()).failure
        assert "Could not reach Customer Thermometer at ct.example.test" in failure


@UNDER_EVERY_PARSER
class TestTablesFailCleanly:
    def test_an_error_no_one_foresaw_is_still_only_its_tables(self, captured, api, monkeypatch):
        def broken(context, table, fields):
            raise ZeroDivisionError("a bug met on one record")

        monkeypatch.setattr(answers, "build_row", broken)
        with pytest.raises(RuntimeError, match="blast_result, comment, recipient_list"):
            run(state=SCRIPTED_STATE)
        errors = captured.messages("error")
        assert len(errors) == 4 and all("unexpected ZeroDivisionError" in e for e in errors)
        assert captured.rows("metric")
        assert captured.checkpoints[-1] == SCRIPTED_STATE


def test_the_mocked_api_answers_every_request_with_the_stand_ins_data(captured, api):
    run()
    assert api.queries and {q["apiKey"] for q in api.queries} == {API_KEY}
    assert len(captured.rows("thermometer")) == len(api.fake.truth("thermometer")) > 0


def test_the_setup_form_field_by_field():
    form = connector.configuration_form().to_response()
    fields = [
        (f.name, f.label, f.text_field, f.required, f.description, f.placeholder)
        for f in form.fields
    ]
    assert fields == [
        (
            "api_key",
            "API key",
            PASSWORD,
            True,
            "Your Customer Thermometer API key (Account settings > API).",
            None,
        ),
        (
            "from_date",
            "Sync responses from",
            PLAIN,
            False,
            "Where the first sync starts, as YYYY-MM-DD. Later syncs continue from their saved "
            "state. From 1970-01-01 on; default: 1970-01-01 (everything).",
            "2024-01-01",
        ),
        (
            "lookback_days",
            "Lookback days",
            PLAIN,
            False,
            "How many days before the last sync each sync reads again, for responses that reach "
            "the API late. A whole number from 0 to 365. Default: 2.",
            "2",
        ),
        (
            "reconcile_days",
            "Reconcile days",
            PLAIN,
            False,
            "How many days before the last sync each sync reads again to update edited responses "
            "and mark deleted ones deleted. A whole number from 0 (off) to 365. Default: 30.",
            "30",
        ),
        (
            "base_url",
            "API URL",
            PLAIN,
            False,
            "Where to send requests, for a proxy or a stand-in of the API. An http(s) URL with a "
            "host. Default: https://app.customerthermometer.com/api.php.",
            "https://app.customerthermometer.com/api.php",
        ),
    ]
    assert [(t.name, t.label) for t in form.tests] == [("check_api_key", "Check the API key")]


class TestFailuresSay:
    def test_the_setup_test_says_what_went_wrong(self, captured, api):
        api.script("getSendQuota", (200, "Service paused"))
        assert connector.check_api_key(configuration()).failure == (
            "Customer Thermometer answered something other than the send quota: 'Service paused'"
        )
        api.fake.api_key = "another-key-entirely"
        assert connector.check_api_key(configuration()).failure == (
            "Customer Thermometer rejected the API key: check that it is a current API key."
        )
        assert connector.check_api_key(configuration(from_date="1-1-1")).failure == (
            "Configuration 'from_date' is '1-1-1': expected a real date as YYYY-MM-DD, such as "
            "2024-01-31."
        )


class TestMoreFailuresSay:
    def test_the_setup_test_names_the_host_it_could_not_reach(self, captured, api):
        api.script(
            "getSendQuota", *[requests.exceptions.ConnectionError(f"refused {API_KEY}")] * 4
        )
        assert connector.check_api_key(configuration()).failure == (
            "Could not reach Customer Thermometer at ct.example.test: getSendQuota failed after "
            "4 attempts: ConnectionError: refused ***"
        )

    def test_an_unexpected_error_is_named_with_the_key_masked(self, captured, api, monkeypatch):
        def broken(context, table, fields):
            raise KeyError(f"no column for {API_KEY}")

        monkeypatch.setattr(answers, "build_row", broken)
        with pytest.raises(RuntimeError):
            run()
        assert captured.messages("error")[0] == (
            "blast_result: failed on an unexpected KeyError ('no column for ***'), and is read "
            "again next sync from what it proved"
        )


@UNDER_EVERY_PARSER
class TestMetricBodies:
    def test_send_quota_has_no_date_range(self, captured, api):
        run(from_date="2025-01-01")
        (quota,) = [row for row in captured.rows("metric") if row["metric_name"] == "send_quota"]
        assert quota["metric_value"] == 4250.0 and "from_date" not in quota
        (nps,) = [row for row in captured.rows("metric") if row["metric_name"] == "nps"]
        assert nps["from_date"] == "2025-01-01"
        assert "fromDate" not in api.sent("getSendQuota")[0]


class TestMetricRows:
    def test_metrics_count_every_response_and_are_computed_over_that_count(self, captured, api):
        run()
        (counted,) = api.sent("getNumResponsesValue")[-1:]
        assert "limit" not in counted and counted["fromDate"] == "1970-01-01"
        for method in ["getResponseRateValue", "getTempRatingValue", "getNPSValue"]:
            assert [q["limit"] for q in api.sent(method)] == ["60"], method
        rows = {row["metric_name"]: row for row in captured.rows("metric")}
        assert rows["num_responses"]["metric_value"] == 60
        assert {rows[name]["responses_counted"] for name in ("nps", "happiness")} == {60}
        assert "responses_counted" not in rows["send_quota"]

    def test_metrics_without_a_count_say_so(self, captured, api):
        api.script("getNumResponsesValue", *[(200, "n/a")] * 20)
        run(state=SCRIPTED_STATE)
        assert [q["limit"] for q in api.sent("getNPSValue")] == ["10000"]
        rows = {row["metric_name"]: row for row in captured.rows("metric")}
        assert "num_responses" not in rows and rows["nps"]["responses_counted"] is None


NOT_FOUND = (404, "No such method")


class TestValidateConfigurationEntry:
    def test_each_setting_is_read_from_its_own_key(self):
        settings = connector.validate_configuration(
            configuration(
                from_date="2025-02-03",
                lookback_days="5",
                reconcile_days="7",
                base_url="http://h.test/a",
            )
        )
        assert settings == {
            "api_key": API_KEY,
            "from_date": date(2025, 2, 3),
            "lookback_days": 5,
            "reconcile_days": 7,
            "base_url": "http://h.test/a",
        }

    def test_a_bad_base_url_holding_the_key_never_shows_it(self):
        with pytest.raises(ValueError) as raised:
            connector.validate_configuration(configuration(base_url=f"ftp://{API_KEY}/api.php"))
        assert "base_url" in str(raised.value) and API_KEY not in str(raised.value)


class TestTablesFail:
    def test_a_failed_table_is_named_with_its_error_and_the_others_are_saved(self, captured, api):
        api.script("getThermometers", (404, f"No such method for {API_KEY}"))
        with pytest.raises(RuntimeError) as raised:
            run(state=SCRIPTED_STATE)
        assert str(raised.value) == (
            "Customer Thermometer sync failed for thermometer (see the errors above); the other "
            "tables were saved and the failed ones will be read again next sync."
        )
        (error,) = captured.messages("error")
        assert error.startswith(
            "thermometer: failed, and is read again next sync: getThermometers answered HTTP "
            "404: 'No such method for ***'"
        )
        assert len(captured.rows("metric")) == 6

    def test_a_failed_metric_is_named(self, captured, api):
        api.script("getNumResponsesValue", NOT_FOUND)
        with pytest.raises(RuntimeError, match="sync failed for metric \\(see"):
            run(state=SCRIPTED_STATE)

    def test_when_every_table_failed_none_is_said_to_be_saved(self, captured, api):
        for method in ("getBlastResults", "getComments", "getRecipientLists", "getThermometers"):
            api.script(method, *[NOT_FOUND] * 30)
        api.script("getNumResponsesValue", NOT_FOUND)
        with pytest.raises(RuntimeError) as raised:
            run(state=SCRIPTED_STATE)
        assert str(raised.value) == (
            "Customer Thermometer sync failed for blast_result, comment, recipient_list, "
            "thermometer, metric (see the errors above); the failed ones will be read again "
            "next sync."
        )

    def test_a_host_gone_after_a_failed_table_names_both(self, captured, api):
        api.script("getThermometers", NOT_FOUND)
        api.script("getNumResponsesValue", *[refused() for _ in range(4)])
        with pytest.raises(RuntimeError) as raised:
            run(state=SCRIPTED_STATE)
        assert str(raised.value) == (
            "Customer Thermometer could not be reached at ct.example.test (refused), so the sync "
            "stopped. Not read, or not whole (only what they proved is saved): metric; failed "
            "before: thermometer"
        ).replace(
            "(refused)",
            f"(refused, on all 4 attempts of getNumResponsesValue 1970-01-01..{UPPER})",
        ) + (". Check base_url and this machine's network (or proxy), then sync again.")

    def test_an_error_no_one_foresaw_is_raised_with_the_key_masked(self, captured, monkeypatch):
        def broken(configuration, state):
            raise KeyError(f"lost {API_KEY}")

        monkeypatch.setattr(connector, "sync_every_table", broken)
        with pytest.raises(RuntimeError) as raised:
            run()
        assert str(raised.value) == "KeyError: 'lost ***'"


class TestMetricRowsSay:
    def test_each_metric_row_says_when_and_over_which_days(self, captured, api):
        run(from_date="2025-01-01")
        rows = {row["metric_name"]: row for row in captured.rows("metric")}
        assert rows["nps"]["recorded_at"] == "2026-11-26T15:30:00Z"
        assert (rows["nps"]["from_date"], rows["nps"]["to_date"]) == ("2025-01-01", UPPER)
        assert rows["send_quota"]["recorded_at"] == "2026-11-26T15:30:00Z"
        (summary,) = [m for m in captured.messages("info") if m.startswith("metric: ")]
        assert summary.startswith(f"metric: 2025-01-01..{UPPER}, 6 requests, 6 rows")

    def test_a_count_of_no_response_is_a_count(self, captured, api):
        api.script("getNumResponsesValue", (200, "0"))
        run(state=SCRIPTED_STATE)
        rows = {row["metric_name"]: row for row in captured.rows("metric")}
        assert rows["nps"]["responses_counted"] == 0
        assert [q["limit"] for q in api.sent("getNPSValue")] == ["1"]

    def test_a_metric_that_is_not_a_number_is_said_masked_and_gets_no_row(self, captured, api):
        api.script("getNPSValue", (200, f"n/a for {API_KEY}"))
        run(state=SCRIPTED_STATE)
        assert "nps" not in {row["metric_name"] for row in captured.rows("metric")}
        assert (
            "metric: getNPSValue answered 'n/a for ***', which is not a finite number; no row "
            "for nps"
        ) in captured.messages("warning")


class TestTablesReadTheirOwnState:
    def test_each_dated_table_starts_from_its_own_cursor_and_history(self, captured, api):
        state = {
            "comment_cursor": "2026-11-20",
            "blast_result_cursor": "2026-11-10",
            "comment_history": [["2026-10-01", "2026-10-02"]],
        }
        run(state=state, lookback_days="0")
        assert api.sent("getComments")[0]["fromDate"] == "2026-11-20"
        assert api.sent("getBlastResults")[0]["fromDate"] == "2026-11-10"
        assert any(q["fromDate"] == "2026-10-01" for q in api.sent("getComments"))
        assert not any(q["fromDate"] == "2026-10-01" for q in api.sent("getBlastResults"))


class TestSetupTest:
    @pytest.mark.parametrize("answer", [(200, f"n/a {API_KEY}"), (404, f"gone {API_KEY}")])
    def test_the_setup_test_never_says_the_key(self, captured, api, answer):
        api.script("getSendQuota", answer)
        result = connector.check_api_key(configuration())
        assert not result.success
        assert "***" in result.failure and API_KEY not in result.failure


def random_sync(rng):
    """Return (configuration overrides, saved state, stand-in options, ending) for one random
    sync: a from_date anywhere from year 1 to today, a saved state that validation accepts or
    none, and one way for the sync to end."""
    ordinal = rng.choice(
        [
            rng.randint(date(1, 1, 1).toordinal(), EARLIEST_DATE.toordinal()),
            rng.randint(EARLIEST_DATE.toordinal(), TODAY.toordinal()),
            TODAY.toordinal() - rng.randint(0, 120),
        ]
    )
    from_date = date.fromordinal(ordinal)
    overrides = {"from_date": from_date.isoformat(), "lookback_days": str(rng.randint(0, 40))}
    state = {}
    if rng.random() < 0.5:
        cursor = TODAY - timedelta(days=rng.randint(-1, 60))
        state["blast_result_cursor"] = state["comment_cursor"] = cursor.isoformat()
        if rng.random() < 0.5:
            last = cursor - timedelta(days=rng.randint(1, 20))
            first_day = max(EARLIEST_DATE, last - timedelta(days=rng.randint(0, 400)))
            state["blast_result_history"] = [[first_day.isoformat(), last.isoformat()]]
    options = {"days": rng.randint(1, 90), "cap": rng.choice([None, 7, 25])}
    ending = rng.choice(["success", "failed table", "budget", "unreachable", "exception"])
    return overrides, state, options, ending


@pytest.mark.parametrize("seed", range(100))
def test_every_state_a_sync_saves_the_next_sync_accepts(captured, api, monkeypatch, seed):
    rng = random.Random(seed)
    overrides, state, options, ending = random_sync(rng)
    try:
        connector.validate_configuration(configuration(**overrides))
    except ValueError as refused_value:
        assert "Configuration 'from_date'" in str(refused_value)
        assert date.fromisoformat(overrides["from_date"]) < EARLIEST_DATE
        return
    validate_state(state, TODAY)  # a state the last sync could have saved
    api.fake = small_account(**options)
    if ending == "failed table":
        api.script("getBlastResults", *[(500, "oops")] * rng.randint(4, 12))
    elif ending == "budget":
        monkeypatch.setitem(SYNC_LIMITS, "max_windows_per_table", rng.randint(1, 4))
    elif ending == "unreachable":
        for method in ("getComments", "getBlastResults"):
            api.script(method, *[requests.ConnectionError("refused")] * 4)
    elif ending == "exception":
        upserts = rng.randint(0, 40)
        monkeypatch.setattr(connector.op, "upsert", functools.partial(fail_after, [upserts]))
    try:
        run(state=state, **overrides)
    except RuntimeError:
        assert ending != "success"
    assert captured.checkpoints or ending != "success"
    for saved in captured.checkpoints:
        validate_state(saved, TODAY)  # the next sync accepts it (it raises where it would not)


def fail_after(left, table, data):
    """An op.upsert that raises once left[0] rows were upserted."""
    if left[0] == 0:
        raise RuntimeError("the destination went away")
    left[0] -= 1


class TestWhatASyncStartsFrom:
    def test_a_large_unknown_key_is_saved_at_no_checkpoint_and_named_once(
        self, captured, api, monkeypatch
    ):
        monkeypatch.setitem(SYNC_LIMITS, "checkpoint_every_rows", 10)
        start = {"comment_cursor": "2026-11-20", "left_by_a_tool": "x" * 10**7, "note": "kept"}
        run(state=start)
        assert len(captured.checkpoints) > 2
        for saved in captured.checkpoints:
            assert "left_by_a_tool" not in saved and saved["note"] == "kept"
        (warning,) = [line for line in captured.messages("warning") if "State keys" in line]
        assert warning == (
            "State keys the connector does not know are saved again up to 1,024 bytes in all; "
            "1 more are not: 'left_by_a_tool'"
        )

    def test_the_windows_each_table_left_unproven_are_read_again(self, captured, api):
        state = {f"{table}_cursor": "2026-11-20" for table in ("comment", "blast_result")}
        state["comment_unproven"] = [["2026-10-01", "2026-10-03", 1]]
        state["blast_result_unproven"] = [["2026-09-01", "2026-09-02", 2]]
        run(state=state)
        for method, first in (("getComments", "2026-10-01"), ("getBlastResults", "2026-09-01")):
            assert first in {sent["fromDate"] for sent in api.sent(method)}, method


class TestWaits:
    def test_a_longer_wait_for_every_table_ends_the_sync_with_one_error_naming_it(
        self, captured, api
    ):
        methods = ["getBlastResults", "getComments", "getRecipientLists", "getThermometers"]
        for method in methods + ["getNumResponsesValue"]:
            api.script(
                method, (429, "", {"Retry-After": "3600" if method != "getComments" else "90"})
            )
        with pytest.raises(RuntimeError) as raised:
            run()
        assert str(raised.value) == (
            "Customer Thermometer asked every table to wait before asking again (Retry-After), "
            "up to 3,600 s, longer than a sync waits, so the sync stopped without waiting; "
            "nothing was lost, and every table is read again next sync (schedule it after the "
            "wait)."
        )
        assert captured.sleeps == [] and len(api.queries) == 5
        assert captured.checkpoints  # what was saved stands

    def test_a_longer_wait_for_some_tables_only_is_the_usual_failure(self, captured, api):
        for method in ["getBlastResults", "getComments", "getRecipientLists", "getThermometers"]:
            api.script(method, (429, "", {"Retry-After": "3600"}))
        with pytest.raises(RuntimeError, match="failed for blast_result, comment, recipient_"):
            run()
        assert captured.rows("metric")
