"""`selector@attribute` expressions over BeautifulSoup elements, shared by the HTML adapter and `sources test`."""

from __future__ import annotations

from typing import Any

from bs4.element import Tag

from worker.sanitize import nfc


def split_selector(expression: str) -> tuple[str, str | None]:
    """`h3 a@href` → (`h3 a`, `href`); `@href` → (``, `href`): the item element's own attribute."""
    if "@" in expression:
        selector, _, attribute = expression.rpartition("@")
        if attribute and attribute.replace("-", "").replace(":", "").isalnum():
            return selector.strip(), attribute.strip()
    return expression.strip(), None


def select_value(element: Tag, expression: str | None) -> str | None:
    """The first match's attribute or text, stripped and NFC; None when nothing matches."""
    if not expression:
        return None
    selector, attribute = split_selector(expression)
    target: Any = element.select_one(selector) if selector else element
    if target is None:
        return None
    if attribute:
        value = target.get(attribute)
        if isinstance(value, list):
            value = " ".join(value)
        return nfc(str(value).strip()) if value else None
    text = target.get_text(" ", strip=True)
    return nfc(text) if text else None


def select_values(element: Tag, expression: str | None) -> list[str]:
    if not expression:
        return []
    selector, attribute = split_selector(expression)
    values: list[str] = []
    for target in element.select(selector) if selector else [element]:
        value: Any = target.get(attribute) if attribute else target.get_text(" ", strip=True)
        if isinstance(value, list):
            value = " ".join(value)
        if value:
            values.append(nfc(str(value).strip()))
    return list(dict.fromkeys(values))


def select_html(element: Tag, selector: str | None) -> str | None:
    """Inner HTML of the first match (not sanitised here: normalize does that)."""
    if not selector:
        return None
    target = element.select_one(split_selector(selector)[0])
    if target is None:
        return None
    return "".join(str(child) for child in target.children)
