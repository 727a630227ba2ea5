from django.urls import path

from booking import feeds, views

app_name = "booking"

urlpatterns = [
    path("book/", views.start, name="start"),
    path("book/practitioner/", views.practitioner_step, name="practitioner"),
    path("book/time/", views.time_step, name="time"),
    path("book/details/", views.details_step, name="details"),
    path("book/confirm/", views.confirm, name="confirm"),
    path("book/booked/<str:token>/", views.confirmed, name="confirmed"),
    path("book/manage/<str:token>/", views.manage, name="manage"),
    path("book/manage/<str:token>/cancel/", views.CancelView.as_view(), name="cancel"),
    path("book/manage/<str:token>/move/", views.RescheduleView.as_view(), name="reschedule"),
    path("book/manage/<str:token>/appointment.ics", views.ics, name="ics"),
    path(
        "calendar/<str:token>.ics",
        feeds.practitioner_calendar_feed,
        name="practitioner_calendar",
    ),
    path("team/", views.PractitionerListView.as_view(), name="practitioner_list"),
    path("team/<slug:slug>/", views.PractitionerDetailView.as_view(), name="practitioner_detail"),
]
