"""Patients: find a returning patient, see their history, merge duplicates, privacy tools.

A practitioner sees only the patients they have appointments with, and on a
patient's page only those appointments. Exports, anonymising and merging are
for the front desk.
"""

import logging
import re

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db.models import Count, F, Func, Max, OuterRef, Q, Subquery, TextField, Value
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from booking import services
from booking.admin.duplicates import (
    different_person_field,
    possible_duplicate_notice,
    possible_duplicates,
)
from booking.admin.exports import patient_export_response
from booking.admin.pages import AdminPageView, answers_html
from booking.admin.phone_in import PatientAutocompleteView
from booking.admin.scoping import (
    PractitionerScopedAdmin,
    ReadOnlyInline,
    is_front_desk,
    scope_patients,
    scope_to_user,
    sees_everything,
)
from booking.errors import BookingError
from booking.intake.questions import kept_flags
from booking.models import (
    AppointmentRequest,
    Course,
    Patient,
    email_key,
    phone_key,
)
from booking.validators import phone_validator

logger = logging.getLogger(__name__)


class ContactListField(forms.CharField):
    """Other e-mail addresses or phone numbers, one a line, kept as a list of their keys."""

    widget = forms.Textarea(attrs={"rows": 2})

    def __init__(self, *, key, validate, item_max_length, max_items=10, **kwargs):
        super().__init__(max_length=2000, required=False, **kwargs)
        self.key, self.validate_item = key, validate
        self.item_max_length, self.max_items = item_max_length, max_items

    @staticmethod
    def items(text) -> list[str]:
        return [item.strip() for item in re.split(r"[\n,;]", text or "") if item.strip()]

    def prepare_value(self, value):
        return "\n".join(value) if isinstance(value, list | tuple) else value

    def clean(self, value):
        items = self.items(super().clean(value))  # no NUL bytes, at most 2,000 characters
        if len(items) > self.max_items:
            raise ValidationError(
                _("Keep at most %(count)d here, one a line.") % {"count": self.max_items}
            )
        errors = []
        for number, item in enumerate(items, start=1):
            try:
                if len(item) > self.item_max_length:
                    raise ValidationError(
                        _("at most %(max)d characters") % {"max": self.item_max_length}
                    )
                self.validate_item(item)
            except ValidationError as error:
                errors.append(
                    _("Line %(number)d: %(error)s") % {"number": number, "error": error.messages[0]}
                )
        if errors:
            raise ValidationError(errors)
        keys = []
        for key in map(self.key, items):
            if key not in keys:
                keys.append(key)
        return keys

    def has_changed(self, initial, data):
        return [self.key(item) for item in self.items(data)] != list(initial or [])


class PatientForm(forms.ModelForm):
    other_emails = ContactListField(
        label=_("Other e-mails"),
        key=email_key,
        validate=validate_email,
        item_max_length=254,
        help_text=_(
            "Other addresses the patient has used, one a line: they find the record, "
            "but the clinic e-mails only the one above."
        ),
    )
    other_phones = ContactListField(
        label=_("Other phones"),
        key=phone_key,
        validate=phone_validator,
        item_max_length=32,
        help_text=_("Other numbers the patient has given, one a line: they find the record."),
    )
    different_person = different_person_field()

    # Set by the admin on the add form: the records a new one may duplicate.
    duplicates_among = None

    class Meta:
        model = Patient
        fields = [
            "name",
            "email",
            "other_emails",
            "phone",
            "other_phones",
            "date_of_birth",
            "notes",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Shown only beside a "possible duplicate" warning (see clean).
        self.fields["different_person"].widget = forms.HiddenInput()

    def clean_name(self):
        name = " ".join(self.cleaned_data["name"].split())
        if not name:
            raise forms.ValidationError(_("Enter the patient's name."))
        return name

    def clean_email(self):
        return email_key(self.cleaned_data["email"])

    def clean_phone(self):
        phone = " ".join(self.cleaned_data["phone"].split())
        if phone:
            phone_validator(phone)
        return phone

    def clean(self):
        cleaned = super().clean()
        if self.duplicates_among is None or self.instance.pk is not None or "name" in self.errors:
            return cleaned
        found = possible_duplicates(
            among=self.duplicates_among,
            name=cleaned.get("name", ""),
            date_of_birth=cleaned.get("date_of_birth"),
        )
        if found:
            self.fields["different_person"].widget = forms.CheckboxInput()
            if not cleaned.get("different_person"):
                raise ValidationError(
                    possible_duplicate_notice(
                        found,
                        if_same=_("If it is the same person, add to that record instead."),
                        if_different=_("If not, tick “This is a different person” and save again."),
                    )
                )
        return cleaned


def _joined(field: str) -> Func:
    """An array of keys as one string, for searching inside each of them."""
    return Func(F(field), Value(" "), function="array_to_string", output_field=TextField())


class PatientAppointmentInline(ReadOnlyInline):
    model = AppointmentRequest
    fk_name = "patient"
    fields = ["when", "treatment", "session", "practitioner", "status", "reference_link"]
    readonly_fields = fields
    ordering = ["-starts_at"]
    verbose_name = _("appointment")
    verbose_name_plural = _("appointments")

    def get_queryset(self, request):
        queryset = (
            super().get_queryset(request).select_related("treatment", "practitioner", "course")
        )
        return scope_to_user(queryset, request.user, practitioner_path="practitioner")

    @admin.display(description=_("course"))
    def session(self, obj):
        if obj.course_id is None:
            return ""
        return _("%(reference)s, session %(number)d of %(total)d") % {
            "reference": obj.course.reference,
            "number": obj.course_session,
            "total": obj.course.sessions,
        }

    @admin.display(description=_("when"))
    def when(self, obj):
        start, end = timezone.localtime(obj.starts_at), timezone.localtime(obj.ends_at)
        return f"{start:%a %-d %b %Y}, {start:%H:%M}–{end:%H:%M}"

    @admin.display(description=_("reference"))
    def reference_link(self, obj):
        url = reverse("admin:booking_appointmentrequest_change", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, obj.reference)


class PossibleMatchFilter(admin.SimpleListFilter):
    title = _("possible matches")
    parameter_name = "match"

    def lookups(self, request, model_admin):
        return [("check", _("To compare with another record"))]

    def queryset(self, request, queryset):
        if self.value() == "check":
            return queryset.filter(possible_match__isnull=False)
        return queryset


class PatientAdmin(PractitionerScopedAdmin):
    form = PatientForm
    list_display = ["name", "phone", "email", "date_of_birth", "appointment_count", "safety"]
    search_fields = ["name", "email", "phone"]
    search_help_text = _("Search by name, e-mail or phone number (spaces do not matter).")
    list_per_page = 50
    actions = ["merge"]
    inlines = [PatientAppointmentInline]
    change_form_template = "admin/booking/patient/change_form.html"
    contact_fields = ["name", "email", "other_emails", "phone", "other_phones", "date_of_birth"]
    readonly_fields = [
        "possible_match_link",
        "intake_answers",
        "created_at",
        "updated_at",
        "anonymised_at",
    ]

    def get_fieldsets(self, request, obj=None):
        contact = (
            self.contact_fields if obj is not None else ["different_person", *self.contact_fields]
        )
        fieldsets = [
            (None, {"fields": contact}),
            (_("Staff notes"), {"fields": ["notes"]}),
        ]
        if obj is not None:
            fieldsets.append((_("Latest answers to intake forms"), {"fields": ["intake_answers"]}))
        if obj is not None and obj.possible_match_id and is_front_desk(request.user):
            fieldsets.insert(1, (_("Possible match"), {"fields": ["possible_match_link"]}))
        fieldsets.append(
            (
                _("Record"),
                {"classes": ["collapse"], "fields": ["created_at", "updated_at", "anonymised_at"]},
            )
        )
        return fieldsets

    def get_list_filter(self, request):
        return [PossibleMatchFilter] if is_front_desk(request.user) else []

    # --- Scope: a practitioner's patients are the ones they treat -------------------

    def get_queryset(self, request):
        queryset = scope_patients(admin.ModelAdmin.get_queryset(self, request), request.user)
        own = (
            None
            if sees_everything(request.user)
            else Q(appointments__practitioner__user=request.user)
        )
        answered = scope_to_user(
            AppointmentRequest.objects.filter(patient=OuterRef("pk")).exclude(answers=[]),
            request.user,
            practitioner_path="practitioner",
        ).order_by("-starts_at")
        # A counted queryset drops Meta.ordering: name it again for lists and autocomplete.
        return (
            queryset.select_related("possible_match")
            .annotate(
                appointment_count=Count("appointments", filter=own),
                latest_answers=Subquery(answered.values("answers")[:1]),
            )
            .order_by("name", "pk")
        )

    def _in_scope(self, request, obj) -> bool:
        if obj is None or sees_everything(request.user):
            return True
        seen = request.__dict__.setdefault("_patients_in_scope", {})
        if obj.pk not in seen:
            seen[obj.pk] = scope_patients(Patient.objects.filter(pk=obj.pk), request.user).exists()
        return seen[obj.pk]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if obj is None:
            form.duplicates_among = scope_patients(Patient.objects.current(), request.user)
        return form

    def get_search_results(self, request, queryset, search_term):
        """Stock search, plus phone numbers typed in any notation, plus the other e-mails
        and phones a record keeps (the queryset is already the user's own patients)."""
        found, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        term = search_term.replace("\x00", "").strip()
        also = Q()
        digits = phone_key(term)
        if len(digits) >= 5 and not any(c.isalpha() for c in term):
            also |= Q(phone_key__contains=digits) | Q(other_phones_joined__contains=digits)
        if term and len(term) <= 254 and not term.isdigit() and len(term.split()) == 1:
            also |= Q(other_emails_joined__icontains=term)
        if not also:
            return found, may_have_duplicates
        return (
            queryset.alias(
                other_phones_joined=_joined("other_phones"),
                other_emails_joined=_joined("other_emails"),
            ).filter(Q(pk__in=found.values("pk")) | also),
            may_have_duplicates,
        )

    # --- What staff see -----------------------------------------------------------

    @admin.display(description=_("appointments"), ordering="appointment_count")
    def appointment_count(self, obj):
        return obj.appointment_count

    @admin.display(description=_("safety"))
    def safety(self, obj):
        flags = kept_flags(obj.latest_answers)
        return format_html("<strong>{}</strong>", ", ".join(flags)) if flags else ""

    @admin.display(description=_("answers"))
    def intake_answers(self, obj):
        """The answers of the patient's latest appointment with any that this user sees."""
        return answers_html(obj.latest_answers)

    @admin.display(description=_("possible match"))
    def possible_match_link(self, obj):
        match = obj.possible_match
        if match is None:
            return ""
        return format_html(
            '{} <a href="{}">{}</a>',
            _(
                "This may be the same person as another record: the same e-mail or phone "
                "under another name, or the same name (or date of birth and surname)."
            ),
            reverse("admin:booking_patient_match", args=[obj.pk]),
            _("Compare with %(name)s") % {"name": match.name},
        )

    def has_delete_permission(self, request, obj=None):
        return False  # the privacy tools anonymise a patient; merging removes duplicates

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.anonymised_at is not None:
            return [*self.readonly_fields, *self.contact_fields, "notes"]
        if not is_front_desk(request.user):
            # Front desk keeps the contact details; a practitioner adds notes.
            return [*self.readonly_fields, *self.contact_fields]
        return self.readonly_fields

    def save_model(self, request, obj, form, change):
        try:
            services.patient_save(patient=obj, now=timezone.now())
        except BookingError as error:
            raise PermissionDenied(str(error)) from error

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {**(extra_context or {}), "is_front_desk": is_front_desk(request.user)}
        patient = self.get_object(request, object_id)
        if patient is not None:
            extra_context["book_again_url"] = self.book_again_url(request, patient)
            extra_context["patient_courses"] = self.courses(request, patient)
        return super().change_view(request, object_id, form_url, extra_context)

    def courses(self, request, patient) -> list[dict]:
        """The patient's courses this user may see, each with how many sessions still stand."""
        courses = scope_to_user(
            Course.objects.filter(patient=patient)
            .select_related("treatment", "practitioner")
            .prefetch_related("appointments")
            .order_by("-created_at"),
            request.user,
            practitioner_path="practitioner",
        )
        return [
            {
                "course": course,
                "active": sum(1 for a in course.appointments.all() if a.is_active),
                "first": min((a.starts_at for a in course.appointments.all()), default=None),
            }
            for course in courses
        ]

    def book_again_url(self, request, patient) -> str:
        """The phone-in form for this patient, with their last treatment and practitioner."""
        query = {"patient": patient.pk}
        latest = (
            scope_to_user(
                patient.appointments.all(), request.user, practitioner_path="practitioner"
            )
            .order_by("-starts_at")
            .values("treatment_id", "practitioner_id")
            .first()
        )
        if latest:
            query.update(treatment=latest["treatment_id"], practitioner=latest["practitioner_id"])
        return f"{reverse('admin:booking_appointmentrequest_phone_in')}?{urlencode(query)}"

    def get_urls(self):
        def wrap(view, **initkwargs):
            return self.admin_site.admin_view(view.as_view(model_admin=self, **initkwargs))

        return [
            path(
                "autocomplete/",
                self.admin_site.admin_view(
                    PatientAutocompleteView.as_view(admin_site=self.admin_site)
                ),
                name="booking_patient_autocomplete",
            ),
            path(
                "<int:patient_id>/export/",
                wrap(PatientExportView),
                name="booking_patient_export",
            ),
            path(
                "<int:patient_id>/match/",
                wrap(PatientMatchView),
                name="booking_patient_match",
            ),
            path(
                "<int:patient_id>/anonymise/",
                wrap(PatientAnonymiseView),
                name="booking_patient_anonymise",
            ),
            *super().get_urls(),
        ]

    # --- Merging duplicates -------------------------------------------------------

    def get_actions(self, request, action_location=admin.ActionLocation.CHANGE_LIST):
        actions = super().get_actions(request, action_location=action_location)
        if not is_front_desk(request.user):
            actions.pop("merge", None)
        return actions

    @admin.action(description=_("Merge the selected patients…"), permissions=["change"])
    def merge(self, request, queryset):
        if not is_front_desk(request.user):
            raise PermissionDenied
        patients = list(queryset.current().order_by("name", "pk"))
        if len(patients) < 2:
            self.message_user(
                request,
                _("Choose two or more patients (not anonymised ones) to merge."),
                messages.WARNING,
            )
            return None
        error = ""
        if "apply" in request.POST:
            keep = request.POST.get("keep", "")
            by_id = {str(p.pk): p for p in patients}
            if keep not in by_id:
                error = _("Choose the record to keep.")
            else:
                try:
                    kept = services.patients_merge(
                        keep_id=by_id[keep].pk, merge_ids=[p.pk for p in patients]
                    )
                except BookingError as refused:
                    error = str(refused)
                else:
                    self.log_change(
                        request, kept, [{"changed": {"fields": [str(_("merged records"))]}}]
                    )
                    self.message_user(
                        request,
                        _("%(count)d records merged into %(name)s, with all their appointments.")
                        % {"count": len(patients), "name": kept.name},
                        messages.SUCCESS,
                    )
                    return HttpResponseRedirect(
                        reverse("admin:booking_patient_change", args=[kept.pk])
                    )
        context = {
            **self.admin_site.each_context(request),
            "title": _("Merge patients"),
            "subtitle": None,
            "opts": self.opts,
            "patients": patients,
            "error": error,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/booking/patient/merge.html", context)


class PatientPageView(AdminPageView):
    """A front-desk page about one patient the user may see."""

    def dispatch(self, request, *args, **kwargs):
        if not is_front_desk(request.user):
            raise PermissionDenied
        self.patient = (
            self.model_admin.get_queryset(request).filter(pk=kwargs["patient_id"]).first()
        )
        if self.patient is None:
            raise Http404(_("There is no such patient."))
        return super().dispatch(request, *args, **kwargs)

    def change_url(self):
        return reverse("admin:booking_patient_change", args=[self.patient.pk])


class PatientExportView(PatientPageView):
    """Everything stored about one patient, as JSON or CSV."""

    def get(self, request, patient_id):
        file_format = request.GET.get("format", "json")
        if file_format not in ("json", "csv"):
            file_format = "json"
        logger.info("Patient %s exported by staff user %s", self.patient.pk, request.user.pk)
        return patient_export_response(patient=self.patient, file_format=file_format)


class PatientAnonymiseView(PatientPageView):
    """Erase one patient's personal details, after the front desk confirms it."""

    template_name = "admin/booking/patient/anonymise.html"

    def get(self, request, patient_id):
        return self.render(
            self.template_name,
            title=_("Anonymise %(name)s") % {"name": self.patient.name},
            patient=self.patient,
        )

    def post(self, request, patient_id):
        try:
            services.patient_anonymise(patient_id=self.patient.pk, now=timezone.now())
        except BookingError as error:
            messages.error(request, str(error))
        else:
            logger.info("Patient %s anonymised by staff user %s", self.patient.pk, request.user.pk)
            messages.success(
                request,
                _("The patient's details are erased, on their record and every appointment."),
            )
        return HttpResponseRedirect(self.change_url())


class PatientMatchView(PatientPageView):
    """A record marked "possible match" beside the record it may duplicate: merge, or not."""

    template_name = "admin/booking/patient/match.html"

    def records(self):
        match = self.patient.possible_match
        rows = Patient.objects.filter(pk__in=[self.patient.pk, match.pk]).annotate(
            appointment_count=Count("appointments"),
            last_visit=Max("appointments__starts_at"),
        )
        by_pk = {row.pk: row for row in rows}
        return by_pk[self.patient.pk], by_pk[match.pk]

    def get(self, request, patient_id):
        if self.patient.possible_match is None:
            messages.info(request, _("This record is not marked as a possible match any more."))
            return HttpResponseRedirect(self.change_url())
        new, existing = self.records()
        return self.render(
            self.template_name,
            title=_("Is %(new)s the same person as %(existing)s?")
            % {"new": new.name, "existing": existing.name},
            new=new,
            existing=existing,
        )

    def post(self, request, patient_id):
        match = self.patient.possible_match
        if match is None:
            return HttpResponseRedirect(self.change_url())
        if request.POST.get("decision") == "same":
            try:
                kept = services.patients_merge(keep_id=match.pk, merge_ids=[self.patient.pk])
            except BookingError as error:
                messages.error(request, str(error))
                return HttpResponseRedirect(self.change_url())
            self.model_admin.log_change(
                request, kept, [{"changed": {"fields": [str(_("merged records"))]}}]
            )
            messages.success(
                request,
                _("Merged: %(name)s's record now has every appointment of both.")
                % {"name": kept.name},
            )
            return HttpResponseRedirect(reverse("admin:booking_patient_change", args=[kept.pk]))
        if request.POST.get("decision") == "different":
            services.patient_match_dismiss(patient_id=self.patient.pk)
            messages.success(request, _("Kept apart: the two records stay separate."))
            return HttpResponseRedirect(self.change_url())
        messages.error(request, _("Choose whether they are the same person."))
        return HttpResponseRedirect(request.path)
