"""What every command shares: settings, the clock, the context, the acting operator, output."""

from __future__ import annotations

import functools
import json
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NoReturn, TypeVar

import typer
from rich.console import Console

from ops_console.clock import ClockError, clock_from_env
from ops_console.config import Settings, SettingsError, load_settings
from ops_console.i18n import set_language, t
from ops_console.services.context import SYSTEM, Actor, AppContext
from ops_console.services.database import DatabaseError, safe_url
from ops_console.services.errors import ServiceError
from ops_console.storage.db import DatabaseUrlError

console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)

F = TypeVar("F", bound=Callable[..., Any])


@dataclass
class State:
    config_path: str | None = None
    operator: str | None = None
    demo: bool = False
    _settings: Settings | None = None
    _ctx: AppContext | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def reset(self) -> None:
        """Forget everything of a previous invocation (tests run several in one process)."""
        if self._ctx is not None:
            self._ctx.close()
        self.__init__()  # type: ignore[misc]

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

    def actor(self, *, required: bool = True) -> Actor:
        """The operator a command acts as (--operator / OPS_OPERATOR)."""
        from ops_console.services.operators import get_actor

        op_id = self.operator or os.environ.get("OPS_OPERATOR")
        if not op_id and not required:
            return SYSTEM
        return get_actor(self.ctx(), op_id)

    def master_data_actor(self) -> Actor:
        """Imports of master data: the system on an empty database, else the named operator."""
        op_id = self.operator or os.environ.get("OPS_OPERATOR")
        return self.actor() if op_id else SYSTEM


state = State()


def fail(message: str, code: int = 1) -> NoReturn:
    err_console.print(f"[bold red]✗[/] {message}")
    raise typer.Exit(code)


def guarded(fn: F) -> F:
    """Turn the errors a person can act on into one clear line and an exit status, never a traceback."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
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

    return wrapper  # type: ignore[return-value]


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, default=str) + "\n")


def local_time(ctx: AppContext, when: Any, fmt: str = "%Y-%m-%d %H:%M") -> str:
    if when is None:
        return ""
    return when.astimezone(ctx.settings.tz).strftime(fmt)
