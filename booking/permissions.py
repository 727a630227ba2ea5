"""Who on the staff sees what: the one place that knows the two roles.

Front desk (and superusers) see every appointment and schedule. Everyone else
on the staff — in practice the "Practitioner" group — sees only the
appointments, slots and schedule of the practitioner their login is linked to
(Practitioner.user). A staff login linked to no practitioner sees nothing.
"""

from django.db.models import QuerySet

from booking.models import Practitioner

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


def can_see_practitioner(user, practitioner_id: int | None) -> bool:
    if sees_everything(user):
        return True
    own = practitioner_for(user)
    return own is not None and own.pk == practitioner_id
