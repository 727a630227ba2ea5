"""Pre-visit forms: a private link per form and appointment, and the answers it brings.

A treatment's "before the first visit" forms are asked of a patient who has
not answered them before (on any earlier appointment of their record). Each
gets an invitation whose token is an HMAC of the appointment's reference and
the form under SECRET_KEY, like the manage link, so the e-mail worker can
write it without it being stored; the database keeps its SHA-256 only. The
link opens one form for one appointment, and only until that appointment ends
or stops being active.
"""

from datetime import datetime

from django.db import transaction

from booking.intake.questions import Asked, answers_kept, before_visit_forms
from booking.links import absolute_url
from booking.models import (
    ACTIVE_STATUSES,
    AppointmentRequest,
    IntakeForm,
    IntakeFormVersion,
    IntakeInvitation,
)
from booking.tokens import digest, private_token_for, private_token_new

INTAKE_SALT = "booking.intake-link.v1"


def _link_reference(appointment: AppointmentRequest, form: IntakeForm) -> str:
    return f"{appointment.reference}:{form.slug}"


def intake_grant_key(invitation_id: int) -> str:
    """The session grant that opens one pre-visit form (booking.session.grant)."""
    return f"intake-{invitation_id}"


def invitations_create(*, appointment: AppointmentRequest) -> list[IntakeInvitation]:
    """Ask the treatment's pre-visit forms the patient has not answered before."""
    asked = before_visit_forms(appointment.treatment)
    if not asked:
        return []
    answered_before = set()
    if appointment.patient_id is not None:
        answered_before = set(
            IntakeInvitation.objects.filter(
                appointment__patient_id=appointment.patient_id, answered_at__isnull=False
            ).values_list("form__slug", flat=True)
        )
    made = []
    forms = {f.slug: f for f in IntakeForm.objects.filter(slug__in=[a.slug for a in asked])}
    for one in asked:
        if one.slug in answered_before:
            continue
        form = forms[one.slug]
        token = private_token_new(_link_reference(appointment, form), salt=INTAKE_SALT)
        invitation, _created = IntakeInvitation.objects.get_or_create(
            appointment=appointment, form=form, defaults={"token_hash": digest(token)}
        )
        made.append(invitation)
    return made


def invitation_token(invitation: IntakeInvitation) -> str:
    return private_token_for(
        reference=_link_reference(invitation.appointment, invitation.form),
        stored_hash=invitation.token_hash,
        salt=INTAKE_SALT,
    )


def invitation_url(invitation: IntakeInvitation) -> str:
    """The private link for the patient ("" when no current key made it)."""
    from django.urls import reverse

    token = invitation_token(invitation)
    return absolute_url(reverse("booking:intake_link", kwargs={"token": token})) if token else ""


def links_missing(appointment: AppointmentRequest) -> list[dict]:
    """The pre-visit forms still to fill in, with their links, for the patient's e-mails."""
    links = []
    for invitation in (
        appointment.intake_invitations.filter(answered_at__isnull=True)
        .select_related("form", "appointment")
        .order_by("pk")
    ):
        url = invitation_url(invitation)
        if url:
            links.append({"title": invitation.form.title, "url": url})
    return links


def invitation_open(invitation: IntakeInvitation, *, now: datetime) -> bool:
    """Whether the link still opens its form: until its appointment ends, while active."""
    appointment = invitation.appointment
    return (
        appointment.status in ACTIVE_STATUSES
        and appointment.anonymised_at is None
        and now < appointment.ends_at
    )


def invitation_for_token(token: str) -> IntakeInvitation | None:
    if not token or len(token) > 100:
        return None
    return (
        IntakeInvitation.objects.select_related("appointment__treatment", "form")
        .filter(token_hash=digest(token))
        .first()
    )


def invitation_asked(invitation: IntakeInvitation) -> Asked:
    """The form as it is asked now: its latest version."""
    from booking.intake.versions import form_publish

    version = IntakeFormVersion.objects.filter(form=invitation.form).order_by(
        "-number"
    ).first() or form_publish(form=invitation.form)
    return Asked(slug=invitation.form.slug, number=version.number, definition=version.definition)


@transaction.atomic
def invitation_answer(
    *, invitation: IntakeInvitation, asked: Asked, answers: dict, now: datetime, by=None
) -> AppointmentRequest:
    """Keep the answers on the appointment, with the words asked; the form is filled in.

    The appointment row is locked, so two presses (or the patient and front
    desk at once) keep one set of answers for the form: the later replaces it.
    """
    appointment = AppointmentRequest.objects.select_for_update().get(pk=invitation.appointment_id)
    kept = [
        item
        for item in (appointment.answers if isinstance(appointment.answers, list) else [])
        if not (isinstance(item, dict) and item.get("form") == asked.slug)
    ]
    appointment.answers = kept + answers_kept([asked], answers)
    appointment.save(update_fields=["answers", "updated_at"])
    IntakeInvitation.objects.filter(pk=invitation.pk).update(
        answered_at=now, answered_by=by if getattr(by, "is_authenticated", False) else None
    )
    invitation.refresh_from_db()
    return appointment


def on_booked(sender, *, appointment: AppointmentRequest, now: datetime, **kwargs) -> None:
    """Receiver of booking.signals.appointment_booked: ask the pre-visit forms.

    A course's sessions are one patient's one course: its first session asks.
    """
    if appointment.course_id is not None and (appointment.course_session or 1) > 1:
        return
    invitations_create(appointment=appointment)
