"""The waitlist's pages: join, see or leave a place, claim an offered time; and "find my booking".

Private links work like an appointment's (booking.manage_views): the token
from the e-mail is swapped at once for a grant in the session and a clean
address, and the pages are never cached, indexed or leaked in a Referer.
Claiming books only on a POST, so a link scanner that opens every link in an
e-mail claims nothing. Everything works without JavaScript.
"""

from datetime import timedelta

from django.contrib import messages
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.cache import never_cache

from booking import flow, session
from booking.availability import clinic_zone, late_cancellation_from
from booking.errors import AlreadyBookedError, BookingError, OfferClosedError
from booking.formats import zone_label
from booking.forms import ANY_PRACTITIONER, details_initial
from booking.intake.fields import versions_posted
from booking.intake.questions import booking_forms
from booking.manage_views import REFERENCE, TOKEN, link_needed, private_page
from booking.models import (
    Practitioner,
    WaitlistEntry,
    WaitlistEntryStatus,
    WaitlistOffer,
    WaitlistOfferStatus,
)
from booking.ratelimit import booking_attempt, booking_made, sender_attempt
from booking.selectors import nearest_start_times
from booking.services import PatientDetails
from booking.tokens import digest
from booking.waitlist.forms import TIMES_OF_DAY, ClaimForm, WaitlistJoinForm
from booking.waitlist.offers import free_times_for
from booking.waitlist.services import (
    last_waitlist_day,
    offer_claim,
    offer_closed_message,
    waitlist_join,
    waitlist_leave,
)
from clinic.identity import get_clinic

# How many days a new waitlist place covers unless the patient says otherwise.
DEFAULT_DAYS = 14

WAITLIST, OFFER = "waitlist", "offer"


def _grant_key(kind: str, reference: str) -> str:
    """Grants share the session with appointments', so each kind has its own names."""
    return f"{kind}:{reference}"


def _see_other(url: str) -> HttpResponseRedirect:
    response = HttpResponseRedirect(url)
    response.status_code = 303  # the next page is fetched with GET
    return response


# --- Joining ----------------------------------------------------------------------------


def _join_initial(params, request, now) -> dict:
    """The form as the time picker (or a "just taken" page) leaves it: choice, week, details.

    "Change the days or times" from a place on the list (`?change=<reference>`,
    for the session that opened it) starts from everything that place holds.
    """
    changing = _changing(params.get("change", ""), request)
    if changing is not None:
        return {
            "treatment": changing.treatment.slug,
            "practitioner": changing.practitioner.slug
            if changing.practitioner
            else ANY_PRACTITIONER,
            "first_day": max(changing.first_day, now.astimezone(clinic_zone()).date()),
            "last_day": changing.last_day,
            "times_of_day": [name for name, _label in TIMES_OF_DAY if getattr(changing, name)],
            **_contact_initial(PatientDetails.of(changing)),
        }
    choice = flow.choice_parse(params)
    today = now.astimezone(clinic_zone()).date()
    last_possible = last_waitlist_day(now=now)
    first = flow.date_parse(params.get("week", "")) or today
    first = min(max(first, today), last_possible)
    initial = {
        "first_day": first,
        "last_day": min(first + timedelta(days=DEFAULT_DAYS - 1), last_possible),
        "times_of_day": [name for name, _label in TIMES_OF_DAY],
        "practitioner": ANY_PRACTITIONER,
    }
    if choice.treatment and not choice.error:
        initial["treatment"] = choice.treatment.slug
        if choice.practitioner and not choice.any_practitioner:
            initial["practitioner"] = choice.practitioner.slug
    draft = session.draft_get(request)
    if draft is not None:
        # Typed a moment ago in the booking flow: not typed again.
        initial.update(_contact_initial(draft.details))
    return initial


def _contact_initial(details: PatientDetails) -> dict:
    """Name, contact and visit fields prefilled; consent is always asked again."""
    initial = details_initial(details)
    return {name: initial[name] for name in ("name", "email", "phone", "patient_type", "reason")}


def _places_opened_here(request) -> set[str]:
    """The places on the list whose private link this session opened: only they may change."""
    prefix = _grant_key(WAITLIST, "")
    return {
        key.removeprefix(prefix)
        for key in session.granted_keys(request)
        if key.startswith(prefix) and session.granted(request, key)
    }


def _changing(reference: str, request) -> WaitlistEntry | None:
    if not (
        REFERENCE.match(reference) and session.granted(request, _grant_key(WAITLIST, reference))
    ):
        return None
    return (
        WaitlistEntry.objects.select_related("treatment", "practitioner")
        .filter(reference=reference, status=WaitlistEntryStatus.WAITING)
        .first()
    )


@never_cache
def join(request):
    """Join the waitlist: a GET form prefilled from the booking flow, then one POST."""
    now = timezone.now()
    if request.method == "POST":
        form = WaitlistJoinForm(data=request.POST, now=now)
        if form.is_valid():
            return _join(request, form, now)
        return _join_page(request, form, status=400 if form.is_spam else 200)
    form = WaitlistJoinForm(initial=_join_initial(request.GET, request, now), now=now)
    return _join_page(request, form)


def _join_page(request, form, *, status=200, notice=""):
    # Back to the times of the treatment and practitioner chosen, if they are real ones.
    chosen = form.data if form.is_bound else form.initial
    choice = flow.choice_parse(
        {"treatment": chosen.get("treatment"), "practitioner": chosen.get("practitioner")}
    )
    back = reverse("booking:start")
    if choice.treatment and not choice.error:
        back = flow.url("booking:time", **choice.params())
    return render(
        request,
        "booking/waitlist_join.html",
        {"form": form, "notice": notice, "back_url": back, "zone_label": zone_label()},
        status=status,
    )


def _join(request, form, now):
    data = form.cleaned_data
    # A join is no booking: it slows its sender, and never counts against the
    # address typed in (the service limits how many places an address holds).
    refusal = sender_attempt(request=request, now=now)
    if refusal is not None:
        response = _join_page(
            request,
            form,
            status=429,
            notice=refusal.try_again(what="your request", zone=clinic_zone()),
        )
        response["Retry-After"] = str(refusal.retry_after)
        return response
    try:
        entry, created = waitlist_join(
            treatment=data["treatment"],
            practitioner=form.chosen_practitioner,
            first_day=data["first_day"],
            last_day=data["last_day"],
            times_of_day=form.times_of_day_wanted,
            details=form.patient_details(),
            now=now,
            privacy_notice_version=get_clinic().privacy_notice_version or "unversioned",
            owned_references=_places_opened_here(request),
        )
    except BookingError as error:
        form.add_error(None, str(error))
        return _join_page(request, form, status=400)
    session.grant(request, _grant_key(WAITLIST, entry.reference))
    if created:
        messages.success(
            request,
            "You are on the waitlist. We have e-mailed you a confirmation with a private link "
            "to this page.",
        )
    else:
        messages.success(
            request,
            f"You were already on the waitlist for {entry.treatment.name.lower()}: we have "
            "changed your days and times, and you keep your place in the line.",
        )
    return _see_other(reverse("booking:waitlist_entry", kwargs={"reference": entry.reference}))


# --- A place on the waitlist, from its private link ------------------------------------


def _token_lookup(model, token: str):
    found = (
        model.objects.filter(token_hash=digest(token)).only("reference").first()
        if TOKEN.match(token)
        else None
    )
    if found is None:
        raise Http404("No page has this link.")
    return found


@never_cache
def waitlist_link(request, token):
    entry = _token_lookup(WaitlistEntry, token)
    session.grant(request, _grant_key(WAITLIST, entry.reference))
    return private_page(redirect("booking:waitlist_entry", reference=entry.reference))


@never_cache
def offer_link(request, token):
    """The link in an offer e-mail: only opens the page; booking needs the button on it."""
    offer = _token_lookup(WaitlistOffer, token)
    session.grant(request, _grant_key(OFFER, offer.reference))
    return private_page(redirect("booking:offer", reference=offer.reference))


class WaitlistPage(View):
    """A page of one waitlist place, for a session that opened its private link."""

    referrer = "no-referrer"

    def dispatch(self, request, reference):
        if not REFERENCE.match(reference):
            raise Http404("No waitlist place has this address.")
        self.now = timezone.now()
        if not session.granted(request, _grant_key(WAITLIST, reference)):
            return link_needed(request, what="waitlist place")
        self.entry = (
            WaitlistEntry.objects.select_related("treatment", "practitioner")
            .filter(reference=reference, anonymised_at__isnull=True)
            .first()
        )
        if self.entry is None:
            raise Http404("No waitlist place has this address.")
        return super().dispatch(request, reference)

    def page(self, template, context=None, *, status=200, referrer=None):
        response = render(
            self.request,
            template,
            {"entry": self.entry, "zone_label": zone_label(), **(context or {})},
            status=status,
        )
        return private_page(response, referrer=referrer or self.referrer)


@method_decorator(never_cache, name="dispatch")
class WaitlistEntryView(WaitlistPage):
    def get(self, request, reference):
        entry, now = self.entry, self.now
        waiting = entry.is_waiting and entry.last_day >= now.astimezone(clinic_zone()).date()
        offers = list(
            entry.offers.open(now=now).select_related("practitioner").order_by("starts_at")
        )
        for offer in offers:
            # The owner of the place may open its offers from here too.
            session.grant(request, _grant_key(OFFER, offer.reference))
        free_now = free_times_for(entry, now=now) if waiting else []
        if free_now:
            # Booking one of them from here: the details step is filled in already.
            _draft_from(request, entry)
        return self.page(
            "booking/waitlist_entry.html",
            {
                "waiting": waiting,
                "offers": offers,
                "free_now": [
                    (offered, _booking_url(entry, offered.practitioner, offered.starts_at))
                    for offered in free_now
                ],
                "change_url": flow.url("booking:waitlist_join", change=entry.reference),
            },
        )


@method_decorator(never_cache, name="dispatch")
class WaitlistLeaveView(WaitlistPage):
    """GET asks "are you sure?"; only the POST takes the place off the list."""

    referrer = "same-origin"

    def get(self, request, reference):
        return self.page("booking/waitlist_leave.html")

    def post(self, request, reference):
        if self.entry.is_waiting:
            waitlist_leave(entry_id=self.entry.pk, now=self.now)
            messages.success(request, "You have left the waitlist. We will not offer you times.")
        return redirect("booking:waitlist_entry", reference=reference)


# --- Claiming an offered time --------------------------------------------------------------


@method_decorator(never_cache, name="dispatch")
class OfferView(View):
    """The offered time, checked like the last step of a booking: only the POST books."""

    def dispatch(self, request, reference):
        if not REFERENCE.match(reference):
            raise Http404("No offer has this address.")
        self.now = timezone.now()
        self.offer = (
            WaitlistOffer.objects.select_related(
                "practitioner", "entry__treatment", "entry__practitioner", "appointment"
            )
            .filter(reference=reference, entry__anonymised_at__isnull=True)
            .first()
        )
        allowed = session.granted(request, _grant_key(OFFER, reference)) or (
            self.offer is not None
            and session.granted(request, _grant_key(WAITLIST, self.offer.entry.reference))
        )
        if not allowed:
            return link_needed(request, what="offer")
        if self.offer is None:
            raise Http404("No offer has this address.")
        self.entry = self.offer.entry
        return super().dispatch(request, reference)

    def get(self, request, reference):
        closed = offer_closed_message(self.offer, now=self.now)
        if closed:
            return self.closed_page(closed)
        return self.claim_page(ClaimForm(asked=booking_forms(self.entry.treatment)))

    def post(self, request, reference):
        form = ClaimForm(
            data=request.POST,
            asked=booking_forms(self.entry.treatment, versions_posted(request.POST)),
        )
        if form.is_spam:
            return self.claim_page(form, status=400, error="We could not accept this form.")
        if self.offer.status == WaitlistOfferStatus.CLAIMED and self.offer.appointment:
            # Pressed again after the booking was made: that booking, nothing more.
            return self.confirmed(self.offer.appointment)
        closed = offer_closed_message(self.offer, now=self.now)
        if closed:
            return self.closed_page(closed, status=409)
        if not form.is_valid():
            return self.claim_page(form)
        refusal = booking_attempt(request=request, email=self.entry.email, now=self.now)
        if refusal is not None:
            response = self.claim_page(
                form, status=429, error=refusal.try_again(what="your booking", zone=clinic_zone())
            )
            response["Retry-After"] = str(refusal.retry_after)
            return response
        try:
            appointment = offer_claim(
                offer_id=self.offer.pk,
                answers=form.answers(),
                versions=form.versions(),
                now=self.now,
            )
        except AlreadyBookedError as error:
            return self.confirmed(error.appointment)
        except OfferClosedError as error:
            self.offer.refresh_from_db()
            return self.closed_page(str(error), status=409)
        except BookingError as error:
            return self.claim_page(form, status=400, error=str(error))
        booking_made(email=self.entry.email, now=self.now)
        return self.confirmed(appointment)

    def confirmed(self, appointment):
        session.grant(self.request, appointment.reference)
        return redirect("booking:confirmed", reference=appointment.reference)

    def _page(self, template, context, status):
        response = render(
            self.request,
            template,
            {
                "offer": self.offer,
                "entry": self.entry,
                "treatment": self.entry.treatment,
                "zone_label": zone_label(),
                "is_request": self.entry.treatment.requires_confirmation,
                "late": self.offer.starts_at < late_cancellation_from(now=self.now),
                **context,
            },
            status=status,
        )
        # The page holds a POST form: "same-origin" keeps CSRF's Origin check working.
        return private_page(response, referrer="same-origin")

    def claim_page(self, form, *, status=200, error=""):
        return self._page("booking/offer_claim.html", {"form": form, "error": error}, status)

    def closed_page(self, message, *, status=200):
        offer, entry = self.offer, self.entry
        booked = offer.appointment if offer.status == WaitlistOfferStatus.CLAIMED else None
        if booked is not None:
            session.grant(self.request, booked.reference)
        waiting = entry.is_waiting and entry.last_day >= self.now.astimezone(clinic_zone()).date()
        nearest = []
        if booked is None and entry.treatment.is_active:
            nearest = nearest_start_times(
                treatment=entry.treatment,
                practitioner=entry.practitioner,
                around=offer.starts_at,
                now=self.now,
            )
            # Booking one of them from here: the details step is filled in already.
            _draft_from(self.request, entry)
        return self._page(
            "booking/offer_closed.html",
            {
                "message": message,
                "booked": booked,
                "waiting": waiting,
                "nearest": [
                    (time, _booking_url(entry, time.practitioner, time.starts_at))
                    for time in nearest
                ],
                "entry_granted": session.granted(
                    self.request, _grant_key(WAITLIST, entry.reference)
                ),
            },
            status,
        )


def _draft_from(request, entry: WaitlistEntry) -> None:
    """The entry's details, kept for the booking flow as if typed there a while ago."""
    session.draft_save(
        request, details=PatientDetails.of(entry), started=0, asked=False, choice_params={}
    )


def _booking_url(entry: WaitlistEntry, practitioner: Practitioner, starts_at) -> str:
    """The details step of the booking flow for one of the nearest free times."""
    if entry.practitioner_id:
        return flow.url(
            "booking:details",
            treatment=entry.treatment.slug,
            practitioner=practitioner.slug,
            start=flow.start_format(starts_at),
        )
    return flow.url(
        "booking:details",
        treatment=entry.treatment.slug,
        practitioner=ANY_PRACTITIONER,
        **{"with": practitioner.slug},
        start=flow.start_format(starts_at),
    )
