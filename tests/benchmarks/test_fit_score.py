"""The score's calibration step: Platt scaling finds the intercept and scale that made the data."""

import numpy as np
import pytest

from benchmarks.fit_score import calibrate
from matchmaker.matching.scoring import Weights


def test_calibration_recovers_the_intercept_and_scale_of_a_logistic_model() -> None:
    """Labels drawn from 1 / (1 + exp(-(a + c x linear))) give back a and c; a balanced or a
    shifted model would not (their scores would say other chances than the labels show)."""
    rng = np.random.default_rng(3)
    linear = rng.normal(-6.0, 2.0, 400_000)  # rare positives, as real partners are
    labels = rng.random(linear.size) < 1 / (1 + np.exp(-(0.4 + 0.7 * linear)))
    intercept, scale = calibrate(linear, labels)
    assert intercept == pytest.approx(0.4, abs=0.15)
    assert scale == pytest.approx(0.7, abs=0.03)
    chance = 1 / (1 + np.exp(-(intercept + scale * linear)))
    assert chance.sum() == pytest.approx(labels.sum(), rel=0.01)


def test_the_shipped_score_is_calibrated_not_balanced() -> None:
    """A calibrated intercept is far below the balanced one (6.35, which scored every close
    match above 0.9): a good text fit (cosine 0.3, more than most calls' best) with a long
    track record scores well under 1, and a weak one (0.05) near 0."""
    weights = Weights.fitted()
    good = weights.scores(np.array([0.3]), np.array([20]), similar=np.array([1.0]))
    weak = weights.scores(np.array([0.05]), np.array([20]), similar=np.array([1.0]))
    assert 0.1 < float(good[0]) < 0.5
    assert float(weak[0]) < 0.05
