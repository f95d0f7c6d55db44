"""Turn classification: deterministic kinds from the pattern file."""

from __future__ import annotations

import pytest

from assistant.answer.classify import classify_turn, describes_patient, foreign_script, out_of_scope_reason


@pytest.mark.parametrize(
    ("question", "has_patient", "has_history", "kind"),
    [
        pytest.param("", False, False, "empty", id="empty"),
        pytest.param("   ", False, False, "empty", id="blank"),
        pytest.param("ENDEAVOR topline: Kd vs Vd PFS and OS?", False, False, "factual", id="factual-trial"),
        pytest.param("Mechanism of selinexor?", False, False, "definition", id="definition-mechanism"),
        pytest.param("What does PFS2 mean?", False, False, "definition", id="definition-mean"),
        pytest.param(
            "What is the best induction for newly diagnosed myeloma?", False, False, "out_of_scope", id="ndmm"
        ),
        pytest.param("Treatment of smoldering myeloma?", False, False, "out_of_scope", id="smoldering"),
        pytest.param(
            "Is Dara-CyBorD too cardiotoxic in AL amyloidosis?",
            False,
            False,
            "out_of_scope",
            id="amyloidosis",
        ),
        pytest.param(
            "relapsed DLBCL after R-CHOP: CAR-T or glofitamab?", False, False, "out_of_scope", id="dlbcl"
        ),
        pytest.param("hello", False, False, "out_of_scope", id="chit-chat"),
        pytest.param("Can ALL be cured?", False, False, "out_of_scope", id="leukaemia-acronym"),
        pytest.param(
            "Do all patients relapse after newly diagnosed therapy with len?",
            False,
            False,
            "factual",
            id="ndmm-words-but-relapse",
        ),
        pytest.param("What should I give her next?", True, False, "patient", id="patient-ask"),
        pytest.param("What should I do?", True, False, "patient", id="patient-short"),
        pytest.param(
            "What did the CANDOR trial show?", True, True, "factual", id="trial-question-beside-a-patient"
        ),
        pytest.param(
            "Dose of selinexor in BOSTON?", True, False, "factual", id="dose-question-beside-a-patient"
        ),
        pytest.param(
            "What is penta-refractory?", True, False, "definition", id="definition-beside-a-patient"
        ),
        pytest.param("Is DKd ok for her?", True, False, "patient", id="short-question-about-her"),
        pytest.param("What is the dose of pomalidomide for her?", True, False, "patient", id="dose-for-her"),
        pytest.param("KPd or PVd?", True, False, "patient", id="short-choice-beside-a-patient"),
        pytest.param(
            "65M, 1 prior line VRd then ASCT and len maintenance, progressing on len. What should we offer?",
            False,
            False,
            "patient",
            id="case-in-question",
        ),
        pytest.param("and in len-refractory patients?", False, True, "follow_up", id="follow-up-population"),
        pytest.param("what about OS?", False, True, "follow_up", id="follow-up-endpoint"),
        pytest.param("and for DKd?", False, True, "follow_up", id="follow-up-regimen"),
        pytest.param("what about OS?", False, False, "factual", id="no-history-no-follow-up"),
    ],
)
def test_classify_turn_table(question: str, has_patient: bool, has_history: bool, kind: str) -> None:
    assert classify_turn(question, has_patient=has_patient, has_history=has_history).kind == kind


def test_classify_out_of_scope_gives_reason() -> None:
    result = classify_turn("Best induction for NDMM, transplant eligible?")
    assert result.kind == "out_of_scope"
    assert "NDMM" in result.reason


@pytest.mark.parametrize(
    ("text", "in_scope"),
    [
        pytest.param(
            "Prior DLBCL (R-CHOP 2012, in CR). Myeloma: VRd/ASCT/len maint, PD on len. Options?",
            True,
            id="other-cancer-in-a-relapsing-myeloma-history",
        ),
        pytest.param(
            "Smouldering MM since 2015, progressed to active MM 2019. VRd -> ASCT -> len, PD on len.",
            True,
            id="smouldering-before-a-relapsing-myeloma",
        ),
        pytest.param("DLBCL relapsed after R-CHOP, is glofitamab an option?", False, id="relapsed-lymphoma"),
        pytest.param(
            "AL amyloidosis relapsing after Dara-CyBorD, what next?", False, id="relapsed-amyloidosis"
        ),
        pytest.param("High-risk SMM, rising M-spike. Len-dex?", False, id="smouldering-asking-about-len"),
        pytest.param(
            "NDMM 58M, t(4;14), fit. Which induction best reduces early relapse risk?",
            False,
            id="newly-diagnosed-asking-about-relapse-risk",
        ),
        pytest.param(
            "How will frontline DRd in newly diagnosed patients change treatment at relapse?",
            True,
            id="frontline-therapy-seen-from-relapse",
        ),
    ],
)
def test_out_of_scope_reason_reads_the_history(text: str, in_scope: bool) -> None:
    """Another disease or a precursor in the history of a relapsing, treated myeloma is history; the
    rule layer's scope decides, so the answer and the branch card never disagree."""
    assert (out_of_scope_reason(text) == "") is in_scope


@pytest.mark.parametrize(
    ("text", "case"),
    [
        pytest.param("54F, 2 prior lines, now progressing on Kd. Next?", True, id="terse-case-next"),
        pytest.param("Rising M protein after VRd and auto. What now?", True, id="history-what-now"),
        pytest.param("pt w/ 3 prior lines, refractory to len and dara. options?", True, id="pt-options"),
        pytest.param("71M, CrCl 35, relapsed 20 months after ASCT", True, id="two-one-patient-facts"),
        pytest.param("What is the PFS of KPd in len-refractory patients?", False, id="population"),
        pytest.param("ENDEAVOR topline: Kd vs Vd PFS and OS?", False, id="trial-lookup"),
        pytest.param("DRd or KRd?", False, id="regimens-only"),
        pytest.param("What did ASPIRE show? Next?", False, id="no-history"),
        pytest.param("65M newly diagnosed, CrCl 80. Best induction?", False, id="out-of-scope-case"),
        pytest.param(
            "My patient relapsed while on Revlimid maintenance. Is KRd the best choice?",
            True,
            id="history-and-is-x-the-best-choice",
        ),
        pytest.param(
            "My patient progressed on lenalidomide maintenance after one line; should I give KRd?",
            True,
            id="history-and-should-i-give",
        ),
        pytest.param("Should we give DRd to len-refractory patients?", False, id="should-we-give-population"),
        pytest.param(
            "Outside hem on the phone: 2 prior lines, refractory to len + dara, fit. What 3rd line?",
            True,
            id="what-nth-line",
        ),
        pytest.param(
            "Letter: relapsing on maintenance after VRd + auto, never had dara. ?options",
            True,
            id="question-mark-first-options",
        ),
        pytest.param("Penta-refractory, 6 prior lines. Anything beyond Sd?", True, id="anything-beyond"),
        pytest.param(
            "1 prior line (VRd, fixed duration), last dose 3 months before relapse. Len-refractory or not?",
            True,
            id="refractory-or-not",
        ),
        pytest.param(
            "What is the third line in the IMWG algorithm?", False, id="third-line-general-question"
        ),
        pytest.param(
            "Konsil request: Patient Herr M., 74 years old. First line Rd for 18 cycles until 05/2021. Now in"
            " 04/2025 progress with IgG 24 g/l and hypercalcaemia. Please your recommendation.",
            True,
            id="consult-letter-age-in-years-old",
        ),
        pytest.param(
            "Patient, 80 years, man. Three earlier lines: MPT; Rd; DVd. Since 6 months a slow rise of"
            " M-protein 3 -> 7 g/L, no complaints.",
            True,
            id="biochemical-case-without-a-question",
        ),
        # "Relapse" read as a clinical relapse only for want of a "biochemical" is assumed, not told: with
        # "the extra neuropathy" (a toxicity compared) it made a trial question a case.
        pytest.param(
            "Relapse after a prior auto: VTD vs TD. Was adding bortezomib worth the extra neuropathy?",
            False,
            id="assumed-relapse-type-is-no-patient-fact",
        ),
        pytest.param(
            "Relapse with hypercalcaemia and grade 2 neuropathy after VRd and an auto.", True, id="told-crab"
        ),
        # "can I use ...?" asks a decision: with a treatment history it is this patient's.
        pytest.param(
            "VRd induction with a fixed 12 months of len, then progression ~9 months after stopping. Do I "
            "treat as len-refractory, or can I use an Rd-based triplet?",
            True,
            id="history-and-can-i-use",
        ),
        pytest.param("Can I use ixazomib in renal failure?", False, id="can-i-use-without-history"),
        pytest.param(
            "Pt progressed on dara-VMP up front. Can I just switch to an isatuximab combo at first relapse?",
            True,
            id="history-and-can-i-just-switch",
        ),
        pytest.param(
            "3rd relapse. He's had velcade, revlimid and darzalex at various points. What do you suggest?",
            True,
            id="history-and-what-do-you-suggest",
        ),
        pytest.param(
            "Pt at first relapse after VRd -> auto -> Revlimid maint. Which is better for next line, Isa-Kd "
            "or DRd?",
            True,
            id="history-and-which-is-better",
        ),
        pytest.param(
            "2 lines behind him (VCd-ASCT 2016, then KRd, finished 2022). SPEP 0.2 -> 0.5 g/dL. Time for 3rd "
            "line?",
            True,
            id="history-and-time-for-a-line",
        ),
        pytest.param(
            "pt relapsing after velcade and revlimid, refractory to revlimid. never had dara. what next",
            True,
            id="history-and-what-next-unpunctuated",
        ),
        pytest.param(
            "progressing on imnovid/dex now. pt heavily pretreated. whats next?",
            True,
            id="whats-next-without-its-apostrophe",
        ),
        pytest.param(
            "In the Korean algorithm, what do you give a bortezomib-refractory vs len-refractory patient?",
            False,
            id="algorithm-question-is-no-case",
        ),
    ],
)
def test_describes_patient(text: str, case: bool) -> None:
    """A terse case in the question is the patient's case (the rule layer then decides a branch); a question
    about a population, a trial or regimens alone never is, since its regimens would be read as received."""
    assert describes_patient(text) is case


@pytest.mark.parametrize(
    ("text", "script"),
    [
        pytest.param("What did CANDOR show?", None, id="english"),
        pytest.param("β2-microglobulin and ISS stage in CANDOR?", None, id="english-with-greek-letter"),
        pytest.param("Τι έδειξε η μελέτη CANDOR;", "Greek", id="greek"),
        pytest.param("CANDOR 试验的无进展生存期结果是什么？", "CJK", id="chinese"),
        pytest.param("ما هي نتائج تجربة CANDOR؟", "Arabic", id="arabic"),
        pytest.param("¿Qué mostró el ensayo CANDOR?", None, id="spanish-is-latin"),
        pytest.param("12345 ???", None, id="no-letters"),
    ],
)
def test_foreign_script_names_the_script_of_most_letters(text: str, script: str | None) -> None:
    assert foreign_script(text) == script
