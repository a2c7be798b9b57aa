"""End-of-day closeout and reports: checks first, cash control, the frozen report, reopen.

- `close_day` (supervisor): the checks of the day (operational misses, the event log against the
  tables, every ingested file's count against the stored orders) and the cash control (expected
  from the ledger against what the supervisor counted) must pass, or be overridden with a reason
  (`carry_over_reason`, `accept_reason`); then the figures are frozen in a `Closeout` row with the
  sha256 of their canonical JSON, an Event `closeout` is written, and the report files follow.
- A closed day is not computed again: `close_day` returns the stored figures unchanged, until
  `reopen` (supervisor, an Event) allows a corrected closeout (a new row; the old one stays).
- `report` gives the same figures over a day, an ISO week or a month without closing anything.
"""

from __future__ import annotations

import calendar
import csv
import gc
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, update
from sqlmodel import Session, col

from ops_console.domain import kpi
from ops_console.domain.anomaly import RuleId
from ops_console.domain.anomaly.inspection import cash_difference
from ops_console.domain.money import MoneyError, yuan_to_fen
from ops_console.domain.types import Role, Status, SubjectType
from ops_console.i18n import has, t
from ops_console.services.anomalies import raise_finding
from ops_console.services.closeout_figures import (
    DayData,
    Span,
    compute,
    load,
    not_completed_summary,
    public_cash,
)
from ops_console.services.closeout_road import road_reasons
from ops_console.services.context import Actor, AppContext
from ops_console.services.errors import Conflict, Refused, ServiceError
from ops_console.services.events import record
from ops_console.storage import closeout_queries as cq
from ops_console.storage.db import read_session, write_session
from ops_console.storage.models import Anomaly, Closeout, Courier, Operator, Order, Reminder, ServiceRequest

CLOSEOUT_ACTION = "closeout"
REOPEN_ACTION = "reopen"
CASH_DIFFERENCE_RULE = RuleId.CASH_DIFFERENCE.value
# Statuses of a day's order that stop the closeout (the order is still in someone's hands).
BLOCKING_STATUSES = (Status.RECEIVED, Status.MANUAL_REVIEW, Status.UNASSIGNED, Status.ASSIGNED, Status.PICKING,
                     Status.PICKED, Status.DISPATCHED, Status.OUT_FOR_DELIVERY)
# Normal carry-overs: listed, not blocking.
CARRY_STATUSES = (Status.DELIVERED, Status.HELD, Status.REFUSED, Status.NOT_COMPLETED)
_OPEN_REQUEST = ("requested", "confirmed", "contacted", "picked_up")
REPORT_KINDS = ("daily", "weekly", "monthly")


class CloseoutBlocked(Refused):
    """The checks found misses: `figures` carries them under `blocking`, for the front end to list."""

    def __init__(self, figures: dict[str, Any]) -> None:
        super().__init__("closeout.blocked", date=figures.get("date"), count=len(figures.get("blocking", [])))
        self.figures = figures


class CashInputError(ServiceError):
    pass


@dataclass
class CloseoutResult:
    figures: dict[str, Any]
    stored: bool  # True: the day was already closed and this is its stored report
    files: list[str] = field(default_factory=list)
    anomalies: list[str] = field(default_factory=list)  # fingerprints of cash_difference anomalies raised
    file_error: str | None = None  # the report files could not be written (the closeout stands)


# ----------------------------------------------------------------------------------------------
# Dates and inputs
# ----------------------------------------------------------------------------------------------


@contextmanager
def gc_paused() -> Iterator[None]:
    """Hundreds of thousands of small tuples and dicts, none cyclic: the cyclic collector would only
    walk them again and again (the same pause as intake's)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def today(ctx: AppContext) -> date:
    return ctx.clock.now().astimezone(ctx.settings.tz).date()


def parse_date(text: str | None, ctx: AppContext) -> date:
    if not text:
        return today(ctx)
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ServiceError("closeout.bad_date", value=text) from None


def report_span(ctx: AppContext, kind: str, day: date) -> Span:
    if kind == "daily":
        return Span.of(day, day, ctx.settings.tz)
    if kind == "weekly":  # the ISO week (Monday to Sunday) holding the day
        first = day - timedelta(days=day.weekday())
        return Span.of(first, first + timedelta(days=6), ctx.settings.tz)
    if kind == "monthly":
        last = calendar.monthrange(day.year, day.month)[1]
        return Span.of(day.replace(day=1), day.replace(day=last), ctx.settings.tz)
    raise ServiceError("closeout.bad_report_kind", kind=kind, allowed=", ".join(REPORT_KINDS))


def _count(text: str) -> int:
    """Cash handed in, in fen: yuan with at most two decimals, never below zero."""
    fen = yuan_to_fen(text)
    if fen < 0:
        raise MoneyError(text)
    return fen


def parse_cash(values: Iterable[str]) -> dict[str, int]:
    """`C07=1234.50` (repeatable) → {courier: fen}; a bad value names itself."""
    out: dict[str, int] = {}
    for value in values:
        courier, sep, amount = value.partition("=")
        courier = courier.strip()
        if not sep or not courier:
            raise CashInputError("closeout.cash.bad_arg", value=value)
        try:
            out[courier] = _count(amount)
        except MoneyError:
            raise CashInputError("closeout.cash.bad_amount", value=value, field=courier) from None
    return out


def read_cash_file(path: Path) -> dict[str, int]:
    """CSV `courier_id,counted` (yuan). Each row is read on its own (a stray quote costs that row,
    not the rest of the file); every bad row — a bad value, a courier counted twice — is named by
    file, row and field, all at once, and stops the closeout (a cash count is not something to
    half-take)."""
    from ops_console.services.intake_files import decode  # one encoding policy for every CSV

    try:
        text, _ = decode(path.read_bytes())
    except UnicodeDecodeError:
        raise CashInputError("import.bad_encoding", file=str(path)) from None
    lines = text.splitlines()
    try:
        header = [h.strip().lower() for h in next(csv.reader(lines[:1], strict=True), [])]
    except csv.Error:
        header = []
    if not {"courier_id", "counted"} <= set(header):
        raise CashInputError("closeout.cash.file_header", file=str(path))
    out: dict[str, int] = {}
    first_row: dict[str, int] = {}
    problems: list[str] = []

    def bad(n: int, field: str, value: str) -> None:
        problems.append(t("closeout.cash.file_row", file=str(path), row=n, field=field, value=value[:40]))

    for n, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        try:
            cells = next(csv.reader([line], strict=True))
        except csv.Error:  # a stray quote: this row only
            problems.append(t("closeout.cash.file_quote", file=str(path), row=n, value=line[:40]))
            continue
        row = dict(zip(header, (c.strip() for c in cells), strict=False))
        courier = row.get("courier_id", "")
        if not courier:
            bad(n, "courier_id", "")
            continue
        if courier in first_row:
            problems.append(t("closeout.cash.file_twice", file=str(path), row=n, courier=courier,
                              first=first_row[courier]))
            continue
        first_row[courier] = n
        try:
            out[courier] = _count(row.get("counted", ""))
        except MoneyError:
            bad(n, "counted", row.get("counted", ""))
    if len(problems) == 1:
        raise CashInputError("closeout.cash.file_problems", problems=problems[0])
    if problems:
        raise CashInputError("closeout.cash.file_problems",
                             problems=t("closeout.cash.file_many", n=len(problems)) + "\n  " + "\n  ".join(problems))
    return out


# ----------------------------------------------------------------------------------------------
# Checks
# ----------------------------------------------------------------------------------------------


# Codes in the checks shown in words: a status, an anomaly rule, a reminder kind.
_CODE_LABELS = {"status": "status", "rule": "anomalies.rule", "kind": "reminders.kind"}


def describe_check(item: Mapping[str, Any]) -> str:
    """One miss of the checks as a line for a person (the CLI's list, the console's `:report`)."""
    def shown(key: str, value: Any) -> str:
        prefix = _CODE_LABELS.get(key)
        return t(f"{prefix}.{value}") if prefix and has(f"{prefix}.{value}") else str(value)

    return t(f"closeout.check.{item.get('check')}", **{k: shown(k, v) for k, v in item.items() if k != "check"})


def _ref(o: Any) -> str:
    return f"{o.channel}:{o.order_no}"


def operational_checks(session: Session, ctx: AppContext, data: DayData) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The misses that stop the closeout, and the normal carry-overs (listed only)."""
    span = data.span
    blocking: list[dict[str, Any]] = []
    carry: dict[str, list[str]] = {s.value: [] for s in CARRY_STATUSES}
    blocking_values = {s.value for s in BLOCKING_STATUSES}
    on_road: list[dict[str, Any]] = []  # on the road with a recorded reason: carried over, listed
    reasons = road_reasons(session, data.cohort.values())
    for o in sorted(data.cohort.values(), key=lambda o: o.id):
        if o.id in reasons:
            on_road.append({"order": _ref(o), "status": o.status, **reasons[o.id]})
        elif o.status in blocking_values:
            blocking.append({"check": "open_order", "order": _ref(o), "status": o.status})
        elif o.status in carry:
            carry[o.status].append(_ref(o))
    for a in session.execute(select(col(Anomaly.id), col(Anomaly.rule)).where(col(Anomaly.status) == "open",
                                                                  col(Anomaly.severity) == "critical")):
        blocking.append({"check": "critical_anomaly", "id": a.id, "rule": a.rule})
    for r in session.execute(select(col(Reminder.id), col(Reminder.kind)).where(col(Reminder.status) == "open",
                                                                    col(Reminder.severity) == "critical")):
        blocking.append({"check": "critical_reminder", "id": r.id, "kind": r.kind})
    blocking.extend(_log_checks(session, data))
    blocking.extend(_intake_checks(session, span))
    requests = [rid for (rid,) in session.execute(
        select(col(ServiceRequest.id)).where(col(ServiceRequest.status).in_(_OPEN_REQUEST)).order_by(col(ServiceRequest.id)))]
    carry_over = {"awaiting_confirmation": carry["delivered"], "held": carry["held"],
                  "refused": carry["refused"], "not_completed": carry["not_completed"],
                  "open_service_requests": requests, "on_the_road": on_road}
    return blocking, carry_over


def _log_checks(session: Session, data: DayData) -> list[dict[str, Any]]:
    """No order missed (seed 004 §4.4.1): every order of the day has its `receive` event, and every
    `receive` event of the day has its order."""
    span = data.span
    out: list[dict[str, Any]] = []
    for oid, o in sorted(data.cohort.items()):
        if oid not in data.received_ids:
            out.append({"check": "order_without_event", "order": _ref(o)})
    stray = sorted(data.received_ids - data.cohort.keys() - data.extra_orders.keys())
    found = cq.existing_order_ids(session, stray)
    out.extend({"check": "event_without_order", "ref": f"order_id={oid}"} for oid in stray if oid not in found)
    out.extend({"check": "event_without_order", "ref": f"event_id={ev_id}"}
               for ev_id in cq.receive_events_without_order(session, span.start, span.end))
    return out


def _intake_checks(session: Session, span: Span) -> list[dict[str, Any]]:
    """Per ingested file: the orders intake counted as new against the orders stored from it."""
    counted: dict[str, int] = {}
    for source, detail in cq.ingest_events(session, span.start, span.end):
        counted[source] = counted.get(source, 0) + int(detail.get("new") or 0)
    out = []
    for source, n in sorted(counted.items()):
        prefix = f"{source} "
        stored = session.execute(
            select(func.count()).select_from(Order).where(
                col(Order.received_at) >= span.start, col(Order.received_at) < span.end,
                func.substr(Order.source, 1, len(prefix)) == prefix)
        ).scalar_one()
        if stored != n:
            out.append({"check": "intake_count", "file": source, "counted": n, "stored": int(stored)})
    return out


def cash_checks(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for line in lines:
        if line["_counted_fen"] is None:
            if line["_expected_fen"] != 0:
                out.append({"check": "cash_not_counted", "courier_id": line["courier_id"],
                            "expected": line["expected"], "_expected_fen": line["_expected_fen"],
                            "_counted_fen": None})
        elif line["_counted_fen"] != line["_expected_fen"]:
            out.append({"check": "cash_difference", "courier_id": line["courier_id"], "expected": line["expected"],
                        "counted": line["counted"], "difference": line["difference"],
                        "_expected_fen": line["_expected_fen"], "_counted_fen": line["_counted_fen"]})
    return out


# ----------------------------------------------------------------------------------------------
# Closing, the stored report, reopening
# ----------------------------------------------------------------------------------------------


def latest(session: Session, day: date) -> Closeout | None:
    return session.execute(
        select(Closeout).where(col(Closeout.business_date) == day.isoformat()).order_by(col(Closeout.id).desc()).limit(1)
    ).scalars().first()


def stored_report(row: Closeout) -> dict[str, Any]:
    status = "reopened" if row.reopened_at is not None else "closed"
    return {**row.figures, "status": status, "checksum": row.checksum, "report_files": list(row.report_files)}


def closed_report(ctx: AppContext, day: date) -> dict[str, Any] | None:
    with read_session(ctx.engine) as s:
        row = latest(s, day)
        return stored_report(row) if row is not None else None


def require_supervisor(actor: Actor, what: str) -> None:
    if actor.role != Role.SUPERVISOR:
        raise Refused("closeout.supervisor_only", action=what, role=actor.role.value)


def close_day(
    ctx: AppContext,
    actor: Actor,
    day: date,
    *,
    counted: dict[str, int] | None = None,
    carry_over_reason: str | None = None,
    accept_reason: str | None = None,
    report_dir: Path | None = None,
) -> CloseoutResult:
    """Close the business day `day` as `actor` (a supervisor). Raises CloseoutBlocked with the list
    when a check fails and its override is not given; returns the stored report of a closed day."""
    require_supervisor(actor, "closeout")
    carry_over_reason = (carry_over_reason or "").strip() or None
    accept_reason = (accept_reason or "").strip() or None
    span = Span.of(day, day, ctx.settings.tz)
    with read_session(ctx.engine) as s:
        row = latest(s, day)
        if row is not None and row.reopened_at is None:
            if counted or carry_over_reason or accept_reason:
                who = s.get(Operator, row.closed_by)
                raise Refused("closeout.already_closed", date=day.isoformat(), who=who.name if who else row.closed_by,
                              at=row.closed_at.astimezone(ctx.settings.tz).strftime("%Y-%m-%d %H:%M")
                              if row.closed_at else "-")
            return CloseoutResult(stored_report(row), stored=True, files=list(row.report_files))
        unknown = sorted(set(counted or {}) - {cid for (cid,) in s.execute(select(col(Courier.id)))})
        if unknown:  # a typo in --cash must not become a "difference" of somebody who does not exist
            raise CashInputError("closeout.cash.unknown_courier", couriers=", ".join(unknown))
        with gc_paused():
            data = load(s, span)
            figures = compute(s, ctx, span, data, counted or {})
            blocking, carry = operational_checks(s, ctx, data)
        lines = figures["cash"]  # `cash_lines` with the counts: the ledger read once
    cash_misses = cash_checks(lines)
    public_misses = public_cash(cash_misses)  # the fen fields stay inside
    stops = ([b for b in blocking] if not carry_over_reason else []) + (public_misses if not accept_reason else [])
    now = ctx.clock.now()
    head = {"date": day.isoformat(), "status": "open"}
    figures = {**head, **figures, "cash": public_cash(lines), "carry_over": carry}
    if stops:
        raise CloseoutBlocked({**figures, "blocking": stops})
    figures.update(
        status="closed",
        blocking=[],
        carried_over={"reason": carry_over_reason, "items": blocking} if blocking else None,
        accepted_differences={"reason": accept_reason, "items": public_misses} if cash_misses else None,
        closed_by=actor.id,
        closed_at=now.isoformat(),
    )
    figures["checksum"] = kpi.checksum(figures)
    fingerprints: list[str] = []
    with write_session(ctx.engine) as s:
        row = latest(s, day)
        if row is not None and row.reopened_at is None:  # another supervisor closed it meanwhile
            raise Conflict("closeout.closed_meanwhile", date=day.isoformat(), who=row.closed_by)
        closeout = Closeout(business_date=day.isoformat(), closed_by=actor.id, closed_at=now,
                            figures={k: v for k, v in figures.items() if k not in kpi.UNCHECKED},
                            report_files=[], checksum=figures["checksum"])
        s.add(closeout)
        s.flush()
        for miss in cash_misses:
            fingerprint = raise_cash_difference(s, ctx, actor, day, miss, accept_reason or "")
            if fingerprint:
                fingerprints.append(fingerprint)
        record(s, now, actor, SubjectType.CLOSEOUT, day.isoformat(), CLOSEOUT_ACTION,
               detail={"checksum": figures["checksum"], "closeout_id": closeout.id,
                       "carry_over_reason": carry_over_reason, "accept_reason": accept_reason,
                       "carried_over": len(blocking), "cash_differences": len(cash_misses)})
        closeout_id = closeout.id
    files: list[str] = []
    file_error = None
    if report_dir is not None:
        from ops_console.services.closeout_files import write_reports

        try:
            files = [str(p) for p in write_reports(report_dir / day.isoformat(), figures)]
        except OSError as exc:  # the day is closed and frozen; the files can be written again from it
            file_error = str(exc)
        with write_session(ctx.engine) as s:
            s.execute(update(Closeout).where(col(Closeout.id) == closeout_id).values(report_files=files))
    return CloseoutResult({**figures, "report_files": files}, stored=False, files=files, anomalies=fingerprints,
                          file_error=file_error)


def raise_cash_difference(session: Session, ctx: AppContext, actor: Actor, day: date, miss: dict[str, Any],
                          reason: str) -> str:
    """An accepted cash difference (or a count never made, as counted 0) becomes a `cash_difference`
    alert through the anomaly service, so it has every other alert's lifecycle (critical, worked to
    resolution); its key is the rule's: `cash_difference|courier:<id>:<day>|`. A corrected closeout
    after reopen that still differs counts a repeat of the live alert. Returns the fingerprint."""
    expected = miss["_expected_fen"]
    counted = miss["_counted_fen"] if miss["_counted_fen"] is not None else 0
    finding = cash_difference(miss["courier_id"], day.isoformat(), expected, counted)
    if finding is None:  # not counted and nothing expected: not a miss (cash_checks does not list it)
        return ""
    done = raise_finding(session, ctx, finding, actor=actor, note=f"{miss['check']}: {reason}")
    row = session.get(Anomaly, done.alert_id)
    return row.fingerprint if row is not None else ""


def reopen(ctx: AppContext, actor: Actor, day: date, reason: str) -> dict[str, Any]:
    require_supervisor(actor, "reopen")
    reason = (reason or "").strip()
    if not reason:
        raise Refused("closeout.reason_required")
    now = ctx.clock.now()
    with write_session(ctx.engine) as s:
        row = latest(s, day)
        if row is None or row.reopened_at is not None:
            raise Refused("closeout.not_closed", date=day.isoformat())
        s.execute(update(Closeout).where(col(Closeout.id) == row.id, col(Closeout.reopened_at).is_(None))
                  .values(reopened_by=actor.id, reopened_at=now))
        record(s, now, actor, SubjectType.CLOSEOUT, day.isoformat(), REOPEN_ACTION,
               detail={"reason": reason, "closeout_id": row.id, "checksum": row.checksum})
    return {"date": day.isoformat(), "status": "reopened", "reopened_by": actor.id, "reopened_at": now.isoformat(),
            "reason": reason, "checksum": row.checksum}


def report(ctx: AppContext, kind: str, day: date) -> dict[str, Any]:
    """The figures of the day / ISO week / month holding `day`, without closing anything."""
    span = report_span(ctx, kind, day)
    with read_session(ctx.engine) as s, gc_paused():
        data = load(s, span)
        figures = compute(s, ctx, span, data)
        blocking, carry = operational_checks(s, ctx, data)
        closed = latest(s, day) if kind == "daily" else None
    head: dict[str, Any] = {"kind": kind, "from": span.first.isoformat(), "to": span.last.isoformat()}
    if kind == "daily":
        head["date"] = day.isoformat()
    status = "open"
    if closed is not None:
        status = "reopened" if closed.reopened_at is not None else "closed"
    out = {**head, "status": status, **figures, "cash": public_cash(figures["cash"]), "carry_over": carry,
           "blocking": blocking}
    if kind == "monthly":
        out["not_completed_summary"] = not_completed_summary(figures)
    if kind == "weekly":
        out["replenishment_cod_by_store"] = {r["store_id"]: r["cod_amount"] for r in figures["replenishment"]["by_store"]}
    return out
