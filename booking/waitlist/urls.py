"""The waitlist's pages, included by booking/urls.py into its "booking:" namespace."""

from django.urls import path

from booking.waitlist import views as waitlist_views

urlpatterns = [
    # Joining, then a place and its offers behind private links.
    path("book/waitlist/", waitlist_views.join, name="waitlist_join"),
    path("book/waitlist/link/<str:token>/", waitlist_views.waitlist_link, name="waitlist_link"),
    path(
        "book/waitlist/<str:reference>/",
        waitlist_views.WaitlistEntryView.as_view(),
        name="waitlist_entry",
    ),
    path(
        "book/waitlist/<str:reference>/leave/",
        waitlist_views.WaitlistLeaveView.as_view(),
        name="waitlist_leave",
    ),
    path("book/offer/link/<str:token>/", waitlist_views.offer_link, name="offer_link"),
    path("book/offer/<str:reference>/", waitlist_views.OfferView.as_view(), name="offer"),
]
