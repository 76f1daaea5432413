"""Column helpers shared by the models."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated

from sqlalchemy import BigInteger, Uuid
from sqlalchemy.orm import mapped_column

from app.kit.clock import utcnow
from app.kit.db import UTCDateTime
from app.kit.ids import uuid7

UUIDPk = Annotated[uuid.UUID, mapped_column(Uuid, primary_key=True, default=uuid7)]
Micro = Annotated[int, mapped_column(BigInteger, nullable=False, default=0, server_default="0")]
CreatedAt = Annotated[dt.datetime, mapped_column(UTCDateTime, nullable=False, default=utcnow)]
UpdatedAt = Annotated[
    dt.datetime, mapped_column(UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow)
]


def in_list(column: str, values: tuple[str, ...]) -> str:
    """SQL for a CHECK constraint that keeps a string column within a closed set."""
    quoted = ", ".join(f"'{v}'" for v in values)
    return f"{column} IN ({quoted})"
