"""URL converters: a person id in an address is exactly what the record format allows."""

from __future__ import annotations

from accord.core.records import PERSON_ID


class PersonIdConverter:
    regex = PERSON_ID

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value
