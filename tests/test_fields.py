"""Unit tests of customer_thermometer/fields.py: a record's elements and attributes as fields,
names normalised as Fivetran does, nested fields flattened, and values cut at their limit."""

from xml.etree import ElementTree

import pytest

from customer_thermometer import fields as fields_module
from customer_thermometer.errors import ApiError
from customer_thermometer.fields import (
    ListShape,
    cut_values,
    local_name,
    normalised_name,
    record_fields,
    unreserved,
)
from customer_thermometer.specs import TABLE_SPECS
from customer_thermometer.xml_stream import iter_records
from tests.conftest import UNDER_EVERY_PARSER
from tests.support import (
    blast_xml,
    keyed_record,
    list_shape,
    records_of,
    run_scripted,
    thermometers,
)


@UNDER_EVERY_PARSER
class TestRecords:
    def test_unknown_fields_are_kept_as_text_and_nested_ones_flattened(self, captured, api):
        record = keyed_record(
            nps_segment="0123",
            location="<country>GB</country><region><city>Leeds</city></region>",
        )
        api.script("getBlastResults", (200, blast_xml(record)))
        run_scripted(api)
        (row,) = captured.rows("blast_result")
        assert row["nps_segment"] == "0123"
        assert row["location_country"] == "GB"
        assert row["location_region_city"] == "Leeds"
        assert "location" not in row


@UNDER_EVERY_PARSER
class TestParser:
    @pytest.mark.parametrize(
        "tag, name",
        [
            ("TemperatureID", "temperature_id"),
            ("ID", "id"),
            ("custom_1", "custom_1"),
            ("Custom_1", "custom_1"),
            ("blastID", "blast_id"),
            ("DateSubmitted", "date_submitted"),
            ("XMLData", "xml_data"),
            ("first-name", "first_name"),
            ("{urn:ct}ResponseID", "response_id"),
        ],
    )
    def test_names_are_normalised_as_fivetran_names_columns(self, tag, name):
        assert normalised_name(tag) == name

    def test_capitalised_and_namespaced_names_are_read(self):
        body = (
            '<ct:Thermometers xmlns:ct="urn:ct"><ct:Thermometer><ct:ID>1</ct:ID>'
            "<ct:Name>Support</ct:Name></ct:Thermometer></ct:Thermometers>"
        )
        shape = list_shape("thermometer")
        assert records_of(body, shape=shape) == [{"id": "1", "name": "Support"}]
        assert shape.other_names() == (["Thermometers"], ["Thermometer"])

    def test_attributes_are_fields_and_nested_attributes_are_flattened(self):
        body = (
            '<thermometers><thermometer id="101" name="Support &amp; Care"/>'
            '<thermometer ID="102"><Name>Sales</Name><location country="GB"/></thermometer>'
            "</thermometers>"
        )
        assert records_of(body, "thermometer") == [
            {"id": "101", "name": "Support & Care"},
            {"id": "102", "name": "Sales", "location_country": "GB"},
        ]

    def test_nested_fields_are_flattened_and_never_overwrite_a_field(self):
        body = (
            "<comments><comment><response><id>999</id></response><response_id>1</response_id>"
            "<a><b><c>deep</c></b></a></comment></comments>"
        )
        assert records_of(body, "comment") == [
            {"response_id": "1", "response_id_2": "999", "a_b_c": "deep"}
        ]

    def test_mixed_content_keeps_all_its_text(self):
        body = "<comments><comment><comment>Hello <b>bold</b> world</comment></comment></comments>"
        assert records_of(body, "comment") == [{"comment": "Hello bold world"}]


@UNDER_EVERY_PARSER
class TestParserAbuse:
    def test_a_nested_id_never_overwrites_the_primary_key(self, captured, api):
        body = (
            "<thermometer_blast_responses><thermometer_blast_response>"
            "<response><id>999</id></response><response_id>1</response_id><blast_id>2</blast_id>"
            "<thermometer_id>3</thermometer_id>"
            "<date_submitted>2026-11-20 08:15:00</date_submitted>"
            "</thermometer_blast_response></thermometer_blast_responses>"
        )
        api.script("getBlastResults", (200, body))
        run_scripted(api)
        (row,) = captured.rows("blast_result")
        assert row["response_id"] == 1 and row["response_id_2"] == "999"

    def test_mixed_content_keeps_its_text(self, captured, api):
        body = (
            "<comments><comment><response_id>5</response_id><date_submitted>2026-11-20 08:15:00"
            "</date_submitted><comment>Hello <b>bold</b> world</comment></comment></comments>"
        )
        api.script("getComments", (200, body))
        run_scripted(api)
        (row,) = captured.rows("comment")
        assert row["comment"] == "Hello bold world"


@UNDER_EVERY_PARSER
class TestColumnsAndWidth:
    def test_fields_that_normalise_to_one_name_keep_their_columns_whatever_their_order(
        self, captured, api
    ):
        api.script(
            "getThermometers",
            (
                200,
                thermometers(
                    "<id>1</id><NPSScore>upper</NPSScore><nps_score>plain</nps_score>",
                    "<id>2</id><nps_score>plain</nps_score><NPSScore>upper</NPSScore>",
                ),
            ),
        )
        run_scripted(api)
        rows = {row["id"]: row for row in captured.rows("thermometer")}
        assert rows[1]["nps_score"] == rows[2]["nps_score"] == "plain"
        assert rows[1]["nps_score_2"] == rows[2]["nps_score_2"] == "upper"

    def test_fivetrans_own_column_names_are_renamed(self, captured, api):
        body = thermometers(
            "<id>1</id><_fivetran_synced>x</_fivetran_synced><_fivetran_deleted>"
            "true</_fivetran_deleted>"
        )
        api.script("getThermometers", (200, body))
        run_scripted(api)
        (row,) = captured.rows("thermometer")
        assert row == {"id": 1, "api_fivetran_synced": "x", "api_fivetran_deleted": "true"}

    def test_a_table_takes_at_most_500_new_columns_a_sync(self, captured, api):
        wide = "<id>1</id>" + "".join(f"<f{n}>v</f{n}>" for n in range(20000))
        api.script("getThermometers", (200, thermometers(wide, "<id>2</id><f0>w</f0>")))
        run_scripted(api)
        rows = {row["id"]: row for row in captured.rows("thermometer")}
        assert len(rows[1]) == 1 + 500 and rows[2] == {"id": 2, "f0": "w"}
        (dropped,) = [m for m in captured.messages("warning") if "dropped" in m]
        assert "dropped 19,500 fields" in dropped and "(and 19,450 more)" in dropped
        assert all(len(m) < 5000 for m in captured.messages())

    def test_a_value_past_one_megabyte_is_cut_with_a_warning(self, captured, api):
        big = "x" * (3 * 2**20)
        api.script("getThermometers", (200, thermometers(f"<id>1</id><name>{big}</name>")))
        run_scripted(api)
        (row,) = captured.rows("thermometer")
        assert len(row["name"]) == 2**20
        assert any("cut 1 value longer than 1,048,576" in m for m in captured.messages())

    def test_a_value_past_one_megabyte_in_an_attribute_is_cut(self, captured, api):
        big = "y" * (2 * 2**20)
        body = (
            '<thermometers><thermometer id="1" name="a"/>'
            f'<thermometer id="2" name="{big}"/><thermometer id="3" name="c"/></thermometers>'
        )
        chunks = [body.encode()[: 60 + len(big)], body.encode()[60 + len(big) :]]
        shape = ListShape(TABLE_SPECS["thermometer"])
        records = list(iter_records(chunks, shape))
        assert [len(r["name"]) for r in records] == [1, 2**20, 1] and shape.cut_values == 1

    def test_a_nested_fivetran_name_is_renamed_too(self, captured, api):
        body = thermometers("<id>1</id><_><fivetran_deleted>true</fivetran_deleted></_>")
        api.script("getThermometers", (200, body))
        run_scripted(api)
        (row,) = captured.rows("thermometer")
        assert row == {"id": 1, "api__fivetran_deleted": "true"}


def fields_of(xml, shape=None):
    """Return record_fields() of one record given as XML text."""
    return record_fields(ElementTree.fromstring(xml), shape or list_shape())


class TestRecordFields:
    def test_an_element_with_text_and_attributes_keeps_both(self):
        assert fields_of('<r><comment src="web">fine</comment></r>') == {
            "comment": "fine",
            "comment_src": "web",
        }

    def test_an_element_with_only_attributes_has_no_text_field(self):
        assert fields_of('<r><comment src="web"/></r>') == {"comment_src": "web"}

    def test_a_nested_elements_attributes_are_named_after_it(self):
        assert fields_of('<r><loc src="gps"><country>GB</country></loc></r>') == {
            "loc_src": "gps",
            "loc_country": "GB",
        }

    def test_a_name_met_twice_among_plain_elements_keeps_both(self):
        assert fields_of("<r><comment>1</comment><comment>2</comment></r>") == {
            "comment": "1",
            "comment_2": "2",
        }

    def test_a_namespaced_prefix_is_dropped(self):
        assert fields_of('<r xmlns:ns="urn:x"><ns:Comment>hi</ns:Comment></r>') == {
            "comment": "hi"
        }
        assert local_name("ns:tag") == "tag" and local_name("{urn:x}tag") == "tag"

    def test_a_record_nesting_past_32_levels_is_refused_by_name(self):
        deep = "<a>" * 33 + "x" + "</a>" * 33
        with pytest.raises(ApiError) as raised:
            fields_of(f"<rec>{deep}</rec>")
        assert str(raised.value) == "a <rec> record nests deeper than 32 levels: not a list"

    @pytest.mark.parametrize(
        "name, column",
        [
            ("_fivetran_synced", "api_fivetran_synced"),
            ("__fivetran_x", "api__fivetran_x"),
            ("fivetran_id", "fivetran_id"),
            ("_other", "_other"),
            ("_x_fivetran", "_x_fivetran"),
        ],
    )
    def test_only_fivetrans_own_names_are_renamed(self, name, column):
        assert unreserved(name) == column


class TestCutValues:
    def test_values_past_one_mebibyte_are_cut_and_counted(self):
        limit = 2**20
        fields = {"a": "x" * limit, "b": "y" * (limit + 1), "c": "z" * (limit + 5), "d": None}
        assert cut_values(fields) == 2
        assert [len(fields[name]) for name in "abc"] == [limit] * 3 and fields["d"] is None


class TestListShape:
    def test_a_new_shape_has_met_nothing(self):
        shape = list_shape()
        assert (shape.empty_records, shape.cut_values, shape.repaired, shape.unreadable) == (
            0,
            0,
            0,
            0,
        )
        assert shape.unreadable_ids == [] and shape.dropped_fields == set()
        assert shape.undeclared() == [] and shape.other_names() is None

    @pytest.mark.parametrize(
        "roots, records, other",
        [
            ({"thermometer_blast_responses"}, {"thermometer_blast_response"}, False),
            ({"thermometer_blast_responses"}, set(), False),
            ({"responses"}, {"thermometer_blast_response"}, True),
            ({"thermometer_blast_responses"}, {"response"}, True),
            ({"thermometer_blast_response"}, {"thermometer_blast_responses"}, True),
            ({"thermometer_blast_responses", "x"}, {"thermometer_blast_response"}, True),
        ],
    )
    def test_other_names_are_any_but_the_documented_ones(self, roots, records, other):
        shape = list_shape()
        shape.roots, shape.records = set(roots), set(records)
        assert (shape.other_names() is not None) == other
        if other:
            assert shape.other_names() == (sorted(roots), sorted(records))


class TestMaskedColumns:
    def shape(self):
        return ListShape(TABLE_SPECS["thermometer"], lambda name: name.replace("secret", "masked"))

    def test_a_name_holding_the_key_gets_its_masked_column_in_every_record(self):
        shape = self.shape()
        for _ in range(2):
            fields = fields_of("<t><id>1</id><a_secret>x</a_secret></t>", shape)
            assert fields == {"id": "1", "a_masked": "x"}
        assert "a_masked" in shape.fields and "a_secret" not in shape.fields
        assert shape.renamed == {"a_secret": "a_masked"}

    def test_a_masked_column_taken_by_another_field_gets_a_number(self):
        fields = fields_of("<t><a_masked>1</a_masked><a_secret>2</a_secret></t>", self.shape())
        assert fields == {"a_masked": "1", "a_masked_2": "2"}

    def test_masked_columns_count_towards_the_500(self, monkeypatch):
        monkeypatch.setattr(fields_module, "MAX_COLUMNS", 1)
        shape = self.shape()
        fields = fields_of("<t><b_secret>1</b_secret><c>2</c></t>", shape)
        assert fields == {"b_masked": "1"} and shape.dropped_fields == {"c"}

    def test_without_a_masker_names_are_kept(self):
        assert fields_of("<t><a_secret>x</a_secret></t>") == {"a_secret": "x"}
