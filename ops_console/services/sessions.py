"""CLI sessions: after `ops-console login` a command acts as the signed-in operator without asking the
PIN again, for `ui.session_hours`.

The session is a small JSON file in the user's own state folder (0600 in a 0700 folder, outside the
repository), one per database, signed with HMAC-SHA256 under a secret kept in the database's Meta
table: a session only works on the database that issued it, cannot be edited into another
operator's, and ends when it expires, at `logout`, or when the operator's PIN changes or the
operator is deactivated (the signature covers a fingerprint of the PIN hash).
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy.exc import IntegrityError

from ops_console.services.context import Actor, AppContext
from ops_console.services.errors import ServiceError
from ops_console.services.operators import get_actor, pin_stamp
from ops_console.storage.db import read_session, write_session
from ops_console.storage.files import private_write
from ops_console.storage.models import Meta

SECRET_KEY = "auth.session_secret"
STATE_DIR_ENV = "OPS_STATE_DIR"  # not a setting (no `__`): where sessions live, e.g. a tmp folder in tests


def state_dir(environ: Mapping[str, str] | None = None) -> Path:
    """$OPS_STATE_DIR, else $XDG_STATE_HOME/ops_console, else ~/.local/state/ops_console."""
    env = os.environ if environ is None else environ
    if env.get(STATE_DIR_ENV):
        return Path(env[STATE_DIR_ENV])
    base = env.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "ops_console"


def session_path(folder: Path, database_url: str) -> Path:
    """One session file per database, named by a hash of its URL (no password or path in the name)."""
    return folder / f"session-{hashlib.sha256(database_url.encode()).hexdigest()[:16]}.json"


def _secret(ctx: AppContext) -> bytes:
    with read_session(ctx.engine) as s:
        row = s.get(Meta, SECRET_KEY)
    if row is not None and row.value:
        return row.value.encode()
    try:
        with write_session(ctx.engine) as s:
            if s.get(Meta, SECRET_KEY) is None:
                s.add(Meta(key=SECRET_KEY, value=secrets.token_hex(32), updated_at=ctx.clock.now()))
    except IntegrityError:
        pass  # another process made it first: use theirs
    with read_session(ctx.engine) as s:
        row = s.get(Meta, SECRET_KEY)
    assert row is not None
    return row.value.encode()


def _sign(secret: bytes, payload: dict[str, object]) -> str:
    body = json.dumps(payload, sort_keys=True, ensure_ascii=True, separators=(",", ":")).encode()
    return hmac.new(secret, body, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Session:
    actor: Actor
    expires: datetime


def open_session(ctx: AppContext, actor: Actor, path: Path) -> Session:
    """Write the signed session of an operator who has just proved their PIN."""
    stamp = pin_stamp(ctx, actor.id)
    if stamp is None:
        raise ServiceError("operators.unknown", id=actor.id)
    now = ctx.clock.now()
    expires = now + timedelta(hours=ctx.settings.ui.session_hours)
    payload: dict[str, object] = {"v": 1, "operator": actor.id, "issued": now.isoformat(),
                                  "expires": expires.isoformat(), "stamp": stamp}
    payload["sig"] = _sign(_secret(ctx), payload)
    private_write(path, json.dumps(payload, ensure_ascii=False) + "\n")
    return Session(actor, expires)


def current_session(ctx: AppContext, path: Path) -> Session | None:
    """The session in `path` if it is intact, unexpired and its operator still active with the same
    PIN; None otherwise (a damaged or foreign file is simply not a session)."""
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
        sig = payload.pop("sig")
        op_id = str(payload["operator"])
        expires = datetime.fromisoformat(str(payload["expires"]))
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    if not isinstance(sig, str) or not hmac.compare_digest(sig, _sign(_secret(ctx), payload)):
        return None
    if expires.tzinfo is None or ctx.clock.now() >= expires:
        return None
    if payload.get("stamp") != pin_stamp(ctx, op_id):
        return None
    try:
        return Session(get_actor(ctx, op_id), expires)
    except ServiceError:
        return None


def close_session(path: Path) -> bool:
    """Remove the session file; False when there was none."""
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
        return True
    return False
