"""Rate limits shared through Redis: two API processes count one bucket per key, so the
limit holds however many processes (and machines) serve the API."""

from __future__ import annotations

import os
import socket
import uuid
from pathlib import Path
from urllib.parse import urlparse

import pytest

from app.config import PROJECT_ROOT, Settings
from app.storage.migrations import upgrade
from tests.api.test_idempotency_crash import call, server
from tests.conftest import new_org

REDIS_URL = os.environ.get("STRIDEPLAN_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def redis_available() -> bool:
    url = urlparse(REDIS_URL)
    try:
        with socket.create_connection((url.hostname or "127.0.0.1", url.port or 6379), timeout=1):
            return True
    except OSError:
        return False


@pytest.mark.skipif(
    not redis_available(),
    reason="Redis is not answering at 127.0.0.1:6379: start it or set STRIDEPLAN_TEST_REDIS_URL",
)
def test_two_api_processes_share_one_bucket_per_key(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'limits.db'}")
    upgrade(PROJECT_ROOT / "alembic", settings.database_url)
    _, key = new_org(settings, "Limited club")
    auth = {"Authorization": f"Bearer {key}"}
    env = {
        "STRIDEPLAN_REDIS_URL": REDIS_URL,
        "STRIDEPLAN_REDIS_KEY_PREFIX": f"test-{uuid.uuid4().hex}",  # a bucket of this test's own
        "STRIDEPLAN_RATE_LIMIT_PER_MINUTE": "20",  # at most 10 at once, then 10 per 30 s
        "STRIDEPLAN_ADDRESS_RATE_LIMIT_PER_MINUTE": "0",
    }
    with server(settings, "uvicorn", env) as (one, _), server(settings, "uvicorn", env) as (two, _):
        replies = [call("GET", f"{(one, two)[i % 2]}/v1/athletes", auth) for i in range(11)]
        # Each process alone would have let all 11 through (10 at once each).
        assert [r.status_code for r in replies] == [200] * 10 + [429]
        limited = replies[-1]
        assert 1 <= int(limited.headers["retry-after"]) <= 30
        assert limited.json()["error"] == "rate_limited"
        assert call("GET", f"{one}/healthz", {}).status_code == 200  # not limited
        # Another key has a bucket of its own, in both processes.
        _, other = new_org(settings, "Other club")
        assert (
            call("GET", f"{two}/v1/athletes", {"Authorization": f"Bearer {other}"}).status_code
            == 200
        )


def test_an_unreachable_redis_lets_requests_pass(
    tmp_path: Path,
) -> None:
    """Redis down must not turn requests into 500s: they pass (and the failure is logged)."""
    from fastapi.testclient import TestClient

    from app.main import create_app

    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'nolimits.db'}",
        redis_url="redis://127.0.0.1:1/0",  # nothing listens there
        rate_limit_per_minute=20,
        address_rate_limit_per_minute=0,
    )
    upgrade(PROJECT_ROOT / "alembic", settings.database_url)
    _, key = new_org(settings, "Unlimited club")
    with TestClient(create_app(settings)) as client:
        statuses = {
            client.get("/v1/athletes", headers={"Authorization": f"Bearer {key}"}).status_code
            for _ in range(12)
        }
    assert statuses == {200}
