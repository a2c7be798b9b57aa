"""Write the intake test files byte for byte: `python tests/data/intake/generate.py`.

Deterministic; the files are committed. Each file mixes good orders with bad ones; the expected
counts are in EXPECTED (the tests read them from here, so file and expectation change together).
SKUs and prices match tests/factories.py's seed_city (P001 3.50, G001 2.00 step 12, F001 15.90).
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

HERE = Path(__file__).resolve().parent

ZH_HEADER = [
    "渠道", "订单号", "下单时间", "收货人", "联系电话", "收货地址", "支付方式", "实付金额", "支付状态",
    "加急", "定制", "预约时间", "备注", "商品编码", "商品名称", "规格", "品类", "数量", "单位", "单价",
    "平台备注",
]  # fmt: skip


def _zh(channel: str, no: str, placed: str, name: str, phone: str, address: str, pay: str, paid: str,
        status: str, urgent: str, custom: str, appt: str, remarks: str, sku: str, item: str, spec: str,
        cat: str, qty: str, unit: str, price: str, extra: str = "") -> list[str]:  # fmt: skip
    return [channel, no, placed, name, phone, address, pay, paid, status, urgent, custom, appt, remarks,
            sku, item, spec, cat, qty, unit, price, extra]  # fmt: skip


T = "2026-11-24 09:05:00"
ADDR = "阳光小区3栋2单元501"

GB_ROWS: list[list[str]] = [
    # row 2-3: MT24001, two lines, a remark that looks like a formula; unknown column 平台备注
    _zh("美团", "MT24001", T, "吉𠮷", "138 1234 1234", ADDR, "在线支付", "31.00", "已支付", "否", "否", "",
        "=请放门口, 谢谢", "P001", "上海青", "500g", "蔬果", "2", "份", "3.50", "满减"),
    _zh("美团", "MT24001", T, "吉𠮷", "13812341234", ADDR, "在线支付", "31.00", "已支付", "否", "否", "",
        "=请放门口, 谢谢", "G001", "矿泉水", "550ml", "", "12", "瓶", "2.00"),
    # row 4: order number with a leading zero, landline with extension, cash on delivery, appointment
    _zh("饿了么", "0070", "2026/11/24 9:05", "钱多多", "0578-8477454转123", "河畔花园1号楼", "货到付款", "",
        "", "是", "否", "2026-11-24 18:00", "", "F001", "速冻水饺", "1kg", "冷冻", "1", "袋", "15.90"),
    # row 5-6: MT24003, second line has quantity 0 -> the whole order is set aside
    _zh("美团", "MT24003", T, "孙悟", "13900001111", ADDR, "在线支付", "", "", "", "", "", "",
        "P001", "上海青", "500g", "蔬果", "1", "份", "3.50"),
    _zh("美团", "MT24003", T, "孙悟", "13900001111", ADDR, "在线支付", "", "", "", "", "", "",
        "G001", "矿泉水", "550ml", "", "0", "瓶", "2.00"),
    # row 7: blank (Excel leaves these) -> skipped
    [""] * len(ZH_HEADER),
    # row 8: bad phone
    _zh("京东", "JD24004", T, "周周", "12345", ADDR, "在线支付", "", "", "", "", "", "",
        "P001", "上海青", "500g", "蔬果", "1", "份", "3.50"),
    # row 9: Excel turned the order number into scientific notation
    _zh("美团", "2.02411E+15", T, "吴用", "13900002222", ADDR, "在线支付", "", "", "", "", "", "",
        "P001", "上海青", "500g", "蔬果", "1", "份", "3.50"),
    # row 10-11: MT24006, the two rows disagree on the address
    _zh("美团", "MT24006", T, "郑和", "13900003333", "阳光小区1栋", "在线支付", "", "", "", "", "", "",
        "P001", "上海青", "500g", "蔬果", "1", "份", "3.50"),
    _zh("美团", "MT24006", T, "郑和", "13900003333", "阳光小区2栋", "在线支付", "", "", "", "", "", "",
        "G001", "矿泉水", "550ml", "", "12", "瓶", "2.00"),
    # row 12-13: P24007 by phone; the second row leaves the order fields blank (merged cells)
    _zh("电话", "P24007", "2026年11月24日 10:15", "王阿姨", "0571-88886666", "河畔花园3号楼", "货到付款",
        "", "", "否", "是", "", "要新鲜的", "P001", "上海青", "500g", "生鲜", "4", "份", "3.50"),
    _zh("", "P24007", "", "", "", "", "", "", "", "", "", "", "", "G001", "矿泉水", "550ml", "", "12", "瓶",
        "2.00"),
    # row 14: unknown SKU: kept (a warning when stored)
    _zh("美团", "MT24008", T, "冯唐", "+86 139-0000-4444", ADDR, "在线支付", "9.90", "已支付", "", "", "", "",
        "X999", "进口榴莲", "1个", "蔬果", "1", "个", "9.90"),
    # row 15: negative price
    _zh("美团", "MT24009", T, "陈平", "13900005555", ADDR, "在线支付", "", "", "", "", "", "",
        "P001", "上海青", "500g", "蔬果", "1", "份", "-1"),
]  # fmt: skip

EN_HEADER = [
    "channel", "order_id", "placed_at", "customer_name", "phone", "address", "payment_method",
    "paid_amount", "payment_status", "urgent", "custom", "remarks", "sku", "name", "spec", "category",
    "qty", "unit", "unit_price",
]  # fmt: skip

EN_ROWS: list[list[str]] = [
    # row 2: good, offset given, international mobile format, remark with a comma and quotes
    ["app", "A1001", "2026-11-24T09:30:00+08:00", "Li Lei", "+86 139 0000 1111", "Sunshine Estate 3-501",
     "online", "7.00", "paid", "true", "false", 'leave at "door", thanks', "P001", "Bok choy", "500g",
     "produce", "2", "500g", "3.50"],
    # row 3: fractional quantity
    ["meituan", "A1002", "2026-11-24 09:31:00", "Han Meimei", "13900006666", "Riverside Garden 1",
     "online", "", "", "false", "false", "", "P001", "Bok choy", "500g", "produce", "1.5", "500g", "3.50"],
    # row 4: good, cash on delivery, privacy number with '-' extension
    ["eleme", "A1003", "2026-11-24 09:32", "Wang Fang", "17012345678-4321", "Riverside Garden 2",
     "cod", "", "pending", "0", "1", "", "F001", "Dumplings", "1kg", "frozen", "2", "bag", "15.90"],
    # row 5: unknown payment method
    ["jd", "A1004", "2026-11-24 09:33", "Zhao Lei", "13900007777", "Riverside Garden 3",
     "bitcoin", "", "", "", "", "", "P001", "Bok choy", "500g", "produce", "1", "500g", "3.50"],
    # row 6: an unquoted comma in the address shifts the row: one value too many
    ["app", "A1005", "2026-11-24 09:34", "Qian Li", "13900008888", "Building 5", "Room 2",
     "online", "", "", "", "", "", "P001", "Bok choy", "500g", "produce", "1", "500g", "3.50"],
]  # fmt: skip


def _line(sku: str, name: str, qty: object, price: object, **extra: object) -> dict[str, object]:
    return {"sku": sku, "name": name, "qty": qty, "unit_price": price, **extra}


def _order(no: str, *lines: dict[str, object], channel: str = "meituan", **extra: object) -> dict[str, object]:
    return {
        "channel": channel,
        "order_no": no,
        "placed_at": "2026-11-24T09:40:00+08:00",
        "customer_name": "林黛玉",
        "phone": "13800001234",
        "address": "阳光小区5栋101",
        "payment_method": "online",
        **extra,
        "lines": list(lines),
    }


JSON_ORDERS: list[object] = [
    # [0] Chinese keys and values
    {"渠道": "京东", "订单编号": "J5001", "下单时间": "2026-11-24 09:41:00", "收货人": "贾宝玉",
     "手机号": "13800005678", "地址": "河畔花园7号楼", "支付方式": "在线支付", "实付金额": 7, "加急": "是",
     "商品明细": [{"商品编码": "P001", "商品名称": "上海青", "数量": 2, "单价": 3.5, "品类": "蔬果"}]},
    # [1] English, two lines, JSON booleans
    _order("J5002", _line("P001", "上海青", 1, "3.50"), _line("G001", "矿泉水", 12, 2), urgent=False, custom=True),
    # [2] negative quantity in the second line
    _order("J5003", _line("P001", "上海青", 1, 3.5), _line("G001", "矿泉水", -1, 2)),
    # [3] not an order object
    "hello",
    # [4] order number as a JSON float: digits lost
    _order(2.02411e15, _line("P001", "上海青", 1, 3.5)),  # type: ignore[arg-type]
    # [5] good, UTC time
    _order("J5006", _line("F001", "速冻水饺", 1, "15.90"), placed_at="2026-11-24T01:45:00Z", remarks="  两袋分装  "),
]  # fmt: skip

_good1 = _order("L1", _line("P001", "上海青", 2, "3.50"))
JSONL_LINES: list[str] = [
    json.dumps(_good1, ensure_ascii=False),  # 1 good
    "",  # 2 blank: skipped
    '{"channel": "meituan", "order_no": "L3", "customer_name": "断', # 3 cut off: not JSON
    json.dumps(_order("L4", _line("G001", "矿泉水", 12, 2), platform_extra="x"), ensure_ascii=False),  # 4 good, unknown key
    json.dumps(_order("L5", _line("P001", "上海青", 1, "abc")), ensure_ascii=False),  # 5 bad price
    "[1, 2]",  # 6 not an object
    json.dumps(_order("L7", _line("P001", "上海青", 1, 3.5), channel="饿了么", phone="0578-8477454"), ensure_ascii=False),  # 7 good
    json.dumps(_good1, ensure_ascii=False),  # 8 the same order again: a duplicate when stored
    json.dumps(_order("L9", _line("P001", "上海青", 1, 3.5), kind="replenishment"), ensure_ascii=False),  # 9 kind not yet taken
]  # fmt: skip

# Per file: drafts (good orders as read), rejected orders, rejected rows/records, warnings.
EXPECTED: dict[str, dict[str, object]] = {
    "orders_gb18030.csv": {"drafts": ["MT24001", "0070", "P24007", "MT24008"], "rejected": 5,
                           "rejected_rows": [5, 6, 8, 9, 10, 11, 15]},
    "orders_utf8bom.csv": {"drafts": ["A1001", "A1003"], "rejected": 3, "rejected_rows": [3, 5, 6]},
    "orders.json": {"drafts": ["J5001", "J5002", "J5006"], "rejected": 3, "rejected_rows": [2, 3, 4]},
    "orders.jsonl": {"drafts": ["L1", "L4", "L7", "L1"], "rejected": 4, "rejected_rows": [3, 5, 6, 9]},
}  # fmt: skip


def _csv(header: list[str], rows: list[list[str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def build() -> dict[str, bytes]:
    return {
        "orders_gb18030.csv": _csv(ZH_HEADER, GB_ROWS).encode("gb18030"),
        "orders_utf8bom.csv": _csv(EN_HEADER, EN_ROWS).encode("utf-8-sig"),
        "orders.json": (json.dumps(JSON_ORDERS, ensure_ascii=False, indent=2) + "\n").encode("utf-8"),
        "orders.jsonl": ("\n".join(JSONL_LINES) + "\n").encode("utf-8"),
    }


def main() -> None:
    for name, data in build().items():
        (HERE / name).write_bytes(data)
        print(f"wrote {HERE / name} ({len(data)} bytes)")


if __name__ == "__main__":
    main()
