"""One catalog: every key in both languages, every key the code uses exists."""

from __future__ import annotations

import re
from pathlib import Path

from ops_console.i18n import LANGUAGES, Ref, catalog, set_language, t

ROOT = Path(__file__).parent.parent / "ops_console"
LITERAL_KEY = re.compile(r"""\b(?:t|Ref|ServiceError|Refused|Conflict|NotFound|RuleError)\(\s*["']([a-z_]+\.[a-z0-9_.]+)["']""")


def test_every_message_in_both_languages() -> None:
    for key, texts in catalog().items():
        assert set(texts) == set(LANGUAGES), key
        assert all(texts[lang].strip() for lang in LANGUAGES), key
        assert set(re.findall(r"{(\w+)}", texts["zh_CN"])) == set(re.findall(r"{(\w+)}", texts["en"])), key


def test_every_literal_key_in_the_code_exists() -> None:
    missing = []
    for path in ROOT.rglob("*.py"):
        for key in LITERAL_KEY.findall(path.read_text(encoding="utf-8")):
            if key not in catalog():
                missing.append(f"{path.relative_to(ROOT)}: {key}")
    assert missing == []


def test_nested_keys_follow_the_language() -> None:
    set_language("en")
    assert t("lifecycle.role_refused", role=Ref("role.customer_service"), action=Ref("action.assign")) == \
        "a customer service may not assign"
    set_language("zh_CN")
    assert "客服" in t("lifecycle.role_refused", role=Ref("role.customer_service"), action=Ref("action.assign"))
