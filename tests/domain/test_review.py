"""Automatic review: stock, price, payment — and a discount is not a payment problem."""

from ops_console.domain.review import LineFacts, SkuFacts, review

CAT = {"P001": SkuFacts(price=350, stock=10)}
LINE = [LineFacts("P001", 2, 350)]


def test_passes_and_each_failure_names_its_reason() -> None:
    assert review(LINE, CAT, "online", "paid", 700, 700).passed
    assert review([LineFacts("P001", 11, 350)], CAT, "online", "paid", 3850, 3850).reason == "stock"
    assert review([LineFacts("P001", 2, 300)], CAT, "online", "paid", 600, 600).reason == "price"
    assert review(LINE, CAT, "online", "pending", 700, 0).reason == "payment"
    assert review([], CAT, "cod", "pending", 0, 0).reason == "data"


def test_platform_discount_passes_but_nothing_or_too_much_paid_does_not() -> None:
    assert review(LINE, CAT, "online", "paid", 700, 600).passed  # 满减: paid less than the total
    assert review(LINE, CAT, "online", "paid", 700, 0).reason == "payment"
    assert review(LINE, CAT, "online", "paid", 700, 7000).reason == "payment"  # a typo'd amount


def test_cash_on_delivery_and_unknown_skus_pass() -> None:
    assert review(LINE, CAT, "cod", "pending", 700, 0).passed
    assert review([LineFacts("NEW1", 1, 999)], CAT, "cod", "pending", 999, 0).passed
