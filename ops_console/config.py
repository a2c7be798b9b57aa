"""One typed settings object: config.toml, then OPS_<SECTION>__<KEY> environment overrides."""

from __future__ import annotations

import dataclasses
import os
import tomllib
import typing
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ops_console.domain.money import MoneyError, yuan_to_fen


class SettingsError(ValueError):
    """A wrong type, value or unknown key; the message names the key, the value and the expectation."""


@dataclass(frozen=True)
class DatabaseSettings:
    url: str = "sqlite:///data/ops.db"


@dataclass(frozen=True)
class UiSettings:
    language: str = "zh_CN"
    timezone: str = "Asia/Shanghai"
    reveal_seconds: int = 30
    session_hours: float = 12  # a CLI `login` lasts this long


@dataclass(frozen=True)
class IntakeSettings:
    quarantine_dir: str = "data/quarantine"
    entry_minutes: int = 5
    max_date_skew_days: int = 366  # order and appointment times further from now are set aside


@dataclass(frozen=True)
class ReviewSettings:
    manual_hours: float = 2


@dataclass(frozen=True)
class ReminderSettings:
    check_seconds: int = 15
    backlog_warn_minutes: int = 10
    backlog_critical_minutes: int = 30
    backlog_max_orders: int = 20
    repeat_minutes: int = 10


def _default_picking() -> dict[str, int]:
    return {"produce": 5, "chilled": 10, "frozen": 10, "default": 15}


@dataclass(frozen=True)
class PickingSettings:
    sla_minutes: dict[str, int] = field(default_factory=_default_picking)


@dataclass(frozen=True)
class DispatchSettings:
    wait_minutes_before_escalation: int = 10
    appointment_lead_minutes: int = 20
    decision_minutes: int = 15
    # Province / city / district names of the area the stores deliver to (the demo district by
    # default). Keyword learning proposes nothing from an address naming another; empty: no check.
    service_area: list[str] = field(default_factory=lambda: ["江苏省", "淮渚市", "柳汀区"])


@dataclass(frozen=True)
class DeliverySettings:
    sla_minutes: int = 45
    promise_minutes: int = 60
    auto_confirm_hours: float = 24


@dataclass(frozen=True)
class ReturnsSettings:
    window_days: int = 7
    produce_window_hours: int = 24
    contact_hours: int = 24
    refund_workdays: int = 3
    holidays: list[str] = field(default_factory=list)
    extra_workdays: list[str] = field(default_factory=list)
    remind_before_hours: float = 4


@dataclass(frozen=True)
class ReplenishmentSettings:
    window: str = "13:00-15:00"


@dataclass(frozen=True)
class AnomalySettings:
    history_days: int = 56
    history_points: int = 20
    min_history: int = 5
    surge_k: float = 4.0
    surge_min_ratio: float = 1.5
    amount_cap_customer_cod: float = 1000.00
    amount_cap_replenishment: float = 20000.00
    duplicate_minutes: int = 10
    weight_tolerance_pct: float = 5
    tracking_stale_minutes: int = 30
    overdue_factor: float = 2
    ack_timeout_minutes: int = 30


@dataclass(frozen=True)
class CashSettings:
    float_default: float = 200.00
    tolerance: float = 0.00  # yuan: cash collected may differ from the amount due by this without a reason


@dataclass(frozen=True)
class BackupSettings:
    every_days: int = 1
    keep: int = 30


@dataclass(frozen=True)
class Settings:
    database: DatabaseSettings = field(default_factory=DatabaseSettings)
    ui: UiSettings = field(default_factory=UiSettings)
    intake: IntakeSettings = field(default_factory=IntakeSettings)
    review: ReviewSettings = field(default_factory=ReviewSettings)
    reminders: ReminderSettings = field(default_factory=ReminderSettings)
    picking: PickingSettings = field(default_factory=PickingSettings)
    dispatch: DispatchSettings = field(default_factory=DispatchSettings)
    delivery: DeliverySettings = field(default_factory=DeliverySettings)
    returns: ReturnsSettings = field(default_factory=ReturnsSettings)
    replenishment: ReplenishmentSettings = field(default_factory=ReplenishmentSettings)
    anomaly: AnomalySettings = field(default_factory=AnomalySettings)
    cash: CashSettings = field(default_factory=CashSettings)
    backup: BackupSettings = field(default_factory=BackupSettings)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.ui.timezone)

    def fen(self, yuan: float) -> int:
        return yuan_to_fen(f"{yuan:.2f}")

    def replace(self, **sections: dict[str, Any]) -> Settings:
        """A copy with some keys changed, validated like the file: `replace(ui={"language": "en"})`."""
        raw = dataclasses.asdict(self)
        for section, values in sections.items():
            raw.setdefault(section, {}).update(values)
        return _build(raw, "replace()")


NOT_SETTINGS = frozenset({"OPS_CONFIG", "OPS_NOW", "OPS_OPERATOR", "OPS_PIN", "OPS_STATE_DIR", "OPS_TEST_POSTGRES_URL"})
LANGUAGES = ("zh_CN", "en")


def default_config_path() -> Path:
    return Path(os.environ.get("OPS_CONFIG", "config.toml"))


def load_settings(path: Path | str | None = None, environ: dict[str, str] | None = None) -> Settings:
    """Read config.toml (missing file = defaults), apply env overrides, validate everything."""
    env = os.environ if environ is None else environ
    cfg_path = Path(path) if path is not None else Path(env.get("OPS_CONFIG", "config.toml"))
    raw: dict[str, Any] = {}
    if cfg_path.exists():
        try:
            raw = tomllib.loads(cfg_path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise SettingsError(f"{cfg_path}: not valid TOML: {exc}") from exc
    elif path is not None:
        raise SettingsError(f"{cfg_path}: configuration file not found")
    for name, value in env.items():
        if not name.startswith("OPS_") or name in NOT_SETTINGS or "__" not in name:
            continue
        section, _, key = name[4:].partition("__")
        section, key = section.lower(), key.lower()
        raw.setdefault(section, {})
        if not isinstance(raw[section], dict):
            raise SettingsError(f"{name}: [{section}] is not a section")
        raw[section][key] = _EnvValue(name, value)
    return _build(raw, str(cfg_path))


@dataclass(frozen=True)
class _EnvValue:
    name: str
    text: str


def _build(raw: dict[str, Any], origin: str) -> Settings:
    sections: dict[str, Any] = {}
    section_fields = {f.name: f for f in dataclasses.fields(Settings)}
    for section, values in raw.items():
        if section not in section_fields:
            raise SettingsError(
                f"{origin}: unknown section [{section}] (known: {', '.join(sorted(section_fields))})"
            )
        if not isinstance(values, dict):
            raise SettingsError(f"{origin}: [{section}] must be a table of keys")
        cls = typing.get_type_hints(Settings)[section]
        hints = typing.get_type_hints(cls)
        kwargs: dict[str, Any] = {}
        for key, value in values.items():
            if key not in hints:
                raise SettingsError(
                    f"{_where(value, origin)}: unknown key {section}.{key} (known: {', '.join(sorted(hints))})"
                )
            kwargs[key] = _coerce(f"{section}.{key}", value, hints[key], origin)
        sections[section] = cls(**kwargs)
    settings = Settings(**sections)
    _check(settings)
    return settings


def _where(value: Any, origin: str) -> str:
    return value.name if isinstance(value, _EnvValue) else origin


def _coerce(key: str, value: Any, hint: Any, origin: str) -> Any:
    where = _where(value, origin)
    if isinstance(value, _EnvValue):
        value = _parse_env(value.text, hint)
    expected = {int: "a whole number", float: "a number", str: "text"}
    origin_type = typing.get_origin(hint)
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise SettingsError(f"{where}: {key} = {value!r}: expected {expected[int]}")
        return value
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise SettingsError(f"{where}: {key} = {value!r}: expected {expected[float]}")
        return float(value)
    if hint is str:
        if not isinstance(value, str):
            raise SettingsError(f"{where}: {key} = {value!r}: expected {expected[str]}")
        return value
    if origin_type is dict:
        if not isinstance(value, dict) or not all(
            isinstance(v, int) and not isinstance(v, bool) for v in value.values()
        ):
            raise SettingsError(
                f"{where}: {key} = {value!r}: expected a table of whole numbers, e.g. {{produce = 5, default = 15}}"
            )
        return dict(value)
    if origin_type is list:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise SettingsError(f"{where}: {key} = {value!r}: expected a list of texts")
        return list(value)
    raise SettingsError(f"{where}: {key}: unsupported setting type {hint}")  # pragma: no cover


def _parse_env(text: str, hint: Any) -> Any:
    """Env values are text; numbers, tables and lists are read as TOML values."""
    if hint is str:
        return text
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def _check(s: Settings) -> None:
    if s.ui.language not in LANGUAGES:
        raise SettingsError(f"ui.language = {s.ui.language!r}: expected one of {', '.join(LANGUAGES)}")
    try:
        ZoneInfo(s.ui.timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise SettingsError(f"ui.timezone = {s.ui.timezone!r}: expected an IANA time zone such as Asia/Shanghai") from exc
    if "default" not in s.picking.sla_minutes:
        raise SettingsError(f"picking.sla_minutes = {s.picking.sla_minutes!r}: expected a `default` entry")
    if s.reminders.backlog_warn_minutes >= s.reminders.backlog_critical_minutes:
        raise SettingsError(
            f"reminders.backlog_warn_minutes = {s.reminders.backlog_warn_minutes}: expected less than "
            f"backlog_critical_minutes ({s.reminders.backlog_critical_minutes})"
        )
    positive = {
        "reminders.check_seconds": s.reminders.check_seconds,
        "reminders.repeat_minutes": s.reminders.repeat_minutes,
        "delivery.sla_minutes": s.delivery.sla_minutes,
        "dispatch.decision_minutes": s.dispatch.decision_minutes,
        "ui.reveal_seconds": s.ui.reveal_seconds,
        "ui.session_hours": s.ui.session_hours,
        "intake.max_date_skew_days": s.intake.max_date_skew_days,
    }
    for key, value in positive.items():
        if value <= 0:
            raise SettingsError(f"{key} = {value}: expected a positive number")
    _parse_window(s.replenishment.window)
    for key, days in (("returns.holidays", s.returns.holidays), ("returns.extra_workdays", s.returns.extra_workdays)):
        for day in days:
            try:
                date.fromisoformat(day)
            except ValueError:
                raise SettingsError(f"{key} = {days!r}: {day!r} is not a date (expected YYYY-MM-DD)") from None
    if not 0 <= s.cash.tolerance <= 1_000_000:
        raise SettingsError(f"cash.tolerance = {s.cash.tolerance}: expected yuan from 0.00 up")
    for key, yuan in (
        ("anomaly.amount_cap_customer_cod", s.anomaly.amount_cap_customer_cod),
        ("anomaly.amount_cap_replenishment", s.anomaly.amount_cap_replenishment),
        ("cash.float_default", s.cash.float_default),
        ("cash.tolerance", s.cash.tolerance),
    ):
        try:
            yuan_to_fen(f"{yuan:.2f}")
        except MoneyError as exc:  # pragma: no cover - floats always format
            raise SettingsError(f"{key} = {yuan}: expected yuan with two decimals") from exc


def _parse_window(text: str) -> tuple[int, int]:
    try:
        start, end = text.split("-")
        h1, m1 = (int(x) for x in start.strip().split(":"))
        h2, m2 = (int(x) for x in end.strip().split(":"))
    except ValueError as exc:
        raise SettingsError(f"replenishment.window = {text!r}: expected \"HH:MM-HH:MM\"") from exc
    a, b = h1 * 60 + m1, h2 * 60 + m2
    if not (0 <= a < b <= 24 * 60):
        raise SettingsError(f"replenishment.window = {text!r}: expected a start before the end within one day")
    return a, b


def replenishment_window_minutes(s: Settings) -> tuple[int, int]:
    """The window as minutes after local midnight."""
    return _parse_window(s.replenishment.window)
