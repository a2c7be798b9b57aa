"""Intake of platform files: drafts → orders, idempotent, in one transaction per file.

- Each file is read and checked (services/intake_files.py, domain/intake/). Orders with a
  problem are set aside whole in `intake.quarantine_dir` (written before the transaction, so a
  retry never writes twice); the others go on.
- Idempotence: an order is known by (channel, order_no). Arriving again with the same content
  fingerprint it is a `duplicate` and adds nothing; with different content it is a `conflict`:
  reported, never overwritten, and noted on the stored order's history (`intake_conflict`).
  The same holds inside one file: the first arrival wins.
- New orders go through `bulk_receive.receive_orders` — the lifecycle engine's bulk entry point:
  `receive`, the automatic review, the address matcher — on SQLAlchemy Core executemany.
- A line whose SKU is not in the catalogue is kept, with a warning; its category and step then
  come from the file (else `default` / 1).
- Every file leaves one `ingest` Event (subject `intake`) with its counts.
- `watch` (services/intake_watch.py) takes the files of a folder as they arrive and moves each to
  `done/` when everything in it was taken in, or `rejected/` when anything was set aside, in
  conflict or unreadable.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any

from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlmodel import Session, col, select

from ops_console.domain.intake import (
    Checks,
    IntakeBatch,
    NoticeDraft,
    OrderDraft,
    Problem,
    RejectedOrder,
    error_text,
    unknown_sku_warnings,
)
from ops_console.domain.types import SubjectType
from ops_console.i18n import t
from ops_console.services.anomaly_checks import NewOrderFacts, evaluate_new_orders
from ops_console.services.bulk_receive import receive_orders
from ops_console.services.context import SYSTEM, AppContext
from ops_console.services.events import record
from ops_console.services.intake_files import (
    Describer,
    IntakeFile,
    IntakeFileError,
    describe,
    load_batch,
    quarantine_path,
    write_private,
    write_quarantine,
)
from ops_console.services.intake_rows import _existing, catalogue_facts, line_values, order_values
from ops_console.services.payments import (
    Applied,
    PaymentRecord,
    TrackingRecord,
    record_payment,
    record_tracking_update,
)
from ops_console.services.replenishment_intake import receive_replenishment
from ops_console.storage.db import read_session, write_session
from ops_console.storage.models import Order, OrderLine, Store

COUNTS = ("received", "new", "duplicate", "conflict", "rejected", "rejected_rows", "notices", "notices_duplicate")
INGEST_ACTION = "ingest"
CONFLICT_ACTION = "intake_conflict"
DONE_DIR, REJECTED_DIR = "done", "rejected"
REPLENISHMENT = "replenishment"


@dataclass
class FileReport:
    """What one file gave. Counts are orders, except `rejected_rows` (rows / lines / records)."""

    path: str
    received: int = 0
    new: int = 0
    duplicate: int = 0
    conflict: int = 0
    rejected: int = 0
    rejected_rows: int = 0
    notices: int = 0  # payment notifications and tracking updates kept (applied, or waiting for their order)
    notices_duplicate: int = 0  # the same notice again: nothing new
    quarantine: str | None = None
    statuses: dict[str, int] = field(default_factory=dict)  # of the new orders: unassigned, manual_review, …
    problems: list[str] = field(default_factory=list)  # why orders were set aside
    conflicts: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    error: str | None = None  # nothing could be done: the file unreadable or the database unusable
    busy: bool = False  # the error is a lock held elsewhere: the same file may be tried again

    @property
    def ok(self) -> bool:
        return self.error is None and not self.rejected and not self.conflict


@dataclass
class IngestSummary:
    files: list[FileReport] = field(default_factory=list)

    def total(self, name: str) -> int:
        return sum(getattr(f, name) for f in self.files)

    @property
    def quarantine(self) -> list[str]:
        return [f.quarantine for f in self.files if f.quarantine]

    @property
    def ok(self) -> bool:
        return all(f.ok for f in self.files)

    @property
    def exit_code(self) -> int:
        """0 all taken in; 1 some orders set aside or in conflict; 2 a file where nothing could be done."""
        if any(f.error for f in self.files):
            return 2
        return 0 if self.ok else 1

    def as_dict(self) -> dict[str, Any]:
        """The one JSON object of `ingest --json` (the counts of CONTRACTS, then the messages)."""
        out: dict[str, Any] = {name: self.total(name) for name in COUNTS}
        out["quarantine"] = self.quarantine
        out["errors"] = [f"{f.error}" for f in self.files if f.error]
        out["problems"] = [p for f in self.files for p in f.problems]
        out["conflicts"] = [c for f in self.files for c in f.conflicts]
        out["warnings"] = [w for f in self.files for w in f.warnings]
        return out


def ingest(
    ctx: AppContext, paths: Iterable[Path | str], *, lang: str | None = None, match_address: bool = True
) -> IngestSummary:
    """Take in platform files (CSV / JSON / JSON Lines), each in its own transaction."""
    return IngestSummary([ingest_file(ctx, p, lang=lang, match_address=match_address) for p in paths])


def ingest_file(
    ctx: AppContext, path: Path | str, *, lang: str | None = None, match_address: bool = True
) -> FileReport:
    with _gc_paused():
        try:
            return _ingest_file(ctx, Path(path), lang, match_address)
        except Exception as exc:  # noqa: BLE001 - the last net: one file's surprise never ends a run
            report = FileReport(str(path), error=t("intake.file.failed", lang, error=error_text(exc)))
            _record_unread(ctx, report, lang)
            return report


_gc_lock = threading.Lock()
_gc_depth = 0
_gc_was_enabled = False


@contextmanager
def _gc_paused() -> Iterator[None]:
    """No cyclic garbage collection while a file is taken in.

    A file makes hundreds of thousands of small dicts and tuples that stay alive until the
    commit; each collection would walk all of them again (see docs/PERFORMANCE.md for the cost).
    They hold no reference cycles, so reference counting frees them; collection resumes after
    (re-entrant: with several files at once, after the last one).
    """
    global _gc_depth, _gc_was_enabled
    with _gc_lock:
        if _gc_depth == 0:
            _gc_was_enabled = gc.isenabled()
            gc.disable()
        _gc_depth += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_depth -= 1
            if _gc_depth == 0 and _gc_was_enabled:
                gc.enable()


def _ingest_file(ctx: AppContext, path: Path, lang: str | None, match_address: bool) -> FileReport:
    """One file, never raising: what went wrong is in the report (`error`, `busy`)."""
    report = FileReport(str(path))
    quarantine_dir = Path(ctx.settings.intake.quarantine_dir)
    checks = Checks(now=ctx.clock.now(), max_date_skew=timedelta(days=min(ctx.settings.intake.max_date_skew_days, MAX_SKEW_DAYS)))
    try:
        file, batch = load_batch(path, ctx.settings.tz, checks)
    except IntakeFileError as exc:
        report.error = exc.message(lang)
        _keep_copy(report, path, quarantine_dir, ctx, lang)
        _record_unread(ctx, report, lang)
        return report
    try:
        _check_stores(ctx, batch)
    except DBAPIError as exc:
        _database_failed(report, exc, lang)
        return report
    try:
        _set_aside(report, file, batch, quarantine_dir, ctx, lang)
    except OSError as exc:
        # Without the quarantine copy the set-aside orders would exist nowhere but in the source:
        # store nothing, so the file is handled again once the folder is writable.
        report.error = t("intake.file.failed", lang, error=error_text(exc))
        _record_unread(ctx, report, lang)
        return report
    drafts = _first_arrivals(report, batch, lang)
    try:
        for attempt in range(3):
            try:
                with write_session(ctx.engine) as session:
                    stored = _store(session, ctx, report, batch, drafts, lang, match_address)
                break
            except IntegrityError:
                # Another process took some of these orders in meanwhile (PostgreSQL; on SQLite the
                # write lock is held from the start): look again, they are duplicates or conflicts now.
                if attempt == 2:
                    raise
    except DBAPIError as exc:
        _database_failed(report, exc, lang)
        return report
    report.new = stored.new
    report.notices, report.notices_duplicate = stored.notices, stored.notices_duplicate
    report.duplicate += stored.duplicate
    report.conflict += stored.conflict
    report.conflicts += stored.conflicts
    report.warnings += stored.warnings
    report.statuses = stored.statuses
    return report


MAX_SKEW_DAYS = 100_000  # a bigger setting means "no window"; timedelta itself stops at 999,999,999 days


def _database_failed(report: FileReport, exc: DBAPIError, lang: str | None) -> None:
    text = str(exc.orig or exc).strip().splitlines()[0] if str(exc.orig or exc).strip() else type(exc).__name__
    report.busy = is_busy(exc)
    report.error = t("intake.db.busy" if report.busy else "intake.db.unusable", lang, error=text)


def database_error(exc: BaseException, label: str, lang: str | None = None) -> str | None:
    """The message for a database that cannot be opened or used (None: not a database problem)."""
    if not isinstance(exc, DBAPIError | OSError):
        return None
    text = str(getattr(exc, "orig", None) or exc).strip()
    first = text.splitlines()[0] if text else type(exc).__name__
    return t("intake.db.busy" if is_busy(exc) else "intake.db.unusable", lang, error=f"{label}: {first}")


def is_busy(exc: BaseException) -> bool:
    """A lock another process holds (worth retrying), as opposed to a database that is broken."""
    text = str(getattr(exc, "orig", None) or exc).lower()
    return "locked" in text or "busy" in text or "could not obtain lock" in text or "lock timeout" in text


def _keep_copy(report: FileReport, path: Path, directory: Path, ctx: AppContext, lang: str | None) -> None:
    """The bytes of an unreadable file, for whoever sorts it out (user-only, like every copy)."""
    try:
        if not path.is_file():
            return
        target = quarantine_path(directory, path, ctx.clock.now(), path.suffix)
        write_private(target, path.read_bytes())
        report.quarantine = str(target)
    except OSError as exc:
        report.warnings.append(t("intake.file.failed", lang, error=error_text(exc)))


def _record_unread(ctx: AppContext, report: FileReport, lang: str | None) -> None:
    """The ingest event of a file that was not taken in: every file leaves one."""
    counts = {name: getattr(report, name) for name in COUNTS}
    try:
        with write_session(ctx.engine) as session:
            record(session, ctx.clock.now(), SYSTEM, SubjectType.INTAKE, Path(report.path).name, INGEST_ACTION,
                   detail={**counts, "quarantine": report.quarantine, "file": report.path, "error": report.error})  # fmt: skip
    except DBAPIError as exc:
        first = report.error
        _database_failed(report, exc, lang)
        report.error = f"{first}; {report.error}"


@dataclass
class _Stored:
    """What the database said about a file's orders (applied to the report after the commit)."""

    new: int = 0
    duplicate: int = 0
    conflict: int = 0
    conflicts: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    statuses: dict[str, int] = field(default_factory=dict)
    notices: int = 0
    notices_duplicate: int = 0


def _check_stores(ctx: AppContext, batch: IntakeBatch) -> None:
    """Orders naming a store that does not exist are set aside (a replenishment order needs its store)."""
    named = {d.store_id for d in batch.drafts if d.store_id}
    if not named:
        return
    with read_session(ctx.engine) as session:
        known = set(session.exec(select(Store.id).where(col(Store.id).in_(sorted(named)))))
    keep: list[OrderDraft] = []
    for draft in batch.drafts:
        if draft.store_id and draft.store_id not in known:
            problem = Problem("intake.store.unknown", draft.positions[0], "store_id", "store_id",
                              {"store_id": draft.store_id})  # fmt: skip
            batch.rejected.append(RejectedOrder(draft.positions, (problem,), draft.key))
        else:
            keep.append(draft)
    if len(keep) != len(batch.drafts):
        batch.drafts[:] = keep
        batch.rejected.sort(key=lambda r: r.positions[0])


def _set_aside(
    report: FileReport, file: IntakeFile, batch: IntakeBatch, directory: Path, ctx: AppContext, lang: str | None
) -> None:
    report.rejected = len(batch.rejected)
    report.rejected_rows = len({p for r in batch.rejected for p in r.positions})
    # Cut remarks: the order is kept, the warning names it, the record is in the quarantine copy.
    report.received = len(batch.drafts) + len(batch.notices) + len(batch.rejected)
    d = Describer(batch.source, batch.unit, lang)
    problems = [p for r in batch.rejected for p in r.problems]
    positions = [p.position or 0 for p in problems]
    if any(a > b for a, b in pairwise(positions)):
        problems.sort(key=_position)  # the rejected come in file order: mostly nothing to sort
    report.problems = d.many(problems)
    report.warnings = [d(w) for w in batch.warnings]
    # The quarantine copy's reason per record: the texts just made (a file may hold a million bad ones).
    reasons: dict[int, str] = {}
    for problem, text in zip((*problems, *(p for r in batch.noted for p in r.problems)),
                             (*report.problems, *(d(p) for r in batch.noted for p in r.problems)), strict=True):
        if problem.position is not None:
            before = reasons.get(problem.position)
            reasons[problem.position] = text if before is None else before + "; " + text
    written = write_quarantine(file, batch, directory, ctx.clock.now(), lang, d, reasons=reasons)
    report.quarantine = str(written) if written else None


def _position(problem: Problem) -> int:
    return problem.position or 0


def _first_arrivals(report: FileReport, batch: IntakeBatch, lang: str | None) -> list[OrderDraft]:
    """One draft per order key: a repeat with the same content is a duplicate, else a conflict."""
    first: dict[tuple[str, str], OrderDraft] = {}
    for draft in batch.drafts:
        seen = first.get(draft.key)
        if seen is None:
            first[draft.key] = draft
        elif seen.fingerprint == draft.fingerprint:
            report.duplicate += 1
        else:
            report.conflict += 1
            problem = Problem("intake.conflict.in_file", draft.positions[0], "order_no", None,
                              {"order_no": draft.order_no, "first": seen.where()})  # fmt: skip
            report.conflicts.append(describe(problem, batch.source, batch.unit, lang))
    return list(first.values())


def _store(
    session: Session,
    ctx: AppContext,
    report: FileReport,
    batch: IntakeBatch,
    drafts: Sequence[OrderDraft],
    lang: str | None,
    match_address: bool,
) -> _Stored:
    now = ctx.clock.now()
    out = _Stored()
    existing = _existing(session, [d.key for d in drafts])
    new: list[OrderDraft] = []
    for draft in drafts:
        known = existing.get(draft.key)
        if known is None:
            new.append(draft)
        elif known[1] == draft.fingerprint:
            out.duplicate += 1
        else:
            out.conflict += 1
            problem = Problem("intake.conflict.stored", draft.positions[0], "order_no", None,
                              {"order_no": draft.order_no, "channel": draft.channel.value})  # fmt: skip
            out.conflicts.append(describe(problem, batch.source, batch.unit, lang))
            record(session, now, SYSTEM, SubjectType.INTAKE, batch.source, CONFLICT_ACTION, order_id=known[0],
                   detail={"source": draft.where(), "fingerprint": draft.fingerprint, "stored": known[1]})  # fmt: skip

    skus = catalogue_facts(session, {line.sku for d in new for line in d.lines})
    categories = {code: cat for code, (cat, _step) in skus.items()}
    orders: list[dict[str, Any]] = []
    lines: list[list[dict[str, Any]]] = []
    stores: list[tuple[OrderDraft, list[dict[str, Any]]]] = []
    for draft in new:
        for warning in unknown_sku_warnings(draft, skus):
            out.warnings.append(describe(warning, batch.source, batch.unit, lang))
        if draft.kind == REPLENISHMENT:
            stores.append((draft, line_values(draft, skus, categories)))
        else:
            orders.append(order_values(draft))
            lines.append(line_values(draft, skus, categories))
    # The anomaly rules run once for the whole batch, below, after every new order is written.
    facts: dict[int, NewOrderFacts] = {}  # what the rules read of the new customer orders: not read back
    results = receive_orders(session, ctx, orders, lines, SYSTEM, match_address=match_address, evaluate=False,
                             facts_out=facts)
    placed = [receive_replenishment(session, ctx, Order(**order_values(d), store_id=d.store_id), [OrderLine(order_id=0, line_no=0, **li)
                                                                            for li in li_values],
                                    SYSTEM, evaluate=False)
              for d, li_values in stores]  # fmt: skip
    evaluate_new_orders(session, ctx, [r.order_id for r in results] + [o.id or 0 for o in placed], facts)
    out.new = len(results) + len(placed)
    for result in results:
        out.statuses[str(result.status)] = out.statuses.get(str(result.status), 0) + 1
    for order in placed:
        out.statuses[order.status] = out.statuses.get(order.status, 0) + 1
    # Notices after the orders: a payment for an order of the same file finds its order.
    for notice in batch.notices:
        applied = _record_notice(session, ctx, notice)
        if applied.outcome == "same":
            out.notices_duplicate += 1
        elif applied.outcome == "clash":
            out.conflict += 1
            problem = Problem("intake.payment.clash", notice.positions[0], "amount", None,
                              {"payment_ref": notice.payment_ref, "order_no": notice.order_no})  # fmt: skip
            out.conflicts.append(describe(problem, batch.source, batch.unit, lang))
        else:
            out.notices += 1
    counts = {"received": report.received, "new": out.new, "duplicate": report.duplicate + out.duplicate,
              "conflict": report.conflict + out.conflict, "rejected": report.rejected,
              "rejected_rows": report.rejected_rows, "notices": out.notices,
              "notices_duplicate": out.notices_duplicate}  # fmt: skip
    record(session, now, SYSTEM, SubjectType.INTAKE, batch.source, INGEST_ACTION,
           detail={**counts, "quarantine": report.quarantine, "file": report.path, "statuses": out.statuses})
    return out


def _record_notice(session: Session, ctx: AppContext, notice: NoticeDraft) -> Applied:
    """A payment notification or tracking update through services/payments.py (idempotent there)."""
    channel = notice.channel.value
    if notice.kind == "payment":
        return record_payment(session, ctx, PaymentRecord(channel, notice.order_no, notice.payment_ref,
                                                          notice.amount, notice.status, notice.at))
    return record_tracking_update(session, ctx, TrackingRecord(channel, notice.order_no, notice.status,
                                                               notice.at, notice.note))
