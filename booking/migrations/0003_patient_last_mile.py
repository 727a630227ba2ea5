"""One press books once, hashed private links, start-time steps, names that are names.

The manage tokens already sent in e-mails keep working: each stored token is
replaced by its SHA-256, which is what the site now looks links up by. There
is no way back from a hash, so reversing this migration leaves the hashes.
"""

import clinic.validators
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('booking', '0002_availability_slots_appointments'),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name='notification',
            name='notification_valid_kind',
        ),
        migrations.RenameField(
            model_name='appointmentrequest',
            old_name='manage_token',
            new_name='manage_token_hash',
        ),
        # Anonymised rows hold a placeholder that must keep opening nothing.
        migrations.RunSQL(
            sql=(
                "UPDATE booking_appointmentrequest "
                "SET manage_token_hash = encode(sha256(convert_to(manage_token_hash, 'UTF8')), 'hex') "
                "WHERE manage_token_hash NOT LIKE 'anonymised-%'"
            ),
            reverse_sql=migrations.RunSQL.noop,
        ),
        migrations.AddField(
            model_name='appointmentrequest',
            name='booking_key_hash',
            field=models.CharField(blank=True, default='', editable=False, max_length=64),
        ),
        migrations.AddField(
            model_name='treatment',
            name='start_step_minutes',
            field=models.PositiveSmallIntegerField(choices=[(5, 'every 5 minutes'), (10, 'every 10 minutes'), (15, 'every 15 minutes'), (20, 'every 20 minutes'), (30, 'every 30 minutes'), (60, 'on the hour')], default=15, help_text='How far apart the start times offered online are, from the full hour.', verbose_name='start times offered'),
        ),
        migrations.AlterField(
            model_name='appointmentrequest',
            name='patient_name',
            field=clinic.validators.NameField(max_length=120, verbose_name='patient name'),
        ),
        migrations.AlterField(
            model_name='notification',
            name='kind',
            field=models.CharField(choices=[('request_received', 'Request received'), ('confirmed', 'Confirmed'), ('declined', 'Declined'), ('cancelled', 'Cancelled'), ('rescheduled', 'Rescheduled'), ('reminder', 'Reminder'), ('clinic_new_request', 'New request (to the clinic)'), ('clinic_cancelled', 'Cancelled online (to the clinic)'), ('clinic_moved', 'Moved online (to the clinic)')], max_length=24, verbose_name='kind'),
        ),
        migrations.AlterField(
            model_name='practitioner',
            name='name',
            field=clinic.validators.NameField(max_length=120, verbose_name='name'),
        ),
        migrations.AlterField(
            model_name='treatment',
            name='name',
            field=clinic.validators.NameField(max_length=100, verbose_name='name'),
        ),
        migrations.AddConstraint(
            model_name='appointmentrequest',
            constraint=models.UniqueConstraint(condition=models.Q(('booking_key_hash', ''), _negated=True), fields=('booking_key_hash',), name='appointment_booking_key_once'),
        ),
        migrations.AddConstraint(
            model_name='notification',
            constraint=models.CheckConstraint(condition=models.Q(('kind__in', ['request_received', 'confirmed', 'declined', 'cancelled', 'rescheduled', 'reminder', 'clinic_new_request', 'clinic_cancelled', 'clinic_moved'])), name='notification_valid_kind'),
        ),
        migrations.AddConstraint(
            model_name='treatment',
            constraint=models.CheckConstraint(condition=models.Q(('start_step_minutes__in', [5, 10, 15, 20, 30, 60])), name='treatment_start_step_divides_the_hour'),
        ),
    ]
