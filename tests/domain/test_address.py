"""Address normalization (rule 1 of the matching rules), keyword proposals and alternative forms."""

from __future__ import annotations

import opencc
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ops_console.domain.address import MAX_ADDRESS_CHARS, keyword_variants, normalize, propose_keyword

_T2S = opencc.OpenCC("t2s")


def reference_normalize(text: str) -> str:
    """Rule 1 written out literally, one step after another (slow, obviously right)."""
    text = text[:MAX_ADDRESS_CHARS]
    text = _T2S.convert(text)
    out = []
    for ch in text:
        cp = ord(ch)
        if 0xFF01 <= cp <= 0xFF5E:
            ch = chr(cp - 0xFEE0)
        elif cp == 0x3000:
            ch = " "
        if ch.isspace():
            continue
        if _is_latin_letter(ch) and len(ch.lower()) == 1:
            ch = ch.lower()
        out.append(ch)
    return "".join(out)


def _is_latin_letter(ch: str) -> bool:
    import unicodedata

    return unicodedata.category(ch).startswith("L") and "LATIN" in unicodedata.name(ch, "").split()


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("", ""),
        ("   \t\n", ""),
        ("\u3000金棠花园\u3000", "金棠花园"),
        ("嵐州市棲鳳區", "岚州市栖凤区"),
        ("星河ＳＯＨＯ２１０３室", "星河soho2103室"),
        ("iPark 创意园", "ipark创意园"),
        ("春 晖\t家园\nB区", "春晖家园b区"),
        ("a\u00a0b\u2028c\u2029d\x1ce\x85f", "abcdef"),  # NBSP, line / paragraph separators, FS, NEL
        ("岚创大．厦", "岚创大.厦"),  # punctuation stays (full-width dot becomes ASCII)
        ("澜庭一号院", "澜庭一号院"),  # Chinese numerals stay
        ("金棠\u200b花园", "金棠\u200b花园"),  # zero-width space is not whitespace
        ("\ufeff金棠花园", "\ufeff金棠花园"),  # BOM is not whitespace either
        ("\x00\x01\x07", "\x00\x01\x07"),  # control characters other than whitespace stay
        ("ÀÉÎ Straße", "àéîstraße"),
        ("Квартира", "Квартира"),  # only Latin letters are lower-cased
        ("'; DROP TABLE orders; --", "';droptableorders;--"),
        ("🏠🚚", "🏠🚚"),
    ],
)
def test_normalize_examples(raw: str, expected: str) -> None:
    assert normalize(raw) == expected


def test_cut_to_2000_characters_before_anything_else() -> None:
    # The cut happens first: 2,000 spaces followed by a keyword leave nothing.
    assert normalize(" " * MAX_ADDRESS_CHARS + "金棠花园") == ""
    assert normalize("a" * (MAX_ADDRESS_CHARS - 2) + "金棠花园") == "a" * (MAX_ADDRESS_CHARS - 2) + "金棠"
    assert len(normalize("测" * 5000)) == MAX_ADDRESS_CHARS


def test_lone_surrogates_do_not_raise() -> None:
    assert "金棠花园" in normalize("\ud800金棠花園\udfff")


@settings(max_examples=400, deadline=None)
@given(
    st.text(
        alphabet=st.one_of(
            st.characters(codec="utf-8"),
            st.sampled_from(list("金棠花園嵐州棲鳳區號樓單元ＡＢＣ１２３\u3000 \t\n\u00a0\u200bABCabc")),
        ),
        max_size=60,
    )
)
def test_normalize_matches_the_literal_rule(text: str) -> None:
    assert normalize(text) == reference_normalize(text)


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("青柳苑11幢3单元2104室", "青柳苑"),
        ("江苏省淮渚市柳汀区 锦绣花园二期17号楼2503", "锦绣花园二期"),
        ("柳汀区沙湾街道松涛家园5-2-301", "松涛家园"),
        ("湖光路224-7号", "湖光路"),
        ("文汇路88号金沙花园4幢902室", "金沙花园"),  # a compound behind a road's house number
        ("绿茵66公寓1201室", "绿茵66公寓"),  # digits inside the name are kept
        ("织造厂5号院9栋2单元401", "织造厂5号院"),
        ("朝阳家园C区，7栋2单元1301", "朝阳家园c区"),  # the number in the next segment
        ("明珠广场对面的碧波苑13幢2单元1102室", "碧波苑"),
        ("以前住梨园新村，现在送潇湘苑2号楼1单元1901", "潇湘苑"),
        ("湖滨家园往东走100米，停云公寓7-1-2604", "停云公寓"),
        ("柳汀区第二医院住院部25楼护士站", "柳汀区第二医院"),  # the district belongs to the name
        ("淮渚第三中学行政楼2楼", "淮渚第三中学"),
        ("中國江蘇省淮渚市柳汀區錦繡花園一期28幢2單元201室", "锦绣花园一期"),
        ("星河ＳＯＨＯ Ｄ座２１０３室", "星河soho"),
        ("No.76, 揽星路", "揽星路"),
        ("\u202e飞花小区1幢1单元2703室", "飞花小区"),
    ],
)
def test_propose_keyword(address: str, expected: str) -> None:
    assert propose_keyword(address) == expected


@pytest.mark.parametrize(
    "address",
    ["", "   ", "13812345678", "'; DROP TABLE orders; --", "🏠🏠🚚", "Квартира 7, ул. Мира 3", "\x00\x01", "测试" * 1000],
)
def test_propose_keyword_none_for_garbage(address: str) -> None:
    assert propose_keyword(address) is None


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_propose_keyword_never_raises_and_is_a_substring(text: str) -> None:
    got = propose_keyword(text)
    if got is not None:
        assert 2 <= len(got) <= 24
        assert got in normalize(text)  # an accepted proposal matches the address it came from


def test_keyword_variants_general_rules() -> None:
    def forms(kw: str) -> set[str]:
        return {v for v, _ in keyword_variants(normalize(kw))}

    assert {"锦鲤一号院"} <= forms("锦鲤1号院")
    assert {"绿茵六六公寓", "绿茵六十六公寓"} <= forms("绿茵66公寓")
    assert "湖滨二期" in forms("湖滨家园二期")
    assert "渔港东区" in forms("渔港新村东区")
    assert "明珠公寓" in forms("明珠广场公寓")
    assert {"柳汀一小", "柳汀第一小学"} <= forms("柳汀区第一小学")
    assert "淮渚三中" in forms("淮渚第三中学")
    assert "淮渚外国语" in forms("淮渚外国语学校")
    assert "柳汀二院" in forms("柳汀区第二医院")
    assert "柳汀人民医院" in forms("柳汀区人民医院")
    assert "麦浪菜场" in forms("麦浪路菜市场")
    assert "松涛幼儿园" in forms("松涛路幼儿园")
    assert {"菖蒲路"} <= forms("菖蒲街")
    assert {"hub园区", "hub"} <= forms("Hub创客园")
    assert "古渡" in forms("古渡新村")
    assert "星河" in forms("星河SOHO")
    assert "锦绣花园" not in forms("锦绣花园")  # never the keyword itself
