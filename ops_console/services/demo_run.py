"""Running the demo simulator on a timer (`ops-console demo run`): step, report, stop cleanly."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from ops_console.services.demo_sim import Simulator, StepReport


@dataclass
class RunTotals:
    steps: int = 0
    created: int = 0
    actions: Counter[str] = field(default_factory=Counter)
    lost: int = 0


def run_loop(
    sim: Simulator,
    *,
    interval_seconds: float = 2.0,
    minutes: float | None = None,
    steps: int | None = None,
    on_step: Callable[[StepReport], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> RunTotals:
    """Step the simulator every `interval_seconds` until `minutes` have passed, `steps` were taken,
    or Ctrl+C (which ends the loop cleanly and still returns the totals)."""
    totals = RunTotals()
    deadline = sim.ctx.clock.monotonic() + minutes * 60 if minutes is not None else None
    try:
        while True:
            report = sim.step()
            totals.steps += 1
            totals.created += len(report.created)
            totals.actions.update(report.actions)
            totals.lost += report.lost
            if on_step is not None:
                on_step(report)
            if steps is not None and totals.steps >= steps:
                break
            if deadline is not None and sim.ctx.clock.monotonic() >= deadline:
                break
            sleep(interval_seconds)
    except KeyboardInterrupt:
        pass
    return totals
