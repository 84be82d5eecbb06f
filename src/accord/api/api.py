"""The API: one django-ninja Router per domain, mounted on one NinjaAPI. Each operation checks
the caller's role through ``accord.accounts.permissions`` or ``accord.cases.policy`` and calls a
service or selector; errors come back as JSON ``{"message", "field"}`` (``errors``)."""

from __future__ import annotations

from ninja import NinjaAPI

from accord.api import cases, errors, holds, ledger, movements, oversight, people, registry, screening
from accord.api.auth import BearerToken, SessionAuth

api = NinjaAPI(
    title="Accord API",
    version="1",
    description="Screening, cases, people, facilities and agreements. Authenticate with `Authorization: Bearer <token>`.",
    auth=[BearerToken(), SessionAuth()],
    urls_namespace="api",
)
errors.install(api)
for module in (people, screening, registry, cases, holds, movements, oversight, ledger):
    api.add_router("", module.router)
