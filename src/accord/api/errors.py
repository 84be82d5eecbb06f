"""The API's one error shape, ``{"message", "field"}`` (a refused step adds ``rules``), for every
refusal: bad input is 4xx naming the field, a refused use case 409, never a 500 or an HTML page."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from accord.cases.errors import Busy, CaseError, Refused, StepOptionError
from accord.cases.selectors import FilterError
from accord.core.dataset import UnknownAgreementError
from accord.core.records import RecordError
from accord.movements.services import MovementError

Handler = Callable[[HttpRequest, Any], HttpResponse]
HANDLERS: list[tuple[type[Exception], Handler]] = []


_installed: list[NinjaAPI] = []


def install(api: NinjaAPI) -> None:
    """Answer every exception below in the API's error shape, rendered by ``api``."""
    _installed[:] = [api]
    for exc, handler in HANDLERS:
        api.add_exception_handler(exc, handler)


def handles(exc: type[Exception]) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        HANDLERS.append((exc, handler))
        return handler

    return register


def _api(request: HttpRequest) -> NinjaAPI:
    return _installed[0]


def error(request: HttpRequest, status: int, message: str, field: str | None = None) -> HttpResponse:
    return respond(request, {"message": message, "field": field}, status=status)


def respond(request: HttpRequest, data: Any, status: int = 200) -> HttpResponse:
    """``data`` rendered as the API renders every answer, without validating it again."""
    return _api(request).create_response(request, data, status=status)


@handles(ValidationError)
def _invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    first = exc.errors[0] if exc.errors else {}
    location = [str(p) for p in first.get("loc", []) if p not in ("body", "query", "path", "payload")]
    return error(request, 422, first.get("msg", "invalid input"), ".".join(location) or None)


@handles(RecordError)
def _bad_record(request: HttpRequest, exc: RecordError) -> HttpResponse:
    first = exc.errors[0]
    return error(request, 422, _clip(f"{first.column}: {first.reason} (value {first.value!r})"), first.column or None)


def _clip(message: str, size: int = 300) -> str:
    """A message that quotes the caller's value, cut short when the value is huge."""
    return message if len(message) <= size else f"{message[:size]}… ({len(message):,} characters)"


@handles(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    """Ninja's own refusals (an unparsable body, a failed CSRF check) in the same shape."""
    return error(request, exc.status_code, str(exc))


@handles(RequestDataTooBig)
def _too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    return error(request, 413, f"request body larger than {limit:,} bytes (files excepted)")


@handles(TooManyFieldsSent)
@handles(TooManyFilesSent)
def _too_many(request: HttpRequest, exc: Exception) -> HttpResponse:
    return error(request, 400, f"request refused: {exc}")


@handles(PermissionDenied)
def _forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return error(request, 403, str(exc) or "forbidden")


@handles(Http404)
def _missing(request: HttpRequest, exc: Http404) -> HttpResponse:
    return error(request, 404, str(exc) or "not found")


@handles(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return error(request, 401, "authentication required: a bearer token or a logged-in session")


@handles(UnknownAgreementError)
def _unknown_agreement(request: HttpRequest, exc: UnknownAgreementError) -> HttpResponse:
    return error(request, 422, str(exc), "agreement_id")


@handles(FilterError)
def _bad_filter(request: HttpRequest, exc: FilterError) -> HttpResponse:
    return error(request, 422, str(exc), exc.field)


@handles(StepOptionError)
def _bad_option(request: HttpRequest, exc: StepOptionError) -> HttpResponse:
    """A step option wrong or not taken: bad input (422), nothing changed."""
    return error(request, 422, str(exc), exc.field)


@handles(MovementError)
def _movement_error(request: HttpRequest, exc: MovementError) -> HttpResponse:
    """Bad input naming its field (422); a movement or entry not there, or not the caller's to see (404)."""
    return error(request, 422 if exc.field else 404, str(exc), exc.field or None)


@handles(CaseError)
def _refused(request: HttpRequest, exc: CaseError) -> HttpResponse:
    """A refused use case (409): nothing changed; a refused step also lists the rules that stopped it."""
    rules = exc.rules if isinstance(exc, Refused) else []
    return _api(request).create_response(request, {"message": str(exc), "field": None, "rules": rules}, status=409)


@handles(Busy)
def _busy(request: HttpRequest, exc: Busy) -> HttpResponse:
    """The database stayed busy through every attempt (503): nothing changed; send it again after
    ``Retry-After`` seconds."""
    response = error(request, 503, str(exc))
    response["Retry-After"] = str(exc.retry_after)
    return response
