"""Our team: the practitioners' public pages, each with when they are next free."""

from django.urls import reverse
from django.utils import timezone
from django.views.generic import DetailView, ListView

from booking import seo
from booking.models import Practitioner
from booking.selectors import team_next_free
from clinic.identity import get_clinic


class PractitionerListView(ListView):
    template_name = "booking/practitioner_list.html"
    context_object_name = "practitioners"

    def get_queryset(self):
        return Practitioner.objects.active().select_related("photo").prefetch_related("treatments")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        practitioners = list(context["practitioners"])
        next_free = team_next_free(practitioners=practitioners, now=timezone.now())
        for practitioner in practitioners:
            practitioner.next_free = next_free.get(practitioner.pk)
        context["practitioners"] = practitioners
        context["jsonld"] = seo.team_page(self.request, get_clinic(), practitioners)
        return context


class PractitionerDetailView(DetailView):
    template_name = "booking/practitioner_detail.html"
    context_object_name = "practitioner"

    def get_queryset(self):
        return Practitioner.objects.active().select_related("photo").prefetch_related("treatments")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["crumbs"] = [
            ("Our team", reverse("booking:practitioner_list")),
            (self.object.name, self.object.get_absolute_url()),
        ]
        context["next_free"] = team_next_free(practitioners=[self.object], now=timezone.now()).get(
            self.object.pk
        )
        context["jsonld"] = seo.practitioner_page(
            self.request, get_clinic(), self.object, context["crumbs"]
        )
        return context
