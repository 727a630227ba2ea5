"""The appointment admin's status actions: which exist, which make sense, what they report.

Each action moves the selected appointments (or the one on the page) through
booking.services; only the changes that make sense for the rows on show are
offered, and one message says what was done and what was skipped.
"""

from django.contrib import admin, messages
from django.contrib.admin import ActionLocation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from booking.models import AppointmentStatus
from booking.services import status_change_refusal

# The status actions, and the status each one moves an appointment to.
STATUS_ACTIONS = {
    "confirm": AppointmentStatus.CONFIRMED,
    "decline": AppointmentStatus.DECLINED,
    "cancel_by_clinic": AppointmentStatus.CANCELLED_BY_CLINIC,
    "mark_completed": AppointmentStatus.COMPLETED,
    "mark_no_show": AppointmentStatus.NO_SHOW,
}
# A mixed selection's message names this many skipped appointments at most.
SKIPPED_SHOWN = 5
# Status actions work on the list (selected rows) and on one appointment's page.
BOTH = [ActionLocation.CHANGE_LIST, ActionLocation.CHANGE_FORM]


def status_action(to_status: AppointmentStatus, *, description, description_plural):
    """An admin action that moves each selected appointment to `to_status`, nothing asked."""

    @admin.action(
        description=description,
        description_plural=description_plural,
        permissions=["change"],
        location=BOTH,
    )
    def action(model_admin, request, queryset):
        model_admin.change_status(request, queryset, to_status)

    return action


def valid_status_actions(rows, *, now) -> set[str]:
    """The status actions that would change at least one of `rows`."""
    return {
        name
        for name, to_status in STATUS_ACTIONS.items()
        if any(
            not status_change_refusal(appointment=row, to_status=to_status, now=now) for row in rows
        )
    }


def status_change_summary(
    *, to_status: AppointmentStatus, done: list[str], skipped: list[str]
) -> tuple[str, int]:
    """One message for a batch (references done, reasons skipped) and its level."""
    label = AppointmentStatus(to_status).label.lower()
    parts = []
    if done:
        parts.append(
            ngettext(
                "%(count)d appointment marked %(status)s: %(refs)s.",
                "%(count)d appointments marked %(status)s: %(refs)s.",
                len(done),
            )
            % {"count": len(done), "status": label, "refs": ", ".join(done)}
        )
    else:
        parts.append(_("No appointment was marked %(status)s.") % {"status": label})
    if skipped:
        shown = skipped[:SKIPPED_SHOWN]
        if len(skipped) > SKIPPED_SHOWN:
            shown.append(
                ngettext("And %(count)d more.", "And %(count)d more.", len(skipped) - SKIPPED_SHOWN)
                % {"count": len(skipped) - SKIPPED_SHOWN}
            )
        parts.append(
            ngettext("%(count)d skipped:", "%(count)d skipped:", len(skipped))
            % {"count": len(skipped)}
        )
        parts.extend(shown)
    level = messages.SUCCESS if not skipped else messages.WARNING if done else messages.ERROR
    return " ".join(str(p) for p in parts), level
