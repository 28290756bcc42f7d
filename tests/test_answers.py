"""Unit tests of customer_thermometer/answers.py: a list answer read into its records, what it
counts as unreadable or keyless, and when it fails its table."""

import sys
from datetime import datetime

import pytest
import requests

from customer_thermometer import answers
from customer_thermometer.answers import (
    Answer,
    CountWitness,
    KeyTexts,
    fetch_list,
    key_packer,
    names_every,
)
from customer_thermometer.errors import ApiError, AuthenticationError, WindowTimeoutError
from customer_thermometer.specs import TABLE_SPECS
from tests.conftest import API_KEY, UNDER_EVERY_PARSER, day
from tests.support import (
    SCRIPTED_STATE,
    SCRIPTED_SUMMARY,
    blast_xml,
    comments_body,
    keyed_record,
    refused_in_every_form,
    run,
    run_scripted,
    sync_context,
    the_failure,
)


@UNDER_EVERY_PARSER
class TestBodies:
    def test_a_plain_text_list_body_is_an_error_logged_with_its_start(self, captured, api):
        api.script(
            "getComments", *refused_in_every_form((200, "Unknown method, please read it " * 20))
        )
        with pytest.raises(RuntimeError, match="comment"):
            run()
        (error,) = [m for m in captured.messages("error") if "getComments" in m]
        assert "Unknown method, please read" in error
        assert len(error) < 500

    def test_a_root_holding_a_rejected_key_message_is_a_rejected_key(self, captured, api):
        api.script("getBlastResults", (200, "<?xml version='1.0'?><error>Invalid API Key</error>"))
        with pytest.raises(AuthenticationError, match="rejected the API key"):
            run()
        assert len(api.queries) == 1 and captured.checkpoints == []


@UNDER_EVERY_PARSER
class TestRecords:
    def test_records_missing_a_primary_key_are_skipped_counted_and_named(self, captured, api):
        body = blast_xml(
            {
                "response_id": "1",
                "blast_id": "2",
                "thermometer_id": "3",
                "date_submitted": "2026-11-20 08:15:00",
            },
            {"response_id": "7", "thermometer_id": "3", "date_submitted": "2026-11-20 08:15:00"},
            {"response_id": "8", "blast_id": "2", "thermometer_id": "3", "date_submitted": None},
        )
        api.script("getBlastResults", (200, body))
        run_scripted(api)
        assert [row["response_id"] for row in captured.rows("blast_result")] == [1]
        warnings = [m for m in captured.messages("warning") if "primary-key" in m]
        assert any("'blast_id'" in m and "blast_result" in m for m in warnings)
        assert any("'date_submitted'" in m for m in warnings)
        (summary,) = [m for m in captured.messages("info") if m.startswith(SCRIPTED_SUMMARY)]
        assert "2 skipped" in summary


@UNDER_EVERY_PARSER
class TestARecordAloneIsTheUnitOfFailure:
    @pytest.mark.parametrize(
        "fields, named",
        [
            ({"response_id": str(2**63)}, "response_id"),
            ({"response_id": "18446744073709551616"}, "response_id"),
            ({"response_id": None}, "response_id"),
            ({"response_id": ""}, "response_id"),
            ({"date_submitted": None}, "date_submitted"),
            ({"date_submitted": "0000-00-00 00:00:00"}, "date_submitted"),
            ({"blast_id": "x"}, "blast_id"),
        ],
    )
    def test_a_lone_record_whose_key_cannot_be_read_is_skipped_and_the_table_goes_on(
        self, captured, api, fields, named
    ):
        api.script("getBlastResults", (200, blast_xml(keyed_record(**fields))))
        run_scripted(api)  # no table fails
        assert captured.rows("blast_result") == [] and captured.messages("error") == []
        (warning,) = [m for m in captured.messages("warning") if "primary-key" in m]
        assert warning.startswith(
            f"blast_result: skipped a record without a primary-key value for '{named}'"
        )
        (summary,) = [m for m in captured.messages("info") if m.startswith(SCRIPTED_SUMMARY)]
        assert "1 skipped" in summary
        (saved,) = captured.checkpoints  # the sync succeeded; no record moved the cursor
        assert saved["blast_result_cursor"] == SCRIPTED_STATE["blast_result_cursor"]

    def test_a_lone_record_that_cannot_be_read_at_all_is_skipped_and_the_table_goes_on(
        self, captured, api
    ):
        api.script("getComments", (200, comments_body(b"<br>")))
        run_scripted(api)
        assert captured.rows("comment") == [] and captured.messages("error") == []
        (summary,) = [m for m in captured.messages("info") if m.startswith("comment: 2026-11-18")]
        assert "1 skipped" in summary

    def test_records_that_name_no_key_field_still_fail_the_table_as_a_shape(self, captured, api):
        body = blast_xml({"ResponseID": "1", "DateSubmitted": "2026-11-20 08:15:00"})
        api.script("getBlastResults", (200, body))
        with pytest.raises(RuntimeError, match="blast_result"):
            run_scripted(api)
        (error,) = captured.messages("error")
        assert "answered 1 record, none with the primary key" in error

    def test_one_record_naming_the_key_clears_the_shape_whatever_comes_before(self, captured, api):
        body = blast_xml(
            {"note": "a"}, {"note": "b"}, keyed_record(response_id=""), keyed_record(note="c")
        )
        api.script("getBlastResults", (200, body))
        run_scripted(api)
        assert [row["response_id"] for row in captured.rows("blast_result")] == [1]


@UNDER_EVERY_PARSER
class TestIdsThatTypeToOneKey:
    @pytest.mark.parametrize(
        "first, later",
        [("7", "007"), ("007", "7"), ("10", "1_0"), ("3", "\u0663"), ("4", " +4"), ("-0", "0")],
    )
    def test_two_texts_read_as_one_key_are_a_warning_naming_both(
        self, captured, api, first, later
    ):
        body = blast_xml(
            keyed_record(response_id=first, comment="first"),
            keyed_record(response_id="99"),
            keyed_record(response_id=later, comment="later"),
        )
        api.script("getBlastResults", (200, body))
        run_scripted(api)
        (warning,) = [m for m in captured.messages("warning") if "read as one key" in m]
        assert warning == (
            f"blast_result: two records of one answer whose texts differ, response_id "
            f"{first!r} and {later!r}, are read as one key; the later record's row is the one "
            f"kept"
        )
        upserted = [row.get("comment") for row in captured.rows("blast_result")]
        assert upserted == ["first", None, "later"]  # the warehouse keeps the last upsert

    def test_each_differing_field_is_named(self, captured, api):
        body = blast_xml(
            keyed_record(blast_id="2", thermometer_id="3"),
            keyed_record(blast_id="02", thermometer_id="+3"),
        )
        api.script("getBlastResults", (200, body))
        run_scripted(api)
        (warning,) = [m for m in captured.messages("warning") if "read as one key" in m]
        assert "blast_id '2' and '02', thermometer_id '3' and '+3', are" in warning

    @pytest.mark.parametrize("text", ["7", "007"])
    def test_the_same_text_twice_is_no_warning(self, captured, api, text):
        body = blast_xml(keyed_record(response_id=text), keyed_record(response_id=text))
        api.script("getBlastResults", (200, body))
        run_scripted(api)
        assert not [m for m in captured.messages("warning") if "read as one key" in m]

    def test_distinct_keys_with_odd_texts_are_no_warning(self, captured, api):
        body = blast_xml(
            keyed_record(response_id="007"),
            keyed_record(response_id="7", date_submitted="2026-11-20 08:15:01"),
            keyed_record(response_id="8"),
            keyed_record(response_id="08", blast_id="5"),
        )
        api.script("getBlastResults", (200, body))
        run_scripted(api)
        assert not [m for m in captured.messages("warning") if "read as one key" in m]
        assert len(captured.rows("blast_result")) == 4


@UNDER_EVERY_PARSER
class TestListShapes:
    def test_an_answer_whose_records_all_lack_the_key_fails_the_table(self, captured, api):
        body = "<response><error><code>7</code><message>try later</message></error></response>"
        api.script("getThermometers", (200, body))
        with pytest.raises(RuntimeError, match="thermometer"):
            run()
        (error,) = captured.messages("error")
        assert "none with the primary key" in error and "getThermometers" in error


@UNDER_EVERY_PARSER
class TestOneBadRecordNeverStallsATable:
    def test_records_that_cannot_be_read_are_counted_in_the_answer(self, captured, api):
        api.script("getComments", (200, comments_body(b"ok", b"<br>", b"<br>", b"ok", b"<br>")))
        run_scripted(api)
        assert sorted(row["response_id"] for row in captured.rows("comment")) == [100, 103]
        summary = [m for m in captured.messages("info") if m.startswith("comment: 20")]
        assert summary and "3 skipped" in summary[-1]
        (warning,) = [m for m in captured.messages("warning") if "could not read" in m]
        assert "skipped 3 records" in warning and "'101', '102', '104'" in warning

    def test_an_answer_of_more_than_100_records_that_cannot_be_read_fails_its_table(
        self, captured, api
    ):
        failure = the_failure(
            api, captured, "comment", "getComments", (200, comments_body(*[b"<br>"] * 101))
        )
        assert "malformed XML: more than 100 records unreadable" in failure


def at(text):
    """Return a datetime from YYYY-MM-DD HH:MM."""
    return datetime.fromisoformat(text)


def blast_row(response_id, submitted=None, sent=None, blast="b1"):
    """Return a typed blast_result row (as build_row makes it) with these dates."""
    row = {"response_id": response_id, "blast_id": blast, "thermometer_id": "t1"}
    if submitted:
        row["date_submitted"] = at(submitted)
    if sent:
        row["blast_date"] = at(sent)
    return row


class TestAnswer:
    def test_keys_are_filed_under_the_day_of_the_date_the_filter_follows(self):
        answer = Answer()
        rows = [
            blast_row("1", "2026-11-20 08:00", "2026-11-18 09:00"),
            blast_row("2", "2026-11-20 23:59", "2026-11-19 09:00"),
            blast_row("3", "2026-11-21 00:00", "2026-11-19 10:00"),
            blast_row("4", "2026-11-20 07:00", "2026-11-17 10:00"),
        ]
        days = [answer.add(row, row["response_id"]) for row in rows]
        assert days == [day("2026-11-20"), day("2026-11-20"), day("2026-11-21"), day("2026-11-20")]
        assert answer.keys_by_day == {day("2026-11-20"): {"1", "2", "4"}, day("2026-11-21"): {"3"}}
        assert answer.keys() == {"1", "2", "3", "4"}
        assert answer.span("date_submitted") == (day("2026-11-20"), day("2026-11-21"))
        assert answer.span("blast_date") == (day("2026-11-17"), day("2026-11-19"))

    def test_a_filter_following_the_send_date_files_by_it(self):
        answer = Answer(field="blast_date")
        assert answer.add(blast_row("1", "2026-11-20 08:00", "2026-11-18 09:00"), "1") == day(
            "2026-11-18"
        )
        assert answer.span("blast_date") == (day("2026-11-18"), day("2026-11-18"))
        assert answer.span("date_submitted") == (day("2026-11-20"), day("2026-11-20"))

    def test_the_other_dates_span_grows_either_way_from_its_first(self):
        answer = Answer()
        for sent in (
            "2026-11-10 12:00",
            "2026-11-12 12:00",
            "2026-11-08 12:00",
            "2026-11-11 12:00",
        ):
            answer.add(blast_row("1", "2026-11-20 08:00", sent), "1")
        assert answer.span("blast_date") == (day("2026-11-08"), day("2026-11-12"))

    def test_a_record_without_the_date_is_keyed_but_filed_under_no_day(self):
        answer = Answer()
        assert answer.add(blast_row("1", sent="2026-11-18 09:00"), "1") is None
        assert answer.keys_by_day == {} and answer.keys() == set()
        assert answer.span("date_submitted") == (None, None)
        assert answer.span("blast_date") == (day("2026-11-18"), day("2026-11-18"))
        assert Answer().span("blast_date") == (None, None)

    def test_a_key_added_before_is_a_repeat_of_that_record_only(self):
        answer = Answer(field="blast_date")
        row = blast_row("1", "2026-11-20 08:00", "2026-11-18 09:00")
        repeats = []
        for added in (row, row, blast_row("1", "2026-11-20 08:00"), row):
            answer.add(added, "1")
            repeats.append(answer.repeated)
        assert repeats == [False, True, False, True]  # one without the date is filed nowhere

    def test_a_day_seen_again_after_another_keeps_its_earlier_keys(self):
        answer = Answer()
        answer.add(blast_row("1", "2026-11-20 08:00"), "1")
        answer.add(blast_row("2", "2026-11-21 08:00"), "2")
        answer.add(blast_row("3", "2026-11-20 09:00"), "3")
        assert answer.keys_by_day[day("2026-11-20")] == {"1", "3"}

    def test_blasts_and_the_longest_lag_are_tracked_only_when_asked(self):
        answer = Answer(field="blast_date", track_blasts=True, track_lag=True)
        answer.add(blast_row("1", "2026-11-20 08:00", "2026-11-18 23:00", blast="b7"), "1")
        answer.add(blast_row("2", "2026-11-25 08:00", "2026-11-19 01:00", blast="b8"), "2")
        answer.add(blast_row("3", "2026-11-19 08:00", "2026-11-19 02:00", blast="b8"), "3")
        assert answer.blast_of == {"1": "b7", "2": "b8", "3": "b8"}
        assert answer.lag_days == 6
        plain = Answer()
        plain.add(blast_row("1", "2026-11-20 08:00", "2026-11-18 23:00"), "1")
        assert plain.blast_of is None and plain.lag_days is None

    def test_a_lag_needs_the_submission_date(self):
        answer = Answer(field="blast_date", track_lag=True)
        answer.add(blast_row("1", sent="2026-11-18 23:00"), "1")
        assert answer.lag_days == 0

    def test_kept_days_include_both_ends(self):
        answer = Answer(keep_days=(day("2026-11-20"), day("2026-11-22")))
        kept = [answer.keeps(day(f"2026-11-{d}")) for d in (19, 20, 21, 22, 23)]
        assert kept == [False, True, True, True, False]

    def test_a_new_answer_holds_nothing(self):
        answer = Answer()
        assert (answer.count, answer.new, answer.any_named, answer.some_unnamed) == (
            0,
            0,
            False,
            False,
        )
        assert (answer.new_days, answer.bytes, answer.repeated) == (set(), 0, False)
        assert answer.keep_days is None and answer.field == "date_submitted"
        assert answer.other == "blast_date"


class TestCountWitness:
    def test_a_count_is_usable_once_it_agreed_and_until_it_proves_unusable(self):
        witness = CountWitness()
        assert not witness.usable and witness.above == 0 and witness.unusable is None
        witness.agreed += 1
        assert witness.usable
        witness.unusable = "it counted fewer records than a list held"
        assert not witness.usable


def blast_records(*rows):
    """Return a getBlastResults body of (response_id, date_submitted, comment or None) rows."""
    return blast_xml(
        *(
            keyed_record(response_id=rid, date_submitted=submitted)
            | ({"comment": comment} if comment else {})
            for rid, submitted, comment in rows
        )
    )


WINDOW = {"fromDate": "2026-11-20", "toDate": "2026-11-23"}


class TestUpsertAnswer:
    ROWS = (
        ("1", "2026-11-20 08:00:00", "great"),
        ("2", "2026-11-21 08:00:00", None),
        ("3", "2026-11-22 08:00:00", "fine"),
    )

    def fetched(self, api, table="blast_result", body=None, headers=None, **options):
        method = TABLE_SPECS[table]["method"]
        api.script(method, (200, body or blast_records(*self.ROWS), headers or {}))
        context = sync_context()
        answer = fetch_list(
            context, table, {"fromDate": "2026-11-20", "toDate": "2026-11-23"}, **options
        )
        return context, answer

    def test_every_record_is_upserted_once_and_counted(self, captured, api):
        context, answer = self.fetched(api)
        assert [row["response_id"] for row in captured.rows("blast_result")] == [1, 2, 3]
        assert (answer.count, answer.new) == (3, 3)
        assert context.tally == {
            day("2026-11-20"): {1: at("2026-11-20 08:00")},
            day("2026-11-22"): {3: at("2026-11-22 08:00")},
        }  # the responses with a comment, and their dates

    def test_an_answer_knows_its_bytes_and_the_oldest_day_of_its_new_records(self, captured, api):
        body = blast_records(*self.ROWS)
        key = blast_key(blast_id=2, response_id=1, thermometer_id=3)
        delivered = {day("2026-11-20"): {key(date_submitted=at("2026-11-20 08:00"))}}
        _, answer = self.fetched(api, body=body, delivered=delivered)
        assert answer.bytes == len(body.encode())
        assert answer.new_days == {day("2026-11-21"), day("2026-11-22")}  # 11-20's came before

    def test_records_delivered_earlier_in_the_sync_are_not_upserted_again(self, captured, api):
        key = blast_key(blast_id=2, response_id=2, thermometer_id=3)
        delivered = {day("2026-11-21"): {key(date_submitted=at("2026-11-21 08:00"))}}
        _, answer = self.fetched(api, delivered=delivered)
        assert [row["response_id"] for row in captured.rows("blast_result")] == [1, 3]
        assert (answer.count, answer.new) == (3, 2)
        assert answer.keys_by_day[day("2026-11-21")] == delivered[day("2026-11-21")]

    def test_only_the_kept_days_are_upserted(self, captured, api):
        def kept():
            return Answer(keep_days=(day("2026-11-21"), day("2026-11-22")))

        context, answer = self.fetched(api, answer_of=kept)
        assert [row["response_id"] for row in captured.rows("blast_result")] == [2, 3]
        assert (answer.count, answer.new) == (3, 2)
        assert len(answer.keys()) == 3
        assert context.tally == {day("2026-11-22"): {3: at("2026-11-22 08:00")}}

    def test_comments_are_tallied_only_from_blast_results(self, captured, api):
        body = comments_body(b"nice", b"also nice")
        context, answer = self.fetched(api, table="comment", body=body)
        assert answer.count == 2 and context.tally == {}

    def test_an_unreadable_record_is_counted_in_the_answer_and_skipped(self, captured, api):
        body = blast_records(*self.ROWS).replace("<comment>fine", "<oops><comment>fine")
        context, answer = self.fetched(api, body=body)
        assert answer.count == 3 and answer.new == 2
        assert context.table_stats("blast_result")["skipped"] == 1

    def test_progress_is_looked_at_every_64_records(self, captured, api, monkeypatch):
        looks = []
        monkeypatch.setattr(answers, "note_progress", lambda context, table: looks.append(table))
        rows = [(str(n), "2026-11-20 08:00:00", None) for n in range(130)]
        self.fetched(api, body=blast_records(*rows))
        assert looks == ["blast_result"] * 3


class TestFetchListSays:
    def fetched(self, api, *answers, **options):
        api.script("getBlastResults", *answers)
        context = sync_context()
        try:
            return fetch_list(context, "blast_result", WINDOW, **options)
        finally:
            context.close()

    def test_records_none_of_which_has_the_key_fail_the_answer_by_name(self, captured, api):
        body = blast_xml({"comment": "a"}, {"comment": "b"})
        with pytest.raises(ApiError) as raised:
            self.fetched(api, (200, body))
        assert str(raised.value) == (
            "getBlastResults 2026-11-20..2026-11-23 answered 2 records, none with the primary "
            "key ['blast_id', 'response_id', 'thermometer_id', 'date_submitted']: a shape the "
            "connector cannot land (see the shape report)"
        )

    def test_a_body_refusing_the_key_names_the_request_and_masks_the_key(self, captured, api):
        with pytest.raises(AuthenticationError) as raised:
            self.fetched(api, (200, f"Invalid API key {API_KEY}"))
        assert "getBlastResults 2026-11-20..2026-11-23" in str(raised.value)
        assert "***" in str(raised.value) and API_KEY not in str(raised.value)

    def test_a_body_that_is_not_xml_is_quoted_masked(self, captured, api):
        with pytest.raises(ApiError) as raised:
            self.fetched(api, (200, f"Maintenance for {API_KEY}"))
        assert str(raised.value) == (
            "getBlastResults 2026-11-20..2026-11-23 answered a body that is not XML: "
            "'Maintenance for ***'"
        )

    def test_an_error_naming_what_the_body_declared_masks_the_key(self, captured, api):
        body = f'<?xml version="1.0" encoding="{API_KEY}"?><list/>'
        with pytest.raises(ApiError) as raised:
            self.fetched(api, (200, body))
        assert str(raised.value).startswith("getBlastResults 2026-11-20..2026-11-23: ")
        assert "***" in str(raised.value) and API_KEY not in str(raised.value)

    def test_a_time_out_splits_only_when_asked(self, captured, api):
        timeout = requests.exceptions.ReadTimeout("read timed out")
        with pytest.raises(WindowTimeoutError):
            self.fetched(api, timeout, split_on_timeout=True)
        assert len(api.queries) == 1
        assert self.fetched(api, timeout, (200, blast_records(("1", "2026-11-20 08:00:00", None))))

    def test_an_empty_chunked_body_is_an_empty_answer(self, captured, api):
        answer = self.fetched(api, (200, "", {"Transfer-Encoding": "chunked"}))
        assert answer.count == 0 and len(api.queries) == 1


class TestFraming:
    def fetched(self, api, *answers):
        api.script("getBlastResults", *answers)
        context = sync_context()
        try:
            return fetch_list(context, "blast_result", WINDOW)
        finally:
            context.close()

    def test_an_empty_body_with_its_length_is_an_empty_answer(self, captured, api):
        assert self.fetched(api, (200, "", {"Content-Length": "0"})).count == 0
        assert len(api.queries) == 1

    def test_an_empty_body_of_no_known_end_is_retried(self, captured, api, monkeypatch):
        monkeypatch.setattr(answers, "CONTENT_LENGTH", "X-No-Such-Header")
        answer = self.fetched(
            api,
            (200, "", {"Transfer-Encoding": "identity"}),
            (200, "", {"Transfer-Encoding": "Chunked"}),
        )
        assert answer.count == 0 and len(api.queries) == 2


def blast_key(**values):
    """Return a maker of blast_result keys: these values packed with those it is given."""
    return lambda **more: key_packer("blast_result")({**values, **more})


class TestPackedKeys:
    @pytest.mark.parametrize(
        "a, b",
        [
            ({"response_id": 1}, {"response_id": 2}),
            ({"response_id": -1}, {"response_id": 0}),
            ({"response_id": 2**63 - 1}, {"response_id": -(2**63)}),
            ({"blast_id": 1, "response_id": 2}, {"blast_id": 2, "response_id": 1}),
            ({"thermometer_id": 0}, {"thermometer_id": 1}),
            (
                {"date_submitted": datetime(2026, 1, 1, 0, 0, 1)},
                {"date_submitted": datetime(2026, 1, 1)},
            ),
            (
                {"date_submitted": datetime(2026, 1, 1, 0, 0, 0, 1)},
                {"date_submitted": datetime(2026, 1, 1)},
            ),
        ],
    )
    def test_distinct_keys_pack_to_distinct_ints(self, a, b):
        base = {"blast_id": 7, "response_id": 8, "thermometer_id": 9}
        base["date_submitted"] = datetime(2026, 11, 20, 8, 15)
        key = blast_key(**base)
        assert key(**a) != key(**b)
        assert key(**a) == key(**a)

    def test_each_value_takes_its_own_8_bytes(self):
        row = {"response_id": 5, "date_submitted": datetime(1, 1, 1, 0, 0, 0, 3)}
        assert key_packer("comment")(row) == bytes(7) + b"\x05" + bytes(7) + b"\x03"
        assert key_packer("thermometer")({"id": -(2**63)}) == b"\x80" + bytes(7)
        row = {"blast_id": 1, "response_id": 2, "thermometer_id": 3}
        row["date_submitted"] = datetime(1, 1, 1, 0, 0, 0, 4)
        packed = key_packer("blast_result")(row)
        assert packed == b"".join(bytes(7) + bytes([n]) for n in (1, 2, 3, 4))

    def test_a_packed_key_is_smaller_than_the_tuple_of_its_values(self):
        row = {"blast_id": 9004, "response_id": 123456, "thermometer_id": 10}
        row["date_submitted"] = datetime(2026, 11, 20, 8, 15)
        values = [row[name] for name in TABLE_SPECS["blast_result"]["primary_key"]]
        as_tuple = sys.getsizeof(tuple(values)) + sum(map(sys.getsizeof, values))
        assert sys.getsizeof(key_packer("blast_result")(row)) * 3 < as_tuple


class TestKeyNames:
    @pytest.mark.parametrize(
        "fields, named",
        [
            ({"response_id": "1", "date_submitted": "x"}, True),
            ({"response_id": "", "response_date": "x"}, True),  # its fallback names it
            ({"response_id": "1"}, False),
            ({"date_submitted": "x", "response_date": "x"}, False),
            ({"response_id": "1", "blast_date": "x"}, False),
        ],
    )
    def test_a_record_names_the_key_fields_whatever_their_values(self, fields, named):
        assert names_every(fields, ["response_id", "date_submitted"]) is named

    def test_only_date_submitted_falls_back_to_response_date(self):
        assert not names_every({"response_date": "x"}, ["response_id"])


class TestNewRecords:
    def test_the_days_of_the_new_records_are_kept(self):
        answer = Answer()
        for text in ("2026-11-20", None, "2026-11-18", "2026-11-19"):
            answer.count_new(day(text) if text else None)
        assert answer.new == 4
        assert answer.new_days == {day("2026-11-20"), None, day("2026-11-18"), day("2026-11-19")}


class TestKeyTextsCheck:
    ROW = {"response_id": 7, "blast_id": 2, "thermometer_id": 3}

    def texts(self, **changed):
        return {"response_id": "7", "blast_id": "2", "thermometer_id": "3", **changed}

    def test_an_odd_text_met_first_is_named_when_a_plain_one_repeats_its_key(
        self, captured, context
    ):
        check = KeyTexts("blast_result").check
        check(context, self.texts(response_id="007"), self.ROW, "k", False)
        check(context, self.texts(), self.ROW, "k", True)
        assert captured.messages("warning") == [
            "blast_result: two records of one answer whose texts differ, response_id '007' and "
            "'7', are read as one key; the later record's row is the one kept"
        ]

    def test_odd_texts_are_remembered_per_key(self, captured, context):
        check = KeyTexts("blast_result").check
        check(context, self.texts(response_id="007"), self.ROW, "a", False)
        check(context, self.texts(response_id="0007"), self.ROW, "b", False)
        check(context, self.texts(response_id="0007"), self.ROW, "b", True)
        assert captured.messages("warning") == []

    def test_plain_texts_and_no_repeat_remember_nothing(self, captured, context):
        texts = KeyTexts("blast_result")
        texts.check(context, self.texts(), self.ROW, "a", False)
        texts.check(context, self.texts(blast_id="02"), self.ROW, "b", False)
        assert (
            texts.odd == {"b": ("02", "7", "3")} and captured.messages("warning") == []
        )  # key order
        assert KeyTexts("comment").names == ["response_id"]
