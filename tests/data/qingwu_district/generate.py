"""A second labelled district, made up for the matcher (deterministic; stdlib + pypinyin).

    python tests/data/qingwu_district/generate.py    # rewrites stores.csv and addresses.jsonl here

福建省澄州市青梧区: 20 stores whose keywords often carry the district's or the city's name
(青梧创客园, 青梧区中医院, 澄州第二中学), so that a short form of a keyword is a place name every
address of the district starts with; addresses with and without the prefix, misspelt ones (one
character typed wrong or left out, where the intended keyword is strictly the nearest), addresses
typed in pinyin or with an English road word, and addresses outside the district. Labels follow
the rules of tests/data/address_dev/README.md exactly; rows that would break them are not written.
"""

from __future__ import annotations

import csv
import json
import random
from pathlib import Path

from pypinyin import Style, lazy_pinyin

SEED = 20261203
HERE = Path(__file__).resolve().parent

STORES: list[tuple[str, str, str, list[str]]] = [
    ("Q01", "青梧创客店", "self", ["青梧创客园", "辰光小区", "鹿鸣苑", "听松路"]),
    ("Q02", "青梧医院店", "franchise", ["青梧区中医院", "桑榆新村", "采薇公寓", "泊云路"]),
    ("Q03", "青梧湖店", "self", ["青梧湖公园", "蒹葭花园", "白沙湾", "浮玉路"]),
    ("Q04", "青梧大道店", "franchise", ["青梧大道", "藕香里", "清晖家园", "云栖小区"]),
    ("Q05", "澄州二中店", "self", ["澄州第二中学", "石榴新村", "栖霞苑", "锦帆路"]),
    ("Q06", "澄州广场店", "franchise", ["澄州广场", "望潮公寓", "橘子洲小区", "榕荫路"]),
    ("Q07", "凤尾店", "self", ["凤尾竹园", "海棠新村", "晴岚花园", "观澜路"]),
    ("Q08", "南屿店", "franchise", ["南屿镇卫生院", "荔枝湾", "龙眼新村", "桐花路"]),
    ("Q09", "青梧实小店", "self", ["青梧实验小学", "紫藤苑", "翠竹家园", "茶亭街"]),
    ("Q10", "金汤店", "franchise", ["金汤花园", "银杏公寓", "琴台小区", "沁芳路"]),
    ("Q11", "乌山店", "self", ["乌山新村", "百合苑", "芝兰小区", "烟台路"]),
    ("Q12", "闽江店", "franchise", ["闽江公寓", "水榭华庭", "鼓楼新村", "上渡路"]),
    ("Q13", "三坊店", "self", ["三坊花园", "七巷公寓", "安泰家园", "澳门路"]),
    ("Q14", "螺洲店", "franchise", ["螺洲新村", "青梧软件园", "盘屿小区", "仓前路"]),
    ("Q15", "洪塘店", "self", ["洪塘花园", "金山公寓", "浦下新村", "建新路"]),
    ("Q16", "马尾店", "franchise", ["马尾新村", "船政苑", "快安小区", "罗星路"]),
    ("Q17", "琅岐店", "self", ["琅岐家园", "雁行公寓", "红光小区", "松涛街"]),
    ("Q18", "鳌峰店", "franchise", ["鳌峰苑", "横屿新村", "秀峰花园", "湖东路"]),
    ("Q19", "西禅店", "self", ["西禅小区", "怡山公寓", "荷泽新村", "工业路"]),
    ("Q20", "东湖店", "franchise", ["东湖花园", "晓岚公寓", "福兴新村", "青梧区人民医院"]),
]
PREFIXES = ("福建省澄州市青梧区", "澄州市青梧区", "青梧区", "青梧区南屿镇", "福建省 澄州市 青梧区 ", "青梧区青梧街道")
OUTSIDE = (
    "福州市鼓楼区五四路{n}号", "厦门市思明区湖滨南路{n}号{b}", "澄州市白鹭区江滨路{n}号", "泉州市丰泽区东海大街{n}号",
    "莆田市城厢区荔城路{n}号{b}", "上海市徐汇区漕溪北路{n}号",
)
# Characters a typing or listening slip turns a character into (homophones and look-alikes).
SLIPS = {
    "辰": "晨陈臣", "光": "广", "鹿": "路露陆", "鸣": "明名", "苑": "园院远", "松": "淞嵩", "桑": "嗓", "榆": "愉于",
    "薇": "微维", "泊": "柏博", "湾": "弯", "浮": "扶", "玉": "钰郁", "藕": "偶", "香": "湘乡", "晖": "辉挥",
    "栖": "西溪", "石": "时", "榴": "留流", "霞": "夏", "帆": "凡繁", "望": "旺", "潮": "朝", "橘": "桔",
    "洲": "州舟", "榕": "容蓉", "荫": "阴", "凤": "风峰", "尾": "伟", "海": "嗨", "棠": "堂唐", "晴": "清情",
    "岚": "兰蓝", "澜": "兰", "荔": "丽莉", "枝": "之", "龙": "隆", "眼": "言", "桐": "同童", "紫": "子",
    "藤": "腾", "翠": "萃", "竹": "竺", "茶": "查", "亭": "庭婷", "汤": "唐", "杏": "幸", "琴": "勤", "台": "苔",
    "沁": "心", "芳": "方", "乌": "屋", "百": "柏", "合": "和", "芝": "枝", "兰": "蓝", "烟": "炎", "鼓": "古",
    "渡": "度", "榭": "谢", "坊": "方", "巷": "象", "泰": "太", "螺": "罗", "盘": "磐", "屿": "玉", "仓": "苍",
    "洪": "宏", "塘": "唐", "浦": "普", "船": "传", "政": "正", "快": "块", "罗": "萝", "星": "心", "琅": "朗",
    "岐": "歧", "雁": "燕", "鳌": "熬", "峰": "锋", "横": "恒", "秀": "绣", "禅": "蝉", "怡": "宜", "泽": "择",
    "晓": "小", "兴": "星", "安": "按", "闽": "敏", "蒹": "兼", "葭": "家", "采": "彩",
}
ENGLISH = {"路": ("road", "rd"), "街": ("street", "st"), "大道": ("avenue",), "公寓": ("apartments",),
           "花园": ("garden", "gardens"), "小区": ("community",), "新村": ("new village",)}


def building(rng: random.Random) -> str:
    return rng.choice((
        f"{rng.randint(1, 30)}栋{rng.randint(1, 4)}单元{rng.randint(1, 26)}0{rng.randint(1, 4)}室",
        f"{rng.randint(1, 30)}-{rng.randint(1, 4)}-{rng.randint(1, 26)}0{rng.randint(1, 4)}",
        f"{rng.randint(1, 300)}号",
        f"{rng.randint(1, 30)}号楼{rng.randint(1, 26)}0{rng.randint(1, 4)}",
        f"{rng.randint(1, 30)}幢{rng.randint(1, 26)}0{rng.randint(1, 4)}，放门口",
    ))


def latin_building(rng: random.Random) -> str:
    return rng.choice((
        f" {rng.randint(1, 30)}栋{rng.randint(1, 4)}单元{rng.randint(1, 26)}0{rng.randint(1, 4)}",
        f", {rng.randint(1, 30)}-{rng.randint(1, 4)}-{rng.randint(1, 26)}0{rng.randint(1, 4)}",
        f" {rng.randint(1, 300)}",
        f" No.{rng.randint(1, 300)}",
        f" building {rng.randint(1, 30)} room {rng.randint(1, 26)}0{rng.randint(1, 4)}",
    ))


def pinyin_form(rng: random.Random, kw: str) -> str:
    """How a person may type the keyword in Latin letters."""
    for suffix, words in ENGLISH.items():
        if kw.endswith(suffix) and rng.random() < 0.35:
            name = " ".join(lazy_pinyin(kw[: -len(suffix)])).title().replace(" ", rng.choice(("", " ")))
            return f"{name} {rng.choice(words)}"
    syllables = lazy_pinyin(kw)
    style = rng.random()
    if style < 0.4:
        return "".join(syllables)
    if style < 0.7:
        return " ".join(s.title() for s in syllables)
    if style < 0.85:
        return "".join(syllables).upper()
    return " ".join(lazy_pinyin(kw, style=Style.TONE))


def distance(a: str, b: str) -> int:
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def nearest_is(slipped: str, kw: str, keywords: list[str]) -> bool:
    """The misspelt name is strictly nearer to its keyword than to any other."""
    mine = distance(slipped, kw)
    return all(distance(slipped, other) > mine for other in keywords if other != kw)


def norm(text: str) -> str:
    return "".join(ch for ch in text if not ch.isspace()).lower()


def rule(address: str, pairs: list[tuple[str, str]]) -> set[str]:
    """The stores of the counted keywords (rules 2-3; this district has no traditional characters)."""
    text = norm(address)
    spans = []
    for kw, sid in pairs:
        i = text.find(kw)
        while i >= 0:
            spans.append((i, i + len(kw), sid))
            i = text.find(kw, i + 1)
    return {sid for s, e, sid in spans if not any(a <= s and e <= b and b - a > e - s for a, b, _ in spans)}


def make_rows(rng: random.Random) -> list[dict[str, object]]:
    pairs = [(kw, sid) for sid, _, _, kws in STORES for kw in kws]
    keywords = [kw for kw, _ in pairs]
    rows: list[dict[str, object]] = []

    def add(address: str, expected_auto: bool, store: str | None, case: str) -> None:
        found = rule(address, pairs)
        if expected_auto and found != {store}:
            return
        if not expected_auto and len(found) == 1:
            return
        if case in ("typo", "pinyin", "outside") and found:
            return
        rows.append({"address": address, "expected_auto": expected_auto, "expected_store": store, "case": case})

    for _ in range(120):
        kw, sid = rng.choice(pairs)
        prefix = rng.choice(PREFIXES) if rng.random() < 0.6 else ""
        add(prefix + kw + building(rng), True, sid, "prefix" if prefix else "clean")
    typos = 0
    while typos < 90:
        kw, sid = rng.choice(pairs)
        name = kw
        if len(name) < 4 and rng.random() < 0.5:
            continue  # three-character names: mostly typed wrong, not left out
        i = rng.randrange(len(name))
        if rng.random() < 0.8 and name[i] in SLIPS:
            slipped = name[:i] + rng.choice(SLIPS[name[i]]) + name[i + 1 :]
        elif len(name) >= 4:
            slipped = name[:i] + name[i + 1 :]
        else:
            continue
        if not nearest_is(slipped, kw, keywords):
            continue
        prefix = rng.choice(PREFIXES) if rng.random() < 0.75 else ""
        before = len(rows)
        add(prefix + slipped + building(rng), False, sid, "typo")
        typos += len(rows) - before
    pinyins = 0
    while pinyins < 60:
        kw, sid = rng.choice(pairs)
        if kw.startswith(("青梧区", "南屿镇")):
            continue  # institutions named after the district: nobody spells those in pinyin
        before = len(rows)
        add(pinyin_form(rng, kw) + latin_building(rng), False, sid, "pinyin")
        pinyins += len(rows) - before
    for _ in range(30):
        add(rng.choice(OUTSIDE).format(n=rng.randint(1, 300), b=building(rng)), False, None, "outside")
    rng.shuffle(rows)
    for i, row in enumerate(rows, 1):
        row["id"] = f"Q{i:03d}"
    return [{k: row[k] for k in ("id", "address", "expected_auto", "expected_store", "case")} for row in rows]


def write(out: Path = HERE, seed: int = SEED) -> None:
    with (out / "stores.csv").open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["store_id", "name", "kind", "phone", "keywords"])
        for i, (sid, name, kind, kws) in enumerate(STORES):
            w.writerow([sid, name, kind, f"0599-83{i:02d}{(i * 37) % 100:02d}", "|".join(kws)])
    with (out / "addresses.jsonl").open("w", encoding="utf-8") as f:
        for row in make_rows(random.Random(seed)):
            f.write(json.dumps(row, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    write()
    print(f"wrote {HERE / 'stores.csv'} and {HERE / 'addresses.jsonl'}")
