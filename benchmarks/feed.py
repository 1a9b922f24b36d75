"""Calendar feed throughput through uvicorn on loopback: `strideplan serve --workers 2` on a
SQLite database with one athlete's 25-week plan, loaded with wrk (Debian package `wrk`) when it
is installed, else with a Python keep-alive client. Prints requests per second for 200 and 304.

Run: `.venv/bin/python benchmarks/feed.py [--seconds 10] [--connections 32]`. Targets
(docs/architecture.md §7): ≥ 1,000 req/s for 200, ≥ 3,000 for 304 on 2 cores. The load generator
shares the same two cores, so these are conservative figures.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from pathlib import Path

from fastapi.testclient import TestClient

from app.config import Settings
from app.main import create_app
from app.services.organizations import create_organization
from app.storage.db import make_engine, make_sessionmaker
from app.storage.migrations import upgrade

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def seed(database_url: str) -> tuple[str, str, dict[str, object]]:
    """A migrated database with an organisation and one athlete with the seed runner's intake;
    returns the API key, the athlete's id and the intake."""
    upgrade(ROOT / "alembic", database_url)
    engine = make_engine(database_url)
    with make_sessionmaker(engine)() as db, db.begin():
        _, key = create_organization(db, "Benchmark club")
    engine.dispose()
    intake: dict[str, object] = json.loads(
        (ROOT / "examples" / "weak_left_glute_hamstring.json").read_text()
    )
    with TestClient(
        create_app(Settings(database_url=database_url, address_rate_limit_per_minute=0))
    ) as client:
        auth = {"Authorization": f"Bearer {key}"}
        athlete = client.post("/v1/athletes", json={"name": "Sarah"}, headers=auth).json()["id"]
        client.post(f"/v1/athletes/{athlete}/intakes", json=intake, headers=auth)
    return key, athlete, intake


def prepare(database_url: str) -> str:
    """`seed`, then the athlete's plan and a calendar URL; returns the feed path."""
    key, athlete, _ = seed(database_url)
    auth = {"Authorization": f"Bearer {key}"}
    with TestClient(
        create_app(Settings(database_url=database_url, address_rate_limit_per_minute=0))
    ) as client:
        client.post(f"/v1/athletes/{athlete}/plans", headers=auth)
        url = client.post(f"/v1/athletes/{athlete}/feed-tokens", headers=auth).json()["url"]
    return "/feeds/" + str(url).rsplit("/feeds/", 1)[1]


@contextmanager
def serving(database_url: str, ready_path: str, settings: dict[str, str]) -> Iterator[int]:
    """`strideplan serve --workers 2` on a free port with these STRIDEPLAN_* settings; yields
    the port once `ready_path` answers, stops the server afterwards."""
    port = free_port()
    env = {**os.environ, "STRIDEPLAN_DATABASE_URL": database_url, **settings}
    server = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "serve", "--port", str(port), "--workers", "2"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=ROOT,
    )
    try:
        wait_for(port, ready_path)
        yield port
    finally:
        server.terminate()
        server.wait(timeout=10)


def wait_for(port: int, path: str, timeout: float = 60) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", path)
            if connection.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("the server did not start")


def with_wrk(
    url: str, seconds: int, connections: int, etag: str | None, script: Path | None = None
) -> tuple[float, str]:
    """Requests per second, and wrk's transfer rate and latency percentiles as text."""
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", url]
    if etag:
        command[1:1] = ["-H", f"If-None-Match: {etag}"]
    if script is not None:
        command[1:1] = ["-s", str(script)]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    match = re.search(r"Requests/sec:\s+([\d.]+)", output)
    assert match is not None, output
    transfer = re.search(r"Transfer/sec:\s+(\S+)", output)
    p50 = re.search(r"^\s*50%\s+(\S+)", output, re.M)
    p99 = re.search(r"^\s*99%\s+(\S+)", output, re.M)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    detail = (
        f"transfer {transfer.group(1) if transfer else '?'}/s, latency p50 "
        f"{p50.group(1) if p50 else '?'} p99 {p99.group(1) if p99 else '?'}, "
        f"errors {errors.group(1) if errors else 0}"
    )
    return float(match.group(1)), detail


def _client_worker(args: tuple[int, str, float, str | None]) -> int:
    port, path, seconds, etag = args
    connection = http.client.HTTPConnection("127.0.0.1", port)
    headers = {"If-None-Match": etag} if etag else {}
    done, end = 0, time.time() + seconds
    while time.time() < end:
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        response.read()
        done += 1
    return done


def with_python(port: int, path: str, seconds: int, clients: int, etag: str | None) -> float:
    with ProcessPoolExecutor(clients) as pool:
        counts = pool.map(_client_worker, [(port, path, float(seconds), etag)] * clients)
        return sum(counts) / seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="strideplan-feed-"))
    database_url = f"sqlite:///{workdir / 'bench.db'}"
    path = prepare(database_url)
    # One URL polled thousands of times a second is what the rate limit exists to stop.
    settings = {
        "STRIDEPLAN_FEED_RATE_LIMIT_PER_MINUTE": "0",
        "STRIDEPLAN_ADDRESS_RATE_LIMIT_PER_MINUTE": "0",
    }
    with serving(database_url, path, settings) as port:
        connection = http.client.HTTPConnection("127.0.0.1", port)
        for _ in range(20):  # fill each worker's cache
            connection.request("GET", path)
            response = connection.getresponse()
            body = response.read()
        etag = response.getheader("ETag")
        tool = "wrk" if shutil.which("wrk") else "python keep-alive clients"
        print(
            f"feed of {len(body):,} bytes; server: strideplan serve --workers 2; load: {tool}, "
            f"{args.connections} connections, {args.seconds} s each; {os.cpu_count()} cores"
        )
        for label, header in (("200 (full feed)", None), ("304 (If-None-Match)", etag)):
            if shutil.which("wrk"):
                rate, detail = with_wrk(
                    f"http://127.0.0.1:{port}{path}", args.seconds, args.connections, header
                )
            else:
                rate, detail = with_python(port, path, args.seconds, 4, header), ""
            print(f"  {label:<22} {rate:10,.0f} req/s   {detail}")
    shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
