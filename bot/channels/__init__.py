"""Provider channels: one module each, one interface.

A channel is a ``scheduler.sending.Sender`` (send, find_sent, limits) that also owns its webhook
routes, which check the provider's signature, store the incoming text and answer.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from aiohttp import web

from scheduler.sending import Sender

if TYPE_CHECKING:
    from bot.service import Los


class Channel(Sender, Protocol):
    def routes(self, los: Los) -> list[web.RouteDef]:
        """The webhook routes this channel answers."""
        ...

    async def close(self) -> None: ...
