"""Seed the character catalogue (idempotent: a second run changes nothing).

python scripts/seed_characters.py
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.characters.seed import SEED_CHARACTERS, seed_characters
from app.kit.db import create_database
from app.settings import get_settings


async def main() -> int:
    db = await create_database(get_settings())
    try:
        async with db.sessionmaker() as session:
            changed = await seed_characters(session)
            await session.commit()
    finally:
        await db.dispose()
    unchanged = len(SEED_CHARACTERS) - len(changed)
    print(f"characters: {len(changed)} created or updated {changed}, {unchanged} unchanged")
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
