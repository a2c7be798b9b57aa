"""The demo city's made-up goods, couriers and operators: plain data, no I/O.

Prices are ordinary Chinese community-grocery prices (late 2026, in fen). Produce is sold in
500 g units with step 1; packaged goods that the store sells by the carton or the pack carry a
step (6 or 12), so the step anomaly rule has something to catch. Stocks are derived from the SKU
code, so every demo city has the same catalogue.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

# name | spec | unit | price (fen) | weight (g) | step -- one per line, grouped by category.
_PRODUCE = """
上海青|500g|500g|350|500|1
小白菜|500g|500g|300|500|1
大白菜|500g|500g|150|500|1
菠菜|500g|500g|480|500|1
生菜|500g|500g|420|500|1
油麦菜|500g|500g|400|500|1
空心菜|500g|500g|450|500|1
芹菜|500g|500g|380|500|1
西兰花|500g|500g|650|500|1
花菜|500g|500g|480|500|1
番茄|500g|500g|520|500|1
黄瓜|500g|500g|400|500|1
茄子|500g|500g|450|500|1
青椒|500g|500g|500|500|1
红椒|500g|500g|780|500|1
尖椒|500g|500g|600|500|1
土豆|500g|500g|250|500|1
胡萝卜|500g|500g|280|500|1
白萝卜|500g|500g|180|500|1
洋葱|500g|500g|260|500|1
大葱|500g|500g|400|500|1
小葱|500g|500g|800|500|1
生姜|500g|500g|900|500|1
大蒜|500g|500g|850|500|1
香菜|500g|500g|1000|500|1
冬瓜|500g|500g|180|500|1
南瓜|500g|500g|250|500|1
丝瓜|500g|500g|550|500|1
苦瓜|500g|500g|600|500|1
西葫芦|500g|500g|350|500|1
豆角|500g|500g|700|500|1
荷兰豆|500g|500g|1200|500|1
毛豆|500g|500g|900|500|1
玉米|500g|500g|350|500|1
莲藕|500g|500g|680|500|1
山药|500g|500g|880|500|1
芋头|500g|500g|600|500|1
红薯|500g|500g|300|500|1
莴笋|500g|500g|400|500|1
韭菜|500g|500g|600|500|1
蒜苗|500g|500g|800|500|1
豆芽|500g|500g|200|500|1
茼蒿|500g|500g|700|500|1
娃娃菜|500g|500g|500|500|1
紫甘蓝|500g|500g|350|500|1
香菇|500g|500g|1200|500|1
金针菇|500g|500g|600|500|1
杏鲍菇|500g|500g|900|500|1
平菇|500g|500g|700|500|1
秋葵|500g|500g|1100|500|1
芦笋|500g|500g|1800|500|1
冬笋|500g|500g|1600|500|1
苹果(红富士)|500g|500g|680|500|1
香蕉|500g|500g|400|500|1
橙子(赣南脐橙)|500g|500g|650|500|1
砂糖橘|500g|500g|580|500|1
柚子|500g|500g|450|500|1
梨(砀山酥梨)|500g|500g|450|500|1
葡萄(巨峰)|500g|500g|1200|500|1
阳光玫瑰|500g|500g|1980|500|1
草莓|500g|500g|2580|500|1
蓝莓|500g|500g|3980|500|1
猕猴桃|500g|500g|980|500|1
火龙果|500g|500g|780|500|1
芒果|500g|500g|880|500|1
哈密瓜|500g|500g|600|500|1
西瓜|500g|500g|350|500|1
菠萝|500g|500g|500|500|1
柠檬|500g|500g|900|500|1
石榴|500g|500g|1000|500|1
冬枣|500g|500g|1280|500|1
山竹|500g|500g|2980|500|1
榴莲|500g|500g|3580|500|1
车厘子|500g|500g|4980|500|1
桃子|500g|500g|880|500|1
李子|500g|500g|780|500|1
荔枝|500g|500g|1580|500|1
龙眼|500g|500g|1380|500|1
柿子|500g|500g|680|500|1
"""

_CHILLED = """
纯牛奶|250ml×12|箱|4990|3200|1
鲜牛奶|950ml|瓶|1590|1000|1
低脂鲜牛奶|950ml|瓶|1690|1000|1
原味酸奶|100g×8|组|1990|850|1
老酸奶|150g|杯|590|160|6
希腊酸奶|135g|杯|890|145|6
乳酸菌饮品|100ml×5|排|1190|550|1
北豆腐|400g|盒|350|420|1
内酯豆腐|350g|盒|280|370|1
豆浆|1L|瓶|680|1050|1
土鸡蛋|30枚|盒|3680|1800|1
鲜鸡蛋|10枚|盒|1380|600|1
猪五花肉|500g|盒|1980|500|1
猪里脊|500g|盒|2280|500|1
猪肋排|500g|盒|3280|500|1
猪肉馅|400g|盒|1680|400|1
牛腱子|500g|盒|4980|500|1
牛肉卷|300g|盒|3280|300|1
鸡胸肉|500g|盒|1580|500|1
鸡翅中|500g|盒|2980|500|1
鸡腿|500g|盒|1680|500|1
三黄鸡|1kg|只|3980|1000|1
鲜虾仁|250g|盒|3580|250|1
鲈鱼|500g|条|2980|600|1
草鱼段|500g|盒|1880|500|1
三文鱼刺身|200g|盒|5980|200|1
火腿片|150g|袋|1290|150|1
培根|200g|袋|1690|200|1
奶酪片|200g|袋|2290|200|1
黄油|200g|块|2990|200|1
鲜面条|500g|袋|450|500|1
馄饨皮|250g|袋|350|250|1
凉皮|400g|袋|890|400|1
鲜榨橙汁|300ml|瓶|1290|320|6
"""

_FROZEN = """
猪肉白菜水饺|1kg|袋|2690|1000|1
猪肉玉米水饺|1kg|袋|2790|1000|1
三鲜水饺|1kg|袋|2990|1000|1
荠菜馄饨|500g|袋|1890|500|1
黑芝麻汤圆|500g|袋|1290|500|1
花生汤圆|500g|袋|1290|500|1
小笼包|480g|袋|1890|480|1
奶黄包|360g|袋|1490|360|1
手抓饼|900g|袋|1990|900|1
速冻油条|600g|袋|1290|600|1
鸡米花|500g|袋|2490|500|1
冷冻虾|1kg|盒|6980|1000|1
带鱼段|500g|袋|3280|500|1
冷冻鸡爪|1kg|袋|3580|1000|1
肥牛卷|500g|盒|4590|500|1
羊肉卷|500g|盒|5290|500|1
鱼丸|400g|袋|1590|400|1
撒尿牛丸|500g|袋|2690|500|1
火锅蟹棒|250g|袋|990|250|1
冷冻玉米粒|500g|袋|990|500|1
香草冰淇淋|400g|盒|2990|400|1
雪糕(绿豆)|70g|支|350|70|6
冰棍(老冰棍)|80g|支|200|80|12
冷冻披萨|260g|盒|2590|260|1
蛋挞皮|24个|盒|2390|480|1
"""

_GROCERY = """
东北大米|5kg|袋|3990|5000|1
五常稻花香米|10kg|袋|12900|10000|1
泰国香米|5kg|袋|5990|5000|1
高筋面粉|2.5kg|袋|2290|2500|1
挂面|1kg|包|990|1000|1
意大利面|500g|包|1590|500|1
小米|1kg|袋|1590|1000|1
燕麦片|1kg|袋|2490|1000|1
花生油|5L|桶|8990|4600|1
菜籽油|5L|桶|7990|4600|1
玉米油|1.8L|桶|2990|1660|1
芝麻油|400ml|瓶|2590|370|1
生抽|500ml|瓶|990|560|1
老抽|500ml|瓶|1090|560|1
香醋|500ml|瓶|890|560|1
料酒|500ml|瓶|690|560|1
蚝油|700g|瓶|1290|700|1
食盐|400g|袋|300|400|1
白砂糖|500g|袋|690|500|1
冰糖|400g|袋|890|400|1
鸡精|200g|袋|990|200|1
豆瓣酱|500g|瓶|1290|500|1
番茄酱|320g|瓶|890|320|1
火锅底料|400g|袋|2290|400|1
老干妈|280g|瓶|1090|280|1
腐乳|340g|瓶|890|340|1
榨菜|80g|袋|250|80|12
午餐肉罐头|340g|罐|1990|340|1
黄桃罐头|425g|罐|990|425|6
方便面(红烧牛肉)|5连包|袋|1390|530|1
方便面(老坛酸菜)|单包|包|350|120|12
自热火锅|400g|盒|2990|400|1
矿泉水|550ml|瓶|200|570|12
矿泉水(大桶)|5L|桶|990|5100|1
纯净水|550ml|瓶|180|570|12
可乐|330ml|罐|300|350|6
雪碧|330ml|罐|300|350|6
橙汁饮料|1.25L|瓶|690|1300|6
凉茶|310ml|罐|450|330|6
绿茶饮料|500ml|瓶|350|530|12
冰红茶|500ml|瓶|350|530|12
椰汁|1.25L|瓶|1290|1300|6
啤酒|500ml|罐|500|530|12
精酿啤酒|330ml|瓶|1290|550|6
黄酒|500ml|瓶|1590|1000|6
咖啡(速溶)|15g×30|盒|3990|450|1
茶叶(龙井)|250g|罐|12800|350|1
豆奶粉|500g|袋|1990|500|1
苏打饼干|400g|袋|1290|400|1
薯片|75g|袋|890|75|1
坚果(每日坚果)|25g×30|盒|9900|750|1
瓜子|500g|袋|1590|500|1
花生米|400g|袋|1290|400|1
海苔|40g|袋|1590|40|1
巧克力|300g|盒|3990|300|1
牛肉干|200g|袋|4590|200|1
果冻|600g|袋|1990|600|1
面包(切片)|400g|袋|1290|400|1
月饼|6枚|盒|8800|600|1
抽纸|3层100抽×6|提|2590|900|1
卷纸|4层×10卷|提|3290|1400|1
湿巾|80片|包|990|450|1
洗洁精|1.5kg|瓶|1590|1550|1
洗衣液|3kg|瓶|4990|3100|1
洗衣凝珠|52颗|盒|6990|1000|1
垃圾袋|中号×100|卷|990|300|1
保鲜膜|30cm×100m|卷|1590|500|1
牙膏|180g|支|1590|200|1
洗发水|750ml|瓶|6990|800|1
沐浴露|750ml|瓶|4990|800|1
电池(5号)|4节|卡|1290|100|1
婴儿纸尿裤(L)|54片|包|12900|2200|1
"""

# Store-brand codes: one letter per category, then a number.
_SECTIONS: tuple[tuple[str, str, str], ...] = (
    ("P", "produce", _PRODUCE),
    ("C", "chilled", _CHILLED),
    ("F", "frozen", _FROZEN),
    ("G", "default", _GROCERY),
)


@dataclass(frozen=True)
class DemoSku:
    code: str
    name: str
    spec: str
    category: str  # produce / chilled / frozen / default
    unit: str
    price: int  # fen
    weight_g: int
    step: int
    stock: int


def _stock(code: str, category: str, step: int) -> int:
    # Derived from the code so every demo city has the same stock; produce is counted in 500 g units.
    rng = random.Random(f"stock:{code}")
    low, high = {"produce": (60, 400), "chilled": (20, 120), "frozen": (20, 150)}.get(category, (30, 600))
    n = rng.randint(low, high)
    return max(step, n - n % step)


# A few goods that are nearly gone, so a big order of them fails the stock check (manual review).
LOW_STOCK = {"P0063": 4, "C0028": 2, "F0012": 3}


def demo_skus() -> list[DemoSku]:
    skus: list[DemoSku] = []
    for prefix, category, text in _SECTIONS:
        for n, line in enumerate((x for x in text.strip().splitlines() if x.strip()), start=1):
            name, spec, unit, price, weight, step = line.split("|")
            code = f"{prefix}{n:04d}"
            stock = LOW_STOCK.get(code, _stock(code, category, int(step)))
            skus.append(DemoSku(code, name, spec, category, unit, int(price), int(weight), int(step), stock))
    return skus


@dataclass(frozen=True)
class DemoOperator:
    id: str
    name: str
    role: str
    pin: str
    note: str = ""


# Fixed PINs so the README can list them (demo only: a real site imports its own operators).
OPERATORS: tuple[DemoOperator, ...] = (
    DemoOperator("U01", "王丽", "dispatcher", "1111"),
    DemoOperator("U02", "李娜", "customer_service", "2222"),
    DemoOperator("U03", "张强", "supervisor", "3333"),
    DemoOperator("U04", "周敏", "dispatcher", "4444", "colleague"),  # the simulator's second dispatcher
    DemoOperator("U05", "陈静", "customer_service", "5555"),
)
# The dispatcher at the other console: the simulator acts as her when the queue waits too long.
COLLEAGUE_ID = "U04"

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = (
    "伟", "芳", "娜", "敏", "静", "强", "磊", "军", "洋", "勇", "艳", "杰", "涛", "明", "超", "秀英", "霞", "平",
    "刚", "桂英", "建华", "志强", "海燕", "晓东", "丽华", "俊杰", "文斌", "春梅", "国庆", "玉兰", "红梅", "建国",
    "小龙", "雪", "鹏", "浩", "宇", "欣", "婷", "博",
)
# Third-party carriers the stores call when their own couriers cannot make it.
THIRD_PARTY = ("达达", "闪送", "顺丰同城", "UU跑腿", "美团配送", "蜂鸟即配")


def person_name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN)


def mobile(rng: random.Random) -> str:
    return rng.choice(("138", "139", "136", "158", "159", "186", "188", "150", "177", "199")) + \
        f"{rng.randrange(10**8):08d}"
