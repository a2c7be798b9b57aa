"""Operators: who may sign in, with which role; PINs are stored hashed."""

from __future__ import annotations

import csv
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import func
from sqlmodel import Session, select

from ops_console.domain.types import HUMAN_ROLES, Role, SubjectType
from ops_console.services.context import SYSTEM, Actor, AppContext
from ops_console.services.errors import NotFound, Refused, ServiceError
from ops_console.services.events import record
from ops_console.storage.db import read_session, write_session
from ops_console.storage.models import Operator

# PBKDF2-SHA256 rounds for new PINs: a 4-digit PIN has only 10,000 values, so each guess must be
# slow (~0.3 s here). Stored hashes carry their own count, so older, cheaper ones still verify
# (and are re-hashed at the next good sign-in). Tests lower this module value to stay fast.
PIN_ITERATIONS = 600_000
MAX_FAILED_PINS = 5  # wrong PINs in a row …
LOCK_MINUTES = 15  # … lock the operator this long (an `operator_locked` event)
_DUMMY_HASH = "pbkdf2_sha256$1$00$00"


def hash_pin(pin: str, salt: str | None = None, iterations: int | None = None) -> str:
    salt = salt or secrets.token_hex(8)
    rounds = iterations or PIN_ITERATIONS
    digest = hashlib.pbkdf2_hmac("sha256", pin.encode(), salt.encode(), rounds).hex()
    return f"pbkdf2_sha256${rounds}${salt}${digest}"


def _rounds(stored: str) -> int:
    try:
        return int(stored.split("$")[1])
    except (IndexError, ValueError):
        return 0


def verify_pin(pin: str, stored: str) -> bool:
    try:
        _, iters, salt, digest = stored.split("$")
        rounds = int(iters)
    except ValueError:
        return False
    if not 0 < rounds <= 10_000_000:  # a damaged row must not pin a CPU
        return False
    check = hashlib.pbkdf2_hmac("sha256", pin.encode(), salt.encode(), rounds).hex()
    return hmac.compare_digest(check, digest)


def _role(value: str) -> Role:
    try:
        role = Role(value.strip())
    except ValueError:
        role = None
    if role not in HUMAN_ROLES:
        raise ServiceError("operators.bad_role", role=value, allowed=", ".join(r.value for r in HUMAN_ROLES))
    return role


def _check_pin(pin: str) -> None:
    if not (pin.isdigit() and 4 <= len(pin) <= 12):
        raise ServiceError("operators.bad_pin")


def any_operators(ctx: AppContext) -> bool:
    with read_session(ctx.engine) as s:
        return s.exec(select(Operator.id).limit(1)).first() is not None


def add_operator(ctx: AppContext, op_id: str, name: str, role: str, pin: str, actor: Actor = SYSTEM) -> Operator:
    _check_pin(pin)
    r = _role(role)
    op_id = op_id.strip()
    if not op_id or not name.strip():
        raise ServiceError("operators.id_name_required")
    require_supervisor_once_operators_exist(ctx, actor)
    with write_session(ctx.engine) as s:
        if s.get(Operator, op_id) is not None:
            raise ServiceError("operators.exists", id=op_id)
        op = Operator(id=op_id, name=name.strip(), role=r.value, pin_hash=hash_pin(pin))
        s.add(op)
        record(s, ctx.clock.now(), actor, SubjectType.OPERATOR, op_id, "operator_add", detail={"role": r.value})
    return op


@dataclass
class ImportResult:
    added: int
    updated: int
    errors: list[str]
    pins_kept: int = 0  # existing operators whose PIN in the file was ignored (no --reset-pins)


def _active_supervisors(s: Session, excluding: str | None = None) -> int:
    query = select(func.count()).select_from(Operator).where(
        Operator.role == Role.SUPERVISOR.value, Operator.active == True)  # noqa: E712
    if excluding is not None:
        query = query.where(Operator.id != excluding)
    return s.exec(query).one()


def import_operators(ctx: AppContext, path: Path, actor: Actor = SYSTEM, *, reset_pins: bool = False) -> ImportResult:
    """CSV `operator_id,name,role,pin`; bad rows are reported by row and field, good rows kept.

    An existing operator's PIN is never changed by an import (a file passed around must not reset
    anyone's PIN) unless a supervisor asks for `reset_pins`; the last active supervisor is never
    demoted (master data would be locked for good)."""
    require_supervisor_once_operators_exist(ctx, actor)
    if reset_pins and actor.role != Role.SUPERVISOR:
        raise Refused("operators.reset_pins_supervisor")
    from ops_console.services.intake_files import decode  # one encoding policy for every CSV

    try:
        text, _encoding = decode(path.read_bytes())
    except UnicodeDecodeError:
        raise ServiceError("import.bad_encoding", file=str(path)) from None
    rows = list(csv.DictReader(text.splitlines()))
    added = updated = kept = 0
    errors: list[str] = []
    now = ctx.clock.now()
    with write_session(ctx.engine) as s:
        for n, row in enumerate(rows, start=2):
            op_id = (row.get("operator_id") or row.get("id") or "").strip()
            name = (row.get("name") or "").strip()
            pin = (row.get("pin") or "").strip()
            try:
                if not op_id:
                    raise ServiceError("import.missing_field", field="operator_id")
                if not name:
                    raise ServiceError("import.missing_field", field="name")
                role = _role(row.get("role") or "")
                op = s.get(Operator, op_id)
                if op is None or reset_pins:
                    _check_pin(pin)
                if op is not None and op.role == Role.SUPERVISOR.value and role != Role.SUPERVISOR \
                        and op.active and _active_supervisors(s, excluding=op.id) == 0:
                    raise ServiceError("operators.last_supervisor", id=op.id)
            except ServiceError as exc:
                errors.append(f"{path}: row {n}: {exc.message}")
                continue
            detail: dict[str, object] = {"role": role.value}
            if op is None:
                s.add(Operator(id=op_id, name=name, role=role.value, pin_hash=hash_pin(pin)))
                added += 1
            else:
                op.name, op.role = name, role.value
                if reset_pins:
                    op.pin_hash, op.failed_pins, op.locked_until = hash_pin(pin), 0, None
                    detail["pin_reset"] = True
                elif pin:
                    kept += 1
                s.add(op)
                updated += 1
            s.flush()
            record(s, now, actor, SubjectType.OPERATOR, op_id, "operator_import", detail=detail)
    return ImportResult(added, updated, errors, kept)


def list_operators(ctx: AppContext) -> list[Operator]:
    with read_session(ctx.engine) as s:
        return list(s.exec(select(Operator).order_by(Operator.id)))


def get_actor(ctx: AppContext, op_id: str | None) -> Actor:
    """The operator a command names, without proof (the CLI asks for proof: cli/common.py); refused
    when unknown or inactive."""
    if not op_id:
        raise ServiceError("operators.required")
    with read_session(ctx.engine) as s:
        op = s.get(Operator, op_id)
    if op is None or not op.active:
        raise NotFound("operators.unknown", id=op_id)
    return Actor(op.id, op.name, Role(op.role))


def _until_text(ctx: AppContext, until: datetime) -> str:
    return until.astimezone(ctx.settings.tz).strftime("%H:%M")


def sign_in(ctx: AppContext, op_id: str, pin: str) -> Actor:
    """The one PIN check of the console and the CLI. Wrong PINs are counted per operator:
    MAX_FAILED_PINS in a row lock the operator for LOCK_MINUTES (an `operator_locked` event), and
    while locked even the right PIN is refused. The hash is computed outside the write transaction,
    so a slow check never holds the database's write lock."""
    op_id = op_id.strip()
    now = ctx.clock.now()
    with read_session(ctx.engine) as s:
        op = s.get(Operator, op_id)
    if op is None or not op.active:
        verify_pin(pin, _DUMMY_HASH)
        raise Refused("operators.bad_sign_in")
    if op.locked_until is not None and now < op.locked_until:
        raise Refused("operators.locked", id=op.id, until=_until_text(ctx, op.locked_until))
    good = verify_pin(pin, op.pin_hash)
    with write_session(ctx.engine) as s:
        row = s.get(Operator, op_id)
        if row is None or not row.active:
            raise Refused("operators.bad_sign_in")
        if good:
            if row.failed_pins or row.locked_until is not None or _rounds(row.pin_hash) < PIN_ITERATIONS:
                if _rounds(row.pin_hash) < PIN_ITERATIONS:
                    row.pin_hash = hash_pin(pin)  # an older, cheaper hash: strengthen it now
                row.failed_pins, row.locked_until = 0, None
                s.add(row)
            return Actor(row.id, row.name, Role(row.role))
        row.failed_pins += 1
        locked = row.failed_pins >= MAX_FAILED_PINS
        if locked:
            row.failed_pins, row.locked_until = 0, now + timedelta(minutes=LOCK_MINUTES)
            record(s, now, SYSTEM, SubjectType.OPERATOR, row.id, "operator_locked",
                   detail={"minutes": LOCK_MINUTES, "failed_pins": MAX_FAILED_PINS})
        s.add(row)
        until = row.locked_until
    if locked and until is not None:
        raise Refused("operators.locked", id=op_id, until=_until_text(ctx, until))
    raise Refused("operators.bad_sign_in")


def require_supervisor_once_operators_exist(ctx: AppContext, actor: Actor) -> None:
    """Master data: anyone may fill an empty database; once operators exist, a supervisor."""
    if actor.role == Role.SUPERVISOR:
        return
    if any_operators(ctx):
        raise Refused("operators.supervisor_required")


def set_active(ctx: AppContext, op_id: str, active: bool, actor: Actor) -> Operator:
    """`operators activate|deactivate`: a supervisor's act; the last active supervisor stays active."""
    if actor.role != Role.SUPERVISOR:
        raise Refused("operators.supervisor_required")
    with write_session(ctx.engine) as s:
        op = s.get(Operator, op_id.strip())
        if op is None:
            raise NotFound("operators.not_found", id=op_id)
        if op.active == active:
            return op
        if not active and op.role == Role.SUPERVISOR.value and _active_supervisors(s, excluding=op.id) == 0:
            raise Refused("operators.last_supervisor", id=op.id)
        op.active = active
        if active:
            op.failed_pins, op.locked_until = 0, None
        s.add(op)
        record(s, ctx.clock.now(), actor, SubjectType.OPERATOR, op.id,
               "operator_activate" if active else "operator_deactivate")
    return op


def set_pin(ctx: AppContext, op_id: str, pin: str, actor: Actor) -> Operator:
    """`operators set-pin`: one's own PIN, or anyone's by a supervisor (which also lifts a lockout)."""
    op_id = op_id.strip()
    if actor.id != op_id and actor.role != Role.SUPERVISOR:
        raise Refused("operators.set_pin_refused")
    _check_pin(pin)
    pin_hash = hash_pin(pin)
    with write_session(ctx.engine) as s:
        op = s.get(Operator, op_id)
        if op is None:
            raise NotFound("operators.not_found", id=op_id)
        op.pin_hash, op.failed_pins, op.locked_until = pin_hash, 0, None
        s.add(op)
        record(s, ctx.clock.now(), actor, SubjectType.OPERATOR, op.id, "operator_set_pin")
    return op


def pin_stamp(ctx: AppContext, op_id: str) -> str | None:
    """A short fingerprint of the operator's PIN hash (None when unknown or inactive): a CLI session
    signed with it ends when the PIN changes or the operator is deactivated."""
    with read_session(ctx.engine) as s:
        op = s.get(Operator, op_id)
    if op is None or not op.active:
        return None
    return hashlib.sha256(op.pin_hash.encode()).hexdigest()[:16]
