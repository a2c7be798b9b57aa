"""Phone numbers: mobile, landline with area code, privacy numbers with an extension; masking."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ops_console.domain.phone import (
    PhoneError,
    PhoneKind,
    is_valid_phone,
    mask_phone,
    normalize_phone,
    parse_phone,
)


@pytest.mark.parametrize(
    ("text", "kind", "canonical"),
    [
        ("13812341234", PhoneKind.MOBILE, "13812341234"),
        ("138 1234 1234", PhoneKind.MOBILE, "13812341234"),
        ("138-1234-1234", PhoneKind.MOBILE, "13812341234"),
        ("+86 138 1234 1234", PhoneKind.MOBILE, "13812341234"),
        ("0086-13812341234", PhoneKind.MOBILE, "13812341234"),
        ("8613812341234", PhoneKind.MOBILE, "13812341234"),
        ("１３８１２３４１２３４", PhoneKind.MOBILE, "13812341234"),  # full-width digits
        ('="13812341234"', PhoneKind.MOBILE, "13812341234"),  # Excel's keep-as-text wrapper
        ("0578-8477454", PhoneKind.LANDLINE, "0578-8477454"),
        ("05788477454", PhoneKind.LANDLINE, "0578-8477454"),
        ("(0578)8477454", PhoneKind.LANDLINE, "0578-8477454"),
        ("（0578）8477454", PhoneKind.LANDLINE, "0578-8477454"),
        ("010-88886666", PhoneKind.LANDLINE, "010-88886666"),
        ("02188886666", PhoneKind.LANDLINE, "021-88886666"),
        ("+86 571 88886666", PhoneKind.LANDLINE, "0571-88886666"),
        ("0578-8477454转123", PhoneKind.LANDLINE, "0578-8477454转123"),
        ("0578-8477454-123", PhoneKind.LANDLINE, "0578-8477454转123"),
        ("17012345678转1234", PhoneKind.PRIVACY, "17012345678转1234"),
        ("17012345678-1234", PhoneKind.PRIVACY, "17012345678转1234"),
        ("17012345678,1234", PhoneKind.PRIVACY, "17012345678转1234"),
        ("170 1234 5678 转 1234", PhoneKind.PRIVACY, "17012345678转1234"),
        ("13812341234#56", PhoneKind.PRIVACY, "13812341234转56"),
    ],
)
def test_valid_numbers(text: str, kind: PhoneKind, canonical: str) -> None:
    phone = parse_phone(text)
    assert phone.kind is kind
    assert phone.text == canonical
    assert normalize_phone(canonical) == canonical  # the canonical form reads back as itself


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "12345",
        "1381234123",  # 10 digits
        "138123412345",  # 12 digits
        "12812341234",  # no mobile prefix 12x
        "8477454",  # landline without area code
        "0578-0477454",  # local number cannot start with 0
        "400-820-8820",  # service number, not a customer's
        "13812341234转",  # extension mark without digits
        "13812341234转1234567",  # extension too long
        "abc",
        "138-1234-1234-5678-9",
    ],
)
def test_invalid_numbers(text: str) -> None:
    assert not is_valid_phone(text)
    with pytest.raises(PhoneError):
        parse_phone(text)


def test_int_and_bool_inputs() -> None:
    assert parse_phone(13812341234).text == "13812341234"
    with pytest.raises(PhoneError):
        parse_phone(True)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("13812341234", "138****1234"),
        ("+86 138 1234 1234", "138****1234"),
        ("0578-8477454", "0578-***7454"),
        ("010-88886666", "010-****6666"),
        ("17012345678转1234", "170****5678转****"),
        ("0578-8477454转123", "0578-***7454转***"),
        ("", ""),
        (None, ""),
        ("garbage 123456789", "123****6789"),
        ("12345", "***45"),
    ],
)
def test_mask_phone(text: str | None, masked: str) -> None:
    assert mask_phone(text) == masked


@given(
    prefix=st.sampled_from(["13", "15", "17", "18", "19"]),
    rest=st.text("0123456789", min_size=9, max_size=9),
    ext=st.one_of(st.none(), st.text("0123456789", min_size=1, max_size=6)),
    sep=st.sampled_from(["-", "转", ","]),
)
def test_mobile_roundtrip_and_mask_hides_the_middle(prefix: str, rest: str, ext: str | None, sep: str) -> None:
    number = prefix + rest
    text = number + (sep + ext if ext else "")
    phone = parse_phone(text)
    assert phone.number == number
    assert phone.extension == ext
    assert parse_phone(phone.text) == phone
    masked = mask_phone(text)
    assert masked.startswith(number[:3] + "****" + number[-4:])
    assert set(masked.removeprefix(number[:3] + "****" + number[-4:])) <= {"*", "转"}  # extension hidden
