"""Facilities from agreement data."""

from __future__ import annotations

from accord.core.dataset import Dataset
from accord.facilities.models import Facility


def sync_from_data(dataset: Dataset) -> int:
    """Create or update the facilities the agreement data names (capacity is the data's)."""
    count = 0
    for agreement in dataset.agreements.values():
        for f in agreement.facilities:
            Facility.objects.update_or_create(
                code=f.id,
                defaults={
                    "name": f.name,
                    "state": f.state,
                    "kind": f.kind,
                    "capacity": f.capacity,
                    "agreement_id": agreement.id,
                    "source": f"{f.citation.document}: “{f.citation.quote}”",
                },
            )
            count += 1
    return count
