"""Intervals for accuracies measured on a few hundred questions, so that noise is not read
as a difference.

- `wilson`: the Wilson score interval of one proportion (Wilson 1927), which stays inside
  [0, 1] and keeps its coverage for small counts and for 0 or n successes (2 right of 2 is
  not "100%, certain").
- `paired_difference`: an interval for the difference of two accuracies measured on the
  SAME questions (a champion and a challenger), Newcombe's hybrid score method for paired
  proportions (R. G. Newcombe, "Improved confidence intervals for the difference between
  binomial proportions based on paired data", Statistics in Medicine 17, 1998, method 10).
  Pairing matters: only the questions one model got right and the other wrong say which is
  better, so the interval is much narrower than two independent intervals would suggest.

Standard library only (statistics.NormalDist): these run in Lambda.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist

# Two-sided 95% for intervals shown to people; the gate's test is one-sided at 95%
# (it asks only "is the challenger worse?"), which is the two-sided 90% interval's bound.
REPORT_CONFIDENCE = 0.95
GATE_CONFIDENCE = 0.95


def _z(confidence: float, *, one_sided: bool) -> float:
    tail = 1 - confidence if one_sided else (1 - confidence) / 2
    return NormalDist().inv_cdf(1 - tail)


def wilson(
    successes: int, n: int, confidence: float = REPORT_CONFIDENCE, *, one_sided: bool = False
) -> tuple[float, float]:
    """(low, high) for `successes` of `n`; (0, 1) when n is 0 (nothing is known)."""
    if n <= 0:
        return 0.0, 1.0
    if not 0 <= successes <= n:
        raise ValueError(f"successes must be between 0 and n={n}, got {successes}")
    z = _z(confidence, one_sided=one_sided)
    p = successes / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass(frozen=True)
class PairedCounts:
    """Answers to the same questions by two models A and B."""

    both: int  # right by both
    only_a: int  # right by A, wrong by B
    only_b: int  # right by B, wrong by A
    neither: int

    @property
    def n(self) -> int:
        return self.both + self.only_a + self.only_b + self.neither

    @property
    def accuracy_a(self) -> float | None:
        return (self.both + self.only_a) / self.n if self.n else None

    @property
    def accuracy_b(self) -> float | None:
        return (self.both + self.only_b) / self.n if self.n else None

    @property
    def difference(self) -> float | None:
        """accuracy of A − accuracy of B."""
        return (self.only_a - self.only_b) / self.n if self.n else None


def paired_difference(
    counts: PairedCounts, confidence: float = REPORT_CONFIDENCE, *, one_sided: bool = False
) -> tuple[float, float]:
    """(low, high) for accuracy(A) − accuracy(B); (−1, 1) when there are no questions.
    With `one_sided`, each bound is a one-sided bound at `confidence`."""
    n = counts.n
    if n == 0:
        return -1.0, 1.0
    a, b, c, d = counts.both, counts.only_a, counts.only_b, counts.neither
    p1, p2 = (a + b) / n, (a + c) / n
    l1, u1 = wilson(a + b, n, confidence, one_sided=one_sided)
    l2, u2 = wilson(a + c, n, confidence, one_sided=one_sided)
    # φ, the correlation of the pairs, with Newcombe's continuity correction of AD − BC
    # (as in Altman et al., "Statistics with Confidence", 2000, ch. 6's worked example)
    denominator = (a + b) * (c + d) * (a + c) * (b + d)
    cross = a * d - b * c
    corrected = cross - n / 2 if cross > n / 2 else (cross if cross < 0 else 0.0)
    phi = corrected / math.sqrt(denominator) if denominator else 0.0
    delta = math.sqrt(max(0.0, (p1 - l1) ** 2 - 2 * phi * (p1 - l1) * (u2 - p2) + (u2 - p2) ** 2))
    epsilon = math.sqrt(max(0.0, (u1 - p1) ** 2 - 2 * phi * (u1 - p1) * (p2 - l2) + (p2 - l2) ** 2))
    difference = p1 - p2
    return max(-1.0, difference - delta), min(1.0, difference + epsilon)


__all__ = ["GATE_CONFIDENCE", "REPORT_CONFIDENCE", "PairedCounts", "paired_difference", "wilson"]
