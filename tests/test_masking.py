"""Unit tests of customer_thermometer/masking.py: the API key masked in every form in which an
answer, an error or a log line may hold it."""

import base64
import html
import logging
import sys
import traceback
from urllib.parse import quote_plus, unquote_plus

import pytest
import requests

import connector
from customer_thermometer.errors import AuthenticationError
from customer_thermometer.fields import normalised_name
from customer_thermometer.masking import (
    KeyFinder,
    KeyMaskingFilter,
    base64_cores,
    cited,
    is_placeholder,
    json_unescaped,
    mask_secrets,
    masked_column,
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
    keyed_record,
    refused_in_every_form,
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
        api.script(
            "getBlastResults", *refused_in_every_form((200, f"Error for {API_KEY}: unavailable"))
        )
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
        api.script(
            "getComments",
            *refused_in_every_form((200, f"Bad request {url_echo} from ab&amp;SECRETPART123")),
        )
        with pytest.raises(RuntimeError, match="failed for comment") as raised:
            run(api_key=key)
        texts = everything_said(captured, raised.value)
        api.script(
            "getBlastResults",
            *refused_in_every_form(
                (200, "<error>ab%26SECRETPART123 ab&amp;SECRETPART123</error>")
            ),
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


class TestTheKeyInTheWarehouse:
    def test_a_field_named_after_the_key_lands_in_a_masked_column(self, captured, api):
        tag = "key_" + API_KEY
        body = blast_xml(keyed_record(**{tag: "a"}), keyed_record(response_id="8", **{tag: "b"}))
        api.script("getBlastResults", (200, body))
        run_scripted(api)
        rows = captured.rows("blast_result")
        assert [row.get("key_masked") for row in rows] == ["a", "b"]
        columns = [name for row in rows for name in row]
        assert_no_piece_in_any_case(API_KEY, columns + captured.messages())

    def test_a_value_holding_the_key_lands_masked_with_a_warning_naming_the_field(
        self, captured, api
    ):
        echoes = [f"sent by {API_KEY}", API_KEY.upper(), quote_plus(f"k={API_KEY}&x")]
        body = blast_xml(
            *(keyed_record(response_id=str(n), comment=e) for n, e in enumerate(echoes))
        )
        api.script("getBlastResults", (200, body))
        run_scripted(api)
        comments = [row["comment"] for row in captured.rows("blast_result")]
        assert comments[0] == "sent by ***" and len(comments) == 3
        assert_no_piece_in_any_case(API_KEY, comments + captured.messages())
        warnings = [m for m in captured.messages("warning") if "holds the API key" in m]
        assert warnings[0] == (
            "blast_result: field 'comment' of response_id '0' holds the API key; it lands with "
            "the key masked"
        )
        assert len(warnings) == 3

    def test_a_value_without_the_key_lands_as_it_is(self, captured, api):
        text = f"{API_KEY[:5]} and {API_KEY[-5:]}, Keyboard"
        api.script("getBlastResults", (200, blast_xml(keyed_record(comment=text))))
        run_scripted(api)
        assert captured.rows("blast_result")[0]["comment"] == text
        assert not [m for m in captured.messages("warning") if "holds the API key" in m]


class TestFinding:
    @pytest.mark.parametrize(
        "texts, found",
        [
            (["a", "b"], False),
            (["a", MIXED_KEY], True),
            ([MIXED_KEY.swapcase()], True),
            ([quote_plus(MIXED_KEY)], True),
            ([MIXED_KEY[:10], MIXED_KEY[10:]], False),  # split across two values
            ([], False),
        ],
    )
    def test_the_key_is_found_whole_in_any_case_and_its_text_forms(self, texts, found):
        assert KeyFinder(MIXED_KEY).holds(texts) is found

    def test_an_xml_escaped_key_is_found(self):
        assert KeyFinder("ab&cd<0123456").holds(["x ab&amp;CD&lt;0123456 y"])

    def test_no_key_finds_nothing(self):
        assert KeyFinder(None).holds(["anything"]) is False

    @pytest.mark.parametrize(
        "name, column",
        [
            ("comment", "comment"),
            ("key_adv_0123456789_abcdef", "key_masked"),
            ("adv_0123456789_abcdef_x", "masked_x"),
            ("a_adv_0123456789_abcdef_b", "a_masked_b"),
        ],
    )
    def test_a_column_holding_the_key_is_masked_to_a_column_name(self, name, column):
        assert masked_column(name, "adv-0123456789-abcdef") == column


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


class TestEncodedForms:
    @pytest.mark.parametrize("before", [b"", b"k", b"k:", b"key:", b'{"a":"'])
    @pytest.mark.parametrize("alphabet", [base64.b64encode, base64.urlsafe_b64encode])
    def test_the_key_in_base64_at_any_alignment_is_masked(self, before, alphabet):
        key = "K?y>Adv~Secret-9876abc"  # its base64 holds both + and / (- and _ URL-safe)
        echo = alphabet(before + key.encode() + b" and more").decode()
        masked = mask_secrets(f"refused: {echo}", key)
        assert "***" in masked
        # The characters whose 6 bits all come from the key's bytes.
        core = echo[(8 * len(before) + 5) // 6 : 8 * (len(before) + len(key)) // 6]
        assert len(core) >= 28
        assert not [core[n : n + 8] for n in range(len(core) - 7) if core[n : n + 8] in masked]

    def test_base64_cores_are_the_characters_the_key_alone_decides(self):
        assert base64_cores("abc") == {"YWJj", "FiY", "hYm"}  # after 0, 1 and 2 bytes
        # "abcd" is YWJjZA== alone (A== holds bits of what follows), AGFiY2Q= after one byte
        # (AG holds bits of it), AABhYmNk after two.
        assert base64_cores("abcd") == {"YWJjZ", "FiY2", "hYmNk"}
        assert base64_cores("a?>") == {"YT8+", "YT8-", "E/P", "E_P", "hPz"}  # both alphabets
        assert all(len(core) >= 4 for core in base64_cores("0123456789"))

    def test_json_escapes_are_read_and_the_key_masked(self):
        echo = "".join(f"\\u{ord(character):04X}" for character in MIXED_KEY)
        masked = mask_secrets(f'{{"error": "bad key {echo}"}}', MIXED_KEY)
        assert masked.startswith('{"error": "bad key ') and "***" in masked
        assert_no_piece_in_any_case(MIXED_KEY, [masked])
        plain = "".join(f"\\u{ord(character):04x}" for character in "adv-0123456789")
        assert mask_secrets(f"k={plain}.", "adv-0123456789") == "k=***."

    def test_json_escapes_are_read_one_by_one_and_a_surrogate_is_kept(self):
        assert json_unescaped("a\\u0041\\u00e9\\ud83d!") == "aA\u00e9\\ud83d!"
        assert json_unescaped("\\u004") == "\\u004"

    def test_the_key_hex_encoded_in_either_case_is_masked(self):
        echo = MIXED_KEY.encode().hex()
        for text in (echo, echo.upper()):
            masked = mask_secrets(f"key={text};", MIXED_KEY)
            assert masked == "key=***;"

    def test_a_column_name_made_from_the_key_is_masked(self):
        name = normalised_name("key_" + MIXED_KEY.replace("+", "-").replace("/", "."))
        assert mask_secrets(f"column {name}", MIXED_KEY) == "column key_***"


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
