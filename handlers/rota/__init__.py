"""The volunteer rota: templates make shifts, the planner picks people, offers go out by text,
and declined, unanswered or cancelled places pass on by themselves.

The chain for one place: an offer (a JA/NEI question with an answer window) -> JA confirms it
and queues reminders; NEI declines it and the next candidate is asked at once; silence gets one
nudge halfway through the window, then the offer expires and the next candidate is asked. When
no candidate is left, the coordinator gets an inbox item and every eligible volunteer gets an
open call: the first JA wins, later ones are told the shift is taken.

Every change to a shift's places happens with the shift row locked (``SELECT ... FOR UPDATE``
on PostgreSQL; SQLite has one writer at a time anyway), so two JAs at the same moment never
both get the last place.

The modules, each importing only those above it:

* :mod:`handlers.rota.plan`: the planner, a pure function from shifts and volunteers to offers;
* :mod:`handlers.rota.shifts`: words for a shift, templates and shifts, locking a shift,
  volunteers' terms and the candidate pool;
* :mod:`handlers.rota.offers`: offers, passing a place on, open calls, confirming, reminders,
  and the scheduler jobs;
* :mod:`handlers.rota.replies`: answers to offers and calls, and what volunteers text;
* :mod:`handlers.rota.staff`: what staff do by hand;
* :mod:`handlers.rota.figures`: the statistics and erasure.
"""
