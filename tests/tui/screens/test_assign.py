"""Assign: the top suggestion preselected (a, Enter), filtering, honest per-order outcomes, keyword learning."""

from __future__ import annotations

from sqlmodel import select

from ops_console.domain.types import Action
from ops_console.services.lifecycle import order_history, perform
from ops_console.services.phone_orders import PhoneLineInput, PhoneOrderForm, create_phone_order
from ops_console.storage.db import read_session, write_session
from ops_console.storage.models import Order, StoreKeyword
from ops_console.tui.screens import ActionResult, AssignScreen
from tests.conftest import DISPATCHER, SUPERVISOR
from tests.factories import new_order
from tests.tui.screens.conftest import SIZE, Harness, done, highlighted, options, screen_text, settle, shown


def unassigned(ctx, no: str, address: str, suggestions: list[dict] | None = None) -> int:
    out = new_order(ctx, no, address=address)
    if suggestions is not None:
        with write_session(ctx.engine) as s:
            order = s.get(Order, out.order_id)
            order.suggestions = suggestions
            order.match_reason = "no keyword"
    assert order_history(ctx, out.order_id)[0].status == "unassigned"
    return out.order_id


async def test_a_suggested_assignment_is_just_enter(city) -> None:
    oid = unassigned(city, "MT1", "幸福里5栋301", [{"store_id": "S02", "score": 0.82, "reason": "fuzzy"},
                                                  {"store_id": "S01", "score": 0.41, "reason": "context"}])
    app = Harness(lambda: AssignScreen(city, DISPATCHER, [oid]))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "未自动分配: 无关键词" in screen_text(app.screen)  # the stored "no keyword", in words
        assert options(app.screen, "#stores")[0].startswith("★ S02 河畔店  0.82 写法相近")
        assert highlighted(app.screen, "#stores").startswith("★ S02")
        await pilot.press("enter")
        result = await done(pilot)
    order, events = order_history(city, oid)
    assert (order.status, order.store_id, order.assign_method) == ("assigned", "S02", "suggested")
    assert events[-1].actor == "U01"
    assert isinstance(result, ActionResult) and result.ok
    assert result.outcomes[0].order_no == "MT1" and "已分配" in result.outcomes[0].message


async def test_type_to_filter_then_manual_assign_then_learn_the_proposed_keyword(city) -> None:
    oid = unassigned(city, "MT1", "幸福里5栋301", [{"store_id": "S01", "score": 0.5, "reason": "fuzzy"}])
    app = Harness(lambda: AssignScreen(city, DISPATCHER, [oid]))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press(*"河畔花")  # a keyword of S02
        assert [line.split()[0] for line in options(app.screen, "#stores")] == ["S02"]
        await pilot.press("enter")
        await settle(pilot)
        # The learning step: the compound of the address, proposed for the store just chosen.
        assert app.screen.query_one("#keyword").value == "幸福里"
        assert "S02 河畔店" in screen_text(app.screen)
        await pilot.press("enter")  # a second Enter (a key held down) does not learn: it says which key does
        await settle(pilot)
        assert app.screen is app.dialog and "按 y 学习" in shown(app.screen)
        with read_session(city.engine) as s:
            assert not s.exec(select(StoreKeyword).where(StoreKeyword.keyword == "幸福里")).all()
        await pilot.press("y")
        result = await done(pilot)
    order, _ = order_history(city, oid)
    assert (order.store_id, order.assign_method) == ("S02", "manual")
    with read_session(city.engine) as s:
        kw = s.exec(select(StoreKeyword).where(StoreKeyword.keyword == "幸福里")).one()
    assert (kw.store_id, kw.created_by) == ("S02", "U01")
    assert result.ok and any("幸福里" in note for note in result.notes)
    # The next order from that compound is assigned by itself.
    nxt = create_phone_order(city, DISPATCHER, PhoneOrderForm("钱先生", "13912345678", "幸福里8栋101",
                                                              (PhoneLineInput("P001", "1"),)))
    assert (nxt.status, order_history(city, nxt.order_id)[0].store_id) == ("assigned", "S02")


async def test_a_colliding_keyword_is_refused_with_the_reason_and_can_be_edited_or_declined(city) -> None:
    oid = unassigned(city, "MT1", "幸福里5栋301", [])
    app = Harness(lambda: AssignScreen(city, DISPATCHER, [oid]))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("down", "enter")  # S02, by hand
        await settle(pilot)
        await pilot.press("e")  # edit, then Enter accepts
        app.screen.query_one("#keyword").value = "阳光小区"  # edited to S01's keyword
        await pilot.press("enter")
        await settle(pilot)
        assert "阳光小区" in shown(app.screen) and "S01" in shown(app.screen)  # refused, with the owner named
        assert app.results == []
        await pilot.press("escape")  # decline
        result = await done(pilot)
    assert result.ok and result.notes == ()
    with read_session(city.engine) as s:
        assert s.exec(select(StoreKeyword).where(StoreKeyword.store_id == "S02")).all()[0].keyword == "河畔花园"
        assert len(s.exec(select(StoreKeyword)).all()) == 2


async def test_tagged_orders_report_each_outcome_honestly(city) -> None:
    first = unassigned(city, "MT1", "幸福里5栋301", [])
    raced = unassigned(city, "MT2", "幸福里6栋301", [])
    gone = unassigned(city, "MT3", "幸福里7栋301", [])
    perform(city, gone, Action.ASSIGN, SUPERVISOR, store_id="S02")  # already assigned when the dialog opens
    app = Harness(lambda: AssignScreen(city, DISPATCHER, [first, raced, gone]))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        perform(city, raced, Action.CLAIM, SUPERVISOR)  # another console touched it meanwhile
        await pilot.press("enter")  # S01, the first store
        await settle(pilot)
        message = shown(app.screen)
        assert "✓ MT1" in message
        assert "✗ MT2" in message and "张强" in message  # the race: who changed it
        assert "✗ MT3" in message and "已分配" in message  # refused: already assigned, by whom
        assert app.results == []  # it stays open to show this
        await pilot.press("escape")
        result = await done(pilot)
    assert [(o.order_no, o.ok) for o in result.outcomes] == [("MT1", True), ("MT2", False), ("MT3", False)]
    assert not result.ok and "1" in result.summary() and "3" in result.summary()
    assert order_history(city, first)[0].store_id == "S01"
    assert order_history(city, raced)[0].status == "unassigned"


async def test_esc_before_anything_dismisses_with_none(city) -> None:
    oid = unassigned(city, "MT1", "幸福里5栋301", [])
    app = Harness(lambda: AssignScreen(city, DISPATCHER, [oid]))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("escape")
        assert await done(pilot) is None
    assert order_history(city, oid)[0].status == "unassigned"


async def test_a_pinyin_address_assigned_as_suggested_offers_its_phrase_as_an_alias(city) -> None:
    oid = new_order(city, "MT9", address="Yang Guang Xiao Qu 3栋301", match_address=True).order_id
    order, _ = order_history(city, oid)
    assert order.suggestions[0]["reason"] == "pinyin"  # suggested, never automatic
    app = Harness(lambda: AssignScreen(city, DISPATCHER, [oid]))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert highlighted(app.screen, "#stores").startswith("★ S01")
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen.query_one("#keyword").value == "yangguangxiaoqu"  # the alias, offered
        await pilot.press("y")
        result = await done(pilot)
    assert result.ok
    with read_session(city.engine) as s:
        kw = s.exec(select(StoreKeyword).where(StoreKeyword.keyword == "yangguangxiaoqu")).one()
    assert kw.store_id == "S01"
    # Once accepted, the next such address is matched by the rule.
    assert new_order(city, "MT10", address="yangguangxiaoqu 5栋", match_address=True).to_status == "assigned"


async def test_when_nothing_can_be_learned_the_step_says_why(city) -> None:
    oid = unassigned(city, "MT1", "3栋201", [])
    app = Harness(lambda: AssignScreen(city, DISPATCHER, [oid]))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("down", "enter")  # S02, by hand
        await settle(pilot)
        text = screen_text(app.screen)
        assert "没有可学习的关键词" in text and "没有可作关键词的小区或道路名" in text
        assert not app.screen.query_one("#keyword").display
        await pilot.press("enter")
        result = await done(pilot)
    assert result.ok
    with read_session(city.engine) as s:
        assert len(s.exec(select(StoreKeyword)).all()) == 2
