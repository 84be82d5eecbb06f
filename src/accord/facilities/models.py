from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Facility(models.Model):
    class Kind(models.TextChoices):
        PRISON = "prison", _("Prison")
        RECEPTION = "reception", _("Reception centre")
        DETENTION = "detention", _("Immigration detention")

    code = models.SlugField(max_length=64, unique=True, help_text="The facility id used in agreement data.")
    name = models.CharField(max_length=200)
    state = models.CharField(max_length=2)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    capacity = models.PositiveIntegerField()
    agreement_id = models.CharField(
        max_length=64, blank=True, default="", help_text="The agreement that rents it, if any."
    )
    source = models.TextField(blank=True, default="", help_text="Where the capacity comes from.")
    suspended = models.BooleanField(default=False)
    suspended_reason = models.CharField(max_length=300, blank=True, default="")

    class Meta:
        ordering = ["state", "name"]
        verbose_name_plural = "facilities"

    def __str__(self) -> str:
        return f"{self.name} ({self.state})"
