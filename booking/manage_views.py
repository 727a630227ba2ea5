"""The private pages of one appointment: confirmation, view, cancel, move, calendar file.

The private link from an e-mail (/book/manage/<token>/) is swapped at once
for a grant in the session and a clean address (/book/appointment/<reference>/),
so the token leaves the address bar, the history and any Referer. Only the
calendar file keeps a token address: calendar apps carry no session.
"""

import re
from datetime import timedelta

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.cache import never_cache

from booking import flow, session
from booking.availability import late_cancellation_from
from booking.errors import BookingError, LinkExpiredError
from booking.formats import zone_label
from booking.links import manage_token
from booking.models import AppointmentRequest, AppointmentStatus
from booking.picker import time_picker_week
from booking.selectors import appointment_by_token_hash
from booking.services import (
    appointment_cancel_by_patient,
    appointment_reschedule,
)
from booking.tokens import digest
from clinic.identity import get_clinic

TOKEN = re.compile(r"^[-A-Za-z0-9_]{20,64}$")
REFERENCE = re.compile(r"^[A-Z0-9][-A-Z0-9]{3,11}$")


def private_page(response: HttpResponse, *, referrer: str = "no-referrer") -> HttpResponse:
    """Manage pages: never cached, never indexed, never leaked in a Referer.

    Pages with a POST form use "same-origin" instead: with "no-referrer" the
    browser sends `Origin: null`, which CSRF protection rightly refuses, and
    "same-origin" still never shows the private page to another site.
    """
    response["Referrer-Policy"] = referrer
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Cache-Control"] = "no-store, private"
    return response


def _expired(request, status=410):
    return private_page(render(request, "booking/link_expired.html", {}, status=status))


def link_needed(request, *, what: str = "appointment"):
    return private_page(render(request, "booking/link_needed.html", {"what": what}, status=403))


def _granted_appointment(request, reference, now):
    """The appointment this session may see; Http404, or LinkExpiredError once it is over.

    Returns None when the session holds no grant for it.
    """
    if not REFERENCE.match(reference):
        raise Http404("No appointment has this address.")
    if not session.granted(request, reference):
        return None
    appointment = (
        AppointmentRequest.objects.select_related("treatment", "practitioner")
        .filter(reference=reference)
        .first()
    )
    if appointment is None:
        raise Http404("No appointment has this address.")
    if appointment.ends_at <= now:
        raise LinkExpiredError("This appointment is over, so its link has expired.")
    return appointment


def _manage_context(appointment, now):
    clinic = get_clinic()
    return {
        "appointment": appointment,
        "zone_label": zone_label(),
        "inside_window": appointment.starts_at < late_cancellation_from(now=now),
        "late_hours": clinic.late_cancellation_hours,
        "needs_confirmation": appointment.status == AppointmentStatus.REQUESTED,
    }


class PrivatePageMixin:
    """A page of one appointment, for a session that opened its private link."""

    referrer = "no-referrer"

    def dispatch(self, request, reference):
        self.now = timezone.now()
        try:
            self.appointment = _granted_appointment(request, reference, self.now)
        except LinkExpiredError:
            return _expired(request)
        if self.appointment is None:
            return link_needed(request)
        self.context = _manage_context(self.appointment, self.now)
        return super().dispatch(request, reference)

    def page(self, template, context=None, *, referrer=None):
        response = render(self.request, template, {**self.context, **(context or {})})
        return private_page(response, referrer=referrer or self.referrer)


@method_decorator(never_cache, name="dispatch")
class ConfirmedView(PrivatePageMixin, View):
    """What the patient sees straight after booking (and after a second press)."""

    def get(self, request, reference):
        token = manage_token(self.appointment)
        manage_url = (
            request.build_absolute_uri(reverse("booking:manage", kwargs={"token": token}))
            if token
            else ""
        )
        return self.page("booking/confirmed.html", {"manage_url": manage_url})


def _appointment_for_token(token: str) -> AppointmentRequest:
    """The appointment behind a private link; Http404, or LinkExpiredError once it is over."""
    appointment = appointment_by_token_hash(digest(token)) if TOKEN.match(token) else None
    if appointment is None:
        raise Http404("No appointment has this link.")
    if appointment.ends_at <= timezone.now():
        raise LinkExpiredError("This appointment is over, so its link has expired.")
    return appointment


@never_cache
def manage(request, token):
    """The private link: swapped for a session grant and a clean address at once."""
    try:
        appointment = _appointment_for_token(token)
    except LinkExpiredError:
        return _expired(request)
    session.grant(request, appointment.reference)
    return private_page(redirect("booking:appointment", reference=appointment.reference))


@method_decorator(never_cache, name="dispatch")
class AppointmentView(PrivatePageMixin, View):
    def get(self, request, reference):
        return self.page("booking/manage.html")


@method_decorator(never_cache, name="dispatch")
class CancelView(PrivatePageMixin, View):
    """GET asks "are you sure?"; only the POST cancels (link scanners only GET)."""

    referrer = "same-origin"

    def get(self, request, reference):
        return self.page("booking/manage_cancel.html")

    def post(self, request, reference):
        try:
            appointment_cancel_by_patient(appointment_id=self.appointment.pk, now=self.now)
        except BookingError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, "Your appointment is cancelled. The time is free again.")
        return redirect("booking:appointment", reference=reference)


@method_decorator(never_cache, name="dispatch")
class RescheduleView(PrivatePageMixin, View):
    """Choose a new time (GET), check it (GET with start), move it (POST)."""

    def _movable(self) -> bool:
        return self.appointment.is_active and not self.context["inside_window"]

    def get(self, request, reference):
        if not self._movable():
            return redirect("booking:appointment", reference=reference)
        appointment = self.appointment
        start = flow.start_parse(request.GET.get("start", ""))
        if start is not None:
            return self.page(
                "booking/manage_reschedule_confirm.html",
                {
                    "new_start": start,
                    "new_end": start + timedelta(minutes=appointment.treatment.duration_minutes),
                    "start_param": flow.start_format(start),
                    "late": start < late_cancellation_from(now=self.now),
                },
                referrer="same-origin",
            )
        week = time_picker_week(
            treatment=appointment.treatment,
            practitioner=appointment.practitioner,
            week=flow.date_parse(request.GET.get("week", "")),
            day=flow.date_parse(request.GET.get("day", "")),
            now=self.now,
            # A request still waiting for staff must leave them time to confirm it.
            needs_confirmation=appointment.status == AppointmentStatus.REQUESTED,
        )
        # The patient's own booking is not a free time, so it is not listed.
        if request.GET.get("partial") == "day":
            return self.page("booking/includes/times.html#day-panel", {"week": week})
        return self.page("booking/manage_reschedule.html", {"week": week})

    def post(self, request, reference):
        if not self._movable():
            return redirect("booking:appointment", reference=reference)
        start = flow.start_parse(request.POST.get("start", ""))
        if start is None:
            messages.error(request, "We could not read that time. Please choose again.")
            return redirect("booking:reschedule", reference=reference)
        try:
            appointment_reschedule(
                appointment_id=self.appointment.pk, starts_at=start, now=self.now
            )
        except BookingError as error:
            messages.error(request, f"{error}")
            return redirect("booking:reschedule", reference=reference)
        messages.success(request, "Your appointment has moved to the new time.")
        return redirect("booking:appointment", reference=reference)


def _ics_response(appointment) -> HttpResponse:
    from booking.ics import appointment_ics

    response = HttpResponse(appointment_ics(appointment), content_type="text/calendar")
    response["Content-Disposition"] = (
        f'attachment; filename="appointment-{appointment.reference}.ics"'
    )
    return private_page(response)


@never_cache
def ics(request, token):
    """The calendar file from the link in an e-mail: calendar apps carry no session."""
    try:
        return _ics_response(_appointment_for_token(token))
    except LinkExpiredError:
        return _expired(request)


@method_decorator(never_cache, name="dispatch")
class AppointmentIcsView(PrivatePageMixin, View):
    def get(self, request, reference):
        return _ics_response(self.appointment)
