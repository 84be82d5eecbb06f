"""The Django admin is for accounts only, and only administrators enter it.

Authorization is the role table (``accounts.permissions``), never Django's model permissions: a
staff flag, a group or a "Can view case" permission granted to anyone opens nothing. Cases, holds,
places and people are not in the admin at all; they change only through their use cases, which
screen, lock and log.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from accord.accounts.permissions import Can, can


class AccordAdminSite(admin.AdminSite):
    site_header = "Accord accounts"
    site_title = "Accord accounts"
    index_title = "Accounts and API tokens"

    def has_permission(self, request: HttpRequest) -> bool:
        return can(request.user, Can.MANAGE_ACCOUNTS)


class AccountsOnly:
    """Model-admin permissions from the role table; nothing is ever deleted from the admin."""

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        return {}  # no "delete selected", nor any other bulk action

    def has_module_permission(self, request: HttpRequest) -> bool:
        return can(request.user, Can.MANAGE_ACCOUNTS)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return can(request.user, Can.MANAGE_ACCOUNTS)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return can(request.user, Can.MANAGE_ACCOUNTS)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return can(request.user, Can.MANAGE_ACCOUNTS)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
