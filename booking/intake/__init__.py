"""Intake forms: the questions a clinic writes, asked at booking or before the visit.

- versions: publishing a form's wording as a numbered version;
- questions: reading a version's questions, checking answers, flagging
  the ones that need review, and keeping them with the words asked;
- fields: the same questions as Django form fields (booking, phone-in,
  the pre-visit page);
- invitations: the private pre-visit links and their answers.
"""
