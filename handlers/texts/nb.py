"""Norsk bokmål. Kort, enkelt og vennlig. Aldri hvorfor noen har en avtale."""

TEXTS: dict[str, str] = {
    # --- foundation ---
    "stopped": "Du får ikke flere meldinger fra oss. Skriv START hvis du vil ha dem igjen.",
    "started": "Velkommen tilbake! Du får meldinger fra oss igjen. Skriv STOPP for å slutte.",
    "help": (
        "Du kan skrive: JA eller NEI, {words}"
        "FORSLAG og ditt forslag, STOPP for ingen meldinger. Alt annet leser de ansatte."
    ),
    "word_appointments": "TIMER",
    "word_activities": "AKTIVITETER",
    "word_shifts": "VAKTER",
    "word_cancel_shift": "AVBUD for en vakt",
    "help_stranger": (
        "Hei! Dette er SMS-tjenesten til {site}: påminnelser og aktiviteter. "
        "Nummeret ditt er ikke registrert. Spør de ansatte om å bli registrert."
    ),
    "stopped_reminder": "Du har sagt STOPP, så du får ingen meldinger. Skriv START for å få dem igjen.",
    "received": "Takk, meldingen er mottatt. En av de ansatte leser den.",
    "received_again": "Mottatt, takk.",
    "more_hint": "Skriv MER for {count} til.",
    "unknown_sender": (
        "Hei! Dette nummeret er ikke registrert hos oss. En av de ansatte ser på meldingen din."
    ),
    "which_question": "Hva svarer du på? Skriv nummeret og svaret, for eksempel {example} JA:\n{lines}",
    "no_open_question": "Takk! Vi har ikke noe spørsmål til deg nå. En ansatt ser på meldingen.",
    "answer_too_late": "Takk for svaret. Den tiden er allerede passert.",
    "telegram_linked": "Hei {name}! Nå får du meldinger fra oss her. Skriv HJELP for hjelp.",
    "telegram_bad_code": "Koden virker ikke. Spør de ansatte om en ny kode.",
    "telegram_welcome": "Hei! Skriv koden du fikk av de ansatte: /start KODE",
    "yes": "JA",
    "no": "NEI",
    "thanks_answer": "Takk for svaret!",
    "already_answered": "Du har allerede svart.",
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
    "maybe": "KANSKJE",
    "act_invite": "{title} {when}{where}. {description}Vil du være med? Svar JA, NEI eller KANSKJE.",
    "act_invite_open": "{title} {when}{where}. {description}Ingen påmelding, bare kom!",
    "act_signed_up": "Du er påmeldt {title} {when}{where}. Kan du ikke komme? Skriv AVMELD {code}.",
    "act_waitlisted": (
        "{title} er full. Du står som nr. {place} på ventelisten. Vi sier fra hvis du får plass."
    ),
    "act_already": "Du er allerede påmeldt {title} {when}.",
    "act_already_waitlisted": "Du står allerede som nr. {place} på ventelisten til {title}.",
    "act_closed": "Påmeldingen til {title} er dessverre stengt. Spør gjerne de ansatte.",
    "act_not_open": "{title} er avlyst eller ferdig. Skriv AKTIVITETER for å se hva som skjer.",
    "act_no_signup": "Du trenger ikke melde deg på {title}. Bare kom {when}!",
    "act_declined": "Takk for svaret! Kanskje neste gang.",
    "act_interested": (
        "Takk! Vi har notert at du kanskje blir med på {title}. Skriv MELD {code} for å få plass."
    ),
    "act_left": "Du er meldt av {title}. Takk for at du sa fra!",
    "act_not_signed_up": "Du er ikke påmeldt {title}.",
    "act_promoted": (
        "Du har fått plass på {title} {when}{where}! Kan du ikke komme? Skriv AVMELD {code}."
    ),
    "act_reminder": "Påminnelse: {title} {when}{where}. Kan du ikke komme? Skriv AVMELD {code}.",
    "act_changed": "Endring: {title} er nå {when}{where}.",
    "act_cancelled": "{title} {when} er dessverre avlyst.",
    "act_unknown_code": "Vi fant ikke koden {code}. Åpne nå: {codes}. Skriv for eksempel MELD {example}.",
    "act_which_code": "Skriv MELD og koden. Åpne nå: {codes}. For eksempel MELD {example}.",
    "act_none_open": "Ingen aktiviteter er åpne for påmelding nå. Spør gjerne de ansatte.",
    "act_list": "Aktiviteter:\n{lines}\nSkriv MELD og koden for å melde deg på.",
    "act_list_none": "Ingen aktiviteter er planlagt nå. Spør gjerne de ansatte.",
    "act_mark_signed_up": "påmeldt",
    "act_mark_waitlisted": "venteliste",
    "act_mark_open": "bare kom",
    "act_mark_closed": "stengt",
    "act_leave_which": "Skriv AVMELD og koden. Du er påmeldt: {codes}.",
    "act_leave_none": "Du er ikke påmeldt noe nå. Skriv AKTIVITETER for å se hva som skjer.",
    "suggestion_thanks": "Takk for forslaget! De ansatte leser det.",
    "suggestion_thanks_anon": "Takk for forslaget! Det er sendt uten navnet ditt.",
    "suggestion_empty": (
        "Skriv forslaget etter ordet, f.eks. FORSLAG mer fisk. Uten navn: FORSLAG ANONYM mer fisk"
    ),
    # --- rota ---
    "shift_label": "{title} {day} {start}-{end}",
    "shift_offer": "Kan du ta {title} {day} {start}-{end}? Svar JA eller NEI.",
    "shift_nudge": "Vi har ikke fått svar: Kan du ta {title} {day} {start}-{end}? Svar JA eller NEI.",
    "shift_yes_or_no": "Svar JA eller NEI: Kan du ta {title} {day} {start}-{end}?",
    "shift_confirmed": "Tusen takk! Du har {title} {day} {start}-{end}. Skriv AVBUD hvis du ikke kan likevel.",
    "shift_declined": "Takk for svaret! Vi spør en annen.",
    "shift_taken": "Takk! Vakten er allerede tatt. Vi spør deg gjerne en annen gang.",
    "shift_call": "Vi mangler en på {title} {day} {start}-{end}. Kan du? Den første som svarer JA, får vakten.",
    "shift_reminder": "Påminnelse: Du har {title} {when}-{end}. Skriv AVBUD hvis du ikke kan komme.",
    "shift_list": "Dine vakter:\n{lines}",
    "shift_list_empty": "Du har ingen vakter framover.",
    "shift_cancel_which": "Hvilken vakt kan du ikke ta? Skriv AVBUD og nummeret:\n{lines}",
    "shift_cancel_none": "Du har ingen vakter å melde avbud på.",
    "shift_cancelled": "Takk for beskjed! Vi finner en annen til {title} {day}.",
    "shift_assigned": "Du er satt opp på {title} {day} {start}-{end}. Skriv AVBUD hvis du ikke kan.",
    "shift_unassigned": "Du er ikke lenger satt opp på {title} {day} {start}-{end}. Takk!",
    "shift_called_off": "Vakten {title} {day} {start}-{end} er avlyst. Takk for at du sa ja!",
    "shift_gone": "Takk for svaret! Den vakten er avlyst.",
    "shift_unfilled_inbox": "Ingen har tatt vakten {label}. Åpen forespørsel sendt til {count} frivillige.",
    "shift_cancelled_inbox": "Avbud på vakten {label}. Vi spør en erstatter.",
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
    # Staff inbox notes from the message path (handlers/reply_budget.py, scheduler/).
    "flood_inbox": "Mange meldinger fra dette nummeret. Automatiske svar er satt på pause; meldingene kommer fortsatt hit.",
    "robot_inbox": "Dette nummeret ser ut til å svare automatisk. Vi svarer det ikke automatisk det neste døgnet.",
    "inbound_failed_inbox": "Denne meldingen kunne ikke behandles automatisk. Les den og svar selv.",
    "send_unknown_inbox": "Vi vet ikke om denne meldingen ble sendt: {text}",
    # --- surveys ---
    "survey_intro": "{title}: {count} korte spørsmål, ett om gangen. Svar om du vil. STOPP for å slutte.",
    "survey_question": "{n}/{count}: {question} {how}",
    "survey_answer_scale": "Svar 1 (lite) til 5 (mye).",
    "survey_answer_yesno": "Svar JA eller NEI.",
    "survey_answer_text": "Svar med noen få ord.",
    "survey_reminder": "Vi minner om spørsmålet: {text}",
    "survey_thanks": "Takk for svarene dine! De hjelper oss å bli bedre.",
    "survey_not_understood": "Svar med et tall fra 1 til 5, eller JA eller NEI.",
}
