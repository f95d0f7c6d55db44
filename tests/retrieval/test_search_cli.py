"""``python -m assistant search``: human, --json and --batch output; bad input is one clear line."""

from __future__ import annotations

import json

import pytest

from assistant.cli import main

JSON_KEYS = {"id", "doc", "title", "year", "section", "line_start", "line_end", "kind", "text", "score"}


@pytest.fixture
def index_env(built_index, monkeypatch):
    monkeypatch.setenv("RRMM_INDEX_DIR", str(built_index.index_dir))
    monkeypatch.setenv("RRMM_CORPUS_DIR", str(built_index.corpus_dir))
    return built_index


def test_search_cli_json_lists_passages_as_printed(index_env, capsys):
    assert main(["search", "IKEMA Isa-Kd progression-free survival", "--k", "3", "--json"]) == 0
    records = json.loads(capsys.readouterr().out)
    assert len(records) == 3
    assert all(set(r) >= JSON_KEYS for r in records)
    first = records[0]
    printed = (index_env.corpus_dir / f"{first['doc']}.txt").read_text(encoding="utf-8").split("\n")
    assert first["text"] == "\n".join(printed[first["line_start"] - 1 : first["line_end"]])


def test_search_cli_human_output_names_source_and_lines(index_env, capsys):
    assert main(["search", "OPTIMISMM", "--k", "1", "--doc", "imwg-2021"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("1. Treatment of relapsed and refractory multiple myeloma")
    assert "(2021) [imwg-2021]" in out and "lines " in out


def test_search_cli_kind_filter(index_env, capsys):
    assert main(["search", "median PFS", "--kind", "table", "--json"]) == 0
    assert {r["kind"] for r in json.loads(capsys.readouterr().out)} == {"table"}


def test_search_cli_batch_prints_one_json_line_per_query(index_env, tmp_path, capsys):
    batch = tmp_path / "queries.txt"
    batch.write_text("KRd ASPIRE\n\nselinexor BOSTON\n", encoding="utf-8")
    assert main(["search", "--batch", str(batch), "--k", "2"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert [json.loads(line)["query"] for line in lines] == ["KRd ASPIRE", "selinexor BOSTON"]
    assert all(len(json.loads(line)["results"]) == 2 for line in lines)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        pytest.param(["search", "x", "--doc", "nope"], "unknown --doc nope; valid: imwg-2021", id="doc"),
        pytest.param(["search", "x", "--kind", "figure"], "unknown --kind figure; valid: text", id="kind"),
        pytest.param(["search"], "give either a query or --batch FILE", id="no-query"),
        pytest.param(["search", "x", "--k", "0"], "--k must be at least 1", id="k"),
        pytest.param(["search", "--batch", "/no/such/file"], "cannot read the batch file", id="no-batch"),
    ],
)
def test_search_cli_bad_input_is_one_clear_line(index_env, capsys, argv, message):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_search_cli_missing_index_tells_how_to_build(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("RRMM_INDEX_DIR", str(tmp_path / "no-index"))
    assert main(["search", "KRd"]) == 2
    assert "python -m ingest" in capsys.readouterr().err
