"""Unit tests of customer_thermometer/xml_prolog.py: the body's start (white space, prolog,
declared encoding) read in any pieces, a DTD or a UTF-16/32 body refused."""

import pytest

from customer_thermometer.errors import ApiError, UnexpectedBodyError
from customer_thermometer.xml_prolog import (
    checked_prolog,
    declared_encoding,
    prolog_end,
    split_pieces,
)
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


def prolog_outcome(*pieces):
    """Return the bytes checked_prolog() hands on, or the error it raises."""
    try:
        return b"".join(checked_prolog(iter(pieces)))
    except (ApiError, UnexpectedBodyError) as error:
        return error


class TestCheckedProlog:
    @pytest.mark.parametrize(
        "start", [b"\xfe\xff\x00<", b"\xff\xfe<\x00", b"\x00\x00\x00<", b"<\x00\x00\x00"]
    )
    def test_utf_16_or_32_is_refused_by_its_first_bytes(self, start):
        error = prolog_outcome(start + b"rest of the body")
        assert type(error) is ApiError
        assert str(error) == "the XML answer is in UTF-16 or UTF-32: expected UTF-8"

    def test_a_nul_past_the_fourth_byte_is_the_parsers_to_judge(self):
        assert prolog_outcome(b"<ab>\x00") == b"<ab>\x00"

    def test_a_body_that_is_not_xml_is_quoted_from_its_start(self):
        error = prolog_outcome(b"  Service ", b"unavailable")
        assert type(error) is UnexpectedBodyError
        assert (error.snippet, error.kind) == ("Service unavailable", "a body that is not XML")

    @pytest.mark.parametrize(
        "page", [b"<!DOCTYPE html><p>down", b"<!doctype HTML>x", b"<HTML><body>down", b"<html>"]
    )
    def test_an_html_page_is_named_as_one_and_quoted(self, page):
        error = prolog_outcome(page[:3], page[3:])
        assert type(error) is UnexpectedBodyError
        assert error.kind == "an HTML page, not the API's XML" and error.snippet == page.decode()

    def test_an_html_doctype_after_a_prolog_is_an_html_page(self):
        body = b"<?xml version='1.0'?>\n<!DocType Html>\n<html>down</html>"
        error = prolog_outcome(body)
        assert error.kind == "an HTML page, not the API's XML" and error.snippet == body.decode()

    def test_a_dtd_is_refused_by_name(self):
        error = prolog_outcome(b"<?xml version='1.0'?><!DOCTYPE list []><list/>")
        assert type(error) is ApiError
        assert str(error) == "the XML answer declares a DTD, which the connector does not accept"

    def test_a_prolog_past_64_kb_is_refused_by_name(self):
        error = prolog_outcome(b"<!--" + b"x" * 65536 + b"-->", b"<list/>")
        assert str(error) == "the XML answer's prolog is longer than 64 KB: not a list"

    def test_a_root_after_a_prolog_ends_it(self):
        assert prolog_end(b"<?xml version='1.0'?>\n<!-- hi -->\n<list>") == 34
        assert prolog_end(b"<list>") == 0
        assert prolog_end(b"<?xml version='1.0'?>\n<") is None
        assert prolog_end(b"<?xml version='1.0'?>\n<!-") is None
        assert prolog_end(b"<?xml version='1.0'?>\n<!DOCTYPE h") is None


class TestPiecesAndEncodings:
    def test_a_chunk_is_cut_into_pieces_of_at_most_the_size(self):
        assert list(split_pieces([b"abcdefg", b"hij", b"klmn"], 4)) == [
            b"abcd",
            b"efg",
            b"hij",
            b"klmn",
        ]

    @pytest.mark.parametrize(
        "prolog, name",
        [
            (b"<?xml version='1.0' encoding='latin-1'?>", "latin-1"),
            (b'<?xml version="1.0" encoding = "UTF-8"?>', "UTF-8"),
            (b"<?xml version='1.0'?>", None),
            (b"<list encoding='x'>", None),
            (b"<?xml encoding='" + b"e" * 50 + b"'?>", "e" * 40),
            (b"<?xml encoding='\xe9t\xe9'?>", "\ufffdt\ufffd"),
        ],
    )
    def test_the_declared_encoding_is_named(self, prolog, name):
        assert declared_encoding(prolog) == name


class TestWholeDiagnoses:
    def test_an_html_page_after_a_prolog_is_quoted_whatever_the_pieces(self):
        page = b"<?xml version='1.0'?>\n<!DocType Html>\n<html>down</html>"
        for size in (1, 3, len(page)):
            error = prolog_outcome(*in_pieces(page, size))
            assert error.snippet == page.decode(), size

    def test_a_root_at_the_start_of_a_long_first_piece_is_no_long_prolog(self):
        body = b"<list>" + b"<r>x</r>" * 10000 + b"</list>"
        assert prolog_outcome(body) == body
