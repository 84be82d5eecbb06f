"""The API's URLs. Every answer is JSON, also for a path or a method the API does not have."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import URLPattern, path, re_path
from django.views.decorators.csrf import csrf_exempt

from accord.api.api import api


def _json_method_not_allowed(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Ninja answers a method a path lacks with a plain-text 405; say it in the API's error shape."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        if response.status_code != 405:
            return response
        allowed = response.get("Allow", "")
        message = f"method {request.method} not allowed here; allowed: {allowed}"
        return JsonResponse({"message": message, "field": None}, status=405, headers={"Allow": allowed})

    return wrapped


@csrf_exempt
def not_found(request: HttpRequest, rest: str) -> JsonResponse:
    return JsonResponse({"message": f"no API endpoint at {request.path}", "field": None}, status=404)


# (Not unpacked into module names: a module-level ``app_name`` would namespace this whole URLconf.)
ninja_urls = api.urls
for pattern in ninja_urls[0]:
    if isinstance(pattern, URLPattern) and not inspect.iscoroutinefunction(pattern.callback):
        pattern.callback = _json_method_not_allowed(pattern.callback)

# [\s\S], not ".": a path may hold a newline (%0A), and it still gets the API's JSON answer.
urlpatterns = [path("", ninja_urls), re_path(r"^(?P<rest>[\s\S]*)$", not_found)]
