"""How numbers look on screen: grouped digits, no pointless decimals."""

from __future__ import annotations


def area(value: float | None) -> str:
    if value is None:
        return ""
    return f"{value:,.0f}" if float(value).is_integer() or value >= 100 else f"{value:,.1f}"


def count(value: int | None) -> str:
    return "" if value is None else f"{value:,}"
