"""English words the pure core gives the pages, listed here so that ``makemessages`` puts them in
the Spanish catalog: the core imports no Django, so it cannot mark them itself. Templates translate
them where they are shown (``{% translate t.label %}``, ``{% translate r.result context "outcome" %}``);
``tests/web/test_i18n.py`` fails when the core gains one that has no Spanish.

Rule reasons, titles and citations are not here: they stay in English (the catalogue's words, and
quotes from legal sources)."""

from __future__ import annotations

from django.utils.translation import gettext_noop, pgettext_lazy

# Steps and their help (accord.core.workflow.TRANSITIONS), and what a receiving officer is shown
# of a case the sending state took back (RETURNED_LABEL, RETURNED_NOTICE).
WORKFLOW = (
    gettext_noop("Submit for legal review"),
    gettext_noop("Send back to the case officer"),
    gettext_noop("Approve"),
    gettext_noop(
        "By a legal reviewer who never opened, screened or submitted the case. A review point needs a written reason."
    ),
    gettext_noop("Refer to the receiving state"),
    gettext_noop(
        "Sends the minimum record (identity, nationality, placement, facility, clause; conviction for prison) to "
        "the receiving state. Any later change to it returns the case here."
    ),
    gettext_noop("Accept"),
    gettext_noop("Reserves a place in the facility; a full facility or an exhausted quota gives a waitlist position."),
    gettext_noop("Reject"),
    gettext_noop("Schedule the move"),
    gettext_noop("Record departure"),
    gettext_noop("Confirm handover"),
    gettext_noop("Close"),
    gettext_noop("Record release from the facility"),
    gettext_noop(
        "The person has left the facility (sentence served, released, transferred): the place is free again and "
        "goes to the first in line. Offered only while the case occupies a place."
    ),
    gettext_noop("Withdraw"),
    gettext_noop("Screen again"),
    gettext_noop("Applies today's data and rules; a bar moves the case to blocked, its removal back to screened."),
    gettext_noop("returned to the sending state for review"),
    gettext_noop(
        "Case {case} has been returned to the sending state for review. "
        "Do not receive this person unless the case is referred again."
    ),
)

# A screening's outcome and a rule's result (accord.core.rules.engine).
OUTCOMES = (
    pgettext_lazy("outcome", "eligible"),
    pgettext_lazy("outcome", "review"),
    pgettext_lazy("outcome", "barred"),
    pgettext_lazy("outcome", "pass"),
    pgettext_lazy("outcome", "not applicable"),
)

# Where a person is placed (a clause's placement and a case's).
PLACEMENTS = (
    pgettext_lazy("placement", "reception"),
    pgettext_lazy("placement", "prison"),
    pgettext_lazy("placement", "prison_if_convicted"),
)

# How far a person was convicted (accord.core.vocabulary.CONVICTIONS).
CONVICTIONS = (
    pgettext_lazy("conviction", "none"),
    pgettext_lazy("conviction", "misdemeanor"),
    pgettext_lazy("conviction", "felony"),
    pgettext_lazy("conviction", "violent_felony"),
)

# The agreement data's own words (accord.core.dataset): statuses and the kinds of clause and facility.
AGREEMENT_WORDS = (
    pgettext_lazy("agreement status", "in_force"),
    pgettext_lazy("agreement status", "offered"),
    pgettext_lazy("agreement status", "terminated"),
    pgettext_lazy("clause kind", "removal"),
    pgettext_lazy("clause kind", "sentenced_transfer"),
    pgettext_lazy("clause kind", "prison_rental"),
    pgettext_lazy("facility kind", "prison"),
    pgettext_lazy("facility kind", "reception"),
    pgettext_lazy("facility kind", "detention"),
)

# A case's place in a facility (accord.capacity.models.Reservation.Status values).
PLACES = (
    pgettext_lazy("place", "waiting"),
    pgettext_lazy("place", "held"),
    pgettext_lazy("place", "occupied"),
    pgettext_lazy("place", "released"),
    pgettext_lazy("place", "cancelled"),
)
