"""The calibration fit: scikit-learn logistic regression per mode, measured on other cases."""

import random

import pytest

from qa.answer.confidence import Calibrator, Logistic
from qa.training.calibrate import Case, fit, measure


def synthetic_cases(n, seed):
    """Answerable cases are right when their margin is high; unanswerable ones never are."""
    rng = random.Random(seed)
    cases = []
    for i in range(n):
        answerable = i % 3 != 0
        margin = rng.gauss(3.0 if answerable else -1.0, 2.0)
        right = answerable and rng.random() < 1 / (1 + 2.718 ** (-(margin - 1.0)))
        feats = {"margin": margin, "span_prob": min(1.0, max(0.0, 0.5 + margin / 10)), "null_prob": 0.1,
                 "runner_up": 1.0, "top_rank": 1.0, "agree": 1.0, "depth": 0.0, "length": 1.0,
                 "type_match": 0.5, "type_mismatch": 0.1, "q_missing_names": 0.0}
        cases.append(Case("open", "answerable" if answerable else "variant", "fit", 1, feats, right))
    return cases


def test_fit_learns_that_margin_means_right_and_is_calibrated_on_new_cases():
    model = fit(synthetic_cases(3000, 0))
    answerable = fit(synthetic_cases(3000, 0), "answerable")
    assert model.weights["margin"] > 0.3
    assert model.probability({**synthetic_cases(1, 1)[0].features, "margin": 8.0}) > \
        model.probability({**synthetic_cases(1, 1)[0].features, "margin": -3.0})
    figures = measure(model, answerable, synthetic_cases(3000, 2), threshold=0.5)
    assert figures["ece"] < 0.05
    assert 0.0 <= figures["answerable_abstained"] <= 1.0 and figures["unanswerable_abstained"] > 0.5


def test_calibrator_round_trips_and_picks_the_mode(tmp_path):
    cal = Calibrator({"open": Logistic({"margin": 1.0}, 0.0), "reading": Logistic({"margin": 1.0}, -2.0)},
                     threshold=0.4, fitted_on="test", figures={"open": {"ece": 0.01}})
    cal.save(tmp_path / "c.json")
    back = Calibrator.load(tmp_path / "c.json")
    assert back == cal
    assert back.probability({"margin": 0.0}, "open") == pytest.approx(0.5)
    assert back.probability({"margin": 0.0}, "reading") < 0.2
    assert back.probability({"margin": 0.0}, "no-such-mode") == pytest.approx(0.5)


def test_shipped_calibration_loads_with_both_modes_and_figures():
    cal = Calibrator.load()
    assert set(cal.models) == {"open", "reading"}
    assert 0.0 < cal.threshold < 1.0
    # the reader's own evidence decides; no feature rewards word overlap with the passage
    for model in cal.models.values():
        assert not {"dense", "q_coverage", "q_missing_names"} & set(model.weights)
        assert model.weights["margin"] > 0
