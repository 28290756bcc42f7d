"""Unit tests of customer_thermometer/xml_prolog.py: the body's start (white space, prolog,
declared encoding) read in any pieces, a DTD or a UTF-16/32 body refused."""

import pytest

from customer_thermometer.errors import (
    ApiError,
)
from customer_thermometer.xml_prolog import checked_prolog
from customer_thermometer.xml_stream import iter_records
from tests.conftest import UNDER_EVERY_PARSER
from tests.support import in_pieces, list_shape, records_of, run, run_scripted


@UNDER_EVERY_PARSER
class TestBodies:
    def test_a_dtd_is_refused(self, captured, api):
        bomb = (
            '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
            '<!ENTITY lol2 "&lol;&lol;&lol;&lol;">]><thermometers>&lol2;</thermometers>'
        )
        api.script("getThermometers", (200, bomb))
        with pytest.raises(RuntimeError, match="thermometer"):
            run()
        assert any("DTD" in m for m in captured.messages("error"))


@UNDER_EVERY_PARSER
class TestParser:
    @pytest.fixture
    def blast_body(self, fake):
        """A getBlastResults answer of the small stand-in data set (60 records)."""
        return fake.answer({"getMethod": "getBlastResults", "apiKey": fake.api_key})[2]

    @pytest.mark.parametrize(
        "body",
        [
            '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "777">]><r><x>&a;</x></r>',
            '<!-- <a --><!DOCTYPE r [<!ENTITY a "777">]><r><x>&a;</x></r>',
            '<?xml version="1.0"?>\n<!-- a comment --> <?pi x?>\n<!DOCTYPE r><r/>',
        ],
    )
    def test_a_dtd_is_refused_after_any_prolog(self, body):
        with pytest.raises(ApiError, match="DTD"):
            records_of(body)

    def test_white_space_before_the_root_is_read_once(self):
        body = (
            b" " * 300000
            + b"\n<comments><comment><response_id>1</response_id></comment></comments>"
        )
        records = list(iter_records(in_pieces(body, 8192), list_shape("comment")))
        assert records == [{"response_id": "1"}]
        with pytest.raises(ApiError, match="longer than 64 KB"):
            records_of('<?xml version="1.0"?>' + " " * 70000 + "<comments/>", "comment")


@UNDER_EVERY_PARSER
class TestTablesFailCleanly:
    @pytest.mark.parametrize(
        "declaration, named",
        [("Shift_JIS", "'Shift_JIS'"), ("x-nope", "'x-nope'"), ("X" * 60, repr("X" * 40))],
    )
    def test_an_encoding_the_parser_cannot_read_is_the_tables_error(
        self, captured, api, declaration, named
    ):
        body = f'<?xml version="1.0" encoding="{declaration}"?><thermometers/>'
        api.script("getThermometers", (200, body))
        with pytest.raises(RuntimeError, match="thermometer"):
            run_scripted(api)
        (error,) = captured.messages("error")
        assert "encoding" in error and named in error and "expected UTF-8" in error
        assert captured.rows("recipient_list") and captured.rows("metric")


@UNDER_EVERY_PARSER
class TestParserAbuse:
    @pytest.mark.parametrize(
        "body",
        [
            '<!-- <a --><!DOCTYPE r [<!ENTITY e "777">]><r><response_id>&e;</response_id></r>',
            '<?xml version="1.0"?><!--x--><?pi <a?><!DOCTYPE r [<!ENTITY e "7">]><r/>',
        ],
    )
    def test_a_dtd_after_a_comment_or_instruction_is_refused(self, body):
        with pytest.raises(ApiError, match="DTD"):
            records_of(body)

    @pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be", "utf-16", "utf-32"])
    def test_a_body_in_utf_16_or_32_is_refused_whatever_it_declares(self, encoding):
        text = (
            '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE r [<!ENTITY e "777">]>'
            "<r><x><response_id>&e;</response_id></x></r>"
        )
        with pytest.raises(ApiError, match="UTF-16 or UTF-32"):
            list(iter_records([text.encode(encoding)], list_shape()))


@UNDER_EVERY_PARSER
class TestBounds:
    def test_white_space_before_the_root_is_dropped_as_it_arrives(self):
        pieces = [b" \n" * 4096] * 2048 + [b"<comments><comment><id>1</id></comment></comments>"]
        yielded = list(checked_prolog(iter(pieces)))
        assert yielded == [pieces[-1]]  # 16 MB of white space, never held or searched again


@UNDER_EVERY_PARSER
class TestPrologs:
    @pytest.mark.parametrize(
        "pieces",
        [
            [b"<", b"comments><comment><id>1</id></comment></comments>"],
            [b"<?xml version='1.0'?>", b"<", b"!", b"-- x --", b">", b"<comments>"]
            + [b"<comment><id>1</id></comment></comments>"],
            [b"\xef\xbb\xbf \n<comments><comment><id>1</id></comment></comments>"],
        ],
    )
    def test_a_prolog_arriving_a_byte_at_a_time_is_read(self, pieces):
        records = list(iter_records(iter(pieces), list_shape("comment")))
        assert records == [{"id": "1"}]

    @pytest.mark.parametrize("pieces", [[b"<!", b"DOCTYPE r><r/>"], [b"<!D", b"OCTYPE r><r/>"]])
    def test_a_dtd_arriving_in_pieces_is_refused(self, pieces):
        with pytest.raises(ApiError, match="declares a DTD"):
            list(iter_records(iter(pieces), list_shape("comment")))

    @pytest.mark.parametrize("bom", [b"\xfe\xff", b"\xff\xfe"])
    def test_a_utf_16_byte_order_mark_is_refused(self, bom):
        with pytest.raises(ApiError, match="UTF-16 or UTF-32"):
            list(iter_records([bom + "<r/>".encode("utf-16-le")], list_shape()))

    def test_a_prolog_of_exactly_64_kb_is_read(self):
        prolog = "<?xml version='1.0'?>" + " " * (65536 - 21)
        records = list(
            iter_records([(prolog + "<r><x><id>1</id></x></r>").encode()], list_shape())
        )
        assert records == [{"id": "1"}]
