"""The one message catalog. Every user-visible string is looked up here, in zh_CN or en.

Messages live in ops_console/messages/*.toml, one file per area, each key a table
`{ zh_CN = "...", en = "..." }` with `{name}` placeholders. A key defined twice is an error.
"""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources
from typing import Any

LANGUAGES = ("zh_CN", "en")
_language = "zh_CN"


class CatalogError(RuntimeError):
    pass


@cache
def catalog() -> dict[str, dict[str, str]]:
    merged: dict[str, dict[str, str]] = {}
    folder = resources.files("ops_console") / "messages"
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".toml"):
            continue
        data = tomllib.loads(entry.read_text(encoding="utf-8"))
        for key, texts in data.items():
            if key in merged:
                raise CatalogError(f"message key {key!r} defined twice (again in {entry.name})")
            if not isinstance(texts, dict) or set(texts) != set(LANGUAGES):
                raise CatalogError(f"message key {key!r} in {entry.name} needs exactly {LANGUAGES}")
            merged[key] = texts
    return merged


def set_language(language: str) -> None:
    global _language
    if language not in LANGUAGES:
        raise CatalogError(f"unknown language {language!r}; expected one of {LANGUAGES}")
    _language = language


def get_language() -> str:
    return _language


class Ref(str):
    """A parameter that is itself a catalog key: translated when the message is rendered, so an
    error raised in one language reads right after the operator switches to the other."""


def t(key: str, lang: str | None = None, /, **params: Any) -> str:
    """The message `key` in the current (or given) language, with `{name}` filled from params."""
    params = {k: t(v, lang) if isinstance(v, Ref) else v for k, v in params.items()}
    texts = catalog().get(key)
    if texts is None:
        # A missing key must be visible, never a crash in front of a dispatcher.
        return key + (" " + " ".join(f"{k}={v}" for k, v in params.items()) if params else "")
    text = texts[lang or _language]
    try:
        return text.format(**params)
    except (KeyError, IndexError, ValueError):
        return text


def has(key: str) -> bool:
    return key in catalog()
