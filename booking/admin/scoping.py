"""Who on the staff sees what: the one place that knows the two roles.

Front desk (and superusers) see every appointment and schedule. Everyone else
on the staff — in practice the "Practitioner" group — sees only the
appointments, slots and schedule of the practitioner their login is linked to
(Practitioner.user). A staff login linked to no practitioner sees nothing.

PractitionerScopedAdmin applies that rule to every list, search, autocomplete
and object page of the ModelAdmins built on it.
"""

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from booking.models import AppointmentRequest, Practitioner

FRONT_DESK_GROUP = "Front desk"
PRACTITIONER_GROUP = "Practitioner"

_GROUPS_CACHE = "_clinic_group_names"
_PRACTITIONER_CACHE = "_clinic_practitioner"


def _group_names(user) -> frozenset[str]:
    # Cached on the user object, which lives for one request.
    if not hasattr(user, _GROUPS_CACHE):
        names = (
            frozenset(user.groups.values_list("name", flat=True))
            if user.is_authenticated
            else frozenset()
        )
        setattr(user, _GROUPS_CACHE, names)
    return getattr(user, _GROUPS_CACHE)


def is_front_desk(user) -> bool:
    """Sees and manages every appointment, schedule, export and privacy request."""
    if not (user.is_authenticated and user.is_active and user.is_staff):
        return False
    return user.is_superuser or FRONT_DESK_GROUP in _group_names(user)


def sees_everything(user) -> bool:
    return is_front_desk(user)


def practitioner_for(user) -> Practitioner | None:
    """The practitioner this staff login belongs to, if any."""
    if not user.is_authenticated:
        return None
    if not hasattr(user, _PRACTITIONER_CACHE):
        setattr(user, _PRACTITIONER_CACHE, Practitioner.objects.filter(user=user).first())
    return getattr(user, _PRACTITIONER_CACHE)


def scope_to_user(queryset: QuerySet, user, *, practitioner_path: str) -> QuerySet:
    """Limit `queryset` to what `user` may see.

    `practitioner_path` is the lookup from the queryset's model to its
    Practitioner ("practitioner", "appointment__practitioner", "" for
    Practitioner itself).
    """
    if sees_everything(user):
        return queryset
    if not user.is_authenticated:
        return queryset.none()
    user_lookup = f"{practitioner_path}__user" if practitioner_path else "user"
    return queryset.filter(**{user_lookup: user})


def scope_patients(queryset: QuerySet, user) -> QuerySet:
    """Limit patients to those `user` may see: a practitioner's are those they treat."""
    if sees_everything(user):
        return queryset
    if not user.is_authenticated:
        return queryset.none()
    treated = AppointmentRequest.objects.filter(patient=OuterRef("pk"), practitioner__user=user)
    return queryset.filter(Exists(treated))


def scope_waitlist(queryset: QuerySet, user) -> QuerySet:
    """Limit waitlist entries to what `user` may see: a practitioner's are those
    waiting for them, or for any practitioner and a treatment they offer."""
    if sees_everything(user):
        return queryset
    own = practitioner_for(user)
    if own is None:
        return queryset.none()
    return queryset.filter(
        Q(practitioner=own)
        | Q(practitioner__isnull=True, treatment__in=own.treatments.values("pk"))
    )


def can_see_practitioner(user, practitioner_id: int | None) -> bool:
    if sees_everything(user):
        return True
    own = practitioner_for(user)
    return own is not None and own.pk == practitioner_id


class PractitionerScopedAdmin(admin.ModelAdmin):
    """Front desk sees every row; anyone else only rows of their own practitioner.

    `practitioner_path` leads from the model to its Practitioner ("" for
    Practitioner itself). get_queryset is what the changelist, search,
    autocomplete and the object pages all start from; the object pages also
    answer 404 for a row outside the user's scope instead of admin's redirect.
    """

    practitioner_path = "practitioner"

    def get_queryset(self, request):
        return scope_to_user(
            super().get_queryset(request), request.user, practitioner_path=self.practitioner_path
        )

    def get_search_results(self, request, queryset, search_term):
        # PostgreSQL refuses NUL in text: a pasted one must not end in a 500.
        return super().get_search_results(request, queryset, search_term.replace("\x00", ""))

    def practitioner_id_of(self, obj) -> int | None:
        target = obj
        for part in filter(None, self.practitioner_path.split("__")):
            target = getattr(target, part)
        return target.pk if target is not None else None

    def _in_scope(self, request, obj) -> bool:
        if obj is None or sees_everything(request.user):
            return True
        own = practitioner_for(request.user)
        return own is not None and self.practitioner_id_of(obj) == own.pk

    def has_view_permission(self, request, obj=None):
        return super().has_view_permission(request, obj) and self._in_scope(request, obj)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self._in_scope(request, obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and self._in_scope(request, obj)

    def _404_outside_scope(self, request, object_id):
        if (
            not sees_everything(request.user)
            and self.get_object(request, unquote(object_id)) is None
        ):
            raise Http404(_("There is no such record, or it is not yours to see."))

    def change_view(self, request, object_id, form_url="", extra_context=None):
        self._404_outside_scope(request, object_id)
        return super().change_view(request, object_id, form_url, extra_context)

    def history_view(self, request, object_id, extra_context=None):
        self._404_outside_scope(request, object_id)
        return super().history_view(request, object_id, extra_context)

    def delete_view(self, request, object_id, extra_context=None):
        self._404_outside_scope(request, object_id)
        return super().delete_view(request, object_id, extra_context)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        # A practitioner picks only themselves wherever a practitioner is chosen.
        if db_field.related_model is Practitioner and not sees_everything(request.user):
            kwargs["queryset"] = Practitioner.objects.filter(user=request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class RecordOnlyAdmin:
    """A ModelAdmin mixin for records the system writes: staff read them, nobody edits them."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
