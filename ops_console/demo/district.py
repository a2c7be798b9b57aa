"""The demo district: 江苏省淮渚市柳汀区 (made up), its stores, and a generator of order addresses.

Everything here is invented: the city, the district, its streets, compounds, landmarks, stores and
phone numbers. The generator writes the kinds of addresses people really type — clean ones, with a
province / city / district prefix, in traditional characters, with full-width digits and stray
spaces, hitting nested keywords, naming two stores' places, with a typo or an abbreviation, outside
the district, and hostile text — and labels each one **by the matching rules themselves** (a plain
reference implementation of them below, independent of the Aho-Corasick matcher), keeping the store
a person would choose as the intended one.

For the demo simulator: ``random_address(rng)`` gives one ``(address, intended store or None)``.
For a labelled test set in the dev set's format: ``generate_labelled(rng)`` / ``write_dataset(dir)``.
"""

from __future__ import annotations

import csv
import json
import random
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import opencc
from rapidfuzz.distance import Levenshtein

from ops_console.domain.address import normalize
from ops_console.domain.types import StoreKind

PROVINCE = "江苏省"
CITY = "淮渚市"
DISTRICT = "柳汀区"
STREETS = ("清源街道", "沙湾街道", "白塔街道")
# Main roads of the district that are no store's keyword (written before a compound's name).
ARTERIALS = ("淮渚大道", "文汇路", "通江路", "北环路")


@dataclass(frozen=True, slots=True)
class DemoStore:
    store_id: str
    name: str
    kind: StoreKind
    phone: str
    keywords: tuple[str, ...]


def _store(sid: str, name: str, kind: str, phone: str, keywords: str) -> DemoStore:
    return DemoStore(sid, name, StoreKind(kind), phone, tuple(keywords.split("|")))


STORES: list[DemoStore] = [
    _store("S01", "梧桐店", "self", "0527-6120341", "梧桐苑|梧桐苑北区|浣纱新村|听雨小区|沙洲路|沙洲小学"),
    _store("S02", "梧桐南区店", "franchise", "0527-6120877", "梧桐苑南区|紫荆家园|兰芷公寓|樱桃路|樱桃路农贸市场"),
    _store("S03", "锦绣店", "self", "0527-6133052", "锦绣花园|锦绣花园一期|海月新村|芙蕖苑|芙蕖苑西区|柳汀区第二医院"),
    _store("S04", "锦绣二期店", "franchise", "0527-6133920", "锦绣花园二期|锦绣花园三期|白鹭洲小区|凌霄苑|望江湾|望江湾公园"),
    _store("S05", "松涛店", "self", "0527-6141266", "松涛路|松涛家园|石桥新村|芦花公寓|蔚蓝花园|淮渚实验中学"),
    _store("S06", "松涛幼儿园店", "franchise", "0527-6141709", "松涛路幼儿园|水杉公寓|紫薇苑|菖蒲街|红枫花园"),
    _store("S07", "明珠店", "self", "0527-6152480", "明珠广场|明珠大厦|金沙花园|月湖苑|湖光路"),
    _store("S08", "明珠公寓店", "franchise", "0527-6152233", "明珠广场公寓|天鹅湾|碧波苑|鹤鸣小区|仁和医院"),
    _store("S09", "芳草店", "self", "0527-6160394", "芳草苑|春江华庭|杜若花园|芳华里|长虹路|长虹公园"),
    _store("S10", "新芳草店", "franchise", "0527-6160915", "新芳草苑|嘉禾家园|嘉禾小学|帆影新村|鹊桥路"),
    _store("S11", "渔港店", "self", "0527-6171128", "渔港新村|渔港新村西区|听潮苑|枇杷园小区|柳汀区人民医院"),
    _store("S12", "渔港东区店", "franchise", "0527-6171650", "渔港新村东区|观海公寓|揽星华庭|揽星路"),
    _store("S13", "云谷店", "self", "0527-6183307", "云谷MALL|云谷湾|汇智大厦|汇智广场|晨光新村"),
    _store("S14", "锦鲤店", "franchise", "0527-6183841", "锦鲤1号院|锦鲤2号院|倚月小区|倚月湖公园|追风路"),
    _store("S15", "织造厂店", "self", "0527-6195012", "织造厂宿舍|织造厂5号院|棉纺新村|经纬路|淮渚第三中学"),
    _store("S16", "智谷店", "franchise", "0527-6195586", "Hub创客园|极客公寓|智谷大厦|创新路|晓光小区"),
    _store("S17", "梨园店", "self", "0527-6206134", "梨园新村|暗香花园|飞花小区|梨花坊|梨岭路|梨岭菜场"),
    _store("S18", "竹影店", "franchise", "0527-6206778", "竹影花园|潇湘苑|清泉小区|竹林路|竹林路小学"),
    _store("S19", "湖滨店", "self", "0527-6217245", "湖滨家园|湖滨家园二期|明镜苑|明镜体育馆|停云公寓|湖滨图书馆"),
    _store("S20", "绿茵店", "franchise", "0527-6217390", "绿茵66公寓|翠谷新村|稻香苑|麦浪路|麦浪路菜市场"),
    _store("S21", "翠屏店", "self", "0527-6228461", "翠屏花园|揽胜苑|柳汀区第一小学|望岳路"),
    _store("S22", "古渡店", "franchise", "0527-6228019", "古渡新村|渡云苑|归帆公寓|津渡府|津渡路|淮渚外国语学校"),
    _store("S23", "墨香店", "self", "0527-6239577", "墨香雅苑|流觞华庭|松风公寓|临池路|墨香中学"),
    _store("S24", "朝阳店", "franchise", "0527-6239102", "朝阳家园|朝阳家园C区|旭日小区|曙光公寓|朝阳路|柳汀区妇幼保健院"),
]

# Keyword pairs of two stores where one lies inside the other (the longer one wins by the rules).
NESTED_PAIRS: tuple[tuple[str, str], ...] = (
    ("梧桐苑", "梧桐苑南区"),
    ("锦绣花园", "锦绣花园二期"),
    ("锦绣花园", "锦绣花园三期"),
    ("松涛路", "松涛路幼儿园"),
    ("明珠广场", "明珠广场公寓"),
    ("芳草苑", "新芳草苑"),
    ("渔港新村", "渔港新村东区"),
)

STORE_BY_ID: dict[str, DemoStore] = {s.store_id: s for s in STORES}
KEYWORD_STORE: dict[str, str] = {kw: s.store_id for s in STORES for kw in s.keywords}


def keyword_pairs() -> list[tuple[str, str]]:
    """``(keyword, store_id)`` for every keyword of the district."""
    return [(kw, s.store_id) for s in STORES for kw in s.keywords]


# ----------------------------------------------------------------------------------------------
# The rules, plainly (a reference for labelling, deliberately not the Aho-Corasick matcher)
# ----------------------------------------------------------------------------------------------

_NORMALIZED_KEYWORDS: list[tuple[str, str]] = [(normalize(kw), sid) for kw, sid in keyword_pairs()]


def rule_stores(address: str) -> set[str]:
    """The stores of the keywords the matching rules count in this address (a naive loop)."""
    text = normalize(address)
    spans: list[tuple[int, int, str]] = []
    for kw, sid in _NORMALIZED_KEYWORDS:
        start = text.find(kw)
        while start >= 0:
            spans.append((start, start + len(kw), sid))
            start = text.find(kw, start + 1)
    counted = {
        sid
        for (s, e, sid) in spans
        if not any(s2 <= s and e <= e2 and (e2 - s2) > (e - s) for (s2, e2, _) in spans)
    }
    return counted


# ----------------------------------------------------------------------------------------------
# Pieces of addresses
# ----------------------------------------------------------------------------------------------

_ROAD_ENDS = ("路", "街", "大道")
_LANDMARK_ENDS = (
    "学校", "中学", "小学", "幼儿园", "医院", "保健院", "公园", "市场", "菜场", "体育馆", "图书馆", "广场",
    "大厦", "MALL", "创客园",
)
_NOTES = ("，到了打电话", "，谢谢", " 放快递柜", "（有狗）", "，下午3点后送", " 尽快送", "，送货前联系", "（放门口）")
_SHOPS = ("水果店", "面馆", "药店", "快递驿站", "烟酒店", "理发店", "早餐店", "诊所")
_LANDMARK_PARTS: dict[tuple[str, ...], tuple[str, ...]] = {
    ("医院", "保健院"): ("住院部6楼", "门诊楼2楼", "急诊室", "东门", "3号楼护士站"),
    ("学校", "中学", "小学", "幼儿园"): ("东门", "南门", "传达室", "门卫室", "行政楼4楼", "2号教学楼办公室"),
    ("市场", "菜场"): ("东门", "12号摊位", "一楼", "北门"),
    ("公园",): ("东门", "南门", "北门", "西门保安亭"),
    ("体育馆", "图书馆"): ("一楼服务台", "东门", "门卫室", "2楼"),
    ("广场", "大厦", "MALL", "创客园"): ("3楼", "B1层", "一楼服务台", "2楼201", "A座1203", "北门"),
}


def _landmark_part(rng: random.Random, keyword: str) -> str:
    for ends, parts in _LANDMARK_PARTS.items():
        if keyword.endswith(ends):
            return rng.choice(parts)
    return rng.choice(("东门", "门口"))
_T2S_BACK = opencc.OpenCC("s2t")


def _kind(keyword: str) -> str:
    if keyword.endswith(_ROAD_ENDS):
        return "road"
    if keyword.endswith(_LANDMARK_ENDS):
        return "landmark"
    return "compound"


def _building(rng: random.Random) -> str:
    b, u, f, r = rng.randint(1, 32), rng.randint(1, 4), rng.randint(1, 28), rng.randint(1, 4)
    room = f"{f}{r:02d}"
    return rng.choice(
        (
            f"{b}栋{u}单元{room}室",
            f"{b}幢{u}单元{room}",
            f"{b}号楼{room}",
            f"{b}-{u}-{room}",
            f"{b}栋{room}",
            f"{'ABCD'[u - 1]}座{room}",
            f"{b}号楼{u}单元{room}室",
        )
    )


def _house_number(rng: random.Random) -> str:
    n = rng.randint(1, 399)
    return rng.choice((f"{n}号", f"{n}-{rng.randint(1, 9)}号", f"{n}号{rng.choice(_SHOPS)}"))


def _place(rng: random.Random, keyword: str, *, detail: bool = True) -> str:
    """An address at a keyword's place: a building in a compound, a number on a road, a part of a landmark."""
    kind = _kind(keyword)
    if not detail:
        return keyword
    if kind == "road":
        return keyword + _house_number(rng)
    if kind == "landmark":
        return keyword + _landmark_part(rng, keyword)
    return keyword + _building(rng)


def _prefix(rng: random.Random) -> str:
    street = rng.choice(STREETS)
    return rng.choice(
        (
            f"{PROVINCE}{CITY}{DISTRICT}",
            f"{PROVINCE} {CITY} {DISTRICT} ",
            f"{CITY}{DISTRICT}",
            f"{DISTRICT}{street}",
            f"中国{PROVINCE}{CITY}{DISTRICT}",
            f"{PROVINCE}{CITY}{DISTRICT}{street}",
            f"江苏淮渚{DISTRICT}",
        )
    )


def _pick_keyword(rng: random.Random, store: DemoStore | None = None) -> tuple[str, str]:
    store = store or rng.choice(STORES)
    return rng.choice(store.keywords), store.store_id


# ----------------------------------------------------------------------------------------------
# The cases: each returns (address, intended store or None)
# ----------------------------------------------------------------------------------------------


def _clean(rng: random.Random) -> tuple[str, str | None]:
    kw, sid = _pick_keyword(rng)
    addr = _place(rng, kw)
    roll = rng.random()
    if _kind(kw) == "compound" and roll < 0.25:
        addr = rng.choice(ARTERIALS) + f"{rng.randint(1, 399)}号" + addr
    elif _kind(kw) == "compound" and roll < 0.35:
        own_roads = [k for k in STORE_BY_ID[sid].keywords if _kind(k) == "road"]
        if own_roads:
            addr = rng.choice(own_roads) + f"{rng.randint(1, 399)}号" + addr
    if rng.random() < 0.3:
        addr += rng.choice(_NOTES)
    return addr, sid


def _with_prefix(rng: random.Random) -> tuple[str, str | None]:
    kw, sid = _pick_keyword(rng)
    return _prefix(rng) + _place(rng, kw), sid


def _traditional(rng: random.Random) -> tuple[str, str | None]:
    addr, sid = (_with_prefix if rng.random() < 0.4 else _clean)(rng)
    if rng.random() < 0.7:
        return _T2S_BACK.convert(addr), sid
    cut = rng.randint(1, max(1, len(addr) - 1))  # only part of it in traditional characters
    return _T2S_BACK.convert(addr[:cut]) + addr[cut:], sid


def _to_fullwidth(text: str, rng: random.Random) -> str:
    out = []
    for ch in text:
        if ("0" <= ch <= "9" or "A" <= ch <= "Z" or "a" <= ch <= "z" or ch == "-") and rng.random() < 0.8:
            out.append(chr(ord(ch) + 0xFEE0))
        else:
            out.append(ch)
    return "".join(out)


def _scatter_spaces(text: str, rng: random.Random, count: int) -> str:
    chars = list(text)
    for _ in range(count):
        chars.insert(rng.randint(1, max(1, len(chars) - 1)), rng.choice((" ", "\u3000", "\t", "  ")))
    return "".join(chars)


def _fullwidth(rng: random.Random) -> tuple[str, str | None]:
    kw, sid = _pick_keyword(rng)
    place = _place(rng, kw)
    if rng.random() < 0.12:
        # Punctuation inside the keyword: the rules no longer find it (manual, store known).
        i = rng.randint(1, len(kw) - 1)
        place = kw[:i] + rng.choice(("．", "-", "·", "＿", "、")) + kw[i:] + place[len(kw) :]  # noqa: RUF001 - messy separators on purpose
    addr = _to_fullwidth(place, rng)
    addr = _scatter_spaces(addr, rng, rng.randint(1, 3))
    if rng.random() < 0.4:
        addr = rng.choice(("\u3000", " ", "\t", "")) + _prefix(rng) + rng.choice(("，", "、", " ")) + addr
    return addr + rng.choice(("", " , ！！", "、，，", "~~", " \n", "\u3000")), sid


def _nested(rng: random.Random) -> tuple[str, str | None]:
    short, long_ = rng.choice(NESTED_PAIRS)
    kw = long_ if rng.random() < 0.6 else short
    addr = _place(rng, kw)
    if rng.random() < 0.3:
        addr = _prefix(rng) + addr
    return addr, KEYWORD_STORE[kw]


_CLEAR_TEMPLATES = (
    "{a}对面的{b}",
    "{a}旁边的{b}",
    "{a}隔壁{b}",
    "{a}附近，{b}",
    "{a}公交站下车，{b}",
    "{a}往北走200米，{b}",
    "从{a}进去，{b}",
    "以前住{a}，现在送{b}",
    "{b}，不是{a}",
    "{b}（别送到{a}）",
    "{b}（靠近{a}）",
    "原地址{a}，改送{b}",
)
_NULL_TEMPLATES = ("{a}或者{b}都可以", "{a}/{b}", "{a}和{b}交界的路口", "{ad}{bd}", "{a}还是{b}，打电话问")


def _ambiguous(rng: random.Random) -> tuple[str, str | None]:
    sa, sb = rng.sample(STORES, 2)
    a, _ = _pick_keyword(rng, sa)
    b, _ = _pick_keyword(rng, sb)
    if rng.random() < 0.25:
        template = rng.choice(_NULL_TEMPLATES)
        return template.format(a=a, b=b, ad=a, bd=_place(rng, b)), None
    template = rng.choice(_CLEAR_TEMPLATES)
    return template.format(a=a, b=_place(rng, b)), sb.store_id


# Characters a person easily types instead (same or similar sound, or similar shape); the
# generator's own table, used to make one-character typos.
_SOUND_ALIKE: dict[str, str] = {
    "梧": "吴无", "桐": "同铜", "浣": "换皖", "纱": "沙砂", "雨": "语宇", "洲": "州舟", "紫": "子梓", "荆": "京晶",
    "芷": "止址", "樱": "鹰英", "桃": "陶逃", "锦": "金近", "绣": "秀锈", "月": "越悦", "芙": "扶夫", "蕖": "渠",
    "鹭": "路露", "凌": "灵陵", "霄": "宵消", "涛": "滔韬", "桥": "乔侨", "芦": "卢炉", "蔚": "尉慰", "杉": "山衫",
    "薇": "微维", "菖": "昌常", "蒲": "浦普", "枫": "峰风", "珠": "朱株", "沙": "纱砂", "鹅": "娥俄", "波": "坡博",
    "鹤": "贺河", "鸣": "名铭", "仁": "人任", "芳": "方坊", "草": "曹早", "杜": "度渡", "若": "弱偌", "虹": "红宏",
    "禾": "和河", "帆": "凡番", "影": "颖映", "鹊": "雀却", "潮": "巢嘲", "枇": "批琵", "杷": "耙琶", "观": "关官",
    "揽": "览缆", "星": "兴新", "谷": "古骨", "汇": "会惠", "智": "志至", "晨": "辰尘", "鲤": "里理", "倚": "依椅",
    "追": "锥", "棉": "绵眠", "纺": "仿访", "织": "只枝", "纬": "伟维", "极": "级及", "晓": "小孝", "暗": "岸按",
    "香": "乡湘", "飞": "非菲", "梨": "黎离", "岭": "领玲", "潇": "萧箫", "湘": "相厢", "泉": "全权", "滨": "彬宾",
    "镜": "静境", "停": "亭婷", "茵": "因音", "翠": "脆萃", "稻": "道盗", "麦": "迈卖", "屏": "平萍", "胜": "圣盛",
    "岳": "乐跃", "渡": "度杜", "归": "贵规", "墨": "默陌", "觞": "伤商", "旭": "续叙", "曙": "署蜀", "霞": "侠",
    "湖": "胡糊", "松": "淞崧", "云": "芸耘", "海": "亥", "江": "姜疆", "湾": "弯", "苑": "园院", "庭": "亭廷",
}
# Abbreviations and alternative forms people write (the generator's own list of habits).
_SHORT_FORMS: tuple[tuple[str, str], ...] = (
    ("花园", "园"), ("新村", "村"), ("小区", ""), ("家园", ""), ("雅苑", "苑"), ("华庭", "庭"),
    ("第三中学", "三中"), ("第一小学", "一小"), ("第二医院", "二院"), ("外国语学校", "外国语"),
    ("实验中学", "实验"), ("妇幼保健院", "妇幼"), ("菜市场", "菜场"), ("农贸市场", "菜场"), ("体育馆", "体育中心"),
    ("公园", ""), ("创客园", "园区"), ("图书馆", "图书馆分馆"),
)


def _typo_token(rng: random.Random, kw: str) -> tuple[str, str] | None:
    """A one-character typo or an abbreviation of a keyword, or None when none fits."""
    if rng.random() < 0.55:
        positions = [i for i, ch in enumerate(kw) if ch in _SOUND_ALIKE]
        if not positions:
            return None
        i = rng.choice(positions)
        return kw[:i] + rng.choice(_SOUND_ALIKE[kw[i]]) + kw[i + 1 :], "one_char"
    options: list[str] = []
    for long_, short in _SHORT_FORMS:
        pos = kw.find(long_)
        if pos >= 0:
            options.append(kw[:pos] + short + kw[pos + len(long_) :])
    if kw.startswith(DISTRICT):
        options.append(DISTRICT[:-1] + kw[len(DISTRICT) :])  # 柳汀区人民医院 -> 柳汀人民医院
    for digit, cn in zip("1256", ("一", "二", "五", "六十六"), strict=True):
        if digit in kw:
            options.append(kw.replace("66" if digit == "6" else digit, cn, 1))
    for road in ("路小学", "路幼儿园", "路菜市场", "路农贸市场"):
        if road in kw:
            options.append(kw.replace("路", "", 1))
    for tail in ("二期", "三期", "东区", "西区", "南区", "北区", "C区"):
        if kw.endswith(tail) and len(kw) > len(tail) + 3:
            base = kw[: -len(tail)]
            for generic in ("花园", "新村", "家园", "苑"):
                if base.endswith(generic):
                    options.append(base[: -len(generic)] + tail)
    if kw.endswith(("路", "街")):
        options.append(kw[:-1] + ("街" if kw.endswith("路") else "路"))
    if len(kw) >= 5:
        i = rng.randint(1, len(kw) - 2)
        options.append(kw[:i] + kw[i + 1 :])  # a character left out
    options = [o for o in options if len(o) >= 2]
    if not options:
        return None
    return rng.choice(options), "short_form"


def _typo(rng: random.Random) -> tuple[str, str | None]:
    for _ in range(200):
        kw, sid = _pick_keyword(rng)
        made = _typo_token(rng, kw)
        if made is None:
            continue
        token, how = made
        norm = normalize(token)
        others = [k for k, s in _NORMALIZED_KEYWORDS if s != sid]
        if any(k in norm or norm in k for k in others):
            continue  # another store's name would be read into it
        if how == "one_char":
            own = min(Levenshtein.distance(norm, k) for k, s in _NORMALIZED_KEYWORDS if s == sid)
            if own != 1 or min(Levenshtein.distance(norm, k) for k in others) <= 1:
                continue  # the intended keyword must be strictly the nearest
        place = _place(rng, kw)
        addr = token + place[len(kw) :]
        if rng.random() < 0.35 and not token.startswith(DISTRICT[:2]):
            addr = _prefix(rng) + addr
        return addr, sid
    raise RuntimeError("no typo could be made")  # pragma: no cover


_OTHER_PLACES = (
    "江苏省南京市鼓楼区", "南京市玄武区", "苏州市吴中区", "无锡市梁溪区", "浙江省杭州市西湖区", "上海市浦东新区",
    "安徽省合肥市包河区", "山东省济南市历下区", f"{CITY}东浦区", f"{PROVINCE}{CITY}临湖区", "扬州市邗江区",
)
_OTHER_ROADS = ("人民路", "解放路", "中山路", "建设路", "和平路", "长江路", "东风路", "新华街", "胜利大道", "青年路")
_OTHER_COMPOUNDS = ("幸福家园", "阳光花园", "金色年华小区", "东方名苑", "世纪新城", "绿地中心", "盛世华庭", "丽景湾")


def _outside(rng: random.Random) -> tuple[str, str | None]:
    place = rng.choice(_OTHER_PLACES)
    roll = rng.random()
    if roll < 0.4:
        addr = place + rng.choice(_OTHER_ROADS) + f"{rng.randint(1, 399)}号"
    elif roll < 0.8:
        addr = place + rng.choice(_OTHER_COMPOUNDS) + _building(rng)
    else:
        addr = place + rng.choice(_OTHER_ROADS) + f"{rng.randint(1, 399)}号" + rng.choice(_OTHER_COMPOUNDS) + _building(rng)
    if rng.random() < 0.3 and "市" in place:
        addr = addr[addr.index("市") + 1 :]  # the district alone
    return addr, None


_HOSTILE_EMPTY = (
    "", "   ", "\t\u3000 \n", "null", "None", "N/A", "13812345678", "+86 138-1234-5678", "0527-6120341",
    "'; DROP TABLE orders; --", "<script>alert(1)</script>", "../../etc/passwd", "${jndi:ldap://example.invalid/x}",
    "\x00\x01\x02\x1b[31m", "🏠🏠🚚📦", "ＳＥＬＥＣＴ＊ＦＲＯＭ\u3000ｓｔｏｒｅｓ", "Flat 3, 12 Queen Street, Leeds",  # noqa: RUF001 - hostile input on purpose
    "Квартира 7, ул. Мира 3", "锟斤拷锟斤拷", "\u200b\u200b\u200b", "\ufeff", "地址地址地址", "测试" * 1000,
)


def _hostile(rng: random.Random) -> tuple[str, str | None]:
    if rng.random() < 0.55:
        return rng.choice(_HOSTILE_EMPTY), None
    kw, sid = _pick_keyword(rng)
    place = _place(rng, kw)
    wrap = rng.choice(
        (
            "{p}<img src=x onerror=alert(1)>",
            "{p}'; DELETE FROM stores; --",
            "📦{p}🙏",
            "\u202e{p}",
            "{p}\x07\x00",
            "Room 5, {p}, Huaizhu",
            "{p}" + "。" * 1990,
            "\u200b{p}\u200b",
            "收货人张三 13812345678 {p}",
        )
    )
    return wrap.format(p=place), sid


CASES = {
    "clean": _clean,
    "prefix": _with_prefix,
    "traditional": _traditional,
    "fullwidth": _fullwidth,
    "nested": _nested,
    "ambiguous": _ambiguous,
    "typo": _typo,
    "outside": _outside,
    "hostile": _hostile,
}
# The dev set's mix (400 rows).
DEFAULT_COUNTS = {
    "clean": 140,
    "prefix": 60,
    "traditional": 32,
    "fullwidth": 32,
    "nested": 24,
    "ambiguous": 24,
    "typo": 40,
    "outside": 24,
    "hostile": 24,
}
# What orders look like day to day (for the simulator): mostly clean addresses.
ORDER_MIX = {
    "clean": 0.55,
    "prefix": 0.17,
    "traditional": 0.03,
    "fullwidth": 0.04,
    "nested": 0.07,
    "ambiguous": 0.04,
    "typo": 0.07,
    "outside": 0.02,
    "hostile": 0.01,
}


@dataclass(frozen=True, slots=True)
class LabelledAddress:
    id: str
    address: str
    expected_auto: bool
    expected_store: str | None
    case: str

    def as_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "address": self.address,
            "expected_auto": self.expected_auto,
            "expected_store": self.expected_store,
            "case": self.case,
        }


def _label(case: str, address: str, intended: str | None) -> tuple[bool, str | None] | None:
    """``(expected_auto, expected_store)`` by the rules, or None when the row must be drawn again."""
    stores = rule_stores(address)
    if len(stores) == 1:
        (found,) = stores
        if intended is None or found != intended:
            return None  # the rules would send a courier to the wrong store: no label can be right
        if case in ("typo", "ambiguous", "outside"):
            return None
        return True, found
    if case in ("clean", "prefix", "traditional", "nested"):
        return None  # these must be found by the rules as they stand
    if case == "ambiguous" and len(stores) < 2:
        return None
    if case in ("typo", "outside") and stores:
        return None
    return False, intended


def labelled_case(rng: random.Random, case: str) -> tuple[str, bool, str | None]:
    """One labelled address of a case: ``(address, expected_auto, expected_store)``."""
    make = CASES[case]
    for _ in range(500):
        address, intended = make(rng)
        label = _label(case, address, intended)
        if label is not None:
            return address, label[0], label[1]
    raise RuntimeError(f"could not generate a {case} address")  # pragma: no cover


def generate_labelled(
    rng: random.Random, counts: dict[str, int] | None = None, *, id_prefix: str = "Z"
) -> list[LabelledAddress]:
    """A labelled set in the dev set's format, shuffled, ids ``Z001``..."""
    counts = counts or DEFAULT_COUNTS
    rows: list[tuple[str, str, bool, str | None]] = []
    seen: set[str] = set()
    for case, n in counts.items():
        made = 0
        while made < n:
            address, auto, store = labelled_case(rng, case)
            if address in seen:
                continue
            seen.add(address)
            rows.append((case, address, auto, store))
            made += 1
    rng.shuffle(rows)
    width = max(3, len(str(len(rows))))
    return [
        LabelledAddress(f"{id_prefix}{i:0{width}d}", address, auto, store, case)
        for i, (case, address, auto, store) in enumerate(rows, 1)
    ]


def generate_addresses(rng: random.Random, n: int, mix: dict[str, float] | None = None) -> Iterator[LabelledAddress]:
    """``n`` labelled addresses drawn with the order mix (ids ``A1``, ``A2`` ...)."""
    mix = mix or ORDER_MIX
    cases, weights = zip(*mix.items(), strict=True)
    for i in range(1, n + 1):
        case = rng.choices(cases, weights)[0]
        address, auto, store = labelled_case(rng, case)
        yield LabelledAddress(f"A{i}", address, auto, store, case)


def random_address(rng: random.Random, mix: dict[str, float] | None = None) -> tuple[str, str | None]:
    """One order address and the store a person would deliver it from (None: nobody serves it)."""
    row = next(generate_addresses(rng, 1, mix))
    return row.address, row.expected_store


def write_dataset(directory: str | Path, seed: int = 20260401, counts: dict[str, int] | None = None) -> Path:
    """Write ``stores.csv`` and ``addresses.jsonl`` (the dev set's formats) into a directory."""
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    with (out / "stores.csv").open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["store_id", "name", "kind", "phone", "keywords"])
        for s in STORES:
            w.writerow([s.store_id, s.name, s.kind.value, s.phone, "|".join(s.keywords)])
    rows = generate_labelled(random.Random(seed), counts)
    with (out / "addresses.jsonl").open("w", encoding="utf-8", newline="\n") as f:
        for row in rows:
            f.write(_escape_invisible(json.dumps(row.as_json(), ensure_ascii=False)) + "\n")
    return out


def _escape_invisible(line: str) -> str:
    """Control and invisible format characters as ``\\uXXXX`` escapes (as the dev set writes them)."""
    return "".join(
        f"\\u{ord(ch):04x}" if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") else ch for ch in line
    )
