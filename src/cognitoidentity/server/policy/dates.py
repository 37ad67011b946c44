"""Reading the dates of Date condition operators.

IAM User Guide, "Date condition operators": "You must specify date/time values with one of the
W3C implementations of the ISO 8601 date formats or in epoch (UNIX) time." The accepted shapes
and ranges follow IAM's legacy parser as moto reproduces it (year, month and day parts, optional
time to the second with a fraction, ``Z`` or a ``+hh[:mm]``/``-hh[:mm]`` offset; epoch seconds
as a non-negative integer). Arithmetic is done on the proleptic Gregorian calendar by hand so
years outside ``datetime``'s 1 to 9999 still compare.
"""

from __future__ import annotations

import re
from typing import Final

__all__ = ["parse_date"]

_ISO = re.compile(
    r"(?P<year>-?\d{1,9})(?:-(?P<month>\d{1,2})(?:-(?P<day>\d{1,2}))?)?"
    r"(?:[Tt](?P<hour>\d{1,2})(?::(?P<minute>\d{1,2})(?::(?P<second>\d{1,2})(?:\.(?P<fraction>\d{1,9}))?)?)?)?"
    r"(?P<zone>[Zz]|[+-]\d{2}(?::?\d{2})?)?"
)
_EPOCH = re.compile(r"\d{1,19}")
_MAX_EPOCH: Final = 9223372036854775807


def _days_from_civil(year: int, month: int, day: int) -> int:
    """Days since 1970-01-01 (H. Hinnant's algorithm)."""
    year -= month <= 2
    era = (year if year >= 0 else year - 399) // 400
    year_of_era = year - era * 400
    day_of_year = (153 * (month + (-3 if month > 2 else 9)) + 2) // 5 + day - 1
    day_of_era = year_of_era * 365 + year_of_era // 4 - year_of_era // 100 + day_of_year
    return era * 146097 + day_of_era - 719468


def parse_date(text: str) -> float | None:
    """Seconds since the epoch for an ISO 8601 date/time or an epoch number, else ``None``."""
    text = text.strip()
    if _EPOCH.fullmatch(text):
        seconds = int(text)
        return float(seconds) if seconds <= _MAX_EPOCH else None
    found = _ISO.fullmatch(text)
    if found is None or ("-" not in text[1:] and "T" not in text.upper()):
        return None
    parts = found.groupdict()
    month = int(parts["month"] or 1)
    day = int(parts["day"] or 1)
    hour = int(parts["hour"] or 0)
    minute = int(parts["minute"] or 0)
    second = int(parts["second"] or 0)
    if not (1 <= month <= 12 and 1 <= day <= 31 and hour <= 23 and minute <= 59 and second <= 59):
        return None
    fraction = float("0." + parts["fraction"]) if parts["fraction"] else 0.0
    offset = 0
    zone = parts["zone"]
    if zone and zone not in "Zz":
        digits = zone[1:].replace(":", "")
        hours, minutes = int(digits[:2]), int(digits[2:] or 0)
        if hours > 23 or minutes > 59:
            return None
        offset = (hours * 60 + minutes) * 60 * (1 if zone[0] == "+" else -1)
    days = _days_from_civil(int(parts["year"]), month, day)
    return days * 86400 + hour * 3600 + minute * 60 + second + fraction - offset
