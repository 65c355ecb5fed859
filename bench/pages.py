"""Server time per staff page on the demo site scaled to 600 participants, 300 volunteers and
20,000 texts, with months of work on it (``bench.pages_data``); the goal: under 100 ms at p95
for every view.

Each view is requested through the real app (aiohttp, signed in with both factors) 40 times
after a warm-up; the figures include rendering and the loopback round trip, on SQLite. A form
that only shows (the broadcast preview) is posted like a page.

    python -m bench.pages [--repeat 40] [--only TEXT]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, insert, select

from bench.pages_data import WorkIds, scale_work
from handlers import thread_figures
from storage.models import ContactPoint, InboxItem, Message, Person, PersonRole, Site
from tests.browser.demo_site import demo_site
from tests.harness import Harness
from tests.staff_app import make_staff, page_csrf, sign_in

PARTICIPANTS = 600
VOLUNTEERS = 300
TEXTS = 20_000
FLOOD = 500  # texts from one unknown number: one thread


async def scale_up(h: Harness) -> dict[str, int]:
    """Bulk rows on top of ``los demo``: people with numbers, texts both ways, inbox items."""
    rng = random.Random(9)
    now = h.clock.now()
    async with h.session() as session:
        site_id = await session.scalar(select(Site.id).order_by(Site.id).limit(1))
        have = await session.scalar(select(func.count()).select_from(Person)) or 0
        start = (await session.scalar(select(func.max(Person.id)))) or 0
        wanted = PARTICIPANTS + VOLUNTEERS - have + 3
        people = [
            {
                "id": start + 1 + n,
                "site_id": site_id,
                "name": f"Person {n:04d} {rng.choice(['Hansen', 'Olsen', 'Berg', 'Lie'])}",
                "language": "nb",
                "status": "active",
                "created_at": now,
            }
            for n in range(wanted)
        ]
        await session.execute(insert(Person), people)
        await session.execute(
            insert(PersonRole),
            [
                {"person_id": p["id"], "role": "participant" if n % 3 else "volunteer"}
                for n, p in enumerate(people)
            ],
        )
        contacts = [
            {
                "person_id": p["id"],
                "channel": "sms",
                "address": f"+4745{n:06d}",
                "created_at": now,
            }
            for n, p in enumerate(people)
        ]
        await session.execute(insert(ContactPoint), contacts)
        flood = ContactPoint(channel="sms", address="+4745999999", created_at=now)
        session.add(flood)
        await session.flush()
        ids = {
            address: (cid, pid)
            for cid, pid, address in (
                await session.execute(
                    select(ContactPoint.id, ContactPoint.person_id, ContactPoint.address)
                )
            ).all()
        }
        senders = [ids[str(c["address"])] for c in contacts]
        messages = []
        for n in range(TEXTS - FLOOD):
            contact_id, person_id = rng.choice(senders)
            direction = "in" if n % 5 < 2 else "out"
            messages.append(
                {
                    "direction": direction,
                    "site_id": site_id,
                    "person_id": person_id,
                    "contact_point_id": contact_id,
                    "channel": "sms",
                    "address": "+47",
                    "text": "Hei, dette er en melding om en avtale i neste uke.",
                    "status": "received" if direction == "in" else "delivered",
                    "kind": "message" if direction == "in" else "reply",
                    "attempts": 0,
                    "urgent": False,
                    "created_at": now - timedelta(minutes=TEXTS - n),
                }
            )
        for n in range(FLOOD):
            messages.append(
                {
                    "direction": "in",
                    "site_id": site_id,
                    "contact_point_id": flood.id,
                    "channel": "sms",
                    "address": "+4745999999",
                    "text": "AUTOSVAR: jeg er på ferie",
                    "status": "received",
                    "kind": "message",
                    "attempts": 0,
                    "urgent": False,
                    "created_at": now - timedelta(seconds=FLOOD - n),
                }
            )
        await session.execute(insert(Message), messages)
        inbound = (
            await session.execute(
                select(Message.id, Message.person_id, Message.contact_point_id, Message.created_at)
                .where(Message.direction == "in")
                .order_by(Message.id)
            )
        ).all()
        items = [
            {
                "site_id": site_id,
                "person_id": person_id,
                "message_id": message_id,
                "contact_point_id": contact_id,
                "kind": "message" if person_id else "unknown_sender",
                "urgent": n % 97 == 0,
                "status": "open" if n % 4 else "resolved",
                "created_at": at,
            }
            for n, (message_id, person_id, contact_id, at) in enumerate(inbound)
            if person_id is None or n % 3 == 0
        ]
        await session.execute(insert(InboxItem), items)
        await thread_figures.fill(session)  # the items went in bulk, past add_item
        total_texts = await session.scalar(select(func.count()).select_from(Message))
        total_people = await session.scalar(select(func.count()).select_from(Person))
    return {
        "people": int(total_people or 0),
        "texts": int(total_texts or 0),
        "inbox_items": len(items),
        "flood_contact": flood.id,
    }


View = tuple[str, str, dict[str, str] | None]  # name, path, form to post (None: GET)


async def fetch(h: Harness, path: str, form: dict[str, str] | None) -> int:
    if form is None:
        resp = await h.client.get(path)
    else:
        resp = await h.client.post(path, data=form)
    await resp.read()
    return resp.status


async def time_views(h: Harness, views: list[View], repeat: int) -> None:
    print(f"{'view':<32} {'p50 ms':>8} {'p95 ms':>8}")
    for name, path, form in views:
        for _ in range(3):
            await fetch(h, path, form)
        samples = []
        for _ in range(repeat):
            started = time.perf_counter()
            status = await fetch(h, path, form)
            samples.append((time.perf_counter() - started) * 1000)
            assert status == 200, (path, status)
        samples.sort()
        p95 = samples[min(len(samples) - 1, round(0.95 * len(samples)) - 1)]
        print(f"{name:<32} {statistics.median(samples):>8.1f} {p95:>8.1f}", flush=True)


def work_views(ids: WorkIds, csrf: str) -> list[View]:
    """The staff app, part 2, and the follow-up, survey and report pages."""
    compose = {"csrf": csrf, "text": "Husk grillfesten på fredag kl. 16!", "roles": "participant"}
    return [
        ("Avtaler, dag", "/appointments", None),
        ("Avtaler, uke", "/appointments?span=week", None),
        ("Ny avtale", "/appointments/new", None),
        ("Aktiviteter", "/activities", None),
        ("Aktiviteter, tidligere", "/activities?when=past", None),
        ("Aktivitet (påmeldte, venteliste)", f"/activities/{ids.activity}", None),
        ("Aktivitet i døra", f"/activities/{ids.door}", None),
        ("Aktivitet, forhåndsvisning", f"/activities/{ids.activity}?preview=1", None),
        ("Utsendinger", "/broadcasts", None),
        ("Utsending, forhåndsvisning", "/broadcasts/preview", compose),
        ("Utsending, framdrift", f"/broadcasts/{ids.broadcast}", None),
        ("Vaktplan, uke", "/rota", None),
        ("Vakt (hvem er neste)", f"/rota/shifts/{ids.shift}", None),
        ("Innsjekk", "/checkins", None),
        ("Innsjekk, en plan (profil)", f"/people/{ids.participant}", None),
        ("Rapporter (12 mnd)", "/reports", None),
        ("Rapporter, utskrift", "/reports/print", None),
        ("Undersøkelser", "/surveys", None),
        ("Undersøkelse, resultater", f"/surveys/{ids.survey}", None),
        ("Oppdrag", "/assignments", None),
        ("Oppdrag, én deltaker", f"/assignments?participant_id={ids.participant}", None),
        ("Skranken", "/desk", None),
        ("Drift", "/drift", None),
        ("API-nøkler", "/settings/tokens", None),
    ]


async def run(repeat: int, only: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        async with demo_site(Path(folder)) as h:
            figures = await scale_up(h)
            print(
                f"{figures['people']} people, {figures['texts']} texts, "
                f"{figures['inbox_items']} inbox items (one number sent {FLOOD})"
            )
            async with h.session() as session:
                ids = await scale_work(session, h.clock)
            await make_staff(h, "bench@los.invalid", role="admin")
            await sign_in(h, "bench@los.invalid")
            async with h.session() as session:
                busiest = await session.scalar(
                    select(InboxItem.person_id)
                    .where(InboxItem.person_id.is_not(None))
                    .group_by(InboxItem.person_id)
                    .order_by(func.count().desc())
                    .limit(1)
                )
                someone = await session.scalar(
                    select(Person.id).where(Person.name.like("Person 0042%"))
                )
            views: list[View] = [
                ("I dag / (med ikke sett)", "/", None),
                ("Innboks /inbox", "/inbox", None),
                ("Innboks, løste", "/inbox?view=resolved", None),
                ("Tråd (travleste person)", f"/inbox/p{busiest}", None),
                ("Tråd (500 fra ett nummer)", f"/inbox/c{figures['flood_contact']}", None),
                ("Personer /people", "/people", None),
                ("Personer, søk", "/people?q=Hansen&role=participant", None),
                ("Profil /people/{id}", f"/people/{someone}", None),
                ("Innstillinger /settings", "/settings", None),
            ]
            views += work_views(ids, await page_csrf(h, "/broadcasts"))
            await time_views(h, [v for v in views if only.lower() in v[0].lower()], repeat)
            if not only:
                h.client.session.headers["Authorization"] = f"Bearer {h.token}"
                await time_views(h, [("API GET /api/inbox", "/api/inbox", None)], repeat)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=40)
    parser.add_argument("--only", default="", help="time only the views whose name has this")
    args, _ = parser.parse_known_args()
    asyncio.run(run(args.repeat, args.only))


if __name__ == "__main__":
    main()
