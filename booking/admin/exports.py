"""Staff downloads: the appointment list as CSV, and a patient's data (access requests).

The builders are reads; the pages below decide who may download (front desk
only) and pass querysets that are already scoped to the user.
"""

import csv
import json
import logging

from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import PermissionDenied
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Prefetch, QuerySet
from django.http import HttpResponse, HttpResponseBadRequest
from django.utils import timezone
from django.views import View

from booking.admin.forms import AccessRequestForm
from booking.admin.pages import AdminPageView
from booking.admin.scoping import is_front_desk
from booking.models import AppointmentRequest, AppointmentStatusChange, Notification, Patient

logger = logging.getLogger(__name__)

CSV_COLUMNS = [
    ("reference", "Reference"),
    ("date", "Date"),
    ("start", "Start"),
    ("end", "End"),
    ("treatment", "Treatment"),
    ("course", "Course"),
    ("session", "Session"),
    ("practitioner", "Practitioner"),
    ("status", "Status"),
    ("source", "Booked"),
    ("patient_name", "Patient"),
    ("email", "E-mail"),
    ("phone", "Phone"),
    ("is_new_patient", "New patient"),
    ("created", "Created"),
]

# A cell starting with one of these is a formula to a spreadsheet.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell(value) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def _session(appointment: AppointmentRequest) -> str:
    """ "2 of 4" for a session of a course; empty for a single appointment."""
    if appointment.course_id is None:
        return ""
    return f"{appointment.course_session} of {appointment.course.sessions}"


def _row(appointment: AppointmentRequest) -> dict:
    start = timezone.localtime(appointment.starts_at)
    return {
        "reference": appointment.reference,
        "date": f"{start:%Y-%m-%d}",
        "start": f"{start:%H:%M}",
        "end": f"{timezone.localtime(appointment.ends_at):%H:%M}",
        "treatment": appointment.treatment.name,
        "course": appointment.course.reference if appointment.course_id else "",
        "session": _session(appointment),
        "practitioner": appointment.practitioner.name,
        "status": appointment.get_status_display(),
        "source": appointment.get_source_display(),
        "patient_name": appointment.patient_name,
        "email": appointment.email,
        "phone": appointment.phone,
        "is_new_patient": "yes" if appointment.is_new_patient else "no",
        "created": f"{timezone.localtime(appointment.created_at):%Y-%m-%d %H:%M}",
    }


def _attachment(response: HttpResponse, filename: str) -> HttpResponse:
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


def appointments_csv_response(queryset: QuerySet) -> HttpResponse:
    """The given appointments as a CSV download, in the clinic's time zone."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    writer = csv.writer(response)
    writer.writerow([label for _key, label in CSV_COLUMNS])
    for appointment in queryset.select_related("treatment", "practitioner", "course").iterator(
        chunk_size=500
    ):
        row = _row(appointment)
        writer.writerow([_cell(row[key]) for key, _label in CSV_COLUMNS])
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return _attachment(response, f"appointments-{stamp}.csv")


def _appointment_records(appointments: QuerySet) -> list[dict]:
    """Everything stored about each appointment: details, status history, e-mails sent."""
    appointments = (
        appointments.select_related("treatment", "practitioner", "course")
        .prefetch_related(
            Prefetch(
                "status_changes",
                queryset=AppointmentStatusChange.objects.select_related("changed_by"),
            ),
            Prefetch("notifications", queryset=Notification.objects.order_by("created_at")),
        )
        .order_by("starts_at")
    )
    records = []
    for a in appointments:
        records.append(
            {
                "reference": a.reference,
                "treatment": a.treatment.name,
                "course": a.course.reference if a.course_id else "",
                "session": _session(a),
                "practitioner": a.practitioner.name,
                "starts_at": timezone.localtime(a.starts_at),
                "ends_at": timezone.localtime(a.ends_at),
                "status": a.get_status_display(),
                "booked": a.get_source_display(),
                "patient_name": a.patient_name,
                "email": a.email,
                "phone": a.phone,
                "is_new_patient": a.is_new_patient,
                "reason": a.reason,
                "answers": a.answers,
                "consent_at": a.consent_at and timezone.localtime(a.consent_at),
                "privacy_notice_version": a.privacy_notice_version,
                "decline_reason": a.decline_reason,
                "arrived_at": a.arrived_at and timezone.localtime(a.arrived_at),
                "created_at": timezone.localtime(a.created_at),
                "updated_at": timezone.localtime(a.updated_at),
                "status_history": [
                    {
                        "when": timezone.localtime(c.changed_at),
                        "from": c.get_from_status_display(),
                        "to": c.get_to_status_display(),
                        "by": "clinic staff" if c.changed_by_id else "patient or system",
                        "note": c.note,
                    }
                    for c in a.status_changes.all()
                ],
                "emails_sent": [
                    {
                        "kind": n.get_kind_display(),
                        "status": n.get_status_display(),
                        "queued": timezone.localtime(n.created_at),
                        "sent": n.sent_at and timezone.localtime(n.sent_at),
                    }
                    for n in a.notifications.all()
                ],
            }
        )
    return records


def patient_records(*, email: str) -> list[dict]:
    """Everything stored about the appointments made with one e-mail address."""
    return _appointment_records(AppointmentRequest.objects.filter(email__iexact=email.strip()))


def patient_record(patient: Patient) -> dict:
    """Everything stored about one patient: their record and every appointment."""
    return {
        "name": patient.name,
        "email": patient.email,
        "phone": patient.phone,
        "other_emails": list(patient.other_emails),
        "other_phones": list(patient.other_phones),
        "date_of_birth": patient.date_of_birth,
        "staff_notes": patient.notes,
        "created_at": timezone.localtime(patient.created_at),
        "updated_at": timezone.localtime(patient.updated_at),
    }


def _csv_text(value) -> str:
    if isinstance(value, list | dict):
        value = json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False)
    return _cell(value)


def _csv_download(rows: list[dict], columns: list[str], filename: str) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    writer = csv.writer(response)
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_csv_text(row.get(key)) for key in columns])
    return _attachment(response, filename)


def _json_download(payload: dict, filename: str) -> HttpResponse:
    response = HttpResponse(
        json.dumps(payload, cls=DjangoJSONEncoder, indent=2, ensure_ascii=False),
        content_type="application/json; charset=utf-8",
    )
    return _attachment(response, filename)


def access_request_response(*, email: str, file_format: str) -> HttpResponse:
    records = patient_records(email=email)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    if file_format == "csv":
        columns = list(records[0]) if records else ["reference"]
        return _csv_download(records, columns, f"access-request-{stamp}.csv")
    payload = {
        "email": email,
        "exported_at": timezone.localtime(),
        "appointments": records,
    }
    return _json_download(payload, f"access-request-{stamp}.json")


def patient_courses(patient: Patient) -> list[dict]:
    """The patient's courses: each one's reference, treatment, sessions and price."""
    return [
        {
            "reference": course.reference,
            "treatment": course.treatment.name,
            "practitioner": course.practitioner.name,
            "sessions": course.sessions,
            "spacing": course.get_spacing_days_display(),
            "price": course.price,
            "booked": timezone.localtime(course.created_at),
        }
        for course in patient.courses.select_related("treatment", "practitioner").order_by(
            "created_at"
        )
    ]


def patient_export_response(*, patient: Patient, file_format: str) -> HttpResponse:
    """One patient's data as JSON (one document) or CSV (a row per appointment).

    Each appointment names its course and session; the JSON lists the courses too.
    """
    record = patient_record(patient)
    appointments = _appointment_records(patient.appointments.all())
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    name = f"patient-{patient.pk}-{stamp}"
    if file_format == "csv":
        # "patient." keeps the record's columns apart from each appointment's own.
        patient_columns = [f"patient.{key}" for key in record]
        prefixed = {f"patient.{key}": value for key, value in record.items()}
        rows = [{**prefixed, **a} for a in appointments] or [prefixed]
        columns = patient_columns + (list(appointments[0]) if appointments else [])
        return _csv_download(rows, columns, f"{name}.csv")
    payload = {
        "patient": record,
        "exported_at": timezone.localtime(),
        "courses": patient_courses(patient),
        "appointments": appointments,
    }
    return _json_download(payload, f"{name}.json")


# --- The download pages ------------------------------------------------------------


class AppointmentExportView(View):
    """The changelist's current filter and search as CSV (front desk only)."""

    model_admin = None

    def get(self, request):
        if not is_front_desk(request.user) or not self.model_admin.has_view_permission(request):
            raise PermissionDenied
        try:
            changelist = self.model_admin.get_changelist_instance(request)
        except IncorrectLookupParameters:
            return HttpResponseBadRequest("Unknown filter.")
        return appointments_csv_response(changelist.queryset)


class AccessRequestView(AdminPageView):
    """A patient's access request: everything stored about one e-mail address."""

    title = "Patient access request"
    template_name = "admin/booking/appointmentrequest/access_request.html"

    def dispatch(self, request, *args, **kwargs):
        if not is_front_desk(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get(self, request):
        form = AccessRequestForm(initial={"email": request.GET.get("email", "")[:254]})
        return self.render(self.template_name, form=form)

    def post(self, request):
        form = AccessRequestForm(request.POST)
        if not form.is_valid():
            return self.render(self.template_name, form=form)
        logger.info("Access request export by staff user %s", request.user.pk)
        return access_request_response(
            email=form.cleaned_data["email"], file_format=form.cleaned_data["format"]
        )
