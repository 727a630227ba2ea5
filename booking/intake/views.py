"""The pre-visit form a patient opens from their e-mail.

The link's token leaves the address bar at once (as the manage link's
does): it grants this browser session the one invitation, then redirects to
a page named by the invitation's number, which opens only with that grant.
"""

from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache

from booking import session
from booking.formats import zone_label
from booking.forms import Honeypot
from booking.intake.fields import IntakeQuestionsMixin, add_intake_fields
from booking.intake.invitations import (
    intake_grant_key,
    invitation_answer,
    invitation_asked,
    invitation_for_token,
    invitation_open,
)
from booking.manage_views import link_needed, private_page
from booking.models import IntakeInvitation
from booking.step_pages import posted_values, see_other, sent_again


class PreVisitForm(IntakeQuestionsMixin, Honeypot):
    """One intake form's questions, nothing else."""

    def __init__(self, *args, asked, staff: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.asked = [asked]
        add_intake_fields(self, self.asked, staff=staff)
        if staff:
            del self.fields["website"]


@never_cache
def intake_link(request, token):
    invitation = invitation_for_token(token)
    if invitation is None:
        return private_page(render(request, "booking/link_expired.html", {}, status=404))
    if not invitation_open(invitation, now=timezone.now()):
        return private_page(render(request, "booking/link_expired.html", {}, status=410))
    session.grant(request, intake_grant_key(invitation.pk))
    return redirect("booking:intake_answer", number=invitation.pk)


def _page(request, template, context, status=200):
    return private_page(
        render(request, template, {"zone_label": zone_label(), **context}, status=status),
        referrer="same-origin",
    )


@never_cache
def intake_answer(request, number):
    if number > 2**31 or not session.granted(request, intake_grant_key(number)):
        return link_needed(request, what="form")
    invitation = (
        IntakeInvitation.objects.select_related(
            "appointment__treatment", "appointment__practitioner", "form"
        )
        .filter(pk=number)
        .first()
    )
    if invitation is None:
        raise Http404("No form has this address.")
    now = timezone.now()
    context = {"invitation": invitation, "appointment": invitation.appointment}
    if not invitation_open(invitation, now=now):
        return private_page(render(request, "booking/link_expired.html", {}, status=410))
    if invitation.answered_at is not None:
        return _page(request, "booking/intake_done.html", context)
    asked = invitation_asked(invitation)
    if request.method == "POST":
        form = PreVisitForm(data=request.POST, asked=asked)
        if form.is_spam:
            return _page(request, "booking/intake_form.html", {**context, "form": form}, 400)
        if form.is_valid():
            session.attempt_clear(request)
            invitation_answer(invitation=invitation, asked=asked, answers=form.answers(), now=now)
            return redirect("booking:intake_answer", number=invitation.pk)
        # Mistakes are shown by a GET page too, so that Back never asks to resend the form;
        # what was typed waits in the session, encrypted, as the booking details do.
        session.attempt_save(
            request,
            data=posted_values(form.data),
            errors=form.errors.get_json_data(),
            choice_params={"intake": invitation.pk},
        )
        return see_other(reverse("booking:intake_answer", args=[invitation.pk]) + "?check=1")
    attempt = None
    if request.GET.get("check"):
        attempt = session.attempt_get(request, choice_params={"intake": invitation.pk})
    if attempt:
        form = sent_again(lambda query: PreVisitForm(data=query, asked=asked), *attempt)
    else:
        form = PreVisitForm(asked=asked)
    return _page(request, "booking/intake_form.html", {**context, "form": form})
