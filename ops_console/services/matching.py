"""Address -> store matching for intake and the console: one service, one cached matcher.

- ``matcher(ctx)`` loads the keywords of the active stores and builds the matcher once; it is
  rebuilt only when the keywords change (their count and largest id, the last keyword / store
  event, the number of active stores). Dispatchers' choices ("chosen before" suggestions) are
  folded in incrementally from the event log, without rebuilding the automaton.
- ``match_new_order`` runs inside intake's transaction right after ``review_pass``: exactly one
  store -> a system ``assign`` (method ``auto``, the keyword in the event); otherwise the reason
  (``ambiguous: S03, S04`` / ``no keyword``) and up to three suggestions stay on the order.
- Learning: ``propose_keyword_for`` takes the compound or road name from a hand-assigned order's
  address and proposes it only when it is specific (domain/learning.py: the address in the
  service area, not a place name, not in other stores' open orders), else says why; ``add_keyword`` stores an accepted keyword with its ``Event`` in one transaction and
  refuses one that another store already has. The next order sees it, no restart needed.
- Dispatcher choices are not written twice: they are the manual ``assign`` / ``reassign``
  events already in the log, read back with the order's address.
- ``describe_match_reason`` shows the stored reason to a person, in their language: the stored
  form (``MatchResult.reason_text``) stays as it is, this module owns how it reads.
"""

from __future__ import annotations

import csv
import io
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from ops_console.domain.address import normalize, propose_keyword
from ops_console.domain.learning import Withheld, check_proposal
from ops_console.domain.lifecycle import OPEN
from ops_console.domain.matching import (
    AddressStats,
    Matcher,
    MatchReason,
    MatchResult,
    Suggestion,
    SuggestionReason,
)
from ops_console.domain.matching.evidence import RECENT_ADDRESSES
from ops_console.domain.matching.pinyin import latin_phrase
from ops_console.domain.types import Action, AssignMethod, OrderKind, Role, Status, SubjectType
from ops_console.i18n import has, t
from ops_console.services.context import SYSTEM, Actor, AppContext
from ops_console.services.errors import NotFound, Refused
from ops_console.services.events import record
from ops_console.services.lifecycle import Outcome, apply
from ops_console.services.lookup import find_order
from ops_console.storage.db import read_session, write_session, wrote_in_transaction
from ops_console.storage.models import Event, Order, Store, StoreKeyword

CACHE_KEY = "matching"
KEYWORD_ADDED = "keyword_add"
MAX_KEYWORD_CHARS = 200
KEYWORD_ROLES = (Role.DISPATCHER, Role.SUPERVISOR, Role.SYSTEM)


@dataclass
class _Cache:
    lock: threading.Lock = field(default_factory=threading.Lock)
    version: tuple[Any, ...] | None = None
    base: Matcher | None = None  # keywords only
    learned: dict[str, dict[str, int]] = field(default_factory=dict)
    learned_upto: int = 0  # last assign event folded into `learned`
    current: Matcher | None = None  # base + learned
    builds: int = 0
    # The addresses seen lately (place names, IDF for the suggestions' evidence) and the last order
    # folded into them.
    stats: AddressStats = field(default_factory=AddressStats)
    addresses_upto: int = 0


def _cache(ctx: AppContext) -> _Cache:
    cache = ctx.cache.get(CACHE_KEY)
    if not isinstance(cache, _Cache):
        cache = ctx.cache.setdefault(CACHE_KEY, _Cache())
    assert isinstance(cache, _Cache)
    return cache


def _keyword_version(session: Session) -> tuple[Any, ...]:
    kw_count, kw_max = session.exec(select(func.count(col(StoreKeyword.id)), func.max(col(StoreKeyword.id)))).one()
    ev_max = session.exec(
        select(func.max(col(Event.id))).where(col(Event.subject_type).in_((SubjectType.KEYWORD, SubjectType.STORE)))
    ).one()
    active = session.exec(select(func.count()).select_from(Store).where(Store.active)).one()
    return (kw_count, kw_max, ev_max, active)


def _load_matcher(session: Session) -> Matcher:
    stores = {s.id: s.name for s in session.exec(select(Store).where(Store.active))}
    pairs = [
        (kw.keyword, kw.store_id)
        for kw in session.exec(select(StoreKeyword).order_by(col(StoreKeyword.id)))
        if kw.store_id in stores
    ]
    return Matcher(pairs, store_names=stores)


def _fold_choices(session: Session, cache: _Cache) -> bool:
    """Add dispatchers' manual assignments since the last look to the learned compound choices.

    On SQLite, in a transaction that has written nothing yet, the look ends at the newest event id
    read first: one writer at a time hands out ids in order, so every event up to it is committed and
    every later one gets a higher id — the next look starts there even when no assignment was manual
    (else it would read the whole log again on every order). Otherwise (PostgreSQL, where ids can
    commit out of order; a transaction's own uncommitted events, whose ids a rollback gives back) it
    starts after the last manual assignment, as before.
    """
    upto: int | None = None
    if not wrote_in_transaction(session):
        upto = session.exec(select(func.max(col(Event.id)))).one() or 0
    query = (
        select(Event.id, Event.detail, Order.address)
        .join(Order, col(Order.id) == col(Event.order_id))
        .where(
            col(Event.id) > cache.learned_upto,
            col(Event.action).in_((Action.ASSIGN.value, Action.REASSIGN.value)),
            Event.actor_role != Role.SYSTEM.value,
        )
    )
    if upto is not None:
        query = query.where(col(Event.id) <= upto)
    rows = session.exec(query.order_by(col(Event.id))).all()
    if upto is not None:
        cache.learned_upto = max(cache.learned_upto, upto)
    changed = False
    for event_id, detail, address in rows:
        cache.learned_upto = max(cache.learned_upto, event_id or 0)
        store_id = (detail or {}).get("store_id")
        compound = propose_keyword(address or "")
        if not store_id or not compound:
            continue
        slot = cache.learned.setdefault(compound, {})
        slot[store_id] = slot.get(store_id, 0) + 1
        changed = True
    return changed


def _fold_addresses(session: Session, cache: _Cache) -> None:
    """Add the addresses of orders received since the last look to the recent-address statistics."""
    rows = session.exec(
        select(Order.id, Order.address)
        .where(col(Order.id) > cache.addresses_upto)
        .order_by(col(Order.id).desc())
        .limit(RECENT_ADDRESSES)
    ).all()
    for order_id, address in reversed(rows):
        cache.addresses_upto = max(cache.addresses_upto, order_id or 0)
        cache.stats.observe(address or "")


def matcher(ctx: AppContext, session: Session | None = None) -> Matcher:
    """The current matcher (keywords of active stores + learned choices), rebuilt only on change."""
    if session is None:
        with read_session(ctx.engine) as s:
            return matcher(ctx, s)
    cache = _cache(ctx)
    with cache.lock:
        version = _keyword_version(session)
        _fold_addresses(session, cache)
        if cache.base is None or version != cache.version:
            cache.base = _load_matcher(session).with_stats(cache.stats)
            cache.version = version
            cache.current = None
            cache.builds += 1
        if _fold_choices(session, cache) or cache.current is None:
            cache.current = cache.base.with_learned(cache.learned)
        return cache.current


def build_count(ctx: AppContext) -> int:
    """How many times this process built the matcher (for tests and diagnostics)."""
    return _cache(ctx).builds


def match(ctx: AppContext, address: str) -> MatchResult:
    return matcher(ctx).match(address)


def auto_store(ctx: AppContext, address: str) -> str | None:
    """The store the rules assign automatically, or None (manual queue)."""
    result = matcher(ctx).match(address, suggest=False)
    return result.store_id if result.auto else None


AMBIGUOUS_PREFIX = "ambiguous:"


def match_reason_stores(text: str | None) -> tuple[str, ...]:
    """The store ids an ``ambiguous: S03, S04`` reason names (none for the other reasons)."""
    if not text or not text.startswith(AMBIGUOUS_PREFIX):
        return ()
    return tuple(part.strip() for part in text[len(AMBIGUOUS_PREFIX):].split(",") if part.strip())


# The reason codes with words in the catalog (`match.reason.<code>`): the matcher's reasons
# (MatchReason) and the suggestions' (SuggestionReason). One set for every place that shows them.
REASON_CODES = frozenset({*(r.value for r in MatchReason), *(r.value for r in SuggestionReason)})


def reason_label(code: str | None, lang: str | None = None) -> str:
    """A matching reason code in words: ``fuzzy`` → 写法相近 / similar spelling, ``context`` →
    地址上下文 / address context… (suggestions), ``no_keyword`` → 无关键词 / no keyword. An
    unknown code is shown as it is."""
    if not code:
        return ""
    if code == "no keyword":  # the stored form of no_keyword (MatchResult.reason_text)
        code = MatchReason.NO_KEYWORD.value
    return t(f"match.reason.{code}", lang) if code in REASON_CODES and code != "ambiguous" else code


def describe_match_reason(text: str | None, names: Mapping[str, str] | None = None, lang: str | None = None) -> str:
    """The matcher's stored reason as a person reads it: ``no keyword`` → 无关键词 / no keyword;
    ``ambiguous: S03, S04`` → 多家门店: S03 阳光店, S04 … / several stores: … (with the names
    given); ``auto`` → 自动分配 / assigned automatically. Anything else is shown as stored."""
    if not text:
        return ""
    if text.startswith(AMBIGUOUS_PREFIX):
        names = names or {}
        stores = ", ".join(f"{sid} {names[sid]}" if names.get(sid) else sid for sid in match_reason_stores(text))
        return t("match.reason.ambiguous", lang, stores=stores)
    return reason_label(text, lang)


def match_reason_names(ctx: AppContext, text: str | None) -> dict[str, str]:
    """Names of the stores a reason names (one small read; nothing to read for most reasons)."""
    ids = match_reason_stores(text)
    if not ids:
        return {}
    with read_session(ctx.engine) as s:
        return {st.id: st.name for st in s.exec(select(Store).where(col(Store.id).in_(ids)))}


def suggestions_json(suggestions: Iterable[Suggestion]) -> list[dict[str, Any]]:
    """Suggestions as stored on the order (``Order.suggestions``) and shown by the console."""
    out: list[dict[str, Any]] = []
    for s in suggestions:
        item: dict[str, Any] = {"store_id": s.store_id, "score": s.score, "reason": s.reason.value, "detail": s.detail}
        if s.why:
            item["why"] = dict(s.reasons())
        out.append(item)
    return out


def describe_suggestion(sug: Mapping[str, Any]) -> str:
    """A stored suggestion's reason as a person reads it, in their language: "晨光小区 ≈ 辰光小区,
    差一个字" / "晨光小区 ≈ 辰光小区, one character", with the weight when it counted less.
    Suggestions stored before reasons had codes are shown by their detail."""
    why = sug.get("why")
    if not isinstance(why, Mapping) or not has(f"match.why.{why.get('code')}"):
        return str(sug.get("detail") or "")
    params = {k: str(v) for k, v in why.items() if k != "code"}
    rule = params.get("rule", "")
    params["rule"] = t(f"match.rule.{rule}") if has(f"match.rule.{rule}") else rule
    notes = [n for n in params.get("notes", "").split(",") if n]
    params["notes"] = "; ".join(t(f"match.context.{n}") if has(f"match.context.{n}") else n for n in notes)
    text = t(f"match.why.{why['code']}", **params)
    if params.get("weight") and params.get("cut"):
        cut = params["cut"]
        text += t("match.why.weight", weight=params["weight"],
                  cut=t(f"match.cut.{cut}") if has(f"match.cut.{cut}") else cut)
    return text


def match_new_order(session: Session, ctx: AppContext, order: Order) -> Outcome | None:
    """Right after ``review_pass``, in intake's transaction: assign automatically or keep the reason.

    Returns the ``assign`` outcome when the order was assigned, else None (its reason and
    suggestions are stored on it for the console).
    """
    if order.kind != OrderKind.CUSTOMER or order.status != Status.UNASSIGNED or order.store_id:
        return None
    result = matcher(ctx, session).match(order.address or "")
    if result.auto and result.store_id:
        matched = sorted({h.keyword for h in result.keywords})
        return apply(
            session,
            ctx,
            order,
            Action.ASSIGN,
            SYSTEM,
            store_id=result.store_id,
            method=AssignMethod.AUTO.value,
            keyword=result.keyword,
            keywords=", ".join(matched),
        )
    _keep_reason(session, order, result)
    return None


def _keep_reason(session: Session, order: Order, result: MatchResult) -> None:
    _store(session, order, result.reason_text(), suggestions_json(result.suggestions))


def _store(session: Session, order: Order, reason: str | None, suggestions: list[dict[str, Any]]) -> None:
    session.execute(
        update(Order)
        .where(col(Order.id) == order.id)
        .values(match_reason=reason, suggestions=suggestions)
        .execution_options(synchronize_session=False)
    )
    order.match_reason = reason
    order.suggestions = suggestions


def suggest_for(ctx: AppContext, order_ref: str | int) -> MatchResult:
    """The order's address matched now (fresh suggestions, e.g. after keywords changed)."""
    with read_session(ctx.engine) as s:
        order = find_order(s, order_ref)
        return matcher(ctx, s).match(order.address or "")


def refresh_suggestions(ctx: AppContext, order_ref: str | int) -> MatchResult:
    """Match a queued order's address again (e.g. after keywords changed) and store the suggestions.

    An order already in the queue is never assigned by this: when the rules now find one store,
    that store becomes its top suggestion (reason ``keyword``) for the dispatcher to confirm.
    """
    with write_session(ctx.engine) as s:
        order = find_order(s, order_ref)
        result = matcher(ctx, s).match(order.address or "")
        if order.status in (Status.UNASSIGNED, Status.MANUAL_REVIEW):
            if result.auto and result.store_id:
                kw = result.keyword or ""
                top = Suggestion(result.store_id, 0.99, SuggestionReason.KEYWORD, kw, ("keyword", kw))
                result = replace(result, suggestions=(top,))
                _store(s, order, order.match_reason, suggestions_json(result.suggestions))
            else:
                _keep_reason(s, order, result)
        return result


# ----------------------------------------------------------------------------------------------
# Learning keywords from dispatchers
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class KeywordProposal:
    """What the console offers after a manual assignment: accept, edit or decline."""

    order_id: int
    store_id: str
    keyword: str | None  # None: nothing proposed — `withheld` says why
    taken_by: str | None = None  # another store already has this keyword
    exists: bool = False  # the store already has it
    candidate: str | None = None  # what the address offered, also when it is withheld
    withheld: str | None = None  # why nothing is proposed (domain/learning.py Withheld)
    params: Mapping[str, str | int] = field(default_factory=dict)
    # The address's Latin / pinyin phrase ("wutongyuan"), offered as a learned alias: once a keyword,
    # the rule matches the next such address. None when it has none or a store already has it.
    alias: str | None = None

    def why(self, lang: str | None = None) -> str:
        """Why no keyword is proposed, in words for the console ("" when one is)."""
        return t(f"matching.proposal.{self.withheld}", lang, **self.params) if self.withheld else ""


@dataclass(frozen=True)
class KeywordAdded:
    keyword: str
    normalized: str
    store_id: str
    created: bool  # False when the store already had it (nothing written)
    event_id: int | None = None
    nested_with: tuple[tuple[str, str], ...] = ()  # other stores' keywords inside it / around it


def _keywords_by_normalized(session: Session) -> dict[str, tuple[str, str]]:
    """normalized keyword -> (keyword as stored, store)."""
    return {normalize(kw.keyword): (kw.keyword, kw.store_id) for kw in session.exec(select(StoreKeyword))}


def propose_keyword_for(ctx: AppContext, order_ref: str | int, store_id: str) -> KeywordProposal:
    """A keyword from the order's address for the store a dispatcher chose (not stored yet), only
    when it is specific to that store; otherwise `keyword` is None and `why()` says why."""
    with read_session(ctx.engine) as s:
        order = find_order(s, order_ref)
        keyword = propose_keyword(order.address or "")
        existing = _keywords_by_normalized(s)
        alias = latin_phrase(normalize(order.address or ""))
        if alias is not None and alias in existing:
            alias = None
        if keyword is None:
            return KeywordProposal(order.id or 0, store_id, None, withheld=Withheld.NO_NAME.value, alias=alias)
        owner = existing.get(keyword)
        if owner is None:
            check = check_proposal(order.address or "", store_id, ctx.settings.dispatch.service_area,
                                   _other_open_orders(s, order.id or 0, store_id),
                                   {st.id: st.name for st in s.exec(select(Store))})
            return KeywordProposal(order.id or 0, store_id, check.keyword, candidate=check.candidate,
                                   withheld=check.withheld.value if check.withheld else None,
                                   params=dict(check.params), alias=alias)
        if owner[1] == store_id:
            return KeywordProposal(order.id or 0, store_id, keyword, exists=True, alias=alias)
        return KeywordProposal(order.id or 0, store_id, keyword, taken_by=owner[1], alias=alias)


def _other_open_orders(session: Session, order_id: int, store_id: str) -> list[tuple[str, str]]:
    """(store, address) of the open orders of other stores (one indexed read by status)."""
    rows = session.exec(
        select(Order.store_id, Order.address)
        .where(col(Order.status).in_([s.value for s in OPEN]), col(Order.store_id).is_not(None),
               Order.store_id != store_id, Order.id != order_id)
    )
    return [(sid or "", address or "") for sid, address in rows]


def add_keyword(
    ctx: AppContext,
    keyword: str,
    store_id: str,
    actor: Actor,
    *,
    order_id: int | None = None,
    source: str = "learned",
) -> KeywordAdded:
    """Store a keyword for a store (accepted or edited by a dispatcher) and its event, in one transaction.

    Refused when it is empty, too long, or another store already has the same keyword (after
    normalization); the reason names both stores. Takes effect for the next order.
    """
    if actor.role not in KEYWORD_ROLES:
        raise Refused("matching.keyword_role", role=str(actor.role))
    text = (keyword or "").strip()
    normalized = normalize(text)
    if len(normalized) < 2 or normalized.isdigit():
        raise Refused("matching.keyword_too_short", keyword=text)
    if len(text) > MAX_KEYWORD_CHARS:
        raise Refused("matching.keyword_too_long", max=MAX_KEYWORD_CHARS)
    now = ctx.clock.now()
    with write_session(ctx.engine) as s:
        store = s.get(Store, store_id)
        if store is None or not store.active:
            raise NotFound("stores.unknown", id=store_id)
        existing = _keywords_by_normalized(s)
        owner = existing.get(normalized)
        if owner is not None:
            if owner[1] == store_id:
                return KeywordAdded(owner[0], normalized, store_id, created=False)
            other = s.get(Store, owner[1])
            raise Refused(
                "matching.keyword_taken",
                keyword=text,
                owner=owner[1],
                owner_name=other.name if other else owner[1],
                store=store_id,
                store_name=store.name,
            )
        nested = tuple(
            sorted(
                (kw, sid)
                for norm, (kw, sid) in existing.items()
                if sid != store_id and (norm in normalized or normalized in norm)
            )
        )
        s.add(StoreKeyword(keyword=text, store_id=store_id, source=source, created_at=now, created_by=actor.id))
        s.flush()
        detail: dict[str, Any] = {"keyword": text, "normalized": normalized, "store_id": store_id,
                                  "store_name": store.name, "source": source}
        if nested:
            detail["nested_with"] = [f"{kw} ({sid})" for kw, sid in nested]
        record(s, now, actor, SubjectType.KEYWORD, text, KEYWORD_ADDED, order_id=order_id, detail=detail)
        event_id = s.exec(select(func.max(Event.id))).one()
    return KeywordAdded(text, normalized, store_id, True, event_id, nested)


# ----------------------------------------------------------------------------------------------
# A stores file instead of the database (the dry-run tester of `ops-console match --stores`)
# ----------------------------------------------------------------------------------------------


def matcher_from_stores_csv(path: str | Path) -> Matcher:
    """A matcher from a stores CSV (``store_id,name,kind,phone,keywords`` with ``|`` between keywords)."""
    pairs: list[tuple[str, str]] = []
    names: dict[str, str] = {}
    from ops_console.services.intake_files import decode  # one encoding policy for every CSV

    text, _encoding = decode(Path(path).read_bytes())
    for row in csv.DictReader(io.StringIO(text, newline="")):
        store_id = (row.get("store_id") or "").strip()
        if not store_id:
            continue
        names[store_id] = (row.get("name") or "").strip()
        pairs.extend((kw.strip(), store_id) for kw in (row.get("keywords") or "").split("|") if kw.strip())
    return Matcher(pairs, store_names=names)
