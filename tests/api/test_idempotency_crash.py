"""Idempotency that survives a crash: the stored response commits with the request's effect,
so a server killed between its commit and its response leaves a record that the retry
replays; no duplicate, and no key locked "in flight" after the restart. On both databases."""

from __future__ import annotations

import hashlib
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib import error, request

import pytest
from fastapi.testclient import TestClient

from app.api import idempotency
from app.config import PROJECT_ROOT, Settings
from app.storage.db import make_engine, make_sessionmaker
from app.storage.tables import IdempotencyRecord
from tests.conftest import new_org


@dataclass
class Reply:
    status_code: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def call(
    method: str, url: str, headers: dict[str, str], body: Any = None, timeout: float = 30
) -> Reply:
    """A plain HTTP call (the standard library's: the server runs in another process)."""
    data = None if body is None else json.dumps(body).encode()
    sent = {**headers, "content-type": "application/json"} if data is not None else headers
    try:
        with request.urlopen(request.Request(url, data, sent, method=method), timeout=timeout) as r:
            return Reply(r.status, {k.lower(): v for k, v in r.headers.items()}, r.read())
    except error.HTTPError as exc:
        return Reply(exc.code, {k.lower(): v for k, v in exc.headers.items()}, exc.read())


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def server(
    settings: Settings, module: str, env: dict[str, str] | None = None
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """A server process on a free port (with `env` added to its environment)."""
    port = _free_port()
    env = {**os.environ, "STRIDEPLAN_DATABASE_URL": settings.database_url, **(env or {})}
    command = [sys.executable, "-m", module, str(port)]
    if module == "uvicorn":
        command = [
            sys.executable, "-m", "uvicorn", "--factory", "app.main:create_app",
            "--port", str(port), "--log-level", "warning",
        ]  # fmt: skip
    process = subprocess.Popen(command, cwd=PROJECT_ROOT, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if call("GET", f"{base}/healthz", {}, timeout=1).status_code < 500:
                    break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise
            time.sleep(0.2)
        yield base, process
    finally:
        if process.poll() is None:
            process.terminate()
        process.wait(timeout=30)


def names(base: str, auth: dict[str, str]) -> list[str]:
    items: list[dict[str, Any]] = call("GET", f"{base}/v1/athletes?limit=100", auth).json()["items"]
    return [a["name"] for a in items]


def test_a_crash_between_commit_and_response_replays_after_restart(settings: Settings) -> None:
    _, key = new_org(settings, "Crash club")
    auth = {"Authorization": f"Bearer {key}"}
    once = {**auth, "Idempotency-Key": "crash-1"}
    with server(settings, "tests.support.crash_server") as (base, process):
        with pytest.raises((ConnectionError, error.URLError)):  # it dies before it answers
            call("POST", f"{base}/v1/athletes", once, {"name": "Kit"})
        assert process.wait(timeout=30) == 9
    with server(settings, "uvicorn") as (base, _):
        retry = call("POST", f"{base}/v1/athletes", once, {"name": "Kit"})
        assert retry.status_code == 201, retry.body  # not a 409 "in flight"
        assert retry.headers["idempotent-replayed"] == "true"
        assert names(base, auth) == ["Kit"]  # created once, by the request that crashed
        assert retry.json()["name"] == "Kit"


def _scope(auth: dict[str, str], key: str, path: str) -> str:
    raw = auth["Authorization"].encode() + b"\n" + key.encode() + b"\n" + path.encode()
    return hashlib.sha256(raw).hexdigest()


def _store(settings: Settings, record: IdempotencyRecord) -> None:
    engine = make_engine(settings.database_url)
    with make_sessionmaker(engine)() as db, db.begin():
        db.add(record)
    engine.dispose()


def test_a_claim_left_by_a_crash_does_not_lock_the_key(
    client: TestClient, auth: dict[str, str], settings: Settings
) -> None:
    key, path, body = "left-in-flight", "/v1/athletes", b'{"name":"Cy"}'
    _store(
        settings,
        IdempotencyRecord(
            scope=_scope(auth, key, path),
            body_hash=hashlib.sha256(body).hexdigest(),
            status="in_flight",
            response_headers={"h": []},
            created_at=datetime.now(UTC),
        ),
    )
    headers = {**auth, "Idempotency-Key": key, "content-type": "application/json"}
    first = client.post(path, content=body, headers=headers)
    assert first.status_code == 201, first.text
    again = client.post(path, content=body, headers=headers)
    assert again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"


def test_a_concurrent_twin_is_undone_and_answered_with_the_first_response(
    client: TestClient, auth: dict[str, str], settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two requests with the same key at once: both run, the first commits; the second's
    commit collides on the key, its effect is rolled back and it replays the first one's
    response (as if the first committed between the second's look-up and its commit)."""
    key, path, body = "twins", "/v1/athletes", b'{"name":"Twin"}'
    winner = client.post("/v1/athletes", json={"name": "Twin"}, headers=auth).json()
    _store(
        settings,
        IdempotencyRecord(
            scope=_scope(auth, key, path),
            body_hash=hashlib.sha256(body).hexdigest(),
            status="done",
            response_status=201,
            response_headers={"h": [["content-type", "application/json"]]},
            response_body=client.get(f"/v1/athletes/{winner['id']}", headers=auth).content,
            created_at=datetime.now(UTC),
        ),
    )
    real = idempotency._lookup
    calls: list[int] = []

    def late_lookup(*args: Any) -> Any:
        calls.append(1)
        return None if len(calls) == 1 else real(*args)  # the first look-up saw nothing yet

    monkeypatch.setattr(idempotency, "_lookup", late_lookup)
    headers = {**auth, "Idempotency-Key": key, "content-type": "application/json"}
    twin = client.post(path, content=body, headers=headers)
    assert twin.status_code == 201, twin.text
    assert twin.headers["idempotent-replayed"] == "true"
    assert twin.json()["id"] == winner["id"]
    listed = client.get("/v1/athletes", headers=auth, params={"limit": 100}).json()["items"]
    assert [a["name"] for a in listed].count("Twin") == 1  # the twin's athlete was undone
    assert len(calls) == 2
