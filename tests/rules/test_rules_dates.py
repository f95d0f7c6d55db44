"""Dates read to the precision written, and the gaps the lenalidomide timing rules hang on."""

from __future__ import annotations

import pytest

from assistant.rules.dates import days_between, find_dates, find_yearless_dates, months_between, writer_orders


@pytest.mark.parametrize(
    ("text", "dmy", "mdy"),
    [
        pytest.param("last dose 15/09/2024", (2024, 9, 15), None, id="day-first-only"),
        pytest.param("last dose 09/15/2024", None, (2024, 9, 15), id="month-first-only"),
        pytest.param("last dose 05/06/2024", (2024, 6, 5), (2024, 5, 6), id="either-order"),
        pytest.param("last dose 15.09.2024", (2024, 9, 15), None, id="dotted"),
        pytest.param("last dose 2024-09-15", (2024, 9, 15), (2024, 9, 15), id="iso-day"),
        pytest.param("ASCT 2024-09", (2024, 9, None), (2024, 9, None), id="iso-month"),
        pytest.param("relapsed Sept. 2024", (2024, 9, None), (2024, 9, None), id="month-name"),
        pytest.param("relapsed March 3, 2024", (2024, 3, 3), (2024, 3, 3), id="month-name-day"),
        pytest.param("stopped on 12 Aug 2024", (2024, 8, 12), (2024, 8, 12), id="day-month-name"),
        pytest.param("ASCT (02/2019)", (2019, 2, None), (2019, 2, None), id="month-number"),
        pytest.param("stopped in 2021", (2021, None, None), (2021, None, None), id="year"),
    ],
)
def test_find_dates_reads_each_order(text, dmy, mdy):
    (date,) = find_dates(text)
    assert (date.dmy, date.mdy) == (dmy, mdy)
    assert text[date.end :] in ("", ")")  # the span covers the whole date


def test_find_dates_skips_impossible_dates_and_year_ranges():
    assert find_dates("on 31/02/2024") == []
    assert [(d.dmy[0], d.dmy[1]) for d in find_dates("len 2021-2023, PD 2024")] == [
        (2021, None),
        (2023, None),
        (2024, None),
    ]


def test_gaps_are_only_as_precise_as_the_coarser_date():
    assert days_between((2024, 9, 15), (2024, 10, 28)) == 43
    assert days_between((2024, 9, None), (2024, 10, 28)) is None
    assert months_between((2022, 2, None), (2024, 9, 1)) == 31
    # Years alone give the least possible gap: December 2021 to January 2024.
    assert months_between((2021, None, None), (2024, 5, None)) == 25


def test_one_unambiguous_date_settles_the_writers_order():
    assert writer_orders(find_dates("DRd stopped 02/10/2024. Reviewed 14/11/2024")) == ("dmy",)
    assert writer_orders(find_dates("stopped 02/10/2024, seen 11/14/2024")) == ("mdy",)
    assert writer_orders(find_dates("stopped 02/10/2024, seen 03/11/2024")) == ("dmy", "mdy")


def test_days_without_a_year_are_read_against_each_other_only():
    text = "Len held from 3 March for surgery. 18 April restaging. Stopped 20 Dec 2024; PD 15 Jan"
    dates = find_yearless_dates(text)
    # "20 Dec 2024" has its year, so it is no year-less day.
    assert [text[d.start : d.end] for d in dates] == ["3 March", "18 April", "15 Jan"]
    assert days_between(dates[0].dmy, dates[1].dmy) == 46
    # A day earlier in the year than the one before falls in the next year.
    assert days_between(*(d.dmy for d in find_yearless_dates("stopped 20 Dec, PD 15 Jan"))) == 26
