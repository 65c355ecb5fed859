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
    # --- activities ---
    # --- rota ---
    "shift_label": "{title} {day} {start}–{end}",
    "shift_offer": "Can you take {title} on {day} {start}–{end}? Reply YES or NO.",
    "shift_nudge": "We have not heard from you: can you take {title} on {day} {start}–{end}? Reply YES or NO.",
    "shift_yes_or_no": "Reply YES or NO: can you take {title} on {day} {start}–{end}?",
    "shift_confirmed": "Thank you! You have {title} on {day} {start}–{end}. Text CANCEL if you cannot after all.",
    "shift_declined": "Thank you for answering! We will ask someone else.",
    "shift_taken": "Thank you! The shift has already been taken. We will gladly ask you another time.",
    "shift_call": "We need one more for {title} on {day} {start}–{end}. Can you? The first to reply YES gets it.",
    "shift_reminder": "Reminder: you have {title} {when}–{end}. Text CANCEL if you cannot come.",
    "shift_list": "Your shifts:\n{lines}",
    "shift_list_empty": "You have no shifts coming up.",
    "shift_cancel_which": "Which shift can you not take? Text CANCEL and the number:\n{lines}",
    "shift_cancel_none": "You have no shifts to cancel.",
    "shift_cancelled": "Thank you for telling us! We will find someone else for {title} on {day}.",
    "shift_assigned": "You are on {title} on {day} {start}–{end}. Text CANCEL if you cannot.",
    "shift_unassigned": "You are no longer on {title} on {day} {start}–{end}. Thank you!",
    "shift_called_off": "The shift {title} on {day} {start}–{end} is called off. Thank you for saying yes!",
    "shift_gone": "Thank you for answering! That shift has been called off.",
    "shift_unfilled_inbox": "Nobody has taken the shift {label}. Open call sent to {count} volunteers.",
    "shift_cancelled_inbox": "Cancellation for the shift {label}. Asking for a replacement.",
    # --- checkins ---
}
