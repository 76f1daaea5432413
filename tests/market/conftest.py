"""Market fixtures: the loopback Stripe, and settings that point the app at it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from tests.billing.conftest import fresh_database
from tests.fakes.stripe_server import FakeStripe

WEBHOOK_SECRET = "whsec_loopback_secret"


@pytest.fixture(scope="package", params=["sqlite", "postgres"])
def db_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """The market's own databases (its jobs scan every user): see tests/billing/conftest.py."""
    yield from fresh_database(request.param, tmp_path_factory, "market")


@pytest.fixture
async def stripe_server() -> AsyncIterator[FakeStripe]:
    server = FakeStripe()
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
def stripe_settings(stripe_server: FakeStripe) -> dict[str, Any]:
    return {
        "PAYMENT_PROVIDER": "stripe",
        "STRIPE_SECRET_KEY": stripe_server.api_key,
        "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "STRIPE_API_BASE": stripe_server.url,
        "AUTH_RATE_LIMIT_PER_MINUTE": 0,
    }
