from django.apps import AppConfig


class WaitlistConfig(AppConfig):
    """The waitlist as a part of its own: it listens to the booking core and adds its e-mails.

    Its models stay in booking.models (app label "booking"), so its tables and
    migrations are the booking app's; this app only wires it in.
    """

    name = "booking.waitlist"
    label = "waitlist"
    verbose_name = "Waitlist"

    def ready(self):
        from booking import signals
        from booking.emails import email_kind_register
        from booking.waitlist import emails, receivers

        signals.time_freed.connect(receivers.offer_freed_time, dispatch_uid="waitlist.time_freed")
        signals.time_taken.connect(receivers.close_taken_offers, dispatch_uid="waitlist.time_taken")
        signals.appointment_booked.connect(
            receivers.leave_after_booking, dispatch_uid="waitlist.appointment_booked"
        )
        signals.waitlist_places_erased.connect(
            receivers.withdraw_offers, dispatch_uid="waitlist.places_erased"
        )
        email_kind_register(
            emails.KINDS, render=emails.render, not_needed_because=emails.not_needed_because
        )
