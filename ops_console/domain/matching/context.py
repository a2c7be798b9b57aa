"""The words around a keyword in an address: where the parcel goes, or only a landmark.

Ranks the stores of an ambiguous address: the keyword followed by a building number is where the
parcel goes; one after 不是 / 以前住 or before 对面 / 旁边 / 附近 / 公交站 / 往东走 is a landmark
or a correction.
"""

from __future__ import annotations

import re

_CLAUSE_BREAK = re.compile(r"[，,。；;、/|（）()\[\]【】!！?？:：~～]")
_BUILDING_AFTER = re.compile(
    r"^[-_]?(?:[\da-z一二三四五六七八九十]{1,5}(?:号楼|栋|幢|座|单元|室|楼|层|号院)|\d+-\d|\d{3,}|[a-z]区?\d)"
)
_STREET_NUMBER_AFTER = re.compile(r"^\d{1,5}(?:-\d+)?号")
_RELATION_AFTER = re.compile(
    r"^(?:的)?(?:斜?对面|旁边|旁|隔壁|附近|边上|周边|周围|往|向|朝|沿|后面|后边|前面|前边|背后|出来|"
    r"[东南西北](?:侧|边|面|门)|[后正侧大]门|公交站|地铁站|车站|站|路口|门口|那边|这边|出发|走|方向|过去|过来|"
    r"进去|进来|出口|入口|中间|之间|交界)"
)
# Two places named as alternatives: the customer has to be asked.
_ALTERNATIVE_AFTER = re.compile(r"^(?:或者?|还是|/|和|与|跟|及|、)")
_ALTERNATIVE_BEFORE = re.compile(r"(?:或者?|还是|/|和|与|跟|及|、)$")
_NEGATION_BEFORE = re.compile(
    r"(?:不是|别送到?|不要送到?|不送|不在|非|以前住?|原来住?|之前住?|曾经住?|原住|原地址|旧地址|搬离|搬出)[^，,。；;]*$"
)
_DELIVER_BEFORE = re.compile(
    r"(?:现在送|现住|送到|送至|送货到|寄到|寄至|请送|改送|改到|改为|改成|新地址|收货地址|地址是|地址为|住在)[^，,。；;]*$"
)
_LANDMARK_BEFORE = re.compile(r"(?:靠近|临近|挨着|紧挨着?|紧邻|毗邻|距离?|经过|路过|过了|穿过|沿着|近|从|由|出了)$")


def context_score(text: str, hit_start: int, hit_end: int) -> tuple[float, str, tuple[str, ...]]:
    """How likely the parcel goes to this keyword's place, from the words around it: the score, a
    note in English and the codes of what was seen (``match.context.<code>`` in the catalog)."""
    score = 0.5
    notes: list[str] = []
    codes: list[str] = []
    after = text[hit_end : hit_end + 12]
    clause_start = 0
    for m in _CLAUSE_BREAK.finditer(text, 0, hit_start):
        clause_start = m.end()
    before = text[clause_start:hit_start]
    if _BUILDING_AFTER.match(after):
        score += 0.3
        notes.append("followed by a building / room number")
        codes.append("building_after")
    elif _STREET_NUMBER_AFTER.match(after):
        score += 0.12
        notes.append("followed by a house number")
        codes.append("house_number_after")
    if _RELATION_AFTER.match(after):
        score -= 0.3
        notes.append("used as a landmark (" + after[:3] + "…)")
        codes.append("landmark")
    if _ALTERNATIVE_AFTER.match(after) or _ALTERNATIVE_BEFORE.search(text[max(0, hit_start - 2) : hit_start]):
        score -= 0.1
        notes.append("named together with another place")
        codes.append("named_together")
    if _LANDMARK_BEFORE.search(before):
        score -= 0.3
        notes.append("used as a landmark (" + before[-2:] + "…)")
        codes.append("landmark")
    if _NEGATION_BEFORE.search(before):
        score -= 0.45
        notes.append("after a negation or a former address")
        codes.append("negation")
    elif _DELIVER_BEFORE.search(before):
        score += 0.2
        notes.append("after 'deliver to'")
        codes.append("deliver_to")
    # Inside parentheses: a note about the address rather than the address.
    if text.count("(", 0, hit_start) + text.count("（", 0, hit_start) > text.count(")", 0, hit_start) + text.count(
        "）", 0, hit_start
    ):
        score -= 0.15
        notes.append("inside parentheses")
        codes.append("parentheses")
    return min(0.95, max(0.05, score)), "; ".join(notes), tuple(dict.fromkeys(codes))
