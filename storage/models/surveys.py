"""Surveys by text, and the report fields on people and activities (issue 14).

An anonymous survey keeps its answers where nothing leads back to a person: a count per answer
(``survey_tallies``) and one shuffled list of free-text answers per question
(``survey_free_texts``), with no time, no row per answer and no id that follows the order in
which people answered. A named survey also keeps ``survey_answers`` with the recipient.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, UtcDateTime
from storage.models.states import RecipientStatus, SurveyStatus, check_in


class Survey(Base):
    __tablename__ = "surveys"

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    title: Mapped[str] = mapped_column(String(120))
    anonymous: Mapped[bool] = mapped_column(Boolean, default=True)
    # "yearly" or "session" when made from a built-in template.
    template: Mapped[str | None] = mapped_column(String(20))
    # "appointment_attended": asked after each appointment marked attended, from sent_at on.
    trigger: Mapped[str | None] = mapped_column(String(30))
    status: Mapped[str] = mapped_column(String(10), default=SurveyStatus.DRAFT)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    __table_args__ = (check_in("status", SurveyStatus),)


class SurveyQuestion(Base):
    __tablename__ = "survey_questions"

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(10))  # scale | yesno | text
    text: Mapped[str] = mapped_column(Text)
    text_en: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (Index("ix_survey_questions_survey", "survey_id", "position"),)


class SurveyRecipient(Base):
    """That a person was asked, and how far they came; never what they answered."""

    __tablename__ = "survey_recipients"

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    # The appointment a triggered survey follows.
    ref_id: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(10), default=RecipientStatus.ASKED)
    # The next question to answer (0-based).
    position: Mapped[int] = mapped_column(Integer, default=0)
    reminded: Mapped[bool] = mapped_column(Boolean, default=False)

    __table_args__ = (
        Index("ix_survey_recipients_survey", "survey_id", "status"),
        check_in("status", RecipientStatus),
    )


class SurveyTally(Base):
    """How many gave one answer ("1".."5", "yes", "no") to one question."""

    __tablename__ = "survey_tallies"

    question_id: Mapped[int] = mapped_column(
        ForeignKey("survey_questions.id", ondelete="CASCADE"), primary_key=True
    )
    value: Mapped[str] = mapped_column(String(10), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)


class SurveyFreeText(Base):
    """One question's free-text answers, as one list in random order."""

    __tablename__ = "survey_free_texts"

    question_id: Mapped[int] = mapped_column(
        ForeignKey("survey_questions.id", ondelete="CASCADE"), primary_key=True
    )
    answers: Mapped[list[str]] = mapped_column(JSON, default=list)


class SurveyAnswer(Base):
    """An answer of a named (not anonymous) survey, with who gave it."""

    __tablename__ = "survey_answers"

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("survey_questions.id", ondelete="CASCADE"))
    recipient_id: Mapped[int] = mapped_column(
        ForeignKey("survey_recipients.id", ondelete="CASCADE"), index=True
    )
    value: Mapped[str] = mapped_column(Text)


class ActivityType(Base):
    """A kind of activity a site counts in its yearly report (quiz and bingo, hairdresser …)."""

    __tablename__ = "activity_types"

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    key: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(80))
