"""``los chat PHONE``: a terminal that texts the running service as PHONE (console channel)."""

from __future__ import annotations

import asyncio
import sys

import aiohttp


async def poll(http: aiohttp.ClientSession, url: str, phone: str, stop: asyncio.Event) -> None:
    seen = 0
    first = True
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
            if not first:
                print(f"\nLos: {message['text']}\n> ", end="", flush=True)
        first = False
        await asyncio.sleep(0.5)


async def run_chat(url: str, phone: str) -> None:
    async with aiohttp.ClientSession() as http:
        try:
            async with http.get(f"{url}/console/messages", params={"phone": phone}) as resp:
                if resp.status == 404:
                    print(
                        "the console channel is off: it needs LOS_CONSOLE=1, no Twilio, "
                        "and loopback HOST and PUBLIC_URL"
                    )
                    raise SystemExit(1)
                if resp.status == 422:
                    print(f"{phone} is not a phone number")
                    raise SystemExit(1)
        except aiohttp.ClientError:
            print(f"Los is not running at {url}; start it with `los serve`")
            raise SystemExit(1) from None
        print(f"Texting Los as {phone}. Write a message and press Enter; Ctrl-D ends.")
        stop = asyncio.Event()
        poller = asyncio.create_task(poll(http, url, phone, stop))
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
