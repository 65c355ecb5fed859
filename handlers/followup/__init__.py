"""Follow-up over months, as the field does it: volunteer assignments (oppdrag), signs of life,
consent, everyday reminders and phones shared by several people."""
