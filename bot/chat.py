"""``los chat PHONE``: a terminal that texts the running service as PHONE (console channel).

It starts with the last few texts Los sent to PHONE (a shift offer sent before the chat began is
not missed), then prints new ones as they are sent.
"""

from __future__ import annotations

import asyncio
import sys
from typing import Any

import aiohttp

# How many earlier texts to PHONE the chat shows when it starts.
EARLIER = 5
POLL_SECONDS = 0.5


def show(message: dict[str, Any]) -> None:
    print(f"Los: {message['text']}")


async def poll(
    http: aiohttp.ClientSession, url: str, phone: str, seen: int, stop: asyncio.Event
) -> None:
    while not stop.is_set():
        try:
            async with http.get(
                f"{url}/console/messages", params={"phone": phone, "after": seen}
            ) as resp:
                data = await resp.json()
        except aiohttp.ClientError:
            await asyncio.sleep(1)
            continue
        for message in data.get("messages", []):
            seen = max(seen, message["id"])
            print()
            show(message)
            print("> ", end="", flush=True)
        await asyncio.sleep(POLL_SECONDS)


async def earlier_texts(http: aiohttp.ClientSession, url: str, phone: str) -> list[Any]:
    """The last few texts to ``phone``; exits with one clear line when the chat cannot work."""
    try:
        async with http.get(
            f"{url}/console/messages", params={"phone": phone, "last": EARLIER}
        ) as resp:
            if resp.status == 404:
                print(
                    "the console channel is off: it needs LOS_CONSOLE=1, no Twilio, "
                    "and loopback HOST and PUBLIC_URL"
                )
                raise SystemExit(1)
            if resp.status == 422:
                print(f"{phone} is not a phone number")
                raise SystemExit(1)
            data = await resp.json()
    except aiohttp.ClientError:
        print(f"Los is not running at {url}; start it with `los serve` (or give --url)")
        raise SystemExit(1) from None
    return list(data.get("messages", []))


async def run_chat(url: str, phone: str) -> None:
    async with aiohttp.ClientSession() as http:
        earlier = await earlier_texts(http, url, phone)
        if earlier:
            print(f"Sent to {phone} before this chat:")
            for message in earlier:
                show(message)
            print()
        print(f"Texting Los as {phone}. Write a message and press Enter; Ctrl-D ends.")
        seen = max((m["id"] for m in earlier), default=0)
        stop = asyncio.Event()
        poller = asyncio.create_task(poll(http, url, phone, seen, stop))
        loop = asyncio.get_running_loop()
        while True:
            print("> ", end="", flush=True)
            line = await loop.run_in_executor(None, sys.stdin.readline)
            if not line:
                break
            if line.strip():
                await http.post(
                    f"{url}/console/messages", json={"phone": phone, "text": line.strip()}
                )
        await asyncio.sleep(2)  # replies to the last line, when input came from a pipe
        stop.set()
        await poller
