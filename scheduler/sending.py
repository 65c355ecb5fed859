"""What the dispatcher needs of a channel; bot/channels/ provides the real ones."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol


@dataclass(frozen=True)
class OutgoingText:
    message_id: int
    channel: str
    address: str
    text: str
    buttons: list[Any] | None = None  # [[label, answer], ...]
    question_id: int | None = None
    # When the dispatcher claimed the row: the claim it must still hold to record the outcome.
    claimed_at: datetime | None = None
    # The site's own number to send from, if it has one (SMS).
    sender: str | None = None


class SendError(Exception):
    """A provider refused or failed. ``permanent`` errors are never retried.

    ``retry_after`` (seconds) is the provider's own wish, e.g. Telegram's 429. ``ambiguous``
    means the provider may have accepted the text anyway (a time-out or a dropped connection
    after the request went out): the dispatcher asks ``find_sent`` before sending it again.
    ``code`` is the provider's error code ("21211"); ``fatal`` means every send on the channel
    will fail the same way (wrong credentials, account suspended), so the channel is paused.
    """

    def __init__(
        self,
        reason: str,
        *,
        permanent: bool,
        retry_after: float | None = None,
        ambiguous: bool = False,
        code: str | None = None,
        fatal: bool = False,
    ) -> None:
        super().__init__(reason)
        self.code = code
        self.fatal = fatal
        self.reason = reason[:200]
        self.permanent = permanent
        self.retry_after = retry_after
        self.ambiguous = ambiguous


@dataclass(frozen=True)
class Limits:
    """How fast a channel may send: overall per second, and the least gap to one address."""

    per_second: float
    per_address_interval: float = 0.0


class Sender(Protocol):
    channel: str
    limits: Limits

    async def send(self, text: OutgoingText) -> str:
        """Hand the text to the provider and return its id; raise SendError on failure."""
        ...

    async def find_sent(self, text: OutgoingText, since: datetime) -> str | None:
        """After a crash: the provider id if this text was in fact accepted since ``since``.

        Providers without a way to ask return None, and the text is sent again.
        """
        ...
