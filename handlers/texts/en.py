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
    # --- checkins ---
    "checkin_question": "How are you today? Answer 1 (bad) to 5 (good).",
    "checkin_label": "How are you",
    "checkin_thanks": "Thank you for answering!",
    "checkin_low_reply": (
        "Thank you for answering. Someone from the staff will contact you. "
        "If it is urgent, call Mental Helse 116 123 or legevakt 116 117."
    ),
    "checkin_nudge": "Hi again, we would like to hear from you.",
    "crisis_reply": (
        "Thank you for writing. If a life is in danger, call 113. Legevakt (doctor): 116 117. "
        "Mental Helse helpline: 116 123, open 24/7. We are telling the staff."
    ),
    "office_closed": (
        "Thank you, we got your message. The staff are back {when}. "
        "If it is urgent: call 113, legevakt 116 117 or Mental Helse 116 123."
    ),
    "office_closed_unknown": (
        "Hi! This number is not registered with us. The staff are back {when}. "
        "If it is urgent: call 113 or legevakt 116 117."
    ),
}
