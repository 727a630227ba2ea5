"""Every write that matters in booking: one transaction each, `now` passed in.

One module per concept:

- appointments: booking, rescheduling, moving and cancelling;
- status: which status changes are allowed and when, and making them;
- rules: what every booking and move must pass (notice, horizon, grid, slot);
- patients: finding or making the record a booking belongs to, editing, merging;
- retention: erasing personal details (the retention job, one patient on request);
- slots: the bookable time made from weekly hours, blocked or added by hand;
- calendar: a practitioner's private calendar feed link.

Everything public is imported here, so `from booking.services import X` keeps
working whichever module X lives in.
"""

from booking.availability import booking_window, request_confirmable_from
from booking.services.appointments import (
    appointment_book,
    appointment_cancel_by_patient,
    appointment_move,
    appointment_reschedule,
    check_answered,
)
from booking.services.calendar import (
    practitioner_calendar_link_new,
    practitioner_calendar_link_remove,
)
from booking.services.courses import SessionPlan, course_book, course_plan
from booking.services.patients import (
    PatientDetails,
    patient_for_details,
    patient_match_dismiss,
    patient_save,
    patients_merge,
)
from booking.services.retention import (
    ANONYMISED_EMAIL,
    ANONYMISED_NAME,
    appointments_anonymise,
    patient_anonymise,
)
from booking.services.rules import GRANULARITY, request_notice_refusal
from booking.services.slots import slot_add_manual, slot_set_blocked, slots_generate
from booking.services.status import (
    ALLOWED_TRANSITIONS,
    CORRECTABLE,
    appointment_change_status,
    appointment_correct_status,
    appointment_mark_arrived,
    arrival_refusal,
    correction_refusal,
    status_change_record,
    status_change_refusal,
    status_change_undo,
    undo_refusal,
)

__all__ = [
    "ALLOWED_TRANSITIONS",
    "ANONYMISED_EMAIL",
    "ANONYMISED_NAME",
    "CORRECTABLE",
    "GRANULARITY",
    "PatientDetails",
    "SessionPlan",
    "appointment_book",
    "appointment_cancel_by_patient",
    "appointment_change_status",
    "appointment_correct_status",
    "appointment_mark_arrived",
    "appointment_move",
    "appointment_reschedule",
    "appointments_anonymise",
    "arrival_refusal",
    "booking_window",
    "check_answered",
    "correction_refusal",
    "course_book",
    "course_plan",
    "patient_anonymise",
    "patient_for_details",
    "patient_match_dismiss",
    "patient_save",
    "patients_merge",
    "practitioner_calendar_link_new",
    "practitioner_calendar_link_remove",
    "request_confirmable_from",
    "request_notice_refusal",
    "slot_add_manual",
    "slot_set_blocked",
    "slots_generate",
    "status_change_record",
    "status_change_refusal",
    "status_change_undo",
    "undo_refusal",
]
