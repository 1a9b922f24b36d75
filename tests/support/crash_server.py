"""A StridePlan server that dies (os._exit, as a kill -9 would) right after the first
transaction that creates an athlete commits, before any response is sent. The crash test
runs it, retries against a normal server on the same database, and counts what was stored.

Usage: python -m tests.support.crash_server PORT   (STRIDEPLAN_DATABASE_URL names the database)
"""

from __future__ import annotations

import os
import sys

import uvicorn
from sqlalchemy import event
from sqlalchemy.orm import Session

from app.main import create_app
from app.storage.tables import Athlete

CRASH = "crash_after_commit"


def _arm(session: Session, _context: object) -> None:
    if any(isinstance(obj, Athlete) for obj in session.new):
        session.info[CRASH] = True


def _die(session: Session) -> None:
    if session.info.pop(CRASH, False):
        os._exit(9)


def main() -> None:
    event.listen(Session, "after_flush", _arm)
    event.listen(Session, "after_commit", _die)
    uvicorn.run(create_app(), host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")


if __name__ == "__main__":
    main()
