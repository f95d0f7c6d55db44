# Two commands do everything on a fresh machine:  `make run`  and  `make test`.
PY      := .venv/bin/python
PIP     := .venv/bin/pip
STAMP   := .venv/.installed
PORT    ?= 8501

.PHONY: setup run test index browser lint eval eval-smoke retrieval-report clean-index

## setup: create .venv (idempotent) and install the project; torch 2.13.0 (CPU) goes in first.
setup: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(PY) || python3.11 -m venv .venv || python3 -m venv .venv
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet torch==2.13.0
	$(PIP) install --quiet -e ".[dev]"
	@touch $(STAMP)

## index: build the Chroma index if missing or stale (a no-op in seconds when up to date).
index: setup
	$(PY) -m ingest

## run: set up, build the index if needed, serve the chat page on localhost.
run: index
	.venv/bin/streamlit run app.py --server.address 127.0.0.1 --server.port $(PORT) --server.headless true

## browser: Debian's Chromium for the end-to-end test (Playwright never downloads a browser here).
browser:
	@test -x /usr/bin/chromium || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null)

## test: set up, then the whole suite (unit, integration, AppTest, browser).
test: setup browser
	$(PY) -m ruff check .
	$(PY) -m pytest -q

lint: setup
	$(PY) -m ruff check .

## eval: the full evaluation + benchmark suite; writes docs/eval/.
eval: setup
	$(PY) -m evals all --out docs/eval

eval-smoke: setup
	$(PY) -m evals all --smoke --out build/eval-smoke

## retrieval-report: regenerate docs/retrieval.md from a fresh retrieval evaluation.
retrieval-report: setup
	$(PY) -m evals retrieval --qa evals/data/qa_dev.jsonl --markdown docs/retrieval.md

clean-index:
	rm -rf .index .index.building-* .index.old-* .index.lock
