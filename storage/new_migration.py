"""Developer tool: write the next Alembic revision from the models.

``python -m storage.new_migration "what changed" 0002`` migrates a scratch SQLite database to the
newest revision, compares it with the models and writes ``versions/<rev>_<slug>.py``. Read and
tidy the result before committing it.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

from alembic import command

from storage.db import create_engine
from storage.migrate import alembic_config


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
    if len(sys.argv) != 3:
        raise SystemExit('usage: python -m storage.new_migration "message" REV_ID')
    asyncio.run(write_revision(sys.argv[1], sys.argv[2]))
