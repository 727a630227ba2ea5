"""The booking app's models, one module per concept (as pretix arranges its own):

- catalogue: treatments and the practitioners who give them;
- diary: weekly hours, time off and extra hours, clinic closures, time slots;
- appointments: appointments and the history of their statuses;
- patients: patient records and the keys bookings are matched by;
- notifications: every e-mail the site sends, one row each;
- intake: the forms the clinic writes, their versions and pre-visit links;
- waitlist: places on the waitlist and the offers of freed time;
- ratelimits: the rate limits' counters when there is no shared cache.

Everything is imported here, so `from booking.models import X` (and the
migrations) keep working whichever module X lives in.
"""

from booking.models.appointments import (
    ACTIVE_STATUSES,
    AppointmentQuerySet,
    AppointmentRequest,
    AppointmentStatus,
    AppointmentStatusChange,
    StatusChangeKind,
)
from booking.models.catalogue import (
    ANY_PRACTITIONER,
    Confirmation,
    CourseSpacing,
    Practitioner,
    PractitionerQuerySet,
    Treatment,
    TreatmentQuerySet,
)
from booking.models.courses import MOST_SESSIONS, Course
from booking.models.diary import (
    AvailabilityException,
    ClinicClosure,
    TimeSlot,
    TimeSlotQuerySet,
    TsTzRange,
    WeeklyAvailability,
)
from booking.models.intake import (
    IntakeForm,
    IntakeFormVersion,
    IntakeInvitation,
    IntakeQuestion,
    IntakeWhen,
    QuestionKind,
    TreatmentIntakeForm,
)
from booking.models.notifications import (
    APPOINTMENT_KINDS,
    Notification,
    NotificationKind,
    NotificationStatus,
)
from booking.models.patients import Patient, PatientQuerySet, email_key, phone_key
from booking.models.ratelimits import RateLimitCounter
from booking.models.waitlist import (
    WaitlistEntry,
    WaitlistEntryQuerySet,
    WaitlistEntryStatus,
    WaitlistOffer,
    WaitlistOfferQuerySet,
    WaitlistOfferStatus,
)

__all__ = [
    "ACTIVE_STATUSES",
    "ANY_PRACTITIONER",
    "APPOINTMENT_KINDS",
    "MOST_SESSIONS",
    "AppointmentQuerySet",
    "AppointmentRequest",
    "AppointmentStatus",
    "AppointmentStatusChange",
    "AvailabilityException",
    "ClinicClosure",
    "Confirmation",
    "Course",
    "CourseSpacing",
    "IntakeForm",
    "IntakeFormVersion",
    "IntakeInvitation",
    "IntakeQuestion",
    "IntakeWhen",
    "Notification",
    "NotificationKind",
    "NotificationStatus",
    "Patient",
    "PatientQuerySet",
    "Practitioner",
    "PractitionerQuerySet",
    "QuestionKind",
    "RateLimitCounter",
    "StatusChangeKind",
    "TimeSlot",
    "TimeSlotQuerySet",
    "Treatment",
    "TreatmentIntakeForm",
    "TreatmentQuerySet",
    "TsTzRange",
    "WaitlistEntry",
    "WaitlistEntryQuerySet",
    "WaitlistEntryStatus",
    "WaitlistOffer",
    "WaitlistOfferQuerySet",
    "WaitlistOfferStatus",
    "WeeklyAvailability",
    "email_key",
    "phone_key",
]
