"""The one PIN check (console and CLI): lockout, older hashes, activation."""

from __future__ import annotations

import pytest

from ops_console.services import operators
from ops_console.services.errors import Refused
from ops_console.services.operators import hash_pin, set_active, sign_in
from ops_console.storage.db import read_session, write_session
from ops_console.storage.models import Operator
from tests.conftest import SUPERVISOR


def test_an_older_cheaper_hash_still_signs_in_and_is_strengthened(city) -> None:
    with write_session(city.engine) as s:
        op = s.get(Operator, "U01")
        op.pin_hash = hash_pin("1234", iterations=operators.PIN_ITERATIONS // 2)
        s.add(op)
    assert sign_in(city, "U01", "1234").id == "U01"
    with read_session(city.engine) as s:
        assert s.get(Operator, "U01").pin_hash.split("$")[1] == str(operators.PIN_ITERATIONS)
    assert sign_in(city, "U01", "1234").id == "U01"


def test_lockout_lasts_15_minutes_and_a_deactivated_operator_cannot_sign_in(city) -> None:
    for _ in range(4):
        with pytest.raises(Refused, match="不正确"):
            sign_in(city, "U01", "0000")
    with pytest.raises(Refused, match="锁定"):
        sign_in(city, "U01", "0000")
    with pytest.raises(Refused, match="锁定"):
        sign_in(city, "U01", "1234")
    city.clock.advance(minutes=15, seconds=1)
    assert sign_in(city, "U01", "1234").id == "U01"
    set_active(city, "U01", False, SUPERVISOR)
    with pytest.raises(Refused):
        sign_in(city, "U01", "1234")
    set_active(city, "U01", True, SUPERVISOR)
    assert sign_in(city, "U01", "1234").id == "U01"


def test_an_unknown_operator_is_the_same_answer_as_a_wrong_pin(city) -> None:
    with pytest.raises(Refused) as unknown:
        sign_in(city, "U99", "1234")
    with pytest.raises(Refused) as wrong:
        sign_in(city, "U01", "9999")
    assert unknown.value.message == wrong.value.message
