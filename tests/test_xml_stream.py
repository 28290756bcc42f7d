"""Unit tests of customer_thermometer/xml_stream.py: records streamed from a body whatever its
pieces and whatever the parser, skipped records, size bounds and error documents."""

import functools
import types
import weakref
import zlib
from datetime import datetime
from xml.etree import ElementTree

import pytest

from customer_thermometer import xml_stream
from customer_thermometer.errors import (
    ApiError,
    AuthenticationError,
    TransientError,
    UnexpectedBodyError,
)
from customer_thermometer.specs import SYNC_LIMITS
from customer_thermometer.xml_stream import (
    RecordBytes,
    RecordParser,
    flushed,
    iter_records,
    record_tags,
    says_error,
)
from tests.conftest import UNDER_EVERY_PARSER, small_account
from tests.support import (
    BLAST_RECORD,
    BLAST_ROOT,
    SCRIPTED_STATE,
    blast_answer,
    blast_xml,
    comments_answer,
    comments_body,
    in_pieces,
    list_shape,
    records_of,
    refused_in_every_form,
    run,
    run_scripted,
    the_failure,
)


@UNDER_EVERY_PARSER
class TestBodies:
    def test_empty_body_and_empty_root_are_no_data(self, captured, api):
        api.fake = small_account(responses=0)  # counts and tallies of 0 agree
        api.script("getComments", (200, "  \n"))
        api.script("getBlastResults", (200, '<?xml version="1.0"?><thermometer_blast_responses/>'))
        run()
        assert captured.rows("comment") == [] and captured.rows("blast_result") == []
        # No answer held a day to count back from: the next sync reads from from_date again.
        assert captured.checkpoints[-1] == {}

    def test_malformed_xml_fails_the_table_and_is_not_data(self, captured, api):
        api.script("getBlastResults", (200, "<thermometer_blast_responses><a></b>"))
        with pytest.raises(RuntimeError, match="blast_result"):
            run()
        assert captured.rows("blast_result") == []
        assert "blast_result_cursor" not in captured.checkpoints[-1]
        assert any("malformed XML" in m for m in captured.messages("error"))

    def test_a_root_holding_only_text_is_an_error_body(self, captured, api):
        api.script("getThermometers", (200, "<error>Something failed</error>"))
        with pytest.raises(RuntimeError, match="thermometer"):
            run()
        (error,) = captured.messages("error")
        assert "getThermometers answered an error document: '<error>Something failed</" in error
        assert captured.rows("thermometer") == []


@UNDER_EVERY_PARSER
class TestRecords:
    def test_comment_record_with_comment_field_is_one_record(self, captured, api):
        body = blast_xml(
            {"response_id": "5", "comment": "nice", "date_submitted": "2026-11-20 08:15:00"},
            root="comments",
            tag="comment",
        )
        api.script("getComments", (200, body))
        run_scripted(api)
        assert captured.rows("comment") == [
            {"response_id": 5, "comment": "nice", "date_submitted": datetime(2026, 11, 20, 8, 15)}
        ]


@UNDER_EVERY_PARSER
class TestParser:
    def test_a_parser_fed_byte_by_byte_yields_the_same_records(self, blast_body):
        whole = list(iter_records([blast_body], list_shape()))
        one_by_one = list(iter_records(in_pieces(blast_body, 1), list_shape()))
        assert len(whole) == 60
        assert one_by_one == whole

    def test_the_parser_is_fed_small_pieces_of_large_chunks(self, blast_body, monkeypatch):
        # Fed 64 KB at once, the parser builds ~2,000 elements together, above the garbage
        # collector's threshold: collections then double the parsing time.
        fed = []
        parser_class = xml_stream.XMLParser

        class Spy(parser_class):
            def feed(self, data):
                fed.append(len(data))
                super().feed(data)

        monkeypatch.setattr(xml_stream, "XMLParser", Spy)
        assert len(blast_body) > 40000
        records = list(iter_records([blast_body], list_shape()))
        assert len(records) == 60
        # A piece's tail from its last "<" is fed with the next (see XmlRepair): at most two.
        assert sum(fed) == len(blast_body) and max(fed) <= 2 * 8192

    def test_the_parser_a_test_names_is_the_one_that_parses(self, blast_body, xml_parser):
        made = getattr(xml_parser, "made", None)
        assert len(list(iter_records([blast_body], list_shape()))) == 60
        if made is not None:  # the deferring double: it was made, so it parsed
            assert xml_parser.made > made

    @pytest.mark.parametrize("size", [16, 1460, 4096])
    def test_unreadable_records_among_long_start_tags_are_skipped_whatever_the_pieces(self, size):
        # Start tags of 5 KB: a parser that hands its events on late shows a record's start
        # while the next start tag is still arriving; the skip must find the record all the same.
        body = blast_answer([(i, "a<br>b" if i % 3 == 2 else "ok", 5000) for i in range(6)])
        shape = list_shape()
        records = list(iter_records(in_pieces(body, size), shape))
        assert [r["response_id"] for r in records if r] == ["0", "1", "3", "4"]
        assert shape.unreadable == 2 and shape.unreadable_ids == ["2", "5"]

    @pytest.mark.parametrize("note", [0, 2000])
    def test_unreadable_records_under_a_small_bound_are_no_record_too_large(self, note):
        # Records of at most 2 KB, every other one unreadable, under a bound of 20,000 bytes:
        # the records a skip hands on count as handed on.
        body = blast_answer([(i, "a<br>b" if i % 2 else "ok", note) for i in range(40)])
        shape = list_shape()
        records = list(iter_records(in_pieces(body, 1000), shape, max_record_bytes=20000))
        assert len([r for r in records if r]) == 20 and shape.unreadable == 20

    @pytest.mark.parametrize("first", [0, 40000])
    def test_a_record_past_the_size_bound_is_refused_whatever_the_parser(self, first):
        # A record of 80 KB under a bound of 60,000 bytes, after one whose start tag alone is
        # 40 KB (a deferring parser shows the second record's start late) or a small one.
        body = (
            f"<{BLAST_ROOT}>"
            f'<{BLAST_RECORD} note="{"a" * first}"><response_id>1</response_id></{BLAST_RECORD}>'
            f"<{BLAST_RECORD}><response_id>2</response_id><comment>{'t' * 80000}</comment>"
            f"</{BLAST_RECORD}></{BLAST_ROOT}>"
        ).encode()
        with pytest.raises(ApiError, match="a record larger than 60,000 bytes"):
            list(iter_records(in_pieces(body, 8192), list_shape(), max_record_bytes=60000))

    def test_records_far_under_the_size_bound_are_read_whenever_the_parser_hands_them_on(
        self, blast_body
    ):
        # Records of under 1,000 bytes, an answer of over 40,000 and a bound of 5,000: a parser
        # that held its events back past the bound must be made to hand them on.
        pieces = in_pieces(blast_body, 1000)
        records = list(iter_records(pieces, list_shape(), max_record_bytes=5000))
        assert records == list(iter_records([blast_body], list_shape()))
        assert len(records) == 60

    def test_records_are_released_once_handed_on(self, blast_body, monkeypatch):
        handed_on = []
        read_fields = xml_stream.record_fields

        def spy(record, names):
            handed_on.append(weakref.ref(record))
            return read_fields(record, names)

        monkeypatch.setattr(xml_stream, "record_fields", spy)
        # Pieces shorter than a record: at most one record ends per piece.
        pieces = in_pieces(blast_body, 100)
        for index, _ in enumerate(iter_records(pieces, list_shape())):
            assert all(ref() is None for ref in handed_on[:index])  # earlier records freed
            assert handed_on[index]() is not None
        assert len(handed_on) == 60

    @pytest.mark.parametrize("size", [1, 100, 4096, 10**6])
    def test_a_record_the_parser_cannot_read_is_skipped_and_the_rest_read(self, blast_body, size):
        whole = list(iter_records([blast_body], list_shape()))
        cut = blast_body.index(b"<response_id>", 20000)  # an unclosed tag before a record's id
        shape = list_shape()
        broken = blast_body[:cut] + b"<oops>" + blast_body[cut:]
        read = list(iter_records(in_pieces(broken, size), shape))
        (index,) = [index for index, fields in enumerate(read) if not fields]
        assert 0 < index < 59 and shape.unreadable == 1
        assert read[:index] + read[index + 1 :] == whole[:index] + whole[index + 1 :]
        assert shape.unreadable_ids == [whole[index]["response_id"]]

    def test_parse_errors_outside_a_record_are_raised(self, blast_body):
        cut = blast_body.index(b"<thermometer_blast_response>", 20000)
        broken = blast_body[:cut] + b"</oops>" + blast_body[cut:]
        with pytest.raises(ApiError, match="malformed XML: mismatched tag"):
            list(iter_records(in_pieces(broken, 4096), list_shape()))

    def test_a_comment_record_holding_a_comment_field_is_one_record(self):
        body = (
            "<comments><comment><comment>hi</comment><response_id>1</response_id></comment>"
            "</comments>"
        )
        assert records_of(body, "comment") == [{"comment": "hi", "response_id": "1"}]

    def test_a_record_nesting_too_deep_is_an_error_not_a_crash(self):
        body = "<comments><comment>" + "<a>" * 5000 + "x" + "</a>" * 5000 + "</comment></comments>"
        with pytest.raises(ApiError, match="deeper than 32 levels"):
            records_of(body, "comment")

    def test_records_without_any_field_are_skipped_and_counted(self):
        shape = list_shape("comment")
        body = (
            "<comments><comment><response_id>1</response_id></comment><note>x</note><comment/>"
            "</comments>"
        )
        assert records_of(body, shape=shape) == [{"response_id": "1"}]
        assert shape.empty_records == 2
        assert shape.records == {"comment", "note"}


@UNDER_EVERY_PARSER
class TestTablesFailCleanly:
    @pytest.mark.parametrize("depth", [5000, 100000])
    def test_a_record_nested_very_deep_is_the_tables_error(self, captured, api, depth):
        record = "<a>" * depth + "x" + "</a>" * depth
        body = f"<thermometers><thermometer><id>1</id>{record}</thermometer></thermometers>"
        api.script("getThermometers", (200, body))
        with pytest.raises(RuntimeError, match="thermometer"):
            run_scripted(api)
        (error,) = captured.messages("error")
        assert "nests deeper than 32 levels" in error


@UNDER_EVERY_PARSER
class TestBounds:
    def test_a_record_larger_than_its_limit_is_an_error(self):
        huge = b"<comments><comment><comment>" + b"x" * 5_000_000
        with pytest.raises(ApiError, match="larger than 1,000,000 bytes"):
            list(iter_records([huge], list_shape("comment"), max_record_bytes=10**6))

    def test_a_compressed_bomb_stops_at_the_record_limit(self, captured, api, monkeypatch):
        bomb = compressed_bomb()
        assert len(bomb) < 1_000_000
        monkeypatch.setitem(SYNC_LIMITS, "max_record_bytes", 10_000_000)
        api.script("getThermometers", (200, bomb, {"Content-Encoding": "gzip"}))
        with pytest.raises(RuntimeError, match="thermometer"):
            run_scripted(api)
        (error,) = captured.messages("error")
        assert "larger than 10,000,000 bytes" in error


@functools.cache
def compressed_bomb():
    """Return a gzip body of under 1 MB that holds one record of 400 MB of text (made once: it
    takes a second)."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)  # gzip framing
    parts = [compressor.compress(b"<thermometers><thermometer><name>")]
    parts += [compressor.compress(b"A" * 1_000_000) for _ in range(400)]  # 400 MB of text
    return b"".join(parts) + compressor.flush()


@UNDER_EVERY_PARSER
class TestErrorDocuments:
    @pytest.mark.parametrize(
        "body",
        [
            "<error><code>42</code><message>Date range too large</message></error>",
            "<Fault><faultstring>Date range too large</faultstring></Fault>",
            "<errors><error><code>42</code><text>Date range too large</text></error></errors>",
            "<response><status>error</status><message>Date range too large</message></response>",
            '<thermometer_blast_responses status="error" message="Date range too large"/>',
            '<ErrorResponse code="42">Date range too large</ErrorResponse>',
            '<response status="fail" reason="Date range too large"/>',
            "<thermometer_blast_responses><thermometer_blast_response><response_id>1"
            "</response_id></thermometer_blast_response><error>Date range too large</error>"
            "</thermometer_blast_responses>",
        ],
    )
    def test_an_error_document_is_an_error_never_an_empty_answer(self, captured, api, body):
        refused = refused_in_every_form((200, body))
        failure = the_failure(api, captured, "blast_result", "getBlastResults", *refused)
        assert "getBlastResults" in failure and "an error document" in failure
        assert "Date range too large" in failure
        assert captured.rows("blast_result") == []
        state = captured.checkpoints[-1]
        assert state["blast_result_cursor"] == SCRIPTED_STATE["blast_result_cursor"]
        assert "blast_result_history" not in state  # nothing proven: nothing moved

    def test_records_without_fields_are_still_skipped_and_counted(self, captured, api):
        body = blast_xml({"id": "1", "name": "A"}, root="thermometers", tag="thermometer")
        api.script(
            "getThermometers",
            (200, body.replace("</thermometers>", "<x>text</x><y/>") + "</thermometers>"),
        )
        run_scripted(api)
        assert captured.rows("thermometer") == [{"id": 1, "name": "A"}]
        assert any("skipped 2 records that held no field" in m for m in captured.messages())

    def test_an_empty_root_with_attributes_that_say_no_error_is_no_data(self, captured, api):
        api.script("getThermometers", (200, '<thermometers total="0" page="1"/>'))
        run_scripted(api)
        assert captured.rows("thermometer") == [] and not captured.messages("error")

    @pytest.mark.parametrize(
        "body",
        [
            "<RB>Invalid API key<br/></RB>",
            "<RB><br/>Invalid API key</RB>",
            "<RB><p/>Invalid <b/> API key<br/></RB>",
        ],
    )
    def test_a_refused_key_beside_children_holding_no_field_is_a_refused_key(
        self, captured, api, body
    ):
        api.script("getBlastResults", (200, body))
        with pytest.raises(AuthenticationError, match="rejected the API key"):
            run_scripted(api)
        assert captured.checkpoints == []

    @pytest.mark.parametrize(
        "body", [b"<r>Down for maintenance<x/></r>", b"<r><x/><y/>Down for maintenance</r>"]
    )
    def test_a_roots_own_text_beside_children_holding_no_field_is_an_error_document(self, body):
        with pytest.raises(UnexpectedBodyError) as raised:
            list(iter_records([body], list_shape()))
        assert raised.value.kind == "an error document (no child holds a field)"
        assert raised.value.snippet == body.decode()

    def test_a_roots_own_text_beside_a_record_with_fields_is_a_list(self):
        body = b"<r>note<x/><c><id>1</id></c>more</r>"
        assert list(iter_records([body], list_shape())) == [{"id": "1"}]

    def test_a_list_of_only_empty_elements_is_no_data(self, captured, api):
        api.script("getThermometers", (200, "<thermometers><thermometer/></thermometers>"))
        run_scripted(api)
        assert captured.rows("thermometer") == [] and not captured.messages("error")


@UNDER_EVERY_PARSER
class TestOneBadRecordNeverStallsATable:
    @pytest.mark.parametrize(
        "raw",
        [b"Great<br>thanks", b"a <b>bold</i> claim", b"<p>para", b"x</b> y"],
    )
    def test_a_record_that_cannot_be_read_is_skipped_named_and_the_rest_lands(
        self, captured, api, raw
    ):
        api.script("getComments", (200, comments_body(b"fine", raw, b"also fine")))
        run_scripted(api)
        comments = {row["response_id"]: row["comment"] for row in captured.rows("comment")}
        assert comments == {100: "fine", 102: "also fine"}
        assert captured.checkpoints[-1]["comment_cursor"] == "2026-11-20"
        assert not captured.messages("error")
        (warning,) = [m for m in captured.messages("warning") if "could not read" in m]
        assert warning.startswith("comment: skipped 1 record the XML parser could not read")
        assert "(response_id: '101')" in warning

    @pytest.mark.parametrize(
        ("texts", "options"),
        [
            ([b"a\rb", b"x<br>y", b"ok", b"ok"], {"line": b"\n"}),  # a lone CR before
            ([b"a\rb", b"x<br>y", b"ok", b"ok"], {}),  # the same, on one line
            ([b"ok", b"x<br>y", b"ok", b"<br>"], {"line": b"\r\n"}),
            ([b"ok", b"x<br>y", b"caf\xe9", b"ok"], {"encoding": "ISO-8859-1"}),  # after a restart
            ([b"ok", b"ok", b"ok"], {"between": b"<?pi x?><!-- n -->", "bad_start": 2}),
            ([b"ok", b"x<br>y", b"ok", b"ok"], {"bad_start": 2}),  # right after a record skipped
            ([b"a\rb"] + [b"ok"] * 300 + [b"x<br>y", b"ok"], {"line": b"\n"}),  # long before
            ([b"ok"] * 300 + [b"x<br>y", b"ok"], {"line": b"\r\n"}),  # CR LF split by pieces
            ([b"a\r\nb" * 5, b"ok", b"x<br>y", b"ok"], {"line": b"\n"}),  # around empty feeds
            ([b"ok", b"x<br>y", b"ok", b"ok"], {"between": b"<!-- c --><?pi x?>"}),  # then
            ([b"ok", b"ok", b"ok"], {"after": (1, b"Acme <Ltd>")}),  # after a <comment> field
            ([b"ok", b"x</comment></b>", b"ok"], {}),  # a stray end tag after the field's end
            ([b"ok", b"x<br>y", b"ok"], {"between": b"<!-- a\nlong\rcomment -->"}),
        ],
    )
    def test_each_record_lands_or_is_counted_and_named_whatever_the_pieces(self, texts, options):
        body, bad = comments_answer(texts, **options)
        good = [str(100 + n) for n in range(len(texts)) if n not in bad]
        for size in (1, 2, 7, 100, 8192, len(body)):
            shape = list_shape("comment")
            pieces = [body[i : i + size] for i in range(0, len(body), size)]
            read = list(iter_records(pieces, shape))
            assert [r["response_id"] for r in read if r] == good, size
            assert len(read) == len(texts) and shape.unreadable == len(bad), size
            assert shape.unreadable_ids == [str(100 + n) for n in sorted(bad)], size

    @pytest.mark.parametrize(
        "body",
        [
            comments_answer([b"ok", b"ok", b"ok"], between=b"<!-- a <b -- c -->")[0],  # between
            comments_answer([b"ok", b"ok", b"ok"], between=b" junk </b>")[0],  # text then
            comments_answer([b"ok", b"ok"], bad_start=0)[0],  # before any record
        ],
    )
    def test_malformed_xml_no_record_holds_fails_the_answer(self, body):
        with pytest.raises(ApiError, match="malformed XML"):
            list(iter_records([body], list_shape("comment")))

    def test_the_limit_of_records_that_cannot_be_read_is_one_answers(self):
        shape = list_shape("comment")
        for _ in range(2):  # as a window read again to prove it
            body = comments_answer([b"<br>"] * 60 + [b"ok"])[0]
            assert len(list(iter_records([body], shape))) == 61
        assert shape.unreadable == 120 and shape.unreadable_ids == [
            "100",
            "101",
            "102",
            "103",
            "104",
        ]

    def test_a_record_skipped_is_bounded_as_any_record(self):
        body = comments_answer([b"ok", b"x<br>" + b"y" * 5000, b"ok"])[0]
        pieces = [body[i : i + 100] for i in range(0, len(body), 100)]
        with pytest.raises(ApiError, match="a record larger than 2,000 bytes"):
            list(iter_records(pieces, list_shape("comment"), max_record_bytes=2000))

    def test_a_response_id_in_an_attribute_names_a_record_skipped(self):
        body = (
            b'<comments><comment a="1" response_id="7"><comment>x<br>y</comment></comment>'
            b'<comment response_id="8"><comment>ok</comment></comment></comments>'
        )
        shape = list_shape("comment")
        assert list(iter_records([body], shape)) == [
            {},
            {"comment": "ok", "response_id": "8"},
        ]
        assert shape.unreadable_ids == ["7"]


@UNDER_EVERY_PARSER
class TestPrologs:
    def test_a_record_of_exactly_the_limit_is_read(self):
        body = b"<r><x><id>1</id></x></r>"
        assert list(iter_records([body], list_shape(), max_record_bytes=len(body)))
        with pytest.raises(ApiError, match="larger than"):
            list(iter_records([body], list_shape(), max_record_bytes=len(body) - 1))


class TestRecordBytes:
    def test_the_parser_catches_up_every_eighth_of_the_bound_and_at_it(self):
        sizes = RecordBytes(800)
        sizes.add(100)
        assert not sizes.flush_due()
        sizes.add(1)
        assert sizes.flush_due()
        sizes.caught_up()
        assert not sizes.flush_due() and sizes.unreleased == 101
        sizes.add(100)
        sizes.caught_up()
        sizes.handed_on()
        assert (sizes.unreleased, sizes.since_caught_up) == (0, 0)

    def test_a_record_past_the_bound_is_refused_by_name(self):
        sizes = RecordBytes(800)
        for _ in range(8):
            sizes.add(100)
            sizes.caught_up()
        sizes.check()
        sizes.add(1)
        assert sizes.flush_due()
        with pytest.raises(ApiError) as raised:
            sizes.check()
        assert str(raised.value) == "the XML answer holds a record larger than 800 bytes"

    def test_a_restart_counts_what_the_new_parser_was_fed(self):
        sizes = RecordBytes(8000)
        sizes.add(500)
        sizes.restarted(30)
        assert (sizes.unreleased, sizes.since_caught_up) == (30, 30)


class TestSaysError:
    @pytest.mark.parametrize(
        "root, error",
        [
            ("<comments/>", False),
            ("<comments count='3' status='ok'/>", False),
            ("<ErrorResponse/>", True),
            ("<soap:Fault xmlns:soap='urn:s'/>", True),
            ("<Errors/>", True),
            ("<comments status='error'/>", True),
            ("<comments message='Service Unavailable'/>", True),
            ("<comments note='too many requests'/>", True),
            ("<comments failed='yes'/>", True),
            ("<comments error='1'/>", True),
            ("<comments error='Invalid key'/>", True),
            ("<comments error='0'/>", False),
            ("<comments error_count='0'/>", False),
            ("<comments errors='None' failed='false'/>", False),
            ("<comments error='' fault=' no '/>", False),
            ("<comments ErrorCount='000' status='OK'/>", False),
        ],
    )
    def test_an_error_is_told_by_the_roots_name_or_attributes(self, root, error):
        assert says_error(ElementTree.fromstring(root)) is error


class TestRecordTags:
    def test_a_records_tags_match_with_any_prefix_and_only_its_name(self):
        tags = record_tags(b"comment", b"comments")
        assert tags["start"].match(b"<comment>") and tags["start"].match(b"<x:comment a='1'>")
        assert tags["start"].match(b"<comment/>") and not tags["start"].match(b"<comments>")
        assert tags["end"].match(b"</x:comment >") and not tags["end"].match(b"</commentx>")

    def test_a_records_end_is_a_boundary_only_before_a_record_or_the_roots_end(self):
        tags = record_tags(b"comment", b"comments")
        assert tags["boundary"].search(b"</comment>\n<!-- c --> <comment>")
        assert tags["boundary"].search(b"</comment></comments>")
        assert not tags["boundary"].search(b"</comment></response>")
        assert tags["next"].match(b" <?pi?><comment>")


class TestPositions:
    def test_lines_end_as_xmls_do_even_split_between_pieces(self):
        parser = RecordParser(list_shape(), None)
        parser.advance(b"ab\r\ncd\ref\ngh")
        assert (parser.lines, parser.column, parser.after_cr) == (3, 2, False)
        parser.advance(b"i\r")
        assert (parser.lines, parser.column, parser.after_cr) == (4, 0, True)
        parser.advance(b"\nj")
        assert (parser.lines, parser.column) == (4, 1)
        parser.advance(b"")
        assert (parser.lines, parser.column) == (4, 1)

    def test_a_column_counts_characters_not_bytes(self):
        parser = RecordParser(list_shape(), None)
        parser.advance("caf\u00e9 ".encode())
        assert parser.column == 5

    def test_a_position_is_found_in_the_bytes_kept(self):
        parser = RecordParser(list_shape(), None)
        data = "ab\r\ncaf\u00e9<x>\ny".encode()
        assert parser.offset(data, 2, 4) == data.index(b"<x>")
        assert parser.offset(data, 3, 0) == data.index(b"y")
        assert parser.offset(data, 5, 0) is None

    def test_a_position_on_a_line_begun_before_the_bytes_kept_counts_from_there(self):
        parser = RecordParser(list_shape(), None)
        parser.marks = [(1, 10, False)] * 2
        assert parser.offset(b"abc\nd", 2, 12) == 2
        assert parser.offset(b"abc\nd", 2, 9) is None
        parser.marks = [(1, 0, True)] * 2
        assert parser.offset(b"\nabc", 2, 1) == 2


class TestNotedIds:
    def test_an_unreadable_records_id_is_noted_from_its_fields_or_bytes(self):
        shape = list_shape()
        parser = RecordParser(shape, None)
        parser.seeking_id = True
        parser.note_id(ElementTree.fromstring("<r><ResponseID> 17 </ResponseID></r>"), b"")
        assert shape.unreadable_ids == ["17"] and not parser.seeking_id
        parser.note_id(ElementTree.fromstring("<r><response_id>18</response_id></r>"), b"")
        assert shape.unreadable_ids == ["17"]
        parser.seeking_id = True
        parser.note_id(ElementTree.fromstring("<r response_id='19'/>"), b"")
        parser.seeking_id = True
        parser.note_id(None, b"<blast_id>2</blast_id><response_id>20</response_id>")
        parser.seeking_id = True
        parser.note_id(None, b'<r responseId="21">')
        parser.seeking_id = True
        parser.note_id(ElementTree.fromstring("<r><response_id> </response_id></r>"), b"")
        assert shape.unreadable_ids == ["17", "19", "20", "21"] and parser.seeking_id


class TestEnds:
    def test_an_empty_body_is_no_data_only_where_its_end_was_framed(self):
        assert list(iter_records([b""], list_shape())) == []
        assert list(iter_records([b"  \n "], list_shape())) == []
        with pytest.raises(TransientError) as raised:
            list(iter_records([b""], list_shape(), framed=False))
        assert str(raised.value) == (
            "empty body, with no Content-Length or chunks to say it ended"
        )

    def test_an_error_where_a_record_should_be_is_an_error_document(self):
        body = b"<comments><comment><id>1</id></comment><Error>Date range too large</Error>"
        with pytest.raises(UnexpectedBodyError) as raised:
            list(iter_records([body + b"</comments>"], list_shape("comment")))
        assert raised.value.kind == "an error document (an error where a record should be)"
        assert raised.value.snippet == "<Error>Date range too large</Error>"

    def test_records_of_only_text_beside_records_with_fields_are_counted_empty(self):
        shape = list_shape("comment")
        body = b"<comments><comment><id>1</id></comment><note>hi</note><x/></comments>"
        assert list(iter_records([body], shape)) == [{"id": "1"}]
        assert shape.empty_records == 2

    def test_at_most_fifty_record_names_are_kept_for_the_report(self):
        shape = list_shape("comment")
        body = "".join(f"<r{n}><id>{n}</id></r{n}>" for n in range(60))
        assert len(list(iter_records([f"<list>{body}</list>".encode()], shape))) == 60
        assert len(shape.records) == 50

    def test_a_parser_without_flush_is_left_as_it_is(self):
        flushed(object())
        calls = []
        flushed(types.SimpleNamespace(flush=lambda: calls.append(1)))
        assert calls == [1]


class TestCountsAcrossAnswers:
    def test_values_cut_and_characters_repaired_add_up_over_a_tables_answers(self):
        shape = list_shape("comment")
        long = "x" * (2**20 + 1)
        body = f"<comments><c><id>1</id><t>{long}</t><u>{long}</u></c></comments>".encode()
        list(iter_records([body], shape))
        list(iter_records([body], shape))
        assert shape.cut_values == 4
        broken = b"<comments><c><id>1</id><t>a\x01b\x02</t></c></comments>"
        list(iter_records([broken], shape))
        list(iter_records([broken], shape))
        assert shape.repaired == 4

    def test_a_declared_encoding_is_read_as_declared(self):
        body = "<?xml version='1.0' encoding='latin-1'?><l><c><t>caf\u00e9</t></c></l>"
        (record,) = iter_records([body.encode("latin-1")], list_shape("comment"))
        assert record == {"t": "caf\u00e9"}

    def test_an_answer_may_hold_100_unreadable_records_and_no_more(self):
        good = b"<c><id>1</id></c>"
        bad = b"<c><id>2</id><t>a<br>b</t></c>"
        shape = list_shape("comment")
        read = list(iter_records([b"<l>" + good + bad * 100 + good + b"</l>"], shape))
        assert len([r for r in read if r]) == 2 and shape.unreadable == 100
        with pytest.raises(ApiError) as raised:
            list(iter_records([b"<l>" + good + bad * 101 + b"</l>"], list_shape("comment")))
        assert str(raised.value) == "malformed XML: more than 100 records unreadable"


class TestNoErrorSaid:
    @pytest.mark.parametrize("attributes", ["error='0'", "error_count='0' status='ok'"])
    def test_a_list_whose_root_says_no_error_is_read(self, attributes):
        body = f"<comments {attributes}><comment><id>1</id></comment></comments>".encode()
        assert list(iter_records([body], list_shape("comment"))) == [{"id": "1"}]

    def test_a_dated_tables_list_saying_no_error_lands_its_rows(self, captured, api):
        record = "<thermometer_blast_response><response_id>7</response_id><blast_id>2</blast_id>"
        record += "<thermometer_id>3</thermometer_id><date_submitted>2026-11-20 08:00:00"
        record += "</date_submitted></thermometer_blast_response>"
        body = f"<thermometer_blast_responses error='0' error_count='0'>{record}"
        api.script("getBlastResults", (200, body + "</thermometer_blast_responses>"))
        run_scripted(api)
        assert [row["response_id"] for row in captured.rows("blast_result")] == [7]
