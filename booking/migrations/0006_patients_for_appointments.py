"""Give every existing appointment a patient record.

Appointments made with one e-mail address (any spelling of its case) belong
to one patient; without an e-mail, those with one phone number do. The most
recent booking supplies the name and contact details, and the latest
screening answers are kept with their date. An anonymised appointment gets an
anonymised patient of its own, so anonymised rows are never merged.

Only appointments without a patient are touched, so running it again changes
nothing. The two normalising functions are copied from booking.models, as a
migration must not change when the app's code does.
"""

from django.db import migrations

ANONYMISED_NAME = "Anonymised"


def email_key(email):
    return (email or "").strip().lower()


def phone_key(phone):
    digits = "".join(c for c in (phone or "") if c.isascii() and c.isdigit())
    if digits.startswith("00"):
        digits = digits[2:]
    if digits.startswith("44") and len(digits) == 12:
        digits = "0" + digits[2:]
    return digits[:20]


def link_patients(apps, schema_editor):
    alias = schema_editor.connection.alias
    Appointment = apps.get_model("booking", "AppointmentRequest")
    Patient = apps.get_model("booking", "Patient")

    # Newest first: the latest booking's details and screening win.
    unlinked = (
        Appointment.objects.using(alias)
        .filter(patient__isnull=True)
        .order_by("-created_at", "-pk")
    )
    found = {}
    for appointment in unlinked.iterator(chunk_size=500):
        if appointment.anonymised_at is not None:
            patient = Patient.objects.using(alias).create(
                name=ANONYMISED_NAME, anonymised_at=appointment.anonymised_at
            )
        else:
            email, phone = email_key(appointment.email), phone_key(appointment.phone)
            key = ("email", email) if email else ("phone", phone) if phone else None
            patient = found.get(key) if key else None
            if patient is None and key:
                existing = Patient.objects.using(alias).filter(anonymised_at__isnull=True)
                existing = (
                    existing.filter(email=email) if email else existing.filter(phone_key=phone)
                )
                patient = existing.order_by("-updated_at", "-pk").first()
            if patient is None:
                patient = Patient.objects.using(alias).create(
                    name=appointment.patient_name.strip() or ANONYMISED_NAME,
                    email=email,
                    phone=appointment.phone,
                    phone_key=phone,
                )
            if key:
                found[key] = patient
            if appointment.screening and patient.screening_at is None:
                patient.screening = appointment.screening
                patient.screening_at = appointment.created_at
                patient.save(update_fields=["screening", "screening_at"])
        Appointment.objects.using(alias).filter(pk=appointment.pk).update(patient=patient)


class Migration(migrations.Migration):
    dependencies = [
        ("booking", "0005_patients"),
    ]

    operations = [
        migrations.RunPython(link_patients, migrations.RunPython.noop),
    ]
