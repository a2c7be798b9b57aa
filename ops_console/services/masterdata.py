"""Master data from CSV: stores (with their address keywords), couriers, SKUs; and their lists.

Same encodings as intake (UTF-8, UTF-8 with BOM, GB18030/GBK), English or Chinese headers.
A bad row is refused with a message naming file, row and field; the good rows are kept (added
or updated by id). Once operators exist only a supervisor may import. Every change is an Event.

- stores  `store_id,name,kind,phone,keywords` — keywords separated by `|`. A keyword claimed by
  two stores (in the file, or in the file and the database) is refused on each claiming row,
  naming the stores. Importing a store replaces the keywords it got from earlier imports;
  keywords learned from dispatchers stay.
- couriers `courier_id,name,tier,store_id,phone,capacity[,float]` — the store must exist; company and
  store-staff couriers need one.
- skus `sku,name,category,unit,step,unit_price,stock,weight_g` — price in yuan.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from sqlmodel import col, select

from ops_console.domain.address import normalize_keyword
from ops_console.domain.intake import (
    FieldError,
    Problem,
    Unit,
    category_of,
    is_blank,
    parse_amount,
    parse_phone_field,
)
from ops_console.domain.money import fen_to_yuan
from ops_console.domain.types import StoreKind, SubjectType, Tier
from ops_console.services.context import SYSTEM, Actor, AppContext
from ops_console.services.events import record
from ops_console.services.intake_files import IntakeFileError, describe, read_intake_file
from ops_console.services.operators import require_supervisor_once_operators_exist
from ops_console.storage.db import read_session, write_session
from ops_console.storage.models import Courier, Sku, Store, StoreKeyword

KEYWORD_SPLIT = re.compile(r"[|｜]")
_ID = re.compile(r"^[^\s]+$")

STORE_HEADERS: dict[str, tuple[str, ...]] = {
    "store_id": ("store_id", "门店编号", "id"),
    "name": ("name", "门店名称", "名称", "店名"),
    "kind": ("kind", "类型"),
    "phone": ("phone", "电话", "联系电话"),
    "keywords": ("keywords", "关键词"),
}
COURIER_HEADERS: dict[str, tuple[str, ...]] = {
    "courier_id": ("courier_id", "配送员编号", "id"),
    "name": ("name", "姓名"),
    "tier": ("tier", "层级", "类别"),
    "store_id": ("store_id", "门店编号"),
    "phone": ("phone", "电话", "手机号", "联系电话"),
    "capacity": ("capacity", "运力", "容量"),
    "float": ("float", "cash_float", "备用金"),  # delivery (#16): change float in yuan; empty = cash.float_default
}
SKU_HEADERS: dict[str, tuple[str, ...]] = {
    "sku": ("sku", "商品编码", "code"),
    "name": ("name", "商品名称"),
    "category": ("category", "品类"),
    "unit": ("unit", "单位"),
    "step": ("step", "步长", "起订倍数"),
    "unit_price": ("unit_price", "单价", "price"),
    "stock": ("stock", "库存"),
    "weight_g": ("weight_g", "重量(g)", "重量"),
}
STORE_KINDS = {"self": StoreKind.SELF, "自营": StoreKind.SELF, "franchise": StoreKind.FRANCHISE,
               "加盟": StoreKind.FRANCHISE}  # fmt: skip
TIERS = {t.value: t for t in Tier} | {"公司": Tier.COMPANY, "自有": Tier.COMPANY, "第三方": Tier.THIRD_PARTY,
                                      "门店员工": Tier.STORE_STAFF, "店员": Tier.STORE_STAFF, "应急": Tier.EMERGENCY,
                                      "应急团队": Tier.EMERGENCY}  # fmt: skip
TIERS_WITH_STORE = (Tier.COMPANY, Tier.STORE_STAFF)


@dataclass
class ImportResult:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[str] = field(default_factory=list)  # one line per problem (refused rows, refused keywords)
    warnings: list[str] = field(default_factory=list)
    rejected_rows: list[int] = field(default_factory=list)

    @property
    def rejected(self) -> int:
        return len(self.rejected_rows)

    @property
    def ok(self) -> bool:
        return not self.errors


# --------------------------------------------------------------------------- reading


def _norm(text: str) -> str:
    return re.sub(r"[\s_\-]+", "", unicodedata.normalize("NFKC", text).strip().lstrip("\ufeff").lower())


@dataclass
class _Rows:
    source: str
    rows: list[tuple[int, dict[str, str], dict[str, str]]]  # (row number, field → cell, field → header)
    problems: list[Problem]  # row-level (width)
    warnings: list[Problem]


def _read(path: Path, headers: dict[str, tuple[str, ...]]) -> _Rows:
    file = read_intake_file(path)
    if file.fmt != "csv":
        raise IntakeFileError(path, "masterdata.not_csv")
    aliases = {_norm(a): name for name, names in headers.items() for a in names}
    fields: list[str | None] = []
    columns: dict[str, str] = {}
    unknown: list[str] = []
    for h in file.header:
        name = aliases.get(_norm(h))
        if name is None or name in columns:
            fields.append(None)
            if name is None and h.strip():
                unknown.append(h.strip())
        else:
            fields.append(name)
            columns[name] = h.strip()
    out = _Rows(file.name, [], [], [])
    if unknown:
        out.warnings.append(Problem("intake.column.unknown", 1, None, None, {"columns": ", ".join(unknown)}))
    width = len(file.header)
    for number, cells in file.rows:
        if all(is_blank(c) for c in cells):
            continue
        if number in file.row_problems:  # not readable as written (a stray quote …): named, not taken
            out.problems.append(file.row_problems[number])
            continue
        if len(cells) != width:
            out.problems.append(Problem("intake.row.width", number, None, None, {"found": len(cells), "expected": width}))
            continue
        values = {name: cells[i].strip() for i, name in enumerate(fields) if name is not None}
        out.rows.append((number, values, {name: columns.get(name, name) for name in headers}))
    return out


class _Row:
    """One row: its fields parsed into `out`, its problems collected (not raised)."""

    def __init__(self, number: int, values: dict[str, str], columns: dict[str, str], id_field: str) -> None:
        self.number, self.values, self.columns, self.id_field = number, values, columns, id_field
        self.problems: list[Problem] = []
        self.out: dict[str, Any] = {}
        self.keywords: dict[str, str] = {}  # stores: normalized → as written

    @property
    def id(self) -> str:
        return str(self.out.get(self.id_field) or "")

    def __getitem__(self, name: str) -> Any:
        return self.out.get(name)

    def take(self, name: str, parse: Callable[[str], Any], *, required: bool = False, default: Any = None) -> None:
        self.out[name] = self.get(name, parse, required=required, default=default)

    def problem(self, name: str, key: str, **params: Any) -> None:
        self.problems.append(Problem(key, self.number, name, self.columns.get(name, name), params))

    def get(self, name: str, parse: Callable[[str], Any], *, required: bool = False, default: Any = None) -> Any:
        text = self.values.get(name, "")
        if not text:
            if required:
                self.problem(name, "intake.required")
            return default
        try:
            return parse(text)
        except FieldError as exc:
            self.problems.append(Problem(exc.key, self.number, name, self.columns.get(name, name), exc.params))
            return default


def _ident(limit: int) -> Callable[[str], str]:
    def parse(text: str) -> str:
        if len(text) > limit:
            raise FieldError("intake.value.too_long", limit=limit, length=len(text))
        if not _ID.match(text):
            raise FieldError("masterdata.id.invalid", value=text)
        return text

    return parse


def _text(limit: int) -> Callable[[str], str]:
    def parse(text: str) -> str:
        if len(text) > limit:
            raise FieldError("intake.value.too_long", limit=limit, length=len(text))
        return text

    return parse


def _whole(minimum: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            number = Decimal(text.replace(",", ""))
        except InvalidOperation:
            raise FieldError("masterdata.int.invalid", value=text, min=minimum) from None
        if not number.is_finite() or number != number.to_integral_value() or number < minimum or number > 10**9:
            raise FieldError("masterdata.int.invalid", value=text, min=minimum)
        return int(number)

    return parse


def _choice(table: dict[str, Any], key: str) -> Callable[[str], Any]:
    def parse(text: str) -> Any:
        found = table.get(text.strip().lower()) or table.get(text.strip())
        if found is None:
            raise FieldError(key, value=text, known=", ".join(sorted({str(v) for v in table.values()})))
        return found

    return parse


def _finish(result: ImportResult, data: _Rows, refused: dict[int, list[Problem]], lang: str | None,
            refused_values: list[Problem] | None = None) -> None:  # fmt: skip
    """Messages for the refused rows, and for values refused from rows that were taken."""
    problems = sorted([*data.problems, *(p for ps in refused.values() for p in ps)], key=lambda p: p.position or 0)
    result.rejected_rows = sorted({p.position for p in problems if p.position is not None})
    problems = sorted([*problems, *(refused_values or [])], key=lambda p: p.position or 0)
    result.errors = [describe(p, data.source, Unit.ROW, lang) for p in problems]
    result.warnings = [describe(w, data.source, Unit.ROW, lang) for w in data.warnings]


def _first_of_each_id(rows: list[_Row], refused: dict[int, list[Problem]]) -> list[_Row]:
    """The same id twice in one file: the later row is refused, naming the first."""
    first: dict[str, int] = {}
    out = []
    for row in rows:
        ident = row.id
        if ident in first:
            refused.setdefault(row.number, []).append(
                Problem("masterdata.id.repeated", row.number, row.id_field, row.columns.get(row.id_field),
                        {"id": ident, "row": first[ident]}))  # fmt: skip
            continue
        first[ident] = row.number
        out.append(row)
    return out


# --------------------------------------------------------------------------- stores


def import_stores(ctx: AppContext, path: Path | str, actor: Actor = SYSTEM, *, lang: str | None = None) -> ImportResult:
    require_supervisor_once_operators_exist(ctx, actor)
    data = _read(Path(path), STORE_HEADERS)
    result = ImportResult()
    refused: dict[int, list[Problem]] = {}
    parsed: list[_Row] = []
    for number, values, columns in data.rows:
        row = _Row(number, values, columns, "store_id")
        row.take("store_id", _ident(32), required=True)
        row.take("name", _text(100), required=True)
        row.take("kind", _choice(STORE_KINDS, "masterdata.kind.unknown"), default=StoreKind.SELF)
        row.take("phone", parse_phone_field, default="")
        keywords = row.keywords
        for kw in KEYWORD_SPLIT.split(values.get("keywords", "")):
            kw = kw.strip()
            if not kw:
                continue
            if len(kw) > 200:
                row.problem("keywords", "intake.value.too_long", limit=200, length=len(kw))
                continue
            keywords.setdefault(normalize_keyword(kw) or kw, kw)
        if row.problems:
            refused[number] = row.problems
        else:
            parsed.append(row)
    parsed = _first_of_each_id(parsed, refused)
    keyword_problems: list[Problem] = []
    now = ctx.clock.now()
    with write_session(ctx.engine) as s:
        stored = list(s.exec(select(StoreKeyword)))
        in_file = {r.id for r in parsed}
        # Who claims each (normalized) keyword: the file's rows, and the database's keywords that
        # the file does not replace (other stores', and anything learned or entered by hand).
        claims: dict[str, dict[str, list[int]]] = {}
        for kw in stored:
            if kw.store_id not in in_file or kw.source != "import":
                claims.setdefault(normalize_keyword(kw.keyword) or kw.keyword, {}).setdefault(kw.store_id, [])
        for r in parsed:
            for norm in r.keywords:
                claims.setdefault(norm, {}).setdefault(r.id, []).append(r.number)
        # A keyword two stores claim goes to neither (the store itself is still taken): reported.
        for r in parsed:
            for norm in [n for n in r.keywords if len(claims[n]) > 1]:
                keyword_problems.append(Problem("masterdata.keyword.claimed", r.number, "keywords",
                                                r.columns.get("keywords"),
                                                {"keyword": r.keywords.pop(norm), "stores": ", ".join(sorted(claims[norm]))}))  # fmt: skip
        good = parsed
        by_store: dict[str, list[StoreKeyword]] = {}
        for kw in stored:
            by_store.setdefault(kw.store_id, []).append(kw)
        # Removals first, so a keyword moving from one store to another never meets itself.
        added_kw: dict[str, list[str]] = {}
        removed_kw: dict[str, list[str]] = {}
        for r in good:
            for kw in by_store.get(r.id, []):
                if kw.source == "import" and (normalize_keyword(kw.keyword) or kw.keyword) not in r.keywords:
                    removed_kw.setdefault(r.id, []).append(kw.keyword)
                    s.delete(kw)
        s.flush()
        for r in good:
            store = s.get(Store, r.id)
            before = None if store is None else (store.name, store.kind, store.phone, store.active)
            if store is None:
                store = Store(id=r.id, name=r["name"], kind=r["kind"].value, phone=r["phone"], active=True)
                result.added += 1
            else:
                store.name, store.kind, store.phone, store.active = r["name"], r["kind"].value, r["phone"], True
            s.add(store)
            s.flush()
            have = {normalize_keyword(kw.keyword) or kw.keyword for kw in by_store.get(r.id, [])
                    if kw.keyword not in removed_kw.get(r.id, [])}  # fmt: skip
            for norm, kw in r.keywords.items():
                if norm not in have:
                    s.add(StoreKeyword(keyword=kw, store_id=r.id, source="import", created_at=now, created_by=actor.id))
                    added_kw.setdefault(r.id, []).append(kw)
            changed = before != (store.name, store.kind, store.phone, store.active)
            if before is not None:
                if changed or added_kw.get(r.id) or removed_kw.get(r.id):
                    result.updated += 1
                else:
                    result.unchanged += 1
            if before is None or changed or added_kw.get(r.id) or removed_kw.get(r.id):
                record(s, now, actor, SubjectType.STORE, r.id, "store_import",
                       detail={"name": r["name"], "kind": r["kind"].value, "created": before is None,
                               "keywords_added": added_kw.get(r.id, []), "keywords_removed": removed_kw.get(r.id, [])})  # fmt: skip
            for kw in added_kw.get(r.id, []):
                record(s, now, actor, SubjectType.KEYWORD, kw, "keyword_add", detail={"store_id": r.id, "source": "import"})
            for kw in removed_kw.get(r.id, []):
                record(s, now, actor, SubjectType.KEYWORD, kw, "keyword_remove", detail={"store_id": r.id, "source": "import"})
    _finish(result, data, refused, lang, keyword_problems)
    return result


# --------------------------------------------------------------------------- couriers


def import_couriers(ctx: AppContext, path: Path | str, actor: Actor = SYSTEM, *, lang: str | None = None) -> ImportResult:
    require_supervisor_once_operators_exist(ctx, actor)
    data = _read(Path(path), COURIER_HEADERS)
    result = ImportResult()
    refused: dict[int, list[Problem]] = {}
    now = ctx.clock.now()
    with write_session(ctx.engine) as s:
        stores = set(s.exec(select(Store.id).where(Store.active)))
        parsed: list[_Row] = []
        for number, values, columns in data.rows:
            row = _Row(number, values, columns, "courier_id")
            row.take("courier_id", _ident(32), required=True)
            row.take("name", _text(100), required=True)
            row.take("tier", _choice(TIERS, "masterdata.tier.unknown"), required=True)
            row.take("store_id", _ident(32))
            row.take("phone", parse_phone_field, default="")
            row.take("capacity", _whole(1), default=1)
            row.take("float", parse_amount)
            store, tier = row["store_id"], row["tier"]
            if store and store not in stores:
                row.problem("store_id", "masterdata.store.unknown", store_id=store)
            elif not store and tier in TIERS_WITH_STORE and "store_id" not in {p.field for p in row.problems}:
                row.problem("store_id", "masterdata.store.required", tier=tier.value)
            if row.problems:
                refused[number] = row.problems
            else:
                parsed.append(row)
        for r in _first_of_each_id(parsed, refused):
            courier = s.get(Courier, r.id)
            new = (r["name"], r["tier"].value, r["store_id"] or None, r["phone"], r["capacity"], True)
            if courier is None:
                courier = Courier(id=r.id, name=new[0], tier=new[1], store_id=new[2], phone=new[3], capacity=new[4],
                                  active=True)  # fmt: skip
                result.added += 1
            else:
                before = (courier.name, courier.tier, courier.store_id, courier.phone, courier.capacity, courier.active)
                float_same = "float" not in r.values or courier.cash_float == r["float"]
                if before == new and float_same:
                    result.unchanged += 1
                    continue
                (courier.name, courier.tier, courier.store_id, courier.phone, courier.capacity, courier.active) = new
                result.updated += 1
            if "float" in r.values:  # delivery (#16): the float changes only where the file has the column
                courier.cash_float = r["float"]
            s.add(courier)
            record(s, now, actor, SubjectType.COURIER, r.id, "courier_import",
                   detail={"name": new[0], "tier": new[1], "store_id": new[2], "capacity": new[4]})
    _finish(result, data, refused, lang)
    return result


# --------------------------------------------------------------------------- SKUs


def import_skus(ctx: AppContext, path: Path | str, actor: Actor = SYSTEM, *, lang: str | None = None) -> ImportResult:
    require_supervisor_once_operators_exist(ctx, actor)
    data = _read(Path(path), SKU_HEADERS)
    result = ImportResult()
    refused: dict[int, list[Problem]] = {}
    parsed: list[_Row] = []
    for number, values, columns in data.rows:
        row = _Row(number, values, columns, "sku")
        row.take("sku", _ident(64), required=True)
        row.take("name", _text(200), required=True)
        row.out["category"] = category_of(values.get("category"))
        row.take("unit", _text(16), default="")
        row.take("step", _whole(1), default=1)
        row.take("unit_price", parse_amount, required=True)
        row.take("stock", _whole(0), default=0)
        row.take("weight_g", _whole(0))
        if row.problems:
            refused[number] = row.problems
        else:
            parsed.append(row)
    now = ctx.clock.now()
    with write_session(ctx.engine) as s:
        for r in _first_of_each_id(parsed, refused):
            sku = s.get(Sku, r.id)
            new = (r["name"], r["category"].value, r["unit"], r["step"], r["unit_price"], r["stock"], r["weight_g"])
            if sku is None:
                sku = Sku(code=r.id, name=new[0], category=new[1], unit=new[2], step=new[3], price=new[4], stock=new[5],
                          weight_g=new[6])  # fmt: skip
                result.added += 1
            else:
                before = (sku.name, sku.category, sku.unit, sku.step, sku.price, sku.stock, sku.weight_g)
                if before == new:
                    result.unchanged += 1
                    continue
                (sku.name, sku.category, sku.unit, sku.step, sku.price, sku.stock, sku.weight_g) = new
                result.updated += 1
            s.add(sku)
            record(s, now, actor, SubjectType.SKU, r.id, "sku_import",
                   detail={"price": fen_to_yuan(new[4]), "stock": new[5], "step": new[3]})
    _finish(result, data, refused, lang)
    return result


# --------------------------------------------------------------------------- lists


def list_stores(ctx: AppContext) -> list[dict[str, Any]]:
    with read_session(ctx.engine) as s:
        keywords: dict[str, list[str]] = {}
        for kw in s.exec(select(StoreKeyword).order_by(col(StoreKeyword.id))):
            keywords.setdefault(kw.store_id, []).append(kw.keyword)
        return [{"store_id": st.id, "name": st.name, "kind": st.kind, "phone": st.phone, "active": st.active,
                 "keywords": keywords.get(st.id, [])}
                for st in s.exec(select(Store).order_by(Store.id))]  # fmt: skip


def list_couriers(ctx: AppContext) -> list[dict[str, Any]]:
    with read_session(ctx.engine) as s:
        return [{"courier_id": c.id, "name": c.name, "tier": c.tier, "store_id": c.store_id, "phone": c.phone,
                 "capacity": c.capacity, "active": c.active, "on_duty": c.on_duty}
                for c in s.exec(select(Courier).order_by(Courier.id))]  # fmt: skip


def list_skus(ctx: AppContext) -> list[dict[str, Any]]:
    with read_session(ctx.engine) as s:
        return [{"sku": k.code, "name": k.name, "category": k.category, "unit": k.unit, "step": k.step,
                 "unit_price": fen_to_yuan(k.price), "stock": k.stock, "weight_g": k.weight_g}
                for k in s.exec(select(Sku).order_by(Sku.code))]  # fmt: skip
