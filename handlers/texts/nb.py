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
    "appointment_default_title": "Avtale",
    "appointment_reminder": "Påminnelse: {title} {when}{place}. Kommer du? Svar JA eller NEI. Trenger du ny tid, skriv FLYTT.",
    "appointment_reminder_confirmed": "Påminnelse: {title} {when}{place}. Takk for at du har bekreftet.",
    "appointment_escort_reminder": "Påminnelse: Du skal følge {name} {when}{place}.",
    "appointment_yes": "Takk! Da er avtalen {when} bekreftet.",
    "appointment_no": "Takk for at du sier fra. Vi tar kontakt med deg for å finne en ny tid hvis du vil.",
    "appointment_maybe": "Takk! En av de ansatte tar kontakt med deg.",
    "appointment_not_active": "Takk for svaret. Den avtalen er ikke lenger aktuell.",
    "appointment_escort_declined": "{name} kommer ikke på avtalen {when}. Du trenger ikke å møte opp.",
    "appointment_moved": "Avtalen din er flyttet: {title} {when}{place}.",
    "appointment_escort_moved": "Avtalen du skal følge {name} på er flyttet til {when}{place}.",
    "appointment_cancelled": "Avtalen din {when} er avlyst.",
    "appointment_escort_cancelled": "Avtalen med {name} {when} er avlyst. Du trenger ikke å møte opp.",
    "appointment_escort_released": "Du trenger ikke å følge {name} {when} likevel. Takk for at du stilte opp!",
    "appointment_reschedule": "Takk! En av de ansatte finner en ny tid og tar kontakt med deg.",
    "appointment_missed_yesterday": "Vi savnet deg i går. Vil du ha en ny time? Svar JA",
    "appointment_missed_day": "Vi savnet deg {day}. Vil du ha en ny time? Svar JA",
    "appointment_missed_label": "Ny time etter {day}",
    "appointment_new_time_yes": "Takk! En av de ansatte tar kontakt for å finne en ny time.",
    "appointment_new_time_no": "Det er helt greit. Du kan alltid skrive til oss.",
    "appointment_list": "Dine avtaler:\n{lines}",
    "appointment_list_item": "{when}: {title}{place}",
    "appointment_list_escort": "{when}: følge {name}{place}",
    "appointment_list_empty": "Du har ingen avtaler fremover.",
    "appointment_label": "{title} {day} {clock}",
    # --- activities ---
    # --- rota ---
    # --- checkins ---
}
