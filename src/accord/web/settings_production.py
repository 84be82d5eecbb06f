"""Production settings: everything `manage.py check --deploy` asks for. Secrets from the environment."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from accord.web.settings import *  # noqa: F403

if TYPE_CHECKING:
    from django.http import HttpRequest

DEBUG = False
SECRET_KEY = os.environ["ACCORD_SECRET_KEY"]
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = True
SECURE_HSTS_SECONDS = 31_536_000
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
X_FRAME_OPTIONS = "DENY"


def client_address(request: HttpRequest) -> str | None:
    """The client's address as the one reverse proxy in front of the app (which terminates TLS,
    see SECURE_PROXY_SSL_HEADER) appended it to X-Forwarded-For; REMOTE_ADDR is that proxy."""
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")[-1].strip()
    return forwarded or request.META.get("REMOTE_ADDR")


# Five failures lock the username (guessing one password) and, separately, the client address
# (spraying many usernames from one place) for the cool-off time.
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_CLIENT_IP_CALLABLE = client_address
