"""Calendar dates as clinicians write them, to the precision written ("2021", "Feb 2021", "02/2021",
"15/09/2024", "2024-09-15", "12 Aug 2024", "01-Feb-2022"), and the gap between two of them.

Timing rules hang on these gaps: progression within 60 days of the last lenalidomide dose is refractory
(korean-2020), more than 6 months after stopping it is not (imwg-2021). A gap is only as precise as the
coarser of its two dates, and "10/09/2024" may be day-first or month-first; both readings are kept so that
a rule can decide only when they agree, unless another date of the same text settles the writer's order.
"""

from __future__ import annotations

import calendar
import datetime
import re
from dataclasses import dataclass
from typing import Literal

Order = Literal["dmy", "mdy"]
ORDERS: tuple[Order, ...] = ("dmy", "mdy")

_MONTH_NAMES = "Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec"
_YEAR = r"(?:19|20)\d\d"
# One alternative per way of writing a date; the day-level ones first so that "15/09/2024" is not read as
# the month date "09/2024".
_DATE = re.compile(
    rf"\b(?:(?P<a>\d{{1,2}})[/.](?P<b>\d{{1,2}})[/.](?P<dmy_year>{_YEAR})"
    rf"|(?P<iso_year>{_YEAR})-(?P<iso_month>0[1-9]|1[0-2])(?:-(?P<iso_day>[0-3]\d))?(?!\d)"
    rf"|(?P<day_name>[0-3]?\d)(?:st|nd|rd|th)?(?:\s+|-)(?P<dname>{_MONTH_NAMES})[a-z]*\.?,?(?:\s+|-)(?P<dname_year>{_YEAR})"
    rf"|(?P<name>{_MONTH_NAMES})[a-z]*\.?\s+(?:(?P<name_day>[0-3]?\d)(?:st|nd|rd|th)?,?\s+)?(?P<name_year>{_YEAR})"
    rf"|(?P<month>0?[1-9]|1[0-2])/(?P<month_year>{_YEAR})"
    rf"|(?P<year>{_YEAR}))\b",
    re.IGNORECASE,
)

# (year, month or None, day or None)
Reading = tuple[int, int | None, int | None]


@dataclass(frozen=True)
class TextDate:
    """A date in the text with its reading in each day/month order (None where that order is invalid)."""

    start: int
    end: int
    dmy: Reading | None
    mdy: Reading | None

    def reading(self, order: Order) -> Reading | None:
        return self.dmy if order == "dmy" else self.mdy


def _valid(year: int, month: int | None, day: int | None) -> Reading | None:
    if month is not None and not 1 <= month <= 12:
        return None
    if day is not None and (month is None or not 1 <= day <= calendar.monthrange(year, month)[1]):
        return None
    return (year, month, day)


def _text_date(m: re.Match) -> TextDate | None:
    g = m.groupdict()
    if g["dmy_year"]:
        year, a, b = int(g["dmy_year"]), int(g["a"]), int(g["b"])
        dmy, mdy = _valid(year, b, a), _valid(year, a, b)
    else:
        if g["iso_year"]:
            one = _valid(int(g["iso_year"]), int(g["iso_month"]), int(g["iso_day"]) if g["iso_day"] else None)
        elif g["dname_year"]:
            month = list(calendar.month_abbr).index(g["dname"].title()[:3])
            one = _valid(int(g["dname_year"]), month, int(g["day_name"]))
        elif g["name_year"]:
            month = list(calendar.month_abbr).index(g["name"].title()[:3])
            one = _valid(int(g["name_year"]), month, int(g["name_day"]) if g["name_day"] else None)
        elif g["month_year"]:
            one = _valid(int(g["month_year"]), int(g["month"]), None)
        else:
            one = (int(g["year"]), None, None)
        dmy = mdy = one
    return TextDate(m.start(), m.end(), dmy, mdy) if dmy or mdy else None


def find_dates(text: str) -> list[TextDate]:
    """Every date in `text`, in order."""
    return [d for m in _DATE.finditer(text) if (d := _text_date(m)) is not None]


# A day and a month named without a year: "3 March", "1 Sept", "April 18th".
_YEARLESS = re.compile(
    rf"\b(?:(?P<day>[0-3]?\d)(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<month>{_MONTH_NAMES})[a-z]*\.?"
    rf"|(?P<month2>{_MONTH_NAMES})[a-z]*\.?\s+(?P<day2>[0-3]?\d)(?:st|nd|rd|th)?)\b(?![,.]?\s*(?:{_YEAR}|\d))",
    re.IGNORECASE,
)
# The nominal year of a text's first year-less date: a leap year, so that "29 Feb" reads.
_NOMINAL_YEAR = 2000


def find_yearless_dates(text: str, dated_dates: list[TextDate] | None = None) -> list[TextDate]:
    """The days written without a year ("Len held from 3 March ... 18 April restaging"), in order, on one
    nominal calendar: each in the year of the one before, or the next year when it falls earlier in the year
    ("stopped 20 Dec ... PD 15 Jan" is 26 days). Only their gaps to one another mean anything.
    `dated_dates`: the text's find_dates, when already read."""
    dated = [(d.start, d.end) for d in (find_dates(text) if dated_dates is None else dated_dates)]
    out, year, last = [], _NOMINAL_YEAR, None
    for m in _YEARLESS.finditer(text):
        if any(start < m.end() and m.start() < end for start, end in dated):
            continue
        name, day = (m["month"], m["day"]) if m["month"] else (m["month2"], m["day2"])
        month_day = (list(calendar.month_abbr).index(name.title()[:3]), int(day))
        if last is not None and month_day < last:
            year += 1
        reading = _valid(year, *month_day)
        if reading is None:
            continue
        last = month_day
        out.append(TextDate(m.start(), m.end(), reading, reading))
    return out


def writer_orders(dates: list[TextDate]) -> tuple[Order, ...]:
    """The day/month orders every date of the text can be read in: one "14/11/2024" makes the writer
    day-first for "02/10/2024" too. Dates that agree with no single order leave both open."""
    orders = tuple(o for o in ORDERS if all(d.reading(o) is not None for d in dates))
    return orders or ORDERS


def reading_pairs(
    first: TextDate, later: TextDate, orders: tuple[Order, ...]
) -> list[tuple[Reading, Reading]]:
    """The two dates read alike in each of `orders` (an order one of them cannot be read in is skipped)."""
    return [(a, b) for order in orders if (a := first.reading(order)) and (b := later.reading(order))]


def days_between(first: Reading, later: Reading) -> int | None:
    """Days from `first` to `later` when both are written to the day, else None."""
    if first[1] is None or first[2] is None or later[1] is None or later[2] is None:
        return None
    return (datetime.date(*later) - datetime.date(*first)).days  # type: ignore[arg-type]


def months_between(first: Reading, later: Reading) -> int:
    """Whole months from `first` to `later`; with a date written only to the year, the least possible gap
    (so one calendar year apart says nothing)."""
    (y1, m1, _), (y2, m2, _) = first, later
    if m1 is None or m2 is None:
        return (y2 - y1 - 1) * 12 + 1
    return (y2 - y1) * 12 + m2 - m1
