"""Which figure a question asks for: abstention requires the supporting sentence to give that kind."""

from __future__ import annotations

import pytest

from assistant.answer.abstain import asked_figure_kinds


@pytest.mark.parametrize(
    ("question", "kinds"),
    [
        pytest.param("What is the dose of pomalidomide?", ["dose"], id="what-is-the-dose"),
        pytest.param("Which starting dose of selinexor is used?", ["dose"], id="which-starting-dose"),
        pytest.param("At what dose was belantamab given?", ["dose"], id="at-what-dose"),
        pytest.param("What step-up doses are used with teclistamab?", ["dose"], id="step-up"),
        pytest.param("What did the dose-escalation study show?", [], id="dose-escalation-is-a-study"),
        pytest.param("What response rate did KPd give?", ["rate"], id="rate"),
        pytest.param("How long should Rd be continued?", ["duration"], id="duration"),
        pytest.param("What did CANDOR show?", [], id="no-figure-kind"),
        pytest.param("What is the usual ide-cel dose in KarMMa?", ["dose"], id="hyphenated-drug-dose"),
        pytest.param(
            "Which myeloma drugs need renal dose reduction?", [], id="dose-reduction-asks-for-drugs"
        ),
        pytest.param("carfilzomib dose with dara, 56 or 70?", ["dose"], id="drug-name-then-dose"),
        pytest.param("What's the usual dose of melflufen?", ["dose"], id="whats-the-dose-of"),
        pytest.param("Did high dose melphalan help?", [], id="high-dose-is-no-dose-question"),
        pytest.param("Weekly vs every-other-week dosing: which gave longer PFS?", [], id="schedule-not-dose"),
        pytest.param("What was the grade >=3 CRS rate with elranatamab?", ["rate", "severe"], id="severity"),
        pytest.param("What grade 3/4 toxicities come with PVd?", ["severe"], id="grade-3-4"),
        pytest.param("Does grade 1 neuropathy matter?", [], id="low-grade-is-no-severity-ask"),
        pytest.param("What's the right revlimid dose on dialysis?", ["dose"], id="whats-the-drug-dose"),
    ],
)
def test_asked_figure_kinds(question: str, kinds: list[str]) -> None:
    assert asked_figure_kinds(question) == kinds


def test_named_agents_are_what_the_question_asks_about_not_its_source_or_steroid(services) -> None:
    from assistant.answer.abstain import load_abstention_config, named_agents
    from assistant.answer.select import question_terms

    def named(question: str) -> frozenset[str]:
        terms = question_terms(question, question, services.bank)
        return named_agents(terms, services.bank, load_abstention_config())

    assert named("What ORR did mezigdomide plus dexamethasone achieve?") == {"mezigdomide"}
    assert named("What PFS did Kd give in ENDEAVOR?") == {"carfilzomib", "ENDEAVOR"}
    assert named("Which endpoint does the frontline-len review recommend?") == frozenset()


@pytest.mark.parametrize(
    "question",
    [
        # A dose of another drug in the same passage ("carfilzomib at 56 mg/m2") is not the asked dose.
        pytest.param("Which panobinostat dose was given with Vd in PANORAMA-1?", id="dose-of-another-drug"),
        pytest.param("elotuzumab dose in Elo-Pd, 10 or 20 mg/kg?", id="terse-drug-dose"),
        pytest.param(
            "What is the infused cilta-cel dose in the CARTITUDE-4 study?", id="hyphenated-drug-dose"
        ),
        # A drug the vocabulary lacks but the corpus names once ("being examined"): other passages about
        # pom-dex say nothing of it.
        pytest.param(
            "What did phase 3 trials of pembrolizumab added to pomalidomide-dexamethasone show?",
            id="unlisted-drug-not-in-the-passage",
        ),
        # A subgroup or toxicity the sources give for other trials only, or not at all: the trial's overall
        # result, or another trial's figure for that subgroup, is no answer.
        pytest.param("OPTIMISMM: PFS in del(17p) patients with PVd?", id="subgroup-of-another-trial"),
        pytest.param("IKEMA: PFS with Isa-Kd in 1q gain patients?", id="subgroup-never-reported"),
        pytest.param("MonumenTAL-1: what was the CRS rate with talquetamab?", id="toxicity-rate-not-given"),
        # A study code the sources never use: table rows that happen to contain "99" are no answer.
        pytest.param("What did the sources say about the XYZ-99 trial?", id="unknown-study-code"),
        pytest.param("What did CC-92480 achieve in RRMM?", id="unknown-compound-code"),
        # A dose the sources give for the drug in another trial (DREAMM-2's 2.5 mg/kg) is not the asked one.
        pytest.param(
            "Which belantamab dose was given with pomalidomide-dexamethasone in the DREAMM-8 study?",
            id="figure-from-another-trial",
        ),
        # BELLINI's design sentence names venetoclax, Vd and the trial but gives no dose.
        pytest.param("What dose of venetoclax was given with Vd in BELLINI?", id="dose-never-given"),
        # "CRS ... mostly of grades 1-2" gives no rate of grade >= 3 CRS.
        pytest.param(
            "How often was CRS grade 3 or higher with elranatamab in MagnetisMM-3?", id="severity-not-given"
        ),
        # A rate of something the sources never count (each was answered with the drug's response rate or
        # another toxicity's figure).
        pytest.param("What is the hair-loss rate with teclistamab?", id="never-named-toxicity"),
        pytest.param("What was the cataract rate with belantamab in DREAMM-2?", id="never-named-in-trial"),
        pytest.param("Rate of hepatitis B reactivation with daratumumab?", id="partly-never-named"),
        pytest.param("How often does weight loss occur with talquetamab?", id="everyday-words"),
        # "rash" is in the sources (with carfilzomib), never with talquetamab: no sentence names it.
        pytest.param("What is the rash rate with talquetamab?", id="named-elsewhere-not-here"),
        # A toxicity's rate the sources give with another drug the sentence names: cardiac failure "in less
        # than 5%" with carfilzomib, IRR in "approximately 50%" with dara, neuropathy in 49% with bortezomib.
        pytest.param("What is the rate of cardiac failure with daratumumab?", id="rate-with-another-drug"),
        pytest.param("Infusion reaction rate with isatuximab?", id="rate-with-another-antibody"),
        # "response rate of about 31%" in DREAMM-2, its keratopathy named only as dose-limiting, no rate.
        pytest.param(
            "Keratopathy rate with single-agent belantamab in DREAMM-2?", id="another-rate-same-trial"
        ),
        pytest.param(
            "What is the rate of peripheral neuropathy with carfilzomib?", id="detail-with-another-pi"
        ),
    ],
)
def test_near_miss_questions_abstain(services, question: str) -> None:
    from assistant.answer.compose import answer_question

    assert answer_question(question, services=services).abstained


@pytest.mark.parametrize(
    "question",
    ["What did MM-003 show for pomalidomide?", "What was the median PFS in KarMMa-3?"],
)
def test_study_codes_the_sources_use_are_answered(services, question: str) -> None:
    from assistant.answer.compose import answer_question

    assert not answer_question(question, services=services).abstained


def test_a_dose_given_with_the_asked_drug_is_answered(services) -> None:
    from assistant.answer.compose import answer_question

    answer = answer_question(
        "What dose of pomalidomide is registered with weekly dexamethasone?", services=services
    )
    assert not answer.abstained
    assert "4 mg" in answer.text
    # A cell dose is a dose ("150–450 × 10^6 CAR T cells"): the question is not a near miss.
    assert not answer_question(
        "What is the infused ide-cel dose in the KarMMa study?", services=services
    ).abstained


def test_asked_details_are_subgroups_and_toxicities_in_the_questions_words() -> None:
    from assistant.answer.abstain import asked_details

    assert list(asked_details("KarMMa-3: grade 3 CRS rate?").values()) == ["CRS"]
    assert list(asked_details("PFS in del(17p) and t(4;14)?").values()) == ["del(17p", "t(4;14)"]
    assert asked_details("What PFS did Kd give in ENDEAVOR?") == {}


def test_a_detail_figure_in_a_passage_on_the_asked_trial_is_answered(services) -> None:
    """The sentence says "cytokine release syndrome", its passage "CARTITUDE1", the question "CRS" and
    "CARTITUDE-1": few shared words, yet it gives the asked figure for the asked trial."""
    from assistant.answer.compose import answer_question

    assert not answer_question(
        "CARTITUDE-1: what was the rate of CRS with cilta-cel?", services=services
    ).abstained


def test_agents_the_sources_never_name_are_why_they_cannot_answer(services) -> None:
    """The topic (thromboprophylaxis on an IMiD) is well covered; the asked choice between aspirin and a
    heparin is not, and the reply says which names the sources never use."""
    from assistant.answer.compose import answer_question

    answer = answer_question(
        "Should I use aspirin or enoxaparin for thromboprophylaxis on pomalidomide?", services=services
    )
    assert answer.abstained
    assert '"aspirin"' in answer.sentences[0].text and '"enoxaparin"' in answer.sentences[0].text
    assert not answer_question(
        "Should patients on IMiD combinations get thromboprophylaxis?", services=services
    ).abstained


@pytest.mark.parametrize(
    "question",
    [
        "What grade 3/4 toxicities should I expect with PVd versus Vd?",
        "How common was grade 3 or 4 keratopathy with belantamab?",
        "What belantamab doses were tested in DREAMM-2?",
    ],
)
def test_severity_and_trial_figures_the_sources_give_are_answered(services, question: str) -> None:
    from assistant.answer.compose import answer_question

    assert not answer_question(question, services=services).abstained


def test_an_abbreviation_the_sources_spell_out_is_no_unknown_term(services) -> None:
    """The Belgian review prints "thromboprophylaxis" where a clinician types "VTE prophylaxis": the typed
    words are never in the sources, yet the sentence printing the name answers."""
    from assistant.answer.compose import answer_question

    question = "How long should VTE prophylaxis continue on an IMiD combination?"
    answer = answer_question(question, services=services)
    assert not answer.abstained
    assert "for the whole duration of their treatment" in answer.sentences[0].text


def test_a_vocabulary_name_the_sources_never_print_is_no_unknown_agent(services) -> None:
    """The vocabulary names the sources' "MOR202" felzartamab; the sources never do. The question is about
    MOR202, which they report (a phase 1/2a study with pom-dex), so it is answered, not abstained on."""
    from assistant.answer.compose import answer_question

    question = "What results did MOR202 plus pomalidomide-dexamethasone give?"
    answer = answer_question(question, services=services)
    assert not answer.abstained
    assert "MOR202" in answer.sentences[0].text


@pytest.mark.parametrize(
    ("question", "words", "known", "unknown"),
    [
        pytest.param(
            "What is the hair-loss rate with teclistamab?", "hair-loss", set(), {"hair", "loss"}, id="x-rate"
        ),
        pytest.param("Rate of alopecia with belantamab?", "alopecia", set(), {"alopecia"}, id="rate-of-x"),
        pytest.param("How common is insomnia on Pd?", "insomnia", set(), {"insomnia"}, id="how-common-is-x"),
        pytest.param(
            "What proportion of patients had dysgeusia on talquetamab?",
            "dysgeusia",
            set(),
            {"dysgeusia"},
            id="proportion-of-patients-had-x",
        ),
        pytest.param(
            "How common are heart attacks with carfilzomib?",
            "heart attacks",
            {"heart"},
            {"attack"},
            id="known-and-unknown-words",
        ),
        pytest.param(
            "Kyprolis and hair loss: how often?",
            "hair loss",
            set(),
            {"hair", "loss"},
            id="object-then-how-often",
        ),
        pytest.param(
            "How often does teclistamab actually cause hair loss?",
            "hair loss",
            set(),
            {"hair", "loss"},
            id="how-often-does-it-cause",
        ),
        # Outcomes every trial reports, a regimen, a detail with its own synonyms, shorthand: no object.
        pytest.param("What was the overall response rate with KRd?", "", set(), set(), id="response-rate"),
        pytest.param("MM-014: response rate of D-Pd?", "", set(), set(), id="rate-of-a-regimen"),
        pytest.param(
            "What was the grade >=3 CRS rate with elranatamab?", "", set(), set(), id="asked-detail"
        ),
        pytest.param("KarMMa-3: what MRD-neg rate?", "", set(), set(), id="shorthand"),
    ],
)
def test_a_rate_question_names_what_it_counts(services, question, words, known, unknown) -> None:
    from assistant.answer.abstain import asked_rate_object

    found = asked_rate_object(question, services.bank)
    assert (found.words, set(found.known), set(found.unknown)) == (words, known, unknown)


def test_a_rate_the_sources_give_in_other_words_is_answered(services) -> None:
    """The question's "heart failure" is the Belgian review's "cardiac failure can occur, albeit in less
    than 5%"; "infusion reactions" the Korean review's "infusion-related reactions (IRR)"."""
    from assistant.answer.compose import answer_question

    answer = answer_question(
        "Carfilzomib in someone with cardiac history: how common is heart failure?", services=services
    )
    assert not answer.abstained
    assert "less than 5%" in answer.text
    infusion = answer_question("How common are infusion reactions with daratumumab?", services=services)
    assert not infusion.abstained and "50%" in infusion.text


def test_a_rate_asked_in_everyday_words_is_named_by_the_sources_term(services) -> None:
    """The vocabulary has "nerve damage" and "low platelets" as everyday forms of the sources' "peripheral
    neuropathy" and "thrombocytopenia": a sentence naming those names the asked rate's object."""
    from assistant.answer.abstain import asked_rate_object

    tokens = services.bank.tokens
    nerve = asked_rate_object("How often does nerve damage show up on bortezomib retreatment?", services.bank)
    assert nerve.unknown == frozenset()
    assert nerve.named_by(tokens("Peripheral neuropathy during bortezomib retreatment occurred in 49%"))
    assert not nerve.named_by(tokens("The ORR to bortezomib retreatment was 40%"))
    platelets = asked_rate_object("Melflufen: how common were low platelet counts?", services.bank)
    assert platelets.named_by(tokens("thrombocytopenia (in 62% of patients)"))


def test_how_frequent_asks_for_a_figure(services) -> None:
    """The words "how frequent" ask for a rate as "how often" do: the CARTITUDE-1 passage's "Cytokine
    release syndrome occurred in 27 (93%) of 29 patients" answers it (it was declined)."""
    from assistant.answer.compose import answer_question

    answer = answer_question(
        "How frequent was cytokine release syndrome with cilta-cel (LCAR-B38M/JNJ-4528) in CARTITUDE-1?",
        services=services,
    )
    assert not answer.abstained
    assert "93%" in answer.text


def test_a_brand_name_is_its_drug_not_a_term_the_sources_never_use(services) -> None:
    """The sources print "carfilzomib", never "Kyprolis": the brand name stands for the drug, so the question
    is answered from the carfilzomib passages instead of declined as about "Kyprolis", never mentioned."""
    from assistant.answer.compose import answer_question
    from assistant.answer.select import question_terms

    question = "Kyprolis and heart failure: how often?"
    terms = question_terms(question, question, services.bank)
    assert "carfilzomib" in terms.tokens
    assert not services.bank.tokens("Kyprolis") & terms.tokens
    answer = answer_question(question, services=services)
    assert not answer.abstained
    assert "Kyprolis" not in answer.text
