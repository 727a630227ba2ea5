"""`/book/manage/`, "find my booking": the private links again, by e-mail, to a known address.

Every valid request gets the same redirect and the same page after it, and
the same work in between (one task on the queue; booking.lookup decides in
the worker whether anything is sent). Only the sender is counted: a client
that asks too often is told when to try again.
"""

from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache

from booking.availability import clinic_zone
from booking.forms import FindBookingForm
from booking.lookup import booking_links_request, lookup_spacing
from booking.manage_views import private_page
from booking.ratelimit import lookup_attempt


def _see_other(url: str) -> HttpResponseRedirect:
    response = HttpResponseRedirect(url)
    response.status_code = 303  # the next page is fetched with GET
    return response


@never_cache
def find(request):
    if request.method == "POST":
        form = FindBookingForm(data=request.POST)
        if form.is_valid() and not form.is_spam:
            refusal = lookup_attempt(request=request, now=timezone.now())
            if refusal is not None:
                response = _find_page(
                    request,
                    form,
                    status=429,
                    notice=refusal.try_again(what="your request", zone=clinic_zone()),
                )
                response["Retry-After"] = str(refusal.retry_after)
                return response
            booking_links_request.enqueue(email=form.cleaned_data["email"])
            return _see_other(reverse("booking:find") + "?sent=1")
        if form.is_spam:
            return _see_other(reverse("booking:find") + "?sent=1")
        return _find_page(request, form)
    return _find_page(request, FindBookingForm(), sent=request.GET.get("sent") == "1")


def _find_page(request, form, *, status=200, notice="", sent=False):
    minutes = round(lookup_spacing().total_seconds() / 60)
    response = render(
        request,
        "booking/find.html",
        {"form": form, "notice": notice, "sent": sent, "spacing_minutes": minutes},
        status=status,
    )
    return private_page(response, referrer="same-origin")
