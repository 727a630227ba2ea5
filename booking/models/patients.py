"""Patient records, and the keys bookings are matched to them by."""

from datetime import date

from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.db.models import F, Func, Q, Value
from django.db.models.functions import Lower, Trim
from django.utils.translation import gettext_lazy as _


def email_key(email: str) -> str:
    """An e-mail address as patients are matched by it: trimmed, lower case."""
    return (email or "").strip().lower()


def phone_key(phone: str) -> str:
    """A phone number as patients are matched by it: its digits, UK numbers in 0… form.

    "+44 7700 900123", "0044 7700 900123" and "07700 900123" are one number.
    """
    digits = "".join(c for c in (phone or "") if c.isascii() and c.isdigit())
    if digits.startswith("00"):
        digits = digits[2:]
    if digits.startswith("44") and len(digits) == 12:
        digits = "0" + digits[2:]
    return digits[:20]


def name_key(name: str) -> str:
    """A name as duplicates are spotted by it: lower case, single spaces."""
    return " ".join((name or "").lower().split())


def surname_key(name: str) -> str:
    """The last word of a name, lower case: "Priya  Shah" and "P. SHAH" share "shah"."""
    words = name_key(name).split()
    return words[-1] if words else ""


def _collapsed(expression):
    return Trim(Func(expression, Value(r"\s+"), Value(" "), Value("g"), function="regexp_replace"))


class PatientQuerySet(models.QuerySet):
    def current(self):
        return self.filter(anonymised_at__isnull=True)

    def possibly_same_as(self, *, name: str, date_of_birth: date | None = None):
        """Records that may be this person: the same name (case and spaces aside), or the
        same date of birth and surname (the name's last word)."""
        name, surname = name_key(name), surname_key(name)
        if not name:
            return self.none()
        collapsed = _collapsed(Lower("name"))
        same = Q(_name_key=name)
        if date_of_birth is not None:
            same |= Q(date_of_birth=date_of_birth, _surname_key=surname)
        return self.alias(
            _name_key=collapsed,
            _surname_key=Func(collapsed, Value(r"^.* "), Value(""), function="regexp_replace"),
        ).filter(same)


class Patient(models.Model):
    """A person the clinic treats: contact details and staff notes.

    Each appointment keeps what the patient gave when booking (name, contact
    details, safety answers, reason); the record is where staff find a
    returning patient and their history. A booking joins a record only when
    its name matches as well as its e-mail or phone; one that gives a known
    e-mail or phone under another name gets a record of its own, marked as a
    possible match for front desk to compare; so does a new record with an
    existing record's name, or date of birth and surname.
    """

    name = models.CharField(_("name"), max_length=120)
    email = models.EmailField(
        _("e-mail"),
        max_length=254,
        blank=True,
        help_text=_("Empty: the patient gets no e-mails from the clinic."),
    )
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    phone_key = models.CharField(_("phone digits"), max_length=20, blank=True, editable=False)
    # Kept in the form records are matched by (email_key, phone_key), so each is listed once.
    other_emails = ArrayField(
        models.EmailField(max_length=254),
        verbose_name=_("other e-mails"),
        default=list,
        db_default=[],
        blank=True,
        help_text=_("Other addresses the patient used; the clinic e-mails only the main one."),
    )
    other_phones = ArrayField(
        models.CharField(max_length=20),
        verbose_name=_("other phones"),
        default=list,
        db_default=[],
        blank=True,
        help_text=_("Other numbers the patient gave, as digits."),
    )
    date_of_birth = models.DateField(_("date of birth"), null=True, blank=True)
    notes = models.TextField(
        _("staff notes"),
        blank=True,
        help_text=_(
            "Every practitioner who treats the patient sees these. They are never e-mailed "
            "or put in a calendar."
        ),
    )
    possible_match = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("possible match"),
        help_text=_(
            "A record with this e-mail or phone under another name, or with this name (or "
            "date of birth and surname). Front desk compares the two and merges them, or "
            "marks them as different people."
        ),
    )

    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    anonymised_at = models.DateTimeField(_("anonymised"), null=True, blank=True)

    objects = PatientQuerySet.as_manager()

    class Meta:
        verbose_name = _("patient")
        verbose_name_plural = _("patients")
        ordering = ["name", "pk"]
        indexes = [
            models.Index(fields=["email"], name="patient_email_idx"),
            models.Index(fields=["phone_key"], name="patient_phone_key_idx"),
            GinIndex(fields=["other_emails"], name="patient_other_emails_idx"),
            GinIndex(fields=["other_phones"], name="patient_other_phones_idx"),
        ]
        constraints = [
            # Matching by e-mail relies on one spelling of each address.
            models.CheckConstraint(
                condition=Q(email=Lower("email")), name="patient_email_lower_case"
            ),
            models.CheckConstraint(condition=~Q(name=""), name="patient_has_a_name"),
            models.CheckConstraint(
                condition=~Q(possible_match=F("pk")), name="patient_not_its_own_match"
            ),
        ]

    def __str__(self):
        return self.name
