from django.urls import path

from booking import views

app_name = "booking"

urlpatterns = [
    path("book/", views.BookingStartView.as_view(), name="start"),
    path("team/", views.PractitionerListView.as_view(), name="practitioner_list"),
    path("team/<slug:slug>/", views.PractitionerDetailView.as_view(), name="practitioner_detail"),
]
