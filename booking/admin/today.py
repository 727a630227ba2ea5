"""Today: the admin's front page for the front desk and practitioners.

Today's appointments per practitioner with one-click arrived / completed /
no-show (offered only when the time makes sense), then the requests waiting,
the people on the waitlist, the e-mails that could not be sent and tomorrow's
first appointments. A
practitioner sees only their own. A constant handful of queries.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from booking import services
from booking.admin.schedule_reads import SHOWN_STATUSES, local_midnight
from booking.admin.scoping import scope_to_user, scope_waitlist
from booking.admin.undo import back_to, latest_change, report_with_undo
from booking.availability import clinic_zone
from booking.errors import BookingError
from booking.models import (
    ACTIVE_STATUSES,
    AppointmentRequest,
    AppointmentStatus,
    Notification,
    NotificationStatus,
    Practitioner,
    WaitlistEntry,
    WaitlistOffer,
)

# The one-click outcomes, as the buttons say them.
MARKS = {
    "arrived": gettext_lazy("Arrived"),
    "completed": gettext_lazy("Completed"),
    "no_show": gettext_lazy("No-show"),
}
WAITING_SHOWN = 15
FAILED_SHOWN = 10


def mark_refusal(*, appointment: AppointmentRequest, mark: str, now: datetime) -> str:
    """Why this one-click mark cannot be made now, or "" when it can."""
    if mark == "arrived":
        return services.arrival_refusal(appointment=appointment, now=now)
    return services.status_change_refusal(appointment=appointment, to_status=mark, now=now)


@dataclass
class TodayRow:
    appointment: AppointmentRequest
    marks: list[tuple[str, str]] = field(default_factory=list)  # (value, label), valid now


@dataclass
class TodayBoard:
    day: date
    columns: list[tuple[Practitioner, list[TodayRow]]]
    waiting: list[AppointmentRequest]
    waiting_count: int
    failed: list[Notification]
    failed_count: int
    tomorrow: list[AppointmentRequest]
    can_change: bool
    can_book: bool
    # People on the waitlist (None: the user does not see the waitlist), and open offers.
    waitlist_count: int | None = None
    offers_open: int = 0
    can_offer: bool = False


def today_board(*, user, now: datetime) -> TodayBoard | None:
    """What the user needs at hand today, or None when they do not handle appointments."""
    if not user.has_perm("booking.view_appointmentrequest"):
        return None
    appointments = scope_to_user(
        AppointmentRequest.objects.select_related(
            "treatment", "practitioner", "patient", "course"
        ).with_forms_missing(),
        user,
        practitioner_path="practitioner",
    )
    day = now.astimezone(clinic_zone()).date()
    start, end = local_midnight(day), local_midnight(day + timedelta(days=1))

    columns: dict[int, tuple[Practitioner, list[TodayRow]]] = {}
    for appointment in appointments.filter(
        starts_at__gte=start, starts_at__lt=end, status__in=SHOWN_STATUSES
    ).order_by("practitioner__sort_order", "practitioner__name", "starts_at"):
        row = TodayRow(
            appointment,
            marks=[
                (mark, str(label))
                for mark, label in MARKS.items()
                if not mark_refusal(appointment=appointment, mark=mark, now=now)
            ],
        )
        practitioner = appointment.practitioner
        columns.setdefault(practitioner.pk, (practitioner, []))[1].append(row)

    waiting = appointments.filter(status=AppointmentStatus.REQUESTED, starts_at__gt=now).order_by(
        "created_at"
    )
    failed = scope_to_user(
        Notification.objects.filter(status=NotificationStatus.GAVE_UP).select_related(
            "appointment", "waitlist_entry__treatment", "offer__practitioner"
        ),
        user,
        practitioner_path="appointment__practitioner",
    )
    can_see_emails = user.has_perm("booking.view_notification")
    tomorrow = sorted(
        appointments.filter(
            status__in=ACTIVE_STATUSES,
            starts_at__gte=end,
            starts_at__lt=local_midnight(day + timedelta(days=2)),
        )
        .order_by("practitioner_id", "starts_at")
        .distinct("practitioner_id"),
        key=lambda a: (a.starts_at, a.practitioner.sort_order, a.practitioner.name),
    )
    waitlist_count, offers_open = None, 0
    if user.has_perm("booking.view_waitlistentry"):
        waitlist_count = scope_waitlist(WaitlistEntry.objects.waiting(today=day), user).count()
        offers_open = scope_to_user(
            WaitlistOffer.objects.open(now=now), user, practitioner_path="practitioner"
        ).count()
    return TodayBoard(
        day=day,
        columns=list(columns.values()),
        waiting=list(waiting[:WAITING_SHOWN]),
        waiting_count=waiting.count(),
        failed=list(failed.order_by("-created_at")[:FAILED_SHOWN]) if can_see_emails else [],
        failed_count=failed.count() if can_see_emails else 0,
        tomorrow=tomorrow,
        can_change=user.has_perm("booking.change_appointmentrequest"),
        can_book=user.has_perm("booking.add_appointmentrequest"),
        waitlist_count=waitlist_count,
        offers_open=offers_open,
        can_offer=user.has_perm("booking.add_waitlistoffer"),
    )


class TodayMarkView(View):
    """One click on the Today page: arrived, completed or no-show (POST, CSRF-protected)."""

    model_admin = None
    http_method_names = ["post"]

    def post(self, request, appointment_id):
        mark = request.POST.get("mark", "")
        if mark not in MARKS:
            raise Http404(_("There is no such mark."))
        appointment = self.model_admin.get_queryset(request).filter(pk=appointment_id).first()
        if appointment is None:
            raise Http404(_("There is no such appointment, or it is not yours to see."))
        if not self.model_admin.has_change_permission(request, appointment):
            raise PermissionDenied
        now = timezone.now()
        back = back_to(request, reverse("admin:index") + f"#appointment-{appointment.pk}")
        try:
            if mark == "arrived":
                changed = services.appointment_mark_arrived(
                    appointment_id=appointment.pk, now=now, by=request.user
                )
            else:
                changed = services.appointment_change_status(
                    appointment_id=appointment.pk, to_status=mark, now=now, by=request.user
                )
        except BookingError as error:
            messages.error(request, str(error))
        else:
            self.model_admin.log_change(request, changed, [{"changed": {"fields": [mark]}}])
            report_with_undo(
                request,
                _("%(name)s (%(reference)s): %(mark)s.")
                % {
                    "name": changed.patient_name,
                    "reference": changed.reference,
                    "mark": str(MARKS[mark]).lower(),
                },
                [latest_change(changed)],
                then=back,
            )
        return HttpResponseRedirect(back)
