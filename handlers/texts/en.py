"""English. Short, plain and kind. Never why someone has an appointment."""

TEXTS: dict[str, str] = {
    # --- foundation ---
    "stopped": "You will get no more messages from us. Text START if you want them again.",
    "started": "Welcome back! You will get messages from us again. Text STOP to end them.",
    "help": (
        "You can text: YES or NO to answer, APPOINTMENTS, ACTIVITIES, SHIFTS, "
        "STOP for no messages. Anything else goes to the staff."
    ),
    "received": "Thank you, we got your message. Someone from the staff will read it.",
    "unknown_sender": "Hi! This number is not registered with us. Someone from the staff will look.",
    "which_question": "What are you answering? Text the number and answer, e.g. 1 YES:\n{options}",
    "no_open_question": "Thank you! We have no question for you now. Someone from the staff will look.",
    "answer_too_late": "Thank you for answering. That time has already passed.",
    "telegram_linked": "Hi {name}! You will now get our messages here. Text HELP for help.",
    "telegram_bad_code": "That code does not work. Ask the staff for a new one.",
    "telegram_welcome": "Hi! Send the code you got from the staff: /start CODE",
    "yes": "YES",
    "no": "NO",
    "thanks_answer": "Thank you for answering!",
    # --- appointments ---
    "appointment_default_title": "Appointment",
    "appointment_reminder": "Reminder: {title} {when}{place}. Will you come? Reply YES or NO. Need a new time? Write MOVE.",
    "appointment_reminder_confirmed": "Reminder: {title} {when}{place}. Thank you for confirming.",
    "appointment_escort_reminder": "Reminder: You are going with {name} {when}{place}.",
    "appointment_yes": "Thank you! Your appointment {when} is confirmed.",
    "appointment_no": "Thank you for telling us. We will contact you to find a new time if you want.",
    "appointment_maybe": "Thank you! Someone from the staff will contact you.",
    "appointment_not_active": "Thank you for answering. That appointment is no longer on.",
    "appointment_escort_declined": "{name} is not going to the appointment {when}. You do not need to come.",
    "appointment_moved": "Your appointment has moved: {title} {when}{place}.",
    "appointment_escort_moved": "The appointment you are going to with {name} has moved to {when}{place}.",
    "appointment_cancelled": "Your appointment {when} is cancelled.",
    "appointment_escort_cancelled": "The appointment with {name} {when} is cancelled. You do not need to come.",
    "appointment_escort_released": "You no longer need to go with {name} {when}. Thank you for offering!",
    "appointment_reschedule": "Thank you! Someone from the staff will find a new time and contact you.",
    "appointment_missed_yesterday": "We missed you yesterday. Would you like a new time? Reply YES",
    "appointment_missed_day": "We missed you {day}. Would you like a new time? Reply YES",
    "appointment_missed_label": "New time after {day}",
    "appointment_new_time_yes": "Thank you! Someone from the staff will contact you about a new time.",
    "appointment_new_time_no": "That is fine. You can always write to us.",
    "appointment_list": "Your appointments:\n{lines}",
    "appointment_list_item": "{when}: {title}{place}",
    "appointment_list_escort": "{when}: going with {name}{place}",
    "appointment_list_empty": "You have no upcoming appointments.",
    "appointment_label": "{title} {day} {clock}",
    # --- activities ---
    # --- rota ---
    # --- checkins ---
}
