"""Phone orders: the form is checked by the intake rules, problems land on their fields, the order is
stored with a P<date>-<n> number, the operator recorded, and goes through the automatic review."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from ops_console.i18n import set_language
from ops_console.services.errors import Refused
from ops_console.services.lifecycle import order_history, order_lines
from ops_console.services.phone_orders import (
    PhoneLineInput,
    PhoneOrderForm,
    PhoneOrderInvalid,
    check_phone_order,
    create_phone_order,
)
from ops_console.storage.db import read_session
from ops_console.storage.models import Order
from tests.conftest import CS, DISPATCHER


def form(**kw) -> PhoneOrderForm:
    base = dict(
        customer_name="赵女士",
        phone="138 1234 1234",
        address="阳光小区3栋2单元501",
        lines=(PhoneLineInput("p001", "2"), PhoneLineInput("", ""), PhoneLineInput("矿泉水", "12")),
        payment_method="cod",
        remarks="=送到门口",
        urgent=True,
    )
    base.update(kw)
    return PhoneOrderForm(**base)


def test_a_good_form_reads_back_with_catalogue_names_prices_and_total(city) -> None:
    checked, problems = check_phone_order(city, form(appointment="15:30"))
    assert problems == []
    assert checked is not None
    assert checked.phone == "13812341234"
    assert [(li.sku, li.name, li.qty, li.unit_price) for li in checked.lines] == [
        ("P001", "上海青", 2, 350),
        ("G001", "矿泉水", 12, 200),
    ]
    assert [li.row for li in checked.lines] == [0, 2]  # the blank middle row is skipped
    assert checked.total == 3100
    assert checked.appointment_at is not None
    assert checked.appointment_at.strftime("%Y-%m-%d %H:%M") == "2026-11-24 15:30"  # today, local time
    assert checked.remarks == "=送到门口"  # verbatim
    assert checked.warnings == ()


def test_every_problem_is_on_its_own_field_and_uses_the_intake_messages(city) -> None:
    bad = form(
        customer_name="",
        phone="12345",
        lines=(PhoneLineInput("P001", "1.5"), PhoneLineInput("X999", "1"), PhoneLineInput("", "3")),
        appointment="09:00",  # before the call (10:00 local)
    )
    checked, problems = check_phone_order(city, bad)
    assert checked is None
    by_field = {p.field: p for p in problems}
    assert set(by_field) == {"customer_name", "phone", "lines.0.qty", "lines.1.sku", "lines.2.sku", "appointment_at"}
    assert by_field["customer_name"].key == "intake.required"
    assert by_field["phone"].key == "intake.phone.invalid"
    assert by_field["lines.0.qty"].key == "intake.qty.not_whole"
    assert by_field["lines.1.sku"].key == "phone_order.sku_unknown"
    assert by_field["appointment_at"].key == "intake.appointment.before_placed"
    set_language("en")
    assert "X999" in by_field["lines.1.sku"].message
    assert "whole number" in by_field["lines.0.qty"].message


def test_no_lines_at_all_is_refused_on_the_lines(city) -> None:
    _, problems = check_phone_order(city, form(lines=(PhoneLineInput(),)))
    assert [p.field for p in problems] == ["lines"]


def test_order_step_and_short_stock_are_warnings_not_refusals(city) -> None:
    checked, problems = check_phone_order(
        city, form(lines=(PhoneLineInput("G001", "5"), PhoneLineInput("F001", "4")))
    )
    assert problems == []
    assert checked is not None
    assert {(w.field, w.key) for w in checked.warnings} == {
        ("lines.0.qty", "phone_order.not_step"),
        ("lines.1.qty", "phone_order.low_stock"),
    }


def test_created_order_has_a_daily_number_the_operator_and_the_call_time(city) -> None:
    started = city.clock.now()
    city.clock.advance(minutes=3)
    first = create_phone_order(city, DISPATCHER, form(call_started_at=started))
    second = create_phone_order(city, DISPATCHER, form(customer_name="钱先生"))
    assert (first.order_no, second.order_no) == ("P20261124-0001", "P20261124-0002")
    # Automatic review passed (cash on delivery, prices from the catalogue), then the matcher
    # assigned it at once: 阳光小区 is S01's keyword.
    assert first.status == "assigned"
    order, events = order_history(city, f"phone:{first.order_no}")
    assert order.channel == "phone"
    assert order.phone == "13812341234"
    assert order.urgent is True
    assert order.placed_at == started
    assert order.received_at == started + timedelta(minutes=3)
    assert order.amount == 3100
    assert order.source == "phone entry by U01"
    assert events[0].action == "receive" and events[0].actor == "U01"
    lines = order_lines(city, order.id)
    assert [(li.sku, li.qty, li.step) for li in lines] == [("P001", 2, 1), ("G001", 12, 12)]


def test_numbers_start_again_on_the_next_local_day(city) -> None:
    create_phone_order(city, DISPATCHER, form())
    city.clock.advance(hours=14)  # 2026-11-25 00:00 in Shanghai
    assert create_phone_order(city, DISPATCHER, form()).order_no == "P20261125-0001"


def test_short_stock_goes_to_manual_review(city) -> None:
    created = create_phone_order(city, DISPATCHER, form(lines=(PhoneLineInput("F001", "4"),)))
    assert created.status == "manual_review"
    assert created.review_reason == "stock"


def test_invalid_form_stores_nothing(city) -> None:
    with pytest.raises(PhoneOrderInvalid) as err:
        create_phone_order(city, DISPATCHER, form(address=""))
    assert [p.field for p in err.value.problems] == ["address"]
    with read_session(city.engine) as s:
        assert s.exec(select(Order)).all() == []


def test_customer_service_may_not_take_orders_in(city) -> None:
    with pytest.raises(Refused):
        create_phone_order(city, CS, form())
    with read_session(city.engine) as s:
        assert s.exec(select(Order)).all() == []
