"""The patient booking flow, the practitioner pages and the private manage pages.

Choices travel in the query string (GET forms) until the details step; the
details travel signed from the review page to the confirm POST; the result is
shown after a redirect (post/redirect/get), identified by the manage token.
Everything works without JavaScript.
"""

import re
from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django.views.generic import DetailView, ListView

from booking import flow
from booking.caching import cache_time_picker
from booking.errors import BookingError, LinkExpiredError, SlotTakenError
from booking.forms import (
    ANY_PRACTITIONER,
    DetailsForm,
    PractitionerChoiceForm,
    TreatmentChoiceForm,
    details_initial,
    details_sign,
    details_unsign,
)
from booking.models import AppointmentRequest, Practitioner, Treatment
from booking.ratelimit import booking_attempt, booking_made
from booking.selectors import (
    available_start_times,
    clinic_zone,
    first_days_with_times,
    nearest_start_times,
    practitioners_offering,
)
from booking.services import (
    appointment_book,
    appointment_cancel_by_patient,
    appointment_reschedule,
    booking_window,
)
from clinic.identity import get_clinic

TOKEN = re.compile(r"^[-A-Za-z0-9_]{20,64}$")
STEPS = ["Treatment", "Practitioner", "Day and time", "Your details", "Check and book"]
WEEK = 7


def _zone_label() -> str:
    return settings.TIME_ZONE.split("/")[-1].replace("_", " ") + " time"


def _render_step(request, template, step, context, status=200):
    context = {"steps": STEPS, "step": step, "zone_label": _zone_label(), **context}
    return render(request, template, context, status=status)


def _private(response: HttpResponse, *, referrer: str = "no-referrer") -> HttpResponse:
    """Manage pages: never cached, never indexed, never leaked in a Referer.

    Pages with a POST form use "same-origin" instead: with "no-referrer" the
    browser sends `Origin: null`, which CSRF protection rightly refuses, and
    "same-origin" still never shows the private link to another site.
    """
    response["Referrer-Policy"] = referrer
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Cache-Control"] = "no-store, private"
    return response


# --- Step 1: treatment -----------------------------------------------------


def start(request):
    """`/book/`: choose a treatment; deep links skip the steps already decided."""
    choice = flow.choice_parse(request.GET)
    changing = "change" in request.GET  # "Change"/"Back" links: show the choice again
    if not choice.error and choice.treatment and not changing:
        if choice.practitioner or choice.any_practitioner:
            return redirect(flow.url("booking:time", **choice.params()))
        return redirect(flow.url("booking:practitioner", **choice.params()))
    treatments = Treatment.objects.active()
    if choice.practitioner and not changing:
        treatments = treatments.filter(practitioners=choice.practitioner)
    form = TreatmentChoiceForm(
        treatments=treatments,
        initial={"treatment": choice.treatment.slug} if choice.treatment else None,
    )
    if changing:
        choice.practitioner = None
    return _render_step(
        request,
        "booking/step_treatment.html",
        0,
        {"form": form, "choice": choice, "error": choice.error},
    )


# --- Step 2: practitioner --------------------------------------------------


def practitioner_step(request):
    choice = flow.choice_parse(request.GET)
    if choice.treatment is None:
        return _treatment_again(request, choice.error or "Choose a treatment first.")
    form = PractitionerChoiceForm(
        initial={"practitioner": choice.practitioner_param or ANY_PRACTITIONER},
        practitioners=practitioners_offering(treatment=choice.treatment),
    )
    return _render_step(
        request,
        "booking/step_practitioner.html",
        1,
        {"form": form, "choice": choice, "error": choice.error},
    )


def _treatment_again(request, error):
    form = TreatmentChoiceForm(treatments=Treatment.objects.active())
    return _render_step(
        request,
        "booking/step_treatment.html",
        0,
        {"form": form, "choice": flow.Choice(), "error": error},
        status=400,
    )


# --- Step 3: day and time ----------------------------------------------------


def _week_of_times(*, treatment, practitioner, week_param, now):
    """Seven days of offered times: from `week`, or from the next day with any."""
    zone = clinic_zone()
    today = now.astimezone(zone).date()
    _earliest, latest = booking_window(now=now)
    last_day = (latest - timedelta(seconds=1)).astimezone(zone).date()
    first = flow.date_parse(week_param)
    if first is None:
        times = first_days_with_times(
            treatment=treatment, practitioner=practitioner, days=WEEK, now=now
        )
        first = min(times) if times else today
    else:
        first = min(max(first, today), last_day)
        times = available_start_times(
            treatment=treatment, practitioner=practitioner, start=first, days=WEEK, now=now
        )
    earlier = max(first - timedelta(WEEK), today) if first > today else None
    later = first + timedelta(WEEK) if first + timedelta(WEEK) <= last_day else None
    return {
        "days": sorted(times.items()),
        "first_day": first,
        "last_shown": first + timedelta(WEEK - 1),
        "earlier": earlier,
        "later": later,
    }


@cache_time_picker
def time_step(request):
    choice = flow.choice_parse(request.GET)
    if choice.treatment is None:
        return _treatment_again(request, choice.error or "Choose a treatment first.")
    if choice.error or not (choice.practitioner or choice.any_practitioner):
        form = PractitionerChoiceForm(
            data=request.GET,
            practitioners=practitioners_offering(treatment=choice.treatment),
        )
        form.is_valid()
        return _render_step(
            request,
            "booking/step_practitioner.html",
            1,
            {"form": form, "choice": choice, "error": choice.error},
            status=400,
        )
    now = timezone.now()
    week = _week_of_times(
        treatment=choice.treatment,
        practitioner=None if choice.any_practitioner else choice.practitioner,
        week_param=request.GET.get("week", ""),
        now=now,
    )
    return _render_step(
        request,
        "booking/step_time.html",
        2,
        {"choice": choice, **week},
    )


# --- Step 4: details ---------------------------------------------------------


def _time_still_offered(choice, now) -> bool:
    zone = clinic_zone()
    day = choice.starts_at.astimezone(zone).date()
    times = available_start_times(
        treatment=choice.treatment, practitioner=choice.practitioner, start=day, days=1, now=now
    )
    return any(t.starts_at == choice.starts_at for t in times.get(day, []))


def _time_again(request, choice, message):
    """Back to the time picker with a message, keeping treatment and practitioner."""
    messages.warning(request, message)
    params = choice.params()
    params.pop("start", None)
    params.pop("with", None)
    if choice.starts_at:
        params["week"] = choice.week_param(clinic_zone())
    return redirect(flow.url("booking:time", **params))


def details_step(request):
    choice = flow.choice_parse(request.GET, need_start=True)
    if choice.treatment is None:
        return _treatment_again(request, choice.error or "Choose a treatment first.")
    if choice.error:
        return _time_again(request, choice, choice.error)
    now = timezone.now()
    needle = choice.treatment.is_needle_based
    if request.method == "POST" and request.POST.get("edit"):
        # "Change details" from the review page: prefill from the signed details.
        details = details_unsign(request.POST.get("details", ""))
        form = DetailsForm(initial=details_initial(details) if details else {}, needle_based=needle)
        return _details_page(request, choice, form)
    if request.method == "POST":
        form = DetailsForm(data=request.POST, needle_based=needle)
        if form.is_valid():
            return _review_page(request, choice, form.patient_details())
        status = 400 if form.is_spam else 200
        return _details_page(request, choice, form, status=status)
    if not _time_still_offered(choice, now):
        return _time_again(
            request, choice, "Sorry, that time is no longer free. Please choose another."
        )
    return _details_page(request, choice, DetailsForm(needle_based=needle))


def _details_page(request, choice, form, status=200):
    return _render_step(
        request,
        "booking/step_details.html",
        3,
        {"choice": choice, "form": form, "back_url": _back_to_times(choice)},
        status=status,
    )


def _back_to_times(choice) -> str:
    params = choice.params(week=choice.week_param(clinic_zone()))
    params.pop("start", None)
    params.pop("with", None)
    return flow.url("booking:time", **params)


# --- Step 5: review and confirm ------------------------------------------------


def _review_page(
    request, choice, details, *, error="", alternatives=(), keep_time=False, status=200
):
    return _render_step(
        request,
        "booking/step_review.html",
        4,
        {
            "choice": choice,
            "details": details,
            "signed_details": details_sign(details),
            "error": error,
            "alternatives": alternatives,
            "keep_time": keep_time,
            "any_yes": any(details.screening.values()),
            "back_url": _back_to_times(choice),
            "details_url": flow.url("booking:details", **choice.params()),
        },
        status=status,
    )


def _confirm_params(post):
    """The posted choice; a picked alternative time replaces the taken one."""
    params = post.copy()
    slug, _sep, start = (post.get("alternative") or "").partition("|")
    if start:
        params["start"] = start
        if params.get("practitioner") == ANY_PRACTITIONER:
            params["with"] = slug
    return params


@require_POST
def confirm(request):
    choice = flow.choice_parse(_confirm_params(request.POST), need_start=True)
    details = details_unsign(request.POST.get("details", ""))
    if details is None:
        return _render_step(
            request,
            "booking/problem.html",
            4,
            {
                "title": "Please enter your details again",
                "message": (
                    "We could not read the details sent with this form, or they are more "
                    "than two hours old. Nothing was booked."
                ),
                "retry_url": flow.url("booking:details", **choice.params())
                if not choice.error and choice.starts_at
                else reverse("booking:start"),
            },
            status=400,
        )
    if choice.treatment is None or choice.error:
        return _treatment_again(request, choice.error or "Choose a treatment first.")
    now = timezone.now()
    refusal = booking_attempt(request=request, email=details.email, now=now)
    if refusal is not None:
        # Nothing is lost: the same page, ready to send again once the wait is over.
        response = _review_page(
            request,
            choice,
            details,
            error=refusal.message(clinic_zone()),
            keep_time=True,
            status=429,
        )
        response["Retry-After"] = str(refusal.retry_after)
        return response
    try:
        appointment = appointment_book(
            treatment=choice.treatment,
            practitioner=choice.practitioner,
            starts_at=choice.starts_at,
            patient=details,
            now=now,
            privacy_notice_version=get_clinic().privacy_notice_version or "unversioned",
        )
    except BookingError as error:
        taken = isinstance(error, SlotTakenError)
        alternatives = nearest_start_times(
            treatment=choice.treatment,
            practitioner=None if choice.any_practitioner else choice.practitioner,
            around=choice.starts_at,
            now=now,
        )
        message = (
            "Sorry, someone booked that time a moment before you. Your details are kept: "
            "choose one of the nearest free times below and book again."
            if taken
            else f"{error} Your details are kept."
        )
        return _review_page(
            request,
            choice,
            details,
            error=message,
            alternatives=alternatives,
            status=409 if taken else 400,
        )
    booking_made(email=details.email, now=now)
    return redirect("booking:confirmed", token=appointment.manage_token)


# --- After booking: confirmation and the private manage pages ---------------------


def _appointment_for(token: str, now) -> AppointmentRequest:
    """The appointment behind a manage link; LinkExpiredError once it is over."""
    if not TOKEN.match(token):
        raise Http404("No appointment has this link.")
    appointment = (
        AppointmentRequest.objects.select_related("treatment", "practitioner")
        .filter(manage_token=token)
        .first()
    )
    if appointment is None:
        raise Http404("No appointment has this link.")
    if appointment.ends_at <= now:
        raise LinkExpiredError("This appointment is over, so its link has expired.")
    return appointment


def _expired(request, status=410):
    response = render(request, "booking/link_expired.html", {}, status=status)
    return _private(response)


def _manage_context(appointment, now):
    clinic = get_clinic()
    window = timedelta(hours=clinic.late_cancellation_hours)
    return {
        "appointment": appointment,
        "zone_label": _zone_label(),
        "inside_window": appointment.starts_at - now < window,
        "late_hours": clinic.late_cancellation_hours,
        "needs_confirmation": appointment.status == "requested",
    }


@never_cache
def confirmed(request, token):
    now = timezone.now()
    try:
        appointment = _appointment_for(token, now)
    except LinkExpiredError:
        return _expired(request)
    context = _manage_context(appointment, now)
    context["manage_url"] = request.build_absolute_uri(
        reverse("booking:manage", kwargs={"token": token})
    )
    return _private(render(request, "booking/confirmed.html", context))


@never_cache
def manage(request, token):
    now = timezone.now()
    try:
        appointment = _appointment_for(token, now)
    except LinkExpiredError:
        return _expired(request)
    return _private(render(request, "booking/manage.html", _manage_context(appointment, now)))


@method_decorator(never_cache, name="dispatch")
class CancelView(View):
    """GET asks "are you sure?"; only the POST cancels (link scanners only GET)."""

    def dispatch(self, request, token):
        self.now = timezone.now()
        try:
            self.appointment = _appointment_for(token, self.now)
        except LinkExpiredError:
            return _expired(request)
        return super().dispatch(request, token)

    def get(self, request, token):
        context = _manage_context(self.appointment, self.now)
        return _private(
            render(request, "booking/manage_cancel.html", context), referrer="same-origin"
        )

    def post(self, request, token):
        try:
            appointment_cancel_by_patient(token=token, now=self.now)
        except BookingError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, "Your appointment is cancelled. The time is free again.")
        return redirect("booking:manage", token=token)


@method_decorator(never_cache, name="dispatch")
class RescheduleView(View):
    """Choose a new time (GET), check it (GET with start), move it (POST)."""

    def dispatch(self, request, token):
        self.now = timezone.now()
        try:
            self.appointment = _appointment_for(token, self.now)
        except LinkExpiredError:
            return _expired(request)
        context = _manage_context(self.appointment, self.now)
        if context["inside_window"] or not self.appointment.is_active:
            return redirect("booking:manage", token=token)
        self.context = context
        return super().dispatch(request, token)

    def get(self, request, token):
        appointment = self.appointment
        start = flow.start_parse(request.GET.get("start", ""))
        if start is not None:
            context = {
                **self.context,
                "new_start": start,
                "new_end": start + timedelta(minutes=appointment.treatment.duration_minutes),
                "start_param": flow.start_format(start),
            }
            return _private(
                render(request, "booking/manage_reschedule_confirm.html", context),
                referrer="same-origin",
            )
        week = _week_of_times(
            treatment=appointment.treatment,
            practitioner=appointment.practitioner,
            week_param=request.GET.get("week", ""),
            now=self.now,
        )
        # The patient's own booking is not a free time, so it is not listed.
        return _private(render(request, "booking/manage_reschedule.html", {**self.context, **week}))

    def post(self, request, token):
        start = flow.start_parse(request.POST.get("start", ""))
        if start is None:
            messages.error(request, "We could not read that time. Please choose again.")
            return redirect("booking:reschedule", token=token)
        try:
            appointment_reschedule(
                appointment_id=self.appointment.pk, starts_at=start, now=self.now
            )
        except BookingError as error:
            messages.error(request, f"{error}")
            return redirect("booking:reschedule", token=token)
        messages.success(request, "Your appointment has moved to the new time.")
        return redirect("booking:manage", token=token)


@never_cache
def ics(request, token):
    from booking.ics import appointment_ics

    try:
        appointment = _appointment_for(token, timezone.now())
    except LinkExpiredError:
        return _expired(request)
    response = HttpResponse(appointment_ics(appointment), content_type="text/calendar")
    response["Content-Disposition"] = (
        f'attachment; filename="appointment-{appointment.reference}.ics"'
    )
    return _private(response)


# --- Our team -----------------------------------------------------------------


class PractitionerListView(ListView):
    template_name = "booking/practitioner_list.html"
    context_object_name = "practitioners"

    def get_queryset(self):
        return Practitioner.objects.active().prefetch_related("treatments")


class PractitionerDetailView(DetailView):
    template_name = "booking/practitioner_detail.html"
    context_object_name = "practitioner"

    def get_queryset(self):
        return Practitioner.objects.active().prefetch_related("treatments")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["crumbs"] = [
            ("Our team", reverse("booking:practitioner_list")),
            (self.object.name, self.object.get_absolute_url()),
        ]
        return context
