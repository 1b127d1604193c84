"""Closed lists the ledger uses: stored as short ASCII codes, shown through the translation layer.

Labels live in the locale catalogues under `choices.<list>.<code>`; `label(list, code)` fetches one.
"""

from __future__ import annotations

from forms.i18n import t

SCALES = ("above", "below")  # 规上 / 规下
TENANT_STATUSES = ("in_park", "left")
LEASE_USES = ("production", "storage", "office", "rnd", "commerce", "dormitory", "other")
FIRE_HAZARD_CLASSES = ("A", "B", "C", "D", "E")  # 甲 乙 丙 丁 戊 (GB 50016)
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
    "risk_point": RISK_POINTS,
    "park_function": PARK_FUNCTION_TYPES,
    "park_developer": PARK_DEVELOPER_TYPES,
    "severity": SEVERITIES,
    "hazard_status": HAZARD_STATUSES,
    "service_method": SERVICE_METHODS,
}


def label(list_name: str, code: str | None) -> str:
    if code is None or code == "":
        return ""
    return t(f"choices.{list_name}.{code}")


def labels(list_name: str, codes: list[str] | tuple[str, ...]) -> str:
    return "、".join(label(list_name, c) for c in codes)


def code_for_label(list_name: str, text: str) -> str | None:
    """Reverse lookup in any language (for typed or imported values such as 规上 or 戊)."""
    wanted = text.strip()
    for code in CHOICE_LISTS[list_name]:
        if wanted == code or any(wanted == t(f"choices.{list_name}.{code}", lang=lg) for lg in ("zh_CN", "en")):
            return code
    return None
