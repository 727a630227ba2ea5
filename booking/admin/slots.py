"""Time slots: the list, blocking and unblocking, adding time by hand, generating from hours."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views import View

from booking import services
from booking.admin.forms import GenerateSlotsForm
from booking.admin.pages import AdminPageView, parse_day
from booking.admin.scoping import PractitionerScopedAdmin, can_see_practitioner, sees_everything
from booking.errors import BookingError
from booking.models import Practitioner, TimeSlot


class SlotWhenFilter(admin.SimpleListFilter):
    title = _("when")
    parameter_name = "when"

    def lookups(self, request, model_admin):
        return [("upcoming", _("Upcoming")), ("past", _("Past"))]

    def queryset(self, request, queryset):
        now = timezone.now()
        if self.value() == "upcoming":
            return queryset.filter(ends_at__gt=now)
        if self.value() == "past":
            return queryset.filter(ends_at__lte=now)
        return queryset


class TimeSlotAdmin(PractitionerScopedAdmin):
    list_display = ["practitioner", "local_start", "local_end", "source", "is_blocked"]
    list_filter = [
        SlotWhenFilter,
        ("practitioner", admin.RelatedOnlyFieldListFilter),
        "is_blocked",
        "source",
    ]
    list_select_related = ["practitioner"]
    date_hierarchy = "starts_at"
    actions = ["block", "unblock"]
    fields = ["practitioner", "starts_at", "ends_at", "is_blocked", "source"]
    change_list_template = "admin/booking/timeslot/change_list.html"

    @admin.display(description=_("starts"), ordering="starts_at")
    def local_start(self, obj):
        return timezone.localtime(obj.starts_at).strftime("%a %d %b %Y %H:%M")

    @admin.display(description=_("ends"), ordering="ends_at")
    def local_end(self, obj):
        return timezone.localtime(obj.ends_at).strftime("%H:%M")

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ["source", "is_blocked"]
        # Times of an existing slot are not moved (bookings sit inside it).
        return ["practitioner", "starts_at", "ends_at", "source"]

    def save_model(self, request, obj, form, change):
        from booking import services

        if change:
            if "is_blocked" in form.changed_data:
                services.slot_set_blocked(slot_id=obj.pk, blocked=obj.is_blocked)
            return
        created = services.slot_add_manual(
            practitioner=obj.practitioner, starts_at=obj.starts_at, ends_at=obj.ends_at
        )
        obj.pk = created.pk
        obj._state.adding = False

    def get_urls(self):
        return [
            path(
                "generate/",
                self.admin_site.admin_view(GenerateSlotsView.as_view(model_admin=self)),
                name="booking_timeslot_generate",
            ),
            *super().get_urls(),
        ]

    def _set_blocked(self, request, queryset, blocked: bool):
        from booking import services

        count = 0
        for slot_id in queryset.values_list("pk", flat=True):
            try:
                services.slot_set_blocked(slot_id=slot_id, blocked=blocked)
            except BookingError as error:
                self.message_user(request, str(error), messages.ERROR)
            else:
                count += 1
        if count:
            message = (
                ngettext("%d slot blocked.", "%d slots blocked.", count)
                if blocked
                else ngettext("%d slot unblocked.", "%d slots unblocked.", count)
            )
            self.message_user(request, message % count, messages.SUCCESS)

    @admin.action(
        description=_("Block selected slots (not offered to patients)"), permissions=["change"]
    )
    def block(self, request, queryset):
        self._set_blocked(request, queryset, True)

    @admin.action(description=_("Unblock selected slots"), permissions=["change"])
    def unblock(self, request, queryset):
        self._set_blocked(request, queryset, False)


class SlotBlockView(View):
    """Block or unblock one slot from the schedule (POST, CSRF-protected)."""

    model_admin = None
    http_method_names = ["post"]

    def post(self, request, slot_id):
        if not request.user.has_perm("booking.change_timeslot"):
            raise PermissionDenied
        slot = TimeSlot.objects.filter(pk=slot_id).only("pk", "practitioner_id").first()
        if slot is None or not can_see_practitioner(request.user, slot.practitioner_id):
            raise Http404(_("There is no such slot, or it is not yours to change."))
        blocked = request.POST.get("blocked") == "1"
        try:
            services.slot_set_blocked(slot_id=slot.pk, blocked=blocked)
        except BookingError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("Slot blocked.") if blocked else _("Slot unblocked."))
        day = parse_day(request.POST.get("date"))
        name = "week" if request.POST.get("view") == "week" else "day"
        url = reverse(f"admin:booking_schedule_{name}")
        return HttpResponseRedirect(f"{url}?{urlencode({'date': day.isoformat()})}")


class GenerateSlotsView(AdminPageView):
    """Materialise bookable slots from the weekly hours for the days ahead."""

    title = "Generate time slots"
    template_name = "admin/booking/timeslot/generate.html"

    def dispatch(self, request, *args, **kwargs):
        if not self.model_admin.has_add_permission(request):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get(self, request):
        form = GenerateSlotsForm(initial={"start": timezone.localdate()})
        return self.render(self.template_name, form=form)

    def post(self, request):
        form = GenerateSlotsForm(request.POST)
        if not form.is_valid():
            return self.render(self.template_name, form=form)
        practitioners = None
        if not sees_everything(request.user):
            practitioners = list(Practitioner.objects.filter(user=request.user))
        try:
            created = services.slots_generate(
                start=form.cleaned_data["start"],
                days=form.cleaned_data["days"],
                now=timezone.now(),
                practitioners=practitioners,
            )
        except BookingError as error:
            form.add_error(None, str(error))
            return self.render(self.template_name, form=form)
        messages.success(request, _("%(count)d new slots made.") % {"count": created})
        return redirect("admin:booking_timeslot_changelist")
