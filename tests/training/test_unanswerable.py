"""Unanswerable variants: each edit changes the question so its paragraph no longer answers it."""

import random

from qa.training.unanswerable import (
    UnanswerableMaker,
    negate,
    swap_antonym,
    swap_entity,
    swap_number,
)


def test_antonym_swaps_one_word_and_keeps_case():
    out = swap_antonym("Which was the First team to win?", random.Random(1))
    assert out in ("Which was the Last team to win?", "Which was the First team to lose?")
    assert swap_antonym("Who wrote the book?", random.Random(0)) is None


def test_negation_negates_the_first_auxiliary_once():
    assert negate("When did the war end?") == "When did not the war end?"
    assert negate("What is not allowed?") is None or "not not" not in negate("What is not allowed?")
    assert negate("Name the river.") is None


def test_number_swap_picks_a_number_the_paragraph_lacks():
    ctx = "The bridge opened in 1932 and carries 160,000 vehicles a day."
    rng = random.Random(3)
    for _ in range(20):
        out = swap_number("What opened in 1932?", ctx, rng)
        new = out.split()[-1].rstrip("?")
        assert new != "1932" and new not in ctx and new.isdigit()
        assert 1900 <= int(new) <= 1964  # a year stays a plausible year


def test_entity_swap_uses_same_label_absent_from_paragraph():
    pool = {"PERSON": ["Ada Lovelace", "Alan Turing"], "GPE": ["Paris"]}
    ctx = "Alan Turing worked at Bletchley Park."
    out = swap_entity("Where did Alan Turing work?", [(10, 21, "PERSON")], pool, ctx, random.Random(0))
    assert out == "Where did Ada Lovelace work?"
    # nothing of the same label that the paragraph does not mention: no variant
    assert swap_entity("Where did Alan Turing work?", [(10, 21, "PERSON")], {"PERSON": ["Alan Turing"]},
                       ctx, random.Random(0)) is None


def test_maker_gives_a_changed_question_or_none():
    maker = UnanswerableMaker(seed=5)
    qs = ["Who founded the first school in 1850?", "Why did Maria Lopez move to Lima?", "Name it."]
    ctxs = ["Maria Lopez founded the first school in 1850.", "Maria Lopez moved to Lima for work.", "It."]
    ents = [[], [(8, 19, "PERSON"), (28, 32, "GPE")], []]
    out = maker.article(qs, ctxs, ents)
    assert out[0] is not None and out[0].question != qs[0] and out[0].kind in ("number", "antonym", "negation")
    assert out[1] is not None and out[1].question != qs[1]
    assert out[2] is None
