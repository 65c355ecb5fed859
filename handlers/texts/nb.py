"""Norsk bokmål. Kort, enkelt og vennlig. Aldri hvorfor noen har en avtale."""

TEXTS: dict[str, str] = {
    # --- foundation ---
    "stopped": "Du får ikke flere meldinger fra oss. Skriv START hvis du vil ha dem igjen.",
    "started": "Velkommen tilbake! Du får meldinger fra oss igjen. Skriv STOPP for å slutte.",
    "help": (
        "Du kan skrive: JA eller NEI for å svare, TIMER for dine avtaler, AKTIVITETER, "
        "VAKTER, STOPP for ingen meldinger. Alt annet går til de ansatte."
    ),
    "received": "Takk, meldingen er mottatt. En av de ansatte leser den.",
    "unknown_sender": (
        "Hei! Dette nummeret er ikke registrert hos oss. En av de ansatte ser på meldingen din."
    ),
    "which_question": "Hva svarer du på? Skriv nummeret og svaret, for eksempel 1 JA:\n{options}",
    "no_open_question": "Takk! Vi har ikke noe spørsmål til deg nå. En ansatt ser på meldingen.",
    "answer_too_late": "Takk for svaret. Den tiden er allerede passert.",
    "telegram_linked": "Hei {name}! Nå får du meldinger fra oss her. Skriv HJELP for hjelp.",
    "telegram_bad_code": "Koden virker ikke. Spør de ansatte om en ny kode.",
    "telegram_welcome": "Hei! Skriv koden du fikk av de ansatte: /start KODE",
    "yes": "JA",
    "no": "NEI",
    "thanks_answer": "Takk for svaret!",
    # --- appointments ---
    # --- activities ---
    # --- rota ---
    "shift_label": "{title} {day} {start}–{end}",
    "shift_offer": "Kan du ta {title} {day} {start}–{end}? Svar JA eller NEI.",
    "shift_nudge": "Vi har ikke fått svar: Kan du ta {title} {day} {start}–{end}? Svar JA eller NEI.",
    "shift_yes_or_no": "Svar JA eller NEI: Kan du ta {title} {day} {start}–{end}?",
    "shift_confirmed": "Tusen takk! Du har {title} {day} {start}–{end}. Skriv AVBUD hvis du ikke kan likevel.",
    "shift_declined": "Takk for svaret! Vi spør en annen.",
    "shift_taken": "Takk! Vakten er allerede tatt. Vi spør deg gjerne en annen gang.",
    "shift_call": "Vi mangler en på {title} {day} {start}–{end}. Kan du? Den første som svarer JA, får vakten.",
    "shift_reminder": "Påminnelse: Du har {title} {when}–{end}. Skriv AVBUD hvis du ikke kan komme.",
    "shift_list": "Dine vakter:\n{lines}",
    "shift_list_empty": "Du har ingen vakter framover.",
    "shift_cancel_which": "Hvilken vakt kan du ikke ta? Skriv AVBUD og nummeret:\n{lines}",
    "shift_cancel_none": "Du har ingen vakter å melde avbud på.",
    "shift_cancelled": "Takk for beskjed! Vi finner en annen til {title} {day}.",
    "shift_assigned": "Du er satt opp på {title} {day} {start}–{end}. Skriv AVBUD hvis du ikke kan.",
    "shift_unassigned": "Du er ikke lenger satt opp på {title} {day} {start}–{end}. Takk!",
    "shift_called_off": "Vakten {title} {day} {start}–{end} er avlyst. Takk for at du sa ja!",
    "shift_gone": "Takk for svaret! Den vakten er avlyst.",
    "shift_unfilled_inbox": "Ingen har tatt vakten {label}. Åpen forespørsel sendt til {count} frivillige.",
    "shift_cancelled_inbox": "Avbud på vakten {label}. Vi spør en erstatter.",
    # --- checkins ---
}
