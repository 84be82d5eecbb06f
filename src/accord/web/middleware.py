"""Request guards shared by every page and endpoint."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.cache import patch_vary_headers

MAX_QUERY_VALUE = 2_000


class RejectUnusableInput:
    """Refuse, with a clear 400, what no field can hold: NUL characters (PostgreSQL refuses them
    outright) and query values longer than any search needs. Pages then never see them; the API
    validates its own input and names the field at fault, so it is left to do so."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        problem = None if request.path.startswith("/api/") else self._problem(request)
        if problem:
            return HttpResponse(problem, status=400, content_type="text/plain; charset=utf-8")
        return self.get_response(request)

    @staticmethod
    def _problem(request: HttpRequest) -> str | None:
        if "\x00" in request.path:
            return "the address contains a NUL character"
        for key, values in request.GET.lists():
            for value in [key, *values]:
                if "\x00" in value:
                    return f"query parameter {key[:50]!r} contains a NUL character"
                if len(value) > MAX_QUERY_VALUE:
                    return f"query parameter {key[:50]!r} is longer than {MAX_QUERY_VALUE} characters"
        return None


class VaryOnHtmx:
    """Pages answer htmx requests with a fragment and others with the whole page at the same URL:
    caches (the browser's included) must keep the two apart."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        patch_vary_headers(response, ["HX-Request"])
        return response


class EnglishApi:
    """After LocaleMiddleware: the API answers in English whatever the client's Accept-Language or
    language cookie. Programs read its messages and labels, which must not change with a header."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith("/api/"):
            translation.activate(settings.LANGUAGE_CODE)
            request.LANGUAGE_CODE = settings.LANGUAGE_CODE
        return self.get_response(request)
