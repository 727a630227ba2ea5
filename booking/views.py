"""The patient booking flow: each step's view and where the patient goes next.

Choices travel in the query string (GET forms) until the details step; the
details travel signed from the review page to the confirm POST, bound to the
treatment and to a single-use booking key, and a copy waits in the session so
that changing the choice from the review page loses nothing. The result is
shown after a redirect (post/redirect/get) to a clean address the session
grants. Everything works without JavaScript.

The pages themselves are drawn by booking.step_pages; the practitioners'
pages are in booking.team_views, the private pages in booking.manage_views.
"""

import time as clock

from django.conf import settings
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache

from booking import flow, session
from booking.caching import cache_time_picker
from booking.errors import (
    AlreadyBookedError,
    BookingError,
    CourseSessionTakenError,
    SlotTakenError,
)
from booking.formats import zone_label
from booking.forms import (
    ANY_PRACTITIONER,
    TOO_FAST,
    TreatmentChoiceForm,
    details_unsign,
)
from booking.links import manage_token
from booking.manage_views import REFERENCE, link_needed, private_page
from booking.models import AppointmentRequest, AppointmentStatus, Course, Treatment
from booking.picker import time_picker_week
from booking.ratelimit import booking_attempt, booking_made
from booking.selectors import clinic_zone, confirmable_from, free_starts, nearest_start_times
from booking.services import PatientDetails, appointment_book, course_book, course_plan
from booking.step_pages import (
    back_to_times,
    checked_form,
    course_page,
    course_words,
    details_again,
    details_form,
    details_page,
    is_request,
    posted_values,
    practitioner_page,
    problem_page,
    render_step,
    review_page,
    see_other,
    too_soon_for_a_review,
    treatment_again,
)
from booking.tokens import digest
from clinic.identity import get_clinic

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
    return render_step(
        request,
        "booking/step_treatment.html",
        0,
        {"form": form, "choice": choice, "error": choice.error, "any_request": True},
    )


# --- Step 2: practitioner --------------------------------------------------


def practitioner_step(request):
    choice = flow.choice_parse(request.GET)
    if choice.treatment is None:
        return treatment_again(request, choice.error or "Choose a treatment first.")
    return practitioner_page(request, choice, initial=choice.practitioner_param)


# --- Step 3: day and time ----------------------------------------------------


@cache_time_picker
def time_step(request):
    choice = flow.choice_parse(request.GET)
    if choice.treatment is None:
        return treatment_again(request, choice.error or "Choose a treatment first.")
    if choice.error or not (choice.practitioner or choice.any_practitioner):
        return practitioner_page(request, choice, data=request.GET, status=400)
    week = time_picker_week(
        treatment=choice.treatment,
        practitioner=None if choice.any_practitioner else choice.practitioner,
        week=flow.date_parse(request.GET.get("week", "")),
        day=flow.date_parse(request.GET.get("day", "")),
        now=timezone.now(),
        reuse=True,
    )
    context = {"choice": choice, "week": week}
    if choice.treatment.offers_course:
        context["course_words"] = course_words(choice.treatment)
    if request.GET.get("partial") == "day":
        # booking.js asks for the chosen day's times alone, to swap them in place.
        return render_step(request, "booking/includes/times.html#day-panel", 2, context)
    return render_step(request, "booking/step_time.html", 2, context)


# --- Step 3b: the sessions of a course -----------------------------------------


def _plan(choice, now):
    return course_plan(
        treatment=choice.treatment,
        practitioner=choice.practitioner,
        first=choice.starts_at,
        now=now,
        chosen=choice.session_starts,
    )


@never_cache
def course_step(request):
    """Every session of the chosen course; a session that is not free offers other times.

    The times picked travel in the query string (s2, s3, ...), so a reload or
    Back loses nothing. "Continue" (a GET form) comes here with `go`: on to the
    details once every session has a time.
    """
    choice = flow.choice_parse(request.GET, need_start=True)
    if choice.treatment is None:
        return treatment_again(request, choice.error or "Choose a treatment first.")
    if choice.error:
        return _time_again(request, choice, choice.error)
    if not choice.course:
        # Not a course after all (or the treatment no longer offers one): one session.
        return redirect(flow.url("booking:details", **choice.params()))
    plans = _plan(choice, timezone.now())
    going_on = bool(request.GET.get("go"))
    if going_on and all(plan.is_free for plan in plans) and not choice.course_note:
        return redirect(flow.url("booking:details", **choice.params()))
    taken = _taken_session(request.GET.get("taken"), plans)
    error = choice.course_note
    if taken is not None:
        local = timezone.localtime(choice.course_starts()[taken - 1], clinic_zone())
        error = (
            f"Sorry, session {taken} ({local:%a %-d %b at %H:%M}) was booked by someone else "
            "a moment ago, so nothing was booked. Please choose another time for it; "
            "your other sessions are kept."
        )
    elif not error and going_on:
        missing = ", ".join(str(plan.number) for plan in plans if not plan.is_free)
        error = f"Please choose a time for session {missing}."
    booked = _last_booking(request)
    booked = booked[0] if booked is not None and _same_booking(booked[0], choice) else None
    return course_page(
        request,
        choice,
        plans,
        error=error,
        taken=taken,
        booked=booked,
        status=400 if error and going_on else 200,
    )


def _taken_session(value, plans) -> int | None:
    """?taken=3 after a press that found session 3 taken: said only while it is not free."""
    value = (value or "")[:2]
    if not value.isdecimal():
        return None
    number = int(value)
    return number if 1 <= number <= len(plans) and not plans[number - 1].is_free else None


# --- Step 4: details ---------------------------------------------------------


def _time_still_offered(choice, now) -> bool:
    """Whether the picker would offer this time now: free on its day, in the booking
    window, and not a request staff could not confirm in time. Its one day is
    computed afresh, not the picker's whole horizon."""
    day = choice.starts_at.astimezone(clinic_zone()).date()
    _practitioners, starts = free_starts(
        treatment=choice.treatment, practitioner=choice.practitioner, start=day, days=1, now=now
    )
    return choice.starts_at in starts and choice.starts_at >= confirmable_from(
        treatment=choice.treatment, needs_confirmation=None, now=now
    )


def _time_again(request, choice, message):
    """Back to the time picker with a message, keeping treatment and practitioner."""
    messages.warning(request, message)
    return redirect(back_to_times(choice))


def _course_unsettled(request, choice):
    """Back to the course page when a session has no free time (the details page otherwise)."""
    if choice.course_note or not all(plan.is_free for plan in _plan(choice, timezone.now())):
        booked = _last_booking(request)
        if booked is not None and _same_booking(booked[0], choice):
            appointment = booked[0]
            form = details_form(choice, details=PatientDetails.of(appointment))
            return details_page(request, choice, form, booked=appointment)
        messages.warning(
            request,
            "Sorry, a session of your course is no longer free. Please choose a time for it.",
        )
        return redirect(flow.url("booking:course", **choice.params()))
    return None


@never_cache
def details_step(request):
    choice = flow.choice_parse(request.GET, need_start=True)
    if choice.treatment is None:
        return treatment_again(request, choice.error or "Choose a treatment first.")
    if choice.error:
        return _time_again(request, choice, choice.error)
    if request.method == "POST" and request.POST.get("edit"):
        # "Change your details" from the review page: prefill from the signed details.
        signed = details_unsign(request.POST.get("details", ""))
        form = (
            details_form(choice, details=signed.details, started=signed.started)
            if signed
            else details_form(choice)
        )
        return details_page(request, choice, form)
    if request.method == "POST":
        form = details_form(choice, data=request.POST)
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
            return see_other(flow.url("booking:review", **choice.params()))
        if form.is_spam:
            return details_page(request, choice, form, status=400)
        # Mistakes too are shown by a GET page, so that Back never asks to resend a form.
        session.attempt_save(
            request,
            data=posted_values(form.data),
            errors=form.errors.get_json_data(),
            choice_params=choice.params(),
        )
        return see_other(flow.url("booking:details", **choice.params(), check="1"))
    if request.GET.get("check"):
        attempt = session.attempt_get(request, choice_params=choice.params())
        if attempt is not None:
            return details_page(request, choice, checked_form(choice, *attempt))
    if choice.course:
        unsettled = _course_unsettled(request, choice)
        if unsettled is not None:
            return unsettled
    elif not _time_still_offered(choice, timezone.now()):
        booked = _last_booking(request)
        if booked is not None and _same_booking(booked[0], choice):
            # Back to this page after booking this very time: say so, lose nothing.
            appointment = booked[0]
            form = details_form(choice, details=PatientDetails.of(appointment))
            return details_page(request, choice, form, booked=appointment)
        return _time_again(
            request, choice, "Sorry, that time is no longer free. Please choose another."
        )
    draft = session.draft_get(request)
    form = (
        details_form(choice, details=draft.details, started=draft.started)
        if draft
        else details_form(choice)
    )
    return details_page(request, choice, form, kept=bool(draft))


# --- Step 5: review and confirm ------------------------------------------------


@never_cache
def review_step(request):
    """ "Check and book", shown from the details kept in the session.

    Never cached: Back must ask the server again, which knows whether this
    review has already booked, and the page holds personal details.
    """
    choice = flow.choice_parse(request.GET, need_start=True)
    if choice.treatment is None:
        return treatment_again(request, choice.error or "Choose a treatment first.")
    if choice.error:
        return _time_again(request, choice, choice.error)
    draft = session.draft_get(request)
    if draft is not None:
        too_soon = too_soon_for_a_review(choice, draft.details)
        if choice.course:
            too_soon.pop("alternatives", None)  # a course's times are changed on its own page
        return review_page(
            request,
            choice,
            draft.details,
            started=draft.started,
            asked=draft.asked,
            key=draft.key,
            **too_soon,
        )
    booked = _last_booking(request)
    if booked is not None:
        # Back to this page after booking: pressing again must find that booking.
        appointment, key = booked
        return review_page(
            request,
            choice,
            PatientDetails.of(appointment),
            started=0,
            key=key,
            booked=appointment,
        )
    messages.info(request, "Please enter your details.")
    return redirect(flow.url("booking:details", **choice.params()))


def _last_booking(request):
    last = session.last_booking(request)
    if last is None or not session.granted(request, last[1]):
        return None
    key, reference = last
    appointment = AppointmentRequest.objects.filter(reference=reference).first()
    return (appointment, key) if appointment is not None else None


def _confirm_params(post):
    """The posted choice; a picked alternative time replaces the taken one."""
    params = post.copy()
    slug, _sep, start = (post.get("alternative") or "").partition("|")
    if start:
        params["start"] = start
        if params.get("practitioner") == ANY_PRACTITIONER:
            params["with"] = slug
    return params


def _same_booking(appointment, choice) -> bool:
    """Whether the appointment is what this choice books (for a course: its first session)."""
    if choice.treatment is None or appointment.treatment_id != choice.treatment.pk:
        return False
    if appointment.course_id or choice.course:
        return bool(appointment.course_id and choice.course and choice.starts_at) and (
            appointment.starts_at == choice.course_starts()[0]
        )
    return appointment.starts_at == choice.starts_at


def _already_booked(request, appointment, choice, signed):
    """A second press with a key that has booked: that booking, or "nothing more booked".

    The booking is shown only to the session that booked it or was shown the
    review page, within the details' two hours: the form's value is no key.
    """
    last = session.last_booking(request)
    booked_here = last is not None and last[1] == appointment.reference
    if not booked_here and (signed.expired or not session.bound_here(request, signed.binding)):
        return problem_page(
            request,
            "These details have already been used",
            "They have booked an appointment already, so nothing more was booked. The e-mail "
            "we sent has its private link; to book another time, please enter your details "
            "again.",
            retry_url=reverse("booking:start"),
            status=409,
        )
    if _same_booking(appointment, choice):
        if appointment.course_id:
            return _course_booked_redirect(request, appointment.course)
        session.grant(request, appointment.reference)
        return redirect("booking:confirmed", reference=appointment.reference)
    retry = (
        flow.url("booking:details", **choice.params())
        if choice.starts_at and not choice.error
        else reverse("booking:start")
    )
    return problem_page(
        request,
        "These details have already booked an appointment",
        f"They booked appointment {appointment.reference}, so nothing more was booked. "
        "To book another time, please enter your details again.",
        retry_url=retry,
        status=409,
    )


def confirm(request):
    """The final step: POST books once; a GET (a restored tab) leads back into the flow.

    In order: the form must be readable; a booking key that has booked shows
    that booking; the choice must still stand and the signed details still
    fit it; the rate limit must allow it; then the booking itself.
    """
    if request.method != "POST":
        return _confirm_get(request)
    choice = flow.choice_parse(_confirm_params(request.POST), need_start=True)
    signed = details_unsign(request.POST.get("details", ""))
    unreadable = _unreadable_form(request, choice, signed)
    if unreadable is not None:
        return unreadable
    earlier = _booked_with_key(signed.key)
    if earlier is not None:
        return _already_booked(request, earlier, choice, signed)
    if choice.treatment is None:
        return treatment_again(request, choice.error or "Choose a treatment first.")
    if choice.error:
        return _time_again(request, choice, choice.error)
    check_again = _details_to_check_again(request, choice, signed)
    if check_again is not None:
        return check_again
    now = timezone.now()
    # A course counts as one booking: one attempt here, one booking made after it.
    refusal = booking_attempt(request=request, email=signed.details.email, now=now)
    if refusal is not None:
        return _send_again_later(request, choice, signed, refusal)
    if choice.course:
        return _confirm_course(request, choice, signed, now=now)
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
        return _not_booked(request, choice, signed, error, now=now)
    return _booked(request, choice, signed, appointment, now=now)


def _confirm_course(request, choice, signed, *, now):
    """Book every session of the course in one press, or none of them."""
    if choice.course_note:
        return course_page(
            request, choice, _plan(choice, now), error=choice.course_note, status=400
        )
    try:
        course = course_book(
            treatment=choice.treatment,
            practitioner=choice.practitioner,
            starts=choice.course_starts(),
            patient=signed.details,
            now=now,
            privacy_notice_version=get_clinic().privacy_notice_version or "unversioned",
            booking_key=signed.key,
        )
    except AlreadyBookedError as error:
        return _already_booked(request, error.appointment, choice, signed)
    except CourseSessionTakenError as error:
        # Nothing was booked: the course page again (a GET, so a reload resends nothing),
        # naming the session, with its alternatives and the other sessions kept.
        return see_other(flow.url("booking:course", **choice.params(taken=error.number)))
    except BookingError as error:
        return _not_booked(request, choice, signed, error, now=now)
    booking_made(email=signed.details.email, now=now)
    first = course.appointments.order_by("course_session").first()
    session.draft_clear(request)
    session.last_booking_remember(
        request, key=signed.key, choice_params=choice.params(), reference=first.reference
    )
    return _course_booked_redirect(request, course)


def _course_booked_redirect(request, course):
    """The course's confirmation, granted to this session with each of its sessions."""
    session.grant(request, course.reference)
    for reference in course.appointments.values_list("reference", flat=True):
        session.grant(request, reference)
    return redirect("booking:course_booked", reference=course.reference)


@never_cache
def course_booked(request, reference):
    """The confirmation of a course: every session, and that it is one course."""
    if not REFERENCE.match(reference):
        raise Http404("No course has this address.")
    if not session.granted(request, reference):
        return link_needed(request, what="course")
    course = (
        Course.objects.select_related("treatment", "practitioner")
        .filter(reference=reference)
        .first()
    )
    if course is None:
        raise Http404("No course has this address.")
    appointments = list(
        course.appointments.select_related("practitioner").order_by("course_session")
    )
    if not appointments:
        raise Http404("No course has this address.")
    first = appointments[0]
    token = manage_token(first)
    manage_url = (
        request.build_absolute_uri(reverse("booking:manage", kwargs={"token": token}))
        if token
        else ""
    )
    response = render(
        request,
        "booking/course_confirmed.html",
        {
            "course": course,
            "appointments": appointments,
            "first": first,
            "needs_confirmation": first.status == AppointmentStatus.REQUESTED,
            "manage_url": manage_url,
            "zone_label": zone_label(),
            "course_words": course_words(
                sessions=course.sessions, spacing_days=course.spacing_days
            ),
        },
    )
    return private_page(response)


def _unreadable_form(request, choice, signed):
    """A problem page when the signed details cannot be read or a robot filled the form."""
    retry_url = (
        flow.url("booking:details", **choice.params())
        if not choice.error and choice.starts_at
        else reverse("booking:start")
    )
    if signed is None:
        return problem_page(
            request,
            "Please enter your details again",
            "We could not read the details sent with this form. Nothing was booked.",
            retry_url=retry_url,
        )
    if request.POST.get("website"):
        return problem_page(request, "We could not accept this form", "Nothing was booked.")
    return None


def _booked_with_key(key):
    """The appointment this single-use booking key has already booked, if any."""
    if not key:
        return None
    return (
        AppointmentRequest.objects.filter(booking_key_hash=digest(key))
        .only("reference", "treatment_id", "starts_at")
        .first()
    )


def _details_to_check_again(request, choice, signed):
    """The details form again when the signed details no longer fit this booking:
    given for another treatment, more than two hours old, or sent too fast."""
    if signed.treatment != choice.treatment.slug or not signed.key:
        return details_again(
            request,
            choice,
            signed,
            f"Your answers were given for another treatment. Please check them for "
            f"{choice.treatment.name.lower()} and press Continue. Nothing was booked.",
        )
    if signed.expired:
        return details_again(
            request,
            choice,
            signed,
            "Your details were more than two hours old, so nothing was booked. "
            "We have kept them below: please check them and press Continue.",
        )
    minimum = settings.BOOKING_MIN_FILL_SECONDS
    if minimum and not signed.asked and clock.time() - signed.started < minimum:
        return details_again(request, choice, signed, TOO_FAST, asked=True)
    return None


def _send_again_later(request, choice, signed, refusal):
    """Rate limited. Nothing is lost: the same page, ready to send again once the wait is over."""
    response = review_page(
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


def _not_booked(request, choice, signed, error, *, now):
    """The review page again with the nearest free times: the time was taken, or refused."""
    taken = isinstance(error, SlotTakenError)
    alternatives = (
        ()
        if choice.course
        else nearest_start_times(
            treatment=choice.treatment,
            practitioner=None if choice.any_practitioner else choice.practitioner,
            around=choice.starts_at,
            now=now,
        )
    )
    word = "request" if is_request(choice, signed.details) else "book"
    message = (
        "Sorry, someone booked that time a moment before you. Your details are kept: "
        f"choose one of the nearest free times below and {word} again."
        if taken
        else f"{error} Your details are kept."
    )
    return review_page(
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


def _booked(request, choice, signed, appointment, *, now):
    """Booked: counted, the draft forgotten, the booking remembered and shown (PRG)."""
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
