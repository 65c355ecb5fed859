"""English. Short, plain and kind. Never why someone has an appointment."""

TEXTS: dict[str, str] = {
    # --- foundation ---
    "stopped": "You will get no more messages from us. Text START if you want them again.",
    "started": "Welcome back! You will get messages from us again. Text STOP to end them.",
    "help": (
        "You can text: YES or NO, {words}"
        "IDEA and your idea, STOP for no messages. Anything else goes to the staff."
    ),
    "word_appointments": "APPOINTMENTS",
    "word_activities": "ACTIVITIES",
    "word_shifts": "SHIFTS",
    "word_cancel_shift": "CANCEL for a shift",
    "help_stranger": (
        "This is the text service of {site}. Your number is not registered: "
        "ask the staff to add you."
    ),
    "stopped_reminder": "You have said STOP, so you get no messages. Text START to get them again.",
    "received": "Thank you, we got your message. Someone from the staff will read it.",
    "received_again": "Got it, thank you.",
    "more_hint": "Text MORE for {count} more.",
    "unknown_sender": "Hi! This number is not registered with us. Someone from the staff will look.",
    "which_question": "What are you answering? Text the number and answer, e.g. {example} YES:\n{lines}",
    "no_open_question": "Thank you! We have no question for you now. Someone from the staff will look.",
    "answer_too_late": "Thank you for answering. That time has already passed.",
    "telegram_linked": "Hi {name}! You will now get our messages here. Text HELP for help.",
    "telegram_bad_code": "That code does not work. Ask the staff for a new one.",
    "telegram_welcome": "Hi! Send the code you got from the staff: /start CODE",
    "yes": "YES",
    "no": "NO",
    "thanks_answer": "Thank you for answering!",
    "already_answered": "You have already answered.",
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
    "maybe": "MAYBE",
    "act_invite": "{title} {when}{where}. {description}Would you like to come? Reply YES, NO or MAYBE.",
    "act_invite_open": "{title} {when}{where}. {description}No sign-up, just come!",
    "act_signed_up": "You are signed up for {title} {when}{where}. Can't come? Text LEAVE {code}.",
    "act_waitlisted": (
        "{title} is full. You are number {place} on the waiting list. We will tell you if a place opens."
    ),
    "act_already": "You are already signed up for {title} {when}.",
    "act_already_waitlisted": "You are already number {place} on the waiting list for {title}.",
    "act_closed": "Sorry, sign-up for {title} has closed. Feel free to ask the staff.",
    "act_not_open": "{title} is cancelled or over. Text ACTIVITIES to see what is on.",
    "act_no_signup": "No need to sign up for {title}. Just come {when}!",
    "act_declined": "Thank you for answering! Maybe next time.",
    "act_interested": "Thanks! We noted you might join {title}. Text JOIN {code} to get a place.",
    "act_left": "You are no longer signed up for {title}. Thank you for telling us!",
    "act_not_signed_up": "You are not signed up for {title}.",
    "act_promoted": "A place opened: you are signed up for {title} {when}{where}! Can't come? Text LEAVE {code}.",
    "act_reminder": "Reminder: {title} {when}{where}. Can't come? Text LEAVE {code}.",
    "act_changed": "Change: {title} is now {when}{where}.",
    "act_cancelled": "Sorry, {title} {when} is cancelled.",
    "act_unknown_code": "We did not find the code {code}. Open now: {codes}. Text e.g. JOIN {example}.",
    "act_which_code": "Text JOIN and the code. Open now: {codes}. For example JOIN {example}.",
    "act_none_open": "No activities are open for sign-up now. Feel free to ask the staff.",
    "act_list": "Activities:\n{lines}\nText JOIN and the code to sign up.",
    "act_list_none": "No activities are planned right now. Feel free to ask the staff.",
    "act_mark_signed_up": "signed up",
    "act_mark_waitlisted": "waiting list",
    "act_mark_open": "just come",
    "act_mark_closed": "closed",
    "act_leave_which": "Text LEAVE and the code. You are signed up for: {codes}.",
    "act_leave_none": "You are not signed up for anything. Text ACTIVITIES to see what is on.",
    "suggestion_thanks": "Thank you for the idea! The staff will read it.",
    "suggestion_thanks_anon": "Thank you for the idea! It was sent without your name.",
    "suggestion_empty": "Write the idea after the word, e.g. IDEA more fish. Without your name: IDEA ANON more fish",
    # --- rota ---
    "shift_label": "{title} {day} {start}-{end}",
    "shift_offer": "Can you take {title} on {day} {start}-{end}? Reply YES or NO.",
    "shift_nudge": "We have not heard from you: can you take {title} on {day} {start}-{end}? Reply YES or NO.",
    "shift_yes_or_no": "Reply YES or NO: can you take {title} on {day} {start}-{end}?",
    "shift_confirmed": "Thank you! You have {title} on {day} {start}-{end}. Text CANCEL if you cannot after all.",
    "shift_declined": "Thank you for answering! We will ask someone else.",
    "shift_taken": "Thank you! The shift has already been taken. We will gladly ask you another time.",
    "shift_call": "We need one more for {title} on {day} {start}-{end}. Can you? The first to reply YES gets it.",
    "shift_reminder": "Reminder: you have {title} {when}-{end}. Text CANCEL if you cannot come.",
    "shift_list": "Your shifts:\n{lines}",
    "shift_list_empty": "You have no shifts coming up.",
    "shift_cancel_which": "Which shift can you not take? Text CANCEL and the number:\n{lines}",
    "shift_cancel_none": "You have no shifts to cancel.",
    "shift_cancelled": "Thank you for telling us! We will find someone else for {title} on {day}.",
    "shift_assigned": "You are on {title} on {day} {start}-{end}. Text CANCEL if you cannot.",
    "shift_unassigned": "You are no longer on {title} on {day} {start}-{end}. Thank you!",
    "shift_called_off": "The shift {title} on {day} {start}-{end} is called off. Thank you for saying yes!",
    "shift_gone": "Thank you for answering! That shift has been called off.",
    "shift_unfilled_inbox": "Nobody has taken the shift {label}. Open call sent to {count} volunteers.",
    "shift_cancelled_inbox": "Cancellation for the shift {label}. Asking for a replacement.",
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
    # Staff inbox notes from the message path (handlers/reply_budget.py, scheduler/).
    "flood_inbox": "Many texts from this number. Automatic answers are paused; the texts still arrive here.",
    "robot_inbox": "This number seems to answer automatically. We will not answer it automatically for a day.",
    "inbound_failed_inbox": "This text could not be handled automatically. Please read it and answer yourself.",
    "send_unknown_inbox": "We do not know whether this text was sent: {text}",
    # --- surveys ---
    "survey_intro": "{title}: {count} short questions, one at a time. Answer if you like. STOP to end.",
    "survey_question": "{n}/{count}: {question} {how}",
    "survey_answer_scale": "Answer 1 (little) to 5 (a lot).",
    "survey_answer_yesno": "Answer YES or NO.",
    "survey_answer_text": "Answer in a few words.",
    "survey_reminder": "A reminder of our question: {text}",
    "survey_thanks": "Thank you for your answers! They help us do better.",
    "survey_not_understood": "Please answer with a number from 1 to 5, or YES or NO.",
}
