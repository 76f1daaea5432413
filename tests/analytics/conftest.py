"""Analytics tests run on a database of each module's own: the aggregation sums every message
of a day, so other tests' chats must not be in it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.billing.conftest import fresh_database, no_chat_rate_limit  # noqa: F401 (fixture)
from tests.tasks.conftest import JOB_TEST_SETTINGS


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def db_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    yield from fresh_database(request.param, tmp_path_factory, "analytics")


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return JOB_TEST_SETTINGS
