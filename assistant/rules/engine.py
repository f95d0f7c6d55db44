"""The decision engine: a pure function from a PatientProfile (and the rule data) to a Decision.

Branch selection follows the spec's decision tree (§3); options, exclusions, overlays, modifiers and
updates come from the rule data. Whatever a branch or modifier offers, an option containing a drug the
disease is refractory to is never offered: it is moved to `avoid` with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from assistant.rules.decision import (
    AppliedModifier,
    Avoid,
    CandidateBranch,
    CitedSource,
    Decision,
    MissingFact,
    Option,
    TraceStep,
    UpdateNote,
    UpdatePosition,
)
from assistant.rules.predicates import (
    PREDICATES,
    TREATMENT_BRANCH_IDS,
    TREATMENT_BRANCHES,
    Context,
    evaluate,
)
from assistant.rules.profile import PatientProfile
from assistant.rules.ruleset import AvoidRule, Modifier, OptionRule, RuleSet, load_rules
from assistant.vocabulary import SourceQuote, Vocabulary, load_vocabulary

CANONICAL_BRANCHES = (
    *TREATMENT_BRANCH_IDS,
    "biochemical_relapse_monitor",
    "needs_more_information",
    "out_of_scope",
)
OUT_OF_SCOPE = {"newly_diagnosed", "smoldering", "al_amyloidosis", "other_disease"}

QUESTIONS = {
    "prior_lines": "How many previous lines of therapy has the patient had?",
    "lenalidomide": (
        "Is the disease lenalidomide-refractory, i.e. did it progress while on lenalidomide "
        "(any dose, including maintenance) or within 60 days of the last dose?"
    ),
    "lenalidomide_timing": (
        "When was lenalidomide stopped relative to progression (within 60 days, "
        "60 days to 6 months, or more than 6 months)?"
    ),
    "maintenance_drug": "Which drug was the maintenance the disease progressed on (e.g. lenalidomide)?",
    "anti_cd38": (
        "Has the patient received daratumumab or isatuximab, and did the disease progress on it "
        "or within 60 days of it?"
    ),
    "crab": "Are there symptoms or CRAB features (calcium, renal function, anaemia, bone lesions)?",
    "transplant_eligible": "Is the patient a candidate for a (further) autologous transplant?",
    "months_since_asct": ("How long did the remission last after the transplant, and was maintenance given?"),
    "prior_asct": (
        "Has the patient had an autologous transplant, and if so, did the disease progress more than "
        "36 months after it?"
    ),
    "class_refractoriness": (
        "Which drugs is the disease refractory to (proteasome inhibitor, lenalidomide/pomalidomide)?"
    ),
}


@dataclass
class _Selection:
    branch: str
    sub_case: str | None = None
    missing: list[MissingFact] = field(default_factory=list)
    candidates: list[str] = field(default_factory=list)
    trace: list[TraceStep] = field(default_factory=list)

    def step(self, rule: str, condition: str, fact: str, expected: str, actual: object, fired: bool) -> bool:
        self.trace.append(
            TraceStep(
                rule=rule, condition=condition, fact=fact, expected=expected, actual=actual, fired=fired
            )
        )
        return fired


def _ask(sel: _Selection, fact: str, key: str | None = None, affects: str = "branch") -> None:
    if not any(m.fact == fact for m in sel.missing):
        sel.missing.append(MissingFact(fact=fact, question=QUESTIONS[key or fact], affects=affects))


def _treat_now_trigger(p: PatientProfile) -> bool:
    return bool(p.aggressive or p.extramedullary or p.high_risk_cytogenetics or p.on_therapy_at_progression)


def select_branch(p: PatientProfile) -> _Selection:
    """The spec's decision tree; every test it makes is recorded in the trace."""
    sel = _Selection(branch="needs_more_information")
    if sel.step(
        "scope",
        "not relapsed/refractory myeloma",
        "scope",
        "one of " + ", ".join(sorted(OUT_OF_SCOPE)),
        p.scope,
        p.scope in OUT_OF_SCOPE,
    ) or sel.step(
        "scope", "no previous line of therapy", "prior_lines", "0", p.prior_lines, p.prior_lines == 0
    ):
        sel.branch = "out_of_scope"
        return sel
    if p.relapse_type == "biochemical":
        trigger = _treat_now_trigger(p)
        sel.step(
            "treatment_gate",
            "trigger to treat now (aggressive, EMD, high-risk, progressing on therapy)",
            "aggressive/extramedullary/high_risk_cytogenetics/on_therapy_at_progression",
            "any true",
            (p.aggressive, p.extramedullary, p.high_risk_cytogenetics, p.on_therapy_at_progression),
            trigger,
        )
        if not trigger:
            if sel.step(
                "treatment_gate",
                "asymptomatic biochemical relapse",
                "crab_absent",
                "true",
                p.crab_absent,
                p.crab_absent is True,
            ):
                sel.branch = "biochemical_relapse_monitor"
                return sel
            _ask(sel, "crab_features", "crab")
    tcr = p.is_triple_class_refractory()
    stated = bool(p.triple_class_refractory or p.penta_refractory)
    if sel.step(
        "class_refractoriness",
        "triple-class refractory (stated, or derived beyond first relapse)",
        "pi/imid/anti_cd38",
        "all refractory",
        (p.pi_status(), p.imid_refractory(), p.anti_cd38),
        tcr and (stated or p.prior_lines != 1),
    ):
        sel.branch = "triple_class_refractory"
        sel.sub_case = "penta_refractory" if p.penta_refractory else None
        return sel
    if not sel.step(
        "lines",
        "number of previous lines known",
        "prior_lines",
        "known",
        p.prior_lines,
        p.prior_lines is not None,
    ):
        _ask(sel, "prior_lines")
        _ask_history(sel, p)
        return sel
    if p.prior_lines == 1:
        return _first_relapse(sel, p)
    return _later_relapse(sel, p)


def _ask_history(sel: _Selection, p: PatientProfile) -> None:
    if p.lenalidomide in ("unknown", "indeterminate"):
        _ask(sel, "lenalidomide")
    if p.anti_cd38 == "unknown":
        _ask(sel, "anti_cd38")


def _first_relapse(sel: _Selection, p: PatientProfile) -> _Selection:
    if sel.step(
        "frontline",
        "front-line daratumumab + lenalidomide",
        "frontline_anti_cd38",
        "D-Rd",
        p.frontline_anti_cd38,
        p.frontline_anti_cd38 == "D-Rd",
    ) or sel.step(
        "frontline",
        "refractory to both daratumumab and lenalidomide",
        "lenalidomide/anti_cd38",
        "refractory/refractory",
        (p.lenalidomide, p.anti_cd38),
        p.lenalidomide == "refractory" and p.anti_cd38_refractory(),
    ):
        sel.branch = "first_relapse_after_frontline_dara_len"
        return sel
    if sel.step(
        "frontline",
        "front-line D-VMP",
        "frontline_anti_cd38",
        "D-VMP",
        p.frontline_anti_cd38,
        p.frontline_anti_cd38 == "D-VMP",
    ):
        sel.branch = "first_relapse_after_frontline_dvmp"
        return sel
    len_status = p.lenalidomide
    sel.step(
        "lenalidomide",
        "lenalidomide status",
        "lenalidomide",
        "refractory / not refractory",
        len_status,
        len_status in ("refractory", "naive", "exposed_not_refractory"),
    )
    if len_status == "indeterminate":
        # Spec §9.7: no source covers progression 60 days-6 months after fixed-duration lenalidomide.
        sel.candidates = ["first_relapse_len_refractory", "first_relapse_not_len_refractory"]
        _ask(sel, "lenalidomide", "lenalidomide_timing")
        return sel
    if len_status == "unknown":
        if p.maintenance_drug_unknown:
            _ask(sel, "maintenance_drug")
        _ask(sel, "lenalidomide", "lenalidomide_timing" if p.lenalidomide_exposure_unclear else None)
        if p.anti_cd38 == "unknown":
            _ask(sel, "anti_cd38")
        return sel
    if not sel.step(
        "anti_cd38",
        "anti-CD38 status known",
        "anti_cd38",
        "known",
        p.anti_cd38,
        p.anti_cd38 not in ("unknown", "indeterminate"),
    ):
        _ask(sel, "anti_cd38")
        return sel
    if len_status == "refractory":
        sel.branch = "first_relapse_len_refractory"
        if p.anti_cd38 == "exposed_not_refractory":
            sel.sub_case = "first_relapse_len_refractory_anti_cd38_exposed_sensitive"
    else:
        sel.branch = "first_relapse_not_len_refractory"
    return sel


def _later_relapse(sel: _Selection, p: PatientProfile) -> _Selection:
    if sel.step(
        "anti_cd38", "anti-CD38 refractory", "anti_cd38", "refractory", p.anti_cd38, p.anti_cd38_refractory()
    ):
        sel.branch = "later_relapse_anti_cd38_refractory"
        if p.pi_status() == "unknown" or (p.lenalidomide == "unknown" and p.pomalidomide == "unknown"):
            _ask(sel, "class_refractoriness", affects="sub_case")
        return sel
    if sel.step(
        "anti_cd38",
        "anti-CD38 naive or exposed-not-refractory",
        "anti_cd38",
        "naive / exposed_not_refractory",
        p.anti_cd38,
        p.anti_cd38 in ("naive", "exposed_not_refractory"),
    ):
        sel.branch = "later_relapse_anti_cd38_naive"
        if p.lenalidomide in ("unknown", "indeterminate"):
            _ask(sel, "lenalidomide", affects="options")
        return sel
    _ask(sel, "anti_cd38")
    if p.lenalidomide in ("unknown", "indeterminate"):
        _ask(sel, "lenalidomide")
    return sel


# ---- options ------------------------------------------------------------------------------------


@dataclass
class _Builder:
    rules: RuleSet
    vocab: Vocabulary
    ctx: Context
    trace: list[TraceStep]
    options: dict[str, Option] = field(default_factory=dict)
    avoid: dict[str, Avoid] = field(default_factory=dict)
    flags: dict[str, list[str]] = field(default_factory=dict)
    # Every regimen the branch names, offered or not: used to list refractory-drug exclusions in full.
    considered: list[str] = field(default_factory=list)

    def cite(self, sources: tuple[SourceQuote, ...]) -> tuple[CitedSource, ...]:
        return tuple(
            CitedSource(doc=s.doc, line=s.line, quote=s.quote, year_label=self.rules.year_label(s.doc))
            for s in sources
        )

    def holds(self, rule: str, conditions: tuple[str, ...]) -> bool:
        ok = True
        for name in conditions:
            fired, actual = evaluate(name, self.ctx)
            pred = PREDICATES[name]
            self.trace.append(
                TraceStep(
                    rule=rule,
                    condition=name,
                    fact=pred.fact,
                    expected=pred.expected,
                    actual=actual,
                    fired=fired,
                )
            )
            ok = ok and fired
        return ok

    def offer(self, rule: OptionRule, origin: str) -> None:
        if rule.regimen not in self.considered:
            self.considered.append(rule.regimen)
        if rule.when and not self.holds(f"{origin}:{rule.regimen}", rule.when):
            return
        year = self.rules.year_label(rule.sources[0].doc)
        existing = self.options.get(rule.regimen)
        if existing:
            # Read by clinicians on the card and in the CLI: the source by name and date, not by id.
            doc = self.rules.documents.get(rule.sources[0].doc)
            name = doc.short_title if doc else rule.sources[0].doc
            note = f'also {name}, {year}: "{rule.wording}"'
            self.options[rule.regimen] = existing.model_copy(
                update={
                    "sources": existing.sources + self.cite(rule.sources),
                    "flags": (*existing.flags, note),
                }
            )
            return
        self.options[rule.regimen] = Option(
            regimen=rule.regimen,
            name=self.vocab.regimens[rule.regimen].name,
            tier=rule.tier,
            evidence=rule.evidence,
            wording=rule.wording,
            doc=rule.sources[0].doc,
            year_label=year,
            sources=self.cite(rule.sources),
            flags=rule.flags,
            origin=origin,
        )

    def exclude(
        self, code: str, reason: str, sources: tuple[SourceQuote, ...] | tuple[CitedSource, ...], origin: str
    ) -> None:
        canonical = self.vocab.normalize_regimen(code) or code
        if canonical in self.avoid:
            return
        cited = tuple(s if isinstance(s, CitedSource) else self.cite((s,))[0] for s in sources)
        name = self.vocab.regimens[canonical].name if canonical in self.vocab.regimens else canonical
        self.avoid[canonical] = Avoid(
            regimen=canonical, name=name, reason=reason, sources=cited, origin=origin
        )

    def exclude_matching(
        self,
        drugs: set[str],
        reason: str,
        sources: tuple[SourceQuote, ...],
        origin: str,
        regimens: set[str] = frozenset(),
    ) -> None:
        for code in list(self.options):
            if code in regimens or (drugs & self.vocab.regimen_drugs(code)):
                self.exclude(code, reason, sources, origin)

    def add_branch(self, branch_id: str, seen: set[str]) -> None:
        if branch_id in seen:
            return
        seen.add(branch_id)
        branch = self.rules.branches[branch_id]
        for rule in branch.options:
            self.offer(rule, branch_id)
        for included in branch.include:
            self.add_branch(included, seen)
        for avoid in branch.avoid:
            self.branch_avoid(avoid, branch_id)

    def branch_avoid(self, rule: AvoidRule, origin: str) -> None:
        for code in rule.regimens:
            self.exclude(code, rule.reason, rule.sources, origin)
        if rule.drugs:
            self.exclude_matching(set(rule.drugs), rule.reason, rule.sources, origin)


def _apply_modifier(b: _Builder, mod: Modifier, p: PatientProfile) -> AppliedModifier | None:
    if not b.holds(f"modifier:{mod.id}", mod.when):
        return None
    for rule in mod.add_options:
        b.offer(rule, mod.id)
    effect = mod.effect or mod.explanation
    reason = f"{mod.label}: {effect}"
    if mod.avoid_refractory:
        refractory = p.refractory_drugs()
        for code in [*b.options, *(c for c in b.considered if c not in b.options)]:
            hit = sorted(refractory & b.vocab.regimen_drugs(code))
            if hit:
                b.exclude(
                    code,
                    f"Refractory to {', '.join(hit)}: drugs the disease is refractory to are avoided.",
                    mod.sources,
                    mod.id,
                )
    if mod.avoid_clinician_drugs:
        b.exclude_matching(
            set(p.clinician_avoids),
            f"The clinician asked to avoid {', '.join(sorted(p.clinician_avoids))}.",
            mod.sources,
            mod.id,
        )
    if mod.avoid_unavailable:
        unavailable = set(p.unavailable_drugs)
        if p.available_drugs:
            always = {
                "dexamethasone",
                "prednisone",
                "cyclophosphamide",
                "melphalan",
                "thalidomide",
                "cisplatin",
                "etoposide",
                "doxorubicin",
                "bendamustine",
            }
            unavailable |= {
                d
                for code in b.options
                for d in b.vocab.regimen_drugs(code)
                if d not in p.available_drugs and d not in always
            }
        b.exclude_matching(unavailable, reason, mod.sources, mod.id)
    if mod.avoid_drugs:
        b.exclude_matching(set(mod.avoid_drugs), reason, mod.sources, mod.id)
    for code in mod.avoid_regimens:
        # Listed even when not offered: "not now" is useful to show (e.g. salvage ASCT too early).
        b.exclude(code, reason, mod.sources, mod.id)
    for code in b.options:
        drugs = b.vocab.regimen_drugs(code)
        if set(mod.flag_drugs) & drugs or code in mod.flag_regimens:
            b.flags.setdefault(code, []).append(mod.label)
        if mod.flag_toxicity_drugs and (stopped := sorted(set(p.stopped_for_toxicity) & drugs)):
            b.flags.setdefault(code, []).append(f"{mod.label}: {', '.join(stopped)}")
    return AppliedModifier(id=mod.id, label=mod.label, effect=effect, sources=b.cite(mod.sources))


def decide(
    profile: PatientProfile, rules: RuleSet | None = None, vocab: Vocabulary | None = None
) -> Decision:
    """Branch, options, exclusions, overlays, modifiers, updates and missing facts for one patient."""
    rules = rules or load_rules()
    vocab = vocab or load_vocabulary()
    sel = select_branch(profile)
    ctx = Context(profile=profile, branch=sel.branch, thresholds=rules.thresholds)
    b = _Builder(rules=rules, vocab=vocab, ctx=ctx, trace=sel.trace)
    b.add_branch(sel.branch, set())

    overlays: list[str] = []
    applied: list[AppliedModifier] = []
    if sel.branch in TREATMENT_BRANCHES:
        for overlay in rules.overlays.values():
            result = _apply_modifier(b, overlay, profile)
            if result:
                overlays.append(overlay.id)
                applied.append(result)
        for mod in rules.modifiers.values():
            result = _apply_modifier(b, mod, profile)
            if result:
                applied.append(result)
        _ask_overlay_facts(sel, profile)
        _ask_option_facts(sel, profile, rules)

    # Safety net: whatever added it, an option with a refractory drug is never offered.
    refractory = profile.refractory_drugs()
    for code in list(b.options):
        hit = sorted(refractory & vocab.regimen_drugs(code))
        if hit and code not in b.avoid:
            b.exclude(
                code,
                f"Refractory to {', '.join(hit)}.",
                rules.modifiers["refractory_drugs"].sources,
                "refractory_drugs",
            )
    options = tuple(
        o.model_copy(update={"flags": (*o.flags, *b.flags.get(o.regimen, ()))})
        if b.flags.get(o.regimen)
        else o
        for code, o in b.options.items()
        if code not in b.avoid
    )
    if sel.sub_case == "first_relapse_len_refractory_anti_cd38_exposed_sensitive":
        options = tuple(
            o.model_copy(update={"flags": (*o.flags, "conflict: anti-CD38 re-use (2021 vs 2025)")})
            if {"daratumumab", "isatuximab"} & vocab.regimen_drugs(o.regimen)
            else o
            for o in options
        )

    updates = tuple(
        UpdateNote(
            id=u.id,
            kind=u.kind,
            topic=u.topic,
            positions=tuple(
                UpdatePosition(
                    doc=pos.doc,
                    year_label=rules.year_label(pos.doc),
                    position=pos.position,
                    sources=b.cite(pos.sources),
                )
                for pos in u.positions
            ),
        )
        for u in rules.updates
        if sel.branch in u.branches and (not u.when or b.holds(f"update:{u.id}", u.when))
    )
    branch = rules.branches[sel.branch]
    return Decision(
        branch=sel.branch,
        branch_label=branch.label,
        explanation=" ".join(branch.explanation.split()),
        branch_sources=b.cite(branch.sources),
        sub_case=sel.sub_case,
        overlays=tuple(overlays),
        options=options,
        avoid=tuple(b.avoid.values()),
        modifiers=tuple(applied),
        updates=updates,
        missing_facts=tuple(sel.missing),
        candidate_branches=tuple(
            CandidateBranch(id=c, label=rules.branches[c].label) for c in sel.candidates
        ),
        trace=tuple(sel.trace),
    )


def _ask_option_facts(sel: _Selection, p: PatientProfile, rules: RuleSet) -> None:
    """Facts that would add an option of the branch: melflufen depends on the transplant history
    (OCEAN: no ASCT, or progression more than 36 months after it), which a history told from its last
    lines, or a transplant told without its remission length, leaves open."""
    melflufen = any("melflufen_asct_condition" in o.when for o in rules.branches[sel.branch].options)
    if melflufen and p.prior_asct is not False and p.months_since_asct is None:
        _ask(sel, "prior_asct", affects="options")


def _ask_overlay_facts(sel: _Selection, p: PatientProfile) -> None:
    """Facts that would change the salvage-ASCT overlay (not the branch)."""
    if p.prior_lines != 1 or p.transplant_eligible is False:
        return
    could_qualify = (p.prior_asct is False and p.stem_cells_stored is True) or (
        p.prior_asct is True and (p.months_since_asct is None or p.months_since_asct >= 24)
    )
    if could_qualify and p.transplant_eligible is None:
        _ask(sel, "transplant_eligible", affects="overlay")
    if p.prior_asct is True and p.transplant_eligible is True and p.months_since_asct is None:
        _ask(sel, "months_since_asct", affects="overlay")
