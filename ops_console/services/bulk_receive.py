"""Many new orders at once (intake's bulk path): `receive_order`'s steps, written with Core executemany.

Above the engine (services/lifecycle.py) and matching, like services/receiving.py. The rules
(`resolve()` of the lifecycle table), the effects of the review and the automatic assignment
(`system_effects`) and the stamps and Events (`Transition`) are the engine's; only the writing
differs: ids reserved, then orders, lines and events as three executemany statements.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

from sqlmodel import Session, col, select

from ops_console.domain.lifecycle import OrderView, resolve
from ops_console.domain.matching import Matcher
from ops_console.domain.review import LineFacts, SkuFacts, review
from ops_console.domain.types import Action, AssignMethod, Status, SubjectType
from ops_console.services import matching
from ops_console.services.anomaly_checks import NewOrderFacts, evaluate_new_orders
from ops_console.services.context import SYSTEM, Actor, AppContext
from ops_console.services.events import event_row
from ops_console.services.lifecycle import Transition, receive_status, system_effects
from ops_console.storage.bulk import insert_rows, reserve_ids, row_defaults
from ops_console.storage.models import Event, Order, OrderLine, Sku, Store
from ops_console.storage.tables import table_of


class Received(NamedTuple):
    """What `receive_orders` did with one order."""

    order_id: int
    status: Status
    review_reason: str | None = None
    store_id: str | None = None


def receive_orders(
    session: Session,
    ctx: AppContext,
    orders: list[dict[str, Any]],
    lines: list[list[dict[str, Any]]],
    actor: Actor = SYSTEM,
    *,
    match_address: bool = True,
    evaluate: bool = True,
    facts_out: dict[int, NewOrderFacts] | None = None,
) -> list[Received]:
    """`receive_order` for many new orders in the caller's transaction.

    The same steps, table and rows as `receive_order`: `receive`, the automatic review (the same
    `review` over the same catalogue facts) leading to `review_pass` or `review_fail`, and after a
    pass the address matcher's automatic `assign` (or its reason and suggestions kept on the order);
    every status comes from `resolve()` of the lifecycle table and every step appends its Event in
    order.

    `orders[i]`: Order column values of a new order (channel, order_no, customer, payment, source,
    fingerprint, …; not status, version, amount, stamps); `lines[i]`: its OrderLine values without
    order_id and line_no. The caller checks that the orders are new.
    """
    if not orders:
        return []
    now = ctx.clock.now()
    received = receive_status(actor)
    conn = session.connection()
    ids = reserve_ids(conn, table_of(Order), len(orders))
    catalogue = _sku_facts(session, {li["sku"] for order_lines in lines for li in order_lines})
    matcher, store_names = _bulk_matcher(session, ctx) if match_address else (None, {})
    targets: dict[tuple[Any, ...], Status] = {}

    def target(action: Action, view: OrderView, **params: Any) -> Status:
        # The table decides; identical questions get the identical answer, so ask once per kind of
        # question: what resolve() looks at is the action, the status, the reason (and whether it
        # has a text) and whether a store is named.
        key = (action, view.status, params.get("reason"), bool(params.get("reason_text")), bool(params.get("store_id")))
        found = targets.get(key)
        if found is None:
            found = resolve(action, view, SYSTEM.role, params)
            assert found is not None
            targets[key] = found
        return found

    # Columns left NULL need not be sent; every row gets the same keys (one executemany).
    order_defaults = {k: v for k, v in row_defaults(Order).items() if v is not None}
    order_defaults.update(store_id=None, assign_method=None, match_reason=None, review_reason=None,
                          unassigned_at=None, assigned_at=None)  # fmt: skip
    line_defaults = {k: v for k, v in row_defaults(OrderLine).items() if v is not None}
    view = OrderView(received, None, None, None)
    unassigned_view = OrderView(Status.UNASSIGNED, None, None, None)
    order_rows: list[dict[str, Any]] = []
    line_rows: list[dict[str, Any]] = []
    event_rows: list[dict[str, Any]] = []
    out: list[Received] = []
    passed: dict[tuple[Any, ...], tuple[dict[str, Any], dict[str, Any]]] = {}  # see _same_step

    def review_passed(order_id: int) -> Transition:
        return Transition(order_id, passed_step, received, target(passed_step, view), SYSTEM, now, {})

    received_text, receive, actor_id = received.value, Action.RECEIVE, actor.id
    # Enum members looked up once (each `Enum.MEMBER` is a descriptor call in the loop otherwise).
    passed_step, failed_step, assign_step = Action.REVIEW_PASS, Action.REVIEW_FAIL, Action.ASSIGN
    order_subject, unassigned, auto = SubjectType.ORDER, Status.UNASSIGNED, AssignMethod.AUTO.value
    stamps = {"status": received_text, "version": 1, "status_entered_at": now, "updated_at": now,
              "updated_by": actor_id}  # fmt: skip
    for order_id, values, order_lines in zip(ids, orders, lines, strict=True):
        row = {**order_defaults, **values, **stamps}
        amount = 0
        facts = []
        for n, li in enumerate(order_lines, start=1):
            qty, price = li["qty"], li["unit_price"]
            amount += qty * price if type(qty) is int else round(qty * price)
            facts.append(LineFacts(li["sku"], qty, price))
            line_rows.append({**line_defaults, **li, "order_id": order_id, "line_no": n})
        row["id"], row["amount"] = order_id, amount
        if row.get("received_at") is None:
            row["received_at"] = now
        event_rows.append(event_row(now, actor, order_subject, order_id, receive, order_id=order_id,
                                    to_status=received_text,
                                    detail={"channel": row["channel"], "order_no": row["order_no"],
                                            "source": row["source"], "version": 1}))  # fmt: skip
        verdict = review(facts, catalogue, row["payment_method"], row["payment_status"], amount, row["paid_amount"])
        if verdict.passed:
            _same_step(row, event_rows, order_id, passed, review_passed)
        else:
            params = {"reason": verdict.reason, "reason_text": verdict.detail}
            _step(row, event_rows, Transition(order_id, failed_step, received, target(failed_step, view, **params),
                                              SYSTEM, now, params))
        if verdict.passed and matcher is not None:
            result = matcher.match(row["address"] or "")
            if result.auto and result.store_id and result.store_id in store_names:
                keywords = ", ".join(sorted({h.keyword for h in result.keywords}))
                params = {"store_id": result.store_id, "method": auto,
                          "keyword": result.keyword, "keywords": keywords}  # fmt: skip
                assert row["status"] == unassigned
                t = Transition(order_id, assign_step, unassigned, target(assign_step, unassigned_view, **params),
                               SYSTEM, now, params)
                _step(row, event_rows, t, store_names[result.store_id])
            else:
                row.update(match_reason=result.reason_text(),
                           suggestions=matching.suggestions_json(result.suggestions))
        order_rows.append(row)
        out.append(Received(order_id, row["status"], row["review_reason"], row["store_id"]))
    # Before the inserts: insert_rows moves the values every row shares into the statement.
    known = _facts(order_rows, line_rows) if evaluate or facts_out is not None else {}
    insert_rows(conn, table_of(Order), order_rows)
    insert_rows(conn, table_of(OrderLine), line_rows)
    insert_rows(conn, table_of(Event), event_rows)
    if facts_out is not None:
        facts_out.update(known)
    if evaluate:
        evaluate_new_orders(session, ctx, ids, known)
    return out


def _facts(order_rows: list[dict[str, Any]], line_rows: list[dict[str, Any]]) -> dict[int, NewOrderFacts]:
    """The anomaly rules' view of the rows just written (anomaly_checks._FACT_COLUMNS, then the channel)."""
    lines: dict[int, list[tuple[str, float, int]]] = {}
    for li in line_rows:
        lines.setdefault(li["order_id"], []).append((li["sku"], li["qty"], li.get("step") or 1))
    return {r["id"]: ((r["id"], r["order_no"], r["kind"], r.get("placed_at"), r["received_at"], r["amount"],
                       r["store_id"], r.get("phone"), r["payment_method"], r["channel"]), lines.get(r["id"], []))
            for r in order_rows}


def _step(row: dict[str, Any], events: list[dict[str, Any]], t: Transition, store_name: str | None = None) -> None:
    """What `apply` does to an order for a system step, done to a row: the engine's effects,
    stamps, the next version and the Event."""
    values, detail = system_effects(t, row["store_id"], store_name)
    row.update(values)
    row.update(t.stamps())
    row["version"] += 1
    events.append(t.event(row["version"], detail))


def _same_step(row: dict[str, Any], events: list[dict[str, Any]], order_id: int,
               memo: dict[tuple[Any, ...], tuple[dict[str, Any], dict[str, Any]]],
               make: Callable[[int], Transition]) -> None:
    """`_step` for a step without params (the review's pass), whose columns and Event are the same
    for every order of the batch at the same version and store but for the order's id: the engine's
    Transition (`make(order_id)`) is asked once per batch, its answer stamped on each row."""
    key = (row["version"], row["store_id"])
    done = memo.get(key)
    if done is None:
        t = make(order_id)
        values, detail = system_effects(t, row["store_id"])
        done = memo[key] = ({**values, **t.stamps()}, t.event(row["version"] + 1, detail))
    values, event = done
    row.update(values)
    row["version"] += 1
    events.append({**event, "subject_id": str(order_id), "order_id": order_id})


def _sku_facts(session: Session, skus: set[str]) -> dict[str, SkuFacts]:
    facts: dict[str, SkuFacts] = {}
    codes = sorted(skus)
    for i in range(0, len(codes), 500):
        chunk = codes[i : i + 500]
        for code, price, stock in session.exec(
            select(col(Sku.code), col(Sku.price), col(Sku.stock)).where(col(Sku.code).in_(chunk))
        ):
            facts[code] = SkuFacts(price=price, stock=stock)
    return facts


def _bulk_matcher(session: Session, ctx: AppContext) -> tuple[Matcher, dict[str, str]]:
    """The address matcher and the active stores' names."""
    names = {sid: name for sid, name in session.exec(select(Store.id, Store.name).where(Store.active))}
    return matching.matcher(ctx, session), names


