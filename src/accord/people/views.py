from __future__ import annotations

import tempfile
from pathlib import Path

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from accord.accounts.permissions import Can, require, user_of
from accord.cases.services import explanation_json, screen_person_against
from accord.core import vocabulary
from accord.core.records import EXTENSIONS, PERSON_COLUMNS, RecordError, people_from_dicts, write_people
from accord.core.screening import default_dataset
from accord.holds.models import LegalHold
from accord.holds.selectors import holds_of
from accord.people.models import Person
from accord.people.records import as_cells, record_of
from accord.people.selectors import matching
from accord.people.services import EDITABLE, import_people, update_person
from accord.ui.paging import page_of, wants_fragment


@login_required
def person_list(request: HttpRequest) -> HttpResponse:
    require(request.user, Can.VIEW_PEOPLE)
    query = request.GET.get("q", "").strip()
    people = Person.objects.all()
    if query:
        people = people.filter(matching(query))
    page = page_of(people.order_by("family_name", "person_id"), request.GET.get("page"))
    template = "people/_rows.html" if wants_fragment(request) else "people/list.html"
    return render(request, template, {"page": page, "query": query})


@login_required
def person_detail(request: HttpRequest, person_id: str) -> HttpResponse:
    require(request.user, Can.VIEW_PEOPLE)
    person = get_object_or_404(Person, person_id=person_id)
    agreements = default_dataset().transfer_agreements()
    results = screen_person_against(person, [a.id for a in agreements])
    screenings = [(a, explanation_json(s), s) for a, s in zip(agreements, results, strict=True)]
    return render(
        request,
        "people/detail.html",
        {
            "person": person,
            "screenings": screenings,
            "cases": person.cases.all(),
            "versions": person.versions.all()[:20],
            "holds": holds_of(person),
            "hold_kinds": LegalHold.Kind.choices,
        },
    )


@login_required
def import_page(request: HttpRequest) -> HttpResponse:
    require(request.user, Can.IMPORT_PEOPLE)
    errors: list[str] = []
    problems = 0  # every problem found, also those past the ones worded on the page
    upload = request.FILES.get("file") if request.method == "POST" else None
    if upload is not None:
        suffix = Path(upload.name or "").suffix.lower()
        if suffix not in EXTENSIONS:
            errors.append(
                _("%(file)s: unsupported file type; use %(types)s")
                % {"file": upload.name, "types": ", ".join(EXTENSIONS)}
            )
            problems = 1
        else:
            with tempfile.NamedTemporaryFile(suffix=suffix) as handle:
                for chunk in upload.chunks():
                    handle.write(chunk)
                handle.flush()
                try:
                    result = import_people(Path(handle.name), user=user_of(request), reason=f"upload {upload.name}")
                except RecordError as err:
                    errors = [str(e) for e in err.errors[:200]]
                    problems = max(err.total, len(err.errors))
                    if problems > len(errors):
                        errors.append(_("… and %(n)s more") % {"n": problems - len(errors)})
                else:
                    messages.success(
                        request,
                        _("%(file)s: %(created)s created, %(updated)s updated, %(unchanged)s unchanged.")
                        % {
                            "file": upload.name,
                            "created": result.created,
                            "updated": result.updated,
                            "unchanged": result.unchanged,
                        },
                    )
                    return redirect("import")
    context = {"errors": errors, "problems": problems}
    return render(request, "people/import.html", context, status=400 if errors else 200)


# The import template: the header and two example rows, written by the format's own writer (v2).
TEMPLATE_ROWS = [
    {
        "person_id": "EXAMPLE-1",
        "family_name": "Example",
        "given_names": "Known Facts",
        "date_of_birth": "1990-06-15",
        "sex": "M",
        "nationalities": "SV",
        "sending_state": "US",
        "status": "undocumented",
        "removal_order": "final",
        "protection": "none",
        "protection_countries": "none",
        "fear_screened": "none",
        "fear_found": "none",
        "legal_hold": "false",
        "conviction": "none",
        "pending_charges": "false",
        "sentence_remaining_months": "0",
        "gang": "none",
        "gang_basis": "none",
        "transfer_consent": "false",
    },
    {"person_id": "EXAMPLE-2", "family_name": "Example", "given_names": "Unknown Facts", "nationalities": "VE"},
]


@login_required
def import_template(request: HttpRequest) -> HttpResponse:
    """A CSV a clerk can fill in: one row with every fact known, one with the unknown ones left empty."""
    require(request.user, Can.IMPORT_PEOPLE)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "people-template.csv"
        rows = [{c: r.get(c) for c in PERSON_COLUMNS} for r in TEMPLATE_ROWS]
        write_people(people_from_dicts(rows), path)
        body = path.read_bytes()
    response = HttpResponse(body, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="people-template.csv"'
    return response


# Closed vocabularies are offered as choices; "" means unknown, which the rules send to review.
CHOICES = {
    "sex": vocabulary.SEXES,
    "status": vocabulary.STATUSES,
    "removal_order": vocabulary.REMOVAL_ORDERS,
    "protection": vocabulary.PROTECTIONS,
    "conviction": vocabulary.CONVICTIONS,
    "gang": vocabulary.GANGS,
    "gang_basis": vocabulary.GANG_BASES,
    "legal_hold": ("true", "false"),
    "pending_charges": ("true", "false"),
    "transfer_consent": ("true", "false"),
}


@login_required
def person_edit(request: HttpRequest, person_id: str) -> HttpResponse:
    """Edit a record as text cells, validated exactly like an imported row; a reason is required."""
    require(request.user, Can.EDIT_PEOPLE)
    person = get_object_or_404(Person, person_id=person_id)
    cells = as_cells(record_of(person))
    errors: list[str] = []
    if request.method == "POST":
        cells = {c: request.POST.get(c, "").strip() for c in EDITABLE}
        reason = request.POST.get("reason", "").strip()
        if not reason:
            errors.append(_("Say why the record changes: the reason is kept in its history."))
        else:
            try:
                changed = update_person(person, cells, user=user_of(request), reason=reason)
            except RecordError as err:
                errors = [str(e) for e in err.errors]
            else:
                messages.success(
                    request, _("Saved: %(fields)s.") % {"fields": ", ".join(changed) or _("nothing changed")}
                )
                return redirect("person", person_id=person.person_id)
    fields = [(c, c.replace("_", " ").capitalize(), cells.get(c, ""), CHOICES.get(c)) for c in EDITABLE]
    return render(
        request,
        "people/edit.html",
        {"person": person, "fields": fields, "errors": errors},
        status=400 if errors else 200,
    )
