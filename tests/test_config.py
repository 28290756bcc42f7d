"""Unit tests of customer_thermometer/config.py: each configuration value accepted at its edges,
and each bad one named with what is expected."""

import pytest

import connector
from customer_thermometer.config import is_http_url
from customer_thermometer.context import SyncContext
from tests.conftest import API_KEY, TODAY, UNDER_EVERY_PARSER, configuration, day
from tests.support import run


class TestValidateConfiguration:
    @pytest.mark.parametrize(
        "overrides, named, expected",
        [
            ({"api_key": None}, "api_key", "missing or empty"),
            ({"api_key": ""}, "api_key", "missing or empty"),
            ({"api_key": "   "}, "api_key", "missing or empty"),
            ({"api_key": "<YOUR_CUSTOMER_THERMOMETER_API_KEY>"}, "api_key", "placeholder"),
            ({"api_key": "short-key"}, "api_key", "at least 10 characters"),
            ({"api_key": "has a space-0123456789"}, "api_key", "white space"),
            ({"api_key": "tab\tseparated-0123456789"}, "api_key", "white space"),
            ({"from_date": "2024-02-30"}, "from_date", "YYYY-MM-DD"),
            ({"from_date": "01/02/2024"}, "from_date", "YYYY-MM-DD"),
            ({"from_date": "20240101"}, "from_date", "YYYY-MM-DD"),
            ({"from_date": "2026-11-27"}, "from_date", "future"),
            ({"from_date": "1900-01-01"}, "from_date", "expected a date from 1970-01-01 on"),
            ({"from_date": "0001-01-01"}, "from_date", "expected a date from 1970-01-01 on"),
            ({"from_date": "1969-12-31"}, "from_date", "leave it empty to read every response"),
            ({"lookback_days": "-1"}, "lookback_days", "0 to 365"),
            ({"lookback_days": "366"}, "lookback_days", "0 to 365"),
            ({"lookback_days": "2.5"}, "lookback_days", "0 to 365"),
            ({"lookback_days": "two"}, "lookback_days", "0 to 365"),
            ({"reconcile_days": "366"}, "reconcile_days", "0 to 365"),
            ({"reconcile_days": "-1"}, "reconcile_days", "0 to 365"),
            ({"reconcile_days": "30.0"}, "reconcile_days", "0 to 365"),
            ({"reconcile_days": "3 0"}, "reconcile_days", "0 to 365"),
            ({"base_url": "ftp://ct.example.test/api.php"}, "base_url", "http(s) URL"),
            ({"base_url": "app.customerthermometer.com"}, "base_url", "http(s) URL"),
            ({"base_url": "https:///api.php"}, "base_url", "http(s) URL"),
            ({"base_url": "https://ct.example.test/a\\b.php"}, "base_url", "without a backslash"),
            ({"base_url": "https://me@ct.example.test/"}, "base_url", "without user information"),
            ({"base_url": "https://me:pw@ct.example.test/"}, "base_url", "user information"),
            (
                {"base_url": "https://ct.example.test%2f@evil.test/"},
                "base_url",
                "user information",
            ),
        ],
    )
    def test_bad_value_raises_naming_the_key(self, captured, overrides, named, expected):
        with pytest.raises(ValueError) as raised:
            connector.validate_configuration(configuration(**overrides))
        assert f"'{named}'" in str(raised.value)
        assert expected in str(raised.value)

    def test_no_message_repeats_the_key(self, captured):
        for bad in ({"from_date": "nope"}, {"lookback_days": "x"}, {"base_url": "nope"}):
            with pytest.raises(ValueError) as raised:
                connector.validate_configuration(configuration(**bad))
            assert API_KEY not in str(raised.value)
        with pytest.raises(ValueError) as raised:
            connector.validate_configuration(configuration(api_key="short key"))
        assert "short key" not in str(raised.value)

    def test_defaults(self, captured):
        settings = connector.validate_configuration({"api_key": API_KEY})
        assert settings["from_date"] == day("1970-01-01")
        assert settings["lookback_days"] == 2
        assert settings["reconcile_days"] == 30
        assert settings["base_url"] == "https://app.customerthermometer.com/api.php"

    def test_bad_configuration_fails_before_any_request(self, captured, api):
        with pytest.raises(ValueError):
            run(lookback_days="400")
        assert api.queries == []
        assert captured.checkpoints == []


@UNDER_EVERY_PARSER
class TestTablesFailCleanly:
    @pytest.mark.parametrize(
        "overrides, named",
        [
            ({"base_url": "http://a..b/api.php"}, "base_url"),
            ({"base_url": "http://[::1/"}, "base_url"),
            ({"base_url": "http://127.0.0.1:99999/api.php"}, "base_url"),
            ({"base_url": "http://-bad-.example/api.php"}, "base_url"),
            ({"lookback_days": "9" * 5000}, "lookback_days"),
            ({"from_date": "2" * 5000}, "from_date"),
        ],
    )
    def test_a_malformed_value_is_a_configuration_error_naming_the_key(
        self, captured, overrides, named
    ):
        with pytest.raises(ValueError) as raised:
            connector.validate_configuration(configuration(**overrides))
        assert f"Configuration '{named}'" in str(raised.value)
        assert len(str(raised.value)) < 300

    @pytest.mark.parametrize("url", ["http://[::1]:8765/api.php", "https://10.0.0.1/api.php"])
    def test_ip_addresses_are_hosts(self, captured, url):
        assert connector.validate_configuration(configuration(base_url=url))["base_url"] == url


class TestConfigurationSays:
    @pytest.mark.parametrize(
        "api_key, said",
        [
            (None, "is missing or empty: expected your Customer Thermometer API key."),
            (
                "<YOUR_KEY>",
                "still holds the placeholder from configuration.json, the template: run `make "
                "configure` (it asks for your Customer Thermometer API key and saves "
                "configuration.local.json), then `make debug`.",
            ),
            (
                "has space-0123456789",
                "contains white space: expected the key as one unbroken token.",
            ),
            ("123456789", "is too short: expected a key of at least 10 characters."),
        ],
    )
    def test_each_wrong_key_is_named_exactly(self, captured, api_key, said):
        with pytest.raises(ValueError) as raised:
            connector.validate_configuration(configuration(api_key=api_key))
        assert str(raised.value) == f"Configuration 'api_key' {said}"

    def test_a_key_of_ten_characters_is_long_enough(self, captured):
        assert connector.validate_configuration(configuration(api_key="0123456789"))

    def test_a_bad_base_url_is_shown_masked(self, captured):
        with pytest.raises(ValueError) as raised:
            connector.validate_configuration(
                configuration(base_url=f"ftp://h.example/?k={API_KEY[:12]}")
            )
        assert str(raised.value).startswith("Configuration 'base_url' is 'ftp://h.example/?k=***")

    @pytest.mark.parametrize("length, valid", [(253, True), (254, False)])
    def test_a_host_name_has_at_most_253_characters(self, length, valid):
        host = ".".join(["a" * 49] * 5)[:length].rstrip(".") + "b" * (length - 249)
        host = host[:length]
        assert len(host) == length
        assert is_http_url(f"https://{host}/api.php") is valid


class TestTheKeyGoesOnlyToTheHostChecked:
    @pytest.mark.parametrize(
        "url, named, sent",
        [
            ("http://127.0.0.2:8080\\@127.0.0.1:9090/api.php", "127.0.0.1:9090", "127.0.0.2:8080"),
            ("http://127.0.0.1:8080\\@127.0.0.1:9090/api.php", "127.0.0.1:9090", "127.0.0.1:8080"),
            ("https://evil.test\\@ct.example.test/api.php", "ct.example.test", "evil.test"),
        ],
    )
    def test_a_url_read_as_two_hosts_is_refused_naming_both(self, captured, url, named, sent):
        with pytest.raises(ValueError) as raised:
            connector.validate_configuration(configuration(base_url=url))
        assert str(raised.value).endswith(
            f"expected a URL that names one host: it reads as {named} to one URL parser, but "
            f"requests, which sends the key, would send it to {sent}."
        )

    @pytest.mark.parametrize(
        "url, host",
        [
            ("https://CT.Example.test./api.php", "ct.example.test."),
            ("http://[::1]:8765/api.php", "::1"),
            ("https://10.0.0.1/api.php?from=a@b", "10.0.0.1"),
            ("https://ct.example.test/api.php#@evil.test", "ct.example.test"),
        ],
    )
    def test_messages_name_the_host_the_requests_go_to(self, captured, url, host):
        settings = connector.validate_configuration(configuration(base_url=url))
        context = SyncContext(settings, {})
        context.close()
        assert context.host == host


class TestBoundaries:
    def test_the_edges_of_each_configuration_value_are_accepted(self, captured):
        settings = connector.validate_configuration(
            configuration(lookback_days="365", from_date=TODAY.isoformat(), reconcile_days="365")
        )
        assert settings["lookback_days"] == 365 and settings["from_date"] == TODAY
        assert settings["reconcile_days"] == 365
        off = connector.validate_configuration(configuration(reconcile_days="0"))
        assert off["reconcile_days"] == 0
        assert not is_http_url("https://h.example/api.php?x=a b")

    def test_a_value_that_is_not_a_string_is_named_with_its_type(self, captured):
        with pytest.raises(ValueError) as raised:
            connector.validate_configuration(configuration(lookback_days=2))
        assert str(raised.value) == "Configuration 'lookback_days' must be a string, got int."


class TestValuesQuoted:
    @pytest.mark.parametrize("key, value", [("from_date", "2026-13-01"), ("lookback_days", "two")])
    def test_a_bad_value_is_quoted_in_its_error(self, key, value):
        with pytest.raises(ValueError) as raised:
            connector.validate_configuration(configuration(**{key: value}))
        assert str(raised.value).startswith(f"Configuration '{key}' is '{value}': expected")
