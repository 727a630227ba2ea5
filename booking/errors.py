class BookingError(Exception):
    """A booking rule said no; the message is safe to show to the person."""


class SlotTakenError(BookingError):
    """The time was taken a moment earlier (the database refused the overlap)."""


class InvalidTransitionError(BookingError):
    """The appointment cannot move from its current status to the one asked for."""


class CancellationWindowError(BookingError):
    """The appointment is too close to change online; the patient must phone."""


class LinkExpiredError(BookingError):
    """The private manage link belongs to an appointment that is over."""


class AlreadyBookedError(BookingError):
    """The review form's single-use key has already made a booking: this one."""

    def __init__(self, message: str, *, appointment):
        super().__init__(message)
        self.appointment = appointment


class CourseSessionTakenError(SlotTakenError):
    """One session of a course could not be booked, so none was: which one, and when."""

    def __init__(self, message: str, *, number: int, starts_at):
        super().__init__(message)
        self.number = number
        self.starts_at = starts_at


class OfferClosedError(BookingError):
    """A waitlist offer can no longer be claimed: taken, expired or withdrawn."""

    def __init__(self, message: str, *, offer):
        super().__init__(message)
        self.offer = offer


def violated_constraint(error) -> str:
    """The name of the database constraint an IntegrityError broke, or ""."""
    diag = getattr(error.__cause__, "diag", None)
    return getattr(diag, "constraint_name", "") or ""
