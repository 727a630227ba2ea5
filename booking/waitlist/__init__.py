"""The waitlist: patients wait for a time that suits them, and freed time is offered to them.

- offers.py: which waiting patients a freed time goes to, expiry, and closing
  offers when their time is booked (imports no booking service, so the
  services can queue matching on commit);
- services.py: joining, leaving and claiming (claims book through
  booking.services.appointment_book);
- tasks.py: matching and expiry on the task queue, queued on commit;
- emails.py: the waitlist's e-mails, sent by booking.emails;
- receivers.py: what it does when the core announces freed or booked time
  (booking/signals.py; connected in apps.py, so the core never imports it);
- forms.py, views.py and urls.py: the patient's pages.

The staff screens are in booking/admin/waitlist.py.
"""
