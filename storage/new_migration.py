"""Developer tool: write the next Alembic revision from the models.

``python -m storage.new_migration "what changed"`` migrates a scratch SQLite database to the
newest revision, compares it with the models and writes ``versions/<next>_<slug>.py``, where
``<next>`` is one more than the highest number in ``versions/`` (``0008`` after ``0007``). Read
and tidy the result before committing it.
"""

from __future__ import annotations

import asyncio
import re
import sys
import tempfile
from pathlib import Path

from alembic import command

from storage.db import create_engine
from storage.migrate import MIGRATIONS, alembic_config

_NUMBERED = re.compile(r"^(\d{4})_.*\.py$")


def next_revision_id(versions: Path = MIGRATIONS / "versions") -> str:
    """One more than the highest four-digit revision file in ``versions``."""
    numbers = [int(m.group(1)) for p in versions.iterdir() if (m := _NUMBERED.match(p.name))]
    return f"{max(numbers, default=0) + 1:04d}"


async def write_revision(message: str, rev_id: str) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        engine = create_engine(f"sqlite+aiosqlite:///{Path(scratch) / 'scratch.db'}")
        async with engine.begin() as conn:
            await conn.run_sync(lambda c: command.upgrade(alembic_config(c), "head"))
        async with engine.begin() as conn:
            await conn.run_sync(
                lambda c: command.revision(
                    alembic_config(c), message=message, autogenerate=True, rev_id=rev_id
                )
            )
        await engine.dispose()


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit('usage: python -m storage.new_migration "what changed"')
    revision = next_revision_id()
    asyncio.run(write_revision(sys.argv[1], revision))
    print(f"wrote revision {revision} in {MIGRATIONS / 'versions'}")
