"""``los``: serve, migrate, staff add, demo, chat."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger
from aiohttp.web_request import BaseRequest
from aiohttp.web_response import StreamResponse

from bot.config import Settings, SettingsError, load_settings


class PathOnlyAccessLogger(AbstractAccessLogger):
    """Access log without query strings: they may hold phone numbers."""

    def log(self, request: BaseRequest, response: StreamResponse, time: float) -> None:
        self.logger.info("%s %s %s %.3fs", request.method, request.path, response.status, time)


def settings_or_exit() -> Settings:
    try:
        return load_settings()
    except SettingsError as exc:
        print(str(exc), file=sys.stderr)
        raise SystemExit(2) from None


def serve(settings: Settings) -> None:
    from bot.app import make_app
    from bot.service import Los, console_state

    los = Los(settings)
    channels = ", ".join(
        f"{c.channel} ({type(c).__name__.removesuffix('Channel').lower()})" for c in los.channels
    )
    print(
        f"Los on http://{settings.host}:{settings.port} — channels: {channels or 'none'}; "
        f"console channel {console_state(settings)}",
        flush=True,
    )
    web.run_app(
        make_app(los),
        host=settings.host,
        port=settings.port,
        print=None,
        access_log_class=PathOnlyAccessLogger,
    )


async def migrate(settings: Settings) -> None:
    from storage.db import create_engine
    from storage.migrate import upgrade

    engine = create_engine(settings.database_url)
    await upgrade(engine)
    await engine.dispose()
    print("database is at the newest schema")


async def staff_add(
    settings: Settings, name: str, email: str, role: str, site_ids: list[int]
) -> None:
    from bot.service import Los
    from bot.staff_users import add_staff
    from handlers.errors import Conflict, InputError

    los = Los(settings, channels=[])
    await los.prepare()
    try:
        async with los.sessions.begin() as session:
            user, token = await add_staff(
                session, los.clock, name=name, email=email, role=role, site_ids=site_ids
            )
    except (InputError, Conflict) as exc:
        print(f"could not add staff user: {exc}", file=sys.stderr)
        raise SystemExit(1) from None
    finally:
        await los.engine.dispose()
    print(f"staff user {user.id} ({user.email}, {user.role}) created; API token:")
    print(token)


async def staff_list(settings: Settings) -> None:
    """One line per staff user: id, e-mail, role, sites, and whether they are disabled."""
    from sqlalchemy import select

    from bot.service import Los
    from storage.models import StaffUser

    los = Los(settings, channels=[])
    await los.prepare()
    try:
        async with los.sessions() as session:
            users = list(await session.scalars(select(StaffUser).order_by(StaffUser.id)))
    finally:
        await los.engine.dispose()
    for user in users:
        sites = ",".join(str(i) for i in sorted(user.site_ids)) if user.role != "admin" else "all"
        state = f"disabled {user.disabled_at:%Y-%m-%d}" if user.disabled_at else "active"
        print(f"{user.id}\t{user.email}\t{user.role}\tsites={sites}\t{state}\t{user.name}")


async def staff_disable(settings: Settings, email: str) -> None:
    """Disable a staff user: every token of theirs stops working at once."""
    from sqlalchemy import select

    from bot.service import Los
    from handlers.staff_tokens import disable_user
    from storage.models import StaffUser

    los = Los(settings, channels=[])
    await los.prepare()
    try:
        async with los.sessions.begin() as session:
            user = await session.scalar(
                select(StaffUser).where(StaffUser.email == email.strip().lower())
            )
            if user is not None:
                await disable_user(session, los.clock, user)
    finally:
        await los.engine.dispose()
    if user is None:
        print(f"no staff user with the e-mail {email}", file=sys.stderr)
        raise SystemExit(1)
    print(f"staff user {user.id} ({user.email}) disabled; every token of theirs is revoked")


async def telegram_webhook(settings: Settings) -> None:
    from bot.channels.telegram import TelegramChannel

    if not settings.telegram_enabled:
        print("TELEGRAM_BOT_TOKEN is not set", file=sys.stderr)
        raise SystemExit(1)
    if not settings.public_url or not settings.public_url.startswith("https://"):
        print("PUBLIC_URL must be the service's https:// address", file=sys.stderr)
        raise SystemExit(1)
    channel = TelegramChannel(settings)
    try:
        url = await channel.set_webhook(settings.public_url)
    finally:
        await channel.close()
    print(f"Telegram now sends updates to {url}")


async def demo(settings: Settings) -> None:
    from bot.demo import fill_demo
    from bot.service import Los

    los = Los(settings, channels=[])
    await los.prepare()
    async with los.sessions.begin() as session:
        filled = await fill_demo(session, los.clock)
    await los.engine.dispose()
    print(filled)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="los", description="Los: SMS and Telegram pilot")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("serve", help="run the HTTP server and the scheduler")
    commands.add_parser("migrate", help="bring the database schema up to date")
    staff = commands.add_parser("staff", help="staff users").add_subparsers(
        dest="staff_command", required=True
    )
    add = staff.add_parser("add", help="create a staff user and print an API token")
    add.add_argument("--name", required=True)
    add.add_argument("--email", required=True)
    add.add_argument("--role", choices=["admin", "coordinator"], default="coordinator")
    add.add_argument(
        "--site",
        type=int,
        action="append",
        default=[],
        metavar="SITE_ID",
        help="a site the coordinator works at (repeatable) [the first site]",
    )
    staff.add_parser("list", help="list staff users, their roles and sites")
    disable = staff.add_parser("disable", help="disable a staff user and revoke every token")
    disable.add_argument("--email", required=True)
    commands.add_parser("demo", help="fill an empty database with a demo site")
    commands.add_parser(
        "telegram-webhook", help="point the Telegram bot at PUBLIC_URL/webhooks/telegram"
    )
    chat = commands.add_parser("chat", help="text the running service as PHONE (console)")
    chat.add_argument("phone")
    chat.add_argument("--url", default=None, help="the service's URL [http://HOST:PORT]")
    args = parser.parse_args(argv)

    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    for chatty in ("alembic", "apscheduler", "httpx"):
        logging.getLogger(chatty).setLevel(logging.WARNING)
    settings = settings_or_exit()
    if args.command == "serve":
        serve(settings)
    elif args.command == "migrate":
        asyncio.run(migrate(settings))
    elif args.command == "staff" and args.staff_command == "list":
        asyncio.run(staff_list(settings))
    elif args.command == "staff" and args.staff_command == "disable":
        asyncio.run(staff_disable(settings, args.email))
    elif args.command == "staff":
        asyncio.run(staff_add(settings, args.name, args.email, args.role, args.site))
    elif args.command == "telegram-webhook":
        asyncio.run(telegram_webhook(settings))
    elif args.command == "demo":
        asyncio.run(demo(settings))
    elif args.command == "chat":
        from bot.chat import run_chat

        asyncio.run(run_chat(args.url or f"http://{settings.host}:{settings.port}", args.phone))
