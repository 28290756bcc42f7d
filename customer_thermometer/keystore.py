"""The keys a dated table delivered per day of its reconcile horizon, as the state keeps them:
each day's primary keys sorted, written as small differences, deflated and in base64 (about 7
bytes a response), with the date filter and margin they were read under; every saved value
checked before any request."""

import base64
import binascii
import collections
import struct
import zlib
from datetime import date, datetime, timedelta

from .masking import cited
from .specs import DATE_FIELDS, EARLIEST_DATE, MAX_MARGIN_DAYS, TABLE_SPECS

EPOCH, MICROSECOND = datetime.min, timedelta(microseconds=1)  # a datetime as a whole number


MICROSECONDS_PER_SECOND = 1_000_000


SECONDS_PER_DAY = 86_400


# A table's saved keys: the date filter and margin (days asked around a window) they were read
# under, and {day: set of packed keys} (see packed_names()) of the days proven in full.
KeyStore = collections.namedtuple("KeyStore", "field margin days")


def packed_names(table):
    """Return a table's primary-key names in the order a packed key holds them: its LONGs as
    the key names them, then a dated table's one datetime (see answers.key_packer())."""
    spec = TABLE_SPECS[table]
    names = spec["primary_key"]
    times = [name for name in names if spec["columns"][name] == "NAIVE_DATETIME"]
    return [name for name in names if name not in times] + times


def key_values(table, key):
    """Return {name: value} of a packed key, as a row of the table holds them (op.delete)."""
    names = packed_names(table)
    values = struct.unpack(f">{len(names)}q", key)
    row = dict(zip(names[:-1], values[:-1], strict=True))
    row[names[-1]] = EPOCH + values[-1] * MICROSECOND
    return row


def response_index(table):
    """Return where response_id lies among a packed key's values."""
    return packed_names(table).index("response_id")


def zigzag(number):
    """Return a whole number as a non-negative one, small for small magnitudes either sign."""
    return number * 2 if number >= 0 else -number * 2 - 1


def unzigzag(number):
    """Return the whole number zigzag() made number of."""
    return number // 2 if number % 2 == 0 else -(number + 1) // 2


def put_varint(out, number):
    """Append a non-negative number in 7-bit groups, low first, the high bit meaning more."""
    while number >= 0x80:
        out.append(number & 0x7F | 0x80)
        number >>= 7
    out.append(number)


def encoded_day(table, day, keys):
    """Return a day's packed keys as the state saves them.

    Keys are sorted by response_id; each LONG is written as the difference from the key
    before's, the datetime as seconds from the day's midnight and its microseconds, each a
    zigzag varint; the bytes are deflated and written in base64.
    """
    names = packed_names(table)
    layout = struct.Struct(f">{len(names)}q")
    index = response_index(table)
    midnight = (datetime(day.year, day.month, day.day) - EPOCH) // MICROSECOND
    out, before = bytearray(), [0] * (len(names) - 1)
    for values in sorted((layout.unpack(key) for key in keys), key=lambda v: (v[index], v)):
        for number, value in enumerate(values[:-1]):
            put_varint(out, zigzag(value - before[number]))
        seconds, micro = divmod(values[-1] - midnight, MICROSECONDS_PER_SECOND)
        put_varint(out, zigzag(seconds))
        put_varint(out, micro)
        before = values[:-1]
    return base64.b64encode(zlib.compress(bytes(out), 9)).decode("ascii")


def decoded_day(table, day, text, same_day=False):
    """Return the set of packed keys encoded_day() wrote for a day.

    Args:
        same_day: every key's datetime must lie on the day (keys filed by date_submitted).
    Raises:
        ValueError: text that is not such keys.
    """
    try:
        data = zlib.decompress(base64.b64decode(text.encode("ascii"), validate=True))
    except (binascii.Error, zlib.error, UnicodeEncodeError, AttributeError):
        raise ValueError from None
    numbers, number, shift = [], 0, 0
    for byte in data:
        number |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            numbers.append(number)
            number, shift = 0, 0
    width = len(packed_names(table)) + 1  # the datetime takes two numbers
    if shift or len(numbers) % width:
        raise ValueError
    layout = struct.Struct(f">{width - 1}q")
    midnight = (datetime(day.year, day.month, day.day) - EPOCH) // MICROSECOND
    keys, before = set(), [0] * (width - 2)
    for start in range(0, len(numbers), width):
        longs = [before[n] + unzigzag(numbers[start + n]) for n in range(width - 2)]
        seconds, micro = unzigzag(numbers[start + width - 2]), numbers[start + width - 1]
        if micro >= MICROSECONDS_PER_SECOND or same_day and not 0 <= seconds < SECONDS_PER_DAY:
            raise ValueError
        try:
            keys.add(layout.pack(*longs, midnight + seconds * MICROSECONDS_PER_SECOND + micro))
        except struct.error:
            raise ValueError from None
        before = longs
    return keys


def read_keys(state, table, tomorrow):
    """Return a table's saved KeyStore, or None when none was saved (a state from before the
    reconcile horizon, or with it off).

    Raises:
        ValueError: a saved value that is not {"field": one of DATE_FIELDS, "margin": 0 to
            MAX_MARGIN_DAYS, "days": {YYYY-MM-DD from EARLIEST_DATE to tomorrow: keys}}.
    """
    key = f"{table}_keys"
    value = state.get(key)
    if value is None:
        return None
    try:
        if not isinstance(value, dict) or set(value) != {"field", "margin", "days"}:
            raise ValueError
        field, margin, days = value["field"], value["margin"], value["days"]
        if field not in DATE_FIELDS or type(margin) is not int or not isinstance(days, dict):
            raise ValueError
        if not 0 <= margin <= MAX_MARGIN_DAYS:
            raise ValueError
        store = KeyStore(field, margin, {})
        for text, keys in days.items():
            day = date.fromisoformat(text)
            if len(text) != 10 or not EARLIEST_DATE <= day <= tomorrow:
                raise ValueError
            store.days[day] = decoded_day(table, day, keys, field == DATE_FIELDS[0])
    except (TypeError, ValueError):
        raise ValueError(
            f"State '{key}' is {cited(value)}: expected the keys a sync saved, {{\"field\": "
            f'one of {", ".join(DATE_FIELDS)}, "margin": 0 to {MAX_MARGIN_DAYS}, "days": '
            f"{{YYYY-MM-DD up to tomorrow ({tomorrow}): keys}}}}. Remove it: the next sync saves "
            f"the keys again and deletes nothing."
        ) from None
    return store
