"""``los``: serve, migrate, backup, restore, staff add, demo, chat."""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sys
from pathlib import Path

from bot.config import Settings, SettingsError, load_settings
from bot.logs import configure_logging
from bot.startup import fail, preflight, serve


def settings_or_exit() -> Settings:
    try:
        return load_settings()
    except SettingsError as exc:
        fail(str(exc))


async def migrate(settings: Settings, check: bool) -> None:
    from storage.db import create_engine
    from storage.migrate import MigrationError, pending

    if not check:
        await preflight(settings)
        print("database is at the newest schema")
        return
    engine = create_engine(settings.database_url)
    try:
        current, to_run = await pending(engine)
    except MigrationError as exc:
        fail(str(exc))
    finally:
        await engine.dispose()
    if not to_run:
        print(f"database is at the newest schema ({current})")
        return
    print(f"database is at {current or 'no schema'}; `los migrate` would run: {' '.join(to_run)}")
    raise SystemExit(1)


async def staff_add(
    settings: Settings,
    name: str,
    email: str,
    role: str,
    site_ids: list[int],
    password: str | None,
) -> None:
    """Create a staff user. With a password (from stdin) they can sign in at once; otherwise a
    one-time set-up link is printed. The API token is always the last line."""
    from bot.service import Los
    from bot.staff_users import add_staff
    from handlers import staff_auth
    from handlers.errors import Conflict, InputError

    los = Los(settings, channels=[])
    await los.prepare()
    link = None
    try:
        async with los.sessions.begin() as session:
            user, token = await add_staff(
                session, los.clock, name=name, email=email, role=role, site_ids=site_ids
            )
            if password is None:
                link = setup_link(settings, staff_auth.new_setup_link(user, los.clock))
            else:
                staff_auth.check_new_password(password, email=user.email, name=user.name)
                user.password_hash = staff_auth.hash_password(password)
    except (InputError, Conflict) as exc:
        fields = ", ".join(f"{k}: {v}" for k, v in exc.fields.items())
        print(f"could not add staff user: {exc} ({fields})", file=sys.stderr)
        raise SystemExit(1) from None
    finally:
        await los.engine.dispose()
    print(f"staff user {user.id} ({user.email}, {user.role}) created")
    if link:
        print(f"set-up link for the staff app (one use, 72 hours): {link}")
    print("API token:")
    print(token)


DEMO_EMAIL = "demo@los.invalid"


def setup_link(settings: Settings, token: str) -> str:
    return f"{settings.base_url.rstrip('/')}/setup/{token}"


async def staff_reset(settings: Settings, email: str) -> None:
    """A new set-up link; the old password, second factor and every session stop working."""
    from sqlalchemy import select

    from bot.service import Los
    from handlers import staff_auth
    from storage.loading import STAFF_LOADS
    from storage.models import StaffUser

    los = Los(settings, channels=[])
    await los.prepare()
    try:
        async with los.sessions.begin() as session:
            user = await session.scalar(
                select(StaffUser)
                .options(*STAFF_LOADS)
                .where(StaffUser.email == email.strip().lower())
            )
            if user is None:
                print(f"no staff user with e-mail {email}", file=sys.stderr)
                raise SystemExit(1)
            token = staff_auth.new_setup_link(user, los.clock)
            await staff_auth.end_sessions(session, los.clock, user.id)
    finally:
        await los.engine.dispose()
    print(f"password and second factor of {user.email} cleared; new set-up link (72 hours):")
    print(setup_link(settings, token))


def read_password() -> str:
    """The password from standard input (first line), for scripts and provisioning."""
    line = sys.stdin.readline().rstrip("\r\n")
    if not line:
        print("no password on standard input", file=sys.stderr)
        raise SystemExit(1)
    return line


async def staff_list(settings: Settings) -> None:
    """One line per staff user: id, e-mail, role, sites, and whether they are disabled."""
    from sqlalchemy import select

    from bot.service import Los
    from storage.loading import STAFF_LOADS
    from storage.models import StaffUser

    los = Los(settings, channels=[])
    await los.prepare()
    try:
        async with los.sessions() as session:
            users = list(
                await session.scalars(
                    select(StaffUser).options(*STAFF_LOADS).order_by(StaffUser.id)
                )
            )
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
    from storage.loading import STAFF_LOADS
    from storage.models import StaffUser

    los = Los(settings, channels=[])
    await los.prepare()
    try:
        async with los.sessions.begin() as session:
            user = await session.scalar(
                select(StaffUser)
                .options(*STAFF_LOADS)
                .where(StaffUser.email == email.strip().lower())
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


def los_command() -> str:
    """How to run this program again, as the person ran it: ``los`` when that is on the PATH,
    ``.venv/bin/los`` after ``make run``, ``python -m bot`` from a checkout."""
    program = sys.argv[0]
    if Path(program).name != "los":
        return "python -m bot"
    on_path = shutil.which("los")
    if on_path and Path(on_path).resolve() == Path(program).resolve():
        return "los"
    return program


async def demo(settings: Settings) -> None:
    from sqlalchemy import select

    from bot.demo import fill_demo, next_steps
    from bot.service import Los
    from handlers import staff_auth
    from storage.loading import STAFF_LOADS
    from storage.models import StaffUser

    los = Los(settings, channels=[])
    await los.prepare()
    link = None
    async with los.sessions.begin() as session:
        filled = await fill_demo(session, los.clock)
        # The demo coordinator signs in to the staff app through a set-up link, as anyone would.
        user = await session.scalar(
            select(StaffUser).options(*STAFF_LOADS).where(StaffUser.email == DEMO_EMAIL)
        )
        if user is not None and user.password_hash is None:
            link = setup_link(settings, staff_auth.new_setup_link(user, los.clock))
    await los.engine.dispose()
    if link:
        print(f"Staff app: set a password for {DEMO_EMAIL} at {link}")
    print(filled)
    print(next_steps(los_command(), f"http://{settings.host}:{settings.port}"))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="los", description="Los: SMS and Telegram pilot")
    commands = parser.add_subparsers(dest="command", required=True)
    serve_cmd = commands.add_parser("serve", help="run the HTTP server and the scheduler")
    serve_cmd.add_argument(
        "--role",
        choices=["all", "web", "worker"],
        default="all",
        help="web: webhooks (storing and routing), API and pages; worker: dispatcher, jobs and "
        "sweeps (with health and metrics) [all]",
    )
    serve_cmd.add_argument(
        "--workers",
        type=int,
        default=1,
        metavar="N",
        help="N processes on one port (SO_REUSEPORT; PostgreSQL only): the first has --role, "
        "the rest are web [1]",
    )
    migrate_cmd = commands.add_parser("migrate", help="bring the database schema up to date")
    migrate_cmd.add_argument(
        "--check", action="store_true", help="print what would run; exit 1 if anything would"
    )
    backup_cmd = commands.add_parser("backup", help="write a consistent copy of the database")
    backup_cmd.add_argument("path", nargs="?", help="[LOS_BACKUP_DIR/los-manual-<time>.db]")
    restore_cmd = commands.add_parser(
        "restore", help="restore a backup into a stopped deployment; queued texts are held"
    )
    restore_cmd.add_argument("path")
    restore_cmd.add_argument(
        "--force", action="store_true", help="even if the database looks in use"
    )
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
    add.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the sign-in password from standard input instead of printing a set-up link",
    )
    reset = staff.add_parser("reset", help="clear password and second factor; a new set-up link")
    reset.add_argument("--email", required=True)
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

    configure_logging()
    settings = settings_or_exit()
    configure_logging(settings.los_log_format)
    if args.command == "serve":
        if args.workers < 1:
            fail("--workers must be 1 or more")
        serve(settings, args.role, args.workers)
    elif args.command == "migrate":
        asyncio.run(migrate(settings, args.check))
    elif args.command == "backup":
        from bot.restore import backup_command

        backup_command(settings, args.path)
    elif args.command == "restore":
        from bot.restore import restore_command

        asyncio.run(restore_command(settings, args.path, force=args.force))
    elif args.command == "staff" and args.staff_command == "list":
        asyncio.run(staff_list(settings))
    elif args.command == "staff" and args.staff_command == "disable":
        asyncio.run(staff_disable(settings, args.email))
    elif args.command == "staff" and args.staff_command == "reset":
        asyncio.run(staff_reset(settings, args.email))
    elif args.command == "staff":
        password = read_password() if args.password_stdin else None
        asyncio.run(staff_add(settings, args.name, args.email, args.role, args.site, password))
    elif args.command == "telegram-webhook":
        asyncio.run(telegram_webhook(settings))
    elif args.command == "demo":
        asyncio.run(demo(settings))
    elif args.command == "chat":
        from bot.chat import run_chat

        asyncio.run(run_chat(args.url or f"http://{settings.host}:{settings.port}", args.phone))
