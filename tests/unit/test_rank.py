"""Pareto front and TOPSIS against hand-computed examples."""

from __future__ import annotations

import pytest

from labgen.bench.rank import Criterion, pareto_front, topsis

THROUGHPUT = Criterion("throughput", 0.5, benefit=True)
LATENCY = Criterion("p95 latency", 0.5, benefit=False)


def test_topsis_hand_computed() -> None:
    # throughput 100/200/300 (benefit), latency 1/2/4 (cost), equal weights.
    # norms: sqrt(140000) = 374.1657, sqrt(21) = 4.5826; weighted (x 0.5):
    #   throughput 0.13363 0.26726 0.40089   latency 0.10911 0.21822 0.43644
    # ideal (0.40089, 0.10911), anti-ideal (0.13363, 0.43644)
    # row 1: d+ = 0.26726, d- = 0.32733 -> 0.32733 / 0.59459 = 0.55052
    # row 2: d+ = sqrt(0.13363^2 + 0.10911^2) = 0.17252,
    #        d- = sqrt(0.13363^2 + 0.21822^2) = 0.25588 -> 0.25588 / 0.42840 = 0.59729
    # row 3: d+ = 0.32733, d- = 0.26726 -> 0.44948
    scores = topsis([[100, 1], [200, 2], [300, 4]], [THROUGHPUT, LATENCY])
    assert scores == pytest.approx([0.55052, 0.59729, 0.44948], abs=1e-4)


def test_topsis_weights_change_the_winner() -> None:
    # all weight on throughput: the highest throughput is the ideal (1.0), the lowest
    # the anti-ideal (0.0), the middle one (0.26726 - 0.13363) / (0.40089 - 0.13363) = 0.5
    only_throughput = [Criterion("t", 1.0, True), Criterion("l", 0.0, False)]
    assert topsis([[100, 1], [200, 2], [300, 4]], only_throughput) == pytest.approx([0.0, 0.5, 1.0])


def test_topsis_equal_rows_and_bad_weights() -> None:
    assert topsis([[1, 1], [1, 1]], [THROUGHPUT, LATENCY]) == [0.5, 0.5]
    assert topsis([], [THROUGHPUT]) == []
    with pytest.raises(ValueError, match="weights"):
        topsis([[1, 1]], [Criterion("a", -1, True), Criterion("b", 2, False)])


def test_pareto_front_throughput_against_latency() -> None:
    rows = [
        [100, 1.0],  # fastest: on the front
        [200, 2.0],  # on the front
        [150, 2.5],  # dominated by [200, 2.0]
        [300, 4.0],  # most throughput: on the front
        [300, 4.0],  # a tie with the previous row: both stay
        [250, 4.0],  # dominated by [300, 4.0]
    ]
    assert pareto_front(rows, [True, False]) == [True, True, False, True, True, False]
