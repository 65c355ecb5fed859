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
    # --- checkins ---
    "checkin_question": "Hvordan har du det i dag? Svar 1 (dårlig) til 5 (bra).",
    "checkin_label": "Hvordan har du det",
    "checkin_thanks": "Takk for svaret!",
    "checkin_low_reply": (
        "Takk for at du svarte. En av de ansatte tar kontakt med deg. "
        "Haster det, ring Mental Helse 116 123 eller legevakt 116 117."
    ),
    "checkin_nudge": "Hei igjen, vi vil gjerne høre fra deg.",
    "crisis_reply": (
        "Takk for at du skrev. Er livet i fare, ring 113. Legevakt: 116 117. "
        "Mental Helse hjelpetelefon: 116 123, døgnåpen. Vi sier fra til de ansatte."
    ),
    "office_closed": (
        "Takk, meldingen er mottatt. De ansatte er tilbake {when}. "
        "Haster det: ring 113, legevakt 116 117 eller Mental Helse 116 123."
    ),
    "office_closed_unknown": (
        "Hei! Dette nummeret er ikke registrert hos oss. De ansatte er tilbake {when}. "
        "Haster det: ring 113 eller legevakt 116 117."
    ),
}
