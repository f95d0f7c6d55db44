"""`python -m assistant decide` and `python -m evals vignettes` through their main(argv)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.cli import main as assistant_main
from evals.__main__ import main as evals_main

ROOT = Path(__file__).resolve().parents[2]
CASE = "67M, VRd -> ASCT -> R maint, PD on R, dara-naive, CrCl 45"


def test_decide_human_output(capsys):
    assert assistant_main(["decide", CASE]) == 0
    out = capsys.readouterr().out
    assert "Branch: first_relapse_len_refractory" in out
    assert '"PD on R"' not in out or "lenalidomide" in out
    assert "imwg-2021 (2021)" in out
    assert "Avoid:" in out and "KRd" in out


def test_decide_json_contract(capsys):
    assert assistant_main(["decide", "--json", CASE]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["branch"] == "first_relapse_len_refractory"
    assert {"branch", "overlays", "options", "avoid", "missing_facts", "facts"} <= data.keys()
    assert all({"regimen", "tier", "sources"} <= o.keys() for o in data["options"])
    assert all({"regimen", "reason"} <= a.keys() for a in data["avoid"])
    assert any(f["field"] == "lenalidomide" and f["value"] == "refractory" for f in data["facts"])


def test_decide_batch_one_json_line_per_case(tmp_path, capsys):
    batch = tmp_path / "cases.txt"
    batch.write_text(CASE + "\n\nAL amyloidosis, cardiac involvement\n", encoding="utf-8")
    assert assistant_main(["decide", "--batch", str(batch)]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert [json.loads(line)["branch"] for line in lines] == ["first_relapse_len_refractory", "out_of_scope"]


@pytest.mark.parametrize(
    "argv",
    [
        pytest.param(["decide"], id="no-text"),
        pytest.param(["decide", "   "], id="blank-text"),
        pytest.param(["decide", "--batch", "/nonexistent/cases.txt"], id="missing-batch-file"),
    ],
)
def test_decide_bad_input_is_one_line_exit_2(argv, capsys):
    assert assistant_main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1


def test_evals_vignettes_json(capsys):
    assert evals_main(["vignettes", "--file", str(ROOT / "evals/data/vignettes_dev.jsonl"), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {
        "branch_accuracy",
        "overlay_accuracy",
        "fact_accuracy",
        "avoid_violations",
        "preferred_recall",
        "n_items",
        "misses",
    } <= data.keys()


def test_evals_vignettes_bad_path_exit_2(capsys):
    assert evals_main(["vignettes", "--file", "/nonexistent.jsonl"]) == 2
    assert "vignette file not found" in capsys.readouterr().err


def test_decide_subprocess_entry_point():
    result = subprocess.run(
        [sys.executable, "-m", "assistant", "decide", "--json", CASE],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["branch"] == "first_relapse_len_refractory"
