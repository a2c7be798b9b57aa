"""Anomaly rules: one small pure function per rule id, grouped by family (one module each).

- `orders`: what intake sees in one new order (quantity/amount surge, cap, step, stock, reorder
  window, duplicates);
- `payments`: payment notifications against the order;
- `timers`: clocks the scheduler's checks watch (picking, delivery, tracking);
- `inspection`: what people record (weight at hand-over, cash at closeout, staff reports);
- `stats`: median + k·MAD over a rolling history, cached per key;
- `alerts`: the alert lifecycle (statuses, who may do what, severity, ack timeout, silences).

No I/O and no Settings: rules receive `Thresholds`, built by the service from the settings.
"""

from ops_console.domain.anomaly.base import HOLD_RULES, Finding, RuleId, Thresholds, subject_of

__all__ = ["HOLD_RULES", "Finding", "RuleId", "Thresholds", "subject_of"]
