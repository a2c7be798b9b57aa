"""The demo's customer-service desk and courier cash: what happens after the door, played through the services.

The simulator (services/demo_sim.py) hands this desk the cases its field produces: a customer who
wants to return, exchange or be refunded for a delivered order, a refused order the customer wants
exchanged or complains about, a cancelled online-paid order whose money must go back, and the
emergency team compensating a loss it caused. The desk's customer-service operators (the demo's
U02 and U05) open each request and walk it through its statuses at a human pace — confirm,
contact, pick up, refund (in cash by the courier who delivered a COD order, else online) or
exchange (the replacement order joins the field), close — and now and then decline one.

Everything goes through services/service_requests.py and services/cash.py (no table writes here);
every draw comes from the simulator's rng, so a seed plays the same desk. A request the desk did not
open (at the console, or by an earlier run) is left to the people.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from sqlmodel import col, select

from ops_console.demo.catalog import OPERATORS
from ops_console.domain.service_requests import RefundMethod, RequestAction, RequestStatus, RequestType
from ops_console.domain.types import PaymentMethod, RefusalReason, Role
from ops_console.services import cash, service_requests
from ops_console.services.context import Actor, AppContext
from ops_console.services.errors import ServiceError
from ops_console.storage.db import read_session
from ops_console.storage.models import Operator, ServiceRequest

# The demo's customer-service operators (by role in the demo catalogue: U02, U05).
DESK_IDS = tuple(op.id for op in OPERATORS if op.role == Role.CUSTOMER_SERVICE.value)

_TEXTS = {
    RequestType.RETURN: ("客户来电:商品不新鲜,要求退货", "收到的鸡蛋破了几个,要求退货退款", "客户说买重复了,要求退货"),
    RequestType.EXCHANGE: ("送错规格,客户要求换货", "商品有压损,客户要求换一份", "菜叶发黄,客户要求换新鲜的"),
    RequestType.REFUND: ("订单已取消,款项原路退回", "客户要求退款"),
    RequestType.COMPLAINT: ("客户投诉配送太慢", "客户投诉骑手态度不好", "客户投诉电话没人接"),
}
_DECLINE_NOTES = ("超出退货范围,已向客户解释", "客户撤回申请")
_COMPENSATION_TEXTS = ("应急配送途中商品压损,按价赔偿", "应急小组送错楼栋,补偿客户")


@dataclass
class Case:
    """A request the desk opened and walks on: who handles it, how fast, how it ends."""

    request_id: int
    operator: Actor
    kind: RequestType
    cod_courier: str | None  # the courier who collected the COD cash (a cash refund), else None: online
    pace: float  # minutes between two steps
    decline: bool  # the customer withdraws / the policy says no, after the first contact
    due: datetime  # not before: the next step (saves a read per step while nothing is due)


@dataclass(frozen=True)
class DeskSettings:
    p_decline: float = 0.1
    pace_minutes: tuple[float, float] = (3.0, 14.0)
    p_compensation: float = 0.5  # an emergency-team delivery that causes a loss
    compensation_fen: tuple[int, int] = (500, 3000)
    shift_end: time = time(21, 0)  # local: couriers back from the road hand in their cash


class ServiceDesk:
    """Opens requests for the simulator and walks them; `step` is called once per simulator step."""

    def __init__(self, ctx: AppContext, rng: random.Random, speed: float = 1.0,
                 settings: DeskSettings | None = None) -> None:
        self.rng = rng
        self.speed = speed
        self.settings = settings or DeskSettings()
        self.cases: dict[int, Case] = {}
        self.handed_in: set[tuple[str, str]] = set()  # (business day, courier) done
        with read_session(ctx.engine) as s:
            found = [s.get(Operator, i) for i in DESK_IDS]
        self.operators = [Actor(o.id, o.name, Role(o.role)) for o in found if o is not None and o.active]

    # ------------------------------------------------------------------------------------ opening

    def open(self, ctx: AppContext, order_id: int, kind: RequestType, *, payment_method: str | None,
             courier_id: str | None, reason: RefusalReason = RefusalReason.QUALITY,
             actions: Counter[str] | None = None) -> int | None:
        """A customer calls: customer service opens the request. Returns its id (None when the policy
        or a person said no — the simulator lets it be)."""
        if not self.operators:
            return None
        operator = self.rng.choice(self.operators)
        text = self.rng.choice(_TEXTS[kind])
        cod = courier_id if payment_method == PaymentMethod.COD and kind in (RequestType.RETURN,
                                                                             RequestType.REFUND) else None
        pace = self.rng.uniform(*self.settings.pace_minutes)
        decline = self.rng.random() < self.settings.p_decline
        try:
            view = service_requests.open_request(ctx, order_id, kind.value, text, operator, reason=reason.value)
        except ServiceError:
            return None
        due = ctx.clock.now() + timedelta(minutes=pace / self.speed)
        self.cases[view.id] = Case(view.id, operator, kind, cod, pace, decline, due)
        if actions is not None:
            actions[f"service_{RequestAction.OPEN.value}"] += 1
        return view.id

    def compensate(self, ctx: AppContext, actor: Actor, courier_id: str, order_id: int,
                   actions: Counter[str] | None = None) -> None:
        """Now and then an emergency-team delivery caused a loss, which the team compensates from its cash."""
        if self.rng.random() >= self.settings.p_compensation:
            return
        low, high = self.settings.compensation_fen
        amount = self.rng.randrange(low // 100, high // 100 + 1) * 100  # whole yuan, as paid in cash
        try:
            cash.record_compensation(ctx, courier_id, amount, self.rng.choice(_COMPENSATION_TEXTS), actor,
                                     order_ref=str(order_id))
        except ServiceError:
            return
        if actions is not None:
            actions["cash_compensation"] += 1

    def end_of_day(self, ctx: AppContext, now: datetime, actor: Actor, carrying: Counter[str],
                   actions: Counter[str]) -> None:
        """After `shift_end`, each courier with nothing left on the road hands in the cash it should
        hold (float + COD − refunds − compensation), booked by the dispatcher; once a day."""
        local = now.astimezone(ctx.settings.tz)
        if local.time() < self.settings.shift_end:
            return
        day = local.date().isoformat()
        for line in cash.cash_day(ctx, day):
            if (day, line.courier_id) in self.handed_in or carrying[line.courier_id] > 0:
                continue
            self.handed_in.add((day, line.courier_id))
            owed = line.expected - line.handed_in
            if owed <= 0:
                continue
            try:
                cash.hand_in(ctx, line.courier_id, owed, actor)
            except ServiceError:
                continue
            actions["cash_handed_in"] += 1

    # ------------------------------------------------------------------------------------ walking

    def step(self, ctx: AppContext, now: datetime, actions: Counter[str]) -> list[str]:
        """Every case whose next step is due takes it. Returns the numbers of replacement orders made."""
        if not any(case.due <= now for case in self.cases.values()):
            return []
        with read_session(ctx.engine) as s:
            rows = {sr.id: (sr.status, sr.status_changed_at) for sr in s.exec(
                select(ServiceRequest).where(col(ServiceRequest.id).in_(list(self.cases))))}
        made: list[str] = []
        for request_id, case in list(self.cases.items()):
            status, since = rows.get(request_id, (None, None))
            if status is None or status == RequestStatus.CLOSED:
                del self.cases[request_id]  # closed (here or by a person): nothing left to play
                continue
            case.due = (since or now) + timedelta(minutes=case.pace / self.speed)
            if case.due > now:
                continue
            try:
                done = self._next(ctx, case, RequestStatus(status))
            except ServiceError:
                del self.cases[request_id]  # a person moved it, or the rules say no: left to the people
                continue
            if done is None:
                continue
            action, replacement = done
            actions[f"service_{action.value}"] += 1
            if replacement:
                made.append(replacement)
        return made

    def _next(self, ctx: AppContext, case: Case, status: RequestStatus) -> tuple[RequestAction, str | None] | None:
        """Take the case's next step; returns (the step, the replacement order's number if one was made)."""
        rid, op, walk = case.request_id, case.operator, RequestAction
        match status:
            case RequestStatus.REQUESTED:
                return self._act(ctx, rid, walk.CONFIRM, op)
            case RequestStatus.CONFIRMED:
                return self._act(ctx, rid, walk.CONTACT, op)
            case RequestStatus.CONTACTED:
                if case.decline and case.kind != RequestType.COMPLAINT:
                    return self._act(ctx, rid, walk.DECLINE, op, self.rng.choice(_DECLINE_NOTES))
                if case.kind == RequestType.COMPLAINT:
                    return self._act(ctx, rid, walk.CLOSE, op, "已致歉,客户接受")
                if case.kind == RequestType.REFUND:
                    return self._refund(ctx, case)
                return self._act(ctx, rid, walk.PICKUP, op)
            case RequestStatus.PICKED_UP:
                if case.kind == RequestType.EXCHANGE:
                    _view, number = service_requests.exchange(ctx, rid, op)
                    return walk.EXCHANGE, number
                return self._refund(ctx, case)
            case RequestStatus.REFUNDED | RequestStatus.EXCHANGED | RequestStatus.DECLINED:
                return self._act(ctx, rid, walk.CLOSE, op)
        return None

    @staticmethod
    def _act(ctx: AppContext, rid: int, action: RequestAction, op: Actor, note: str | None = None
             ) -> tuple[RequestAction, None]:
        service_requests.act(ctx, rid, action, op, note)
        return action, None

    @staticmethod
    def _refund(ctx: AppContext, case: Case) -> tuple[RequestAction, None]:
        """Cash by the courier who collected it (booked in its ledger), else an online refund."""
        if case.cod_courier:
            service_requests.refund(ctx, case.request_id, RefundMethod.CASH.value, case.operator,
                                    courier_id=case.cod_courier)
        else:
            service_requests.refund(ctx, case.request_id, RefundMethod.ONLINE.value, case.operator)
        return RequestAction.REFUND, None
