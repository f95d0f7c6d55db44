"""Deterministic fact extraction from clinician free text ("67M, VRd -> ASCT -> R maint, PD on R").

Lexicon patterns live in data/lexicon.yaml; drug and regimen names come from assistant.vocabulary.
Every fact keeps the span it came from and the name of the rule that produced it, so the clinician can
see why the assistant believes it. Facts that were inferred rather than read (e.g. "pomalidomide-naive
because the described treatment history never mentions it") carry the span of the history they were
inferred from and a rule name that says so.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict

from assistant.rules.dates import (
    Order,
    Reading,
    TextDate,
    days_between,
    find_dates,
    find_yearless_dates,
    months_between,
    reading_pairs,
    writer_orders,
)
from assistant.rules.lab_table import latest_in_column
from assistant.rules.profile import (
    ANTI_CD38_DRUGS,
    PI_DRUGS,
    TRACKED_DRUGS,
    PatientProfile,
    check_plausible,
    stronger,
)
from assistant.vocabulary import Mention, Vocabulary, load_vocabulary

LEXICON_PATH = Path(__file__).parent / "data" / "lexicon.yaml"
STATUS_FIELDS = (*TRACKED_DRUGS, "pi", "anti_cd38")
STEROIDS = frozenset({"dexamethasone", "prednisone"})
# Regimens given to transplant-ineligible patients in the sources' trials (ALCYONE enrolled patients
# "not eligible for ASCT"; the Belgian review names VMP for elderly patients).
INELIGIBLE_FRONTLINE = {"VMP", "D-VMP", "MPT", "MP", "MTP"}
# Classes whose status is not tracked (steroids and chemotherapy are given again): any other drug given
# and failed (a CAR-T, a bispecific, belantamab, selinexor...) is not offered again (other_refractory).
UNTRACKED_CLASSES = {
    "corticosteroid",
    "alkylator",
    "anthracycline",
    "platinum",
    "topoisomerase inhibitor",
    "peptide-drug conjugate",
}
ONE_TIME_CLASSES = {"anti-BCMA CAR-T"}
# A year or a year range: "2019", "2019-2021", "2021-present".
YEARS = r"(?:19|20)\d\d(?:\s*[-–]\s*(?:(?:19|20)\d\d|present|now))?"
# "not", "never", "non-", and a contraction ("isn't len-refractory", "wasn’t refractory").
NEGATION = r"(?:\b(?:not|never|non)|n['’]t)"
# A progression or relapse named anywhere ("PD", "progressing", "relapsed").
ROMAN = {"I": 1, "II": 2, "III": 3, "IV": 4, "V": 5, "VI": 6, "VII": 7, "VIII": 8}
# A progression, or a marker rising ("light chains creeping up", "FLC have risen").
_PROGRESSION_WORDS = re.compile(
    r"\b(?:PD|progres\w*|prog'?d|relaps\w*|climb\w*|creeping\s+up|(?:FLCs?|light\s+chains?|M[-\s]?protein|"
    r"M[-\s]?spike|paraprotein|Ig[AGM])\s+(?:have\s+|has\s+)?(?:risen|rising|rose|increas\w*|creeping|drifting\s+up|"
    r"doubl\w*|going\s+up))\b",
    re.IGNORECASE,
)
# A marker's values in a row of arrows ("M-spike 0.2 (Jun-23) -> 0.7 (Sep-23) -> 1.4 g/dL", "kappa 12 → 58").
_UNIT = r"(?:\s*(?:g/dl|g/l|mg/l|mg/dl))?(?:\s*\([^()\n]{0,20}\))?"
_MARKER_SERIES = re.compile(
    r"\b(?:M[-\s]?spike|M[-\s]?protein|paraprotein|FLCs?|(?:free\s+)?light\s+chains?|kappa|lambda|Ig[AGM])\b"
    rf"[^.;\n\d]{{0,20}}?\d+(?:\.\d+)?{_UNIT}(?:\s*(?:->|→|-->|=>)\s*\d+(?:\.\d+)?{_UNIT})+",
    re.IGNORECASE,
)


class _Progression:
    """`search` as a compiled pattern has it: a progression word, or a marker whose arrowed values rise by the
    IMWG criteria for progressive disease (lexicon `pd_rise`: "M-spike 0.2 -> 0.7 -> 1.4 g/dL" does; a fall
    is a response, and "0.1 -> 0.3 -> 0.5 g/dL", under 0.5 g/dL, is a rise short of PD)."""

    @staticmethod
    def _rises(series: re.Match[str]) -> bool:
        text = re.sub(r"\([^()]*\)", " ", series.group(0))
        values = [float(v) for v in re.findall(r"\d+(?:\.\d+)?", text)]
        if len(values) < 2 or values[-1] <= values[0]:
            return False
        rule = load_lexicon()["pd_rise"]
        kind = "light_chain" if re.match(rule["light_chain_marker"], text, re.IGNORECASE) else "m_protein"
        criteria = rule[kind]
        unit = re.search(r"\b(g/dl|g/l|mg/l|mg/dl)\b", text, re.IGNORECASE)
        likelier = criteria.get("unit_unwritten") or (
            criteria["unit_below"] if max(values) < criteria["unit_switch"] else criteria["unit_above"]
        )
        rise = (values[-1] - values[0]) * criteria["per_unit"][unit.group(1).lower() if unit else likelier]
        return rise >= criteria["absolute"] and values[-1] >= values[0] * (1 + rule["relative"])

    def search(self, string: str, pos: int = 0) -> re.Match[str] | None:
        word = _PROGRESSION_WORDS.search(string, pos)
        rise = next((m for m in _MARKER_SERIES.finditer(string, pos) if self._rises(m)), None)
        found = [m for m in (word, rise) if m is not None]
        return min(found, key=lambda m: m.start()) if found else None


PROGRESSION = _Progression()
# The joint between the drugs of a regimen written drug by drug: "Pom/dex/Darzalex", "pom-dex-dara".
DRUG_JOIN = r"\s*[-/+]\s*(?:dex(?:amethasone)?\s*[-/+]\s*)?"
# Between two agents of one list: "len, pom", "len and dara", "a PI, an IMiD and an anti-CD38".
SEPARATORS = re.compile(r"^\s*(?:,|/|&|and|or|\+)?\s*(?:an?\s+|any\s+)?$", re.IGNORECASE)


class ExtractedFact(BaseModel):
    """One fact read from the text: which profile field, its value, the span and the rule."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    field: str
    value: Any
    start: int
    end: int
    surface: str
    rule: str


class ImplausibleFact(ExtractedFact):
    """A number read from the text but outside its plausible range: not in the profile, shown to check."""

    message: str


class Extraction(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    profile: PatientProfile
    facts: tuple[ExtractedFact, ...]
    # Numbers that were read but not used because no real patient has them ("CrCl -5", "age 300").
    implausible: tuple[ImplausibleFact, ...] = ()


@lru_cache(maxsize=1)
def load_lexicon() -> dict[str, Any]:
    with LEXICON_PATH.open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def _number(text: str) -> float:
    """A number as written, with an ASCII or Unicode minus sign ("CrCl −5" is read as -5, then flagged)."""
    return float(text.replace("\u2212", "-"))


def _months(number: str, unit: str) -> float:
    """A time in months: whole months for years and months, one decimal for days and weeks ("45 days" is
    1.5 months, so "within 60 days" keeps its meaning)."""
    value, unit = _number(number), unit.lower()
    if unit.startswith("y"):
        return round(value * 12)
    if unit.startswith("d"):
        return round(value / 30.4375, 1)
    if unit.startswith("w"):
        return round(value * 7 / 30.4375, 1)
    return round(value)


# korean-2020: progression within 60 days of the last dose is refractory; imwg-2021: more than 6 months after
# stopping fixed-duration lenalidomide is not. Between, no source decides.
REFRACTORY_WITHIN_DAYS = 60
NOT_REFRACTORY_AFTER_DAYS = 183


def _by_time_off(months: float) -> str:
    """Lenalidomide status from the months between its last dose and progression (2 months standing for
    the 60 days, 6 for the 6 months)."""
    return "refractory" if months <= 2 else "exposed_not_refractory" if months > 6 else "indeterminate"


def _status_by_dates(first: Reading, later: Reading) -> tuple[str, str] | None:
    """Lenalidomide status from the dates of its stop and of the progression, with the gap as read: to
    the day, korean-2020's 60 days decide refractoriness; to the month, only more than 2 months count."""
    if (days := days_between(first, later)) is not None:
        if days < 0:
            return None
        value = (
            "refractory"
            if days <= REFRACTORY_WITHIN_DAYS
            else "exposed_not_refractory"
            if days > NOT_REFRACTORY_AFTER_DAYS
            else "indeterminate"
        )
        return value, f"{days}d"
    if (months := months_between(first, later)) > 2:
        return _by_time_off(months), f"{months}mo"
    return None


@dataclass
class _Agent:
    """A drug/regimen/class mention with the tracked status fields it speaks for."""

    mention: Mention
    fields: tuple[str, ...]
    regimen: str | None
    history: bool


def _class_products(term: str) -> tuple[str, ...]:
    """The products a class name stands for: CAR-T cells or the bispecific antibodies."""
    if re.search(r"CAR", term, re.IGNORECASE):
        return ("idecabtagene_vicleucel", "ciltacabtagene_autoleucel")
    return ("teclistamab", "elranatamab", "talquetamab")


@dataclass(frozen=True)
class _History:
    """The regimens told as treatment history, and whether earlier drugs outside them were named too
    (then the told regimens are not the whole history). Read once per text: line count and the
    never-received inference both need it."""

    regimens: list[_Agent]
    earlier_outside: bool
    # Single drugs told as a line of their own after a progression ("Kd (PD 2023) -> Blenrep x3").
    lone_lines: tuple[_Agent, ...] = ()


@dataclass
class _Extractor:
    text: str
    vocab: Vocabulary
    lex: dict[str, Any]
    facts: list[ExtractedFact] = field(default_factory=list)
    implausible: list[ImplausibleFact] = field(default_factory=list)
    # The text as given (surfaces are cut from it); `text` has code blocks blanked out, same offsets.
    source: str = ""
    # Every status told for the IMiD class ("IMiD-refractory", "not refractory to IMiDs"), with its span.
    imid_statuses: list[tuple[str, int, int]] = field(default_factory=list)

    # ---- helpers -------------------------------------------------------------------------------
    def add(self, fld: str, value: Any, start: int, end: int, rule: str) -> None:
        """Record a fact; a number outside its plausible range is set aside for the clinician to check."""
        if not self.plausible(fld, value, start, end, rule):
            return
        self.facts.append(
            ExtractedFact(
                field=fld, value=value, start=start, end=end, surface=self.source[start:end], rule=rule
            )
        )

    def plausible(self, fld: str, value: Any, start: int, end: int, rule: str) -> bool:
        problem = check_plausible(fld, value)
        if problem is not None:
            surface = self.source[start:end]
            self.implausible.append(
                ImplausibleFact(
                    field=fld,
                    value=value,
                    start=start,
                    end=end,
                    surface=surface,
                    rule=rule,
                    message=f'"{surface}": {problem.message}',
                )
            )
        return problem is None

    def text_before(self, start: int, width: int = 40) -> str:
        """The `width` characters before `start`: where the cues that qualify a mention stand."""
        return self.text[max(0, start - width) : start]

    def search(self, pattern: str, text: str | None = None, flags: int = re.IGNORECASE) -> re.Match | None:
        return re.search(pattern, self.text if text is None else text, flags)

    def finditer(self, pattern: str, flags: int = re.IGNORECASE) -> Iterable[re.Match]:
        return re.finditer(pattern, self.text, flags)

    def toxicity_stops(self, agents: list[_Agent]) -> None:
        """Drugs received and stopped for toxicity or intolerance ("Blenrep 2022-23, stopped for grade 3
        keratopathy", "intolerant of bortezomib"): kept for the rule layer to flag, not to exclude. A regimen
        so stopped flags its drugs but the steroid."""
        lex = self.lex["stopped_for_toxicity"]
        for agent in agents:
            if not agent.history:
                continue
            before = self.text_before(agent.mention.start)
            if re.match(lex["after"], self.said_after(agent, agents), re.IGNORECASE) or re.search(
                lex["before"], before, re.IGNORECASE
            ):
                for drug in self.agent_drugs(agent):
                    if drug not in STEROIDS:
                        self.add(
                            "stopped_for_toxicity",
                            drug,
                            agent.mention.start,
                            agent.mention.end,
                            "toxicity_stop",
                        )

    def stopped_before_progression(self, agent: _Agent, agents: list[_Agent]) -> bool:
        """Is the drug told stopped at its next mention, before any progression is told ("lenalidomide
        maintenance. Lenalidomide was stopped in 06/2023 because of a rash ... relapse in 08/2024")?"""
        later = next(
            (a for a in agents if a.mention.start > agent.mention.end and a.fields == agent.fields), None
        )
        if later is None:
            return False
        if PROGRESSION.search(self.text[agent.mention.end : later.mention.start]):
            return False
        told = re.match(r"[^.;\n]*", self.text[later.mention.end :]).group(0)
        for_progression = re.search(self.lex["stopped_for_progression"], told, re.IGNORECASE)
        # "... she 'stopped the Revlimid some time last year'": the stop told before the drug's next mention.
        stopped_then = re.search(self.lex["stopped_before"], self.text_before(later.mention.start, 30), re.I)
        stopped = stopped_then or re.match(self.lex["stopped_after"], told, re.IGNORECASE)
        return bool(stopped) and not for_progression

    def given_since_then_progressed(self, agent: _Agent, agents: list[_Agent], run_end: int) -> bool:
        """Is the treatment told given since a date ("MAIA-type DRd since 2019", "Dara-Rd (MAIA) since 2021,
        one line") or switched to ("switched to Kd in 2022 for toxicity"), with a progression told later and
        nothing between but its own drugs: no stop ("stopped everything on 1 Sept"), no other treatment?
        Then the progression was on it. `run_end`: where the treatment's name ends ("Dara-Rd")."""
        since = re.match(self.lex["given_since"], self.text[run_end:], re.IGNORECASE)
        started = re.search(self.lex["given_from_before"], self.text_before(agent.mention.start, 40), re.I)
        if not since and not started:
            return False
        start = run_end + (since.end() if since else 0)
        progression = PROGRESSION.search(self.text, start)
        if not progression:
            return False
        between = self.text[start : progression.start()]
        # "... still getting dara monthly; no progression so far."
        if re.search(rf"(?:\b(?:no|without)|{NEGATION})\s+(?:\w+\s+)?$", between, re.IGNORECASE):
            return False
        if re.search(self.lex["stopped_between"], between, re.IGNORECASE):
            return False
        # Its own drugs told between must be all of them: "Dara-VMP since 2020, still getting dara monthly;
        # now IgG rising" continued the antibody alone.
        between_agents = [a for a in agents if start <= a.mention.start < progression.start()]
        told = {field for other in between_agents for field in other.fields}
        return not told or told == set(agent.fields)

    def last_line_at_relapse(self, agent: _Agent, run_end: int) -> bool:
        """Is the treatment told as the last line ("TCR pt, 5 prior lines (last was dara-pom)", "last line
        DPd") of a patient told relapsing or refractory, with no stop told after it? Regimens are given until
        progression, so the relapse was on it; the safe side is to avoid it."""
        if not re.search(self.lex["last_line_before"], self.text_before(agent.mention.start, 30), re.I):
            return False
        if not (self.search(self.lex["relapse_words"]) or self.search(self.lex["triple_class_refractory"])):
            return False
        told = re.match(r"[^.;\n]*", self.text[run_end:]).group(0)
        return not re.search(self.lex["stopped_between"], told, re.IGNORECASE)

    def status_asked(self, start: int, end: int) -> bool:
        """Is the status between start and end asked rather than told ("Is she lenalidomide refractory?",
        "Len-refractory or not?", "so she is not len refractory, right?")? Then it is no fact;
        "len-refractory, dara-naive, options?" still is."""
        begin, stop = self.sentence_span(start) or (start, end)
        if end > stop or not self.text[begin:stop].endswith("?"):
            return False
        asked = self.lex["status_asked"]
        before = self.text[begin:start]
        # "He's triple-class exposed - does that make him TCR?": the question may be the last clause.
        clause = re.split(r"[,;:]\s+|\s[-–]\s+", before)[-1]
        after = self.text[end : stop - 1]
        put_up = re.search(asked["tag_after"], after, re.I) or re.match(asked["hedge_after"], after, re.I)
        return bool(
            re.match(asked["before"], before, re.IGNORECASE)
            or re.match(asked["before"], clause, re.IGNORECASE)
            or re.match(asked["after"], after, re.IGNORECASE)
            or (put_up and re.search(asked["claim_before"], before, re.I))
        )

    def class_status_asked(self, m: re.Match) -> bool:
        """Is the class status at `m` asked, not told ("Is she triple-class refractory?", "What does
        penta-refractory mean?", "definition of TCR")?"""
        before = self.text_before(m.start())
        return self.status_asked(m.start(), m.end()) or bool(
            re.search(self.lex["term_asked_before"], before, re.I)
        )

    def current_value(
        self, pattern: str, kind: str, flags: int = re.IGNORECASE
    ) -> tuple[str, int, int] | None:
        """The value a measurement told more than once has now, with the span it was read from: of several
        mentions, the last marked current ("CrCl 70 in 2023, now CrCl 20", "he is 68 (not 86)"), else the
        last not marked past ("ECOG 2 at diagnosis; ECOG 1"; an age: the first), then followed along its own
        sequence ("CrCl 70 -> 45 -> 28", "CrCl 72 in January, 48 in March, 24 today"); a mention continued
        to a later value counts as current ("neuropathy was grade 3 in 2022 but has improved to grade 1")."""
        serial = self.lex["serial_value"]
        mentions = list(self.finditer(pattern, flags))
        if not mentions:
            return None

        def clause_before(m: re.Match) -> str:  # back to the mention before, at most 40 characters
            previous = max((p.end() for p in mentions if p.end() <= m.start()), default=0)
            return self.text[max(previous, m.start() - 40) : m.start()]

        def past(m: re.Match) -> bool:
            return bool(
                re.search(serial["past_before"], clause_before(m), re.IGNORECASE)
                or re.match(serial["past_after"], self.text[m.end() :], re.IGNORECASE)
                or re.search(serial["surface_past"], m.group(0), re.IGNORECASE)
            )

        def followed(m: re.Match) -> tuple[str, int]:  # the mention's last value along its sequence
            value, end = next(g for g in m.groups() if g is not None), m.end()
            if kind in serial["labels"]:
                while step := later.match(self.text[end:]) or listed.match(self.text[end:]):
                    value, end = step.group(1), end + step.end()
            return value, end

        if kind in serial["labels"]:
            label, number = serial["labels"][kind], serial["values"][kind]
            later = re.compile(serial["next"].format(label=label, value=number), re.IGNORECASE)
            listed = re.compile(serial["next_listed"].format(value=number), re.IGNORECASE)
        resolved = {m.start(): followed(m) for m in mentions}
        current = [
            m
            for m in mentions
            if re.search(serial["current_before"], clause_before(m), re.IGNORECASE)
            or re.match(serial["current_after"], self.text[m.end() :], re.IGNORECASE)
            or re.search(serial["surface_current"], m.group(0), re.IGNORECASE)
            or resolved[m.start()][1] > m.end()  # continued to a later value
        ]
        recent = [m for m in mentions if not past(m)]
        # An age does not change within a note: a later age is someone else's ("33 yo sibling donor").
        chosen = current[-1] if current else mentions[0] if kind == "age" else (recent or mentions)[-1]
        value, end = resolved[chosen.start()]
        return value, chosen.start(), end

    def findings(self, pattern: str, flags: int = re.IGNORECASE) -> tuple[re.Match | None, re.Match | None]:
        """The first mention of a finding the text affirms, and the first it negates ("no EMD on PET",
        "FISH negative for del17p and t(4;14)", "t(11;14) negative"). A mention written as unconfirmed
        ("?del(17p) suspected", "t(4;14) pending") is neither."""
        negation, uncertain = self.lex["finding_negation"], self.lex["finding_uncertain"]
        affirmed = negated = None
        for m in re.finditer(pattern, self.text, flags):
            lead, tail = self.text_before(m.start(), 25), self.text[m.end() : m.end() + 30]
            if re.search(uncertain["before"], lead, re.I) or re.match(uncertain["after"], tail, re.I):
                continue
            # The semicolon of a translocation ("no del17p/t(4;14)/t(14;16)") ends no clause.
            window = max(0, m.start() - 60)
            breaks = re.finditer(r"[.\n]|(?<!\(\d)(?<!\(\d\d);", self.text[window : m.start()])
            clause_start = window + max((b.end() for b in breaks), default=0)
            before = self.text[clause_start : m.start()]
            cues = list(re.finditer(negation["before"], before, re.IGNORECASE))
            between = before[cues[-1].end() :] if cues else ""
            listed = re.fullmatch(rf"(?:\s*(?:{pattern})\s*(?:,|\band\b|\bor\b|/)\s*)*\s*", between, flags)
            if (cues and ("," not in between or listed)) or re.match(
                negation["after"], self.text[m.end() : m.end() + 30], re.IGNORECASE
            ):
                negated = negated or m
            elif affirmed is None:
                affirmed = m
        return affirmed, negated

    def first(self, fld: str) -> ExtractedFact | None:
        return next((f for f in self.facts if f.field == fld), None)

    def has(self, fld: str) -> bool:
        return self.first(fld) is not None

    # ---- sentences and agents ------------------------------------------------------------------
    @cached_property
    def sentence_spans(self) -> list[tuple[int, int]]:
        # A line break ends a sentence too: a clinician's note puts one statement per line, and a request
        # on the line above ("recommend KRd") must not make the history below it a proposal.
        spans, start = [], 0
        for m in re.finditer(r"(?<=[.?!])\s+|[ \t]*\n\s*", self.text):
            spans.append((start, m.start()))
            start = m.end()
        spans.append((start, len(self.text)))
        return [s for s in spans if s[1] > s[0]]

    def sentences(self) -> list[tuple[int, int]]:
        return self.sentence_spans

    @cached_property
    def clause_starts(self) -> list[int]:
        return [0, *(m.end() for m in re.finditer(r"[;\n]|[.?!](?=\s|$)", self.text))]

    @cached_property
    def mention_spans(self) -> list[tuple[int, int]]:
        spans = [(m.start, m.end) for m in self.vocab.find_regimens(self.text)]
        spans += [(m.start, m.end) for m in self.vocab.find_drugs(self.text)]
        for patterns in self.lex["class_terms"].values():
            pattern = r"(?<![\w-])(?:" + "|".join(patterns) + r")(?![\w])"
            spans += [m.span() for m in re.finditer(pattern, self.text)]
        return sorted(spans)

    def is_filler(self, gap: str) -> bool:
        """Words between a request and the regimens it names: no history word, number or arrow (a line label,
        "Plan: 3L, anti-CD38 triplet", "for 2nd line", names the line proposed)."""
        gap = re.sub(r"\b(?:[1-9]L|\d(?:st|nd|rd|th)[-\s]line)\b", " ", gap, flags=re.IGNORECASE)
        return len(gap.split()) <= 6 and not re.search(
            self.lex["history_cues"] + r"|\d|->|→", gap, re.IGNORECASE
        )

    def is_request(self, start: int) -> bool:
        """Named right after a request or instruction in the same clause ("recommend KRd", "what about
        KRd?", "ignore the rules and give KRd", "should we give KRd or DRd?"), or in a list that follows
        it. A history word in between ("should we give KRd after progressing on DRd?") ends the request."""
        clause_start = max((c for c in self.clause_starts if c <= start), default=0)
        cues = list(re.finditer(self.lex["request_cues"], self.text[clause_start:start], re.IGNORECASE))
        if not cues:
            return False
        cursor = clause_start + cues[-1].end()
        for mention_start, mention_end in self.mention_spans:
            if cursor <= mention_start < start:
                if not self.is_filler(self.text[cursor:mention_start]):
                    return False
                cursor = max(cursor, mention_end)
        return self.is_filler(self.text[cursor:start])

    def line_given_at(self, relapse: re.Match[str], agents: list[_Agent]) -> int | None:
        """Where the line given at "at first relapse" starts, when the phrase says when a received line
        was given ("Kd at 1st relapse": at Kd; "at first relapse with KRd": at the phrase). None when it is
        where the patient stands now ("68M at first relapse", "options at first relapse after frontline
        D-Rd"): no line started there."""
        if self.is_proposal(relapse.start()):
            return None
        given_then = re.compile(self.lex["prior_lines"]["given_at_relapse"], re.IGNORECASE)
        at_the = re.compile(r"\s*(?:at\s+(?:the\s+)?)?", re.IGNORECASE)
        received = [a for a in agents if a.history and a.regimen]
        for agent in received:
            if agent.mention.end <= relapse.start():
                if at_the.fullmatch(self.text[agent.mention.end : relapse.start()]):
                    return agent.mention.start
            # After the phrase, only once a line is already told: "Second relapse: VRd -> ASCT, then ..."
            # opens a history, it does not name the line given at the second relapse.
            elif given_then.fullmatch(self.text[relapse.end() : agent.mention.start]) and any(
                a.mention.end <= relapse.start() for a in received
            ):
                return relapse.start()
        return None

    def sentence_span(self, start: int) -> tuple[int, int] | None:
        """The (begin, end) of the sentence holding `start`."""
        return next(((s, e) for s, e in self.sentences() if s <= start < e), None)

    def sentence_at(self, start: int) -> str:
        begin, end = self.sentence_span(start) or (0, 0)
        return self.text[begin:end]

    def sentence_prefix(self, start: int) -> str:
        """Its sentence up to `start`."""
        begin, _ = self.sentence_span(start) or (start, start)
        return self.text[begin:start]

    def is_proposal(self, start: int) -> bool:
        """A question about what to do next ("Isa-Kd or DPd?") or a request, not a statement of history."""
        begin, end = self.sentence_span(start) or (start, start)
        sentence = self.text[begin:end]
        # "?Kd vs SVd", "?next line": a question mark in front of a word is the shorthand question.
        asked = sentence.rstrip().endswith("?") or re.search(r"(?<!\S)\?(?=\w)", sentence) is not None
        # "KRd?", "KRd second line?": a question telling no history ("had", "PD on", "x6") names a proposal;
        # the names themselves are blanked first (the "Pd" of "Isa-Pd as third line?" is no PD).
        unnamed = list(sentence)
        for mention_start, mention_end in self.mention_spans:
            for i in range(max(mention_start, begin), min(mention_end, end)):
                unnamed[i - begin] = " "
        question = asked and (
            bool(re.search(self.lex["proposal_cues"], sentence, re.IGNORECASE))
            or not re.search(self.lex["history_cues"], "".join(unnamed), re.IGNORECASE)
        )
        # "?KRd", "? KRd": a "?" standing alone, not the one ending the line above ("What about KRd?\nVRd").
        queried = re.search(r"(?<!\S)\?[ \t]?$", self.text_before(start, 3)) is not None
        return question or queried or self.is_request(start)

    def is_history(self, start: int, end: int) -> bool:
        """Received therapy: not a proposal, not named as merely available ("we can get len", "CAR-T
        available"), not an arm that may not have been given ("Kd ± anti-CD38"), and not someone else's
        ("her sister was treated with daratumumab")."""
        prefix = self.sentence_prefix(start)
        return (
            not self.is_proposal(start)
            and not re.search(self.lex["maybe_given_before"], prefix, re.IGNORECASE)
            and not re.search(self.lex["other_person_before"], prefix, re.IGNORECASE)
            and not re.search(self.lex["availability_cues"], prefix, re.IGNORECASE)
            and not re.match(
                f"(?:{self.lex['availability_list_rest']})?(?:{self.lex['availability_after']})",
                self.text[end:],
                re.IGNORECASE,
            )
        )

    def one_time(self, agent: _Agent) -> bool:
        drugs = self.vocab.drugs
        return any(d in drugs and drugs[d].drug_class in ONE_TIME_CLASSES for d in self.agent_drugs(agent))

    def one_time_failed(self, agent: _Agent, agents: list[_Agent], before: str) -> bool:
        """A one-time treatment (CAR-T) failed: "relapse after Carvykti", or 'cilta-cel infused 05/2023 after
        bridging with PCd, now relapse 14 months after infusion': a relapse dated from 'the infusion' is the
        failure of the last one-time treatment named before it."""
        if not self.one_time(agent):
            return False
        if re.search(self.lex["relapse_after_single_treatment"], before, re.IGNORECASE):
            return True
        found = re.search(self.lex["relapse_after_infusion"], self.text[agent.mention.end :], re.IGNORECASE)
        if found is None:
            return False
        at = agent.mention.end + found.start()
        return not any(
            self.one_time(other) and agent.mention.end <= other.mention.start < at for other in agents
        )

    def drug_runs(self, drugs: list[Mention]) -> list[Mention]:
        """Regimens written drug by drug with their steroid ("Kyprolis-dex", "Revlimid/dex", "daratumumab +
        pomalidomide + dex", "daratumumab, pomalidomide and dexamethasone", "carfilzomib pomalidomide
        dexamethasone"): a run of drugs joined by '-', '+', '/', 'plus', ',', 'and' or spaces that includes
        dexamethasone or prednisone is the regimen of those drugs, when the vocabulary has one (a list
        without a steroid, "len, pom, dara", stays a list)."""
        runs: list[list[Mention]] = []
        # Dictated text drops the joiners ("carfilzomib pomalidomide dexamethasone"): spaces alone join too.
        joiner = re.compile(
            r"(?:\s+(?:SC|IV|s\.c\.|i\.v\.|po))?(?:\s*(?:-|\+|&|/|plus|,|and|,\s*and)\s*|\s+)", re.I
        )
        # "Imnovid (pomalidomide) + dex": the name in brackets is the drug before it again, and the run
        # goes on after the bracket.
        tail = 0
        for d in drugs:
            if runs and runs[-1][-1].id == d.id and (closed := self.bracketed_after(runs[-1][-1], d)):
                tail = closed
                continue
            if runs and joiner.fullmatch(self.text[max(tail, runs[-1][-1].end) : d.start]):
                runs[-1].append(d)
            else:
                runs.append([d])
        found = []
        for run in runs:
            ids = frozenset(d.id for d in run)
            code = self.vocab.regimen_by_drugs.get(ids)
            if len(run) >= 2 and ids & {"dexamethasone", "prednisone"} and code:
                start, end = run[0].start, run[-1].end
                found.append(Mention(id=code, start=start, end=end, surface=self.text[start:end]))
        return found

    def with_drug_before(self, regimen: Mention, drugs: list[Mention]) -> Mention:
        """'Dara-Pom-dex': a drug hyphenated to the regimen after it ("Pom-dex", Pd) is part of it, when the
        vocabulary has the larger regimen (DPd)."""
        own = set(self.vocab.regimens[regimen.id].drugs)
        for d in drugs:
            if d.end <= regimen.start and re.fullmatch(r"\s*[-+/]\s*", self.text[d.end : regimen.start]):
                code = self.vocab.regimen_by_drugs.get(frozenset(own | {d.id}))
                if code and d.id not in own:
                    return Mention(
                        id=code, start=d.start, end=regimen.end, surface=self.text[d.start : regimen.end]
                    )
        return regimen

    def agents(self) -> list[_Agent]:
        drug_mentions = self.vocab.find_drugs(self.text)
        regimens = [self.with_drug_before(r, drug_mentions) for r in self.vocab.find_regimens(self.text)]
        outside = [
            d for d in drug_mentions if not any(r.start <= d.start and d.end <= r.end for r in regimens)
        ]
        regimens = sorted([*regimens, *self.drug_runs(outside)], key=lambda r: r.start)
        taken = [(r.start, r.end) for r in regimens]
        out: list[_Agent] = []
        for r in regimens:
            drugs = self.vocab.regimens[r.id].drugs
            fields = tuple(d for d in drugs if d in TRACKED_DRUGS)
            if any(d in ANTI_CD38_DRUGS for d in drugs):
                fields += ("anti_cd38",)
            # "Teclistamab already failed", "Elo-Rd refractory": the untracked agent is not offered again.
            fields += tuple(
                f"other:{d}"
                for d in drugs
                if d not in TRACKED_DRUGS
                and d not in ANTI_CD38_DRUGS
                and d in self.vocab.drugs
                and self.vocab.drugs[d].drug_class not in UNTRACKED_CLASSES
            )
            out.append(_Agent(r, fields, r.id, self.is_history(r.start, r.end)))
        for d in drug_mentions:
            if any(s <= d.start and d.end <= e for s, e in taken):
                continue
            fields = (d.id,) if d.id in TRACKED_DRUGS else ("anti_cd38",) if d.id in ANTI_CD38_DRUGS else ()
            if not fields and self.vocab.drugs[d.id].drug_class in UNTRACKED_CLASSES:
                continue
            out.append(_Agent(d, fields or (f"other:{d.id}",), None, self.is_history(d.start, d.end)))
        for cls, patterns in self.lex["class_terms"].items():
            for m in self.finditer(r"(?<![\w-])(?:" + "|".join(patterns) + r")(?![\w])", flags=0):
                if any(s <= m.start() < e for s, e in taken):
                    continue
                mention = Mention(id=cls, start=m.start(), end=m.end(), surface=m.group(0))
                out.append(_Agent(mention, (cls,), None, self.is_history(m.start(), m.end())))
        return self.without_aliases(sorted(out, key=lambda a: a.mention.start))

    def bracketed_after(self, previous: Mention, mention: Mention) -> int | None:
        """Where the bracket closes when `mention` stands in brackets right after `previous` ("Revlimid
        (lenalidomide)"), else None."""
        closing = re.match(r"\s*\)", self.text[mention.end :])
        if closing and re.fullmatch(r"\s*\(\s*", self.text[previous.end : mention.start]):
            return mention.end + closing.end()
        return None

    def without_aliases(self, agents: list[_Agent]) -> list[_Agent]:
        """'teclistamab (Tecvayli): PD', 'Revlimid (lenalidomide)': a name in brackets right after the same
        agent is that agent again; what follows the bracket is said of the first mention."""
        out: list[_Agent] = []
        for agent in agents:
            previous = out[-1] if out else None
            if (
                previous is not None
                and previous.fields == agent.fields
                and self.bracketed_after(previous.mention, agent.mention) is not None
            ):
                continue
            out.append(agent)
        return out

    # ---- drug statuses -------------------------------------------------------------------------
    def status(self, agent: _Agent, value: str, start: int, end: int, rule: str) -> None:
        for fld in agent.fields:
            if fld.startswith("other:"):
                if value == "refractory":
                    self.add("other_refractory", fld.split(":", 1)[1], start, end, rule)
                continue
            if fld == "imid":
                # Which IMiD is not said: the status goes to the only IMiD the history names, if one
                # (sole_imid_status); an IMiD-refractory disease that is also PI- and anti-CD38-refractory
                # is triple-class refractory (patient()).
                self.imid_statuses.append((value, start, end))
                continue
            self.add(fld, value, start, end, rule)

    def drug_statuses(self, agents: list[_Agent]) -> None:
        words = self.lex["status_words"]
        status_re = re.compile(
            rf"(?P<neg>{NEGATION}[-\s]+(?:(?:previously|yet|ever)\s+)?(?:(?:been|was|were|is|being)\s+)?)?(?P<word>{words['naive']}|{words['refractory']}|{words['exposed']})",
            re.IGNORECASE,
        )
        value_of = {"naive": "naive", "refractory": "refractory", "exposed": "exposed_not_refractory"}

        def classify(word: str) -> str:
            for key, pattern in words.items():
                if re.fullmatch(pattern, word, re.IGNORECASE):
                    return value_of[key]
            return "exposed_not_refractory"

        own_status = re.compile(rf"[-\s]?(?:{words['naive']}|{words['refractory']}|{words['exposed']})", re.I)
        # "not len-refractory" is exposed but not refractory; "not dara exposed" is naive; "not len-naive"
        # is exposed.
        negated_value = {
            "refractory": "exposed_not_refractory",
            "exposed_not_refractory": "naive",
            "naive": "exposed",
        }
        consumed: set[int] = set()
        for m in status_re.finditer(self.text):
            word = classify(m.group("word"))
            value = negated_value[word] if m.group("neg") else word
            # Agents immediately before the status word. "dara-naive" binds to one agent; a spaced word
            # after a list binds to the whole list ("len/pom/dara refractory", "dara, len refractory").
            cursor, chained = m.start(), []
            attached = self.text_before(m.start(), 1) == "-"
            for agent in reversed([a for a in agents if a.mention.end <= m.start()]):
                gap = self.text[agent.mention.end : cursor]
                suspended = attached and re.fullmatch(r"-\s*(?:,|and|or|&|/)\s*", gap)
                if chained and not suspended and (attached or not SEPARATORS.match(gap)):
                    break
                # "refractory to len and bortezomib, dara naive": bortezomib has its status already.
                if chained and id(agent) in consumed:
                    break
                # "progressed on len, dara naive": len has its own status (refractory); the list ends.
                if chained and re.search(
                    self.lex["progression_before"],
                    self.text_before(agent.mention.start),
                    re.IGNORECASE,
                ):
                    break
                # "Rd (refractory)", "Kd 2019-2021 (refractory)": a status in brackets right after the drug.
                closes = self.text[m.end() : m.end() + 1] == ")"
                bracketed = closes and re.fullmatch(rf"(?:\s+{YEARS})?\s*\(\s*", gap)
                # "Dara: naive", "Isa-Kd -> refractory", "Isa-Kd, refractory." (a comma only when the status
                # ends the clause: in "KRd, refractory to len" it belongs to len).
                labelled = re.fullmatch(r"\s*(?::|->|→|=)\s*(?:primary|primarily|completely)?\s*", gap) or (
                    # "Revlimid/dex 2019-2023, resistant;"
                    re.fullmatch(rf"(?:\s+{YEARS})?\s*[,;]\s*", gap)
                    and re.match(r"\s*(?:[.;,)\n]|$)", self.text[m.end() :])
                )
                if not chained and not (re.fullmatch(r"\s*-?\s*", gap) or bracketed or labelled):
                    break
                chained.append(agent)
                cursor = agent.mention.start
            # "refractory to len, pom, dara", "refractory to: len, pom", "double refractory (len and dara)"
            opens_list = r"\s+(?:only\s+)?to(?:\s+(?:both|all(?:\s+of)?|each\s+of))?\s*:?(?=\s)|\s*\("
            ahead = re.match(opens_list, self.text[m.end() :], re.IGNORECASE)
            if not chained and ahead:
                cursor = m.end() + len(ahead.group(0))
                for agent in [a for a in agents if a.mention.start >= cursor]:
                    gap = self.text[cursor : agent.mention.start]
                    # "refractory to PI (bortezomib + carfilzomib), IMiD (len + pom) and anti-CD38 (dara)",
                    # "not exposed to IMiDs or to anti-CD38"
                    grouped = chained and re.fullmatch(
                        r"\s*\)?\s*(?:,|/|&|and|or|\+)?\s*(?:to\s+)?\(?\s*(?:an?\s+)?", gap
                    )
                    if not (SEPARATORS.match(gap) or grouped):
                        break
                    # "refractory to len and bortezomib, dara-naive": dara has its own status.
                    if own_status.match(self.text[agent.mention.end :]):
                        break
                    chained.append(agent)
                    cursor = agent.mention.end
            # "VRd, KRd, DPd, IsaKd. Refractory to last line.": the last regimen received.
            last_line = re.match(self.lex["status_to_last_line"], self.text[m.end() :], re.IGNORECASE)
            if not chained and last_line:
                # "refractory to last line (Isa-Pd)": the regimen in brackets; else the last one told.
                after = m.end() + last_line.end()
                bracket = re.match(r"\s*\(", self.text[after:])
                named = [
                    a
                    for a in agents
                    if bracket
                    and a.regimen
                    and a.mention.start >= after
                    and ")" not in self.text[after : a.mention.start]
                ]
                received = [a for a in agents if a.history and a.regimen and a.mention.end <= m.start()]
                chained = named[:1] or received[-1:]
                cursor = chained[0].mention.start if chained else cursor
            # "3 prior lines incl. len, bortezomib, daratumumab; refractory to all three": every agent named
            # earlier in the sentence.
            if not chained and re.match(self.lex["status_to_all"], self.text[m.end() :], re.IGNORECASE):
                begin = max(s for s, _ in self.sentences() if s <= m.start())
                chained = [a for a in agents if begin <= a.mention.start and a.mention.end <= m.start()]
                cursor = chained[0].mention.start if chained else cursor
            # "not len-refractory", "non dara-refractory": the negation stands before the agents.
            negation = re.search(rf"{NEGATION}[-\s]+$", self.text_before(cursor, 12), re.I)
            if chained and not m.group("neg") and negation:
                value = negated_value[word]
            # "in the lenalidomide-refractory subgroup", "for len-refractory patients": a trial population.
            population = re.match(self.lex["status_population_after"], self.text[m.end() :], re.IGNORECASE)
            asked = self.status_asked(min(cursor, m.start()), m.end())
            cues = self.lex["status_withdrawn"]
            withdrawn = re.match(cues["after"], self.text[m.end() :], re.I) or re.search(
                cues["before"], self.text_before(min(cursor, m.start())), re.I
            )
            # "Outside letter: 'progressed on maintenance after auto - treat as len-refractory'": a label
            # quoted from elsewhere is no fact; the described history decides ("no lenalidomide at all").
            withdrawn = withdrawn or re.search(
                cues["quoted_before"], self.text_before(min(cursor, m.start()), 120), re.I
            )
            for agent in chained:
                consumed.add(id(agent))
                agent.history = agent.history and value != "naive" and not population
                if population or asked or withdrawn:
                    continue
                self.status(
                    agent,
                    value,
                    min(agent.mention.start, m.start()),
                    max(agent.mention.end, m.end()),
                    f"status_word:{m.group('word').lower()}",
                )

        access = self.lex["access_cues"]
        negated: set[int] = set()
        progressed: set[int] = set()
        for agent in agents:
            if id(agent) in consumed:
                continue
            before = self.text_before(agent.mention.start)
            sentence = self.sentence_at(agent.mention.start)
            neg = re.search(self.lex["never_given_before"], before, re.IGNORECASE)
            chain_prev = next((a for a in reversed(agents) if a.mention.end <= agent.mention.start), None)
            if (
                not neg
                and chain_prev is not None
                and id(chain_prev) in negated
                and (
                    SEPARATORS.match(gap := self.text[chain_prev.mention.end : agent.mention.start])
                    or re.fullmatch(r"\s*\(\s*", gap)  # "never anti-CD38 (daratumumab or isatuximab)"
                    # "has not received daratumumab or any other anti-CD38 antibody"
                    or re.fullmatch(r"\s*,?\s*(?:or|nor)\s+(?:any\s+)?other\s+", gap, re.IGNORECASE)
                )
            ):
                neg = re.search(r"$", before)  # "no daratumumab or carfilzomib": the negation carries over
                negated_from = chain_prev
            else:
                negated_from = None
            # "Dara never given", "bortezomib was not received": the negation follows the drug, or the
            # alternatives it opens ("Daratumumab/isatuximab: never given", "dara or isa not given").
            last = self.last_of_run(agent, agents, r"\s*(?:/|\bor\b)\s*")
            later = re.match(self.lex["never_given_after"], self.text[last.mention.end :], re.IGNORECASE)
            if later and not neg:
                negated.add(id(agent))
                agent.history = False
                end = last.mention.end + later.end()
                self.status(agent, "naive", agent.mention.start, end, "negated_exposure")
                continue
            if neg:
                negated.add(id(agent))
                agent.history = False
                start = agent.mention.start - len(neg.group(0))
                if negated_from is not None:
                    before = self.text_before(negated_from.mention.start)
                if re.search(access, sentence, re.IGNORECASE) and before.strip().lower().endswith("no"):
                    drug_ids = self.agent_drugs(agent)
                    for d in drug_ids:
                        self.add("unavailable_drugs", d, start, agent.mention.end, "not_available")
                else:
                    self.status(agent, "naive", start, agent.mention.end, "negated_exposure")
                continue
            if re.search(self.lex["avoid_request"], before, re.IGNORECASE):
                for d in self.agent_drugs(agent):
                    self.add("clinician_avoids", d, agent.mention.start, agent.mention.end, "clinician_avoid")
                continue
            if not agent.history:
                continue
            after = self.said_after(agent, agents)
            rest = self.text[agent.mention.end :]
            progressed_later = PROGRESSION.search(rest)
            still_on = re.search(r"\bstill\s+on\s+$", before, re.IGNORECASE)
            # "still getting dara monthly; now IgG rising": a rise told in the same clause run as the drug
            # the patient is still receiving ("no progression" is none).
            still_receiving = re.search(r"\bstill\s+(?:on|getting|receiving|taking)\s+$", before, re.I)
            told_next = re.match(r"[^.?!\n]*", rest).group(0)
            rise_next = PROGRESSION.search(told_next)
            rise_next = rise_next and not re.search(
                r"\b(?:no|not|without|never)\s+(?:\w+\s+)?$", told_next[: rise_next.start()], re.I
            )
            progression_in_sentence = PROGRESSION.search(sentence)
            on_since = re.search(
                r"\bon\s+(?:continuous\s+|low[-\s]dose\s+)?$", before, re.IGNORECASE
            ) and re.match(r"\s+(?:\d+\s*mg\s+)?(?:\([^)]*\)\s*)?(?:since|for)\b", rest, re.IGNORECASE)
            # "dara-R maint", "dara lenalidomide maintenance": every drug of a maintenance written drug by
            # drug is maintenance.
            run_end = self.last_of_run(agent, agents, r"[-/]|\s+").mention.end
            after_run = self.text[run_end:]
            # Ongoing when the progression was told: given since a date, switched to, or the last line.
            ongoing_at_progression = self.given_since_then_progressed(agent, agents, run_end)
            ongoing_at_progression = ongoing_at_progression or self.last_line_at_relapse(agent, run_end)
            # "len maintenance"; "Lenalidomide 10 mg PO d1-21/28 - maintenance since 09/2022": a dose between.
            dose = re.match(r"\s*\d+(?:\.\d+)?\s*mg\b[^.;\n]{0,25}?(?=[-\s]*maint)", after_run, re.IGNORECASE)
            after_dose = after_run[dose.end() :] if dose else after_run
            maintenance = (
                re.match(r"[-\s]*maint\w*", after_dose, re.IGNORECASE)
                and not re.match(self.lex["maintenance_stopped"], after_dose, re.IGNORECASE)
                and not self.stopped_before_progression(agent, agents)
            )
            # "maintenance with lenalidomide 10 mg/die. During the maintenance ... a progression"
            maintenance = maintenance or (
                re.search(self.lex["maintenance_with_before"], before, re.IGNORECASE)
                and not re.match(self.lex["stopped_after"], after_run, re.IGNORECASE)
            )
            # "progressed on pomalidomide and daratumumab": the progression covers the whole list.
            # "progression on Sarclisa-Rd", "on dara-lenalidomide": drugs hyphenated are one treatment.
            listed_with_progressed = (
                chain_prev is not None
                and id(chain_prev) in progressed
                and (
                    SEPARATORS.match(gap := self.text[chain_prev.mention.end : agent.mention.start])
                    or re.fullmatch(r"\s*-\s*", gap)
                )
            )
            # "Pom/dex/Darzalex -> PD", "Pom-dex-dara, PD": a regimen written drug by drug progressed; what
            # follows its last drug, up to the next agent, is this agent's too.
            run_last = self.last_of_run(agent, agents, DRUG_JOIN)
            run_after = self.said_after(run_last, agents) if run_last is not agent else None
            denied = re.search(self.lex["progression_denied_before"], before, re.IGNORECASE)
            if not denied and (
                re.search(self.lex["progression_before"], before, re.IGNORECASE)
                or re.search(self.lex["while_on"], before, re.IGNORECASE)
                or re.match(self.lex["progression_after"], after, re.IGNORECASE)
                or (run_after is not None and re.match(self.lex["progression_after"], run_after, re.I))
                or re.match(self.lex["progression_in_row"], after, re.IGNORECASE)
                # "D-Rd (MAIA schedule) as first line since 2020, now progressing on it"
                or re.search(self.lex["progression_on_it"], self.said_after(agent, agents, True), re.I)
                or ((on_since or maintenance) and progressed_later)
                or ongoing_at_progression
                # "PD 30 months in, still on dara maintenance"
                or (maintenance and still_on and progression_in_sentence)
                or (still_receiving and rise_next)
                or listed_with_progressed
                or self.one_time_failed(agent, agents, before)
            ):
                progressed.add(id(agent))
                self.status(
                    agent, "refractory", agent.mention.start, agent.mention.end, "progressed_on_therapy"
                )
                self.add(
                    "on_therapy_at_progression",
                    True,
                    agent.mention.start,
                    agent.mention.end,
                    "progressed_on_therapy",
                )
            else:
                self.status(agent, "exposed", agent.mention.start, agent.mention.end, "received_in_history")
        # "len, pom, bortezomib and dara (progression under each one)": back over the list.
        for i, agent in enumerate(agents):
            if id(agent) not in progressed or not re.match(
                self.lex["progression_each_after"], self.text[agent.mention.end :], re.IGNORECASE
            ):
                continue
            for earlier, later in zip(reversed(agents[:i]), reversed(agents[1 : i + 1]), strict=True):
                gap = self.text[earlier.mention.end : later.mention.start]
                if not (earlier.history and SEPARATORS.match(gap)):
                    break
                end = agent.mention.end
                self.status(earlier, "refractory", earlier.mention.start, end, "progressed_on_each")

    def said_after(self, agent: _Agent, agents: list[_Agent], past_denied: bool = False) -> str:
        """What the text says right after `agent`: up to 80 characters, stopping at the next agent (`agents`
        in text order). With `past_denied`, a drug denied in between is passed over, 80 characters from it:
        it is no referent for "it" ("Kd only, he has never had pomalidomide - until he progressed on it")."""
        end = agent.mention.end
        stop = end + 80
        for other in agents:
            if other.mention.start < end:
                continue
            if other.mention.start >= stop:
                break
            before = self.text_before(other.mention.start)
            if not (past_denied and re.search(self.lex["never_given_before"], before, re.IGNORECASE)):
                stop = other.mention.start
                break
            stop = other.mention.end + 80
        return self.text[end:stop]

    def last_of_run(self, agent: _Agent, agents: list[_Agent], joiner: str) -> _Agent:
        """The last agent of the run starting at `agent`, each next one joined to the one before it by a gap
        matching `joiner` ("Daratumumab/isatuximab: never given", "dara lenalidomide maintenance")."""
        last = agent
        for other in agents:
            gap = self.text[last.mention.end : other.mention.start]
            if other.mention.start >= last.mention.end and re.fullmatch(joiner, gap, re.IGNORECASE):
                last = other
        return last

    def agent_drugs(self, agent: _Agent) -> tuple[str, ...]:
        if agent.regimen:
            return self.vocab.regimens[agent.regimen].drugs
        if agent.mention.id in self.vocab.drugs:
            return (agent.mention.id,)
        if agent.mention.id == "anti_cd38":
            return ANTI_CD38_DRUGS
        return ()

    # ---- lines of therapy ----------------------------------------------------------------------
    def number(self, word: str | None) -> int | None:
        """'3' or 'three' as a number ("3 prior lines", "second line"); None when it is neither."""
        if not word:
            return None
        return int(word) if word.isdigit() else self.lex["number_words"].get(word.lower())

    def names_agent_after(self, end: int, agents: list[_Agent]) -> bool:
        """Does a line label ending at `end` name one of `agents` ("Line 2: DKd", "2nd line (2020) KRd")?"""
        between = self.lex["prior_lines"]["line_then_regimen"]
        return any(
            a.mention.start >= end and re.fullmatch(between, self.text[end : a.mention.start], re.IGNORECASE)
            for a in agents
        )

    def count_hearsay(self, m: re.Match) -> bool:
        """A line count reported from elsewhere or guessed ("referred to us as 'third-line RRMM'", "Referral
        letter says 'third-line therapy needed'", "his 2nd relapse after 2 lines i think"): no count; the
        described history gives it, or it is asked for."""
        lex = self.lex["prior_lines"]
        return bool(
            re.search(lex["count_reported_before"], self.text_before(m.start(), 40), re.IGNORECASE)
            or re.match(lex["count_hedged_after"], self.text[m.end() :], re.IGNORECASE)
        )

    def prior_lines(self, agents: list[_Agent], treatment: _History) -> None:
        lex, num = self.lex["prior_lines"], self.number

        # "5 prior lines in total" is the count even after "dara given in the last 2 lines".
        stated = [
            m
            for m in self.finditer(lex["explicit"])
            if num(m.group(1)) is not None
            and not re.search(lex["range_before"], self.text_before(m.start(), 8), re.I)
            and not self.count_hearsay(m)
        ]
        stated += [m for m in self.finditer(lex["labelled_count"])]
        counted = [m for m in stated if re.search(r"prior|previous|earlier|total", m.group(0), re.IGNORECASE)]
        # "Prior lines: 2 ... Corrected: prior lines = 1": the corrected count.
        corrected = [
            m for m in stated if re.search(self.lex["correction_before"], self.text_before(m.start()), re.I)
        ]
        if explicit := (corrected[-1:] or counted or stated or [None])[0]:
            count = num(explicit.group(1))
            # "5 prior lines before the CAR-T, relapsed after it": the therapy named after the count is
            # one more line.
            then = re.match(lex["count_before"], self.text[explicit.end() :], re.IGNORECASE)
            if (
                count is not None
                and then
                and any(a.history and a.mention.start == explicit.end() + then.end() for a in agents)
            ):
                count += 1
            self.add("prior_lines", count, explicit.start(), explicit.end(), "explicit_line_count")
            return
        candidates: list[tuple[int, re.Match, str]] = []
        received = [a for a in agents if a.history]
        for m in self.finditer(lex["current_line"]):
            n = num(m.group(1) or m.group(2))
            if n and not self.count_hearsay(m):
                # "2nd line DKd, progressed" / "PD on Dara-Kd at 2nd line": that line was given; else the
                # patient stands at it now ("what for 2nd line?").
                given = self.names_agent_after(m.end(), received) or any(
                    a.mention.end <= m.start()
                    and re.fullmatch(lex["regimen_then_line"], self.text[a.mention.end : m.start()], re.I)
                    for a in received
                )
                candidates.append(
                    (n if given else n - 1, m, "line_given" if given else "current_line_number")
                )
        for m in self.finditer(lex["numbered_line"], flags=0):
            # "new lytic L3", "L3 compression fracture": a vertebra, not a line.
            if re.search(lex["vertebra_context"], self.text[max(0, m.start() - 25) : m.end() + 25], re.I):
                continue
            candidates.append((int(m.group(1)), m, "numbered_line"))
        for m in self.finditer(lex["labelled_line"]):
            # Only a label followed by a received regimen counts: "1. VRd", "Line 2: DKd", "3) 4/23 IRd";
            # a numbered item telling the transplant or maintenance of the line before it does not ("(3)
            # lenalidomide maintenance 10 mg").
            if re.match(lex["line_part"], self.text[m.end() :], re.IGNORECASE):
                continue
            if self.names_agent_after(m.end(), received):
                label = next(g for g in m.groups() if g)
                candidates.append((ROMAN.get(label) or int(label), m, "labelled_line"))
        for m in self.finditer(lex["nth_relapse"]):
            n = num(m.group(1) or m.group(2))
            if n and not self.count_hearsay(m):
                # "Kd at 1st relapse", "1st relapse: DKd": a line was given at that relapse, one more since.
                given = self.line_given_at(m, agents) is not None
                candidates.append((n + 1 if given else n, m, "nth_relapse"))
        history = treatment.regimens
        if history:
            count = self.described_lines(history) + len(treatment.lone_lines) + treatment.earlier_outside
            span = (history[0].mention.start, max(a.mention.end for a in (*history, *treatment.lone_lines)))
            m = re.match(r"(?s).*", self.text[span[0] : span[1]])
            told = _FakeMatch(span[0], span[1], m.group(0) if m else "")
            if count >= self.lines_a_label_implies:
                candidates.append((count, told, "history_count"))
        if self.lex_scope == "newly_diagnosed":
            m = self.search(self.lex["out_of_scope"]["newly_diagnosed"])
            self.add("prior_lines", 0, m.start(), m.end(), "newly_diagnosed")
            return
        if (
            not candidates
            and (m := self.search(self.lex["prior_lines"]["transplant_block"]))
            and self.search(self.lex["relapse_words"])
        ):
            candidates.append((1, m, "single_frontline_block"))
        if candidates:
            n, m, rule = max(candidates, key=lambda c: c[0])
            self.add("prior_lines", n, m.start(), m.end(), rule)

    @cached_property
    def lines_a_label_implies(self) -> int:
        """The fewest prior lines a stated label takes: "penta-refractory, after CAR-T" names one line but
        tells of at least three (two for triple-class refractory or "heavily pretreated"), so the named ones
        are then neither the line count nor the front line."""
        if self.search(self.lex["penta_refractory"]):
            return 3
        # "heavily pretreated", "several regimens, records lost": more than one line, their number untold.
        labelled = self.search(self.lex["triple_class_refractory"])
        return 2 if labelled or self.search(self.lex["many_lines_untold"]) else 0

    @cached_property
    def lex_scope(self) -> str | None:
        """The out-of-scope kind the text names, or None (read once: prior_lines and scope both ask)."""
        relapse = self.own(self.lex["relapse_statement"]) or self.own(r"\bPD\b", flags=0)
        for scope, pattern in self.lex["out_of_scope"].items():
            # "her sister has an MGUS that we watch" is not the patient's.
            if self.own(pattern, flags=0 if scope == "other_disease" else re.IGNORECASE):
                if scope == "newly_diagnosed" and relapse:
                    continue
                # "Smouldering MM since 2015, progressed to active MM. VRd -> ASCT -> len, PD on len",
                # "Prior DLBCL (R-CHOP 2012). Myeloma: VRd/ASCT/len, PD on len": a precursor or another
                # disease in the history of a myeloma treated with myeloma drugs and now relapsing.
                if scope in ("smoldering", "other_disease") and relapse and self.names_myeloma_drugs():
                    continue
                return scope
        return None

    def names_myeloma_drugs(self) -> bool:
        """Does the history name an IMiD, PI or anti-CD38 antibody given (by name or in a regimen code; a
        lone letter such as the R of R-CHOP, or a drug proposed, asked about or never given, does not
        count)?"""
        classes = {"IMiD", "PI", "anti-CD38"}
        drugs, regimens = self.vocab.drugs, self.vocab.regimens

        def given(m: Mention) -> bool:  # "Never had bortezomib" is no myeloma history
            denied = re.search(self.lex["never_given_before"], self.text_before(m.start), re.IGNORECASE)
            return self.is_history(m.start, m.end) and not denied

        named = [m.id for m in self.vocab.find_drugs(self.text) if len(m.surface) > 1 and given(m)]
        named += [
            d
            for m in self.vocab.find_regimens(self.text)
            if m.id in regimens and given(m)
            for d in regimens[m.id].drugs
        ]
        return any(d in drugs and drugs[d].drug_class in classes for d in named)

    # ---- everything else -----------------------------------------------------------------------
    def scope(self) -> None:
        scope = self.lex_scope
        if scope:
            pattern = self.lex["out_of_scope"][scope]
            m = self.own(pattern, flags=0 if scope == "other_disease" else re.IGNORECASE)
            self.add("scope", scope, m.start(), m.end(), f"out_of_scope:{scope}")
            if scope == "newly_diagnosed":
                for fld in STATUS_FIELDS:
                    self.add(fld, "naive", m.start(), m.end(), "newly_diagnosed")
                self.add("prior_asct", False, m.start(), m.end(), "newly_diagnosed")
        elif m := self.own(self.lex["relapse_words"]):
            self.add("scope", "rrmm", m.start(), m.end(), "relapse_described")

    def own(self, pattern: str, flags: int = re.IGNORECASE) -> re.Match | None:
        """The first match told of the patient, not of someone else ("His brother had myeloma with relapse
        and got Kd" tells no relapse of this patient)."""
        return next(
            (
                m
                for m in self.finditer(pattern, flags)
                if not re.search(self.lex["other_person_before"], self.sentence_prefix(m.start()), re.I)
            ),
            None,
        )

    def asct(self, agents: list[_Agent]) -> None:
        lex = self.lex["asct"]
        history_text = self.history_text()
        not_done = self.search(lex["not_done"])
        if not_done:
            self.add("prior_asct", False, not_done.start(), not_done.end(), "no_transplant")
        else:
            for m in self.finditer(lex["done"]):
                if not self.is_proposal(m.start()) and not re.search(
                    r"(?:salvage|second|2nd)\s+$",
                    self.text_before(m.start(), 10),
                    re.IGNORECASE,
                ):
                    self.add("prior_asct", True, m.start(), m.end(), "transplant_in_history")
                    break
        for key in ("months_since", "months_since_fraction", "months_since_at"):
            m = self.search(lex[key])
            if m:
                self.add("months_since_asct", _months(m.group(1), m.group(2)), m.start(), m.end(), key)
                break
        else:
            if dated := self.months_from_asct_date():
                months, start, end = dated
                self.add("months_since_asct", months, start, end, "dated_months_since_asct")
        if m := self.search(lex["cells_not_stored"]):
            self.add("stem_cells_stored", False, m.start(), m.end(), "cells_not_stored")
        elif m := self.search(lex["cells_stored"]):
            self.add("stem_cells_stored", True, m.start(), m.end(), "cells_stored")
        if m := self.search(lex["no_maintenance"]):
            self.add("maintenance_after_asct", False, m.start(), m.end(), "no_maintenance")
        elif (m := self.search(lex["maintenance"])) and not self.is_proposal(m.start()):
            self.add("maintenance_after_asct", True, m.start(), m.end(), "maintenance")
        if (m := self.search(r"\b(?:progres\w*|PD)\s+on\s+(?:the\s+|his\s+|her\s+)?maint\w*")) and not any(
            a for a in agents if a.history and 0 <= m.end() - a.mention.start <= 1
        ):
            self.add("maintenance_drug_unknown", True, m.start(), m.end(), "maintenance_drug_not_named")
        del history_text

    def history_text(self) -> str:
        return " ".join(
            self.text[s:e] for s, e in self.sentences() if not self.text[s:e].rstrip().endswith("?")
        )

    def lenalidomide_timing(self, agents: list[_Agent]) -> None:
        """Fixed-duration lenalidomide: refractory / not refractory / indeterminate by time off drug."""
        statuses = [f for f in self.facts if f.field == "lenalidomide"]
        if not statuses or any(
            f.value in ("refractory", "naive", "exposed_not_refractory") for f in statuses
        ):
            return
        if timed := self.time_off():
            months, m = timed
            if not self.plausible("months_off_therapy", months, m.start(), m.end(), "time_off_lenalidomide"):
                return
            self.add(
                "lenalidomide", _by_time_off(months), m.start(), m.end(), f"time_off_lenalidomide:{months}mo"
            )
            return
        if dated := self.dated_lenalidomide_status():
            value, start, end, gap = dated
            self.add("lenalidomide", value, start, end, f"dated_time_off_lenalidomide:{gap}")
            return
        no_maint = self.first("maintenance_after_asct")
        since = self.first("months_since_asct")
        if no_maint and no_maint.value is False and since and since.value > 6:
            self.add(
                "lenalidomide",
                "exposed_not_refractory",
                since.start,
                since.end,
                "induction_only_lenalidomide_stopped_over_6_months",
            )
            return
        first = statuses[0]
        self.add(
            "lenalidomide_exposure_unclear", True, first.start, first.end, "lenalidomide_timing_not_stated"
        )

    def time_off(self) -> tuple[float, re.Match] | None:
        """The months off lenalidomide (or off therapy) before progression the text states, with its match."""
        if m := self.search(self.lex["time_off"]):
            groups = [g for g in m.groups() if g]
            return _months(groups[0], groups[1]), m
        return None

    @cached_property
    def dates(self) -> list[TextDate]:
        return find_dates(self.text)

    @cached_property
    def date_orders(self) -> tuple[Order, ...]:
        """The day/month orders the writer may use (see dates.writer_orders)."""
        return writer_orders(self.dates)

    @cached_property
    def yearless_dates(self) -> list[TextDate]:
        """Days written without a year, on one nominal calendar (see dates.find_yearless_dates)."""
        return find_yearless_dates(self.text, self.dates)

    def progression_date_after(self, date: TextDate, dates: list[TextDate] | None = None) -> TextDate | None:
        """The first date after `date` (of `dates`, the text's dated ones by default) that dates a
        progression."""
        candidates = self.dates if dates is None else dates
        return next((d for d in candidates if d.start > date.end and self.dates_progression(d)), None)

    def dated_refractoriness(self, agents: list[_Agent]) -> None:
        """A drug stopped on a day and a progression dated within 60 days of it, no other treatment told in
        between ("DRd stopped 02/10/2024 ... Reviewed 14/11/2024: paraprotein 4 -> 19 g/L"): refractory by
        korean-2020's definition, whatever the writer calls it ("he was off treatment, so dara-sensitive")."""
        history = [a for a in agents if a.history]
        for agent in history:
            stop = self.dated_stop(agent)
            progression = stop and self.progression_date_after(stop)
            if not stop or not progression:
                # "Len held from 3 March ... 18 April restaging: M-spike 0.4 -> 1.5": days without a year,
                # read against each other only, with no dated year told between them.
                stop = self.dated_stop(agent, self.yearless_dates)
                progression = stop and self.progression_date_after(stop, self.yearless_dates)
                if not stop or not progression:
                    continue
                if any(stop.end < d.start < progression.start for d in self.dates):
                    continue
            if any(stop.end < a.mention.start < progression.start and a is not agent for a in history):
                continue  # another treatment came between: the progression was on that one
            gaps = [days_between(*pair) for pair in reading_pairs(stop, progression, self.date_orders)]
            if gaps and all(gap is not None and 0 <= gap <= REFRACTORY_WITHIN_DAYS for gap in gaps):
                rule = f"dated_progression_after_stop:{gaps[0]}d"
                self.status(agent, "refractory", agent.mention.start, progression.end, rule)

    def dated_stop(self, agent: _Agent, dates: list[TextDate] | None = None) -> TextDate | None:
        """The day `agent` was stopped, told in its clause: "DRd stopped 02/10/2024", "He stopped len on 12
        Aug 2024", "Len held 2023-03-01" (of `dates`, the text's dated ones by default)."""
        end = agent.mention.end
        limit = min(re.search(r"[.;\n]|$", self.text[end:]).start(), 60) + end
        date = next((d for d in (self.dates if dates is None else dates) if end <= d.start < limit), None)
        if date is None:
            return None
        told = self.text_before(agent.mention.start, 30) + self.text[agent.mention.end : date.start]
        return date if re.search(self.lex["dated_stop_cue"], told, re.IGNORECASE) else None

    def dated_lenalidomide_status(self) -> tuple[str, int, int, str] | None:
        """Lenalidomide status from the dates of its stop and of the progression after it: "last capsule
        15/09/2024 ... 28/10/2024: M-spike 0.2 -> 1.3" is 43 days, refractory; "last dose Feb 2022 ...
        Progression Sept 2024" is 31 months, not refractory; "stopped in 2021 ... progression now (2024)"
        is at least 25 months. Month-level dates under 3 months apart, and a day/month order that changes
        the answer, decide nothing."""
        stops = [d for d in self.dates if self.dates_lenalidomide_stop(d)]
        if not stops:
            return None
        progression = self.progression_date_after(stops[0])
        if progression is None:
            return None
        # The last stop before it: "VRd-lite x9 (2021-2022) then lenalidomide ... Len held 2023-03-01".
        stop = [d for d in stops if d.end <= progression.start][-1]
        read = {_status_by_dates(*pair) for pair in reading_pairs(stop, progression, self.date_orders)}
        if len(read) != 1 or (only := read.pop()) is None:
            return None
        return only[0], stop.start, progression.end, only[1]

    def dates_lenalidomide_stop(self, date: TextDate) -> bool:
        """Is `date` the day lenalidomide stopped: after a stop cue ("len maintenance stopped 02/2023", "last
        capsule 15/09/2024"), or the end of a date range heading a lenalidomide line ("02/2021-01/2023
        lenalidomide 10 mg maintenance")?"""
        lex = self.lex
        return bool(
            re.search(lex["lenalidomide_stop_cue"], self.text_before(date.start, 130), re.IGNORECASE)
            or (
                re.search(r"\d\s*[-–]\s*$", self.text_before(date.start, 3))
                and re.match(lex["lenalidomide_line_after_range"], self.text[date.end :], re.IGNORECASE)
            )
        )

    def months_from_asct_date(self) -> tuple[int, int, int] | None:
        """Months from a transplant dated to the month ("ASCT (02/2019)") to the first progression dated to
        the month after it ("Relapsed 01/2023"); dates without a month, or whose day/month order changes the
        count, give none."""
        cue = self.lex["asct"]["date_cue"]
        asct = next((d for d in self.dates if re.search(cue, self.text_before(d.start, 40), re.I)), None)
        progression = asct and self.progression_date_after(asct)
        if not asct or not progression:
            return None
        pairs = reading_pairs(asct, progression, self.date_orders)
        gaps = {months_between(first, later) for first, later in pairs if first[1] and later[1]}
        gap = gaps.pop() if len(gaps) == 1 else 0
        return (gap, asct.start, progression.end) if gap > 0 else None

    def dates_progression(self, date: TextDate) -> bool:
        """Is `date` the progression's date: told after a progression or a marker's rise ("Relapsed 01/2023",
        "M-spike 0.7 -> 1.0 (03/2023)"), or followed by one ("09/2023: M-spike 1.7")?"""
        lex = self.lex
        return bool(
            re.search(lex["progression_date_cue"], self.text_before(date.start, 90), re.IGNORECASE)
            or re.match(lex["progression_after_date"], self.text[date.end :], re.IGNORECASE)
        )

    def sole_imid_status(self, agents: list[_Agent]) -> None:
        """'1 prior line (VRd/ASCT/R). IMiD-refractory.': a status stated for the IMiD class belongs to the
        IMiD the history names, when it names exactly one and says nothing of that drug itself; 'no IMiD
        so far' with none named makes each IMiD naive."""
        if not self.imid_statuses:
            return
        imids = {"lenalidomide", "pomalidomide", "thalidomide"}
        named = {d for a in agents if a.history for d in self.agent_drugs(a)} & imids
        # "No IMiD so far": naive to the class is naive to each IMiD the text does not say was given.
        if not named and (naive := next((s for s in self.imid_statuses if s[0] == "naive"), None)):
            for drug in sorted(imids - {f.field for f in self.facts}):
                self.add(drug, "naive", naive[1], naive[2], "imid_class_naive")
            return
        if len(named) != 1:
            return
        drug = named.pop()
        if any(
            f.field == drug and f.value in ("refractory", "exposed_not_refractory", "naive")
            for f in self.facts
        ):
            return
        value, start, end = self.imid_statuses[0]
        self.add(drug, value, start, end, "imid_class_status_to_the_one_imid_given")

    def treatment_history(self, agents: list[_Agent]) -> _History:
        history = [a for a in agents if a.history and a.regimen]
        if not history:
            return _History(history, False)
        return _History(
            history, self.earlier_drugs_outside(agents, history), self.lone_lines(agents, history)
        )

    def lone_lines(self, agents: list[_Agent], history: list[_Agent]) -> tuple[_Agent, ...]:
        """Single drugs a vocabulary regimen does not name ("Blenrep", "belantamab": the name also stands
        for its combinations) told after a progression on the therapy told before them: each is a line."""
        told = [a for a in agents if a.history and a.mention.start >= history[0].mention.start]
        return tuple(
            agent
            for previous, agent in itertools.pairwise(told)
            if not agent.regimen
            and not set(self.agent_drugs(agent)) <= set(self.agent_drugs(previous))
            and re.search(
                self.lex["prior_lines"]["lone_line_after"],
                self.text[previous.mention.end : agent.mention.start],
                re.IGNORECASE,
            )
        )

    def earlier_drugs_outside(self, agents: list[_Agent], history: list[_Agent]) -> bool:
        """'Pt on Pd, progressive disease, prior len and bortezomib refractory': drugs named as earlier
        therapy that no told regimen contains were a line of their own, which the regimens do not tell."""
        told = {d for a in history for d in self.vocab.regimens[a.regimen].drugs}
        cue = re.compile(r"\b(?:prior|previous(?:ly)?|before that|earlier)\b[^.;]{0,30}$", re.IGNORECASE)
        return any(
            not a.regimen
            and a.history
            and not set(self.agent_drugs(a)) <= told
            and cue.search(self.text_before(a.mention.start))
            for a in agents
        )

    def history_inference(self, treatment: _History) -> None:
        """A described treatment history that never names a drug means the patient never had it."""
        history = treatment.regimens
        if not history:
            return
        start, end = history[0].mention.start, history[-1].mention.end
        seen = {f.field for f in self.facts}
        # "Post CAR-T relapse, previously triple-class refractory", "Isa-Pd refractory, 3 lines", "Kd ±
        # anti-CD38": the named regimens are not the whole history, so an unnamed drug is unknown, not naive.
        stated = self.first("prior_lines")
        told = self.described_lines(history) + len(treatment.lone_lines)
        earlier = treatment.earlier_outside
        untold_lines = stated is not None and isinstance(stated.value, int) and stated.value > told
        # "5 prior lines (last one: Tecvayli)", "2L Pom-dex-dara", "Received KRd at 2nd line": the first
        # regimen told is not the front line, so neither it nor the transplant history can be inferred.
        starts_later = self.told_from_later_line(history[0], told)
        partial = (
            self.lines_a_label_implies > 0  # a triple-class or penta-refractory label is stated
            # "Kd ± anti-CD38 (arm unknown)": whether the antibody was given is not told.
            or self.search(self.lex["maybe_given_before"].removesuffix("$") + r"(?=\S)") is not None
            or untold_lines
            or earlier
        )
        for fld in STATUS_FIELDS:
            if fld not in seen and fld != "pi" and not partial:  # the class status follows from the drugs
                self.add(fld, "naive", start, end, "not_in_described_history")
        if earlier or starts_later or told < self.lines_a_label_implies:
            return  # the first regimen told is not the front line, and the transplant history is untold
        if "prior_asct" not in seen:
            self.add("prior_asct", False, start, end, "not_in_described_history")
        frontline = history[0]
        self.add(
            "frontline_regimen",
            frontline.regimen,
            frontline.mention.start,
            frontline.mention.end,
            "first_regimen_in_history",
        )
        second_line_at = self.first_new_line_at(history)
        line_one = [a for a in history if a.mention.start < second_line_at]
        dara_regimens = [
            a.regimen for a in line_one if a.regimen and "daratumumab" in self.vocab.regimens[a.regimen].drugs
        ]
        label = next(
            ({"D-VMP": "D-VMP", "DRd": "D-Rd", "D-VTD": "D-VTd"}.get(r, "other") for r in dara_regimens),
            "none",
        )
        self.add(
            "frontline_anti_cd38", label, frontline.mention.start, frontline.mention.end, "frontline_regimens"
        )

    def told_from_later_line(self, first: _Agent, told: int) -> bool:
        """Does the told history start after the front line: a stated line count at least two above the
        lines told, or the first regimen labelled as a later line ("2L Pd", "KRd at 2nd line")?"""
        for f in self.facts:
            if f.field != "prior_lines" or not isinstance(f.value, int):
                continue
            if f.rule == "explicit_line_count" and f.value >= told + 2:
                return True
            if f.rule in ("labelled_line", "line_given", "numbered_line") and f.value >= 2:
                before = self.text[f.end : first.mention.start]
                after = self.text[first.mention.end : f.start]
                if (f.end <= first.mention.start and re.fullmatch(r"[\s:(),]*(?:was\s*)?", before)) or (
                    f.start >= first.mention.end
                    and re.fullmatch(r"\s*(?:x\s*\d+\s*)?(?:at|as|in)\s+(?:the\s+)?", after)
                ):
                    return True
        return False

    def first_new_line_at(self, history: list[_Agent]) -> int:
        lex = self.lex["prior_lines"]
        for m in self.finditer(r"\bL([2-9])\b"):
            return m.start()
        # "2nd line Dara-Pom-dex", "second line: KRd": the label opens the line of the regimen it names.
        for m in self.finditer(lex["current_line"]):
            if (self.number(m.group(1) or m.group(2)) or 0) >= 2 and self.names_agent_after(m.end(), history):
                return m.start()
        for m in self.finditer(lex["at_nth_relapse"] + r"|\b1st relapse\b"):
            start = self.line_given_at(m, history)
            if start is not None:
                return start
        starts = (a.mention.start for before, a in itertools.pairwise(history) if self.opens_line(before, a))
        return next(starts, len(self.text))

    def described_lines(self, history: list[_Agent]) -> int:
        """How many lines the regimens received, in the order told, make."""
        at_nth = self.lex["prior_lines"]["at_nth_relapse"]
        return 1 + sum(
            1
            for previous, agent in itertools.pairwise(history)
            if self.opens_line(previous, agent)
            or re.match(at_nth, self.text[agent.mention.end : agent.mention.end + 25].strip(), re.IGNORECASE)
        )

    def opens_line(self, previous: _Agent, agent: _Agent) -> bool:
        """Does `agent` start a new line after `previous` ("relapsed -> Kd", "VRd, KRd")?"""
        gap = self.text[previous.mention.end : agent.mention.start]
        # "PD on dara mono 02/2023. Then Pd": the progression told before `previous` was on it.
        before = self.text_before(previous.mention.start, 30)
        if re.search(self.lex["prior_lines"]["progressed_on"], before, re.IGNORECASE):
            gap = "PD " + gap
        # "| 1 | VMP x9 | PR |\n| 2 | Rd": a line label from 2 on between them heads a new line.
        labels = [
            int(number)
            for m in re.finditer(self.lex["prior_lines"]["labelled_line"], gap, re.IGNORECASE)
            for number in m.groups()
            if number and number.isdigit()
        ]
        return bool(
            re.search(self.lex["prior_lines"]["new_line_after"], gap, re.IGNORECASE)
            or any(n >= 2 for n in labels)
            or self.listed_as_next_line(previous, agent)
        )

    def listed_as_next_line(self, previous: _Agent, agent: _Agent) -> bool:
        """'VRd, KRd, DPd, IsaKd': different combination regimens listed one after another are successive
        lines (an induction's transplant and maintenance are a procedure and a single drug; a repeated
        regimen or one marked as consolidation or maintenance belongs to the same line)."""
        lex = self.lex["prior_lines"]
        regimens = self.vocab.regimens
        if not (previous.regimen and agent.regimen) or previous.regimen == agent.regimen:
            return False
        if min(len(regimens[previous.regimen].drugs), len(regimens[agent.regimen].drugs)) < 2:
            return False
        return bool(
            re.fullmatch(lex["regimen_list_gap"], self.text[previous.mention.end : agent.mention.start], re.I)
            and not re.match(lex["same_line_after"], self.text[agent.mention.end :], re.IGNORECASE)
        )

    def patient(self) -> None:
        lex = self.lex
        if age := self.current_value(lex["frailty"]["age"], "age", flags=0):
            self.add("age", int(_number(age[0])), age[1], age[2], "age")
        if m := self.search(lex["refractory_drug_count"]):
            count = int(next(g for g in m.groups() if g))
            self.plausible("refractory_drug_count", count, m.start(), m.end(), "refractory_drug_count")
        ecog = self.current_value(lex["frailty"]["ecog"], "ecog")
        if ecog:
            self.add("ecog", int(ecog[0]), ecog[1], ecog[2], "ecog")
            ecog = ecog if check_plausible("ecog", int(ecog[0])) is None else None
        frail, not_frail = self.findings(lex["frailty"]["frail"])
        fit = self.search(lex["frailty"]["fit"])
        if ecog:  # ECOG says frail (3-4) or fit (0-1) by its current value, not by an earlier one
            frail = None if frail and frail.group(0).upper().startswith("ECOG") else frail
            fit = None if fit and fit.group(0).upper().startswith("ECOG") else fit
        if frail:
            self.add("frail", True, frail.start(), frail.end(), "frail")
        elif not_frail:
            self.add("frail", False, not_frail.start(), not_frail.end(), "negated_frail")
        elif ecog and int(ecog[0]) >= 3:
            self.add("frail", True, ecog[1], ecog[2], "frail")
        elif fit:
            self.add("frail", False, fit.start(), fit.end(), "fit")
        elif ecog and int(ecog[0]) <= 1:
            self.add("frail", False, ecog[1], ecog[2], "fit")
        renal = lex["renal"]
        # A measured clearance column before an estimated GFR column ("Cr | eGFR | CrCl").
        columns = (r"\b(?:CrCl|CLcr|creatinine clearance)\b", self.lex["serial_value"]["labels"]["crcl"])
        crcl = self.current_value(renal["crcl"], "crcl") or next(
            (value for c in columns if (value := latest_in_column(self.text, c))), None
        )
        if crcl:
            self.add("crcl_ml_min", _number(crcl[0]), crcl[1], crcl[2], "crcl")
        if m := self.findings(renal["impairment"])[0]:
            self.add("renal_impairment", True, m.start(), m.end(), "renal_impairment")
        neuro = lex["neuropathy"]
        if m := self.search(neuro["none"]):
            self.add("neuropathy_grade", 0, m.start(), m.end(), "no_neuropathy")
        elif graded := self.current_value(neuro["grade"], "neuropathy"):
            grade = graded[0].upper()
            value = ROMAN[grade] if grade in ROMAN else int(grade)
            self.add("neuropathy_grade", value, graded[1], graded[2], "neuropathy_grade")
        elif m := self.search(neuro["present"]):
            self.add("neuropathy_grade", 1, m.start(), m.end(), "neuropathy_present_grade_unstated")
        cardiac = lex["cardiac"]
        if m := self.search(cardiac["absent"]):
            self.add("cardiac_disease", False, m.start(), m.end(), "no_cardiac_history")
        elif (m := self.search(cardiac["present"], flags=0)) or (
            m := self.search(
                r"\b(?:heart failure|atrial fibrillation|myocardial infarction|hypertension|cardiomyopathy)\b"
            )
        ):
            self.add("cardiac_disease", True, m.start(), m.end(), "cardiac_history")
        cyto = lex["cytogenetics"]
        # A finding only written as absent is read as absent: "t(11;14) negative" is not t(11;14).
        for fld, pattern in (
            ("t11_14", cyto["t11_14"]),
            ("high_risk_cytogenetics", cyto["high_risk"]),
            ("extramedullary", lex["extramedullary"]),
        ):
            present, absent = self.findings(pattern)
            if present:
                self.add(fld, True, present.start(), present.end(), fld)
            elif absent:
                self.add(fld, False, absent.start(), absent.end(), f"negated_{fld}")
        if not self.has("high_risk_cytogenetics") and (m := self.search(cyto["standard_risk"])):
            self.add("high_risk_cytogenetics", False, m.start(), m.end(), "standard_risk")
        if m := self.search(lex["aggressive"]):
            self.add("aggressive", True, m.start(), m.end(), "aggressive_feature")
        if m := self.search(lex["low_middle_income"]):
            self.add("access", "low_middle_income", m.start(), m.end(), "low_middle_income")
        m = self.search(lex["available_list"])
        if m and m.group("listed") is not None and not self.only_drugs_listed(m.group("listed")):
            m = None
        if m:
            for d in self.vocab.find_drugs(m.group(0)):
                self.add("available_drugs", d.id, m.start() + d.start, m.start() + d.end, "available_here")
        for m in self.finditer(rf"\bno\s+({lex['product_classes']})"):
            # "no CAR-T or bispecifics so far": the qualifier may follow the last class of a list.
            more = rf"(?:\s*(?:,|/|\bor\b|\band\b|\bnor\b)\s*{lex['product_classes']})*"
            if re.match(more + lex["not_received_after"], self.text[m.end() :], re.IGNORECASE):
                continue
            for d in _class_products(m.group(1)):
                self.add("unavailable_drugs", d, m.start(), m.end(), "not_available")
        # "TCE but not TCR" is not triple-class refractory.
        # "triple-class-refractory patients" in a literature question is a population, not the patient.
        if (
            (m := self.findings(self.lex["triple_class_refractory"])[0])
            and not re.match(self.lex["status_population_after"], self.text[m.end() :], re.IGNORECASE)
            and not self.class_status_asked(m)
        ):
            self.add("triple_class_refractory", True, m.start(), m.end(), "triple_class_refractory")
            for fld in ("pi", "anti_cd38"):
                self.add(fld, "refractory", m.start(), m.end(), "triple_class_refractory")
        # "refractory to a PI, an IMiD and an anti-CD38 antibody"
        pi = next((f for f in self.facts if f.field in ("pi", *PI_DRUGS) and f.value == "refractory"), None)
        cd38 = next((f for f in self.facts if f.field == "anti_cd38" and f.value == "refractory"), None)
        imid = next(((s, e) for value, s, e in self.imid_statuses if value == "refractory"), None)
        if imid and pi and cd38:
            start = min(imid[0], pi.start, cd38.start)
            end = max(imid[1], pi.end, cd38.end)
            self.add("triple_class_refractory", True, start, end, "refractory_to_each_class")
        if (m := self.search(self.lex["penta_refractory"])) and not self.class_status_asked(m):
            self.add("penta_refractory", True, m.start(), m.end(), "penta_refractory")
            self.add("triple_class_refractory", True, m.start(), m.end(), "penta_refractory")
            for fld in ("lenalidomide", "pomalidomide", "bortezomib", "carfilzomib", "pi", "anti_cd38"):
                self.add(fld, "refractory", m.start(), m.end(), "penta_refractory")
        pres = lex["relapse_presentation"]
        crab_absent = self.search(pres["crab_absent"])
        # "no new lytic lesions, no anaemia" describes a relapse without CRAB features.
        clinical = (
            self.findings(pres["clinical"], flags=0)[0]
            or self.findings(
                r"\b(?:symptomatic|clinical relapse|lytic|fracture|bone pain|an(?:a)?emia|hypercalc\w*)\b"
            )[0]
        )
        if crab_absent:
            self.add("crab_absent", True, crab_absent.start(), crab_absent.end(), "no_crab")
        if clinical:
            self.add("relapse_type", "clinical", clinical.start(), clinical.end(), "crab_feature")
        elif m := self.search(pres["biochemical"]):
            self.add("relapse_type", "biochemical", m.start(), m.end(), "biochemical_only")
        elif crab_absent:
            # "SPEP 0.2 -> 0.5, Hb 13, Ca/creat normal": a rise told with CRAB features ruled out.
            self.add("relapse_type", "biochemical", crab_absent.start(), crab_absent.end(), "crab_absent")
        elif (m := self.search(r"\b(?:progres\w*|PD|relapse[sd]?|enlarging)\b")) and self.first(
            "prior_lines"
        ):
            # A progression described without any biochemical-only qualifier is taken as a relapse that
            # needs treatment; the treatment gate only ever holds back an explicitly asymptomatic one.
            self.add(
                "relapse_type", "clinical", m.start(), m.end(), "progression_without_biochemical_qualifier"
            )

    def transplant_eligibility(self) -> None:
        lex = self.lex["transplant_eligibility"]
        if m := self.search(lex["ineligible"]):
            self.add("transplant_eligible", False, m.start(), m.end(), "stated_ineligible")
            return
        if m := self.search(lex["eligible"]):
            self.add("transplant_eligible", True, m.start(), m.end(), "stated_eligible")
            return
        frontline, age, frail = self.first("frontline_regimen"), self.first("age"), self.first("frail")
        asct, cells = self.first("prior_asct"), self.first("stem_cells_stored")
        if frontline and frontline.value in INELIGIBLE_FRONTLINE:
            self.add(
                "transplant_eligible",
                False,
                frontline.start,
                frontline.end,
                "transplant_ineligible_frontline",
            )
        elif frail and frail.value is True:
            self.add("transplant_eligible", False, frail.start, frail.end, "frail")
        elif age and age.value >= 70 and not (asct and asct.value):
            # imwg-2021: front-line ASCT is the standard for fit patients younger than 70 years.
            self.add("transplant_eligible", False, age.start, age.end, "age_70_or_more_never_transplanted")
        elif age and age.value >= 65 and asct and asct.value is False and asct.rule == "no_transplant":
            self.add("transplant_eligible", False, asct.start, asct.end, "not_transplanted_at_65_or_more")
        elif cells and cells.value is True:
            self.add("transplant_eligible", True, cells.start, cells.end, "stem_cells_stored")
        elif age and age.value < 70 and ((frail and frail.value is False) or (asct and asct.value is True)):
            src = frail if frail and frail.value is False else asct
            self.add("transplant_eligible", True, src.start, src.end, "fit_or_transplanted_under_70")

    def defaults_for_described_case(self) -> None:
        """A described relapse that mentions no extramedullary disease is recorded as without it."""
        scope = self.first("scope")
        if scope and scope.value == "rrmm" and not self.has("extramedullary") and self.first("prior_lines"):
            self.add("extramedullary", False, scope.start, scope.end, "not_mentioned_in_described_relapse")
        elig = self.first("transplant_eligible")
        if elig and elig.value is True and not self.has("frail"):
            self.add("frail", False, elig.start, elig.end, "transplant_eligible")

    def only_drugs_listed(self, text: str) -> bool:
        """Is `text` only drug names and list joiners ("thalidomide, melphalan and generic bortezomib")?"""
        rest = text
        for d in reversed(self.vocab.find_drugs(text)):
            rest = rest[: d.start] + " " + rest[d.end :]
        return bool(re.fullmatch(self.lex["available_list_filler"], rest, re.IGNORECASE))

    def unavailable(self, agents: list[_Agent]) -> None:
        """'daratumumab, carfilzomib and CAR-T are not available', 'no access to dara or carfilzomib': the
        listed drugs are not to be offered, and naming them tells no treatment history."""
        products = [
            (m.start(), m.end(), _class_products(m.group(0)), None)
            for m in self.finditer(self.lex["product_classes"])
        ]
        items = sorted(
            [(a.mention.start, a.mention.end, self.agent_drugs(a), a) for a in agents] + products,
            key=lambda item: item[0],
        )

        def listed(gap: str) -> bool:
            return bool(re.fullmatch(r"(?:\s|,|/|&|\+|\band\b|\bor\b)*", gap))

        chosen: set[int] = set()
        for i, (start, end, _, _) in enumerate(items):
            if re.match(self.lex["unavailable_after"], self.text[end:], re.IGNORECASE):
                chosen.add(i)
                j = i
                while j > 0 and listed(self.text[items[j - 1][1] : items[j][0]]):
                    j -= 1
                    chosen.add(j)
            if re.search(self.lex["unavailable_before"], self.text_before(start), re.I):
                chosen.add(i)
                j = i
                while j + 1 < len(items) and listed(self.text[items[j][1] : items[j + 1][0]]):
                    j += 1
                    chosen.add(j)
        for i in sorted(chosen):
            start, end, drugs, agent = items[i]
            if agent is not None:
                agent.history = False
            for d in drugs:
                self.add("unavailable_drugs", d, start, end, "not_available")

    def run(self) -> list[ExtractedFact]:
        agents = self.agents()
        self.unavailable(agents)
        self.scope()
        self.drug_statuses(agents)
        self.dated_refractoriness(agents)
        self.toxicity_stops(agents)
        self.sole_imid_status(agents)
        treatment = self.treatment_history(agents)
        self.prior_lines(agents, treatment)
        self.asct(agents)
        self.lenalidomide_timing(agents)
        self.history_inference(treatment)
        self.patient()
        self.transplant_eligibility()
        self.defaults_for_described_case()
        self.contradicted_refractoriness()
        self.outcome_not_known(agents)
        return self.facts

    def outcome_not_known(self, agents: list[_Agent]) -> None:
        """A drug told received with its outcome said to be unknown ("L2 Dara-Kd - at some point it was
        stopped, I dont have the dates or the reason"): whether the disease is refractory to it is not told,
        so its status is indeterminate and the rule layer asks, instead of reading "received" as "not
        refractory"."""
        for agent in agents:
            if not agent.history:
                continue
            # Up to the next drug told: "VMP (2015); DRd (we don't know whether ...)" is about DRd only.
            upto = next((a.mention.start for a in agents if a.mention.start >= agent.mention.end), None)
            told = re.match(r"[^.;\n]*(?:[.;][^.;\n]*)?", self.text[agent.mention.end : upto]).group(0)[:160]
            if not re.search(self.lex["outcome_unknown_after"], told, re.IGNORECASE):
                continue
            for fld in (f for f in agent.fields if f in STATUS_FIELDS):
                statuses = {f.value for f in self.facts if f.field == fld}
                if statuses <= {"exposed", "exposed_not_refractory"}:
                    self.add(fld, "indeterminate", agent.mention.start, agent.mention.end, OUTCOME_UNKNOWN)

    def contradicted_refractoriness(self) -> None:
        """A drug read as refractory and then told "not refractory" ("PD on R maint. Not len-refractory",
        "VRd -> R maint; not refractory to lenalidomide (stopped 1 yr before PD)"): the text contradicts
        itself, so the status is indeterminate and the rule layer asks instead of choosing a reading, unless
        the text gives the time from the last lenalidomide dose to progression, which decides it (also against
        a bare "not refractory ... (stopped 1 month before PD)"). A "not refractory" told before the
        refractory reading is an earlier line and leaves it standing."""
        for fld in STATUS_FIELDS:
            told = [f for f in self.facts if f.field == fld]
            refractory = [f for f in told if f.value == "refractory"]
            denied = [
                f for f in told if f.value == "exposed_not_refractory" and f.rule == "status_word:refractory"
            ]
            if not denied or (refractory and refractory[-1].start > denied[-1].start):
                continue  # no "not refractory", or it was told of an earlier line
            if any(f.rule.startswith("dated_progression_after_stop") for f in refractory):
                continue  # the dates decide: progression within 60 days of the last dose
            spans = [denied[-1], *refractory[-1:]]
            timed = self.time_off() if fld == "lenalidomide" else None
            if timed:  # "not refractory to lenalidomide (stopped 1 month before PD)": the time decides
                months, time_off = timed
                value = _by_time_off(months)
                if value == "exposed_not_refractory" and not refractory:
                    continue  # told and timed alike
                start = min(time_off.start(), *(f.start for f in spans))
                end = max(time_off.end(), *(f.end for f in spans))
                self.add(fld, value, start, end, CONTRADICTION)
            elif refractory:
                self.add(
                    fld,
                    "indeterminate",
                    min(f.start for f in spans),
                    max(f.end for f in spans),
                    CONTRADICTION,
                )


@dataclass(frozen=True)
class _FakeMatch:
    """A span that is not a regex match (e.g. the whole described history)."""

    s: int
    e: int
    text: str

    def start(self) -> int:
        return self.s

    def end(self) -> int:
        return self.e


SET_FIELDS = {
    "unavailable_drugs",
    "available_drugs",
    "clinician_avoids",
    "other_refractory",
    "stopped_for_toxicity",
}
CONTRADICTION = "told_refractory_and_not_refractory"
OUTCOME_UNKNOWN = "outcome_not_known"


def _merge(facts: list[ExtractedFact]) -> dict[str, Any]:
    """Combine one text's facts: drug statuses keep the strongest evidence, other fields the first."""
    values: dict[str, Any] = {}
    for f in facts:
        if f.field in SET_FIELDS:
            values.setdefault(f.field, set()).add(f.value)
        elif f.field in STATUS_FIELDS:
            value = "exposed_not_refractory" if f.value == "exposed" else f.value
            values[f.field] = stronger(values.get(f.field, "unknown"), value)
        elif f.field not in values:
            values[f.field] = f.value
    for f in facts:  # told both ways: neither reading wins unless the time off the drug decides
        if f.rule in (CONTRADICTION, OUTCOME_UNKNOWN):
            values[f.field] = f.value
    # Exposure seen only in a regimen list ("received_in_history") is not yet "not refractory" for
    # lenalidomide: its refractoriness is what the branch turns on, and timing decides it.
    len_rules = {f.rule for f in facts if f.field == "lenalidomide"}
    if values.get("lenalidomide") == "exposed_not_refractory" and len_rules <= {"received_in_history"}:
        values["lenalidomide"] = "unknown"
        values["lenalidomide_exposure_unclear"] = True
    if values.get("lenalidomide") not in (None, "unknown"):
        values.pop("lenalidomide_exposure_unclear", None)
    return values


# A word written with a capital after its first letter ("VRd", "ECOG", "CrCl"): the writer uses case.
_CASED_WORD = re.compile(r"\b[A-Za-z][a-z]*[A-Z]")


def cased_regimen_codes(text: str, vocab: Vocabulary, not_regimens: Iterable[str]) -> str:
    """A note typed without capitals ("vrd then asct, got kd, prog'd on it") has its short regimen codes
    written as the vocabulary spells them ("VRd", "Kd"): short codes match case-sensitively (PD is progressive
    disease, Pd pomalidomide-dexamethasone), so in such a note they would be missed. Words that lower case
    makes something else ("pd", "sd", "dr") are left as written. Same length, so every span still holds."""
    if _CASED_WORD.search(text):
        return text
    spelled = vocab.case_sensitive_codes
    skip = {w.lower() for w in not_regimens}

    def recased(match: re.Match[str]) -> str:
        word = match.group(0)
        code = spelled.get(word)
        return code if code is not None and word not in skip else word

    return re.sub(r"(?<![\w-])[a-z]{2,4}(?![\w-])", recased, text)


def withdrawn_values_blanked(text: str, vocab: Vocabulary, lex: dict[str, Any]) -> str:
    """A value the writer takes back at once ("Induction was KRd x4 - sorry, I meant VRd x4", "CrCl 28
    mL/min... correction, 58 mL/min") is blanked out with the correction phrase, so only the replacement is
    read: else the withdrawn regimen counts as received and the withdrawn number, told first, wins. Only
    when the withdrawn value and the replacement are of one kind (regimen or drug; number), so a phrase
    that merely looks like a correction ("Kd, I mean, what next?") changes nothing. Same length."""
    agents = sorted(
        [(m.start, m.end) for m in vocab.find_regimens(text)]
        + [(m.start, m.end) for m in vocab.find_drugs(text)]
    )
    blanked = list(text)
    for marker in re.finditer(lex["correction_marker"], text, re.IGNORECASE):
        start, end = marker.span()
        withdrawn: int | None = None
        if re.match(r"[~<>≈]?\d", text[end:]):
            number = re.search(lex["correction_number"], text[max(0, start - 30) : start])
            withdrawn = start - len(number.group(0)) if number else None
        elif any(s == end for s, _ in agents):
            before = [(s, e) for s, e in agents if e <= start]
            if before and re.fullmatch(lex["correction_regimen_tail"], text[before[-1][1] : start], re.I):
                withdrawn = before[-1][0]
        if withdrawn is not None:
            blanked[withdrawn:end] = " " * (end - withdrawn)
    return "".join(blanked)


def extract_facts(
    text: str, previous: PatientProfile | None = None, vocab: Vocabulary | None = None
) -> Extraction:
    """Read the facts in `text`; values stated here replace those of `previous` (an earlier chat turn)."""
    if not isinstance(text, str):
        raise TypeError("text must be a string")
    lex = load_lexicon()
    # Script/style blocks and comments are code, not clinical text: a regimen named there is no fact.
    # They are blanked with spaces so every span still points into the text as given.
    readable = re.sub(lex["code_blocks"], lambda m: " " * len(m.group(0)), text)
    vocab = vocab or load_vocabulary()
    readable = cased_regimen_codes(readable, vocab, lex["lowercase_not_regimen"])
    readable = withdrawn_values_blanked(readable, vocab, lex)
    extractor = _Extractor(text=readable, vocab=vocab, lex=lex, source=text)
    facts = extractor.run()
    values = _merge(facts)
    base = previous.model_dump() if previous else {}
    for key, value in values.items():
        if key in SET_FIELDS:
            base[key] = frozenset(set(base.get(key, ())) | value)
        else:
            base[key] = value
    if values.get("lenalidomide") not in (None, "unknown"):
        base["lenalidomide_exposure_unclear"] = False
    profile = PatientProfile(**{k: v for k, v in base.items() if k in PatientProfile.model_fields})
    return Extraction(profile=profile, facts=tuple(facts), implausible=tuple(extractor.implausible))
