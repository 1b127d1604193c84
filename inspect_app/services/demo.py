"""Demo data: parks of 平湖市 with their tenants, inspections, hazards and quarterly figures.

`parkinspect demo` calls `generate_demo` so that a new user, a tester or a benchmark has a
realistic database in one command. The content is deterministic for a given seed and `today`
(one `random.Random(seed)` drives every choice, in a fixed order); only the UUID keys and the
clock stamps differ between runs.

Everything is written through `Store.transaction()` with ORM objects, one transaction per park,
so the flush hook writes the change log and the audit trail exactly as for a person's edits: the
demo is also a test of that path at the benchmark size (300 parks x 100 tenants).

The checklist is the shipped fire-safety template (forms/templates/fire_safety.toml): every
inspection records its id, version and file hash, and every check result holds its own copy of
the template item, exactly as an inspection started in the app; deadlines are the template's.

What the data is meant to show:
- every hazard status (open, overdue, pending review, closed, escalated): the first park's
  common-areas inspection always holds one of each, whatever the size of the run;
- open hazards whose 五落实 item lacks a field, so "cannot issue the notice, X is missing" shows;
- 规上 tenants (about 13%) producing about 40% of the output, a few tenants whose output fell by
  a third or more year on year, and a few zombies (no output, almost no power for 2+ quarters).
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from datetime import UTC, date, datetime, time, timedelta, timezone

from sqlmodel import Session, func, select

from db.models import (
    Building,
    CheckResult,
    Hazard,
    Inspection,
    Inspector,
    Park,
    QuarterlyReport,
    RectificationItem,
    Reinspection,
    Tenant,
)
from db.store import Store
from forms import china_time, credit_code
from forms.catalogues import PARK_DEVELOPER_TYPES, STAR_RATINGS
from forms.checklist import ChecklistTemplate, builtin_templates

FIRE_TEMPLATE_ID = "fire_safety"
LEDGER_TEMPLATE_ID = "ledger_verification"
DISTRICT = "平湖市"
DISTRICT_CODE = "330482"  # administrative division of 平湖市, characters 3-8 of a credit code
PARK_CODE_PREFIX = "PH-"
CHINA_TIME = timezone(timedelta(hours=8))  # no daylight saving, so a fixed offset is exact
QUARTERS_REPORTED = 8
SQUARE_METRES_PER_MU = 666.67

STREETS = tuple("当湖街道 钟埭街道 曹桥街道 新埭镇 广陈镇 独山港镇 林埭镇 乍浦镇 新仓镇 黄姑镇".split())
PARK_THEMES = tuple(
    "智造 科创 机电 五金 服装 新材料 汽配 电子信息 光机电 创业 绿色智造 数字经济 装备制造 时尚产业 轻纺 "
    "科技孵化 高端装备 精密制造 箱包 新能源".split()
)
CHINESE_ORDINALS = "一二三四五六七八九十"

# Trade names (字号) are two characters drawn from these; with the industry words this gives
# ~250,000 company names, so 30,000 tenants can all have a name of their own.
TRADE_NAME_FIRST = (
    "恒华宏盛鑫嘉金富泰永德瑞祥兴隆丰源通利安佳新创润宝天启明宇腾飞正信汇联博鼎昌卓凯晨锦东顺豪威康诚海"
)
TRADE_NAME_SECOND = "达源盛泰兴发丰利通成昌隆旺升辉强美祥和华达锐科鑫德宝益凯特力驰美程越翔邦杰嘉迪森伟诺亿"
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
    "姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛段雷侯龙史陶黎贺顾毛郝龚邵万钱严武戴莫孔汤"
)
GIVEN_NAME_CHARS = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红建文辉力斌宇浩凯健俊峰晨阳佳欣雪琳海波春燕国荣志伟"
)


@dataclass(frozen=True)
class Process:
    """What a tenant makes or stores, and what follows from it."""

    name: str  # 生产工艺 / 储存物品, as written in the ledger
    lease_use: str  # forms.catalogues.LEASE_USES
    hazard_classes: str  # fire hazard classes (A..E = 甲..戊) this use plausibly has; "" = not rated
    risk_pool: tuple[str, ...]  # forms.catalogues.RISK_POINTS it plausibly brings


@dataclass(frozen=True)
class Industry:
    name_words: tuple[str, ...]  # the industry part of the company name
    processes: tuple[Process, ...]
    services: bool = False  # typical of a 生活服务类 park rather than a manufacturing one


def _p(name: str, use: str, classes: str, risks: str = "") -> Process:
    return Process(name, use, classes, tuple(risks.split()))


INDUSTRIES = (
    Industry(
        ("精密机械", "机械制造", "机械科技"),
        (
            _p("数控车削加工", "production", "DE", "hot_work aged_wiring"),
            _p("精密零件机加工", "production", "E", "aged_wiring"),
            _p("五金冲压", "production", "E", "hot_work aged_wiring"),
        ),
    ),
    Industry(
        ("五金制品", "五金工具", "金属制品"),
        (
            _p("五金冲压", "production", "E", "hot_work aged_wiring"),
            _p("金属件焊接", "production", "DE", "hot_work aged_wiring"),
            _p("五金件抛光", "production", "E", "dust aged_wiring"),
            _p("五金件仓储", "storage", "DE", "aged_wiring"),
        ),
    ),
    Industry(
        ("塑料制品", "塑胶科技", "塑业"),
        (
            _p("注塑", "production", "C", "aged_wiring hot_work"),
            _p("吹塑成型", "production", "C", "aged_wiring"),
            _p("塑料粒子仓储", "storage", "C", "aged_wiring"),
        ),
    ),
    Industry(
        ("服饰", "服装", "针织"),
        (
            _p("服装加工", "production", "C", "aged_wiring staff_living"),
            _p("羊毛衫编织", "production", "C", "aged_wiring dust"),
            _p("服装仓储", "storage", "C", "aged_wiring"),
        ),
    ),
    Industry(
        ("包装材料", "纸业", "包装科技"),
        (
            _p("纸箱生产", "production", "C", "aged_wiring dust"),
            _p("纸箱仓储", "storage", "C", "aged_wiring"),
            _p("彩印包装", "production", "C", "flammables aged_wiring"),
        ),
    ),
    Industry(
        ("电子科技", "电子", "智能科技"),
        (
            _p("电子元器件组装", "production", "CD", "aged_wiring"),
            _p("线路板插件焊接", "production", "CD", "hot_work aged_wiring"),
            _p("电子产品仓储", "storage", "C", "lithium aged_wiring"),
        ),
    ),
    Industry(
        ("新能源科技", "电池科技", "储能科技"),
        (
            _p("锂电池组装", "production", "C", "lithium aged_wiring"),
            _p("储能电池PACK组装", "production", "C", "lithium hot_work"),
            _p("锂电池仓储", "storage", "C", "lithium"),
        ),
    ),
    Industry(
        ("家具", "木业", "家居"),
        (
            _p("实木家具加工", "production", "C", "dust spray_painting hot_work"),
            _p("板式家具生产", "production", "C", "dust aged_wiring"),
        ),
    ),
    Industry(
        ("汽车配件", "汽车零部件", "汽配"),
        (
            _p("汽车零部件机加工", "production", "DE", "hot_work aged_wiring"),
            _p("汽配件装配", "production", "D", "aged_wiring"),
        ),
    ),
    Industry(
        ("铸造", "压铸", "合金材料"),
        (
            _p("铝合金压铸", "production", "D", "smelting hot_work"),
            _p("金属熔炼铸造", "production", "D", "smelting hot_work dust"),
        ),
    ),
    Industry(
        ("涂装科技", "表面处理"),
        (
            _p("五金件喷涂", "production", "BC", "spray_painting flammables dust"),
            _p("静电喷粉", "production", "C", "spray_painting dust"),
        ),
    ),
    Industry(
        ("新材料科技", "化工科技", "胶粘制品"),
        (
            _p("胶粘剂调配", "production", "AB", "hazchem flammables"),
            _p("树脂复合材料生产", "production", "BC", "hazchem flammables hot_work"),
        ),
    ),
    Industry(
        ("箱包", "皮具"),
        (
            _p("箱包缝制", "production", "C", "aged_wiring staff_living"),
            _p("拉杆箱组装", "production", "C", "aged_wiring"),
        ),
    ),
    Industry(
        ("光电科技", "照明电器"),
        (
            _p("LED灯具组装", "production", "CD", "aged_wiring"),
            _p("光学镜片加工", "production", "D", "aged_wiring dust"),
        ),
    ),
    Industry(
        ("食品", "冷链"),
        (
            _p("冷冻食品仓储", "storage", "C", "ammonia aged_wiring"),
            _p("糕点加工", "production", "C", "aged_wiring"),
        ),
    ),
    Industry(
        ("模具", "精工"),
        (_p("模具加工", "production", "E", "hot_work"), _p("模具线切割", "production", "E", "aged_wiring")),
    ),
    Industry(
        ("纺织", "织造", "无纺布"),
        (
            _p("经编织造", "production", "C", "dust aged_wiring"),
            _p("无纺布生产", "production", "C", "dust aged_wiring"),
        ),
    ),
    Industry(
        ("电器", "电机", "家电"),
        (
            _p("小家电装配", "production", "C", "aged_wiring"),
            _p("电机绕线装配", "production", "CD", "aged_wiring hot_work"),
        ),
    ),
    Industry(
        ("轴承", "传动科技"),
        (
            _p("轴承套圈车削", "production", "DE", "hot_work aged_wiring"),
            _p("轴承装配", "production", "E", "aged_wiring"),
        ),
    ),
    Industry(
        ("印刷", "印务"),
        (
            _p("包装印刷", "production", "C", "flammables aged_wiring"),
            _p("标签印刷", "production", "C", "flammables"),
        ),
    ),
    Industry(
        ("供应链管理", "仓储服务"),
        (
            _p("日用百货仓储", "storage", "C", "aged_wiring"),
            _p("五金件仓储", "storage", "DE", ""),
            _p("纸箱仓储", "storage", "C", "aged_wiring"),
        ),
    ),
    Industry(
        ("物流", "快递服务"),
        (
            _p("快递分拣", "storage", "C", "aged_wiring lithium"),
            _p("电商仓储", "storage", "C", "aged_wiring"),
        ),
    ),
    Industry(("信息技术", "网络科技", "软件"), (_p("软件开发", "office", "", "aged_wiring"),), services=True),
    Industry(
        ("电子商务", "电商"),
        (_p("电商运营", "office", "", "aged_wiring"), _p("服装电商仓储", "storage", "C", "aged_wiring")),
        services=True,
    ),
    Industry(("工业设计", "设计"), (_p("工业设计", "rnd", "", "aged_wiring"),), services=True),
    Industry(("检测技术", "检测"), (_p("产品检测", "rnd", "D", "hazchem aged_wiring"),), services=True),
    Industry(
        ("商贸", "贸易"),
        (_p("五金批发", "commerce", "D", "aged_wiring"), _p("建材销售", "commerce", "C", "aged_wiring")),
        services=True,
    ),
)
MANUFACTURING_INDUSTRIES = tuple(i for i in INDUSTRIES if not i.services)
SERVICE_INDUSTRIES = tuple(i for i in INDUSTRIES if i.services)


# --- the fire-safety checklist ------------------------------------------------------------------
#
# The items themselves (codes, order, texts, default severity, "may be major", deadline days) are
# the shipped template forms/templates/fire_safety.toml, as for an inspection made in the app.
# What a template does not say, and a demo needs, is how an item fails in practice: how often,
# what the inspector writes, where, what it costs to fix. That is FINDINGS below, by item code.


@dataclass(frozen=True)
class Finding:
    """One way an item fails: what the inspector writes, where, and what the tenant must do."""

    description: str
    place: str  # where in the unit or building; "" = the unit as a whole (paperwork items)
    measures: str


@dataclass(frozen=True)
class ItemFindings:
    """How one checklist item fails in the demo."""

    fail_rate: float  # share of applicable inspections where the item fails
    findings: tuple[Finding, ...]
    funds_yuan: tuple[int, int]  # range of the rectification cost; (0, 0) = costs nothing


def _item(fail_rate: float, funds_yuan: tuple[int, int], *findings: tuple[str, str, str]) -> ItemFindings:
    return ItemFindings(fail_rate, tuple(Finding(*f) for f in findings), funds_yuan)


# The findings read better as a table than as one argument per line.
# fmt: off
FINDINGS: dict[str, ItemFindings] = {
    "A01": _item(0.015, (5000, 50000),
                 ("擅自将仓库改为生产车间使用", "仓库", "恢复仓储用途，撤除生产设备"),
                 ("将戊类厂房改作塑料制品生产，火灾危险性类别提高", "车间", "按规定办理改变使用性质手续，未批准前停止生产")),
    "A02": _item(0.04, (3000, 30000),
                 ("屋顶违章搭建彩钢板棚", "屋顶", "拆除违章搭建的彩钢板棚"),
                 ("车间内违章搭建钢结构夹层", "车间", "拆除夹层并恢复原状"),
                 ("外墙违章封闭雨棚", "外墙", "拆除封闭雨棚的围护结构")),
    "A03": _item(0.015, (2000, 20000),
                 ("车间内设置员工住宿，存在“三合一”现象", "车间", "撤除车间内住宿床铺，员工搬至园区宿舍"),
                 ("仓库内隔出房间供员工住宿", "仓库", "拆除住宿隔间，住宿人员搬离")),
    "A04": _item(0.03, (0, 3000),
                 ("常闭式防火门被木楔固定呈常开状态", "楼梯间", "拆除木楔，恢复防火门常闭状态"),
                 ("防火墙上开洞穿管未封堵", "车间", "采用防火封堵材料封堵孔洞"),
                 ("防火门闭门器损坏", "楼梯间", "更换防火门闭门器")),
    "A05": _item(0.015, (10000, 60000),
                 ("使用聚苯乙烯夹芯彩钢板搭建办公室", "办公区", "拆除可燃夹芯板，改用不燃材料"),
                 ("车间内使用可燃泡沫板装修", "车间", "拆除可燃装修材料")),
    "B01": _item(0.03, (0, 2000),
                 ("安全出口被货物堵塞", "安全出口", "清理安全出口处堆放的货物"),
                 ("安全出口上锁，无法从内部开启", "安全出口", "拆除门锁，更换为推闩式逃生门锁"),
                 ),
    "B02": _item(0.08, (0, 0),
                 ("疏散通道堆放纸箱等杂物", "疏散通道", "清理疏散通道内堆放物品，并划线标示"),
                 ("疏散楼梯间堆放原材料", "楼梯间", "清理楼梯间内堆放的原材料")),
    "B03": _item(0.05, (200, 1500),
                 ("疏散指示标志损坏不亮", "走道", "更换损坏的疏散指示标志"),
                 ("疏散指示标志指向错误", "走道", "调整疏散指示标志方向")),
    "B04": _item(0.05, (200, 2000),
                 ("应急照明灯损坏", "楼梯间", "更换应急照明灯"),
                 ("应急照明灯蓄电池失效，断电后不亮", "车间", "更换应急照明灯蓄电池")),
    "B05": _item(0.02, (500, 5000),
                 ("外窗设置金属防盗网，影响逃生", "外窗", "拆除防盗网或设置可从内部开启的逃生窗"),
                 ("外窗被广告牌遮挡", "外窗", "拆除遮挡外窗的广告牌")),
    "C01": _item(0.06, (200, 3000),
                 ("灭火器压力不足", "车间", "更换或重新充装灭火器"),
                 ("灭火器已过有效期", "楼道", "更换过期灭火器"),
                 ("灭火器配置数量不足", "仓库", "按要求增配灭火器")),
    "C02": _item(0.03, (300, 20000),
                 ("室内消火栓无水", "楼梯间", "检修消防供水管网，恢复消火栓供水"),
                 ("消火栓箱内水带、水枪缺失", "走道", "补齐水带、水枪等配件")),
    "C03": _item(0.02, (2000, 80000),
                 ("自动喷水灭火系统末端试水压力不足", "仓库", "委托维保单位检修自动喷水灭火系统"),
                 ("喷淋系统控制阀处于关闭状态", "消防泵房", "开启控制阀并挂牌锁定")),
    "C04": _item(0.02, (2000, 50000),
                 ("火灾自动报警系统故障未修复", "消防控制室", "委托维保单位维修火灾自动报警系统"),
                 ("部分烟感探测器被拆除", "车间", "恢复被拆除的烟感探测器")),
    "C05": _item(0.05, (0, 6000),
                 ("消防控制室仅一人值班", "消防控制室", "落实24小时双人值班制度"),
                 ("消防控制室值班人员未持证上岗", "消防控制室", "安排值班人员参加培训并取得证书")),
    "C06": _item(0.04, (0, 0),
                 ("消火栓箱被货物遮挡", "楼道", "清理遮挡消火栓箱的货物"),
                 ("灭火器被杂物圈占", "仓库", "清理灭火器周围杂物")),
    "D01": _item(0.07, (500, 8000),
                 ("车间内私拉电线", "车间", "拆除私拉乱接电线，由持证电工规范敷设并穿管保护"),
                 ("电线未穿管保护，直接敷设在可燃物上", "仓库", "电线穿金属管保护，远离可燃物"),
                 ("插线板串接使用", "办公区", "拆除串接插线板，增设固定插座")),
    "D02": _item(0.04, (0, 1500),
                 ("配电箱周围堆放纸箱等可燃物", "配电间", "清理配电箱周围可燃物"),
                 ("配电箱箱门缺失，线路裸露", "车间", "修复配电箱箱门，包扎裸露线路")),
    "D03": _item(0.06, (0, 0),
                 ("电动自行车在楼道内停放充电", "楼道", "清理楼道内电动自行车，引导至集中充电区充电"),
                 ("电动自行车蓄电池在车间内充电", "车间", "禁止在车间内充电，移至集中充电区")),
    "D04": _item(0.03, (0, 0),
                 ("员工违规使用电热水壶、电暖器", "车间", "收缴违规电器，加强用电管理"),
                 ("办公室使用大功率电炉取暖", "办公区", "收缴大功率电炉，改用合规取暖设备")),
    "D05": _item(0.08, (3000, 30000),
                 ("锂电池与其他物品混合存放", "仓库", "锂电池单独存放，与其他物品保持安全距离"),
                 ("锂电池充电区域未独立设置", "车间", "设置独立的锂电池充电区域，并配置防火隔离设施")),
    "E01": _item(0.06, (0, 1000),
                 ("动火作业未办理审批手续", "车间", "严格执行动火审批制度"),
                 ("焊接作业现场无监护人、未配置灭火器", "车间", "动火作业落实现场监护，配置灭火器材")),
    "E02": _item(0.08, (2000, 40000),
                 ("油漆、稀释剂等易燃液体超量存放在车间内", "车间", "将易燃液体移至专用危险品仓库，车间内只留当班用量"),
                 ("危险化学品未专库存放", "仓库", "设置危险化学品专用仓库，分类存放")),
    "E03": _item(0.04, (0, 0),
                 ("货物堆放紧贴照明灯具", "仓库", "调整货物堆放位置，与灯具保持安全距离"),
                 ("可燃物靠近电加热设备堆放", "车间", "清理电加热设备周围可燃物")),
    "E04": _item(0.03, (0, 500),
                 ("车间内发现烟头，存在吸烟现象", "车间", "落实禁烟制度，设置禁烟标识，加强巡查"),
                 ("仓库内使用明火", "仓库", "禁止在仓库内使用明火，加强巡查")),
    "E05": _item(0.08, (3000, 50000),
                 ("打磨车间粉尘积聚，未定期清扫", "车间", "每班清扫粉尘并记录"),
                 ("除尘系统故障未维修", "车间", "维修除尘系统，恢复正常运行")),
    "F01": _item(0.02, (0, 0), ("未明确消防安全责任人和管理人", "", "书面明确消防安全责任人、管理人并公示")),
    "F02": _item(0.04, (0, 0), ("未开展防火巡查，无巡查记录", "", "建立防火巡查制度，每日巡查并记录")),
    "F03": _item(0.05, (0, 3000),
                 ("员工不会使用灭火器", "", "组织员工开展灭火器实操培训"),
                 ("员工未经消防安全培训", "", "组织全员消防安全培训")),
    "F04": _item(0.05, (0, 2000),
                 ("未制定灭火和应急疏散预案", "", "制定灭火和应急疏散预案"),
                 ("未组织消防演练", "", "每半年组织一次消防演练")),
    # Follows the ledger's safety_agreement_signed rather than a rate (see tenant_outcome).
    "F05": _item(0.0, (0, 0), ("未与出租方签订消防安全责任书", "", "与园区运营方签订消防安全责任书，明确各方责任")),
}
# fmt: on
FIRE = builtin_templates()[FIRE_TEMPLATE_ID]
CHECKLIST_ITEM_CODES = FIRE.codes()  # A01..F05, in checklist order
# An item a later template version adds before the demo knows it still fails now and then.
UNKNOWN_ITEM_FINDINGS = _item(0.02, (0, 2000), ("检查不合格，详见现场记录", "", "按检查要求整改到位"))
# When an item meant to be rectified on the spot (deadline 0 days) is not, because it needs a
# purchase or a tradesman, the inspector gives a few days instead.
NOT_FIXED_ON_THE_SPOT_DAYS = 3
SHARE_FIXED_ON_THE_SPOT = 0.6
SHARE_RAISED_TO_MAJOR = 0.3  # of failures of "may be major" items (GB 35181 is judged on site)


def findings_for(code: str) -> ItemFindings:
    return FINDINGS.get(code, UNKNOWN_ITEM_FINDINGS)


def _check_result_copies(template: ChecklistTemplate) -> dict[str, dict[str, object]]:
    """The template item copied into every CheckResult (as services.inspections.start_inspection does)."""
    return {
        item.code: {
            "item_code": item.code,
            "position": position,
            "category": item.category("zh_CN"),
            "item_text": item.text("zh_CN"),
            "default_severity": item.default_severity,
            "major_possible": item.major_possible,
        }
        for position, item in enumerate(template.items)
    }


CHECK_RESULT_COPIES = _check_result_copies(FIRE)
LEDGER = builtin_templates()[LEDGER_TEMPLATE_ID]
LEDGER_CHECK_RESULT_COPIES = _check_result_copies(LEDGER)
SHARE_LEDGER_VERIFIED = 0.12  # of tenants in the park: a 台账核查 in the last eight months
# How the ledger verification finds a tenant different from its ledger row: the item, what was
# seen (as the inspector types it into "observed"), and what the tenant must do.
LEDGER_MISMATCHES: tuple[tuple[str, str, str], ...] = (
    ("L01", "实测约 {area:,.0f}㎡", "按实际使用面积重新签订租赁合同并更新台账"),
    ("L02", "现场约 {people} 人", "如实申报用工人数，更新台账"),
    ("L03", "现场用作仓储", "恢复约定用途或办理用途变更手续，更新台账"),
    ("L07", "生产车间改作仓库", "恢复原使用性质，或依法办理改变使用性质的手续"),
)
# Items that only apply where the tenant has the matching risk point.
ITEMS_NEEDING_RISK = {
    "D05": ("lithium",),
    "E01": ("hot_work", "smelting"),
    "E02": ("flammables", "hazchem"),
    "E05": ("dust",),
}
# A park's common areas (corridors, stairs, control room) are checked against these only.
COMMON_AREA_ITEMS = frozenset(
    "A02 A04 B01 B02 B03 B04 B05 C01 C02 C03 C04 C05 C06 D02 D03 F01 F02 F04".split()
)
# Places of a finding that also exist in a building's shared spaces ("" = the park as a whole).
SHARED_PLACES = frozenset(
    "楼梯间 楼道 走道 疏散通道 安全出口 屋顶 外墙 外窗 配电间 消防控制室 消防泵房".split()
) | {""}

# The first park's common-areas inspection holds one hazard of each status, so that even the
# smallest demo shows the whole life cycle (and one notice that cannot be issued yet).
SHOWCASE_FOUND_DAYS_AGO = 20
SHOWCASE_HAZARDS = (  # (item, status, deadline in days after found_on, field left empty)
    ("B01", "closed", 7, None),
    ("D03", "overdue", 10, None),
    ("C02", "open", 30, None),
    ("C04", "pending_review", 30, None),
    ("A02", "escalated", 14, None),
    ("C06", "open", 25, "contingency_plan"),
)
# Fields of a 五落实 item that "a few open ones" leave empty.
OPTIONAL_ITEM_FIELDS = (
    "responsible_phone",
    "measures",
    "funds_yuan",
    "contingency_plan",
    "responsible_person",
)

CONTINGENCY_PLANS = (
    "整改期间加强防火巡查，每日不少于两次，并在现场增配灭火器4具",
    "整改期间该区域暂停使用，设置警示标识和隔离带",
    "安排专人值守，落实防火巡查，确保疏散通道畅通",
    "整改期间暂停动火作业，现场配足灭火器材",
    "整改期间由园区物业每日检查，发现问题立即上报",
)
ZERO_FUNDS_REASONS = ("清理整理物品，不产生费用", "由企业自行组织整改，无需资金", "完善管理制度，不产生费用")
ESCALATION_NOTES = ("逾期未整改，已报送平湖市消防救援大队", "拒不整改，已上报属地街道（镇）和行业主管部门")
DIFFICULTIES = tuple(
    "订单减少 用工难 融资难 原材料涨价 用电成本高 招工难，熟练工流失 应收账款回款慢 厂房租金上涨".split()
)
AGENCIES = ("平湖市经济和信息化局", "平湖市应急管理局")
INSPECTORS_PER_TEAM = 2
PARKS_PER_TEAM = 10
SEASONAL_FACTORS = {1: 0.82, 2: 1.0, 3: 1.02, 4: 1.16}  # Q1 holds the Spring Festival shutdown


def has_data(store: Store) -> bool:
    """True when the database holds at least one live park (the demo then asks for --force)."""
    with store.read() as session:
        return session.exec(select(Park.id).where(Park.deleted == False).limit(1)).first() is not None  # noqa: E712


def generate_demo(
    store: Store, *, parks: int, tenants_per_park: int, seed: int, today: date | None = None
) -> dict[str, int]:
    """Write `parks` demo parks with `tenants_per_park` tenants each; return how many rows of each kind."""
    builder = DemoBuilder(random.Random(seed), today or china_time.today())
    with store.read() as session:
        first_number = _next_park_number(session)
    with store.transaction() as session:
        session.add_all(builder.inspectors(parks))
    for index in range(parks):
        rows = builder.park_rows(first_number + index, tenants_per_park, showcase=index == 0)
        with store.transaction() as session:
            rows.write(session)
        builder.count(rows)
    return dict(builder.counts)


EXTRA_INSPECTIONS_PER_TRANSACTION = 500
MAX_EXTRA_ROUNDS = 10  # a database of few tenants stops here rather than inspecting them forever


def inspection_candidates(session) -> tuple[dict[str, Park], list[Tenant], dict[str, list[str]]]:
    """What a further round of demo inspections needs: parks by id, the in-park tenants of parks
    that have a team, and each park's team (the inspectors of its earliest inspection; the demo
    gives one team a park). Tenants come ordered by what the seed made (not by the keys, which
    differ between runs), so a seeded shuffle picks the same tenants every time."""
    parks = {park.id: park for park in session.exec(select(Park).where(Park.deleted == False))}  # noqa: E712
    tenants = session.exec(
        select(Tenant)
        .join(Park, Park.id == Tenant.park_id)
        .where(Tenant.deleted == False, Tenant.status == "in_park")  # noqa: E712
        .order_by(Park.code, Tenant.building, Tenant.unit_no, Tenant.credit_code)
    ).all()
    teams: dict[str, list[str]] = {}
    for park_id, inspector_ids in session.exec(
        select(Inspection.park_id, Inspection.inspector_ids).order_by(Inspection.started_at)
    ):
        teams.setdefault(park_id, inspector_ids)
    return parks, [tenant for tenant in tenants if tenant.park_id in teams], teams


def add_tenant_inspections(
    store: Store, *, hazards: int, seed: int, today: date | None = None
) -> dict[str, int]:
    """More finished tenant inspections, until the database holds about `hazards` hazards.

    For benchmarks that need more hazards than the demo's one-in-three tenants inspected gives
    (the hazards view at ~20,000 hazards over 30,000 tenants): in-park tenants, in a shuffled
    order, are inspected again by their park's team, with the same checklist, findings, 五落实
    and life cycle as `generate_demo` (a county's second round of checks in the same months).
    The last inspection may overshoot the count by its few hazards. Returns the rows added.
    """
    builder = DemoBuilder(random.Random(seed), today or china_time.today())
    with store.read() as session:
        have = session.exec(select(func.count()).select_from(Hazard).where(Hazard.deleted == False)).one()  # noqa: E712
        parks, tenants, teams = inspection_candidates(session)
    added = {"inspections": 0, "hazards": 0}
    rows = ParkRows()

    def write() -> None:
        nonlocal rows
        with store.transaction() as session:
            rows.write(session)
        added["inspections"] += len(rows.inspections)
        added["hazards"] += len(rows.hazards)
        rows = ParkRows()

    for _ in range(MAX_EXTRA_ROUNDS):
        builder.rng.shuffle(tenants)
        for tenant in tenants:
            if have + added["hazards"] + len(rows.hazards) >= hazards:
                break
            builder.tenant_inspection(rows, parks[tenant.park_id], tenant, teams[tenant.park_id])
            if len(rows.inspections) >= EXTRA_INSPECTIONS_PER_TRANSACTION:
                write()
        if not tenants or have + added["hazards"] + len(rows.hazards) >= hazards:
            break
    if rows.inspections:
        write()
    return added


def _next_park_number(session: Session) -> int:
    """Demo parks are numbered after existing ones, so that `demo --force` adds instead of clashing."""
    codes = session.exec(select(Park.code).where(Park.code.like(f"{PARK_CODE_PREFIX}%"))).all()
    numbers = [
        int(code[len(PARK_CODE_PREFIX) :]) for code in codes if code[len(PARK_CODE_PREFIX) :].isdigit()
    ]
    return max(numbers, default=0) + 1


@dataclass
class ParkRows:
    """One park's rows, by table in foreign-key order: one transaction writes them all."""

    parks: list[Park] = field(default_factory=list)
    buildings: list[Building] = field(default_factory=list)
    tenants: list[Tenant] = field(default_factory=list)
    inspections: list[Inspection] = field(default_factory=list)
    check_results: list[CheckResult] = field(default_factory=list)
    hazards: list[Hazard] = field(default_factory=list)
    rectification_items: list[RectificationItem] = field(default_factory=list)
    reinspections: list[Reinspection] = field(default_factory=list)
    quarterly_reports: list[QuarterlyReport] = field(default_factory=list)

    def write(self, session: Session) -> None:
        # No relationship() is mapped, so the unit of work would not put parents before children:
        # one flush per table, in the order of the fields above, does (SQLite checks foreign keys).
        for table in fields(self):
            table_rows = getattr(self, table.name)
            if table_rows:
                session.add_all(table_rows)
                session.flush()


@dataclass(frozen=True)
class Plan:
    """A hazard whose life cycle is chosen rather than drawn (the showcase)."""

    status: str
    deadline_days: int  # after found_on
    missing_field: str | None  # a 五落实 field left empty


@dataclass(frozen=True)
class Failure:
    code: str  # the checklist item that failed
    plan: Plan | None = None


@dataclass
class TenantPlan:
    """What the quarterly figures need to know about a tenant besides its ledger row."""

    tenant: Tenant
    process: Process
    trend: str  # normal | declining | zombie


class DemoBuilder:
    """Makes the rows. Holds the one random generator, so the order of calls fixes the content."""

    def __init__(self, rng: random.Random, today: date):
        self.rng = rng
        self.today = today
        self.quarters = last_complete_quarters(today, QUARTERS_REPORTED)
        self.used_park_names: set[str] = set()
        self.used_company_names: set[str] = set()
        self.used_credit_codes: set[str] = set()
        self.teams: list[list[Inspector]] = []
        self.counts = {"parks": 0, "tenants": 0, "inspections": 0, "hazards": 0, "quarterly_reports": 0}

    # --- people ------------------------------------------------------------------------------

    def person_name(self) -> str:
        given_length = 1 if self.rng.random() < 0.3 else 2
        return self.rng.choice(SURNAMES) + "".join(self.rng.choices(GIVEN_NAME_CHARS, k=given_length))

    def mobile(self) -> str:
        # 13x, 15x, 18x and 19x numbers are the common ones; 14x, 16x and 17x are rarer.
        return f"1{self.rng.choice('33333455556788889999')}{self.rng.randrange(10**9):09d}"

    def inspectors(self, parks: int) -> list[Inspector]:
        """Teams of two (enforcement needs two signatures); one team looks after about ten parks.

        The device's own inspector profile is left unset: the app asks for it on first run.
        """
        team_count = max(1, math.ceil(parks / PARKS_PER_TEAM))
        for team_number in range(team_count):
            agency = AGENCIES[team_number % len(AGENCIES)]
            team = []
            for member in range(INSPECTORS_PER_TEAM):
                serial = team_number * INSPECTORS_PER_TEAM + member + 1
                year = self.rng.randint(2012, 2023)
                team.append(
                    Inspector(
                        name=self.person_name(),
                        id_number=f"{DISTRICT_CODE}{year}{serial:04d}",
                        agency=agency,
                        phone=self.mobile(),
                    )
                )
            self.teams.append(team)
        return [inspector for team in self.teams for inspector in team]

    # --- parks -------------------------------------------------------------------------------

    def park_rows(self, number: int, tenant_count: int, *, showcase: bool) -> ParkRows:
        """Park number `number` with its buildings, tenants, inspections and quarterly figures."""
        rows = ParkRows()
        park = self.park(number)
        buildings = self.buildings(park)
        rows.parks.append(park)
        rows.buildings.extend(buildings)

        services_park = park.function_type == "services"
        plans = [self.tenant(park, buildings, slot, services_park) for slot in range(tenant_count)]
        rows.tenants.extend(plan.tenant for plan in plans)
        self.fit_floor_area(park, buildings, [plan.tenant for plan in plans], number)

        team = self.teams[(number - 1) // PARKS_PER_TEAM % len(self.teams)]
        inspector_ids = [inspector.id for inspector in team]
        self.common_area_inspection(rows, park, buildings, inspector_ids, showcase=showcase)
        for plan in plans:
            if plan.tenant.status == "in_park" and self.rng.random() < 0.3:
                self.tenant_inspection(rows, park, plan.tenant, inspector_ids)

        for plan in plans:
            if plan.tenant.status == "in_park":
                rows.quarterly_reports.extend(self.quarterly(plan))
        for plan in plans:
            if plan.tenant.status == "in_park" and self.rng.random() < SHARE_LEDGER_VERIFIED:
                self.ledger_verification(rows, park, plan.tenant, inspector_ids)
        return rows

    def count(self, rows: ParkRows) -> None:
        for key in self.counts:
            self.counts[key] += len(getattr(rows, key))

    def park(self, number: int) -> Park:
        rng = self.rng
        street = rng.choice(STREETS)
        name = self.unique_park_name(f"{DISTRICT}{street}{rng.choice(PARK_THEMES)}小微企业园")
        land_area_mu = round(min(300.0, max(30.0, rng.lognormvariate(math.log(80), 0.55))), 1)
        plot_ratio = rng.uniform(1.2, 2.5)  # 容积率
        certified = rng.random() < 0.75
        # Stars are awarded to certified parks only; most have none (the county report: 5 of 19 三星).
        star_rating = rng.choices(STAR_RATINGS, weights=(45, 35, 15, 5))[0] if certified else 0
        has_property_company = rng.random() < 0.75
        return Park(
            code=f"{PARK_CODE_PREFIX}{number:03d}",
            name=name,
            district=DISTRICT,
            street=street,
            function_type="services" if rng.random() < 0.1 else "manufacturing",
            developer_type=rng.choices(PARK_DEVELOPER_TYPES, weights=(45, 40, 10, 5))[0],
            star_rating=star_rating,
            provincially_certified=certified,
            land_area_mu=land_area_mu,
            floor_area_m2=round(land_area_mu * SQUARE_METRES_PER_MU * plot_ratio, -1),
            property_company=f"{DISTRICT}{self.trade_name()}物业管理有限公司"
            if has_property_company
            else None,
        )

    @staticmethod
    def fit_floor_area(park: Park, buildings: Sequence[Building], tenants: Sequence[Tenant], number: int) -> None:
        """Size the park to its tenants: 85–94% of the floor area let (small-enterprise parks are
        mostly full; a park whose tenants rent more than it has would be a ledger error), the land
        area following at the park's drawn plot ratio. No random draw, so the rest of the data
        stays as it was. A park with no tenants keeps its drawn size."""
        rented = sum(t.rented_area_m2 for t in tenants if t.status == "in_park")
        if not rented:
            return
        plot_ratio = park.floor_area_m2 / (park.land_area_mu * SQUARE_METRES_PER_MU)
        floor_area = round(rented / (0.85 + (number % 10) / 100), -1)
        for building in buildings:
            building.floor_area_m2 = round(building.floor_area_m2 * floor_area / park.floor_area_m2, -1)
        park.floor_area_m2 = floor_area
        park.land_area_mu = round(floor_area / plot_ratio / SQUARE_METRES_PER_MU, 1)

    def unique_park_name(self, base: str) -> str:
        """A second park of the same street and theme is the base name's 二期, 三期, ..."""
        name, phase = base, 1
        while name in self.used_park_names:
            phase += 1
            ordinal = CHINESE_ORDINALS[phase - 1] if phase <= len(CHINESE_ORDINALS) else str(phase)
            name = f"{base}{ordinal}期"
        self.used_park_names.add(name)
        return name

    def buildings(self, park: Park) -> list[Building]:
        count = self.rng.randint(2, 6)
        return [
            Building(
                park_id=park.id,
                name=f"{n}号楼",
                floors=self.rng.randint(3, 6),
                floor_area_m2=round(park.floor_area_m2 / count * self.rng.uniform(0.8, 1.2), -1),
            )
            for n in range(1, count + 1)
        ]

    # --- tenants -----------------------------------------------------------------------------

    def trade_name(self) -> str:
        first = self.rng.choice(TRADE_NAME_FIRST)
        second = self.rng.choice(TRADE_NAME_SECOND.replace(first, ""))
        return first + second

    def company_name(self, industry: Industry, *, prefix: str = DISTRICT) -> str:
        """平湖市 + 字号 + 行业 + 有限公司; drawn again on a clash, as a registry would refuse it."""
        while True:
            name = f"{prefix}{self.trade_name()}{self.rng.choice(industry.name_words)}有限公司"
            if name not in self.used_company_names:
                self.used_company_names.add(name)
                return name

    def new_credit_code(self) -> str:
        """91 (enterprise, market regulator) + division + organisation code + check character.

        About a third are post-2015 `MA2...` bodies, whose inner GB 11714 check is not computed
        (as in real registers); all get the right 18th character.
        """
        rng = self.rng
        division = (
            DISTRICT_CODE if rng.random() < 0.9 else rng.choice(("330402", "330411", "330481", "330424"))
        )
        while True:
            if rng.random() < 0.35:
                body = "MA2" + "".join(rng.choices(credit_code.CHARSET, k=6))
                code = credit_code.complete(f"91{division}{body}")
            else:
                code = credit_code.complete(f"91{division}{rng.randrange(10**8):08d}")
            if code not in self.used_credit_codes:
                self.used_credit_codes.add(code)
                return code

    def tenant(self, park: Park, buildings: Sequence[Building], slot: int, services_park: bool) -> TenantPlan:
        rng = self.rng
        service_share = 0.7 if services_park else 0.08
        industry = rng.choice(
            SERVICE_INDUSTRIES if rng.random() < service_share else MANUFACTURING_INDUSTRIES
        )
        process = rng.choice(industry.processes)
        above = rng.random() < 0.13
        code = self.new_credit_code()
        # A firm registered outside 平湖市 (or a larger one) is named after the province instead.
        registered_here = code[2:8] == DISTRICT_CODE
        prefix = DISTRICT if registered_here and not (above and rng.random() < 0.3) else "浙江"
        name = self.company_name(industry, prefix=prefix)

        # Rented area: skewed, most units a few hundred to a thousand m²; 规上 firms rent more.
        area = rng.lognormvariate(math.log(2600 if above else 800), 0.6)
        area = round(min(8000.0, max(200.0, area)), -1)
        m2_per_person = {"production": 25, "storage": 150, "office": 12, "rnd": 15, "commerce": 40}[
            process.lease_use
        ]
        headcount = int(min(300, max(3, area / m2_per_person * rng.uniform(0.6, 1.4))))

        building_index = slot % len(buildings)
        building = buildings[building_index]
        floors = building.floors or 1
        room_slot = slot // len(buildings)  # the building's n-th unit: floors fill up in turn
        floor, room = room_slot % floors + 1, room_slot // floors + 1
        # Leases run from the first of a month for whole years; a tenant still here has renewed
        # as often as needed, so the ledger shows the running lease's end.
        lease_start = date(rng.randint(self.today.year - 7, self.today.year - 1), rng.randint(1, 12), 1)
        term_years = rng.choice((3, 5, 5, 10))
        left = rng.random() < 0.03
        renewals = 1
        while not left and lease_end_after(lease_start, term_years * renewals) < self.today:
            renewals += 1
        lease_end = lease_end_after(lease_start, term_years * renewals)
        living_on_site = rng.random() < 0.03
        risk_points = self.risk_points(process, living_on_site)
        signed = rng.random() < 0.9
        agreement_date = min(lease_start + timedelta(days=rng.randint(0, 20)), self.today) if signed else None
        sublet = rng.random() < 0.05
        trend = rng.choices(("normal", "declining", "zombie"), weights=(94, 4, 2))[0]
        if trend == "zombie" and above:
            trend = "normal"  # a 规上 firm does not go silent without the statistics office noticing
        if trend == "zombie":
            efficiency = "D"
        else:
            efficiency = rng.choices("ABCD", weights=(35, 40, 20, 5) if above else (10, 35, 40, 15))[0]

        tenant = Tenant(
            park_id=park.id,
            building_id=building.id,
            name=name,
            credit_code=code,
            contact_name=self.person_name(),
            contact_phone=self.mobile(),
            building=building.name,
            unit_no=f"{floor}F-{floor}{room:02d}",
            rented_area_m2=area,
            headcount=headcount,
            scale="above" if above else "below",
            lease_use=process.lease_use,
            risk_points=risk_points,
            lease_start=lease_start,
            lease_end=lease_end,
            status="left" if left else "in_park",
            left_on=self.random_date(lease_start, min(self.today, lease_end)) if left else None,
            fire_hazard_class=rng.choice(process.hazard_classes) if process.hazard_classes else None,
            process_or_goods=process.name,
            safety_agreement_signed=signed,
            safety_agreement_date=agreement_date,
            sublet=sublet,
            subtenant_name=self.company_name(rng.choice(MANUFACTURING_INDUSTRIES)) if sublet else None,
            people_living_on_site=living_on_site,
            efficiency_class=efficiency,
        )
        return TenantPlan(tenant, process, trend)

    def risk_points(self, process: Process, living_on_site: bool) -> list[str]:
        """0-3 of the risk points the process brings, and 员工住宿 when people live on site."""
        wanted = self.rng.choices((0, 1, 2, 3), weights=(25, 40, 25, 10))[0]
        chosen = self.rng.sample(process.risk_pool, min(wanted, len(process.risk_pool)))
        if living_on_site and "staff_living" not in chosen:
            chosen.append("staff_living")
        return chosen

    def random_date(self, first: date, last: date) -> date:
        return first + timedelta(days=self.rng.randint(0, max(0, (last - first).days)))

    # --- inspections -------------------------------------------------------------------------

    def inspection(
        self, park: Park, tenant: Tenant | None, inspector_ids: list[str], found_on: date,
        template: ChecklistTemplate = FIRE,
    ) -> Inspection:
        start_local = datetime.combine(
            found_on, time(self.rng.randint(8, 15), self.rng.choice((0, 15, 30, 45))), tzinfo=CHINA_TIME
        )
        started_at = start_local.astimezone(UTC)
        return Inspection(
            park_id=park.id,
            tenant_id=tenant.id if tenant else None,
            template_id=template.id,
            template_version=template.version,
            template_sha256=template.sha256 or None,
            inspector_ids=list(inspector_ids),
            started_at=started_at,
            finished_at=started_at + timedelta(minutes=self.rng.randint(30, 120)),
            status="finished",
        )

    def tenant_inspection(self, rows: ParkRows, park: Park, tenant: Tenant, inspector_ids: list[str]) -> None:
        found_on = self.today - timedelta(days=self.rng.randint(1, 240))
        inspection = self.inspection(park, tenant, inspector_ids, found_on)
        outcomes = {code: self.tenant_outcome(code, tenant) for code in CHECKLIST_ITEM_CODES}
        failures = [Failure(code) for code in CHECKLIST_ITEM_CODES if outcomes[code] == "fail"]
        self.inspection_rows(rows, inspection, outcomes, failures, tenant=tenant, buildings=())

    def ledger_verification(self, rows: ParkRows, park: Park, tenant: Tenant, inspector_ids: list[str]) -> None:
        """A 台账核查: most tenants match their ledger row; about a third differ in one respect,
        which becomes a hazard to rectify (and the overview's "ledger mismatch" flag)."""
        rng = self.rng
        found_on = self.today - timedelta(days=rng.randint(1, 240))
        inspection = self.inspection(park, tenant, inspector_ids, found_on, LEDGER)
        results = {code: CheckResult(inspection_id=inspection.id, outcome="pass", **LEDGER_CHECK_RESULT_COPIES[code])
                   for code in LEDGER.codes()}
        if rng.random() < 0.35:
            code, observed, measures = rng.choice(LEDGER_MISMATCHES)
            result = results[code]
            result.outcome = "fail"
            result.observed_value = observed.format(area=tenant.rented_area_m2 * rng.uniform(1.2, 1.6),
                                                    people=tenant.headcount + rng.randint(8, 30))
            description = f"{result.item_text}：不符，{result.observed_value}"
            result.note = description
            hazard = Hazard(inspection_id=inspection.id, check_result_id=result.id, park_id=park.id,
                            tenant_id=tenant.id, item_code=code, location=f"{tenant.building}{tenant.unit_no}",
                            description=description, severity="general", found_on=found_on)
            deadline = found_on + timedelta(days=30)
            status = self.status_for_deadline(deadline, "general")
            hazard.status = "open" if status == "overdue" else status
            rows.hazards.append(hazard)
            rows.rectification_items.append(RectificationItem(
                hazard_id=hazard.id, responsible_person=tenant.contact_name, responsible_phone=tenant.contact_phone,
                measures=measures, funds_yuan=0.0, funds_reason=rng.choice(ZERO_FUNDS_REASONS), deadline=deadline,
                contingency_plan=rng.choice(CONTINGENCY_PLANS), status=hazard.status,
                closed_on=min(self.today, deadline) if hazard.status == "closed" else None,
            ))
            inspection.summary = "台账核查发现1处与台账不符，已告知整改要求"
        else:
            inspection.summary = "台账核查：与台账一致"
        rows.inspections.append(inspection)
        rows.check_results.extend(results.values())

    def tenant_outcome(self, code: str, tenant: Tenant) -> str:
        rng = self.rng
        if code == "C05":
            return "na"  # the control room belongs to the park's common areas
        if code in ITEMS_NEEDING_RISK and not set(ITEMS_NEEDING_RISK[code]) & set(tenant.risk_points):
            return "na"
        if code in ("C03", "C04") and tenant.rented_area_m2 < 1000 and rng.random() < 0.6:
            return "na"  # small units often have no sprinklers or detectors of their own
        if code == "F05":
            return "pass" if tenant.safety_agreement_signed else "fail"  # the inspection confirms the ledger
        if code == "A03" and tenant.people_living_on_site:
            return "fail" if rng.random() < 0.6 else "pass"
        return "fail" if rng.random() < findings_for(code).fail_rate else "pass"

    def common_area_inspection(
        self,
        rows: ParkRows,
        park: Park,
        buildings: Sequence[Building],
        inspector_ids: list[str],
        *,
        showcase: bool,
    ) -> None:
        days_ago = SHOWCASE_FOUND_DAYS_AGO if showcase else self.rng.randint(1, 240)
        found_on = self.today - timedelta(days=days_ago)
        inspection = self.inspection(park, None, inspector_ids, found_on)
        outcomes = {}
        for code in CHECKLIST_ITEM_CODES:
            applicable = code in COMMON_AREA_ITEMS
            failed = self.rng.random() < findings_for(code).fail_rate
            outcomes[code] = ("fail" if failed else "pass") if applicable else "na"
        failures = []
        if showcase:
            for code, status, deadline_days, missing in SHOWCASE_HAZARDS:
                outcomes[code] = "fail"
                failures.append(Failure(code, Plan(status, deadline_days, missing)))
        planned = {failure.code for failure in failures}
        failures += [
            Failure(code) for code in CHECKLIST_ITEM_CODES if outcomes[code] == "fail" and code not in planned
        ]
        self.inspection_rows(rows, inspection, outcomes, failures, tenant=None, buildings=buildings)

    def finding_and_location(
        self, code: str, tenant: Tenant | None, buildings: Sequence[Building]
    ) -> tuple[Finding, str]:
        """What was found and where: in the tenant's unit, or in a building's shared spaces."""
        findings = findings_for(code).findings
        if tenant is not None:
            finding = self.rng.choice(findings)
            return finding, f"{tenant.building}{tenant.unit_no}{finding.place}"
        finding = self.rng.choice([f for f in findings if f.place in SHARED_PLACES] or findings)
        return finding, f"{self.rng.choice(buildings).name}{finding.place or '公共区域'}"

    def inspection_rows(
        self,
        rows: ParkRows,
        inspection: Inspection,
        outcomes: dict[str, str],
        failures: list[Failure],
        *,
        tenant: Tenant | None,
        buildings: Sequence[Building],
    ) -> None:
        """The inspection, its check results, and a hazard with its 五落实 item per failed item."""
        results = {}
        for code in CHECKLIST_ITEM_CODES:
            results[code] = CheckResult(
                inspection_id=inspection.id, outcome=outcomes[code], **CHECK_RESULT_COPIES[code]
            )
        found_on = inspection.started_at.astimezone(CHINA_TIME).date()
        for failure in failures:
            finding, location = self.finding_and_location(failure.code, tenant, buildings)
            results[failure.code].note = finding.description
            # The template's default severity, raised on site for some "may be major" items.
            # Showcase hazards keep the default: their planned deadlines are general ones.
            checklist_item = FIRE.item(failure.code)
            may_be_major = checklist_item.major_possible and failure.plan is None
            raised = may_be_major and self.rng.random() < SHARE_RAISED_TO_MAJOR
            severity = "major" if raised else checklist_item.default_severity
            hazard = Hazard(
                inspection_id=inspection.id,
                check_result_id=results[failure.code].id,
                park_id=inspection.park_id,
                tenant_id=inspection.tenant_id,
                item_code=failure.code,
                location=location,
                description=finding.description,
                severity=severity,
                found_on=found_on,
            )
            item, reinspection = self.rectification(
                hazard, finding, failure, tenant, inspection.inspector_ids
            )
            rows.hazards.append(hazard)
            rows.rectification_items.append(item)
            if reinspection:
                rows.reinspections.append(reinspection)
        count = len(failures)
        inspection.summary = f"检查发现隐患{count}处，已告知整改要求" if count else "未发现消防安全隐患"
        rows.inspections.append(inspection)
        rows.check_results.extend(results.values())

    # --- hazards and their 五落实 items -------------------------------------------------------

    def rectification(
        self,
        hazard: Hazard,
        finding: Finding,
        failure: Failure,
        tenant: Tenant | None,
        inspector_ids: list[str],
    ) -> tuple[RectificationItem, Reinspection | None]:
        """The hazard's status and its one rectification item, consistent with each other and with today.

        Statuses: open (deadline ahead), overdue (still open, deadline passed), pending_review (the
        tenant reports it done before the deadline), closed (with closed_on), escalated.
        """
        rng = self.rng
        item_findings = findings_for(failure.code)
        # The deadline the app proposes when an inspection finishes (services.inspections).
        days = FIRE.item(failure.code).deadline_days(hazard.severity)
        found_on = hazard.found_on
        missing = None
        if failure.plan is not None:
            status, missing = failure.plan.status, failure.plan.missing_field
            deadline = found_on + timedelta(days=failure.plan.deadline_days)
        elif days == 0 and rng.random() < SHARE_FIXED_ON_THE_SPOT:
            status, deadline = "closed", found_on  # 当场整改
        else:
            deadline = found_on + timedelta(days=days or NOT_FIXED_ON_THE_SPOT_DAYS)
            status = self.status_for_deadline(deadline, hazard.severity)
            if status == "open" and rng.random() < 0.1:
                missing = rng.choice(OPTIONAL_ITEM_FIELDS)

        hazard.status = "open" if status == "overdue" else status
        if tenant is not None:
            person, phone = tenant.contact_name, tenant.contact_phone
        else:
            person, phone = self.person_name(), self.mobile()  # the park's property manager
        low, high = item_findings.funds_yuan
        funds = float(round(rng.randint(low, high), -2)) if high else 0.0
        item = RectificationItem(
            hazard_id=hazard.id,
            responsible_person=person,
            responsible_phone=phone,
            measures=finding.measures,
            funds_yuan=funds,
            funds_reason=rng.choice(ZERO_FUNDS_REASONS) if funds == 0 else None,
            deadline=deadline,
            contingency_plan=rng.choice(CONTINGENCY_PLANS),
            # The item holds the status the app works with (services.hazards); overdue is derived.
            status="open" if status == "overdue" else status,
        )
        if missing == "funds_yuan":
            item.funds_reason = None
        if missing:
            setattr(item, missing, None)

        reinspection = None
        if status == "closed":
            if deadline == found_on:
                item.closed_on = found_on
            else:
                item.closed_on = min(self.today, deadline - timedelta(days=rng.randint(0, 3)))
                reinspection = Reinspection(
                    rectification_item_id=item.id,
                    inspected_on=item.closed_on,
                    outcome="rectified",
                    evidence_note="现场复查，已整改到位",
                    inspector_ids=list(inspector_ids),
                )
        elif status == "escalated":
            inspected_on = min(self.today, deadline + timedelta(days=rng.randint(1, 10)))
            reinspection = Reinspection(
                rectification_item_id=item.id,
                inspected_on=inspected_on,
                outcome="escalated",
                evidence_note=rng.choice(ESCALATION_NOTES),
                inspector_ids=list(inspector_ids),
            )
        return item, reinspection

    def status_for_deadline(self, deadline: date, severity: str) -> str:
        roll = self.rng.random()
        if deadline >= self.today:
            return "pending_review" if roll < 0.15 else "open"
        if severity == "major":
            return "closed" if roll < 0.45 else "escalated" if roll < 0.7 else "overdue"
        return "closed" if roll < 0.75 else "escalated" if roll < 0.83 else "overdue"

    # --- quarterly operating data ------------------------------------------------------------

    def quarterly(self, plan: TenantPlan) -> list[QuarterlyReport]:
        """Eight quarters of output, power, water and tax, from the quarter the lease started.

        规上 means annual output of at least 2,000 万元; the ranges below make the 13% of 规上
        tenants produce about 40% of the output, as in the county report.
        """
        rng = self.rng
        tenant = plan.tenant
        above = tenant.scale == "above"
        if above:
            annual = 2000 + min(18000.0, rng.lognormvariate(math.log(300), 0.8))
        else:
            annual = min(1900.0, max(40.0, rng.lognormvariate(math.log(420), 0.75)))
        kwh_per_wan = {
            "production": (300, 1200),
            "storage": (60, 200),
            "office": (80, 150),
            "rnd": (100, 300),
            "commerce": (60, 150),
        }[plan.process.lease_use]
        intensity = rng.uniform(*kwh_per_wan)
        tax_rate = rng.uniform(0.02, 0.06)
        growth = rng.gauss(0.06, 0.08)
        if plan.trend == "declining":
            growth = 0.0  # keeps the year-on-year drop at 30% or more whatever the noise
        idle_quarters = rng.randint(2, 3) if plan.trend == "zombie" else 0

        reports = []
        start = (tenant.lease_start.year, (tenant.lease_start.month - 1) // 3 + 1)
        for index, (year, quarter) in enumerate(self.quarters):
            if (year, quarter) < start:
                continue  # no figures from before the tenant moved in
            normal = annual / 4 * SEASONAL_FACTORS[quarter] * (1 + growth) ** (index / 4) * rng.gauss(1, 0.06)
            output = normal
            difficulties = rng.choice(DIFFICULTIES) if rng.random() < 0.1 else None
            if plan.trend == "declining" and index >= len(self.quarters) - 4:
                output = normal * rng.uniform(0.4, 0.6)
                difficulties = rng.choice(("订单减少", "订单减少，开工不足"))
            idle = plan.trend == "zombie" and index >= len(self.quarters) - idle_quarters
            if idle:
                output = rng.uniform(0, 0.8)
                # lighting and a guard's kettle: under 5% of the tenant's usual power, the zombie rule
                electricity = normal * intensity * rng.uniform(0.002, 0.01)
                difficulties = rng.choice(("基本停产", "订单减少，基本停产"))
            else:
                electricity = output * intensity * rng.gauss(1, 0.05)
            reports.append(
                QuarterlyReport(
                    tenant_id=tenant.id,
                    year=year,
                    quarter=quarter,
                    output_value_wan=round(max(0.0, output), 1),
                    electricity_kwh=float(round(max(0.0, electricity))),
                    water_t=float(round(tenant.headcount * rng.uniform(4, 9) * (0.1 if idle else 1))),
                    tax_wan=0.0 if idle else round(max(0.0, output) * tax_rate, 2),
                    difficulties=difficulties,
                )
            )
        return reports


def lease_end_after(start: date, years: int) -> date:
    """The last day of a lease of whole years that began on the first of a month."""
    return start.replace(year=start.year + years) - timedelta(days=1)


def last_complete_quarters(today: date, count: int) -> list[tuple[int, int]]:
    """The `count` quarters before the one `today` is in, oldest first, as (year, quarter)."""
    year, quarter = today.year, (today.month - 1) // 3 + 1
    quarters = []
    for _ in range(count):
        year, quarter = (year, quarter - 1) if quarter > 1 else (year - 1, 4)
        quarters.append((year, quarter))
    return quarters[::-1]


# --- demo notices -------------------------------------------------------------------------------

DEMO_NOTICES = 10  # per run: enough to see real notices, few enough to keep `parkinspect demo` quick
DEMO_AGENCY_SHORT = "平经信安整"


def demo_agency(configured: dict | None = None):
    """The issuing agency of demo notices: the office's `[agency]` where configured, else the demo's own."""
    from inspect_app.services.notices import Agency, agency_from_config

    return agency_from_config(configured or {}, Agency(name=AGENCIES[0], short=DEMO_AGENCY_SHORT))


def notice_candidates(store: Store, count: int) -> list[list[str]]:
    """Up to `count` groups of hazard ids, one group per tenant inspection, that can be issued now:
    open tenant hazards without a notice whose current 五落实 item is complete.

    The choice is deterministic for a given content (ordered by park code, credit code, inspection
    date and checklist item; the UUID keys play no part), and spreads over parks before tenants."""
    from forms.rectification import missing_implementations
    from inspect_app.services.hazards import LIVE_ITEM

    with store.read() as session:
        rows = session.exec(
            select(Hazard, RectificationItem, Park.code, Tenant.credit_code, Inspection.started_at)
            .join(RectificationItem, RectificationItem.hazard_id == Hazard.id)
            .join(Park, Park.id == Hazard.park_id)
            .join(Tenant, Tenant.id == Hazard.tenant_id)
            .join(Inspection, Inspection.id == Hazard.inspection_id)
            .where(Hazard.status == "open", Hazard.notice_id == None,  # noqa: E711
                   Hazard.deleted == False, Tenant.deleted == False, LIVE_ITEM)  # noqa: E712
        ).all()
    current: dict[str, tuple] = {}  # hazard id -> its latest live item and sort keys
    for hazard, item, park_code, credit, started in rows:
        known = current.get(hazard.id)
        if known is None or item.revision > known[1].revision:
            current[hazard.id] = (hazard, item, park_code, credit, started)
    groups: dict[tuple, list[tuple]] = {}
    for hazard, item, park_code, credit, started in current.values():
        if item.status != "open" or missing_implementations(
                responsible_person=item.responsible_person, responsible_phone=item.responsible_phone,
                measures=item.measures, funds_yuan=item.funds_yuan, funds_reason=item.funds_reason,
                deadline=item.deadline, contingency_plan=item.contingency_plan):
            continue
        key = (park_code, credit or "", started, hazard.inspection_id)
        groups.setdefault(key, []).append((hazard.item_code or "", hazard.found_on, hazard.description, hazard.id))
    by_park: dict[str, list[tuple]] = {}
    for key in sorted(groups):
        by_park.setdefault(key[0], []).append(key)
    chosen: list[tuple] = []
    queues = [by_park[code] for code in sorted(by_park)]
    while len(chosen) < count and any(queues):  # round robin: first group of each park, then second ...
        for queue in queues:
            if queue and len(chosen) < count:
                chosen.append(queue.pop(0))
    return [[entry[-1] for entry in sorted(groups[key])] for key in chosen]


def issue_demo_notices(store: Store, *, keys_dir, agency, count: int = DEMO_NOTICES,
                       now: datetime | None = None) -> list:
    """Issue rectification notices for up to `count` demo tenants (see `notice_candidates`), creating
    this device's signing key first when `keys_dir` holds none. Returns the IssuedNotice objects.

    Each notice is issued on the day of its inspection (an hour after it started, never after
    `now`), as an inspector does on site: its deadlines, counted from that day, are then on or
    after the issue date. Issued in order of their inspections, so numbers grow with the dates."""
    from inspect_app.services.keys import ensure_device_key
    from inspect_app.services.notices import issue_rectification_notice

    groups = notice_candidates(store, count) if count > 0 else []
    if not groups:
        return []
    ensure_device_key(store, keys_dir, name="演示设备", organisation=agency.name or None)
    now = now or datetime.now(UTC).replace(microsecond=0)
    with store.read() as session:
        started = {ids[0]: session.exec(select(Inspection.started_at).join(Hazard, Hazard.inspection_id == Inspection.id)
                                        .where(Hazard.id == ids[0])).one() for ids in groups}

    def issued_on(ids: list[str]) -> datetime:
        moment = started[ids[0]]
        moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        return min(now, moment + timedelta(hours=1))

    return [issue_rectification_notice(store, hazard_ids=ids, agency=agency, keys_dir=keys_dir, now=issued_on(ids))
            for ids in sorted(groups, key=issued_on)]


def complete_demo_documents(store: Store, issued: list, *, keys_dir, agency, now: datetime | None = None) -> dict:
    """What follows a notice in the field, so every document kind and state shows in the demo:
    every notice but the newest served (the day after its issue, one left at the premises with a
    witness), the oldest notice's hazards re-inspected as rectified a week on and answered by a
    复查意见书, and the 检查记录 of its inspection signed with the accompanying person.
    Returns the counts: {"served", "opinions", "records"}."""
    from inspect_app.services.hazards import record_reinspection
    from inspect_app.services.inspections import set_accompanied_by
    from inspect_app.services.notice_service import record_service
    from inspect_app.services.notices import issue_inspection_record, issue_reinspection_opinion

    counts = {"served": 0, "opinions": 0, "records": 0}
    if not issued:
        return counts
    now = now or datetime.now(UTC).replace(microsecond=0)
    today = china_time.local_date(now)
    by_date = sorted(issued, key=lambda n: n.issued_at)
    for index, notice in enumerate(by_date[:-1]):  # the newest waits for its service: 待送达 / late
        addressee = notice.content["addressee"]
        served_on = min(today, china_time.local_date(notice.issued_at) + timedelta(days=1))
        values = {"method": "direct", "recipient": addressee.get("person_in_charge") or "收发室",
                  "served_on": served_on.isoformat()}
        if index % 4 == 3:
            values.update(method="left", refused=True, witness="园区物业 陈晓东",
                          recipient=addressee.get("person_in_charge") or "负责人")
        record_service(store, notice.number, values, today=today)
        counts["served"] += 1
    oldest = by_date[0]
    with store.read() as session:
        hazards = session.exec(select(Hazard).where(Hazard.notice_id == oldest.id)).all()
        inspection = session.get(Inspection, hazards[0].inspection_id) if hazards and hazards[0].inspection_id else None
        hazard_ids = [h.id for h in hazards]
        inspector_ids = list(inspection.inspector_ids) if inspection else []
    reinspected = china_time.local(oldest.issued_at) + timedelta(days=7)
    if hazard_ids and inspector_ids and reinspected <= now:
        for hazard_id in hazard_ids:
            record_reinspection(store, hazard_id, outcome="rectified", on=reinspected.date(),
                                evidence_note="现场复查，已按通知要求整改完毕", new_deadline=None,
                                inspector_ids=inspector_ids)
        opinion = issue_reinspection_opinion(store, notice_number=oldest.number, agency=agency,
                                             keys_dir=keys_dir, now=reinspected + timedelta(hours=1))
        record_service(store, opinion.number, {"method": "direct", "served_on": reinspected.date().isoformat(),
                                               "recipient": oldest.content["addressee"].get("person_in_charge")
                                               or "收发室"}, today=today)
        counts["opinions"] += 1
    if inspection is not None:
        person = oldest.content["addressee"].get("person_in_charge") or "企业安全员"
        set_accompanied_by(store, inspection.id, person)
        issue_inspection_record(store, inspection_id=inspection.id, agency=agency, keys_dir=keys_dir,
                                now=oldest.issued_at + timedelta(minutes=5))
        counts["records"] += 1
    return counts
