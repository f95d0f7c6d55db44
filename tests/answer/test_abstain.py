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
