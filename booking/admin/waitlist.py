"""The waitlist in the staff workspace: who waits for what, the offers sent, and "offer now".

Scoped like appointments: the front desk sees everyone; a practitioner sees
the people waiting for them or for any practitioner (for a treatment they
offer), the offers of their own time, and offers only their own free time.
Offers themselves are written by the system; staff read them.
"""

from collections import defaultdict
from datetime import date, timedelta

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import Http404, HttpResponseRedirect
from django.urls import path, reverse
from django.utils import dateformat, timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from booking import flow
from booking.admin.pages import AdminPageView
from booking.admin.scoping import (
    PractitionerScopedAdmin,
    ReadOnlyInline,
    RecordOnlyAdmin,
    practitioner_for,
    scope_to_user,
    scope_waitlist,
    sees_everything,
)
from booking.availability import booking_window, clinic_zone
from booking.models import (
    Practitioner,
    WaitlistEntryStatus,
    WaitlistOffer,
    WaitlistOfferStatus,
)
from booking.waitlist.offers import offer_plan
from booking.waitlist.services import waitlist_leave
from booking.waitlist.tasks import offers_make_now

# The "offer now" page lists this many free times at most.
TIMES_SHOWN = 25
# The offers summary above the list covers this many days.
SUMMARY_DAYS = 30


class WantedFilter(admin.SimpleListFilter):
    """Entries by the days they wait for: this week, next week, later."""

    title = gettext_lazy("waiting for")
    parameter_name = "wanted"

    def lookups(self, request, model_admin):
        return [
            ("week", gettext_lazy("This week")),
            ("next", gettext_lazy("Next week")),
            ("later", gettext_lazy("Later")),
        ]

    def queryset(self, request, queryset):
        today = timezone.localdate()
        monday = today - timedelta(days=today.weekday())
        ranges = {
            "week": (today, monday + timedelta(days=6)),
            "next": (monday + timedelta(days=7), monday + timedelta(days=13)),
            "later": (monday + timedelta(days=14), None),
        }
        if self.value() not in ranges:
            return queryset
        first, last = ranges[self.value()]
        queryset = queryset.filter(last_day__gte=first)
        return queryset if last is None else queryset.filter(first_day__lte=last)


class PractitionerFilter(admin.RelatedOnlyFieldListFilter):
    """The practitioners people wait for, and "Any" for those who wait for anyone."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.empty_value_display = _("Any")


# The days and times of day keep each of their two lines whole: the column is
# then as wide as its longest line, and the other cells wrap instead.
NBSP = "\u00a0"
# After a dash, where a line may otherwise break even before a no-break space.
WORD_JOINER = "\u2060"


def days_wanted(first_day: date, last_day: date, *, today: date) -> tuple[str, str]:
    """The days an entry waits for, short for the list and whole for a screen reader.

    ("Thu 10 Dec", "Thursday 10 December 2026") for one day, ("7–18 Dec",
    "7 to 18 December 2026") within a month, ("28 Nov – 3 Dec", ...) across
    months; the short form names the year only when it is not this year's.
    """

    def short(day: date, pattern: str) -> str:
        return dateformat.format(day, pattern).replace(" ", NBSP)

    year = "" if last_day.year == today.year else f"{NBSP}{last_day.year}"
    if first_day == last_day:
        return short(first_day, "D j M") + year, dateformat.format(first_day, "l j F Y")
    if (first_day.year, first_day.month) == (last_day.year, last_day.month):
        shown = f"{first_day.day}–{WORD_JOINER}{short(last_day, 'j M')}{year}"
        spoken = f"{first_day.day} to {dateformat.format(last_day, 'j F Y')}"
        return shown, spoken
    shown = f"{short(first_day, 'j M')}{NBSP}–{WORD_JOINER}{NBSP}{short(last_day, 'j M')}{year}"
    first_spoken = "j F" if first_day.year == last_day.year else "j F Y"
    spoken = (
        f"{dateformat.format(first_day, first_spoken)} to {dateformat.format(last_day, 'j F Y')}"
    )
    return shown, spoken


def short_moment(moment) -> str:
    """ "7 Dec, 16:43" in the clinic's time, with the year when it is not this year's."""
    local = timezone.localtime(moment)
    year = "" if local.year == timezone.localdate().year else f"{NBSP}Y"
    return dateformat.format(local, f"j{NBSP}M{year}, H:i")


def times_of_day(entry) -> str:
    """ "mornings, evenings", or "any time" for all three."""
    parts = entry.times_of_day
    return (_("any time") if len(parts) == 3 else ", ".join(parts)).replace(" ", NBSP)


class OfferInline(ReadOnlyInline):
    model = WaitlistOffer
    fk_name = "entry"
    fields = ["starts_at", "practitioner", "status", "created_at", "expires_at", "appointment"]
    readonly_fields = fields
    verbose_name_plural = gettext_lazy("times offered")


class WaitlistEntryAdmin(PractitionerScopedAdmin):
    # Short cells that may wrap (Django keeps date and foreign-key cells on one
    # line), so a row takes a line or two on a 1280 px laptop beside the filters.
    list_display = [
        "joined",
        "patient_name",
        "treatment_and_practitioner",
        "days",
        "status_and_offers",
    ]
    list_display_links = ["joined", "patient_name"]
    list_filter = [
        "status",
        WantedFilter,
        "treatment",
        ("practitioner", PractitionerFilter),
    ]
    list_select_related = ["treatment", "practitioner"]
    search_fields = ["=reference", "patient_name", "email"]
    ordering = ["created_at", "pk"]
    inlines = [OfferInline]
    change_list_template = "admin/booking/waitlistentry/change_list.html"
    fields = [
        "reference",
        "status",
        "treatment",
        "practitioner",
        "first_day",
        "last_day",
        "mornings",
        "afternoons",
        "evenings",
        "patient",
        "patient_name",
        "email",
        "phone",
        "is_new_patient",
        "reason",
        "created_at",
        "closed_at",
        "appointment",
    ]
    readonly_fields = fields
    actions = ["take_off_the_list"]

    def get_queryset(self, request):
        queryset = admin.ModelAdmin.get_queryset(self, request).annotate(
            offers_sent=Count("offers")
        )
        return scope_waitlist(queryset, request.user)

    def _in_scope(self, request, obj) -> bool:
        if obj is None or sees_everything(request.user):
            return True
        own = practitioner_for(request.user)
        if own is None:
            return False
        if obj.practitioner_id is not None:
            return obj.practitioner_id == own.pk
        return own.treatments.filter(pk=obj.treatment_id).exists()

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        # Nothing on an entry is edited by hand; "change" is for taking people off the list.
        return obj is None and super().has_change_permission(request)

    @admin.display(description=gettext_lazy("joined"))
    def joined(self, obj):
        # The day is enough here: the list is in the order people joined.
        joined_on = timezone.localdate(obj.created_at)
        year = "" if joined_on.year == timezone.localdate().year else f"{NBSP}Y"
        return dateformat.format(joined_on, f"j{NBSP}M{year}")

    @admin.display(
        description=gettext_lazy("treatment and practitioner"), ordering="treatment__name"
    )
    def treatment_and_practitioner(self, obj):
        with_whom = obj.practitioner.name if obj.practitioner else _("anyone")
        return format_html("{}<br>{}", obj.treatment.name, with_whom)

    @admin.display(description=gettext_lazy("waiting for"), ordering="first_day")
    def days(self, obj):
        # Two short lines: the days, then the times of day.
        shown, spoken = days_wanted(obj.first_day, obj.last_day, today=timezone.localdate())
        return format_html(
            '<span aria-hidden="true">{}</span><span class="visually-hidden">{}</span><br>{}',
            shown,
            spoken,
            times_of_day(obj),
        )

    @admin.display(description=gettext_lazy("status, offers"), ordering="status")
    def status_and_offers(self, obj):
        # The offers on a second line, and only when there are some.
        status = obj.get_status_display()
        if not obj.offers_sent:
            return status
        # How they went is on the entry's page, and in the summary above the list.
        offers = ngettext("%(count)d offer", "%(count)d offers", obj.offers_sent) % {
            "count": obj.offers_sent
        }
        return format_html("{}<br>{}", status, offers.replace(" ", NBSP))

    @admin.action(
        description=gettext_lazy("Take the selected people off the waitlist"),
        permissions=["change"],
    )
    def take_off_the_list(self, request, queryset):
        now = timezone.now()
        ids = list(queryset.filter(status=WaitlistEntryStatus.WAITING).values_list("pk", flat=True))
        for entry_id in ids:
            entry = waitlist_leave(entry_id=entry_id, now=now)
            self.log_change(request, entry, [{"changed": {"fields": ["status"]}}])
        self.message_user(
            request,
            ngettext(
                "%(count)d person taken off the waitlist.",
                "%(count)d people taken off the waitlist.",
                len(ids),
            )
            % {"count": len(ids)},
            messages.SUCCESS if ids else messages.WARNING,
        )

    def get_urls(self):
        return [
            path(
                "offer/",
                self.admin_site.admin_view(OfferNowView.as_view(model_admin=self)),
                name="booking_waitlistentry_offer",
            ),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        since = timezone.now() - timedelta(days=SUMMARY_DAYS)
        offers = scope_to_user(
            WaitlistOffer.objects.filter(created_at__gte=since),
            request.user,
            practitioner_path="practitioner",
        ).aggregate(
            sent=Count("pk"),
            claimed=Count("pk", filter=Q(status=WaitlistOfferStatus.CLAIMED)),
            expired=Count("pk", filter=Q(status=WaitlistOfferStatus.EXPIRED)),
            open=Count("pk", filter=Q(status=WaitlistOfferStatus.OPEN)),
        )
        extra_context = {
            **(extra_context or {}),
            # The model's plural is "waitlist", the menu's name for the list;
            # a count of its rows needs "entries" ("Select all 12 waitlist entries").
            "module_name": gettext_lazy("waitlist entries"),
            "offers_summary": offers,
            "summary_days": SUMMARY_DAYS,
            "can_offer": request.user.has_perm("booking.add_waitlistoffer"),
        }
        return super().changelist_view(request, extra_context)


class WaitlistOfferAdmin(RecordOnlyAdmin, PractitionerScopedAdmin):
    """Every time offered from the waitlist: sent, claimed, taken by someone else, expired."""

    # Two short lines a cell, as on the waitlist, so a row fits a 1280 px laptop.
    list_display = [
        "sent",
        "patient_and_treatment",
        "time_offered",
        "status_and_outcome",
        "offered_by_whom",
    ]
    list_display_links = ["sent"]
    list_filter = ["status", ("practitioner", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["entry__treatment", "practitioner", "appointment", "offered_by"]
    search_fields = ["=reference", "entry__patient_name", "entry__email"]
    date_hierarchy = "created_at"
    change_list_template = "admin/booking/waitlistoffer/change_list.html"
    fields = [
        "reference",
        "entry",
        "practitioner",
        "starts_at",
        "ends_at",
        "status",
        "created_at",
        "expires_at",
        "closed_at",
        "appointment",
        "offered_by",
    ]
    readonly_fields = fields

    @admin.display(description=gettext_lazy("sent"), ordering="created_at")
    def sent(self, obj):
        return short_moment(obj.created_at)

    @admin.display(
        description=gettext_lazy("patient and treatment"), ordering="entry__patient_name"
    )
    def patient_and_treatment(self, obj):
        return format_html("{}<br>{}", obj.entry.patient_name, obj.entry.treatment.name)

    @admin.display(description=gettext_lazy("time offered"), ordering="starts_at")
    def time_offered(self, obj):
        starts = timezone.localtime(obj.starts_at)
        return format_html(
            "{}<br>{}", dateformat.format(starts, "D j M, H:i"), obj.practitioner.name
        )

    @admin.display(description=gettext_lazy("status"), ordering="status")
    def status_and_outcome(self, obj):
        status = obj.get_status_display()
        if obj.appointment is not None:
            return format_html(
                '{}<br><a href="{}">{}</a>',
                status,
                reverse("admin:booking_appointmentrequest_change", args=[obj.appointment_id]),
                obj.appointment.reference,
            )
        if obj.status == WaitlistOfferStatus.OPEN:
            until = _("until %(moment)s") % {"moment": short_moment(obj.expires_at)}
            return format_html("{}<br>{}", status, until)
        return status

    @admin.display(description=gettext_lazy("offered by"))
    def offered_by_whom(self, obj):
        if obj.offered_by is None:
            return _("automatically")
        return obj.offered_by.get_full_name() or obj.offered_by.get_username()


class OfferNowView(AdminPageView):
    """Free times that people on the waitlist are waiting for, each with "Offer now"."""

    title = gettext_lazy("Offer a free time now")
    template_name = "admin/booking/waitlistentry/offer.html"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.has_perm("booking.add_waitlistoffer"):
            raise PermissionDenied
        self.practitioner_ids = None
        if not sees_everything(request.user):
            own = practitioner_for(request.user)
            self.practitioner_ids = [own.pk] if own else []
        return super().dispatch(request, *args, **kwargs)

    def get(self, request):
        now = timezone.now()
        rows = []
        if self.practitioner_ids != []:
            _earliest, latest = booking_window(now=now)
            grouped = defaultdict(list)
            for planned in offer_plan(
                now=now,
                window_start=now,
                window_end=latest,
                practitioner_ids=self.practitioner_ids,
            ):
                grouped[(planned.starts_at, planned.practitioner_id)].append(planned)
            names = dict(
                Practitioner.objects.filter(pk__in={pid for _start, pid in grouped}).values_list(
                    "pk", "name"
                )
            )
            for (starts_at, practitioner_id), planned in sorted(grouped.items())[:TIMES_SHOWN]:
                rows.append(
                    {
                        "starts_at": starts_at,
                        "practitioner": names[practitioner_id],
                        "practitioner_id": practitioner_id,
                        "start": flow.start_format(starts_at),
                        "entries": [p.entry for p in planned],
                    }
                )
        return self.render(self.template_name, rows=rows, zone=clinic_zone())

    def post(self, request):
        now = timezone.now()
        starts_at = flow.start_parse(request.POST.get("start", ""))
        try:
            practitioner_id = int(request.POST.get("practitioner", ""))
        except ValueError:
            practitioner_id = None
        if starts_at is None or practitioner_id is None:
            raise Http404(_("There is no such time."))
        if self.practitioner_ids is not None and practitioner_id not in self.practitioner_ids:
            raise Http404(_("There is no such time, or it is not yours to offer."))
        offers = offers_make_now(
            now=now,
            window_start=starts_at,
            window_end=starts_at + timedelta(minutes=1),
            practitioner_ids=[practitioner_id],
            only_start=starts_at,
            by=request.user,
        )
        when = timezone.localtime(starts_at).strftime("%a %d %b %H:%M")
        if offers:
            messages.success(
                request,
                ngettext(
                    "%(when)s offered to %(count)d person: %(names)s.",
                    "%(when)s offered to %(count)d people: %(names)s.",
                    len(offers),
                )
                % {
                    "when": when,
                    "count": len(offers),
                    "names": ", ".join(offer.entry.patient_name for offer in offers),
                },
            )
        else:
            messages.warning(
                request,
                _(
                    "%(when)s was not offered: it is no longer free, or everyone waiting for it "
                    "has an offer already."
                )
                % {"when": when},
            )
        return HttpResponseRedirect(reverse("admin:booking_waitlistentry_offer"))
