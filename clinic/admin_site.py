"""The admin site, made so that junk in a request never answers 500.

Django's admin trusts two things a hand-made request can break:

- the ids of an action's selected rows: `_selected_action=abc` (or a number
  past the column's range) reaches the database as a lookup and raises;
- dates in a list's filters: `?starts_at__year=` with thirty digits
  overflows Python's dates while the query is built, after admin's own
  check of the parameters has passed.

ClinicAdminSite mixes JunkProofAdmin into every ModelAdmin registered on it,
ours and the ones Django, axes and the task queue bring, so a bad id gets a
message and a bad filter admin's own "invalid lookup" page.
"""

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.apps import AdminConfig
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import EmptyResultSet, ValidationError
from django.db import connection
from django.http import HttpResponseRedirect
from django.utils.translation import gettext as _


class JunkProofChangeList(ChangeList):
    def get_queryset(self, request, exclude_parameters=None):
        try:
            queryset = super().get_queryset(request, exclude_parameters)
            # Build the SQL now: an out-of-range date in a filter fails here, where
            # admin turns it into its "invalid lookup" page, not while rendering.
            queryset.query.sql_with_params()
        except EmptyResultSet:
            pass
        except (OverflowError, ValueError, ValidationError) as error:
            raise IncorrectLookupParameters(error) from error
        return queryset


def _valid_pk(model_admin, value: str) -> bool:
    field = model_admin.opts.pk
    try:
        python = field.to_python(value)
    except (ValidationError, ValueError, TypeError):
        return False
    if isinstance(python, int):
        low, high = connection.ops.integer_field_range(field.get_internal_type())
        return (low is None or python >= low) and (high is None or python <= high)
    return python is not None and "\x00" not in str(python)


class JunkProofAdmin:
    """What every ModelAdmin on the clinic's site does with a hand-made request."""

    def get_changelist(self, request, **kwargs):
        changelist = super().get_changelist(request, **kwargs)
        if issubclass(changelist, JunkProofChangeList):
            return changelist
        return type(changelist.__name__, (JunkProofChangeList, changelist), {})

    def response_action(self, request, queryset, *args, **kwargs):
        selected = request.POST.getlist(helpers.ACTION_CHECKBOX_NAME)
        if not all(_valid_pk(self, value) for value in selected):
            self.message_user(
                request,
                _("Some of the selected items could not be read. Nothing was changed."),
                messages.ERROR,
            )
            return HttpResponseRedirect(request.get_full_path())
        return super().response_action(request, queryset, *args, **kwargs)


def _junk_proof(admin_class):
    """`admin_class` with JunkProofAdmin mixed in, under its own name and module."""
    if issubclass(admin_class, JunkProofAdmin):
        return admin_class
    namespace = {"__module__": admin_class.__module__, "__qualname__": admin_class.__qualname__}
    return type(admin_class.__name__, (JunkProofAdmin, admin_class), namespace)


class ClinicAdminSite(admin.AdminSite):
    site_header = "Clinic administration"
    site_title = "Clinic admin"

    def register(self, model_or_iterable, admin_class=None, **options):
        return super().register(
            model_or_iterable, _junk_proof(admin_class or admin.ModelAdmin), **options
        )


def _axes_cleanup_that_works(site) -> None:
    """django-axes' "Clean up expired attempts" reads an attempt time that axes sets
    only on login requests, so from the list it raised AttributeError: set it first."""
    from axes.handlers.proxy import AxesProxyHandler
    from axes.models import AccessAttempt

    registered = site._registry.get(AccessAttempt)
    if registered is None:
        return
    base = type(registered)

    class AccessAttemptAdmin(base):
        @admin.action(description=base.cleanup_expired_attempts.short_description)
        def cleanup_expired_attempts(self, request, queryset):
            AxesProxyHandler.update_request(request)
            return super().cleanup_expired_attempts(request, queryset)

    site.unregister(AccessAttempt)
    site.register(AccessAttempt, AccessAttemptAdmin)


class ClinicAdminConfig(AdminConfig):
    default_site = "clinic.admin_site.ClinicAdminSite"

    def ready(self):
        super().ready()  # autodiscovers every app's admin module
        _axes_cleanup_that_works(self.module.site)
