from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BookingConfig(AppConfig):
    name = "booking"
    verbose_name = _("Booking")

    def ready(self):
        from booking import checks, signals  # noqa: F401 - checks registers the deployment checks
        from booking.emails import email_kind_register
        from booking.intake.invitations import on_booked
        from booking.lookup import links_not_needed_because, links_render
        from booking.models import NotificationKind

        # A new appointment asks its treatment's pre-visit forms.
        signals.appointment_booked.connect(on_booked, dispatch_uid="intake.appointment_booked")
        email_kind_register(
            [NotificationKind.BOOKING_LINKS],
            render=links_render,
            not_needed_because=links_not_needed_because,
        )
