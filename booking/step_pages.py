"""The pages the booking steps show: the frame they share, and the pages they return to.

The flow's decisions (where a patient goes next, whether to book) are in
booking.views; this module only draws: the steps' frame, the treatment and
practitioner pages, the details form (again, or as it was sent with its
mistakes), the review page and the problem page.
"""

from datetime import timedelta

from django.core.exceptions import NON_FIELD_ERRORS
from django.forms.utils import ErrorDict
from django.http import HttpResponseRedirect, QueryDict
from django.shortcuts import render
from django.utils import timezone

from booking import flow, seo, session
from booking.availability import late_cancellation_from, request_confirmable_from
from booking.formats import zone_label
from booking.forms import (
    ANY_PRACTITIONER,
    DetailsForm,
    PractitionerChoiceForm,
    TreatmentChoiceForm,
    details_initial,
    details_sign,
    fill_token_new,
)
from booking.intake.fields import versions_posted
from booking.intake.questions import booking_forms, review_flags
from booking.models import Confirmation, Treatment
from booking.selectors import (
    clinic_zone,
    closest_of,
    nearest_start_times,
    next_free_starts,
    practitioners_offering,
)
from booking.services import PatientDetails, request_notice_refusal
from clinic.identity import get_clinic

# --- Every step ----------------------------------------------------------------


def _steps(choice, details=None) -> list[str]:
    last = "Check and request" if is_request(choice, details) else "Check and book"
    return ["Treatment", "Practitioner", "Day and time", "Your details", last]


def is_request(choice, details=None) -> bool:
    """Whether booking this choice is a request: always, or when these answers need a look."""
    if not (choice and choice.treatment):
        return False
    if details is None:
        return choice.treatment.requires_confirmation
    return choice.treatment.needs_confirmation(details.answers, details.versions)


def render_step(request, template, step, context, status=200):
    choice, details = context.get("choice"), context.get("details")
    steps = _steps(choice, details)
    context = {
        "steps": steps,
        "step": step,
        "zone_label": zone_label(),
        "is_request": is_request(choice, details),
        "jsonld": seo.booking_page(request, get_clinic(), name=steps[min(step, len(steps) - 1)]),
        **context,
    }
    return render(request, template, context, status=status)


def back_to_times(choice) -> str:
    return flow.url(
        "booking:time", **choice.params_before_time(week=choice.week_param(clinic_zone()))
    )


def course_words(treatment=None, *, sessions: int = 0, spacing_days: int = 0) -> str:
    """ "a course of 4 weekly sessions": the treatment's offer, or a booked course's own."""
    if treatment is not None:
        sessions, spacing_days = treatment.course_sessions, treatment.course_spacing_days
    spacing = "weekly" if spacing_days == 7 else "fortnightly"
    return f"a course of {sessions} {spacing} sessions"


def course_sessions(choice) -> list[dict]:
    """Every session of the chosen course, for the details and review pages (no look-ups)."""
    if not choice.course or choice.starts_at is None:
        return []
    duration = choice.treatment.duration_minutes
    return [
        {"number": number, "starts_at": starts_at, "ends_at": starts_at + _minutes(duration)}
        for number, starts_at in enumerate(choice.course_starts(), start=1)
    ]


def _minutes(count: int) -> timedelta:
    return timedelta(minutes=count)


def see_other(url: str) -> HttpResponseRedirect:
    response = HttpResponseRedirect(url)
    response.status_code = 303  # See Other: the next page is fetched with GET
    return response


# --- Steps 1 and 2: treatment, practitioner ----------------------------------


def practitioner_page(request, choice, *, initial="", data=None, status=200):
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
    return render_step(
        request,
        "booking/step_practitioner.html",
        1,
        {"form": form, "choice": choice, "error": choice.error},
        status=status,
    )


def treatment_again(request, error):
    """Back to step 1; sent with no treatment, the form itself says what is missing."""
    treatments = Treatment.objects.active()
    if request.GET.get("treatment"):
        form = TreatmentChoiceForm(treatments=treatments)
    else:
        form = TreatmentChoiceForm(data={}, treatments=treatments)
        form.is_valid()
        error = ""
    return render_step(
        request,
        "booking/step_treatment.html",
        0,
        {"form": form, "choice": flow.Choice(), "error": error},
        status=400,
    )


# --- Step 4: details ---------------------------------------------------------


def posted_values(data) -> dict:
    """What the patient sent, without the CSRF token: lists for the fields that have several."""
    return {
        name: values if len(values) > 1 or name.startswith(("intake-", "q-")) else values[0]
        for name, values in data.lists()
        if name != "csrfmiddlewaretoken"
    }


def sent_again(make_form, data: dict, errors: dict):
    """A form as it was sent (posted_values), with the mistakes found in it then."""
    query = QueryDict(mutable=True)
    for name, value in data.items():
        query.setlist(name, value if isinstance(value, list) else [value])
    form = make_form(query)
    form.is_valid()
    form._errors = ErrorDict()
    for name, messages_ in errors.items():
        for message in messages_:
            form.add_error(None if name == NON_FIELD_ERRORS else name, message["message"])
    return form


def checked_form(choice, data: dict, errors: dict) -> DetailsForm:
    """The details form as it was sent, with the mistakes found in it then."""
    return sent_again(lambda query: details_form(choice, data=query), data, errors)


def details_form(
    choice, *, data=None, details: PatientDetails | None = None, started=None
) -> DetailsForm:
    """The details form for this choice: blank, prefilled from `details`, or as sent.

    Sent, its questions are the versions the page showed (named in the form);
    prefilled, the versions the details were answered against.
    """
    if data is not None:
        versions = versions_posted(data)
    else:
        versions = details.versions if details is not None else None
    asked = booking_forms(choice.treatment, versions)
    initial = (
        details_initial(details, asked=asked, started=started) if details is not None else None
    )
    return DetailsForm(
        data=data,
        initial=initial,
        asked=asked,
        is_request=choice.treatment.requires_confirmation,
    )


def details_page(request, choice, form, status=200, *, kept=False, notice="", booked=None):
    return render_step(
        request,
        "booking/step_details.html",
        3,
        {
            "choice": choice,
            "form": form,
            "back_url": back_to_times(choice),
            "kept": kept,
            "notice": notice,
            "booked": booked,
            "sessions": course_sessions(choice),
            "course_url": course_url(choice),
        },
        status=status,
    )


def details_again(request, choice, signed, notice, *, status=400, asked=False):
    """The details form for this choice, filled with what the signed details still hold."""
    form = details_form(choice, details=signed.details, started=signed.started)
    if asked:
        form.initial["started"] = fill_token_new(signed.started, asked=True)
    return details_page(request, choice, form, status=status, notice=notice)


# --- Step 5: review --------------------------------------------------------------


def too_soon_for_a_review(choice, details) -> dict:
    """A booking that became a request by its answers, for a time too soon to confirm:
    said on the review page, before the patient presses, with times that leave room."""
    treatment = choice.treatment
    if treatment.confirmation != Confirmation.REVIEW or not treatment.needs_confirmation(
        details.answers, details.versions
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


def review_page(
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
    return render_step(
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
            "flagged": review_flags(
                booking_forms(choice.treatment, details.versions), details.answers
            ),
            # Why a booking that is instant when every answer is "no" becomes a request.
            "review_flags": review_flags(
                booking_forms(choice.treatment, details.versions), details.answers
            )
            if choice.treatment.confirmation == Confirmation.REVIEW
            else [],
            "back_url": back_to_times(choice),
            "details_url": flow.url("booking:details", **params),
            "booked": booked,
            "keep_time": keep_time,
            "sessions": course_sessions(choice),
            "course_params": course_params(choice),
            "course_url": course_url(choice),
        },
        status=status,
    )


def course_url(choice) -> str:
    """The page of the course's sessions, with the times picked kept ("" for one session)."""
    return flow.url("booking:course", **choice.params()) if choice.course else ""


def course_params(choice) -> list[tuple[str, str]]:
    """The course's own query parameters, as hidden fields of a form that carries the choice."""
    params = choice.params()
    return [
        (name, value)
        for name, value in params.items()
        if name == "course" or (name.startswith("s") and name[1:].isdigit())
    ]


# --- Step 3b: the sessions of a course -----------------------------------------------


def course_page(request, choice, plans, *, error="", taken=None, booked=None, status=200):
    """Every session of the course: its time, or the nearest free times to pick from."""
    params = choice.params()
    kept = [
        (name, value)
        for name, value in course_params(choice)
        if name == "course"
        or not any(not plan.is_free and name == flow.session_param(plan.number) for plan in plans)
    ]
    return render_step(
        request,
        "booking/step_course.html",
        2,
        {
            "choice": choice,
            "rows": [
                {
                    "plan": plan,
                    "ends_at": plan.starts_at + _minutes(choice.treatment.duration_minutes)
                    if plan.starts_at
                    else None,
                    "moved": plan.starts_at is not None and plan.starts_at != plan.proposed,
                    "param": flow.session_param(plan.number),
                }
                for plan in plans
            ],
            "complete": all(plan.is_free for plan in plans),
            "kept": kept,
            "error": error,
            "taken": taken,
            "booked": booked,
            "course_words": course_words(choice.treatment),
            "back_url": back_to_times(choice),
            "start_param": params.get("start", ""),
        },
        status=status,
    )


def problem_page(request, title, message, *, retry_url="", retry_text="", status=400, choice=None):
    return render_step(
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
