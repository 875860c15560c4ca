"""The search for the highest offered rate that completes with no failed calls.

A sans-I/O stepper: `next_rate()` says which rate to try, `record(rate, passed)` takes the
verdict, so the runner can interleave several searches (one per server) step by step.

The search grows the rate by `factor` from `start` until a step fails (or `ceiling`
passes), then bisects between the highest passing and the lowest failing rate until they
are within `precision` (relative to the failing rate). If `start` itself fails it walks
down by `factor` to `floor`. `max_steps` bounds the number of steps whatever happens.
The result is the highest rate that passed (0 when none did).
"""

from __future__ import annotations

from dataclasses import dataclass, field


def nice_rate(rate: float) -> int:
    """Round a rate to two significant digits (1234 -> 1200, 87.6 -> 88), at least 1."""
    r = max(1, round(rate))
    if r < 100:
        return r
    digits = len(str(r)) - 2
    return int(round(r / 10**digits) * 10**digits)


@dataclass
class RateSearch:
    """Exponential growth, then bisection, over integer rates (calls per second)."""

    start: int = 500
    factor: float = 2.0
    precision: float = 0.1
    ceiling: int = 40000
    floor: int = 10
    max_steps: int = 10
    steps: list[tuple[int, bool]] = field(default_factory=list)
    stopped: str = ""

    @property
    def best(self) -> int:
        """The highest rate that passed (0 when none did)."""
        return max((r for r, ok in self.steps if ok), default=0)

    @property
    def lowest_fail(self) -> int | None:
        """The lowest rate that failed above the best passing rate, if any."""
        best = self.best
        fails = [r for r, ok in self.steps if not ok and r > best]
        return min(fails) if fails else None

    def stop(self, reason: str) -> None:
        """End the search early (for example when the time budget runs out)."""
        if not self.stopped:
            self.stopped = reason

    def next_rate(self) -> int | None:
        """The next rate to try, or None when the search is over (`stopped` says why)."""
        if self.stopped:
            return None
        if len(self.steps) >= self.max_steps:
            self.stopped = "max steps"
            return None
        if not self.steps:
            return min(self.start, self.ceiling)
        lo, hi = self.best, self.lowest_fail
        if hi is None:  # nothing failed yet: grow
            if lo >= self.ceiling:
                self.stopped = "ceiling"
                return None
            return min(self.ceiling, max(lo + 1, nice_rate(lo * self.factor)))
        if lo == 0:  # even the lowest tried rate failed: walk down
            rate = nice_rate(hi / self.factor)
            if hi <= self.floor or rate >= hi:
                self.stopped = "floor"
                return None
            return max(self.floor, rate)
        if (hi - lo) / hi <= self.precision or hi - lo <= 1:
            self.stopped = "precision"
            return None
        mid = nice_rate((lo + hi) / 2)
        if not lo < mid < hi:
            mid = (lo + hi) // 2
        if not lo < mid < hi:
            self.stopped = "precision"
            return None
        return mid

    def record(self, rate: int, passed: bool) -> None:
        """Record the verdict of a step at `rate`."""
        self.steps.append((rate, passed))

    @property
    def done(self) -> bool:
        return bool(self.stopped)
