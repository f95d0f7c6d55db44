"""Sentence-level evidence selection: which sentences (or table rows) of the retrieved passages answer
the question.

Each candidate is scored on lexical overlap with the question's content tokens (idf-weighted, with
abbreviations expanded), dense similarity to the question, the question's trials/regimens named in it,
and whether it gives a figure when a figure is asked for. Sentences are quoted as they are in the
cleaned chunk text: numbers are copied, never recomputed. Table passages are split into rows, not
sentences, so a subgroup's median PFS / HR comes back as the printed row.
"""

from __future__ import annotations

import hashlib
import math
import re
import zipfile
from collections.abc import Callable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import numpy as np
import Stemmer
import yaml
from pydantic import BaseModel, ConfigDict

from assistant.answer.sentences import TextSpan, split_rows, split_sentences
from assistant.retrieval.expansion import QueryExpander
from assistant.retrieval.models import Passage
from assistant.retrieval.source_names import SourceNames
from assistant.vocabulary import Vocabulary
from ingest.models import Chunk

DATA = Path(__file__).parent / "data" / "selection.yaml"
_WORD = re.compile(r"[a-z0-9]+(?:[.·][0-9]+)?")
_NUMBER = re.compile(r"(?<![\w.])\d+(?:[.·]\d+)?")


class SelectionConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    weights: dict[str, float]
    passages: int
    max_points: int
    relative_floor: float
    second_sentence_weight: float
    single_sentence_second: float
    sentences_per_passage: tuple[int, ...]
    passage_floor: float
    duplicate_overlap: float
    neighbour_floor: float
    neighbour_chars: int
    figure_lookahead: int
    anaphoric_opening: str
    entity_point_floor: float
    gives_figure: str
    max_table_rows: int
    corpus_sentences: int
    passage_context: float
    passage_dense: float
    idf_power: float
    legend_factor: float
    unnamed_object_factor: float = 1.0
    fragment_factor: float
    fragment_words: int
    row_factor: float
    table_row_factor: float
    asks_for_number: str
    asks_for_table: str
    stopwords: frozenset[str]
    compound_words: dict[str, tuple[str, ...]]
    outcome_row_floor: float
    drug_entity_factor: float
    record_heading: str


@lru_cache(maxsize=1)
def load_selection_config(path: Path = DATA) -> SelectionConfig:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["stopwords"] = frozenset(data["stopwords"].split())
    return SelectionConfig(**data)


class EvidenceUnit(BaseModel):
    """A sentence of a prose chunk or a row of a table chunk, with its span in the chunk's text."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    chunk_id: str
    text: str
    start: int
    end: int
    kind: Literal["sentence", "row", "table"]
    context: str = ""  # rows: the trial row above a group row ("CANDOR ... " above "Kd 154 ...")
    frame: str = ""  # rows: the table's title and column headers (scored with the row, not shown with it)

    @property
    def scoring_text(self) -> str:
        """What is matched against the question: a row is read with its table title, headers and trial."""
        return " ".join(part for part in (self.frame, self.context, self.text) if part)


class ScoredUnit(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    unit: EvidenceUnit
    passage: Passage
    score: float
    lexical: float
    dense: float
    entity: float
    numbers: float


def embed_texts(embedder: Any, texts: Sequence[str]) -> np.ndarray:
    """Unit-normalised embeddings with whichever batch method the project embedder exposes."""
    if not texts:
        return np.zeros((0, 1), dtype=np.float32)
    if hasattr(embedder, "embed_documents"):
        vectors = np.asarray(embedder.embed_documents(list(texts)), dtype=np.float32)
    else:
        vectors = np.asarray(embedder.encode(list(texts)), dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


# "re-treatment", "re-induction": the prefix joins its word ("retreatment"), else "re" is dropped as a
# stopword and a question on re-treating reads as one on treating.
_RE_PREFIX = re.compile(r"\bre-(?=[a-z])")


class SentenceBank:
    """Sentences and rows of every chunk, their content tokens, idf, and cached sentence embeddings.

    Built once per process (Services); embeddings are computed lazily in batches and kept, so a warm
    question only embeds itself and the few sentences it has not seen.
    """

    def __init__(self, chunks: Sequence[Chunk], embedder: Any, vocabulary: Vocabulary) -> None:
        self.config = load_selection_config()
        self.vocabulary = vocabulary
        self._embedder = embedder
        self._stemmer = Stemmer.Stemmer("english")
        self._stem_cache: dict[str, str] = {}
        self.chunks = {c.id: c for c in chunks}
        self._units: dict[str, tuple[EvidenceUnit, ...]] = {}
        self._vectors: dict[tuple[str, int], np.ndarray] = {}
        self._passage_vectors: dict[str, np.ndarray] = {}
        self._token_cache: dict[str, frozenset[str]] = {}
        self._entity_cache: dict[str, frozenset[str]] = {}
        self._all_units: list[EvidenceUnit] | None = None
        self._regimen_names = [
            (code, re.compile(rf"\b{re.escape(r.name.lower())}\b"))
            for code, r in vocabulary.regimens.items()
            if " plus " in r.name
        ]
        self._all_matrix: np.ndarray | None = None
        document_frequency: dict[str, int] = {}
        for chunk in chunks:
            for token in self.tokens(chunk.text):
                document_frequency[token] = document_frequency.get(token, 0) + 1
        n = max(len(chunks), 1)
        self._idf = {t: math.log(1 + n / df) for t, df in document_frequency.items()}
        self._printed: str | None = None
        self.max_idf = math.log(1 + n)

    # ---- tokens --------------------------------------------------------------------------------
    def _stem(self, word: str) -> str:
        stem = self._stem_cache.get(word)
        if stem is None:
            stem = self._stemmer.stemWord(word) if word.isalpha() else word.replace("·", ".")
            self._stem_cache[word] = stem
        return stem

    def tokens(self, text: str) -> frozenset[str]:
        """Stemmed content tokens (stopwords dropped; numbers kept with `·` read as `.`)."""
        cached = self._token_cache.get(text)
        if cached is None:
            stop = self.config.stopwords
            compounds = self.config.compound_words
            words = [
                part
                for word in _WORD.findall(_RE_PREFIX.sub("re", text.lower()).replace("-", " "))
                for part in compounds.get(word, (word,))
            ]
            cached = frozenset(self._stem(w) for w in words if (w not in stop and len(w) > 1) or w.isdigit())
            if len(self._token_cache) < 200_000:
                self._token_cache[text] = cached
        return cached

    def entities(self, text: str) -> frozenset[str]:
        """Trials and regimens a text names (cached: passages are scored many times)."""
        cached = self._entity_cache.get(text)
        if cached is None:
            vocabulary = self.vocabulary
            lowered = " ".join(text.lower().split())
            cached = (
                frozenset(m.id for m in vocabulary.find_trials(text))
                | frozenset(m.id for m in vocabulary.find_regimens(text))
                # The IMWG review spells regimens out ("carfilzomib plus lenalidomide plus dexamethasone").
                | frozenset(code for code, pattern in self._regimen_names if pattern.search(lowered))
            )
            if len(self._entity_cache) < 100_000:
                self._entity_cache[text] = cached
        return cached

    def agents(self, text: str) -> frozenset[str]:
        """Drugs (also those inside a regimen code) and trials a text names, by vocabulary id (cached)."""
        key = f"agents\x00{text}"
        cached = self._entity_cache.get(key)
        if cached is None:
            vocabulary = self.vocabulary
            cached = frozenset(m.id for m in vocabulary.find_drugs(text, include_regimens=True)) | frozenset(
                m.id for m in vocabulary.find_trials(text)
            )
            if len(self._entity_cache) < 100_000:
                self._entity_cache[key] = cached
        return cached

    def idf(self, token: str) -> float:
        """Inverse document frequency; a token the corpus never uses gets the maximum."""
        return self._idf.get(token, self.max_idf)

    def prints(self, phrase: str) -> bool:
        """Does some passage print `phrase` (case and spacing aside)?"""
        if self._printed is None:
            self._printed = " ".join(" ".join(c.text.lower().split()) for c in self.chunks.values())
        return " ".join(phrase.lower().split()) in self._printed

    def known(self, token: str) -> bool:
        return token in self._idf

    # ---- units ---------------------------------------------------------------------------------
    def units(self, chunk: Chunk) -> tuple[EvidenceUnit, ...]:
        cached = self._units.get(chunk.id)
        if cached is None:
            cached = tuple(self._split(chunk))
            self._units[chunk.id] = cached
        return cached

    def _split(self, chunk: Chunk) -> list[EvidenceUnit]:
        if chunk.kind == "table":
            frame = " ".join(part for part in (table_title(chunk.text), table_header(chunk.text)) if part)
            units, heading = [], ""
            gridded = is_gridded(chunk.text)
            for row in split_rows(chunk.text):
                # A gridded table's title and header rows frame its rows; quoted alone they answer nothing.
                if gridded and is_framing_row(row.text, chunk.text):
                    continue
                # A trial's row above its arms' rows gives them their trial; in a table printed one cell
                # per line the line above is just another cell, so no context is inferred.
                names_trial = gridded and bool(self.vocabulary.find_trials(row.text))
                if gridded and not names_trial and _SECTION_LABEL.match(row.text):
                    heading = ""  # "Pomalidomide Based Regimens": a new section of rows, no evidence itself
                    continue
                units.append(
                    EvidenceUnit(
                        chunk_id=chunk.id,
                        text=row.text,
                        start=row.start,
                        end=row.end,
                        kind="row",
                        # Only an arm's row (cells) is the trial's; a legend or footnote line is the table's.
                        context="" if names_trial or "|" not in row.text else heading,
                        frame=frame,
                    )
                )
                if names_trial:
                    heading = row.text
            return units
        spans: list[TextSpan] = split_sentences(chunk.text)
        if spans and is_run_in_title(spans[0].text, chunk.section):
            spans = spans[1:]
        return [
            EvidenceUnit(chunk_id=chunk.id, text=s.text, start=s.start, end=s.end, kind="sentence")
            for s in spans
        ]

    def vectors(self, units: Sequence[EvidenceUnit]) -> np.ndarray:
        """Embeddings of `units` (row units are embedded with their context), computing only misses."""
        return self._cached(self._vectors, [((u.chunk_id, u.start), u.scoring_text) for u in units])

    def passage_vectors(self, chunks: Sequence[Chunk]) -> np.ndarray:
        """Embeddings of whole passages (their text as printed, computing only misses): a sentence's
        relevance also depends on the passage it stands in, as for its lexical score."""
        return self._cached(self._passage_vectors, [(c.id, c.text) for c in chunks])

    def _cached(self, cache: dict[Any, np.ndarray], items: Sequence[tuple[Any, str]]) -> np.ndarray:
        """The embeddings of `(key, text)` items, embedding (once each) only the keys `cache` lacks."""
        missing = {key: text for key, text in items if key not in cache}
        if missing:
            cache.update(zip(missing, embed_texts(self._embedder, list(missing.values())), strict=True))
        return np.stack([cache[key] for key, _ in items])

    def warm(
        self,
        cache_path: Path | None = None,
        batch: int = 256,
        on_batch: Callable[[int, int], bool] | None = None,
    ) -> bool:
        """Embed every sentence and passage of the corpus (once per process), so no question pays for it,
        and enable the corpus-wide sentence search that backs up passage retrieval. True when it is ready.

        `cache_path`: an .npz keeping the vectors between processes, valid while the sentence and passage
        texts and the model are unchanged (a content hash is stored beside the vectors). `on_batch(done,
        total)` is called after each embedded batch (a progress display); returning False stops the
        warm-up unfinished (the page's background thread, at process exit).
        """
        if self._all_units is not None:
            return True
        units = [u for chunk in self.chunks.values() for u in self.units(chunk)]
        chunks = list(self.chunks.values())
        # The sentences, then the passages, embedded and cached together.
        texts = [u.scoring_text for u in units] + [c.text for c in chunks]
        key = hashlib.sha256("\x00".join([str(getattr(self._embedder, "model_name", "")), *texts]).encode())
        digest = key.hexdigest()
        both = _load_vectors(cache_path, digest, len(texts)) if cache_path else None
        if both is None:
            parts = []
            for start in range(0, len(texts), batch):
                parts.append(embed_texts(self._embedder, texts[start : start + batch]))
                if on_batch is not None and not on_batch(min(start + batch, len(texts)), len(texts)):
                    return False
            both = np.concatenate(parts)
            if cache_path:
                _save_vectors(cache_path, digest, both)
        matrix = both[: len(units)]
        for chunk, vector in zip(chunks, both[len(units) :], strict=True):
            self._passage_vectors[chunk.id] = vector
        for unit, vector in zip(units, matrix, strict=True):
            self._vectors[(unit.chunk_id, unit.start)] = vector
            self.tokens(unit.scoring_text)
            self.entities(unit.scoring_text)
        for chunk in self.chunks.values():
            self.tokens(chunk.text)
            self.entities(chunk.text)
        # Matrix first: a question on another thread takes the search as ready once the units are set.
        self._all_matrix = matrix
        self._all_units = units
        return True

    @property
    def warmed(self) -> bool:
        return self._all_units is not None

    def nearest_units(
        self, question_vector: np.ndarray, terms: QuestionTerms, n: int, allowed: set[str] | None = None
    ) -> list[EvidenceUnit]:
        """The `n` corpus sentences closest to the question (dense + lexical), whatever passage retrieval
        found: a quote in a long passage that ranked low still gets its chance. Needs ``warm()``."""
        if self._all_units is None or n <= 0:
            return []
        dense = self._all_matrix @ question_vector
        lexical = np.fromiter(
            (lexical_coverage(terms, self.tokens(u.scoring_text), self) for u in self._all_units),
            dtype=np.float32,
            count=len(self._all_units),
        )
        combined = dense + lexical
        if allowed is not None:
            mask = np.fromiter(
                (u.chunk_id in allowed for u in self._all_units), dtype=bool, count=len(self._all_units)
            )
            combined = np.where(mask, combined, -np.inf)
        order = np.argsort(-combined)[:n]
        return [self._all_units[i] for i in order if np.isfinite(combined[i])]


def is_run_in_title(sentence: str, section: str) -> bool:
    """A title run into its paragraph ("CAR-T cell therapy. Idecabtagene ..."), which ingest made the
    chunk's section: every citation already names it, and quoted as a point it reads as a finding."""

    def words(text: str) -> str:
        return " ".join(text.lower().split()).strip(" .:")

    return bool(section) and words(sentence) in {words(section), words(section.split(": ")[-1])}


_TABLE_TITLE = re.compile(r"^\s*(Table\s*\d+[.:]?[^\n]*)$", re.MULTILINE | re.IGNORECASE)


def table_title(text: str) -> str:
    """The "Table n: ..." line of a table passage ('' if none)."""
    match = _TABLE_TITLE.search(text)
    return match.group(1).strip() if match else ""


def is_gridded(text: str) -> bool:
    """A table passage whose rows kept their cells ("a | b | c"); otherwise its grid was lost."""
    return "|" in text


# A legend printed as "Kd carfilzomib-dexamethasone, Pom-dex pomalidomide-dexamethasone, ...": codes, each
# followed by its lower-case expansion.
_ABBREVIATION_ITEM = r"\S*[A-Z]\S* [a-z][a-z\-]*(?: [a-z][a-z\-]*)*"
_ABBREVIATION_LIST = re.compile(rf"^{_ABBREVIATION_ITEM}(?:, {_ABBREVIATION_ITEM})+\.?$")


def _is_table_note(line: str) -> bool:
    """A table's legend or footnote key: it closes the table, it belongs to no record."""
    return bool(_LEGEND.search(line) or _FOOTNOTE_KEY.search(line) or _ABBREVIATION_LIST.match(line))


def record_spans(text: str, heading: str) -> list[tuple[int, int]]:
    """A lost-grid table printed as one record per trial ("BOSTON (NCT03110562):", then its objective,
    criteria and enrollment lines): each record's span, from its heading line to the next heading or the
    table's legend. Empty when the table has fewer than two such headings (its lines are cells then)."""
    pattern = re.compile(heading, re.IGNORECASE)
    lines, at = [], 0
    for line in text.splitlines(keepends=True):
        lines.append((at, at + len(line.rstrip()), line.strip()))
        at += len(line)
    heads = [i for i, (_, _, line) in enumerate(lines) if pattern.search(line)]
    if len(heads) < 2:
        return []
    spans = []
    for n, first in enumerate(heads):
        last = heads[n + 1] - 1 if n + 1 < len(heads) else len(lines) - 1
        while last > first and (not lines[last][2] or _is_table_note(lines[last][2])):
            last -= 1
        spans.append((lines[first][0], lines[last][1]))
    return spans


# A gridded table's section label: one short cell of words ("Pomalidomide Based Regimens", "Car-T Cells").
_SECTION_LABEL = re.compile(r"^[A-Za-z][A-Za-z\- ]{0,60}$")
_BARE_CELL = re.compile(r"^(?:[\d.,·–\-%]+|NA|NR|NE|\.\.|///)$")


_DECIMAL = re.compile(r"\d[.·]\d")


def _header_rows(text: str) -> list[list[str]]:
    """The header rows as printed (empty cells kept: a group row's empty cells are the columns it spans):
    the first row of three or more cells none of which is a figure, and the header rows printed under it
    (a group row over its columns: "Intention-to-treat population | | | One previous line of therapy"
    over "n | Median PFS, months (95% CI) | HR ...")."""
    rows: list[list[str]] = []
    for row in text.splitlines():
        printed = [c.strip() for c in row.split("|")]
        cells = [c for c in printed if c]
        wordy = len(cells) >= 2 and not any(_BARE_CELL.match(c) or _DECIMAL.search(c) for c in cells)
        if rows and not wordy:
            break
        if wordy and (rows or len(cells) >= 3 or len(printed) > len(cells)):
            rows.append(printed)
    return rows


def table_header(text: str) -> str:
    """The column headers, header rows joined by " / "; a sub-header repeated under each group is given
    once, "(each)"."""
    return " / ".join(_once([c for c in row if c]) for row in _header_rows(text))


def _cells(row: str) -> list[str]:
    """A printed row's non-empty cells."""
    return [c.strip() for c in row.split("|") if c.strip()]


def is_framing_row(row: str, table: str) -> bool:
    """Is `row` the table's title or one of its header rows (which frame its rows, and answer nothing)?"""
    return row.strip() == table_title(table) or any(
        _cells(row) == [c for c in header if c] for header in _header_rows(table)
    )


def labelled_row(row: str, table: str) -> str | None:
    """A row's cells each after its column's name ("Trial: Apollo; Regimens: D-PD vs PD; ...; mOS (months):
    34.4"), so no reader counts columns; under group headers, grouped ("Kd: Intention-to-treat population
    - n: 154; Median PFS, months (95% CI): 15.8 (12.1 to NE) | Lenalidomide refractory ... - n: 55; ...").
    Every cell as printed. None for a header row and for a row whose cells do not line up with the columns
    (a trial's row of merged cells), which is then shown as printed."""
    rows = _header_rows(table)
    if not rows or len(rows) > 2 or is_framing_row(row, table):
        return None
    columns = [c for c in rows[-1] if c]
    groups = [""] * len(columns)
    if len(rows) == 2:
        if len(rows[0]) > len(columns):
            return None
        current = ""
        for i in range(len(columns)):
            current = (rows[0][i] if i < len(rows[0]) else "") or current
            groups[i] = current
    cells = [c.strip() for c in row.split("|")]  # empty cells kept: they hold a column's place
    label = ""
    if len(cells) == len(columns) + 1:
        label, cells = cells[0], cells[1:]
    elif len(cells) != len(columns):
        return None
    parts: list[tuple[str, list[str]]] = []
    for group, column, cell in zip(groups, columns, cells, strict=True):
        if not parts or parts[-1][0] != group:
            parts.append((group, []))
        parts[-1][1].append(f"{column}: {cell}")
    text = " | ".join(
        f"{group} - {'; '.join(pairs)}" if group else "; ".join(pairs) for group, pairs in parts
    )
    return f"{label}: {text}" if label else text


def _once(cells: list[str]) -> str:
    """ "n | PFS | HR | n | PFS | HR" -> "n | PFS | HR (each)": a sub-header printed once per group."""
    for size in range(1, len(cells) // 2 + 1):
        if len(cells) % size == 0 and cells == cells[:size] * (len(cells) // size):
            return " | ".join(cells[:size]) + " (each)"
    return " | ".join(cells)


def _load_vectors(path: Path, digest: str, n: int) -> np.ndarray | None:
    try:
        with np.load(path) as data:
            if str(data["digest"]) == digest and data["vectors"].shape[0] == n:
                return data["vectors"].astype(np.float32)
    except (OSError, KeyError, ValueError, zipfile.BadZipFile, EOFError):  # damaged cache: embed again
        return None
    return None


def _save_vectors(path: Path, digest: str, matrix: np.ndarray) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(".tmp.npz")
        np.savez(temporary, digest=np.array(digest), vectors=matrix.astype(np.float32))
        temporary.replace(path)
    except OSError:
        pass  # a read-only index folder only costs the next process the embedding time


class RateObject(BaseModel):
    """What a question asks the rate of, beyond the outcomes every trial reports: the words the sources use
    for it (`known`), the terms typed in the vocabulary's other forms (`alternatives`: "low platelets" or
    "thrombocytopenia"), and the words the sources never use (`unknown`)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    words: str = ""
    known: frozenset[str] = frozenset()
    alternatives: tuple[tuple[frozenset[str], ...], ...] = ()
    unknown: frozenset[str] = frozenset()

    def named_by(self, tokens: frozenset[str]) -> bool:
        """Does a sentence with these tokens name the object (each term in one of its forms)?"""
        return self.known <= tokens and all(any(alt <= tokens for alt in alts) for alts in self.alternatives)


class QuestionTerms(BaseModel):
    """What the question is about, for scoring and abstention."""

    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)

    text: str
    # The question with the sources' names blanked (same length, so offsets agree): what it asks about.
    content: str
    tokens: frozenset[str]
    expanded_tokens: frozenset[str]
    trials: frozenset[str]
    regimens: frozenset[str]
    # Drugs (also inside a regimen code) and trials named, by vocabulary id (SentenceBank.agents(content)).
    agents: frozenset[str] = frozenset()
    numbers: frozenset[str]
    asks_number: bool
    asks_table: bool = False
    documents: frozenset[str] = frozenset()
    # What a sentence must contain to give the kind of figure asked for ("what dose": "4 mg"); see
    # figure_kinds in data/abstention.yaml. Empty: any figure will do when `asks_number`. Selection and
    # the abstention check both read it from here, so they always agree on what was asked.
    figures: tuple[str, ...] = ()
    # What a rate question counts (abstain.asked_rate_object), read here by ranking and abstention alike.
    rate_object: RateObject = RateObject()
    weights: dict[str, float] = {}  # token -> idf ** power, for the question's own tokens
    expanded_weights: dict[str, float] = {}  # the same for tokens added by abbreviation expansion
    total_weight: float = 0.0
    # One term in two spellings (QueryExpander.equivalent_terms): the question's tokens for it, and the
    # tokens of the other spelling, which name it as fully ("Vd" / "bortezomib plus dexamethasone").
    equivalents: tuple[tuple[frozenset[str], frozenset[str]], ...] = ()


def question_terms(
    question: str,
    expansion: str,
    bank: SentenceBank,
    figures: Sequence[str] = (),
    rate_object: RateObject | None = None,
) -> QuestionTerms:
    vocabulary = bank.vocabulary
    config = bank.config
    # A source's name ("the IMWG", "the frontline-len review") says where to look, not what to find: its
    # words are no content, else a sentence of another review citing "IMWG criteria" would match them.
    # Blanked, not removed, so offsets into `content` are offsets into `question`.
    content, documents = SourceNames.load().blank(question)
    # Drug shorthand means the drug ("len-refractory" is "lenalidomide-refractory"): full weight, unlike
    # other expansions, which only may be what the question meant.
    drug_mentions = vocabulary.find_drugs(content)
    drug_names = " ".join(vocabulary.drugs[m.id].name for m in drug_mentions)

    def never_printed(form: str) -> frozenset[str]:
        """The typed form's words if the sources use none of them or, a phrase of three words or more, never
        print it whole; else nothing."""
        tokens = bank.tokens(form)
        if len(form.split()) >= 3 and not bank.prints(form):
            return tokens
        return tokens if not any(bank.known(t) for t in tokens) else frozenset()

    unused, printed = set(), []
    # A brand name the sources never print ("Velcade", "Kyprolis") is its drug's name, not an unknown term.
    for mention in drug_mentions:
        unused |= never_printed(question[mention.start : mention.end])
    # So does an abbreviation typed in words the sources never use ("VTE prophylaxis" for their
    # "thromboprophylaxis"): its printed name stands in for it, and the typed words are no unknown terms.
    # An everyday phrase ("how long until it comes back" for PFS) stands in when never printed whole, however
    # common its words.
    for form, abbreviation in QueryExpander.default().typed_abbreviations(question):
        if words := never_printed(form):
            unused |= words
            printed.append(abbreviation.names[0])
    # Only the names' words the sources use: "felzartamab", the vocabulary's name for the sources' "MOR202",
    # would otherwise count as a term the sources never use, against a question they answer.
    names = frozenset(t for t in bank.tokens(f"{drug_names} {' '.join(printed)}") if bank.known(t))
    tokens = (bank.tokens(content) | names) - unused
    # Drug shorthand already stands for its name at full weight; crediting it again would count it twice.
    shorthand = frozenset().union(*(bank.tokens(question[m.start : m.end]) for m in drug_mentions))
    equivalents = []
    # The printed names standing in are read as typed: "progression-free survival" is also "PFS".
    for typed, other in QueryExpander.default().equivalent_terms(" ".join([question, *printed])):
        typed_tokens, other_tokens = (bank.tokens(typed) & tokens) - shorthand, bank.tokens(other)
        if typed_tokens and other_tokens and not typed_tokens & other_tokens:
            equivalents.append((typed_tokens, other_tokens))
    expanded = bank.tokens(expansion) - tokens
    weights = {t: bank.idf(t) ** config.idf_power for t in tokens}
    return QuestionTerms(
        text=question,
        content=content,
        tokens=tokens,
        expanded_tokens=expanded,
        weights=weights,
        expanded_weights={t: 0.5 * bank.idf(t) ** config.idf_power for t in expanded},
        total_weight=sum(weights.values()),
        equivalents=tuple(equivalents),
        trials=frozenset(m.id for m in vocabulary.find_trials(question)),
        regimens=frozenset(m.id for m in vocabulary.find_regimens(question)),
        agents=bank.agents(content),
        numbers=frozenset(n.replace("·", ".") for n in _NUMBER.findall(question)),
        asks_number=bool(re.search(config.asks_for_number, question, re.IGNORECASE)),
        asks_table=bool(re.search(config.asks_for_table, question, re.IGNORECASE)),
        figures=tuple(figures),
        rate_object=rate_object or RateObject(),
        documents=documents,
    )


def gives_figures(text: str, figures: Sequence[str]) -> bool:
    """Does `text` give every asked kind of figure (each a pattern: a dose unit, a percentage, ...)?"""
    return all(re.search(pattern, text, re.IGNORECASE) for pattern in figures)


def lexical_coverage(terms: QuestionTerms, tokens: frozenset[str], bank: SentenceBank) -> float:
    """idf-weighted share of the question's content tokens present; a token added by abbreviation
    expansion ("carfilzomib" for "Kd") counts half, but a term printed in its other spelling counts in full
    ("PFS" for "progression-free survival", "Vd" for "bortezomib plus dexamethasone": the IMWG review spells
    out what the question abbreviates). `bank` is kept for a uniform signature."""
    if terms.total_weight == 0:
        return 0.0
    weights, expanded = terms.weights, terms.expanded_weights
    hit = sum(weights[t] for t in tokens if t in weights) + sum(expanded[t] for t in tokens if t in expanded)
    spelled_otherwise = {
        t for typed, other in terms.equivalents if other <= tokens for t in typed - tokens
    }
    hit += sum(weights.get(t, 0.0) for t in spelled_otherwise)
    return min(hit / terms.total_weight, 1.0)


def _entity_score(terms: QuestionTerms, text: str, chunk_text: str, bank: SentenceBank) -> float:
    """Share of the question's trials and regimens the sentence names (half credit: only its passage does).
    A question naming none reads its drugs instead, at `drug_entity_factor`: "selinexor alone and with
    bortezomib" is not answered by a PVd sentence that shares "bortezomib ... alone" with it."""
    wanted, names, factor = terms.trials | terms.regimens, bank.entities, 1.0
    if not wanted:
        wanted, names, factor = terms.agents, bank.agents, bank.config.drug_entity_factor
    if not wanted:
        return 0.0
    here, around = names(text), names(chunk_text)
    return factor * sum(1.0 if w in here else 0.5 if w in around else 0.0 for w in wanted) / len(wanted)


_LEGEND = re.compile(r"(?:^abbreviations\b)|(?:\b[\w\-]+ ?= ?[A-Za-z].*){2,}", re.IGNORECASE)
_LEGEND_ENTRY = re.compile(r"[\w\-]+ ?= ?[A-Za-z]")
# A table's symbol key: two or more footnote definitions on one line ("*Triple class refractory; **In
# evaluable patients; ..."). It answers a question about the table, not one about the trial.
_FOOTNOTE_KEY = re.compile(r"^[*†‡§°¶]+ ?\w[^;]*;\s*[*†‡§°¶]+")


def is_legend(unit: EvidenceUnit) -> bool:
    """An abbreviation legend ("DKd=...; DVd=..."), an "Abbreviations:" line, or a legend's single entry
    cut off as a sentence of its own ("DKd=daratumumab plus carfilzomib plus dexamethasone.")."""
    return bool(_LEGEND.search(unit.text) or _LEGEND_ENTRY.match(unit.text))


def _quality(unit: EvidenceUnit, config: SelectionConfig, terms: QuestionTerms) -> float:
    """Abbreviation legends and fragments (table debris, reference lists) are poor answers; a table row
    answers a question about a table or a subgroup figure, but prose states a trial's results better."""
    if _LEGEND.search(unit.text) or (not terms.asks_table and _FOOTNOTE_KEY.search(unit.text)):
        return config.legend_factor
    if unit.kind == "row":
        return config.table_row_factor if terms.asks_table else config.row_factor
    if len(re.findall(r"[A-Za-z]{2,}", unit.text)) < config.fragment_words:
        return config.fragment_factor
    return 1.0


def score_units(
    terms: QuestionTerms,
    question_vector: np.ndarray,
    passages: Sequence[Passage],
    bank: SentenceBank,
    allowed: set[str] | None = None,
) -> list[ScoredUnit]:
    """Sentences / rows of `passages` plus the corpus sentences nearest the question (restricted to
    `allowed` chunk ids when given), scored against the question, best first."""
    config = bank.config
    w = config.weights
    pairs = [(p, u) for p in passages for u in bank.units(p.chunk)]
    seen = {(u.chunk_id, u.start) for _, u in pairs}
    for unit in bank.nearest_units(question_vector, terms, config.corpus_sentences, allowed):
        if (unit.chunk_id, unit.start) not in seen:
            chunk = bank.chunks[unit.chunk_id]
            pairs.append((Passage(chunk=chunk, score=0.0, rank=len(passages) + 1), unit))
            seen.add((unit.chunk_id, unit.start))
    if not pairs:
        return []
    own = bank.vectors([u for _, u in pairs]) @ question_vector
    around = bank.passage_vectors([p.chunk for p, _ in pairs]) @ question_vector
    # A table row is already read with its table's title and headers; the whole table's text embeds as its
    # header and first rows only, which says nothing of the row.
    share = np.array([0.0 if u.kind == "row" else config.passage_dense for _, u in pairs])
    dense = (1 - share) * own + share * around
    passage_cover = {p.chunk.id: lexical_coverage(terms, bank.tokens(p.chunk.text), bank) for p, _ in pairs}
    scored = []
    for (passage, unit), similarity in zip(pairs, dense, strict=True):
        text = unit.scoring_text
        lexical = (1 - config.passage_context) * lexical_coverage(
            terms, bank.tokens(text), bank
        ) + config.passage_context * passage_cover[passage.chunk.id]
        entity = _entity_score(terms, text, passage.chunk.text, bank)
        unit_numbers = {n.replace("·", ".") for n in _NUMBER.findall(unit.text)}
        numbers = 0.0
        # A question asking for a dose is answered by "4 mg", not by "31%": the asked kind must be given.
        if terms.figures:
            numbers = float(gives_figures(unit.text, terms.figures))
        elif terms.asks_number and unit_numbers - {"1", "2", "3"}:
            numbers = 1.0
        if terms.numbers & unit_numbers:
            numbers = 1.0
        score = (
            w["lexical"] * lexical
            + w["dense"] * float(similarity)
            + w["entity"] * entity
            + w["numbers"] * numbers
            + w["rank"] / passage.rank
        ) * _quality(unit, config, terms) + w["document"] * (passage.chunk.doc_id in terms.documents)
        scored.append(
            ScoredUnit(
                unit=unit,
                passage=passage,
                score=round(score, 6),
                lexical=lexical,
                dense=float(similarity),
                entity=entity,
                numbers=numbers,
            )
        )
    scored.sort(key=lambda s: -s.score)
    return scored


def demote_units(
    scored: Sequence[ScoredUnit], keep: Callable[[ScoredUnit], bool], factor: float
) -> list[ScoredUnit]:
    """`scored` with the units failing `keep` scored down by `factor`, best first again."""
    rescored = [s if keep(s) else s.model_copy(update={"score": round(s.score * factor, 6)}) for s in scored]
    return sorted(rescored, key=lambda s: -s.score)


def _overlap(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / max(min(len(a), len(b)), 1)


def pick_points(
    scored: Sequence[ScoredUnit],
    bank: SentenceBank,
    max_points: int | None = None,
    wants_figure: bool = False,
    entities: frozenset[str] = frozenset(),
    documents: frozenset[str] = frozenset(),
) -> list[ScoredUnit]:
    """The answer's sentences: the best passage's best sentences, then other passages' best sentences
    when their passage scores nearly as well; no near-duplicates, at most max_points + 1 in all. A
    question naming two or more trials/regimens (`entities`) or sources (`documents`) gets a point on each.

    Passages are ranked on their best two sentences (a passage that answers holds the answer in
    consecutive sentences); a point from a weaker passage costs citation precision, so it must earn it.
    """
    config = bank.config
    limit = (max_points if max_points is not None else config.max_points) + 1
    if not scored:
        return []
    by_chunk: dict[str, list[ScoredUnit]] = {}
    for candidate in scored:
        by_chunk.setdefault(candidate.unit.chunk_id, []).append(candidate)

    def passage_score(units: list[ScoredUnit]) -> float:
        if len(units) > 1:
            second = units[1].score
        elif len(bank.units(units[0].passage.chunk)) == 1:
            # A passage of one sentence has no second to offer: ranked on two, it never beat a longer one.
            second = config.single_sentence_second * units[0].score
        else:
            second = 0.0
        return units[0].score + config.second_sentence_weight * second

    ranked = sorted(by_chunk.values(), key=lambda units: -passage_score(units))
    best = passage_score(ranked[0])
    chosen: list[ScoredUnit] = []
    seen_tokens: list[frozenset[str]] = []
    for position, units in enumerate(ranked[: len(config.sentences_per_passage)]):
        if position and passage_score(units) < config.passage_floor * best:
            break
        floor = units[0].score * config.relative_floor
        taken = 0
        for candidate in units:
            if taken >= config.sentences_per_passage[position] or len(chosen) >= limit:
                break
            if candidate.score < floor:
                break
            if not _take_if_new(candidate, bank, seen_tokens):
                continue
            chosen.append(candidate)
            taken += 1
    if len(entities) > 1:
        chosen += _entity_points(entities, chosen, scored, bank, seen_tokens)
    if len(documents) > 1:
        chosen += _document_points(documents, chosen, scored, bank, seen_tokens)
    joined = join_neighbours(
        whole_tables(chosen, bank, asked=entities), scored, bank, wants_figure=wants_figure, asked=entities
    )
    return merge_adjacent(joined, bank)


_LIST_ITEM = re.compile(r"^\(?(?:\d{1,2}|[a-z]|[ivx]{1,4})\)\s")


def merge_adjacent(points: Sequence[ScoredUnit], bank: SentenceBank) -> list[ScoredUnit]:
    """A point that cannot stand alone ("In this study, ...", "However, ...", the next item of a list cut
    into sentences) is merged with the point quoting the sentence just before it in the same passage: one
    quote, at the better one's place, under one citation, instead of a reference to nothing two points on.
    Points that do stand alone stay separate, so the answer keeps a short lead."""
    anaphoric = re.compile(bank.config.anaphoric_opening, re.IGNORECASE)

    def continues(first: str, second: str) -> bool:
        opens_on_reference = anaphoric.match(second) or _LIST_ITEM.match(second)
        return bool(opens_on_reference or first.rstrip().endswith((":", ";", ",")))

    def next_pair(candidates: list[ScoredUnit]) -> tuple[int, int] | None:
        """Indices of a point and the point continuing it right after it in the same passage."""
        for i, first in enumerate(candidates):
            chunk = bank.chunks.get(first.unit.chunk_id)
            if first.unit.kind != "sentence" or chunk is None:
                continue
            for j, second in enumerate(candidates):
                if (
                    i != j
                    and second.unit.chunk_id == first.unit.chunk_id
                    and second.unit.kind == "sentence"
                    and second.unit.start >= first.unit.end
                    and not chunk.text[first.unit.end : second.unit.start].strip()
                    and continues(first.unit.text, second.unit.text)
                ):
                    return i, j
        return None

    merged = list(points)
    while (pair := next_pair(merged)) is not None:
        i, j = pair
        first, second = merged[i], merged[j]
        text = bank.chunks[first.unit.chunk_id].text[first.unit.start : second.unit.end]
        unit = first.unit.model_copy(update={"text": text, "end": second.unit.end})
        merged[min(i, j)] = first.model_copy(update={"unit": unit, "score": max(first.score, second.score)})
        del merged[max(i, j)]
    return merged


def whole_tables(
    chosen: Sequence[ScoredUnit], bank: SentenceBank, asked: frozenset[str] = frozenset()
) -> list[ScoredUnit]:
    """A cell of a table printed one cell per line cannot be read without its row and column, which the
    extraction lost: the table is quoted whole instead, once (its first chosen cell's place). A table of one
    record per trial is quoted by the records of the `asked` trials, else by the records holding its chosen
    lines (best first), after the table's caption."""
    out, quoted = [], set()
    for point in chosen:
        chunk = bank.chunks.get(point.unit.chunk_id)
        if point.unit.kind != "row" or chunk is None or is_gridded(chunk.text):
            out.append(point)
            continue
        if chunk.id in quoted:
            continue
        quoted.add(chunk.id)
        records = record_spans(chunk.text, bank.config.record_heading)
        named = [(a, b) for a, b in records if asked & bank.entities(chunk.text[a:b].splitlines()[0])]
        lines = [c.unit.start for c in chosen if c.unit.chunk_id == chunk.id]
        holding = [(a, b) for a, b in records if any(a <= at < b for at in lines)]
        holding.sort(key=lambda span: min(i for i, at in enumerate(lines) if span[0] <= at < span[1]))
        spans = named or holding
        caption = " ".join(chunk.text[: records[0][0]].split()) if spans else ""
        if not spans:  # the whole table
            body = chunk.text.strip()
            start = chunk.text.index(body)
            spans = [(start, start + len(body))]
        for start, end in spans:
            unit = EvidenceUnit(
                chunk_id=chunk.id,
                text=chunk.text[start:end],
                start=start,
                end=end,
                kind="table",
                frame=caption,
            )
            out.append(point.model_copy(update={"unit": unit}))
    return out


def _take_if_new(candidate: ScoredUnit, bank: SentenceBank, seen_tokens: list[frozenset[str]]) -> bool:
    """False for a near-duplicate of a sentence already taken; else records its tokens and returns True."""
    tokens = bank.tokens(candidate.unit.text)
    if any(_overlap(tokens, other) > bank.config.duplicate_overlap for other in seen_tokens):
        return False
    seen_tokens.append(tokens)
    return True


def _point_per_missing(
    wanted: frozenset[str],
    covers: Callable[[ScoredUnit], frozenset[str]],
    chosen: Sequence[ScoredUnit],
    scored: Sequence[ScoredUnit],
    bank: SentenceBank,
    seen_tokens: list[frozenset[str]],
    floor: float = float("-inf"),
) -> list[ScoredUnit]:
    """For each wanted key (a trial, a source) no chosen point covers, the best new candidate covering it,
    if it scores at least `floor`."""
    covered = frozenset().union(*(covers(c) for c in chosen))
    added: list[ScoredUnit] = []
    for key in sorted(wanted - covered):
        for candidate in scored:
            if candidate.score < floor:
                break
            if key not in covers(candidate) or candidate in chosen:
                continue
            if not _take_if_new(candidate, bank, seen_tokens):
                continue
            added.append(candidate)
            break
    return added


def _entity_points(
    entities: frozenset[str],
    chosen: Sequence[ScoredUnit],
    scored: Sequence[ScoredUnit],
    bank: SentenceBank,
    seen_tokens: list[frozenset[str]],
) -> list[ScoredUnit]:
    """A comparison ("Kd vs DVd", "CANDOR and IKEMA") needs a point on each side: for each trial or regimen
    the question names and no chosen sentence names, the best sentence that names it, if it scores well."""
    floor = bank.config.entity_point_floor * scored[0].score
    return _point_per_missing(
        entities, lambda c: bank.entities(c.unit.scoring_text), chosen, scored, bank, seen_tokens, floor
    )


def _document_points(
    documents: frozenset[str],
    chosen: Sequence[ScoredUnit],
    scored: Sequence[ScoredUnit],
    bank: SentenceBank,
    seen_tokens: list[frozenset[str]],
) -> list[ScoredUnit]:
    """"Do the Korean and Belgian reviews agree?" needs each named source heard: for each named document no
    chosen sentence comes from, its best sentence (the question named the source, so no score floor)."""
    return _point_per_missing(
        documents, lambda c: frozenset({c.passage.chunk.doc_id}), chosen, scored, bank, seen_tokens
    )


def join_neighbours(
    chosen: Sequence[ScoredUnit],
    scored: Sequence[ScoredUnit],
    bank: SentenceBank,
    wants_figure: bool = False,
    asked: frozenset[str] = frozenset(),
) -> list[ScoredUnit]:
    """Each chosen sentence joined with the sentence after it in its passage when that one scores nearly as
    well: a finding is often stated over two sentences ("X was compared with Y." "Median PFS was ..."), and
    the joined quote keeps one citation, so it adds the figures without costing citation precision.

    When the question asks for a figure, the quote also runs on to the next sentence that gives one (within
    `figure_lookahead` sentences): reviews describe a trial, then report its results ("At 30 months of
    follow-up, the ORR is 63%, ..."), so the figures asked for are often a sentence or two further on.
    Neither runs on into a sentence turning from the point's trial to one the question does not name
    (`asked`): that is another finding, not the second half of this one.
    """
    config = bank.config
    figure = re.compile(config.gives_figure, re.IGNORECASE)
    anaphoric = re.compile(config.anaphoric_opening, re.IGNORECASE)

    def _new_trial(following: str, text: str) -> bool:
        """Does `following` turn from the trial `text` reports to one neither it nor the question names? A
        sentence naming no trial ("these four phase 3 trials") may be followed by the ones it means."""
        mine = {m.id for m in bank.vocabulary.find_trials(text)}
        return bool(mine and {m.id for m in bank.vocabulary.find_trials(following)} - mine - asked)

    by_position = {(s.unit.chunk_id, s.unit.start): s for s in scored}
    taken = {(s.unit.chunk_id, s.unit.start) for s in chosen}
    joined = []
    for point in chosen:
        unit = point.unit
        if unit.kind != "sentence" or unit.chunk_id not in bank.chunks:
            joined.append(point)
            continue
        chunk_text = bank.chunks[unit.chunk_id].text
        units = bank.units(bank.chunks[unit.chunk_id])
        following = [u for u in units if u.start >= unit.end]
        end, start = unit.end, unit.start
        previous = [u for u in units if u.end <= unit.start][-1:]
        if (
            previous
            and anaphoric.match(unit.text)
            and (unit.chunk_id, previous[0].start) not in taken
            and unit.end - previous[0].start <= config.neighbour_chars
        ):
            start = previous[0].start
        nxt = following[0] if following else None
        turns_away = nxt is not None and _new_trial(nxt.text, unit.text)
        if nxt is not None and (unit.chunk_id, nxt.start) not in taken and not turns_away:
            neighbour = by_position.get((unit.chunk_id, nxt.start))
            score = neighbour.score if neighbour else 0.0
            close = nxt.end - unit.start <= config.neighbour_chars
            if close and score >= config.neighbour_floor * point.score:
                end = nxt.end
        if wants_figure:
            for later in [u for u in following if u.start >= end][: config.figure_lookahead]:
                if (unit.chunk_id, later.start) in taken or later.end - unit.start > config.neighbour_chars:
                    break
                if _new_trial(later.text, unit.text):
                    break
                if figure.search(later.text):
                    end = max(end, later.end)
                    break
        if (start, end) == (unit.start, unit.end):
            joined.append(point)
            continue
        taken.update((unit.chunk_id, u.start) for u in units if start <= u.start and u.end <= end)
        merged = unit.model_copy(update={"text": chunk_text[start:end], "start": start, "end": end})
        joined.append(point.model_copy(update={"unit": merged}))
    return joined
