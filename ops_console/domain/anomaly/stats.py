"""Robust statistics over a rolling history: median + k·MAD, cached until the history changes.

A `Series` keeps the last `points` observations of one key (a store's SKU, a customer's phone)
within `days`; the median and MAD are computed once per change, so judging a new value costs a
dictionary look-up and a comparison (the < 25 µs per order goal of the anomalies issue).
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections.abc import Iterable, Sequence
from datetime import datetime


class Stats:
    """Median and MAD of a history; the MAD is computed only when a rule needs it (most values are
    below min_ratio × median, which settles the verdict without it)."""

    __slots__ = ("_mad", "_sorted", "median", "n")

    def __init__(self, sorted_values: Sequence[float]) -> None:
        self._sorted = tuple(sorted_values)
        self.n = len(self._sorted)
        self.median = median_of(self._sorted)
        self._mad: float | None = None

    @property
    def mad(self) -> float:
        if self._mad is None:
            med = self.median
            self._mad = median_of(sorted([abs(v - med) for v in self._sorted]))
        return self._mad

    def __repr__(self) -> str:
        return f"Stats(median={self.median}, mad={self.mad}, n={self.n})"


def median_of(sorted_values: Sequence[float]) -> float:
    n = len(sorted_values)
    mid = n // 2
    return float(sorted_values[mid]) if n % 2 else (sorted_values[mid - 1] + sorted_values[mid]) / 2


def robust_stats(values: Iterable[float]) -> Stats:
    return Stats(sorted(values))


class Series:
    """The last observations of one key, oldest first, kept sorted beside (insertion and eviction
    by bisection), with their median and stats cached until the next change."""

    __slots__ = ("_median", "_stats", "ordered", "points", "times", "values")

    def __init__(self, points: int) -> None:
        # Plain lists, not deques: a city has hundreds of thousands of short series (customer × SKU),
        # and a deque's first block alone is half a kilobyte; moving 20 pointers on eviction is free.
        self.times: list[datetime] = []
        self.values: list[float] = []
        self.ordered: list[float] = []
        self.points = points
        self._stats: Stats | None = None
        self._median: float | None = None

    def add(self, at: datetime, value: float) -> None:
        values, ordered = self.values, self.ordered
        if len(values) >= self.points:  # full: the oldest goes (inline: most series of a city are full)
            del self.times[0]
            del ordered[bisect_left(ordered, values.pop(0))]
        self.times.append(at)
        values.append(value)
        insort(ordered, value)
        self._stats = self._median = None

    def _drop_before(self, cutoff: datetime) -> None:
        """Forget the leading observations older than `cutoff` (up to the first that is not: the
        times are in arrival order), in one call — a series judged after a quiet spell drops many."""
        times, values, ordered = self.times, self.values, self.ordered
        while times and times[0] < cutoff:
            del times[0]
            del ordered[bisect_left(ordered, values.pop(0))]
        self._stats = self._median = None

    def median(self, cutoff: datetime, min_points: int) -> float | None:
        """Only the median (the cheap first test of a surge), or None below `min_points`."""
        times = self.times
        if times and times[0] < cutoff:
            self._drop_before(cutoff)
        if len(times) < min_points:
            return None
        med = self._median
        if med is None:
            med = self._median = median_of(self.ordered)
        return med

    def stats(self, cutoff: datetime, min_points: int) -> Stats | None:
        """The stats of the observations since `cutoff` (now − history days), or None below `min_points`."""
        times = self.times
        if times and times[0] < cutoff:  # older than the window: forget, the stats change
            self._drop_before(cutoff)
        if len(times) < min_points:
            return None
        stats = self._stats
        if stats is None:
            stats = self._stats = Stats(self.ordered)
        return stats

    def __len__(self) -> int:
        return len(self.values)


def surges(value: float, stats: Stats | None, k: float, min_ratio: float, mad_floor: float = 1.0) -> bool:
    """Above median + k·MAD **and** above min_ratio × median, with no verdict (False) without
    enough history. The MAD counts as at least `mad_floor` (one unit of quantity, one yuan of
    amount): a flat history must not fire on +1 whatever its median — with a median of 1 and a
    MAD of 0, a customer's second bag would otherwise be "a surge"."""
    if stats is None or value <= min_ratio * stats.median:  # the cheap test first
        return False
    return value > stats.median + k * max(stats.mad, mad_floor)


def surge_limit(stats: Stats, k: float, min_ratio: float, mad_floor: float = 1.0) -> float:
    """The largest value that does not fire (for messages)."""
    return max(stats.median + k * max(stats.mad, mad_floor), min_ratio * stats.median)
