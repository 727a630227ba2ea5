"""The patient booking flow and the practitioner pages (private pages: manage_views).

Choices travel in the query string (GET forms) until the details step; the
details travel signed from the review page to the confirm POST, bound to the
treatment and to a single-use booking key, and a copy waits in the session so
that changing the choice from the review page loses nothing. The result is
shown after a redirect (post/redirect/get) to a clean address the session
grants. Everything works without JavaScript.
"""

import time as clock

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import NON_FIELD_ERRORS
from django.forms.utils import ErrorDict
from django.http import HttpResponseRedirect, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.generic import DetailView, ListView

from booking import flow, seo, session
from booking.availability import late_cancellation_from, request_confirmable_from
from booking.caching import cache_time_picker
from booking.errors import AlreadyBookedError, BookingError, SlotTakenError
from booking.formats import zone_label
from booking.forms import (
    ANY_PRACTITIONER,
    TOO_FAST,
    DetailsForm,
    PractitionerChoiceForm,
    TreatmentChoiceForm,
    details_initial,
    details_sign,
    details_unsign,
    fill_token_new,
)
from booking.models import (
    AppointmentRequest,
    Confirmation,
    Practitioner,
    Treatment,
    screening_flags,
)
from booking.ratelimit import booking_attempt, booking_made
from booking.selectors import (
    clinic_zone,
    closest_of,
    nearest_start_times,
    next_free_starts,
    practitioners_offering,
    team_next_free,
    time_picker_week,
)
from booking.services import PatientDetails, appointment_book, request_notice_refusal
from booking.tokens import digest
from clinic.identity import get_clinic


def _steps(choice, details=None) -> list[str]:
    last = "Check and request" if _is_request(choice, details) else "Check and book"
    return ["Treatment", "Practitioner", "Day and time", "Your details", last]


def _is_request(choice, details=None) -> bool:
    """Whether booking this choice is a request: always, or when these answers need a look."""
    if not (choice and choice.treatment):
        return False
    if details is None:
        return choice.treatment.requires_confirmation
    return choice.treatment.needs_confirmation(details.screening)


def _render_step(request, template, step, context, status=200):
    choice, details = context.get("choice"), context.get("details")
    steps = _steps(choice, details)
    context = {
        "steps": steps,
        "step": step,
        "zone_label": zone_label(),
        "is_request": _is_request(choice, details),
        "jsonld": seo.booking_page(request, get_clinic(), name=steps[min(step, len(steps) - 1)]),
        **context,
    }
    return render(request, template, context, status=status)


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
        {"form": form, "choice": choice, "error": choice.error, "any_request": True},
    )


# --- Step 2: practitioner --------------------------------------------------


def practitioner_step(request):
    choice = flow.choice_parse(request.GET)
    if choice.treatment is None:
        return _treatment_again(request, choice.error or "Choose a treatment first.")
    return _practitioner_page(request, choice, initial=choice.practitioner_param)


def _practitioner_page(request, choice, *, initial="", data=None, status=200):
    practitioners = practitioners_offering(treatment=choice.treatment)
    next_free = next_free_starts(
        treatment=choice.treatment, practitioners=practitioners, now=timezone.now()
    )
    form = PractitionerChoiceForm(
        data=data,
        initial={"practitioner": initial or ANY_PRACTITIONER},
        practitioners=practitioners,
        next_free=next_free,
    )
    if data is not None:
        form.is_valid()
    return _render_step(
        request,
        "booking/step_practitioner.html",
        1,
        {"form": form, "choice": choice, "error": choice.error},
        status=status,
    )


def _treatment_again(request, error):
    """Back to step 1; sent with no treatment, the form itself says what is missing."""
    treatments = Treatment.objects.active()
    if request.GET.get("treatment"):
        form = TreatmentChoiceForm(treatments=treatments)
    else:
        form = TreatmentChoiceForm(data={}, treatments=treatments)
        form.is_valid()
        error = ""
    return _render_step(
        request,
        "booking/step_treatment.html",
        0,
        {"form": form, "choice": flow.Choice(), "error": error},
        status=400,
    )


# --- Step 3: day and time ----------------------------------------------------


@cache_time_picker
def time_step(request):
    choice = flow.choice_parse(request.GET)
    if choice.treatment is None:
        return _treatment_again(request, choice.error or "Choose a treatment first.")
    if choice.error or not (choice.practitioner or choice.any_practitioner):
        return _practitioner_page(request, choice, data=request.GET, status=400)
    week = time_picker_week(
        treatment=choice.treatment,
        practitioner=None if choice.any_practitioner else choice.practitioner,
        week=flow.date_parse(request.GET.get("week", "")),
        day=flow.date_parse(request.GET.get("day", "")),
        now=timezone.now(),
    )
    context = {"choice": choice, "week": week}
    if request.GET.get("partial") == "day":
        # booking.js asks for the chosen day's times alone, to swap them in place.
        return _render_step(request, "booking/includes/times.html#day-panel", 2, context)
    return _render_step(request, "booking/step_time.html", 2, context)


# --- Step 4: details ---------------------------------------------------------


def _time_still_offered(choice, now) -> bool:
    zone = clinic_zone()
    day = choice.starts_at.astimezone(zone).date()
    week = time_picker_week(
        treatment=choice.treatment, practitioner=choice.practitioner, week=day, now=now
    )
    return any(
        offered.starts_at == choice.starts_at
        for picker_day in week.days
        for period in picker_day.periods
        for offered in period.times
    )


def _time_again(request, choice, message):
    """Back to the time picker with a message, keeping treatment and practitioner."""
    messages.warning(request, message)
    return redirect(_back_to_times(choice))


@never_cache
def details_step(request):
    choice = flow.choice_parse(request.GET, need_start=True)
    if choice.treatment is None:
        return _treatment_again(request, choice.error or "Choose a treatment first.")
    if choice.error:
        return _time_again(request, choice, choice.error)
    if request.method == "POST" and request.POST.get("edit"):
        # "Change your details" from the review page: prefill from the signed details.
        signed = details_unsign(request.POST.get("details", ""))
        initial = details_initial(signed.details, started=signed.started) if signed else {}
        return _details_page(request, choice, _details_form(choice, initial=initial))
    if request.method == "POST":
        form = _details_form(choice, data=request.POST)
        if form.is_valid():
            # Post/redirect/get: the review page survives Back, refresh and a restored tab.
            session.attempt_clear(request)
            session.draft_save(
                request,
                details=form.patient_details(),
                started=form.started_at,
                asked=form.fill_asked,
                choice_params=choice.params(),
            )
            return _see_other(flow.url("booking:review", **choice.params()))
        if form.is_spam:
            return _details_page(request, choice, form, status=400)
        # Mistakes too are shown by a GET page, so that Back never asks to resend a form.
        session.attempt_save(
            request,
            data=_typed(form.data),
            errors=form.errors.get_json_data(),
            choice_params=choice.params(),
        )
        return _see_other(flow.url("booking:details", **choice.params(), check="1"))
    if request.GET.get("check"):
        attempt = session.attempt_get(request, choice_params=choice.params())
        if attempt is not None:
            return _details_page(request, choice, _checked_form(choice, *attempt))
    if not _time_still_offered(choice, timezone.now()):
        booked = _last_booking(request)
        if booked is not None and _same_booking(booked[0], choice):
            # Back to this page after booking this very time: say so, lose nothing.
            appointment = booked[0]
            form = _details_form(choice, initial=details_initial(PatientDetails.of(appointment)))
            return _details_page(request, choice, form, booked=appointment)
        return _time_again(
            request, choice, "Sorry, that time is no longer free. Please choose another."
        )
    draft = session.draft_get(request)
    initial = details_initial(draft.details, started=draft.started) if draft else {}
    return _details_page(request, choice, _details_form(choice, initial=initial), kept=bool(draft))


def _see_other(url: str) -> HttpResponseRedirect:
    response = HttpResponseRedirect(url)
    response.status_code = 303  # See Other: the next page is fetched with GET
    return response


def _typed(data) -> dict:
    """What the patient sent, without the CSRF token: lists for the fields that have several."""
    return {
        name: values if len(values) > 1 or name == "screening" else values[0]
        for name, values in data.lists()
        if name != "csrfmiddlewaretoken"
    }


def _checked_form(choice, data: dict, errors: dict) -> DetailsForm:
    """The details form as it was sent, with the mistakes found in it then."""
    query = QueryDict(mutable=True)
    for name, value in data.items():
        query.setlist(name, value if isinstance(value, list) else [value])
    form = _details_form(choice, data=query)
    form.is_valid()
    form._errors = ErrorDict()
    for name, messages_ in errors.items():
        for message in messages_:
            form.add_error(None if name == NON_FIELD_ERRORS else name, message["message"])
    return form


def _details_form(choice, **kwargs) -> DetailsForm:
    return DetailsForm(
        needle_based=choice.treatment.is_needle_based,
        is_request=choice.treatment.requires_confirmation,
        **kwargs,
    )


def _details_page(request, choice, form, status=200, *, kept=False, notice="", booked=None):
    return _render_step(
        request,
        "booking/step_details.html",
        3,
        {
            "choice": choice,
            "form": form,
            "back_url": _back_to_times(choice),
            "kept": kept,
            "notice": notice,
            "booked": booked,
        },
        status=status,
    )


def _details_again(request, choice, signed, notice, *, status=400, asked=False):
    """The details form for this choice, filled with what the signed details still hold."""
    details = signed.details
    if details.screening and not choice.treatment.is_needle_based:
        details = PatientDetails(**{**details.__dict__, "screening": {}})
    initial = details_initial(details, started=signed.started)
    if asked:
        initial["started"] = fill_token_new(signed.started, asked=True)
    form = _details_form(choice, initial=initial)
    return _details_page(request, choice, form, status=status, notice=notice)


def _back_to_times(choice) -> str:
    params = choice.params(week=choice.week_param(clinic_zone()))
    params.pop("start", None)
    params.pop("with", None)
    return flow.url("booking:time", **params)


# --- Step 5: review and confirm ------------------------------------------------


@never_cache
def review_step(request):
    """ "Check and book", shown from the details kept in the session.

    Never cached: Back must ask the server again, which knows whether this
    review has already booked, and the page holds personal details.
    """
    choice = flow.choice_parse(request.GET, need_start=True)
    if choice.treatment is None:
        return _treatment_again(request, choice.error or "Choose a treatment first.")
    if choice.error:
        return _time_again(request, choice, choice.error)
    draft = session.draft_get(request)
    if draft is not None:
        return _review_page(
            request,
            choice,
            draft.details,
            started=draft.started,
            asked=draft.asked,
            key=draft.key,
            **_too_soon_for_a_review(choice, draft.details),
        )
    booked = _last_booking(request)
    if booked is not None:
        # Back to this page after booking: pressing again must find that booking.
        appointment, key = booked
        return _review_page(
            request,
            choice,
            PatientDetails.of(appointment),
            started=0,
            key=key,
            booked=appointment,
        )
    messages.info(request, "Please enter your details.")
    return redirect(flow.url("booking:details", **choice.params()))


def _too_soon_for_a_review(choice, details) -> dict:
    """A booking that became a request by its answers, for a time too soon to confirm:
    said on the review page, before the patient presses, with times that leave room."""
    treatment = choice.treatment
    if treatment.confirmation != Confirmation.REVIEW or not treatment.needs_confirmation(
        details.screening
    ):
        return {}
    now = timezone.now()
    refusal = request_notice_refusal(starts_at=choice.starts_at, now=now, because_of_answers=True)
    if not refusal:
        return {}
    confirmable = request_confirmable_from(now=now)
    later = [
        offered
        for offered in nearest_start_times(
            treatment=treatment,
            practitioner=None if choice.any_practitioner else choice.practitioner,
            around=confirmable,
            now=now,
        )
        if offered.starts_at >= confirmable
    ]
    return {"error": refusal, "alternatives": later}


def _last_booking(request):
    last = session.last_booking(request)
    if last is None or not session.granted(request, last[1]):
        return None
    key, reference = last
    appointment = AppointmentRequest.objects.filter(reference=reference).first()
    return (appointment, key) if appointment is not None else None


def _review_page(
    request,
    choice,
    details,
    *,
    started,
    key,
    asked=False,
    error="",
    alternatives=(),
    status=200,
    booked=None,
    keep_time=False,
):
    """ "Check and book": the summary, the signed details and the single-use booking key.

    `keep_time` keeps the chosen time in the form when the error is about
    sending again later (a rate limit), not about the time itself.
    """
    params = choice.params()
    now = timezone.now()
    closest = closest_of(list(alternatives), choice.starts_at) if alternatives else None
    return _render_step(
        request,
        "booking/step_review.html",
        4,
        {
            "choice": choice,
            "details": details,
            "signed_details": details_sign(
                details,
                treatment=choice.treatment.slug,
                key=key,
                started=started,
                asked=asked,
                binding=session.binding(request),
            ),
            "error": error,
            "alternatives": alternatives,
            "closest": closest,
            "late": choice.starts_at < late_cancellation_from(now=now),
            "any_yes": any(details.screening.values()),
            # Why a booking that is instant when every answer is "no" becomes a request.
            "review_flags": screening_flags(details.screening)
            if choice.treatment.confirmation == Confirmation.REVIEW
            else [],
            "back_url": _back_to_times(choice),
            "details_url": flow.url("booking:details", **params),
            "booked": booked,
            "keep_time": keep_time,
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


def _problem(request, title, message, *, retry_url="", retry_text="", status=400, choice=None):
    return _render_step(
        request,
        "booking/problem.html",
        4,
        {
            "title": title,
            "message": message,
            "retry_url": retry_url,
            "retry_text": retry_text or "Enter your details again",
            "choice": choice,
        },
        status=status,
    )


def _same_booking(appointment, choice) -> bool:
    return (
        choice.treatment is not None
        and appointment.treatment_id == choice.treatment.pk
        and appointment.starts_at == choice.starts_at
    )


def _already_booked(request, appointment, choice, signed):
    """A second press with a key that has booked: that booking, or "nothing more booked".

    The booking is shown only to the session that booked it or was shown the
    review page, within the details' two hours: the form's value is no key.
    """
    last = session.last_booking(request)
    booked_here = last is not None and last[1] == appointment.reference
    if not booked_here and (signed.expired or not session.bound_here(request, signed.binding)):
        return _problem(
            request,
            "These details have already been used",
            "They have booked an appointment already, so nothing more was booked. The e-mail "
            "we sent has its private link; to book another time, please enter your details "
            "again.",
            retry_url=reverse("booking:start"),
            status=409,
        )
    if _same_booking(appointment, choice):
        session.grant(request, appointment.reference)
        return redirect("booking:confirmed", reference=appointment.reference)
    retry = (
        flow.url("booking:details", **choice.params())
        if choice.starts_at and not choice.error
        else reverse("booking:start")
    )
    return _problem(
        request,
        "These details have already booked an appointment",
        f"They booked appointment {appointment.reference}, so nothing more was booked. "
        "To book another time, please enter your details again.",
        retry_url=retry,
        status=409,
    )


def confirm(request):
    """The final step: POST books once; a GET (a restored tab) leads back into the flow."""
    if request.method != "POST":
        return _confirm_get(request)
    choice = flow.choice_parse(_confirm_params(request.POST), need_start=True)
    signed = details_unsign(request.POST.get("details", ""))
    retry_url = (
        flow.url("booking:details", **choice.params())
        if not choice.error and choice.starts_at
        else reverse("booking:start")
    )
    if signed is None:
        return _problem(
            request,
            "Please enter your details again",
            "We could not read the details sent with this form. Nothing was booked.",
            retry_url=retry_url,
        )
    if request.POST.get("website"):
        return _problem(request, "We could not accept this form", "Nothing was booked.")
    if signed.key:
        earlier = (
            AppointmentRequest.objects.filter(booking_key_hash=digest(signed.key))
            .only("reference", "treatment_id", "starts_at")
            .first()
        )
        if earlier is not None:
            return _already_booked(request, earlier, choice, signed)
    if choice.treatment is None:
        return _treatment_again(request, choice.error or "Choose a treatment first.")
    if choice.error:
        return _time_again(request, choice, choice.error)
    if signed.treatment != choice.treatment.slug or not signed.key:
        return _details_again(
            request,
            choice,
            signed,
            f"Your answers were given for another treatment. Please check them for "
            f"{choice.treatment.name.lower()} and press Continue. Nothing was booked.",
        )
    if signed.expired:
        return _details_again(
            request,
            choice,
            signed,
            "Your details were more than two hours old, so nothing was booked. "
            "We have kept them below: please check them and press Continue.",
        )
    minimum = settings.BOOKING_MIN_FILL_SECONDS
    if minimum and not signed.asked and clock.time() - signed.started < minimum:
        return _details_again(request, choice, signed, TOO_FAST, asked=True)
    now = timezone.now()
    refusal = booking_attempt(request=request, email=signed.details.email, now=now)
    if refusal is not None:
        # Nothing is lost: the same page, ready to send again once the wait is over.
        response = _review_page(
            request,
            choice,
            signed.details,
            started=signed.started,
            asked=signed.asked,
            key=signed.key,
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
            patient=signed.details,
            now=now,
            privacy_notice_version=get_clinic().privacy_notice_version or "unversioned",
            booking_key=signed.key,
        )
    except AlreadyBookedError as error:
        return _already_booked(request, error.appointment, choice, signed)
    except BookingError as error:
        taken = isinstance(error, SlotTakenError)
        alternatives = nearest_start_times(
            treatment=choice.treatment,
            practitioner=None if choice.any_practitioner else choice.practitioner,
            around=choice.starts_at,
            now=now,
        )
        word = "request" if _is_request(choice, signed.details) else "book"
        message = (
            "Sorry, someone booked that time a moment before you. Your details are kept: "
            f"choose one of the nearest free times below and {word} again."
            if taken
            else f"{error} Your details are kept."
        )
        return _review_page(
            request,
            choice,
            signed.details,
            started=signed.started,
            asked=signed.asked,
            key=signed.key,
            error=message,
            alternatives=alternatives,
            status=409 if taken else 400,
        )
    booking_made(email=signed.details.email, now=now)
    session.draft_clear(request)
    session.last_booking_remember(
        request,
        key=signed.key,
        choice_params=choice.params(),
        reference=appointment.reference,
    )
    session.grant(request, appointment.reference)
    return redirect("booking:confirmed", reference=appointment.reference)


def _confirm_get(request):
    booked = _last_booking(request)
    return render(
        request,
        "booking/confirm_get.html",
        {
            "has_draft": session.draft_get(request) is not None,
            "last_reference": booked[0].reference if booked else "",
        },
    )


# --- Our team -----------------------------------------------------------------


class PractitionerListView(ListView):
    template_name = "booking/practitioner_list.html"
    context_object_name = "practitioners"

    def get_queryset(self):
        return Practitioner.objects.active().select_related("photo").prefetch_related("treatments")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        practitioners = list(context["practitioners"])
        next_free = team_next_free(practitioners=practitioners, now=timezone.now())
        for practitioner in practitioners:
            practitioner.next_free = next_free.get(practitioner.pk)
        context["practitioners"] = practitioners
        context["jsonld"] = seo.team_page(self.request, get_clinic(), practitioners)
        return context


class PractitionerDetailView(DetailView):
    template_name = "booking/practitioner_detail.html"
    context_object_name = "practitioner"

    def get_queryset(self):
        return Practitioner.objects.active().select_related("photo").prefetch_related("treatments")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["crumbs"] = [
            ("Our team", reverse("booking:practitioner_list")),
            (self.object.name, self.object.get_absolute_url()),
        ]
        context["next_free"] = team_next_free(practitioners=[self.object], now=timezone.now()).get(
            self.object.pk
        )
        context["jsonld"] = seo.practitioner_page(
            self.request, get_clinic(), self.object, context["crumbs"]
        )
        return context
