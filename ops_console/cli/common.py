"""What every command shares: settings, the clock, the context, the acting operator, output."""

from __future__ import annotations

import functools
import json
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn, ParamSpec, TypeVar

import typer
from rich.console import Console

from ops_console.clock import ClockError, clock_from_env
from ops_console.config import Settings, SettingsError, load_settings
from ops_console.i18n import set_language, t
from ops_console.services.context import SYSTEM, Actor, AppContext
from ops_console.services.database import DatabaseError, safe_url
from ops_console.services.errors import Refused, ServiceError
from ops_console.storage.db import DatabaseUrlError

console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)

P = ParamSpec("P")
R = TypeVar("R")


@dataclass
class State:
    config_path: str | None = None
    operator: str | None = None
    pin_file: str | None = None
    demo: bool = False
    _actor: Actor | None = None
    _settings: Settings | None = None
    _ctx: AppContext | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def reset(self) -> None:
        """Forget everything of a previous invocation (tests run several in one process)."""
        if self._ctx is not None:
            self._ctx.close()
        self.__init__()  # type: ignore[misc]  # reset in place: other modules hold this very object

    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = load_settings(self.config_path)
            if self.demo:
                self._settings = self._settings.replace(database={"url": "sqlite:///data/demo.db"})
            set_language(self._settings.ui.language)
        return self._settings

    def ctx(self, *, migrate: bool = True) -> AppContext:
        if self._ctx is None:
            settings = self.settings()
            self._ctx = AppContext.open(settings, clock_from_env(settings.tz), migrate=migrate)
        return self._ctx

    def db_label(self) -> str:
        """The database in use, without a password, for messages."""
        try:
            return safe_url(self.settings().database.url)
        except Exception:  # noqa: BLE001 - only for a message
            return "?"

    def session_file(self) -> Path:
        """This user's session for this database (outside the repository: services/sessions.py)."""
        from ops_console.services.sessions import session_path, state_dir

        url = self.ctx().engine.url
        if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
            url = url.set(database=str(Path(url.database).resolve()))
        return session_path(state_dir(), url.render_as_string(hide_password=False))

    def actor(self, *, required: bool = True) -> Actor:
        """The operator a command acts as, with proof once operators exist: the signed-in session
        (`login`), else the PIN of --operator / OPS_OPERATOR from OPS_PIN, --pin-file, or asked on
        the terminal. Without proof the command is refused."""
        from ops_console.services.operators import any_operators, get_actor, sign_in
        from ops_console.services.sessions import current_session

        if self._actor is not None:
            return self._actor
        op_id = (self.operator or os.environ.get("OPS_OPERATOR") or "").strip() or None
        ctx = self.ctx()
        if not any_operators(ctx):  # an empty database: no one to prove, no one to act as
            if not op_id and not required:
                return SYSTEM
            return get_actor(ctx, op_id)
        session = current_session(ctx, self.session_file())
        if session is not None and op_id in (None, session.actor.id):
            self._actor = session.actor
            return session.actor
        if not op_id:
            if not required:
                return SYSTEM
            raise ServiceError("operators.required")
        self._actor = sign_in(ctx, op_id, self.pin_for(op_id))
        return self._actor

    def pin_for(self, op_id: str) -> str:
        """The PIN for `op_id`: OPS_PIN, --pin-file (user-only), or asked on the terminal."""
        if os.environ.get("OPS_PIN"):
            return os.environ["OPS_PIN"].strip()
        if self.pin_file:
            return read_pin_file(Path(self.pin_file))
        if sys.stdin.isatty():
            import getpass

            return getpass.getpass(t("auth.pin_prompt", id=op_id))
        raise Refused("auth.proof_required", id=op_id)

    def master_data_actor(self) -> Actor:
        """Imports of master data: the system on an empty database, else the signed-in or named operator."""
        if self.operator or os.environ.get("OPS_OPERATOR"):
            return self.actor()
        from ops_console.services.operators import any_operators

        if any_operators(self.ctx()):
            return self.actor(required=False)
        return SYSTEM


def read_pin_file(path: Path) -> str:
    """A PIN file must be the user's alone (like an ssh key): one readable by others is refused."""
    import stat

    try:
        st = path.stat()
        if stat.S_IMODE(st.st_mode) & 0o077:
            raise Refused("auth.pin_file_open", file=str(path))
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ServiceError("auth.pin_file_unreadable", file=str(path), error=str(exc)) from None
    return text.strip().splitlines()[0].strip() if text.strip() else ""


state = State()


def fail(message: str, code: int = 1) -> NoReturn:
    err_console.print(f"[bold red]✗[/] {message}")
    raise typer.Exit(code)


def guarded(fn: Callable[P, R]) -> Callable[P, R]:
    """Turn the errors a person can act on into one clear line and an exit status, never a traceback."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except ServiceError as exc:
            fail(exc.message)
        except (SettingsError, ClockError, DatabaseUrlError) as exc:
            fail(str(exc), 2)
        except OSError as exc:
            fail(t("cli.os_error", error=str(exc)), 1)
        except DatabaseError as exc:
            # Unreachable server, locked or corrupt file: say which database and stop cleanly.
            fail(t("cli.db_error", url=state.db_label(), error=str(exc.orig or exc).strip().splitlines()[0]), 1)

    return wrapper


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, default=str) + "\n")


def local_time(ctx: AppContext, when: Any, fmt: str = "%Y-%m-%d %H:%M") -> str:
    if when is None:
        return ""
    return when.astimezone(ctx.settings.tz).strftime(fmt)
