from django.views.generic import DetailView, ListView, TemplateView

from booking.models import Practitioner


class BookingStartView(TemplateView):
    template_name = "booking/start.html"


class PractitionerListView(ListView):
    template_name = "booking/practitioner_list.html"
    context_object_name = "practitioners"

    def get_queryset(self):
        return Practitioner.objects.active().prefetch_related("treatments")


class PractitionerDetailView(DetailView):
    template_name = "booking/practitioner_detail.html"
    context_object_name = "practitioner"

    def get_queryset(self):
        return Practitioner.objects.active().prefetch_related("treatments")
