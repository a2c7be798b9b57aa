"""What every service call needs: the settings, the one clock and the database engine."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.engine import Engine

from ops_console.clock import Clock, clock_from_env
from ops_console.config import Settings, load_settings
from ops_console.domain.types import Role
from ops_console.storage.db import make_engine
from ops_console.storage.migrate import upgrade


@dataclass(frozen=True)
class Actor:
    """Who acts: an operator, or the system (intake, scheduler, simulator)."""

    id: str
    name: str
    role: Role

    @property
    def is_system(self) -> bool:
        return self.role == Role.SYSTEM


SYSTEM = Actor("system", "system", Role.SYSTEM)


@dataclass
class AppContext:
    settings: Settings
    clock: Clock
    engine: Engine
    cache: dict[str, object] = field(default_factory=dict)  # per-process caches (e.g. the matcher)

    @classmethod
    def open(
        cls,
        settings: Settings | None = None,
        clock: Clock | None = None,
        *,
        url: str | None = None,
        migrate: bool = True,
    ) -> AppContext:
        settings = settings or load_settings()
        clock = clock or clock_from_env(settings.tz)
        engine = make_engine(url or settings.database.url)
        if migrate:
            upgrade(engine)
        return cls(settings, clock, engine)

    @property
    def data_dir(self) -> Path:
        return Path("data")

    def close(self) -> None:
        self.engine.dispose()
