"""The staff workspace's own pages, and the one place their URLs are registered.

Each page is a view given the ModelAdmin it works for (for its permissions and
scoped querysets) and served behind the admin's login. The appointment admin
carries the diary's pages: the schedule (day, week, slot blocking), phone-in
booking, moving an appointment, Today's one-click marks and the exports.
"""

from django.urls import path

from booking.admin import (
    exports,
    intake_pages,
    move,
    phone_in,
    repeat,
    schedule,
    slots,
    today,
    undo,
)

# (route under the appointment admin, view, URL name in the admin namespace)
APPOINTMENT_PAGES = [
    ("schedule/", schedule.ScheduleDayView, "booking_schedule_day"),
    ("schedule/week/", schedule.ScheduleWeekView, "booking_schedule_week"),
    ("schedule/slots/<int:slot_id>/block/", slots.SlotBlockView, "booking_schedule_block_slot"),
    ("phone-in/", phone_in.PhoneInBookingView, "booking_appointmentrequest_phone_in"),
    ("<int:appointment_id>/move/", move.MoveAppointmentView, "booking_appointmentrequest_move"),
    (
        "<int:appointment_id>/repeat/",
        repeat.RepeatAppointmentView,
        "booking_appointmentrequest_repeat",
    ),
    ("today/<int:appointment_id>/", today.TodayMarkView, "booking_today_mark"),
    ("undo/", undo.StatusUndoView, "booking_status_undo"),
    (
        "<int:appointment_id>/correct-status/",
        undo.StatusCorrectView,
        "booking_appointmentrequest_correct_status",
    ),
    (
        "<int:appointment_id>/answers/",
        intake_pages.AnswersPrintView,
        "booking_appointmentrequest_answers",
    ),
    (
        "<int:appointment_id>/forms/<int:invitation_id>/",
        intake_pages.PreVisitFillView,
        "booking_appointmentrequest_intake_fill",
    ),
    ("export.csv", exports.AppointmentExportView, "booking_appointmentrequest_export"),
    (
        "access-request/",
        exports.AccessRequestView,
        "booking_appointmentrequest_access_request",
    ),
]


def page_urls(model_admin, pages) -> list:
    """URL patterns for `pages`, each view working for `model_admin` behind the admin's login."""
    admin_view = model_admin.admin_site.admin_view
    return [
        path(route, admin_view(view.as_view(model_admin=model_admin)), name=name)
        for route, view, name in pages
    ]
