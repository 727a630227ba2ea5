"""The staff workspace in Django admin: one module per screen, registered here.

scoping.py holds the two roles and the base class that limits a practitioner
to their own patients; every ModelAdmin and page below builds on it.
"""

from django.contrib import admin

from booking.admin.appointments import AppointmentRequestAdmin, AppointmentStatusChangeAdmin
from booking.admin.courses import CourseAdmin
from booking.admin.emails import NotificationAdmin
from booking.admin.intake import IntakeFormAdmin
from booking.admin.patients import PatientAdmin
from booking.admin.practitioners import ClinicClosureAdmin, PractitionerAdmin, TreatmentAdmin
from booking.admin.slots import TimeSlotAdmin
from booking.admin.waitlist import WaitlistEntryAdmin, WaitlistOfferAdmin
from booking.models import (
    AppointmentRequest,
    AppointmentStatusChange,
    ClinicClosure,
    Course,
    IntakeForm,
    Notification,
    Patient,
    Practitioner,
    TimeSlot,
    Treatment,
    WaitlistEntry,
    WaitlistOffer,
)

admin.site.register(AppointmentRequest, AppointmentRequestAdmin)
admin.site.register(AppointmentStatusChange, AppointmentStatusChangeAdmin)
admin.site.register(Course, CourseAdmin)
admin.site.register(IntakeForm, IntakeFormAdmin)
admin.site.register(Notification, NotificationAdmin)
admin.site.register(Patient, PatientAdmin)
admin.site.register(Practitioner, PractitionerAdmin)
admin.site.register(Treatment, TreatmentAdmin)
admin.site.register(ClinicClosure, ClinicClosureAdmin)
admin.site.register(TimeSlot, TimeSlotAdmin)
admin.site.register(WaitlistEntry, WaitlistEntryAdmin)
admin.site.register(WaitlistOffer, WaitlistOfferAdmin)
