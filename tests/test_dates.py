"""Unit tests of customer_thermometer/dates.py: datetimes in layouts other than ISO 8601, and
the day-or-month reading the answers prove."""

from datetime import date, datetime

import pytest

from customer_thermometer.dates import DAY_FIRST, DOUBT, MONTH_FIRST, DateReader


class TestLayouts:
    @pytest.mark.parametrize(
        "text, read",
        [
            ("2026/11/20 08:15:30", datetime(2026, 11, 20, 8, 15, 30)),
            ("2026/11/20 08:15", datetime(2026, 11, 20, 8, 15)),
            ("2026/11/20", datetime(2026, 11, 20)),
            ("2026.11.20T08:15:30.25Z", datetime(2026, 11, 20, 8, 15, 30, 250000)),
            ("20/11/2026 08:15:30", datetime(2026, 11, 20, 8, 15, 30)),
            ("20/11/2026 8:15", datetime(2026, 11, 20, 8, 15)),
            ("20-11-2026", datetime(2026, 11, 20)),
            ("20.11.2026 08:15:30+01:00", datetime(2026, 11, 20, 8, 15, 30)),
            (" 11/20/2026 23:59:59 ", datetime(2026, 11, 20, 23, 59, 59)),
        ],
    )
    def test_each_layout_reads_the_same_wall_clock(self, text, read):
        assert DateReader().read(text) == read

    @pytest.mark.parametrize(
        "text",
        [
            "20/11/26 08:15",
            "2026/11/20/01",
            "20/11-2026",
            "32/11/2026",
            "13/13/2026",
            "20/11/2026 25:00",
            "2026/13/01",
            "Friday",
            "",
            "20/11/2026 08",
            "20112026",
        ],
    )
    def test_what_no_layout_reads_is_a_bad_value(self, text):
        with pytest.raises(ValueError):
            DateReader().read(text)

    def test_a_day_past_12_decides_each_way_and_then_reads_the_rest(self):
        reader = DateReader()
        assert reader.read("13/02/2026") == datetime(2026, 2, 13)
        assert reader.layout == DAY_FIRST
        assert reader.read("05/03/2026") == datetime(2026, 3, 5)
        reader = DateReader()
        assert reader.read("02/13/2026") == datetime(2026, 2, 13)
        assert reader.layout == MONTH_FIRST
        assert reader.read("05/03/2026") == datetime(2026, 5, 3)
        with pytest.raises(ValueError):
            reader.read("13/02/2026")  # read as the month 13

    def test_a_saved_layout_reads_at_once(self):
        assert DateReader(DAY_FIRST).read("05/03/2026 10:00") == datetime(2026, 3, 5, 10)
        assert DateReader(MONTH_FIRST).read("05/03/2026 10:00") == datetime(2026, 5, 3, 10)

    def test_a_year_first_date_decides_nothing(self):
        reader = DateReader()
        reader.read("2026/02/13")
        assert reader.layout is None and reader.doubts == 0

    @pytest.mark.parametrize(
        "text, layout, read",
        [
            ("13/12/2026", DAY_FIRST, datetime(2026, 12, 13)),
            ("12/13/2026", MONTH_FIRST, datetime(2026, 12, 13)),
            ("31/01/2026 10:00:00.5", DAY_FIRST, datetime(2026, 1, 31, 10, 0, 0, 500000)),
        ],
    )
    def test_the_first_day_past_12_decides_and_says_so(self, text, layout, read):
        reader = DateReader()
        assert reader.read(text) == read
        assert (reader.layout, reader.how, reader.said) == (layout, "a day past 12", False)

    @pytest.mark.parametrize("text", ["12/11/2026", "11/12/2026", "01/12/2026"])
    def test_day_and_month_of_12_or_less_are_a_doubt(self, text):
        reader = DateReader()
        assert reader.read(text) is DOUBT and reader.layout is None

    @pytest.mark.parametrize("text", ["05/05/2026 10:00", "12/12/2026 10:00"])
    def test_a_day_that_is_its_month_reads_one_way(self, text):
        reader = DateReader()
        value = reader.read(text)
        assert value.day == value.month and reader.doubts == 0 and reader.layout is None

    def test_a_saved_layout_was_said_by_the_sync_that_learned_it(self):
        assert DateReader(DAY_FIRST).said and not DateReader().said

    def test_a_date_either_way_is_a_doubt_with_both_readings_kept(self):
        reader = DateReader()
        assert reader.read("05/03/2026 10:00", True) is DOUBT
        assert reader.read("01/04/2026", True) is DOUBT
        assert reader.layout is None and reader.doubts == 2
        assert reader.spans == {
            DAY_FIRST: (date(2026, 3, 5), date(2026, 4, 1)),
            MONTH_FIRST: (date(2026, 1, 4), date(2026, 5, 3)),
        }


class TestDecideByDays:
    def test_the_only_layout_whose_days_were_asked_for_is_kept(self):
        reader = DateReader()
        reader.read("05/03/2026", True)
        assert reader.decide_by_days(date(2026, 3, 1), date(2026, 3, 31)) == DAY_FIRST
        assert reader.layout == DAY_FIRST and reader.spans == {}
        assert reader.how == "only under it do they fall in the days asked for"
        reader = DateReader()
        reader.read("05/03/2026", True)
        assert reader.decide_by_days(date(2026, 5, 3), date(2026, 5, 3)) == MONTH_FIRST

    @pytest.mark.parametrize(
        "low, high", [("2026-01-01", "2026-12-31"), ("2026-06-01", "2026-06-30")]
    )
    def test_both_or_neither_fitting_decides_nothing(self, low, high):
        reader = DateReader()
        reader.read("05/03/2026", True)
        assert reader.decide_by_days(date.fromisoformat(low), date.fromisoformat(high)) is None
        assert reader.layout is None and reader.spans == {}

    def test_a_known_layout_is_not_changed_by_days(self):
        reader = DateReader(DAY_FIRST)
        reader.spans = {MONTH_FIRST: (date(2026, 5, 3), date(2026, 5, 3))}
        assert reader.decide_by_days(date(2026, 5, 3), date(2026, 5, 3)) is None
        assert reader.layout == DAY_FIRST
