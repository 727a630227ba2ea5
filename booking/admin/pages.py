"""The frame of the workspace's own pages inside admin (schedule, phone-in, exports, slots),
and the displays the ModelAdmins share.

Each is mounted by a ModelAdmin's get_urls through admin_site.admin_view (staff
only, login required) and checks the model permission and the user's scope
itself. Writes go through booking.services; domain errors become messages or
form errors, never a 500.
"""

from datetime import date

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.views import View


class AdminPageView(View):
    """A page that looks like and behaves like the admin's own."""

    model_admin = None
    title = ""

    def admin_context(self, **extra):
        return {
            **self.model_admin.admin_site.each_context(self.request),
            "opts": self.model_admin.opts,
            "title": self.title,
            "subtitle": None,
            **extra,
        }

    def render(self, template_name, **context):
        return TemplateResponse(self.request, template_name, self.admin_context(**context))


class AppointmentPageView(AdminPageView):
    """A page about one appointment the user may change; any other is a 404, never a hint."""

    def dispatch(self, request, *args, **kwargs):
        appointment = (
            self.model_admin.get_queryset(request)
            .select_related("treatment", "practitioner")
            .filter(pk=kwargs["appointment_id"])
            .first()
        )
        if appointment is None:
            raise Http404(_("There is no such appointment, or it is not yours to see."))
        if not self.model_admin.has_change_permission(request, appointment):
            raise PermissionDenied
        self.appointment = appointment
        return super().dispatch(request, *args, **kwargs)


# Days the schedule can show: far enough for any diary, never near date's limits.
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2099, 12, 31)


def is_id(value) -> bool:
    """Whether a sent value can be a row's id: 1 to 18 ASCII digits ("²" is a digit to
    str.isdigit(), but not to int() nor to PostgreSQL)."""
    text = str(value)
    return 0 < len(text) <= 18 and text.isascii() and text.isdigit()


def parse_id(value: str | None) -> int | None:
    """The id a query parameter names, or None for anything else."""
    return int(value) if value is not None and is_id(value) else None


def parse_day(value: str | None) -> date:
    """The ?date= of a schedule page; anything unusable means today."""
    try:
        day = date.fromisoformat(value) if value else None
    except ValueError:
        day = None
    if day is None or not FIRST_DAY <= day <= LAST_DAY:
        return timezone.localdate()
    return day


def answers_html(kept):
    """An appointment's intake answers as staff read them: per form, each question in the
    words the patient was asked, its answer, and a flag where the form wants a look."""
    from booking.intake.questions import kept_by_form

    groups = kept_by_form(kept)
    if not groups:
        return _("None given")
    return format_html_join(
        "",
        "<h4>{} <small>(version {})</small></h4><dl>{}</dl>",
        (
            (
                group["title"],
                group["version"],
                format_html_join(
                    "",
                    "<dt>{}</dt><dd>{}{}</dd>",
                    (
                        (
                            item.get("question", ""),
                            item.get("answer", ""),
                            format_html(" <strong>⚠ {}</strong>", item["flag"])
                            if item.get("flag")
                            else "",
                        )
                        for item in group["answers"]
                    ),
                ),
            )
            for group in groups
        ),
    )


class NamedCellsFormSet(forms.BaseInlineFormSet):
    def add_fields(self, form, index):
        super().add_fields(form, index)
        if "DELETE" in form.fields:
            row = str(form.instance) if form.instance.pk else ""
            form.fields["DELETE"].widget.attrs["aria-label"] = (
                _("Delete: %(row)s") % {"row": row} if row else _("Delete")
            )


class NamedCellsInline(admin.TabularInline):
    """A tabular inline whose fields are named as their columns are.

    A table's cells have no labels of their own: each field, and each row's
    delete box, gets an accessible name for screen readers (and axe).
    """

    formset = NamedCellsFormSet

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if field is not None:
            field.widget.attrs.setdefault("aria-label", capfirst(db_field.verbose_name))
        return field
