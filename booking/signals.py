"""What the booking core announces, for the parts of the site that react to it.

The waitlist listens (booking/waitlist/apps.py connects it): freed time is
offered to the people waiting, booked time closes its open offers, and a
booked patient leaves the waitlist for that treatment.

Django's signals rather than a registry of our own: receivers connect in
their AppConfig.ready(), run at once inside the sender's transaction (so a
receiver's failure rolls the booking back, as when these were direct calls),
and the core imports nothing of who listens. Sent with send(), never
send_robust(): a failure must not pass silently.
"""

from django.dispatch import Signal

# Time a practitioner may now be booked in: practitioner_id, starts_at, ends_at.
time_freed = Signal()
# Time just taken by a move: practitioner_id, starts_at, occupied_until, now.
time_taken = Signal()
# A new appointment, online or by staff: appointment, now.
appointment_booked = Signal()
# Waitlist places whose personal details are being erased: entry_ids, now.
waitlist_places_erased = Signal()
