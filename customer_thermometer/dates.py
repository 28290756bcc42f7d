"""Datetimes in the layouts an API may write besides ISO 8601 (`YYYY/MM/DD`, `DD/MM/YYYY`,
`MM/DD/YYYY`, each with or without a time), and the reading a table's answers proved where day
and month could be either: until one did, such a record is held back, never landed on a guess."""

import re
from datetime import datetime

DAY_FIRST, MONTH_FIRST = "DD/MM/YYYY", "MM/DD/YYYY"  # the layouts answers must tell apart


DATE_LAYOUTS = (DAY_FIRST, MONTH_FIRST)  # what the state may save as a table's layout


# A date of three numbers and one separator, an optional time (seconds and a fraction optional)
# and an optional zone, which is dropped as it is from ISO datetimes (the wall clock is kept).
DATETIME_PATTERN = re.compile(
    r"\s*(\d{1,4})([/.-])(\d{1,2})\2(\d{1,4})"
    r"(?:(?:\s+|T)(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,6}))?)?)?"
    r"\s*(?:Z|[+-]\d{2}:?\d{2})?\s*",
    re.IGNORECASE,
)


MONTHS = 12


class Doubt:
    """What read() returns for a date that reads as a day and month either way, while no answer
    has told the two layouts apart."""


DOUBT = Doubt()


class DateReader:
    """Reads one table's datetimes that are not ISO 8601, and learns its layout from them.

    A date whose first number is past 12 can only be a day (DAY_FIRST), one whose second is,
    only a month's day (MONTH_FIRST): the first such date decides. Until one does, a date both
    read is a doubt: its two readings are kept (the days of each) for the window to decide by
    the days it asked for (see decide_by_days()).

    Args:
        layout: one of DATE_LAYOUTS, as an earlier sync's answers proved it, or None.
    """

    def __init__(self, layout=None):
        self.layout = layout
        self.how = None  # what decided the layout, once answers did
        self.said = layout is not None  # whether it was said (a saved one was, by a sync before)
        self.doubts = 0  # dates read both ways, while undecided
        self.spans = {}  # layout -> (first, last) day of the doubtful dates read so

    def read(self, text, filtered=False):
        """Return text as a naive datetime, DOUBT, or raise ValueError (no layout reads it).

        Args:
            filtered: whether the date is the one the API's date filter follows, whose readings
                in doubt are kept to be checked against the days asked for.
        """
        found = DATETIME_PATTERN.fullmatch(text)
        if found is None:
            raise ValueError("no known layout")  # pragma: no mutate (message unread)
        first, _, second, third, hour, minute, second_of, fraction = found.groups()
        time = [int(hour or 0), int(minute or 0), int(second_of or 0)]
        micro = int((fraction or "0").ljust(6, "0"))
        if len(first) == 4:  # year first: YYYY/MM/DD
            return datetime(int(first), int(second), int(third), *time, micro)
        if len(third) != 4:
            raise ValueError("no year of four digits")  # pragma: no mutate (message unread)
        one, two, year = int(first), int(second), int(third)
        if self.layout is None:
            if one > MONTHS >= two:
                self.layout, self.how = DAY_FIRST, "a day past 12"
            elif two > MONTHS >= one:
                self.layout, self.how = MONTH_FIRST, "a day past 12"
            elif one != two and one <= MONTHS and two <= MONTHS:  # (5/5 reads one way)
                self.doubt(year, one, two, filtered)
                return DOUBT
        day, month = (one, two) if self.layout == DAY_FIRST else (two, one)
        return datetime(year, month, day, *time, micro)

    def doubt(self, year, one, two, filtered):
        """Count a date read both ways, and keep the days of each reading if filtered."""
        self.doubts += 1
        if not filtered:
            return
        for layout, (day, month) in ((DAY_FIRST, (one, two)), (MONTH_FIRST, (two, one))):
            read = datetime(year, month, day).date()
            low, high = self.spans.get(layout, (read, read))
            self.spans[layout] = (min(low, read), max(high, read))

    def decide_by_days(self, low, high):
        """Decide the layout under which every doubtful date read since the last call falls in
        low..high (the days a request asked for), if only one does; return it, or None."""
        spans, self.spans = self.spans, {}
        fits = [layout for layout, (first, last) in spans.items() if low <= first <= last <= high]
        if self.layout is None and len(fits) == 1:
            self.layout, self.how = fits[0], "only under it do they fall in the days asked for"
            return self.layout
        return None
