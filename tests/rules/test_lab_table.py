"""Lab tables pasted from the record: the labelled column's value on the latest row."""

from assistant.rules.extract import extract_facts
from assistant.rules.lab_table import latest_in_column

CRCL = r"(?:CrCl|CLcr|creatinine clearance|eGFR|GFR)"


def test_last_row_of_a_pipe_table_without_dates() -> None:
    text = "Labs:\nCreat | CrCl (mL/min) | Hb\n90 | 61 | 11\n150 | 33 | 9\nPlan: ?"
    value, start, end = latest_in_column(text, CRCL)
    assert value == "33"
    assert text[start:end] == "33"


def test_newest_first_table_is_ordered_by_its_dates() -> None:
    text = (
        "| Date | eGFR | Hb |\n|---|---|---|\n| 2025-06-02 | 28 | 8.9 |\n| 2025-03-10 | 41 | 10.2 |\n"
        "| 2024-12-01 | 66 | 12.1 |"
    )
    assert latest_in_column(text, CRCL)[0] == "28"


def test_tab_separated_rows_with_month_year_dates() -> None:
    text = "date\tCrCl\n01/2025\t55\n11/2024\t70\n"
    assert latest_in_column(text, CRCL)[0] == "55"


def test_no_table_or_no_number_in_the_column_gives_nothing() -> None:
    assert latest_in_column("CrCl 44, ECOG 1. PD on DRd.", CRCL) is None
    assert latest_in_column("test | CrCl\nbaseline | pending\n", CRCL) is None


def test_extractor_reads_crcl_from_a_pasted_table() -> None:
    text = (
        "70F, PD on Dara-Rd (first line) now.\nDate | Creat | CrCl (ml/min)\n"
        "05/2025 | 190 | 24\n01/2025 | 120 | 45\n09/2024 | 85 | 70\nOptions?"
    )
    assert extract_facts(text).profile.crcl_ml_min == 24


def test_cells_with_units_and_a_clearance_column_beside_egfr() -> None:
    text = "Renal function (03/2024):\nCr | eGFR | CrCl\n2.1 mg/dL | 31 | 28 mL/min\n\nNext line?"
    assert extract_facts(text).profile.crcl_ml_min == 28  # not the creatinine on the next line, not the eGFR
