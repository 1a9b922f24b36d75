"""No secret (API key, feed token) is stored in plain text or written to a log line."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import inspect, text

from app.config import Settings
from app.observability import configure_logging
from app.storage.db import make_engine
from tests.conftest import load_example


@pytest.fixture
def json_logs(capsys: pytest.CaptureFixture[str]) -> Iterator[None]:
    """The service's logging (JSON to the captured stdout), restored afterwards."""
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    access = logging.getLogger("uvicorn.access")
    configure_logging("DEBUG", True)
    try:
        yield
    finally:
        root.handlers, root.level = saved[0], saved[1]
        access.disabled = False


def random_part(secret: str) -> str:
    """The secret's random part: after its prefix and ten hex lookup characters (the random
    part is URL-safe base64, so it may itself contain '_')."""
    found = re.fullmatch(r"[a-z_]+?[0-9a-f]{10}_(.{32})", secret)
    assert found is not None, "a secret of an unexpected form"
    return found.group(1)


def test_secrets_never_reach_the_database_or_the_logs(
    client: TestClient,
    auth: dict[str, str],
    settings: Settings,
    json_logs: None,
    capsys: pytest.CaptureFixture[str],
) -> None:
    admin_key = auth["Authorization"].removeprefix("Bearer ")
    created = client.post("/v1/api-keys", json={"role": "app", "name": "app"}, headers=auth)
    app_key = created.json()["api_key"]
    athlete = client.post("/v1/athletes", json={"name": "S"}, headers=auth).json()["id"]
    client.post(
        f"/v1/athletes/{athlete}/intakes",
        json=load_example("weak_left_glute_hamstring"),
        headers={"Authorization": f"Bearer {app_key}"},
    )
    client.post(f"/v1/athletes/{athlete}/plans", headers=auth)
    token_url = client.post(f"/v1/athletes/{athlete}/feed-tokens", headers=auth).json()["url"]
    token = token_url.rsplit("/feeds/", 1)[1].removesuffix(".ics")
    assert client.get(f"/feeds/{token}.ics").status_code == 200
    assert client.get(f"/feeds/{token}x.ics").status_code == 404
    assert (
        client.get("/v1/athletes", headers={"Authorization": f"Bearer {admin_key}x"}).status_code
        == 401
    )
    logging.getLogger("app").warning("a key %s in a message", app_key)
    output = capsys.readouterr().out
    assert '"event": "request"' in output
    assert "/feeds/[redacted]" in output
    secrets = [admin_key, app_key, token]
    for secret in secrets:
        assert secret not in output
        assert random_part(secret) not in output
    engine = make_engine(settings.database_url)
    with engine.connect() as connection:
        dump = "\n".join(
            repr(row)
            for table in inspect(connection).get_table_names()
            for row in connection.execute(text(f'SELECT * FROM "{table}"'))
        )
    engine.dispose()
    assert dump
    for secret in secrets:
        assert secret not in dump
        assert random_part(secret) not in dump


def test_a_revoked_key_is_refused_on_the_next_request(
    client: TestClient, auth: dict[str, str]
) -> None:
    """Keys are remembered for a moment per worker; revoking one here forgets it at once."""
    created = client.post("/v1/api-keys", json={"role": "app"}, headers=auth).json()
    app = {"Authorization": f"Bearer {created['api_key']}"}
    assert client.get("/v1/athletes", headers=app).status_code == 200
    assert client.delete(f"/v1/api-keys/{created['id']}", headers=auth).status_code == 204
    refused = client.get("/v1/athletes", headers=app)
    assert refused.status_code == 401
    assert client.get("/v1/athletes", headers=auth).status_code == 200


def test_replays_never_carry_secrets_and_revoked_keys_never_replay(
    client: TestClient, auth: dict[str, str]
) -> None:
    # an admin key makes a child key with an Idempotency-Key: the replay hides the secret
    parent = client.post("/v1/api-keys", json={"role": "admin"}, headers=auth).json()
    parent_auth = {"Authorization": f"Bearer {parent['api_key']}"}
    once = {**parent_auth, "Idempotency-Key": "child-key-1"}
    first = client.post("/v1/api-keys", json={"role": "app"}, headers=once)
    assert first.status_code == 201
    secret = first.json()["api_key"]
    replay = client.post("/v1/api-keys", json={"role": "app"}, headers=once)
    assert replay.status_code == 201
    assert replay.headers["idempotent-replayed"] == "true"
    assert secret not in replay.text
    assert "[redacted]" in replay.text
    assert replay.json()["id"] == first.json()["id"]
    # once the parent key is revoked, the same request is a 401, not the stored answer
    assert client.delete(f"/v1/api-keys/{parent['id']}", headers=auth).status_code == 204
    after = client.post("/v1/api-keys", json={"role": "app"}, headers=once)
    assert after.status_code == 401
    assert "idempotent-replayed" not in after.headers
