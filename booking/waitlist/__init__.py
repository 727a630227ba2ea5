"""The waitlist: patients wait for a time that suits them, and freed time is offered to them.

- offers.py: which waiting patients a freed time goes to, expiry, and closing
  offers when their time is booked (imports no booking service, so the
  services can queue matching on commit);
- services.py: joining, leaving and claiming (claims book through
  booking.services.appointment_book);
- tasks.py: matching and expiry on the task queue, queued on commit;
- emails.py: the waitlist's e-mails, rendered by booking.emails;
- forms.py and views.py: the patient's pages.

The staff screens are in booking/admin/waitlist.py.
"""
