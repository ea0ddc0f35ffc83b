"""Follow-up questions made standalone from the conversation (spaCy parses, no word lists)."""

import pytest

from qa.answer.followup import FollowupResolver


@pytest.fixture(scope="module")
def resolver():
    return FollowupResolver()


@pytest.mark.parametrize("question, previous, answer, expected", [
    # a question about the circumstances of the last answer keeps that answer in the question
    ("Where?", "Who did Witkoff plan to meet?", "President Vladimir Putin",
     "Where did Witkoff plan to meet President Vladimir Putin?"),
    ("Where?", "What did the committee approve?", "a new budget", "Where did the committee approve a new budget?"),
    # ... and an answer that was the subject becomes the subject, the verb in do-support
    ("When?", "Who led the delegation in Geneva?", "Anna Berg", "When did Anna Berg lead the delegation in Geneva?"),
    ("And when?", "Who was elected mayor?", "Ann Smith", "When was Ann Smith elected mayor?"),
    # "how many" asks about the old question's thing again; a wh-question about a place stays as it was
    ("How many?", "Who attended the meeting?", "ministers", "How many attended the meeting?"),
    ("When?", "Where did the summit take place?", "Geneva", "When did the summit take place?"),
    # pronouns take the answer to a "who" question
    ("What position does he hold?", "Who led the Ukrainian officials?", "Rustem Umerov",
     "What position does Rustem Umerov hold?"),
])
def test_follow_ups_become_standalone(resolver, question, previous, answer, expected):
    assert resolver.resolve(question, [(previous, answer)]) == expected


def test_a_standalone_question_is_left_alone(resolver):
    q = "Who signed the treaty in 1990?"
    assert resolver.resolve(q, [("Who led the talks?", "Ann")]) == q
    assert resolver.resolve(q, None) == q
