"""Operators: who may sign in, with which role; PINs are stored hashed."""

from __future__ import annotations

import csv
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from pathlib import Path

from sqlmodel import select

from ops_console.domain.types import HUMAN_ROLES, Role, SubjectType
from ops_console.services.context import SYSTEM, Actor, AppContext
from ops_console.services.errors import NotFound, Refused, ServiceError
from ops_console.services.events import record
from ops_console.storage.db import read_session, write_session
from ops_console.storage.models import Operator

_ITER = 120_000


def hash_pin(pin: str, salt: str | None = None) -> str:
    salt = salt or secrets.token_hex(8)
    digest = hashlib.pbkdf2_hmac("sha256", pin.encode(), salt.encode(), _ITER).hex()
    return f"pbkdf2_sha256${_ITER}${salt}${digest}"


def verify_pin(pin: str, stored: str) -> bool:
    try:
        _, iters, salt, digest = stored.split("$")
    except ValueError:
        return False
    check = hashlib.pbkdf2_hmac("sha256", pin.encode(), salt.encode(), int(iters)).hex()
    return hmac.compare_digest(check, digest)


def _role(value: str) -> Role:
    try:
        role = Role(value.strip())
    except ValueError:
        role = None  # type: ignore[assignment]
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


def import_operators(ctx: AppContext, path: Path, actor: Actor = SYSTEM) -> ImportResult:
    """CSV `operator_id,name,role,pin`; bad rows are reported by row and field, good rows kept."""
    require_supervisor_once_operators_exist(ctx, actor)
    from ops_console.services.intake_files import decode  # one encoding policy for every CSV

    try:
        text, _encoding = decode(path.read_bytes())
    except UnicodeDecodeError:
        raise ServiceError("import.bad_encoding", file=str(path)) from None
    rows = list(csv.DictReader(text.splitlines()))
    added = updated = 0
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
                _check_pin(pin)
            except ServiceError as exc:
                errors.append(f"{path}: row {n}: {exc.message}")
                continue
            op = s.get(Operator, op_id)
            if op is None:
                s.add(Operator(id=op_id, name=name, role=role.value, pin_hash=hash_pin(pin)))
                added += 1
            else:
                op.name, op.role, op.pin_hash = name, role.value, hash_pin(pin)
                updated += 1
            record(s, now, actor, SubjectType.OPERATOR, op_id, "operator_import", detail={"role": role.value})
    return ImportResult(added, updated, errors)


def list_operators(ctx: AppContext) -> list[Operator]:
    with read_session(ctx.engine) as s:
        return list(s.exec(select(Operator).order_by(Operator.id)))


def get_actor(ctx: AppContext, op_id: str | None) -> Actor:
    """The operator a command acts as; refused when unknown or inactive."""
    if not op_id:
        raise ServiceError("operators.required")
    with read_session(ctx.engine) as s:
        op = s.get(Operator, op_id)
    if op is None or not op.active:
        raise NotFound("operators.unknown", id=op_id)
    return Actor(op.id, op.name, Role(op.role))


def sign_in(ctx: AppContext, op_id: str, pin: str) -> Actor:
    with read_session(ctx.engine) as s:
        op = s.get(Operator, op_id.strip())
    if op is None or not op.active or not verify_pin(pin, op.pin_hash):
        raise Refused("operators.bad_sign_in")
    return Actor(op.id, op.name, Role(op.role))


def require_supervisor_once_operators_exist(ctx: AppContext, actor: Actor) -> None:
    """Master data: anyone may fill an empty database; once operators exist, a supervisor."""
    if actor.role == Role.SUPERVISOR:
        return
    if any_operators(ctx):
        raise Refused("operators.supervisor_required")
