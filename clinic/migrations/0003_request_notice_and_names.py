# Staff can now decide what happens to requests too soon to confirm.

import clinic.models
import clinic.validators
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('clinic', '0002_staff_roles'),
    ]

    operations = [
        migrations.AddField(
            model_name='clinicprofile',
            name='request_notice_hours',
            field=models.PositiveSmallIntegerField(default=clinic.models.default_request_notice_hours, help_text='Treatments that need staff confirmation can be requested online only when at least this many opening hours lie between the request and the appointment.', verbose_name='time to confirm a request (opening hours)'),
        ),
        migrations.AddField(
            model_name='clinicprofile',
            name='short_notice_requests',
            field=models.CharField(choices=[('phone', "Show them, marked 'please phone us'"), ('hide', 'Do not show them')], default='phone', help_text='What the time picker does with times we could not confirm before they start.', max_length=10, verbose_name='requests too soon to confirm'),
        ),
        migrations.AlterField(
            model_name='clinicprofile',
            name='name',
            field=clinic.validators.NameField(help_text="Also the sender's name on booking e-mails.", max_length=120, verbose_name='name'),
        ),
        migrations.AddConstraint(
            model_name='clinicprofile',
            constraint=models.CheckConstraint(condition=models.Q(('short_notice_requests__in', ['phone', 'hide'])), name='clinic_profile_valid_short_notice_requests'),
        ),
    ]
