"""Template helpers shared by every page."""

from __future__ import annotations

from django import template
from django.urls import NoReverseMatch, reverse

from accord.core.ledger import format_minor

register = template.Library()


@register.filter
def person_path(person_id: str) -> str:
    """The person page's address, or '' for an id no address can carry (stored before ids had to
    match ``core.records.PERSON_ID``): the page then shows the id as text instead of failing."""
    try:
        return reverse("person", args=[person_id])
    except NoReverseMatch:
        return ""


@register.filter
def money(amount_minor: int, currency: str) -> str:
    """5500|money:"USD" -> '55.00 USD': integer minor units as people read an amount."""
    return format_minor(amount_minor, currency)
