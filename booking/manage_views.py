"""The private pages of one appointment: confirmation, view, cancel, move, calendar file.

The private link from an e-mail (/book/manage/<token>/) is swapped at once
for a grant in the session and a clean address (/book/appointment/<reference>/),
so the token leaves the address bar, the history and any Referer. Only the
calendar file keeps a token address: calendar apps carry no session.
"""

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

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
from booking.ics import ics_filename
from booking.intake.invitations import intake_grant_key
from booking.links import manage_token
from booking.models import AppointmentRequest, AppointmentStatus
from booking.picker import time_picker_week
from booking.selectors import appointment_by_token_hash
from booking.services import (
    appointment_cancel_by_patient,
    appointment_reschedule,
)
from booking.services.courses import course_cancel_rest, course_rest
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


def _course_references(appointment) -> list[str]:
    """The references of every session of the appointment's course (just its own if none)."""
    if appointment.course_id is None:
        return [appointment.reference]
    return list(
        AppointmentRequest.objects.filter(course_id=appointment.course_id)
        .order_by("course_session")
        .values_list("reference", flat=True)
    )


def _grant_course(request, appointment) -> None:
    """The link of one session opens every session of its course: one patient, one course."""
    for reference in _course_references(appointment):
        session.grant(request, reference)


def _next_session(appointment, now):
    """The next session of the course still to come, for a session that is over; or None."""
    if appointment.course_id is None:
        return None
    return (
        AppointmentRequest.objects.filter(course_id=appointment.course_id, ends_at__gt=now)
        .order_by("course_session")
        .first()
    )


def _granted_appointment(request, reference, now):
    """The appointment this session may see; Http404, or LinkExpiredError once it is over.

    Returns None when the session holds no grant for it, nor for another
    session of its course.
    """
    if not REFERENCE.match(reference):
        raise Http404("No appointment has this address.")
    granted = session.granted(request, reference)
    appointment = (
        AppointmentRequest.objects.select_related("treatment", "practitioner", "course")
        .filter(reference=reference)
        .first()
    )
    if not granted:
        if appointment is None or appointment.course_id is None:
            return None
        others = set(_course_references(appointment)) - {reference}
        if not any(session.granted(request, other) for other in others):
            return None
        session.grant(request, reference)
    if appointment is None:
        raise Http404("No appointment has this address.")
    if appointment.ends_at <= now:
        raise LinkExpiredError("This appointment is over, so its link has expired.")
    return appointment


@dataclass(frozen=True)
class SessionRow:
    """One session of a course on its manage page."""

    appointment: AppointmentRequest
    is_this: bool
    is_over: bool
    inside_window: bool

    @property
    def can_change(self) -> bool:
        return self.appointment.is_active and not self.is_over and not self.inside_window


def _course_context(appointment, now: datetime) -> dict:
    if appointment.course_id is None:
        return {"course": None}
    window_from = late_cancellation_from(now=now)
    sessions = (
        AppointmentRequest.objects.filter(course_id=appointment.course_id)
        .select_related("treatment", "practitioner")
        .order_by("course_session")
    )
    rest = course_rest(course_id=appointment.course_id, now=now)
    return {
        "course": appointment.course,
        "course_sessions": [
            SessionRow(
                appointment=row,
                is_this=row.pk == appointment.pk,
                is_over=row.ends_at <= now,
                inside_window=row.starts_at < window_from,
            )
            for row in sessions
        ],
        "course_rest": rest,
    }


def _manage_context(appointment, now):
    clinic = get_clinic()
    return {
        "appointment": appointment,
        "zone_label": zone_label(),
        "inside_window": appointment.starts_at < late_cancellation_from(now=now),
        "late_hours": clinic.late_cancellation_hours,
        "needs_confirmation": appointment.status == AppointmentStatus.REQUESTED,
        **_course_context(appointment, now),
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
        return self.page(
            "booking/confirmed.html",
            {"manage_url": manage_url, "forms_to_fill": forms_to_fill(request, self.appointment)},
        )


def forms_to_fill(request, appointment) -> list:
    """The appointment's pre-visit forms not filled in; this session, which holds the
    appointment, may open each of them without the e-mail's link."""
    if not appointment.is_active:
        return []
    missing = list(
        appointment.intake_invitations.filter(answered_at__isnull=True).select_related("form")
    )
    for invitation in missing:
        session.grant(request, intake_grant_key(invitation.pk))
    return missing


def _appointment_for_token(token: str) -> AppointmentRequest:
    """The appointment behind a private link; Http404, or LinkExpiredError once it is over."""
    appointment = appointment_by_token_hash(digest(token)) if TOKEN.match(token) else None
    if appointment is None:
        raise Http404("No appointment has this link.")
    now = timezone.now()
    if appointment.ends_at <= now:
        # A course lives on after its first session: its link opens the next one.
        appointment = _next_session(appointment, now)
        if appointment is None:
            raise LinkExpiredError("This appointment is over, so its link has expired.")
    return appointment


@never_cache
def manage(request, token):
    """The private link: swapped for a session grant and a clean address at once."""
    try:
        appointment = _appointment_for_token(token)
    except LinkExpiredError:
        return _expired(request)
    _grant_course(request, appointment)
    return private_page(redirect("booking:appointment", reference=appointment.reference))


@method_decorator(never_cache, name="dispatch")
class AppointmentView(PrivatePageMixin, View):
    def get(self, request, reference):
        return self.page(
            "booking/manage.html", {"forms_to_fill": forms_to_fill(request, self.appointment)}
        )


@method_decorator(never_cache, name="dispatch")
class CancelView(PrivatePageMixin, View):
    """GET asks "are you sure?"; only the POST cancels (link scanners only GET)."""

    referrer = "same-origin"

    def _scope(self, value: str) -> str | None:
        """What to cancel: this session ("") or the rest of its course ("rest"); None if unclear."""
        if value == "":
            return ""
        if value == SCOPE_REST and self.appointment.course_id is not None:
            return SCOPE_REST
        return None

    def _unclear(self, request, reference):
        messages.error(request, "We could not tell what to cancel, so nothing was cancelled.")
        return redirect("booking:appointment", reference=reference)

    def get(self, request, reference):
        scope = self._scope(request.GET.get("scope", ""))
        if scope is None:
            return self._unclear(request, reference)
        if scope == SCOPE_REST:
            return self.page("booking/manage_course_cancel.html", referrer="same-origin")
        return self.page("booking/manage_cancel.html")

    def post(self, request, reference):
        scope = self._scope(request.POST.get("scope", ""))
        if scope is None:
            return self._unclear(request, reference)
        if scope == SCOPE_REST:
            return self._cancel_rest(request, reference)
        try:
            appointment_cancel_by_patient(appointment_id=self.appointment.pk, now=self.now)
        except BookingError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, "Your appointment is cancelled. The time is free again.")
        return redirect("booking:appointment", reference=reference)

    def _cancel_rest(self, request, reference):
        try:
            done = course_cancel_rest(appointment_id=self.appointment.pk, now=self.now)
        except BookingError as error:
            messages.error(request, str(error))
            return redirect("booking:appointment", reference=reference)
        numbers = _numbers([session.course_session for session in done.cancellable])
        cancelled = (
            f"Sessions {numbers} are cancelled."
            if len(done.cancellable) > 1
            else f"Session {numbers} is cancelled."
        )
        messages.success(request, f"{cancelled} Their times are free again.")
        if done.too_soon:
            soon = _numbers([session.course_session for session in done.too_soon])
            messages.warning(
                request,
                f"Session {soon} starts too soon to cancel online: please phone us to cancel it."
                if len(done.too_soon) == 1
                else f"Sessions {soon} start too soon to cancel online: "
                "please phone us to cancel them.",
            )
        return redirect("booking:appointment", reference=reference)


SCOPE_REST = "rest"


def _numbers(numbers: list[int]) -> str:
    """ "2", "2 and 3", "2, 3 and 4" """
    words = [str(number) for number in numbers]
    if len(words) < 2:
        return "".join(words)
    return f"{', '.join(words[:-1])} and {words[-1]}"


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
    response["Content-Disposition"] = f'attachment; filename="{ics_filename(appointment)}"'
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
