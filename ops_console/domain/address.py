"""Address text: the normalization every keyword and address goes through, and keyword proposals.

``normalize`` follows rule 1 of the address matching rules exactly (see the address data sets'
README): cut to 2,000 characters; traditional -> simplified Chinese with OpenCC ``t2s``; full-width
U+FF01-FF5E -> half-width and U+3000 -> space; every character for which ``str.isspace`` is true
removed; Latin letters lower-cased. Nothing else changes: punctuation, control characters that are
not whitespace, zero-width characters and Chinese numerals stay as they are.

``propose_keyword`` takes the compound or road name out of an address (the part before the
building / unit / room markers, without the province / city / district / street prefix) so that a
dispatcher's manual choice can become a keyword.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from functools import lru_cache

import opencc

MAX_ADDRESS_CHARS = 2000

_T2S = opencc.OpenCC("t2s")


def _build_table() -> dict[int, int | None]:
    table: dict[int, int | None] = {}
    # Latin letters that have a one-character lower-case form (A-Z, Latin-1, Latin Extended...).
    for cp in (*range(0x0041, 0x0250), *range(0x1E00, 0x1F00), *range(0x2C60, 0x2C80), *range(0xA720, 0xA800)):
        ch = chr(cp)
        low = ch.lower()
        if (
            low != ch
            and len(low) == 1
            and unicodedata.category(ch).startswith("L")
            and "LATIN" in unicodedata.name(ch, "").split()
        ):
            table[cp] = ord(low)
    # Full-width ASCII variants -> half-width (then lower-cased when a Latin capital).
    for cp in range(0xFF01, 0xFF5F):
        half = cp - 0xFEE0
        table[cp] = table.get(half, half)
    # Whitespace as str.isspace says (all of it lies in the BMP below U+3001); U+3000 is among it.
    for cp in range(0x3001):
        if chr(cp).isspace():
            table[cp] = None
    return table


_TABLE = _build_table()


def _character_class(codepoints: list[int]) -> str:
    """A regular-expression character class of exactly these (sorted) code points, as ranges."""
    parts: list[str] = []
    for _, run in itertools.groupby(enumerate(codepoints), key=lambda pair: pair[1] - pair[0]):
        points = [cp for _, cp in run]
        first, last = re.escape(chr(points[0])), re.escape(chr(points[-1]))
        parts.append(first if len(points) == 1 else f"{first}-{last}")
    return "[" + "".join(parts) + "]"


# The characters the table changes. Most addresses have none of them, and translate() looks up
# every character (about a microsecond an address): only texts that have one go through it.
_CHANGED_BY_TABLE = re.compile(_character_class(sorted(_TABLE)))


def normalize(text: str) -> str:
    """Normalize an address or a keyword (rule 1 of the matching rules); never raises on a str."""
    if not text:
        return ""
    if len(text) > MAX_ADDRESS_CHARS:
        text = text[:MAX_ADDRESS_CHARS]
    if not text.isascii():
        text = _t2s(text)
    if _CHANGED_BY_TABLE.search(text) is None:
        return text
    return text.translate(_TABLE)


def _t2s(text: str) -> str:
    try:
        return _T2S.convert(text)
    except (UnicodeEncodeError, ValueError):
        # Lone surrogates cannot be encoded as UTF-8; convert the encodable runs around them.
        parts = re.split(r"([\ud800-\udfff]+)", text)
        return "".join(p if (i % 2 or not p) else _T2S.convert(p) for i, p in enumerate(parts))


@lru_cache(maxsize=8192)
def normalize_keyword(keyword: str) -> str:
    """Keywords are normalized exactly like addresses (cached: the same few thousand recur)."""
    return normalize(keyword)


# --------------------------------------------------------------------------------------------
# Keyword proposal
# --------------------------------------------------------------------------------------------

_CN_NUM = "一二三四五六七八九十百零〇两"
# A house / building / unit / room / floor number: where the compound or road name ends.
_NUMBER_MARKER = re.compile(
    r"(?:"
    r"\d+(?:-\d+)+"  # 12-2-2603, 224-7
    r"|[\d" + _CN_NUM + r"]+(?:号楼|栋|幢|座|单元|号(?!院)|室|楼|层|弄|户|铺)"
    r"|[a-z](?:座|栋|幢)"  # D座, B栋
    r"|\d{2,}(?![\d\u4e00-\u9fff])"  # a bare number (room 502), not 108公寓 nor 100米
    r")"
)
# Separators between the parts of an address or between an address and a note.
_SEPARATORS = re.compile(r"[，,。.；;、/|（）()\[\]【】<>《》!！?？:：\"'“”‘’~～#＃*]+|交叉口|路口|与")
# Words after which the place a parcel goes to starts ("...对面的B", "现在送B", "送到B").
_LEAD_INS = re.compile(
    r".*(?:对面的|对面|旁边的|旁边|隔壁的|隔壁|附近的|附近|后面的|后面|前面的|边上的|"
    r"现在送|送到|送至|寄到|寄至|请送|送货到|住在|地址是|地址为|地址|下车|米处)"
)
_NOTE_PREFIX = re.compile(r"^(?:以前住|原来住|之前住|不是|别送到|别送|不要送到|不要送|送)")
# Province / city / district / street prefixes; the district and city names are 2-4 characters and
# the character before 区 / 市 must not make it a compound part (小区, 东区, 园区, 菜市...).
_NOT_BEFORE_ADMIN = r"[^\d\W小园社东西南北中新老菜超集夜门期厂校营岛a-z]"
_PROVINCE = re.compile(r"^[^\d\W]{2,7}?(?:省|自治区|特别行政区)")
_CITY = re.compile(r"^[^\d\W]{1,3}" + _NOT_BEFORE_ADMIN + r"(?:市(?!场)|州(?=[^\d\W]{2,4}[区县]))")
_DISTRICT = re.compile(r"^[^\d\W]{1,3}" + _NOT_BEFORE_ADMIN + r"(?:区|县|旗)")
_STREET = re.compile(r"^[^\d\W]{2,4}(?:街道|镇|乡)")
_ADMIN_PREFIXES = (re.compile(r"^中国"), _PROVINCE, _CITY, _DISTRICT, _STREET)
# After a district: words that make the district part of an institution's name (栖凤区中医院).
_INSTITUTION_START = re.compile(
    r"^(?:第?[一二三四五六七八九十\d]*(?:中学|小学|中医院|人民医院|医院|幼儿园|妇幼保健院|实验[中小]学|"
    r"体育馆|图书馆|人民政府|政府|人民法院|法院|检察院|公安|税务局|疾控中心|外国语|职业|卫生院))"
)
# Parts of a building complex named after the compound (住院部, 教学楼, 南门...).
_TRAILING_PARTS = re.compile(
    r"(?:行政楼|教学楼|住院部|门诊楼|门诊部|办公楼|综合楼|实验楼|宿舍楼|教师宿舍|职工宿舍|学生宿舍|"
    r"[东南西北正侧后]门|大门|门口|门卫室|门卫|传达室|食堂|前台|护士站|停车场|地下室|车库|公交站|站)+$"
)
_ROAD_SUFFIXES = ("路", "街", "大道", "道", "巷", "弄")
_NAME_SUFFIXES = (
    "小区", "花园", "新村", "家园", "公寓", "华庭", "雅苑", "苑", "府", "园", "村", "里", "坊", "湾", "城",
    "大厦", "广场", "中心", "大楼", "宿舍", "号院", "学校", "中学", "小学", "幼儿园", "医院", "保健院",
    "公园", "市场", "菜场", "体育馆", *_ROAD_SUFFIXES,
)


def _is_cjk(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf"


def _strip_admin(text: str) -> str:
    for pattern in _ADMIN_PREFIXES:
        m = pattern.match(text)
        if m and len(text) - m.end() >= 2:
            rest = text[m.end() :]
            if pattern is _DISTRICT and _INSTITUTION_START.match(rest):
                return text  # keep "栖凤区" in "栖凤区中医院"
            text = rest
    return text


_ADMIN_LEVELS = ("country", "province", "city", "district", "street")


def admin_places(text: str) -> tuple[tuple[tuple[str, str], ...], str]:
    """The administrative places a (normalized) address or keyword starts with, as ``(level, name)``
    with level ``country`` / ``province`` / ``city`` / ``district`` / ``street``, and what follows
    them. ``柳汀区`` alone is all place (the rest is empty); ``锦绣花园东区`` has none."""
    places: list[tuple[str, str]] = []
    for level, pattern in zip(_ADMIN_LEVELS, _ADMIN_PREFIXES, strict=True):
        m = pattern.match(text)
        if m:
            places.append((level, m.group()))
            text = text[m.end() :]
    return tuple(places), text


def _clean_candidate(text: str) -> str | None:
    m = _LEAD_INS.match(text)
    if m and len(text) - m.end() >= 2:
        text = text[m.end() :]
    while True:
        m = _NOTE_PREFIX.match(text)
        if not m or len(text) - m.end() < 2:
            break
        text = text[m.end() :]
    text = _strip_admin(_strip_edges(text))
    m = _TRAILING_PARTS.search(text)
    if m:
        text = text[: m.start()]
    text = _strip_edges(text)
    if not 2 <= len(text) <= 24 or not any(_is_cjk(ch) for ch in text):
        return None
    return text


def _strip_edges(text: str) -> str:
    """Drop leading / trailing characters that are neither letters, digits nor CJK (emoji, marks)."""
    start, end = 0, len(text)
    while start < end and not (text[start].isalnum() or _is_cjk(text[start])):
        start += 1
    while end > start and not (text[end - 1].isalnum() or _is_cjk(text[end - 1])):
        end -= 1
    return text[start:end]


def _is_road(name: str) -> bool:
    return name.endswith(_ROAD_SUFFIXES)


def _segment_candidates(segment: str, previous: str | None) -> list[str]:
    """Names before each building / house-number marker of one segment, in order.

    A segment that starts with its number ("春晖家园B区，1幢3单元") takes its name from the
    segment before it.
    """
    found: list[str] = []
    pos = 0
    for m in _NUMBER_MARKER.finditer(segment):
        piece = segment[pos : m.start()]
        pos = m.end()
        if not found and m.start() == 0 and previous:
            piece = previous
        if len(piece) < 2:
            continue
        cand = _clean_candidate(piece)
        if cand:
            found.append(cand)
    return found


def propose_keyword(address: str) -> str | None:
    """The compound or road name of an address, normalized, or None when none can be told.

    The part before the first building / unit / room / house-number marker (栋, 幢, 号楼, 单元,
    号, 室, 12-2-2603 ...) of the first segment that has one, without province / city / district /
    street prefixes and without lead-ins such as "A对面的" or "现在送"; a compound named after a
    road and its number ("揽月路329号映月小区18号楼") gives the compound. Failing a marker, the
    first segment that ends like a compound or road name (小区, 花园, 路, 街 ...).
    """
    text = normalize(address)
    if not text:
        return None
    segments = [s for s in _SEPARATORS.split(text) if s]
    # A segment starting with a negation or "used to live" is never where the parcel goes.
    wanted = [s for s in segments if not _NEGATED_SEGMENT.match(s)] or segments
    # "..., 送到B3栋": the segment that says where the parcel goes comes first.
    wanted.sort(key=lambda s: not _DELIVER_SEGMENT.match(s))
    for i, seg in enumerate(wanted):
        cands = _segment_candidates(seg, wanted[i - 1] if i else None)
        if cands:
            if _is_road(cands[0]):
                for later in cands[1:]:
                    if not _is_road(later):
                        return later
            return cands[0]
    for seg in wanted:
        cut = _strip_admin(_strip_edges(seg))
        for end in range(len(cut), 1, -1):
            if cut[:end].endswith(_NAME_SUFFIXES):
                cand = _clean_candidate(cut[:end])
                if cand:
                    return cand
                break
    return None


_DELIVER_SEGMENT = re.compile(r"^(?:现在送|现住|送到|送至|送货到|改送|改到|改为|寄到|寄至|请送|收货地址|新地址)")
_NEGATED_SEGMENT = re.compile(r"^(?:不是|别送|不要|以前|原来|之前|曾经)")


# --------------------------------------------------------------------------------------------
# Alternative forms of a keyword (for suggestions only, never for automatic assignment)
# --------------------------------------------------------------------------------------------

_DIGIT_CN = dict(zip("0123456789", "零一二三四五六七八九", strict=True))
_CN_DIGIT = {v: k for k, v in _DIGIT_CN.items()} | {"〇": "0", "两": "2"}
# Generic name parts of residential compounds and landmarks; what is left is the proper name.
RESIDENTIAL_SUFFIXES = (
    "小区", "花园", "新村", "家园", "公寓", "华庭", "雅苑", "花苑", "名苑", "新城", "公馆", "大厦", "广场",
    "宿舍", "苑", "庭", "府", "村", "园", "里", "坊", "城", "湾", "居", "阁", "舍",
)
# Generic words of landmarks; what is left is a (weak) proper name: 映月湖公园 -> 映月湖.
_LANDMARK_SUFFIXES = (
    "农贸市场", "菜市场", "菜场", "市场", "公园", "体育馆", "体育中心", "图书馆", "商场", "购物中心", "医院",
    "中学", "小学", "幼儿园", "学校",
)
_INFIXES = ("新村", "家园", "花园", "小区", "广场", "大厦", "花苑", "苑")
_AREA_TAILS = re.compile(r"(?:[一二三四五六七八九十\d]+期|[东南西北中a-z\d]区|[一二三四五六七八九十\d]+号院|公寓|大厦|[a-z\d]座)$")
_FACILITIES = ("小学", "中学", "幼儿园", "菜市场", "农贸市场", "医院", "公园", "体育馆")
_SCHOOL_RULES: tuple[tuple[re.Pattern[str], str, str], ...] = (
    (re.compile(r"第([一二三四五六七八九十]+)中学$"), r"\1中", "school_short"),
    (re.compile(r"第([一二三四五六七八九十]+)小学$"), r"\1小", "school_short"),
    (re.compile(r"第([一二三四五六七八九十]+)(中学|小学)$"), r"\1\2", "school_short"),
    (re.compile(r"外国语学校$"), "外国语", "school_short"),
    (re.compile(r"实验学校$"), "实验", "school_short"),
    (re.compile(r"(?<=..)学校$"), "", "school_short"),
    (re.compile(r"(?<=..)中学$"), "中", "school_short"),
    (re.compile(r"(?<=..)小学$"), "小", "school_short"),
    (re.compile(r"幼儿园$"), "幼", "school_short"),
    (re.compile(r"第([一二三四五六七八九十]+)(?:人民)?医院$"), r"\1院", "hospital_short"),
    (re.compile(r"人民医院$"), "人医", "hospital_short"),
    (re.compile(r"中医院$"), "中医", "hospital_short"),
    (re.compile(r"妇幼保健院$"), "妇幼", "hospital_short"),
    (re.compile(r"妇幼保健院$"), "妇保", "hospital_short"),
    (re.compile(r"菜市场$"), "菜场", "market_short"),
    (re.compile(r"农贸市场$"), "菜场", "market_short"),
    (re.compile(r"农贸市场$"), "农贸", "market_short"),
    (re.compile(r"体育馆$"), "体育中心", "venue_alt"),
    (re.compile(r"(?:创意|产业|科技|工业|软件|创客|文创|创业)园$"), "园区", "park_alt"),
    (re.compile(r"(?<=..)(?:(?:创意|产业|科技|工业|软件|创客|文创|创业)园|园区)$"), "", "park_short"),
)
_ROAD_SWAPS = (("大道", ("路", "大街")), ("大街", ("街", "路")), ("路", ("街", "大道", "道")), ("街", ("路", "大街")))
_ADMIN_IN_NAME = re.compile(r"^([^\d\W]{2})(区|市|县)(?=[^\d\W]{2})")


def _cn_positional(n: int) -> str:
    """0 < n < 10000 as a Chinese numeral (一百零八, 十二)."""
    units = ((1000, "千"), (100, "百"), (10, "十"))
    out: list[str] = []
    zero = False
    for value, unit in units:
        d, n = divmod(n, value)
        if d:
            if zero:
                out.append("零")
                zero = False
            out.append(("" if (unit == "十" and d == 1 and not out) else _DIGIT_CN[str(d)]) + unit)
        elif out:
            zero = True
    if n:
        if zero:
            out.append("零")
        out.append(_DIGIT_CN[str(n)])
    return "".join(out) or "零"


def _numeral_variants(text: str) -> set[str]:
    out: set[str] = set()
    for m in re.finditer(r"\d+", text):
        run = m.group()
        digitwise = "".join(_DIGIT_CN[d] for d in run)
        out.add(text[: m.start()] + digitwise + text[m.end() :])
        if 0 < int(run) < 10000 and not run.startswith("0"):
            out.add(text[: m.start()] + _cn_positional(int(run)) + text[m.end() :])
    for m in re.finditer(r"[一二三四五六七八九十〇零两]+(?=[期号区栋幢中小座])", text):
        run = m.group()
        if len(run) == 1 and run in _CN_DIGIT:
            out.add(text[: m.start()] + _CN_DIGIT[run] + text[m.end() :])
        elif run == "十":
            out.add(text[: m.start()] + "10" + text[m.end() :])
        elif all(ch in _CN_DIGIT for ch in run):
            out.add(text[: m.start()] + "".join(_CN_DIGIT[ch] for ch in run) + text[m.end() :])
    return out


def _one_round(kw: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    out.extend((v, "numerals") for v in _numeral_variants(kw))
    # A sub-area or building of a compound without the compound's generic word: 湖畔家园二期 -> 湖畔二期.
    for infix in _INFIXES:
        pos = kw.find(infix, 2)
        if pos > 0:
            rest = kw[pos + len(infix) :]
            if rest and (_AREA_TAILS.fullmatch(rest) or rest in RESIDENTIAL_SUFFIXES):
                out.append((kw[:pos] + rest, "without_generic"))
    # A road before a facility: 云溪路小学 -> 云溪小学.
    for road in ("路", "街", "大道"):
        pos = kw.find(road, 2)
        if pos > 0 and kw[pos + len(road) :] in _FACILITIES:
            out.append((kw[:pos] + kw[pos + len(road) :], "without_road"))
    # A district name inside an institution's name: 栖凤区中医院 -> 栖凤中医院.
    m = _ADMIN_IN_NAME.match(kw)
    if m:
        out.append((m.group(1) + kw[m.end() :], "without_admin"))
    for pattern, repl, rule in _SCHOOL_RULES:
        v = pattern.sub(repl, kw)
        if v != kw:
            out.append((v, rule))
    for suffix, swaps in _ROAD_SWAPS:
        if kw.endswith(suffix) and len(kw) - len(suffix) >= 2:
            out.extend((kw[: -len(suffix)] + s, "road_alt") for s in swaps)
            break
    return out


def keyword_variants(keyword: str) -> list[tuple[str, str]]:
    """Alternative forms a person may write for a (normalized) keyword, each with its rule name.

    General rules only: Arabic <-> Chinese numerals (澜庭1号院 / 澜庭一号院, 108 / 一零八 / 一百零八),
    a compound's generic word dropped before a sub-area (湖畔家园二期 -> 湖畔二期), a district name
    shortened inside an institution's name (栖凤区中医院 -> 栖凤中医院), schools and hospitals
    abbreviated (第七中学 -> 七中, 外国语学校 -> 外国语), 路 / 街 / 大道 swapped; and the proper
    name without its generic suffix (桃源新村 -> 桃源, rule ``core``), which is the weakest hint.
    The keyword itself is not among them.
    """
    seen: dict[str, str] = {}
    frontier = [keyword]
    for _ in range(2):
        nxt: list[str] = []
        for kw in frontier:
            for v, rule in _one_round(kw):
                if len(v) >= 2 and v != keyword and v not in seen:
                    seen[v] = rule
                    nxt.append(v)
        frontier = nxt
    for suffix in (*_LANDMARK_SUFFIXES, *RESIDENTIAL_SUFFIXES):
        if keyword.endswith(suffix):
            core = keyword[: -len(suffix)]
            if len(core) >= 2 and not core.isdigit() and core not in seen:
                seen[core] = "core"
            break
    m = re.match(r"^(.{2,}?)(?:[一二三四五六七八九十\d]+期|[东南西北中a-z]区)$", keyword)
    if m and m.group(1) not in seen:
        seen[m.group(1)] = "core"
    # A Chinese name with a Latin tail or head: 星河soho -> 星河, ipark创意园 -> ipark.
    m = re.fullmatch(r"([^\x00-\x7f]{2,})([a-z]{2,})", keyword) or re.fullmatch(r"([a-z]{3,})[^\x00-\x7f]{2,}", keyword)
    if m and m.group(1) not in seen:
        seen[m.group(1)] = "core"
    return list(seen.items())


# --------------------------------------------------------------------------------------------
# Place names of the service area (never evidence for one store)
# --------------------------------------------------------------------------------------------

_ADMIN_SUFFIX = re.compile(r"(?:省|自治区|特别行政区|市|州|区|县|旗|街道|镇|乡)$")


def admin_prefix(text: str) -> tuple[int, tuple[str, ...]]:
    """``(end, names)``: where the province / city / district / street prefix of a normalized
    address ends (0 when it has none) and the names in it, as written (栖凤区, 白塔街道), the
    same prefix ``propose_keyword`` strips."""
    names: list[str] = []
    end = 0
    rest = text
    for pattern in _ADMIN_PREFIXES:
        m = pattern.match(rest)
        if m and len(rest) - m.end() >= 2:
            after = rest[m.end() :]
            if pattern is _DISTRICT and _INSTITUTION_START.match(after):
                break  # "栖凤区中医院": the district is part of the name
            if not any(_is_cjk(ch) for ch in after):
                break  # "芝兰区29-1-902": a misspelt compound (芝兰小区), not a district
            names.append(m.group())
            end += m.end()
            rest = after
    return end, tuple(names)


def place_name_forms(name: str) -> tuple[str, ...]:
    """A place name with and without its administrative suffix: 栖凤区 -> (栖凤区, 栖凤)."""
    bare = _ADMIN_SUFFIX.sub("", name)
    return (name, bare) if len(bare) >= 2 and bare != name else (name,)


def place_names_in_keyword(keyword: str) -> tuple[str, ...]:
    """A district / city name a keyword starts with (栖凤区中医院 -> 栖凤区, 栖凤)."""
    m = _ADMIN_IN_NAME.match(keyword)
    return place_name_forms(m.group(1) + m.group(2)) if m else ()
