"""The admin app with Accord's site (``accord.accounts.admin_site``): kept apart, since an app config may
not import models."""

from django.contrib.admin.apps import AdminConfig


class AccordAdminConfig(AdminConfig):
    default_site = "accord.accounts.admin_site.AccordAdminSite"
