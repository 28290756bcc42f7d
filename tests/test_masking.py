"""Unit tests of customer_thermometer/masking.py: the API key masked in every form in which an
answer, an error or a log line may hold it."""

import html
import logging
import sys
import traceback
from urllib.parse import quote_plus, unquote_plus

import pytest
import requests

import connector
from customer_thermometer.errors import AuthenticationError
from customer_thermometer.masking import (
    KeyMaskingFilter,
    cited,
    is_placeholder,
    mask_secrets,
    masked_error,
    masked_snippet,
    secret_of,
)
from tests.conftest import API_KEY, TODAY, configuration
from tests.support import (
    MIXED_KEY,
    assert_no_piece_in_any_case,
    assert_no_piece_of,
    blast_xml,
    everything_said,
    run,
    run_scripted,
)


class TestSecrecy:
    def test_mask_secrets_masks_plain_encoded_and_url_forms(self):
        key = "a+b/c=d-0123456789"
        encoded = "a%2Bb%2Fc%3Dd-0123456789"
        text = f"GET https://x/api.php?getMethod=m&apiKey={encoded} {key} {encoded}"
        masked = mask_secrets(text, key)
        assert "0123456789" not in masked and "***" in masked

    def test_the_api_key_never_reaches_a_log_line_or_exception(self, captured, api):
        url = f"{connector.validate_configuration(configuration())['base_url']}?apiKey={API_KEY}"
        api.script("getComments", *[requests.exceptions.ConnectionError(f"failed: {url}")] * 4)
        api.script("getBlastResults", (200, f"Error for {API_KEY}: method unavailable"))
        api.script("getThermometers", requests.exceptions.ReadTimeout(f"timed out: {url}"))
        api.script("getRecipientLists", (404, f"<html>not found {url}</html>"))
        api.script("getNPSValue", (200, f"nothing for key {API_KEY}"[:0] + f"bad {url}"))
        with pytest.raises(Exception) as raised:
            run()
        texts = [message for _, message in captured.logs] + [str(raised.value)]
        assert any("comment" in t for t in texts)
        assert len(captured.messages("error")) >= 3
        for text in texts:
            assert API_KEY not in text
        exception = raised.value
        while exception is not None:
            assert API_KEY not in str(exception)
            exception = exception.__cause__ or exception.__context__


class TestKeyLeaks:
    @pytest.mark.parametrize("position", [0, 150, 188, 190, 195, 199, 400])
    def test_a_key_echoed_near_the_cut_leaves_no_piece(self, captured, api, position):
        body = "E" * position + f"Invalid API key {API_KEY} for this account" + "." * 500
        api.script("getComments", (200, body))
        api.script("getRecipientLists", (404, body))
        api.script("getNPSValue", (200, body))
        with pytest.raises(AuthenticationError) as raised:
            run()
        assert_no_piece_of(API_KEY, everything_said(captured, raised.value))

    @pytest.mark.parametrize("position", [150, 190, 199])
    def test_an_echoed_key_leaves_no_piece_in_errors_warnings_or_the_setup_test(
        self, captured, api, position
    ):
        body = "E" * position + API_KEY + "." * 500
        api.script("getComments", (200, body))
        api.script("getRecipientLists", (404, body))
        api.script("getNPSValue", (200, body))
        with pytest.raises(RuntimeError) as raised:
            run()
        texts = everything_said(captured, raised.value)
        assert any("getComments" in text for text in texts)
        assert any("getNPSValue" in text for text in captured.messages("warning"))
        api.script("getSendQuota", (200, body))
        texts.append(connector.check_api_key(configuration()).failure)
        assert_no_piece_of(API_KEY, texts)

    def test_a_key_holding_an_ampersand_is_masked_in_every_form(self, captured, api):
        key = "ab&SECRETPART123"
        api.fake.api_key = key
        url_echo = f"https://x/api.php?getMethod=getComments&apiKey={key}&limit=1"
        api.script("getComments", (200, f"Bad request {url_echo} from ab&amp;SECRETPART123"))
        with pytest.raises(RuntimeError, match="failed for comment") as raised:
            run(api_key=key)
        texts = everything_said(captured, raised.value)
        api.script(
            "getBlastResults", (200, "<error>ab%26SECRETPART123 ab&amp;SECRETPART123</error>")
        )
        with pytest.raises(RuntimeError) as raised:
            run(state={"comment_cursor": TODAY.isoformat()}, api_key=key)
        texts += everything_said(captured, raised.value)
        assert any("getBlastResults" in text for text in captured.messages("error"))
        assert_no_piece_of(key, texts)

    def test_the_credentials_of_a_proxy_url_are_masked(self, captured):
        masked = mask_secrets(
            "GET http://user:pa55word@proxy.example.test:3128/api.php failed", API_KEY
        )
        assert "pa55word" not in masked and "user" not in masked
        assert "proxy.example.test:3128/api.php" in masked
        with pytest.raises(ValueError) as raised:
            connector.validate_configuration(
                configuration(base_url="http://user:pa55word@bad..host/api.php")
            )
        assert "pa55word" not in str(raised.value) and "'base_url'" in str(raised.value)

    def test_a_refused_connection_to_a_proxy_with_credentials_masks_them(self, captured, api):
        import requests

        proxy_url = "http://user:pa55word@ct.example.test/api.php?apiKey=" + API_KEY
        api.script(
            "getThermometers", *[requests.exceptions.ConnectionError(f"refused {proxy_url}")] * 4
        )
        with pytest.raises(RuntimeError):
            run_scripted(api)
        texts = captured.messages()
        assert any("getThermometers" in text for text in texts)
        assert not [text for text in texts if "pa55word" in text]
        assert_no_piece_of(API_KEY, texts)


class TestNoPathForTheKey:
    @pytest.mark.parametrize(
        "echo",
        [
            MIXED_KEY.upper(),
            MIXED_KEY.lower(),
            "Key%2badv%2fsecret-9876ABC",  # URL-encoded, lower-case hex, case changed
            "Key%252BAdv%252FSecret",  # encoded twice, cut short
            "&#75;&#101;&#121;&#43;&#65;&#100;&#118;&#47;&#83;&#101;&#99;&#114;&#101;&#116;",
            "Key&#x2B;Adv&#x2F;Secret-9876abc",
            MIXED_KEY[3:12],
        ],
    )
    def test_an_echo_in_any_case_or_encoding_is_masked(self, echo):
        masked = mask_secrets(f"answer: Invalid API Key {echo}.", MIXED_KEY)
        assert masked.startswith("answer: Invalid API Key ") and "***" in masked
        assert_no_piece_in_any_case(MIXED_KEY, [masked])
        decoded = html.unescape(unquote_plus(unquote_plus(masked)))
        assert_no_piece_in_any_case(MIXED_KEY, [decoded])

    @pytest.mark.parametrize("times", [1, 2, 3, 4, 6, 9])
    def test_a_key_of_short_runs_encoded_again_and_again_is_masked(self, times):
        key = "K+a/b+c/d+e/f+g/h+i/j"  # no piece of six characters without a sign in it
        echo = key
        for _ in range(times):
            echo = quote_plus(echo)
        masked = mask_secrets(f"answer: {echo}", key)
        decoded = masked
        for _ in range(times):
            decoded = unquote_plus(decoded)
        assert_no_piece_in_any_case(key, [masked, decoded])

    @pytest.mark.parametrize("times", [2, 4])
    def test_a_key_of_which_every_character_is_encoded_is_masked(self, times):
        echo = MIXED_KEY
        for _ in range(times):
            echo = (
                "".join(f"%{ord(c):02X}" for c in echo)
                if echo == MIXED_KEY
                else (echo.replace("%", "%25"))
            )
        masked = mask_secrets(f"Invalid API Key: {echo}", MIXED_KEY)
        decoded = masked
        for _ in range(times):
            decoded = unquote_plus(decoded)
        assert_no_piece_in_any_case(MIXED_KEY, [masked, decoded])

    def test_text_without_the_key_is_left_as_it_was(self):
        text = "2026-01-01T00:00:00+01:00 a%20b &amp; Keyboard"
        assert mask_secrets(text, MIXED_KEY) == text

    def test_a_rejected_key_echoed_upper_cased_leaves_no_frame_below_update(self, captured, api):
        api.fake.api_key = "another-key-entirely"
        api.script("getBlastResults", (200, f"Invalid API Key {API_KEY.upper()}"))
        with pytest.raises(AuthenticationError) as raised:
            run()
        error = raised.value
        assert error.__cause__ is None and error.__context__ is None
        frames = [frame.f_code.co_name for frame, _ in traceback.walk_tb(error.__traceback__)]
        # (mutmut renames the functions it mutates: names are matched in part)
        assert "update" in frames[-1]
        assert not any(below in name for name in frames for below in ("sync_every", "fetch_"))
        assert_no_piece_in_any_case(API_KEY, everything_said(captured, error))

    def test_an_error_nobody_foresaw_leaves_update_masked_and_alone(self, monkeypatch):
        def broken(context, state):
            raise KeyError(f"no {API_KEY.swapcase()} here")

        monkeypatch.setattr(connector, "sync_blast_results", broken)
        monkeypatch.setattr(connector, "sync_one_table", lambda context, table, sync: sync())
        with pytest.raises(RuntimeError) as raised:
            connector.update(configuration(), {})
        assert str(raised.value).startswith("KeyError: ")
        assert raised.value.__context__ is None
        assert_no_piece_in_any_case(API_KEY, [str(raised.value)])

    def test_a_value_echoing_the_key_is_masked_in_the_bad_value_warning(self, captured, api):
        bad_value = {
            "response_id": "7",
            "blast_id": "1",
            "thermometer_id": "2",
            "temperature_id": API_KEY,
            "date_submitted": "2026-11-20 10:00:00",
        }
        unkeyed = {"response_id": API_KEY.upper(), "date_submitted": "2026-11-20 11:00:00"}
        api.script("getBlastResults", (200, blast_xml(bad_value, unkeyed)))
        run_scripted(api)
        warnings = captured.messages("warning")
        assert any("'temperature_id' of response_id" in m for m in warnings)
        assert any("skipped a record without a primary-key value" in m for m in warnings)
        assert_no_piece_in_any_case(API_KEY, captured.messages())

    def test_a_tag_named_like_the_key_is_masked_in_the_shape_report(self, captured, api):
        tag = "k" + API_KEY.replace("-", "_")
        record = blast_xml(
            {"id": "1", "name": "A", tag: "x"}, root="thermometers", tag="thermometer"
        )
        api.script("getThermometers", (200, record))
        run_scripted(api)
        assert any("thermometer: shape:" in m for m in captured.messages("info"))
        assert_no_piece_in_any_case(API_KEY, captured.messages())


class TestMasking:
    def test_every_form_of_a_key_with_quotes_slashes_and_ampersands_is_masked(self):
        key = "ab\"cd'ef/gh&ij0"
        forms = [
            key,
            "ab&quot;cd&apos;ef/gh&amp;ij0",  # XML-escaped
            "ab%22cd%27ef%2Fgh%26ij0",  # quote_plus
            "ab%22cd%27ef/gh%26ij0",  # quote, which keeps "/"
        ]
        masked = mask_secrets(" | ".join(forms), key)
        assert masked == " | ".join(["***"] * 4)

    def test_apikey_values_and_url_credentials_are_replaced_exactly(self):
        text = "GET https://u:p@h.example/api.php?getMethod=x&apiKey=other-key&limit=1"
        assert mask_secrets(text, None) == (
            "GET https://***@h.example/api.php?getMethod=x&apiKey=***&limit=1"
        )

    def test_six_characters_of_the_key_are_masked_and_five_are_not(self):
        key = "abcdefghijkl"
        assert mask_secrets("..ghijkl..", key) == "..***.."
        assert mask_secrets("..abcdef..", key) == "..***.."
        assert mask_secrets("..hijkl..abcde..", key) == "..hijkl..abcde.."


def record_of(message, *args, exc_info=None):
    """Return a log record as a library's logger makes one."""
    return logging.LogRecord("urllib3", logging.WARNING, __file__, 1, message, args, exc_info)


class TestKeyMaskingFilter:
    def test_a_records_message_and_arguments_are_masked_and_kept(self):
        record = record_of("GET %s failed: %s", f"/api.php?apiKey={API_KEY}", API_KEY.upper())
        assert KeyMaskingFilter(API_KEY).filter(record) is True
        assert record.getMessage() == "GET /api.php?apiKey=*** failed: ***"
        assert record.args is None

    def test_a_records_traceback_is_masked_as_text(self):
        try:
            raise ValueError(f"bad header in {API_KEY}")
        except ValueError:
            record = record_of("oops", exc_info=sys.exc_info())
        KeyMaskingFilter(API_KEY).filter(record)
        assert record.exc_info is None
        assert "ValueError: bad header in ***" in record.exc_text
        assert "Traceback" in record.exc_text and API_KEY not in record.exc_text

    def test_a_records_formatted_traceback_is_masked_too(self):
        record = record_of("oops")
        record.exc_text = f"Traceback: {API_KEY}"
        KeyMaskingFilter(API_KEY).filter(record)
        assert record.exc_text == "Traceback: ***"


class TestShownValues:
    def test_a_value_is_quoted_whole_up_to_40_characters(self):
        assert cited("x" * 40) == repr("x" * 40)
        assert cited("x" * 41) == repr("x" * 40 + "...")
        assert cited(12) == "'12'"

    def test_a_snippet_is_masked_before_it_is_cut_to_200_characters(self):
        text = "a" * 195 + API_KEY + "b" * 100
        assert masked_snippet(text, API_KEY) == "a" * 195 + "***bb"

    @pytest.mark.parametrize("value", ["<YOUR_API_KEY>", " <your_api_key> ", "<YOUR_KEY"])
    def test_the_templates_placeholder_is_no_key(self, value):
        assert is_placeholder(value)
        assert secret_of({"api_key": value}) is None

    @pytest.mark.parametrize("configuration", [{}, {"api_key": None}, {"api_key": 12345678901}])
    def test_a_missing_or_odd_key_is_none(self, configuration):
        assert secret_of(configuration) is None

    def test_a_key_is_the_key(self):
        assert not is_placeholder("YOUR_API_KEY") and not is_placeholder("abc<YOUR_")
        assert secret_of({"api_key": API_KEY}) == API_KEY


class TestMaskedErrors:
    @pytest.mark.parametrize("kind", [ValueError, AuthenticationError, RuntimeError])
    def test_an_error_the_user_knows_keeps_its_kind(self, kind):
        error = masked_error(kind(f"key {API_KEY}"), API_KEY)
        assert type(error) is kind and str(error) == "key ***"

    def test_any_other_error_becomes_a_failed_sync_naming_its_kind(self):
        error = masked_error(KeyError(f"key {API_KEY}"), API_KEY)
        assert type(error) is RuntimeError and str(error) == "KeyError: 'key ***'"


class TestFilterKeepsTheTraceback:
    def test_a_traceback_is_kept_line_by_line(self):
        try:
            raise ValueError(f"bad header in {API_KEY}")
        except ValueError:
            record = record_of("oops", exc_info=sys.exc_info())
        KeyMaskingFilter(API_KEY).filter(record)
        assert record.exc_text.startswith("Traceback (most recent call last):\n  File ")
        assert record.exc_text.endswith("ValueError: bad header in ***\n")
