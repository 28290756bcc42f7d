"""Unit tests of customer_thermometer/xml_repair.py: text XML cannot hold repaired piece by piece,
each repair counted once, and a clean answer fed unchanged."""

import pytest

from customer_thermometer.xml_repair import (
    XmlRepair,
    _needs_repair,
    _reference_code,
    _safe_cut,
    _xml_allows,
)
from customer_thermometer.xml_stream import iter_records
from tests.conftest import UNDER_EVERY_PARSER
from tests.support import (
    comments_body,
    list_shape,
    run_scripted,
)


@UNDER_EVERY_PARSER
class TestOneBadRecordNeverStallsATable:
    @pytest.mark.parametrize(
        ("raw", "read"),
        [
            (b"tab\x0bbed", "tab\ufffdbed"),
            (b"nul &#0; ref", "nul \ufffd ref"),
            (b"caf&eacute; &nbsp;ok", "caf\u00e9 \u00a0ok"),
            (b"lone &#xD83D; half", "lone \ufffd half"),
            (b"pair &#xD83D;&#xDE00;", "pair \U0001f600"),
            (b"apart &#xD83D; &#xDE00;", "apart \ufffd \ufffd"),
            (b"unit &#31;&#32;separator", "unit \ufffd separator"),
            (b"odd \xef\xbf\xbe and \xef\xbf\xbf chars", "odd \ufffd and \ufffd chars"),
            (b"I <3 it, a < b", "I <3 it, a < b"),
            (b"latin \xe9t\xe9", "latin \ufffdt\ufffd"),
            (b"cdata ]]> outside", "cdata ]]> outside"),
            (b"AT&T rocks & rolls", "AT&T rocks & rolls"),
            (b"unknown &nosuch; entity", "unknown &nosuch; entity"),
            (b"<![CDATA[kept <b>&amp; as is]]>", "kept <b>&amp; as is"),
        ],
    )
    def test_a_comment_xml_cannot_hold_lands_with_the_rest(self, captured, api, raw, read):
        api.script("getComments", (200, comments_body(b"fine", raw, b"also fine")))
        run_scripted(api)
        comments = {row["response_id"]: row["comment"] for row in captured.rows("comment")}
        assert comments == {100: "fine", 101: read, 102: "also fine"}
        assert captured.checkpoints[-1]["comment_cursor"] == "2026-11-20"
        assert not captured.messages("error")
        if read != raw.decode("utf-8", "replace") and b"CDATA" not in raw:
            assert any("comment: repaired " in m for m in captured.messages("warning"))

    def test_repairs_split_between_pieces_are_made_whole(self):
        body = comments_body(*[b"x" * 700 + b" caf&eacute;\x0b&#xD83D;&#xDE00;"] * 40)
        for size in (1, 7, 100, 8192):
            pieces = [body[i : i + size] for i in range(0, len(body), size)]
            records = list(iter_records(pieces, list_shape("comment")))
            assert len(records) == 40, size
            assert all(r["comment"].endswith(" caf\u00e9\ufffd\U0001f600") for r in records)

    def test_a_latin_1_answer_is_read_as_latin_1(self):
        body = comments_body(b"caf\xe9", encoding="ISO-8859-1")
        (record,) = iter_records([body], list_shape("comment"))
        assert record["comment"] == "caf\u00e9"

    def test_a_clean_answer_is_fed_unchanged(self):
        body = comments_body(
            b"plain &amp; &lt;fine&gt; \xc3\xa9", b"&#233; &#x1F600;", b"&#x0000000041;&#00066;"
        )
        records = list(iter_records([body], list_shape("comment")))
        assert [r["comment"] for r in records] == [
            "plain & <fine> \u00e9",
            "\u00e9 \U0001f600",
            "AB",
        ]


@UNDER_EVERY_PARSER
class TestRepairEdges:
    @pytest.mark.parametrize("size", [1, 5, 10**6])
    def test_each_repair_is_counted_once_and_xmls_own_entities_not_at_all(self, size):
        body = comments_body(
            b"&amp;&lt;&gt;&quot;&apos; &eacute;&nbsp;&nosuch; AT&T \x0b &NotEqualTilde;"
        )
        shape = list_shape("comment")
        pieces = [body[i : i + size] for i in range(0, len(body), size)]
        (record,) = iter_records(pieces, shape)
        assert record["comment"] == "&<>\"' \u00e9\u00a0&nosuch; AT&T \ufffd \u2242\u0338"
        assert shape.repaired == 6  # é, no-break space, &nosuch;, AT&T's &, \x0b, two characters

    @pytest.mark.parametrize(
        ("code", "allowed"),
        [
            (0x8, False),
            (0x9, True),
            (0xA, True),
            (0xB, False),
            (0xD, True),
            (0x1F, False),
            (0x20, True),
            (0xD7FF, True),
            (0xD800, False),
            (0xDFFF, False),
            (0xE000, True),
            (0xFFFD, True),
            (0xFFFE, False),
            (0xFFFF, False),
            (0x10000, True),
            (0x10FFFF, True),
            (0x110000, False),
            (-1, False),
        ],
    )
    def test_the_characters_xml_allows(self, code, allowed):
        assert _xml_allows(code) is allowed

    @pytest.mark.parametrize(
        ("digits", "code"),
        [
            (b"x41", 0x41),
            (b"X41", 0x41),
            (b"x0000000041", 0x41),
            (b"65", 65),
            (b"0000000065", 65),
            (b"x0", 0),
            (b"0", 0),
            (b"x10FFFF", 0x10FFFF),
            (b"x123456789", -1),
            (b"123456789", -1),
            (b"12345678", 12345678),
            (b"x12345678", 0x12345678),
        ],
    )
    def test_the_code_a_reference_names(self, digits, code):
        assert _reference_code(digits) == code

    def test_a_long_text_is_cut_where_nothing_repaired_is_split(self):
        text = b"a" * 100
        assert _safe_cut(text) == 36  # 64 bytes held back
        assert _safe_cut(b"a" * 63) <= 0
        assert _safe_cut(b"<tag attr='" + b"a" * 100) == 0  # still in its tag
        assert _safe_cut(b"<tag>" + b"a" * 100) == 41
        # Before a reference (an & within 40 bytes of the cut) and a run of references.
        data = b"a" * 50 + b"&eacute;" + b"b" * 60
        assert _safe_cut(data) == 50
        data = b"a" * 40 + b"&#xD83D;&#xDE00;" + b"b" * 58
        assert _safe_cut(data) == 40
        # Not in the middle of a UTF-8 character, nor after the "]" of a "]]>" to be.
        data = b"a" * 35 + "\u00e9".encode() * 40
        assert _safe_cut(data) % 2 == 1 and data[_safe_cut(data)] == 0xC3
        data = b"a" * 34 + b"]]" + b"c" * 64
        assert _safe_cut(data) == 34

    def test_every_cut_of_a_hostile_text_reads_the_same(self):
        text = (b"x" * 70 + b"&eacute;&#xD83D;&#xDE00;\x0b]]>&AT" + "\u00e9".encode() * 30) * 20
        body = comments_body(text)
        whole = list(iter_records([body], list_shape("comment")))
        for size in (1, 3, 64, 65, 100):
            pieces = [body[i : i + size] for i in range(0, len(body), size)]
            assert list(iter_records(pieces, list_shape("comment"))) == whole, size

    def test_references_are_read_one_by_one_and_in_pairs(self):
        repair = XmlRepair(True)
        part = b"&#65;&#xD83D;&#66;&#xDE00;&#xD83D;&#xDE00;&#0;"
        assert repair._numeric_references(part) == (b"&#65;&#xFFFD;&#66;&#xFFFD;&#128512;&#xFFFD;")
        assert repair.repaired == 4
        assert repair._numeric_references(b"&#xD83D;") == b"&#xFFFD;"
        assert repair._numeric_references(b"no refs") == b"no refs"


def repair(data, utf8=True, size=None):
    """Return (bytes fed, repairs counted) of XmlRepair over data, whole or in pieces of size."""
    repairer = XmlRepair(utf8)
    size = size or len(data) or 1
    fed = b"".join(repairer.repaired_piece(data[n : n + size]) for n in range(0, len(data), size))
    return fed + repairer.rest(), repairer.repaired


U_FFFD = "\ufffd".encode()


class TestRepairs:
    @pytest.mark.parametrize(
        "data, utf8, repaired, count",
        [
            (b"<c>a\x0bb\x0cc</c>", True, b"<c>a" + U_FFFD + b"b" + U_FFFD + b"c</c>", 2),
            (b"<c>a\x0bb\x0cc</c>", False, b"<c>a&#xFFFD;b&#xFFFD;c</c>", 2),
            (b"<c>a ]]> b ]]> c</c>", True, b"<c>a ]]&gt; b ]]&gt; c</c>", 2),
            (b"<c>I <3 it, 1 < 2</c>", True, b"<c>I &lt;3 it, 1 &lt; 2</c>", 2),
            (b"<c>caf\xe9 au lait " + U_FFFD + b"</c>", True, b"<c>caf" + U_FFFD, 1),
            (b"<c>a\xef\xbf\xbeb\xef\xbf\xbfc</c>", True, b"<c>a" + U_FFFD + b"b", 2),
            (b"<c>b\xef\xbf\xbfc</c>", True, b"<c>b" + U_FFFD + b"c</c>", 1),
            (b"<c>b\xef\xbf\xbec</c>", True, b"<c>b" + U_FFFD + b"c</c>", 1),
            (b"<c>&eacute;&amp;&lt;&nosuch; & x</c>", True, b"<c>&#233;&amp;&lt;&amp;nosuch;", 3),
            (b"<c>&#xD83D;&#xDE00;</c>", True, b"<c>&#128512;</c>", 1),
            (b"<c>&#xDBFF;&#xDFFF;</c>", True, b"<c>&#1114111;</c>", 1),
            (b"<c>&#xD800;&#xDC00;</c>", True, b"<c>&#65536;</c>", 1),
            (b"<c>&#xD800;&#xE000;</c>", True, b"<c>&#xFFFD;&#xE000;</c>", 1),
            (b"<c>&#xD83D; &#xDE00;</c>", True, b"<c>&#xFFFD; &#xFFFD;</c>", 2),
            (b"<c>&#xD7FF;&#xDC00;&#xDBFF;</c>", True, b"<c>&#xD7FF;&#xFFFD;&#xFFFD;</c>", 2),
            (b"<c>&#0;&#65;&#x0041;&#0000065;&#xFFFE;</c>", True, b"<c>&#xFFFD;&#65;", 2),
        ],
    )
    def test_each_repair_and_its_count(self, data, utf8, repaired, count):
        fed, counted = repair(data, utf8)
        assert fed.startswith(repaired) and counted == count
        assert repair(data, utf8, size=3) == (fed, counted)

    def test_a_clean_answer_is_fed_as_it_came_and_counts_nothing(self):
        data = b"<c a='1'>caf\xc3\xa9 &amp; &#233; &lt;b&gt;</c>\n"
        assert repair(data) == (data, 0) and repair(data, size=2) == (data, 0)

    def test_a_cdata_section_keeps_its_text_but_no_forbidden_character(self):
        data = b"<c><![CDATA[a < b & ]] c\x01]]> ]]> \x02</c>"
        fed, counted = repair(data, utf8=False, size=5)
        assert fed == b"<c><![CDATA[a < b & ]] c" + U_FFFD + b"]]> ]]&gt; &#xFFFD;</c>"
        assert counted == 3

    def test_a_cdata_section_alone_needs_no_repair(self):
        data = b"<c><![CDATA[a < b & c]]></c><c>\x01</c>"
        assert repair(data, utf8=False) == (
            b"<c><![CDATA[a < b & c]]></c><c>&#xFFFD;</c>",
            1,
        )

    def test_the_bytes_held_end_before_a_tag_or_are_given_back_at_the_end(self):
        repairer = XmlRepair(True)
        assert repairer.repaired_piece(b"<a>x</a><b>y") == b"<a>x</a>"
        assert repairer.at_tag_start()
        assert repairer.repaired_piece(b" z") == b"<b>y"
        assert not repairer.at_tag_start()
        assert repairer.rest() == b" z" and repairer.rest() == b""
        assert repairer.repaired_piece(b"<b") == b"" and repairer.rest() == b"<b"
        assert XmlRepair(True).rest() == b""

    def test_a_long_text_is_cut_at_its_last_white_space(self):
        repairer = XmlRepair(True)
        assert repairer.repaired_piece(b"<c>one two\nthree") == b"<c>one two"
        assert repairer.repaired_piece(b"<") == b"\nthree"


class TestSafeCut:
    def test_a_long_text_is_cut_64_bytes_before_its_end(self):
        assert _safe_cut(b"x" * 100) == 36 and _safe_cut(b"x" * 64) == 0

    def test_a_text_still_in_its_first_tag_is_not_cut(self):
        assert _safe_cut(b"<" + b"x" * 99) == 0
        assert _safe_cut(b"<" + b"x" * 35 + b">" + b"x" * 63) == 0  # ">" at the cut
        assert _safe_cut(b"<" + b"x" * 34 + b">" + b"x" * 64) == 36

    def test_a_cut_moves_back_before_a_characters_other_bytes(self):
        data = b"x" * 35 + "é".encode() + b"x" * 63  # é's second byte at 36
        assert _safe_cut(data) == 35

    def test_a_cut_moves_back_before_a_reference_within_40_bytes(self):
        assert _safe_cut(b"x" * 10 + b"&" + b"y" * 89) == 10
        assert _safe_cut(b"x" * 96 + b"&" + b"y" * 103) == 96
        assert _safe_cut(b"x" * 95 + b"&" + b"y" * 104) == 136
        assert _safe_cut(b"&" + b"y" * 99) == 0

    def test_a_cut_moves_back_before_a_run_of_references(self):
        data = b"x" * 20 + b"&#xD83D;&#xDE00;" + b"y" * 64  # a pair ending at the cut
        assert _safe_cut(data) == 20

    def test_a_cut_moves_back_before_brackets(self):
        assert _safe_cut(b"x" * 34 + b"]]" + b"y" * 64) == 34
        assert _safe_cut(b"]" * 100) == 0


class TestNeedsRepair:
    @pytest.mark.parametrize(
        "data, needs",
        [
            (b"<c>plain &amp; &lt; &gt; &quot; &apos;</c>", False),
            (b"<c><![CDATA[x]]></c>", True),
            (b"<c>&nbsp;</c>", True),
            (b"<c>a\x1fb</c>", True),
            (b"<c>a <3</c>", True),
            (b"<c>]]></c>", True),
        ],
    )
    def test_what_needs_repair(self, data, needs):
        assert _needs_repair(data) is needs
