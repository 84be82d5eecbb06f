"""Reads of people."""

from __future__ import annotations

from django.db.models import Q

from accord.people.models import name_key


def matching(query: str, prefix: str = "") -> Q:
    """People whose person_id is the query or whose family name starts with it (accents ignored).

    ``prefix`` reaches the person through a relation, e.g. ``"person__"`` from a case.
    """
    text = query.strip()
    key = name_key(text)
    by_id = Q(**{f"{prefix}person_id": text})
    if not key:
        return by_id
    # A prefix as a range: every key starting with KEY sorts in [KEY, KEY with its last char + 1).
    after = key[:-1] + chr(ord(key[-1]) + 1)
    return by_id | Q(**{f"{prefix}name_key__gte": key, f"{prefix}name_key__lt": after})
