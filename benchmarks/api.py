"""Plan generation over HTTP: `POST /v1/plans/preview` (stateless) and
`POST /v1/athletes/{id}/plans` (stored, with its sessions' calendar state) through
`strideplan serve --workers 2` (SQLite unless `--database-url` names another empty database),
loaded by wrk on loopback.

Run: `.venv/bin/python -m benchmarks.api [--seconds 10] [--connections 8] [--database-url URL]`.
Target (docs/architecture.md §7): `POST /v1/plans` ≥ 150 req/s on 2 cores; wrk shares them with
the server.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
from pathlib import Path

from benchmarks.feed import seed, serving, with_wrk

ROOT = Path(__file__).resolve().parent.parent


def lua(key: str, body: str) -> str:
    return (
        f'wrk.method = "POST"\nwrk.body = {json.dumps(body)}\n'
        f'wrk.headers["Content-Type"] = "application/json"\n'
        f'wrk.headers["Authorization"] = "Bearer {key}"\n'
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument(
        "--database-url",
        help="an empty database to use (e.g. postgresql+psycopg://127.0.0.1/bench); "
        "default: a new SQLite file",
    )
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed: apt-get install wrk")
    workdir = Path(tempfile.mkdtemp(prefix="strideplan-api-"))
    database_url = args.database_url or f"sqlite:///{workdir / 'bench.db'}"
    key, athlete, intake = seed(database_url)
    limits_off = {
        "STRIDEPLAN_RATE_LIMIT_PER_MINUTE": "0",
        "STRIDEPLAN_ADDRESS_RATE_LIMIT_PER_MINUTE": "0",
    }
    with serving(database_url, "/healthz", limits_off) as port:
        print(
            f"strideplan serve --workers 2 on {database_url.split(':')[0]}; "
            f"wrk, {args.connections} connections, "
            f"{args.seconds} s each; {os.cpu_count()} cores; a 25-week plan (190 sessions)"
        )
        for label, path, body in (
            ("POST /v1/plans/preview", "/v1/plans/preview", json.dumps(intake)),
            ("POST /v1/athletes/{id}/plans", f"/v1/athletes/{athlete}/plans", ""),
        ):
            script = workdir / "post.lua"
            script.write_text(lua(key, body))
            rate, detail = with_wrk(
                f"http://127.0.0.1:{port}{path}", args.seconds, args.connections, None, script
            )
            print(f"  {label:<30} {rate:8,.0f} req/s   {detail}")
    shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
