"""The one pass over a range's order events (closeout and reports): what the figures and checks read.

A busy day is ~450,000 events: they are read a batch at a time (storage/closeout_queries
`order_event_batches`, in time order) and folded as they come into small per-order maps, so the
rows are never all in memory. Whether an order is a customer order is known only once the orders
touched in the range are read (after the pass), so per-order facts are kept for every order and
the figures keep the customer orders' (`EventFacts.customer_only`); the first-reached instants are
kept for the cohort (customer orders received in the range) only.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Container, Iterable
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

_REASONED = frozenset({"escalate", "refuse", "fail", "cancel", "reassign"})
DELIVERY_ACTIONS = frozenset({"dispatch", "deliver", "refuse", "fail"})  # orders whose attempts are read
_READ = _REASONED | DELIVERY_ACTIONS | {"receive", "assign", "finish_picking"}  # the others: status and actor only


@dataclass
class EventFacts:
    """Per order: `reached[status][order]` first instant (epoch ms) the cohort order reached the
    status; the method of its first assignment in the range and the store of its last (re)assignment
    (cohort); first pick, and the latest (re)assignment before it; first delivery. Lists of the
    hand assignments (operator, order, assigned at, queued at if in the range) and of the reasoned
    events (order, reason[, to tier]); events per actor; the orders with a `receive`, the orders with
    an attempt-making action, and the orders outside the cohort the range's events name."""

    reached: dict[str, dict[int, int]] = field(default_factory=dict)
    first_assign: dict[int, str] = field(default_factory=dict)
    last_store: dict[int, str | None] = field(default_factory=dict)
    picked_at: dict[int, int] = field(default_factory=dict)
    assigned_before: dict[int, int | None] = field(default_factory=dict)
    delivered_at: dict[int, int] = field(default_factory=dict)
    waits: list[tuple[str, int, int, int | None]] = field(default_factory=list)
    escalations: list[tuple[int, str | None, str | None]] = field(default_factory=list)
    refusals: list[tuple[int, str | None]] = field(default_factory=list)
    failures: list[tuple[int, str | None]] = field(default_factory=list)
    cancels: list[tuple[int, str | None]] = field(default_factory=list)
    actors: dict[str, int] = field(default_factory=dict)
    received_ids: set[int] = field(default_factory=set)
    delivery_ids: set[int] = field(default_factory=set)
    others: set[int] = field(default_factory=set)  # orders outside the cohort the events name

    def customer_only(self, customer: Container[int]) -> EventFacts:
        """The facts the figures read, of customer orders only (other orders' events still count
        for `actors` and the ids, as they always did)."""
        keep = lambda d: {oid: v for oid, v in d.items() if oid in customer}  # noqa: E731
        return EventFacts(
            reached=self.reached, first_assign=self.first_assign, last_store=self.last_store,
            picked_at=keep(self.picked_at), assigned_before=keep(self.assigned_before),
            delivered_at=keep(self.delivered_at),
            waits=[w for w in self.waits if w[1] in customer],
            escalations=[e for e in self.escalations if e[0] in customer],
            refusals=[r for r in self.refusals if r[0] in customer],
            failures=[f for f in self.failures if f[0] in customer],
            cancels=[c for c in self.cancels if c[0] in customer],
            actors=self.actors, received_ids=self.received_ids, delivery_ids=self.delivery_ids,
            others=self.others,
        )


class _Details(dict[str | None, dict[str, Any]]):
    """Decoded details by their text: a day's assignments repeat a few hundred texts (method and
    store), so each is decoded once. The dicts are shared: read only."""

    def __missing__(self, text: str | None) -> dict[str, Any]:
        value = json.loads(text) if text else None
        out = self[text] = value if isinstance(value, dict) else {}
        return out


def fold(batches: Iterable[list[tuple[Any, ...]]], cohort: Container[int]) -> EventFacts:
    """The facts of the events (order_id, at ms, actor, action, to_status, detail JSON text or None),
    given in time order; `cohort`: the ids whose first-reached instants are kept. Details are
    decoded only for the actions whose method, store, reason or tier are read."""
    f = EventFacts()
    reached: defaultdict[str, dict[int, int]] = defaultdict(dict)
    first_assign, last_store = f.first_assign, f.last_store
    picked_at, assigned_before, delivered_at = f.picked_at, f.assigned_before, f.delivered_at
    received_ids, delivery_ids, others = f.received_ids, f.delivery_ids, f.others
    actors: Counter[str] = Counter()
    last_assigned: dict[int, int] = {}
    queued: dict[int, int] = {}
    actor_of = itemgetter(2)
    details = _Details()
    for batch in batches:
        actors.update(map(actor_of, batch))  # counted in C
        for oid, at, actor, action, to_status, detail in batch:
            mine = oid in cohort
            if not mine:
                others.add(oid)
            if to_status:
                if mine:
                    reached[to_status].setdefault(oid, at)  # in time order: the first instant stays
                if to_status == "assigned":
                    last_assigned[oid] = at
                elif to_status == "unassigned":
                    queued[oid] = at
            if action not in _READ:
                continue
            if action == "receive":
                received_ids.add(oid)
            elif action == "assign":
                if mine:
                    d = details[detail]
                    if oid not in first_assign:
                        first_assign[oid] = d.get("method") or ("auto" if actor == "system" else "manual")
                    last_store[oid] = d.get("store_id")
                if actor != "system":
                    f.waits.append((actor, oid, at, queued.get(oid)))
            elif action == "finish_picking":
                if oid not in picked_at:
                    picked_at[oid] = at
                    assigned_before[oid] = last_assigned.get(oid)
            elif action == "dispatch":
                delivery_ids.add(oid)
            elif action == "deliver":
                delivery_ids.add(oid)
                if oid not in delivered_at:
                    delivered_at[oid] = at
            else:  # the reasoned actions
                d = details[detail]
                if action == "escalate":
                    f.escalations.append((oid, d.get("reason"), d.get("to_tier")))
                elif action == "refuse":
                    delivery_ids.add(oid)
                    f.refusals.append((oid, d.get("reason")))
                elif action == "fail":
                    delivery_ids.add(oid)
                    f.failures.append((oid, d.get("reason")))
                elif action == "cancel":
                    f.cancels.append((oid, d.get("reason")))
                elif mine:  # reassign
                    last_store[oid] = d.get("store_id")
    f.reached, f.actors = dict(reached), dict(actors)
    return f
