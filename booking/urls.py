from django.urls import include, path

from booking import feeds, lookup_views, manage_views, team_views, views
from booking.intake import views as intake_views

app_name = "booking"

urlpatterns = [
    path("book/", views.start, name="start"),
    path("book/practitioner/", views.practitioner_step, name="practitioner"),
    path("book/time/", views.time_step, name="time"),
    path("book/course/", views.course_step, name="course"),
    path("book/details/", views.details_step, name="details"),
    path("book/review/", views.review_step, name="review"),
    path("book/confirm/", views.confirm, name="confirm"),
    # "Find my booking": the private links again, by e-mail, to a known address only.
    path("book/manage/", lookup_views.find, name="find"),
    # The private link from e-mails: swapped for a session grant and a clean address.
    path("book/manage/<str:token>/", manage_views.manage, name="manage"),
    path("book/forms/<str:token>/", intake_views.intake_link, name="intake_link"),
    path("book/forms/answer/<int:number>/", intake_views.intake_answer, name="intake_answer"),
    path("book/manage/<str:token>/appointment.ics", manage_views.ics, name="ics"),
    # Clean addresses, open only to the session that opened the private link.
    path("book/booked/<str:reference>/", manage_views.ConfirmedView.as_view(), name="confirmed"),
    path("book/course-booked/<str:reference>/", views.course_booked, name="course_booked"),
    path(
        "book/appointment/<str:reference>/",
        manage_views.AppointmentView.as_view(),
        name="appointment",
    ),
    path(
        "book/appointment/<str:reference>/cancel/", manage_views.CancelView.as_view(), name="cancel"
    ),
    path(
        "book/appointment/<str:reference>/move/",
        manage_views.RescheduleView.as_view(),
        name="reschedule",
    ),
    path(
        "book/appointment/<str:reference>/appointment.ics",
        manage_views.AppointmentIcsView.as_view(),
        name="appointment_ics",
    ),
    # The waitlist's own pages, in the same "booking:" namespace; included by
    # name so the core imports nothing of the waitlist.
    path("", include("booking.waitlist.urls")),
    # A practitioner's private calendar subscription (token stored hashed).
    path(
        "calendar/<str:token>.ics",
        feeds.practitioner_calendar_feed,
        name="practitioner_calendar",
    ),
    path("team/", team_views.PractitionerListView.as_view(), name="practitioner_list"),
    path(
        "team/<slug:slug>/",
        team_views.PractitionerDetailView.as_view(),
        name="practitioner_detail",
    ),
]
