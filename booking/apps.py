from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BookingConfig(AppConfig):
    name = "booking"
    verbose_name = _("Booking")

    def ready(self):
        from booking import checks  # noqa: F401 - registers the deployment checks
        from booking.emails import email_kind_register
        from booking.lookup import links_not_needed_because, links_render
        from booking.models import NotificationKind

        email_kind_register(
            [NotificationKind.BOOKING_LINKS],
            render=links_render,
            not_needed_because=links_not_needed_because,
        )
