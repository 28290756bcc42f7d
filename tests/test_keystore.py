"""The keys of a reconcile horizon as the state keeps them: every key read back exactly, a few
bytes each, and every corrupt saved value a state error that names it."""

import base64
import random
import zlib
from datetime import datetime, timedelta

import pytest

from customer_thermometer.answers import key_packer
from customer_thermometer.keystore import decoded_day, encoded_day, key_values, read_keys
from tests.conftest import TODAY, day

TOMORROW = TODAY + timedelta(days=1)


def blast_key(response_id, at, blast_id=9001, thermometer_id=11):
    """Return the packed key of a blast_result row."""
    row = {
        "blast_id": blast_id,
        "response_id": response_id,
        "thermometer_id": thermometer_id,
        "date_submitted": at,
    }
    return key_packer("blast_result")(row)


def a_day_of_keys(on, count, seed=1):
    """Return count blast_result keys of one day, as an account makes them."""
    rng = random.Random(seed)
    midnight = datetime(on.year, on.month, on.day)
    return {
        blast_key(
            100000 + 3 * n,
            midnight + timedelta(seconds=rng.randrange(86400)),
            blast_id=9000 + rng.randrange(24),
            thermometer_id=10 + rng.randrange(4),
        )
        for n in range(count)
    }


def saved(days, field="date_submitted", margin=0, table="blast_result"):
    """Return a state holding a table's keys, {day text: keys}."""
    texts = {text: encoded_day(table, day(text), keys) for text, keys in days.items()}
    return {f"{table}_keys": {"field": field, "margin": margin, "days": texts}}


class TestEveryKeyReadBack:
    def test_a_days_keys_are_read_back_exactly(self):
        keys = a_day_of_keys(TODAY, 300)
        assert decoded_day("blast_result", TODAY, encoded_day("blast_result", TODAY, keys)) == keys

    def test_odd_keys_are_read_back_exactly(self):
        keys = {
            blast_key(-(2**63), datetime(2026, 11, 26, 0, 0, 0), -5, 2**63 - 1),
            blast_key(2**63 - 1, datetime(2026, 11, 26, 23, 59, 59, 999999), 0, -1),
            blast_key(7, datetime(2026, 11, 28, 3, 0, 0, 5)),  # another day than it is filed on
            blast_key(8, datetime(2026, 11, 20, 3, 0, 0)),
        }
        text = encoded_day("blast_result", TODAY, keys)
        assert decoded_day("blast_result", TODAY, text) == keys

    def test_a_comments_keys_are_read_back_exactly(self):
        pack = key_packer("comment")
        keys = {
            pack({"response_id": n, "date_submitted": datetime(2026, 11, 26, n % 24, n % 60)})
            for n in range(1, 200, 7)
        }
        assert decoded_day("comment", TODAY, encoded_day("comment", TODAY, keys)) == keys

    def test_no_keys_read_back_as_none(self):
        assert decoded_day("comment", TODAY, encoded_day("comment", TODAY, set())) == set()

    def test_a_key_reads_back_as_the_row_values_it_packs(self):
        at = datetime(2026, 11, 26, 8, 15, 0, 250)
        assert key_values("blast_result", blast_key(123, at, 9, 4)) == {
            "blast_id": 9,
            "response_id": 123,
            "thermometer_id": 4,
            "date_submitted": at,
        }

    def test_a_response_takes_a_few_bytes(self):
        text = encoded_day("blast_result", TODAY, a_day_of_keys(TODAY, 1000))
        assert len(text) < 9 * 1000  # as packed bytes in base64, 43 a key

    def test_the_order_keys_come_in_changes_nothing(self):
        keys = sorted(a_day_of_keys(TODAY, 50))
        forward = encoded_day("blast_result", TODAY, keys)
        assert encoded_day("blast_result", TODAY, list(reversed(keys))) == forward


class TestSavedKeys:
    def test_none_saved_is_none(self):
        assert read_keys({}, "comment", TOMORROW) is None

    def test_saved_keys_are_read_with_their_filter_and_margin(self):
        keys = a_day_of_keys(TODAY, 5)
        state = saved({TODAY.isoformat(): keys, TOMORROW.isoformat(): set()}, "blast_date", 1)
        store = read_keys(state, "blast_result", TOMORROW)
        assert store.field == "blast_date" and store.margin == 1
        assert store.days == {TODAY: keys, TOMORROW: set()}

    @pytest.mark.parametrize(
        "value",
        [
            "keys",
            [],
            {"field": "date_submitted", "margin": 0},
            {"field": "date_submitted", "margin": 0, "days": {}, "more": 1},
            {"field": "sent", "margin": 0, "days": {}},
            {"field": "date_submitted", "margin": 2, "days": {}},
            {"field": "date_submitted", "margin": -1, "days": {}},
            {"field": "date_submitted", "margin": True, "days": {}},
            {"field": "date_submitted", "margin": "0", "days": {}},
            {"field": "date_submitted", "margin": 0, "days": []},
            {"field": "date_submitted", "margin": 0, "days": {"2026-11-26": 5}},
            {"field": "date_submitted", "margin": 0, "days": {"2026-11-26": "not base64!"}},
            {"field": "date_submitted", "margin": 0, "days": {"2026-11-26": "bm90IHpsaWI="}},
            {"field": "date_submitted", "margin": 0, "days": {"2026-11-26": "é"}},
            {"field": "date_submitted", "margin": 0, "days": {"20261126": ""}},
            {"field": "date_submitted", "margin": 0, "days": {"2026-11-28": ""}},
            {"field": "date_submitted", "margin": 0, "days": {"1969-12-31": ""}},
        ],
    )
    def test_a_corrupt_value_is_a_state_error_naming_it(self, value):
        with pytest.raises(ValueError) as raised:
            read_keys({"comment_keys": value}, "comment", TOMORROW)
        message = str(raised.value)
        assert message.startswith("State 'comment_keys' is ")
        assert "the next sync saves the keys again and deletes nothing" in message

    def test_keys_that_stop_midway_are_a_state_error(self):
        text = encoded_day("blast_result", TODAY, a_day_of_keys(TODAY, 3))
        data = zlib.decompress(base64.b64decode(text))
        for cut in (data[:-1], data[:-3], data + b"\x80", data + b"\x01"):
            bad = base64.b64encode(zlib.compress(cut)).decode()
            with pytest.raises(ValueError):
                decoded_day("blast_result", TODAY, bad)

    def test_microseconds_past_a_second_are_a_state_error(self):
        data = bytes([2, 2, 2, 0]) + bytes([0xC0, 0x84, 0x3D])  # 1,000,000 microseconds
        with pytest.raises(ValueError):
            decoded_day("blast_result", TODAY, base64.b64encode(zlib.compress(data)).decode())


class TestKeysOfTheirDay:
    def test_a_key_off_its_day_is_a_state_error_under_the_submission_date(self):
        off = {blast_key(5, datetime(2026, 11, 25, 23, 0, 0))}
        state = saved({TODAY.isoformat(): off})
        with pytest.raises(ValueError) as raised:
            read_keys(state, "blast_result", TOMORROW)
        assert str(raised.value).startswith("State 'blast_result_keys' is ")
        sent = saved({TODAY.isoformat(): off}, field="blast_date")  # sent that day, later
        assert read_keys(sent, "blast_result", TOMORROW).days == {TODAY: off}

    def test_another_tables_keys_that_form_no_whole_keys_are_a_state_error(self):
        pack = key_packer("comment")
        keys = {
            pack({"response_id": 100000 + n, "date_submitted": datetime(2026, 11, 26, 9, n)})
            for n in range(7)  # 21 numbers: no whole number of 5-number keys
        }
        state = {
            "blast_result_keys": saved({TODAY.isoformat(): keys}, table="comment")["comment_keys"]
        }
        with pytest.raises(ValueError):
            read_keys(state, "blast_result", TOMORROW)
