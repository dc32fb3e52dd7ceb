"""Choosing among benchmarked configurations: the Pareto front and TOPSIS.

Both work on a table of alternatives (rows) by criteria (columns). A criterion is a
benefit (more is better, e.g. output tokens/s) or a cost (less is better, e.g. p95 TTFT).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Criterion:
    name: str
    weight: float
    benefit: bool


def pareto_front(rows: Sequence[Sequence[float]], benefit: Sequence[bool]) -> list[bool]:
    """For each row, whether no other row is at least as good on every criterion and
    strictly better on one (rows with equal values are all on the front)."""

    def dominates(a: Sequence[float], b: Sequence[float]) -> bool:
        better = False
        for x, y, more in zip(a, b, benefit, strict=True):
            if (x < y) if more else (x > y):
                return False
            better = better or ((x > y) if more else (x < y))
        return better

    return [not any(dominates(other, row) for other in rows) for row in rows]


def topsis(rows: Sequence[Sequence[float]], criteria: Sequence[Criterion]) -> list[float]:
    """Closeness to the ideal solution (0-1, higher is better) of each row.

    Columns are vector-normalized (x / sqrt(sum x^2)) and weighted (weights scaled to sum
    to 1); the ideal takes each column's best value, the anti-ideal its worst; a row's
    score is d- / (d+ + d-), its Euclidean distances to the anti-ideal and the ideal.
    A row that is both (every row equal) scores 0.5."""
    if not rows:
        return []
    total = sum(c.weight for c in criteria)
    if total <= 0 or any(c.weight < 0 for c in criteria):
        raise ValueError("TOPSIS weights must be non-negative with a positive sum")
    columns = list(zip(*rows, strict=True))
    weighted_columns = []
    for column, criterion in zip(columns, criteria, strict=True):
        norm = math.sqrt(sum(x * x for x in column))
        scale = criterion.weight / total / norm if norm else 0.0
        weighted_columns.append([x * scale for x in column])
    pairs = list(zip(weighted_columns, criteria, strict=True))
    ideal = [max(c) if k.benefit else min(c) for c, k in pairs]
    worst = [min(c) if k.benefit else max(c) for c, k in pairs]
    scores = []
    for row in zip(*weighted_columns, strict=True):
        to_ideal = math.dist(row, ideal)
        to_worst = math.dist(row, worst)
        scores.append(to_worst / (to_ideal + to_worst) if to_ideal + to_worst else 0.5)
    return scores
