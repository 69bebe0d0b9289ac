"""`selector@attribute` expressions over BeautifulSoup elements, shared by the HTML adapter and `sources test`."""

from __future__ import annotations

from typing import Any

from bs4.element import Tag
from soupsieve import SelectorSyntaxError

from worker.errors import SourceBroken
from worker.sanitize import nfc


def split_selector(expression: str) -> tuple[str, str | None]:
    """`h3 a@href` → (`h3 a`, `href`); `@href` → (``, `href`): the item element's own attribute."""
    expression = expression.strip()
    if "@" in expression:
        selector, _, attribute = expression.rpartition("@")
        attribute = attribute.strip()
        if attribute and attribute.replace("-", "").replace(":", "").isalnum():
            return selector.strip(), attribute
    return expression, None


def _invalid(selector: str, exc: SelectorSyntaxError) -> SourceBroken:
    return SourceBroken(
        f"selector `{selector}` is not valid CSS: {str(exc).splitlines()[0]}",
        hint="fix the selector in sources.yaml, then check it with `loa sources test ID`",
    )


def select_all(element: Tag, selector: str) -> list[Tag]:
    """`element.select`, with invalid CSS reported as SourceBroken naming the selector (not a crash)."""
    try:
        return list(element.select(selector))
    except SelectorSyntaxError as exc:
        raise _invalid(selector, exc) from None


def _select_one(element: Tag, selector: str) -> Tag | None:
    try:
        return element.select_one(selector)
    except SelectorSyntaxError as exc:
        raise _invalid(selector, exc) from None


def select_value(element: Tag, expression: str | None) -> str | None:
    """The first match's attribute or text, stripped and NFC; None when nothing matches."""
    if not expression:
        return None
    selector, attribute = split_selector(expression)
    target: Any = _select_one(element, selector) if selector else element
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
    for target in select_all(element, selector) if selector else [element]:
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
    target = _select_one(element, split_selector(selector)[0])
    if target is None:
        return None
    return "".join(str(child) for child in target.children)
