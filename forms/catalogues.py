"""Closed lists the ledger uses: stored as short ASCII codes, shown through the translation layer.

Labels live in the locale catalogues under `choices.<list>.<code>`; `label(list, code)` fetches one.
"""

from __future__ import annotations

from forms.i18n import t

SCALES = ("above", "below")  # 规上 / 规下
TENANT_STATUSES = ("in_park", "left")
LEASE_USES = ("production", "storage", "office", "rnd", "commerce", "dormitory", "other")
FIRE_HAZARD_CLASSES = ("A", "B", "C", "D", "E")  # 甲 乙 丙 丁 戊 (GB 50016)
FIRE_RESISTANCE_GRADES = ("1", "2", "3", "4")  # 耐火等级 一级..四级 (GB 50016)
RISK_POINTS = (
    "hot_work",  # 动火作业
    "flammables",  # 易燃易爆品
    "hazchem",  # 危化品存储
    "dust",  # 粉尘
    "confined_space",  # 有限空间
    "aged_wiring",  # 电气线路老化
    "lithium",  # 锂电池
    "staff_living",  # 员工住宿
    "spray_painting",  # 喷涂
    "smelting",  # 高温熔炼
    "ammonia",  # 涉氨制冷
)
PARK_FUNCTION_TYPES = ("manufacturing", "services")
PARK_DEVELOPER_TYPES = ("government", "leading_enterprise", "industrial_real_estate", "other")
STAR_RATINGS = (0, 3, 4, 5)
SEVERITIES = ("general", "major")
HAZARD_STATUSES = ("open", "overdue", "pending_review", "closed", "escalated")
# How an issued document reached its addressee (送达): 直接送达, 留置送达 (left at the premises
# before a witness when the recipient refuses), 邮寄送达.
SERVICE_METHODS = ("direct", "left_at_premises", "post")

CHOICE_LISTS: dict[str, tuple] = {
    "scale": SCALES,
    "tenant_status": TENANT_STATUSES,
    "lease_use": LEASE_USES,
    "fire_hazard_class": FIRE_HAZARD_CLASSES,
    "fire_resistance_grade": FIRE_RESISTANCE_GRADES,
    "risk_point": RISK_POINTS,
    "park_function": PARK_FUNCTION_TYPES,
    "park_developer": PARK_DEVELOPER_TYPES,
    "severity": SEVERITIES,
    "hazard_status": HAZARD_STATUSES,
    "service_method": SERVICE_METHODS,
}


# Words parks write in their own ledgers for a value of a closed list, besides its code and its
# labels: accepted by every form and import, and an import says which ones it read (a note). Only
# words that cannot mean anything else: 规模以下 is 规下, but 小型 is not (规下 is about turnover).
SYNONYMS: dict[str, dict[str, str]] = {
    "scale": {
        "规模以上": "above", "规模以上企业": "above", "规上企业": "above", "规模以上工业": "above",
        "规模以下": "below", "规模以下企业": "below", "规下企业": "below", "规模以下工业": "below",
        "above-scale": "above", "above scale": "above", "below-scale": "below", "below scale": "below",
    },
    "tenant_status": {
        "在租": "in_park", "在营": "in_park", "正常": "in_park", "入驻": "in_park", "已入驻": "in_park",
        "迁出": "left", "已退租": "left", "退租": "left", "已搬离": "left", "搬离": "left",
    },
    "lease_use": {
        "生产加工": "production", "加工": "production", "厂房": "production", "制造": "production",
        "仓库": "storage", "仓储物流": "storage", "储存": "storage", "存储": "storage",
        "办公用房": "office", "写字楼": "office",
        "研发中心": "rnd", "研究开发": "rnd", "rd": "rnd", "r & d": "rnd",
        "商铺": "commerce", "商用": "commerce", "门面": "commerce", "商业用房": "commerce",
        "员工宿舍": "dormitory", "住宿": "dormitory",
    },
    "fire_hazard_class": {
        "甲类": "A", "乙类": "B", "丙类": "C", "丁类": "D", "戊类": "E",
        "A类": "A", "B类": "B", "C类": "C", "D类": "D", "E类": "E",
    },
    "fire_resistance_grade": {
        "1级": "1", "2级": "2", "3级": "3", "4级": "4", "一": "1", "二": "2", "三": "3", "四": "4",
        "一级耐火": "1", "二级耐火": "2", "三级耐火": "3", "四级耐火": "4",
    },
    "risk_point": {
        "动火": "hot_work", "电焊": "hot_work", "焊接": "hot_work",
        "易燃易爆": "flammables", "易燃易爆物品": "flammables", "易燃物品": "flammables",
        "危化品": "hazchem", "危险化学品": "hazchem", "危险化学品存储": "hazchem",
        "可燃粉尘": "dust", "粉尘涉爆": "dust",
        "锂电": "lithium", "锂电池充电": "lithium",
        "人员住宿": "staff_living", "住人": "staff_living",
        "喷漆": "spray_painting", "喷涂作业": "spray_painting",
        "熔炼": "smelting", "高温熔融": "smelting",
        "涉氨": "ammonia", "氨制冷": "ammonia",
    },
}


def label(list_name: str, code: str | None, lang: str | None = None) -> str:
    if code is None or code == "":
        return ""
    return t(f"choices.{list_name}.{code}", lang=lang)


def labels(list_name: str, codes: list[str] | tuple[str, ...]) -> str:
    return "、".join(label(list_name, c) for c in codes)


def accepted_values(list_name: str, lang: str | None = None) -> str:
    """Every value of a closed list as a person reads it, for a refusal: 规上、规下."""
    return t("choices.separator", lang=lang).join(label(list_name, c, lang) for c in CHOICE_LISTS[list_name])


def synonym_code(list_name: str, text: str) -> str | None:
    """The code a park's own word stands for (规模以下 → below), or None."""
    words = SYNONYMS.get(list_name, {})
    wanted = text.strip()
    return words.get(wanted) or words.get(wanted.lower())


def read_as_synonym(list_name: str, text: str) -> str | None:
    """The code when `text` is read only through a synonym (neither a code nor a label), else None:
    what an import notes as read for the person."""
    wanted = text.strip()
    if wanted in CHOICE_LISTS[list_name] or code_for_label(list_name, wanted) is not None:
        return None
    return synonym_code(list_name, wanted)


def parse_choice(list_name: str, text: str) -> str | None:
    """A code from its code, a label in either language, or an unambiguous synonym; None if none."""
    wanted = text.strip()
    if wanted in CHOICE_LISTS[list_name]:
        return wanted
    return code_for_label(list_name, wanted) or synonym_code(list_name, wanted)


def code_for_label(list_name: str, text: str) -> str | None:
    """Reverse lookup in any language (for typed or imported values such as 规上 or 戊)."""
    wanted = text.strip()
    for code in CHOICE_LISTS[list_name]:
        if wanted == code or any(wanted == t(f"choices.{list_name}.{code}", lang=lg) for lg in ("zh_CN", "en")):
            return code
    return None
