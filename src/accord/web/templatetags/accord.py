"""Template helpers shared by every page."""

from __future__ import annotations

from django import template
from django.urls import NoReverseMatch, reverse

register = template.Library()


@register.filter
def person_path(person_id: str) -> str:
    """The person page's address, or '' for an id no address can carry (stored before ids had to
    match ``core.records.PERSON_ID``): the page then shows the id as text instead of failing."""
    try:
        return reverse("person", args=[person_id])
    except NoReverseMatch:
        return ""
