"""The durable job queue (procrastinate on PostgreSQL, in the application's own database).

A publish or rollback defers one `regenerate` task per athlete in the request's own
transaction (`defer_regeneration`), so the new rules and their re-generation commit together
or not at all. `strideplan worker` runs the workers (`run_worker`); any number of them, on any
machine, take the tasks. A worker killed mid-task (kill -9, OOM, a lost machine) stops sending
its heartbeat; the other workers put its tasks back in the queue once it has been silent for
`worker_stalled_seconds`, and the task's idempotency (app/services/regeneration.py) makes the
re-run re-plan each athlete exactly once.

On SQLite there is no queue: the API process runs the same task function itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import procrastinate
from procrastinate import jobs as procrastinate_jobs
from procrastinate.retry import RetryStrategy
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from app.config import Settings
from app.services import regeneration
from app.services.rulesets import RuleSetLibrary

QUEUE = "regeneration"
TASK = "strideplan.regenerate"
DEFER_BATCH = 1000  # tasks sent to the database in one statement
log = logging.getLogger("app.queue")

# The API process only defers (on the request's own connection): its connector is never
# opened. Workers run with `with_connector` and an asyncio pool.
queue_app = procrastinate.App(connector=procrastinate.SyncPsycopgConnector())


@dataclass
class Workplace:
    """What a worker process holds for its tasks (the API's `Services` plays this part when
    the API process runs tasks itself)."""

    sessions: Callable[[], Session]
    library: RuleSetLibrary
    today: Callable[[str], date] = field(default=lambda timezone: _today(timezone))


def _today(timezone: str) -> date:
    from app.api.deps import today_in

    return today_in(timezone)


_context: regeneration.TaskContext | None = None


def set_context(context: regeneration.TaskContext | None) -> None:
    """The context tasks run with in this process."""
    global _context
    _context = context


# Only errors of the infrastructure reach procrastinate (a rule set that cannot plan an
# athlete is recorded on the job): retried, a lost database included, for about an hour.
@queue_app.task(
    name=TASK,
    queue=QUEUE,
    retry=RetryStrategy(max_attempts=12, exponential_wait=2),
)
def regenerate_task(job_id: str, plan_id: str) -> str:
    if _context is None:  # pragma: no cover - set by run_worker / start_embedded_worker
        raise RuntimeError("no task context: run tasks through `strideplan worker`")
    return regeneration.regenerate(_context, job_id, plan_id)


def uses_queue(settings: Settings) -> bool:
    """Re-generation goes through the queue: on PostgreSQL unless `jobs` says in_process."""
    if settings.jobs == "in_process":
        return False
    postgres = make_url(settings.database_url).get_backend_name() == "postgresql"
    if settings.jobs == "queue" and not postgres:
        raise ValueError("STRIDEPLAN_JOBS=queue needs PostgreSQL (the queue lives there)")
    return postgres


def conninfo(database_url: str) -> str:
    """A libpq connection string for the SQLAlchemy URL (procrastinate speaks psycopg)."""
    url = make_url(database_url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


def defer_regeneration(db: Session, job_id: str, plan_ids: list[str]) -> None:
    """One task per athlete, inserted on the session's own connection: they commit with the
    session's transaction (and vanish if it rolls back). Each carries a lock per plan, so two
    jobs' tasks for one athlete run one after the other, in the order of the jobs."""
    raw = db.connection().connection.driver_connection
    for start in range(0, len(plan_ids), DEFER_BATCH):
        batch = [
            procrastinate_jobs.Job(
                id=None,
                queue=QUEUE,
                lock=f"plan:{plan_id}",
                queueing_lock=None,
                task_name=TASK,
                task_kwargs={"job_id": job_id, "plan_id": plan_id},
            )
            for plan_id in plan_ids[start : start + DEFER_BATCH]
        ]
        queue_app.job_manager.batch_defer_jobs(jobs=batch, connection=raw)


async def recover_stalled(app: procrastinate.App, every: float, silent_for: float) -> None:
    """Put back in the queue the tasks of workers that stopped sending heartbeats (killed):
    their re-run finds what was committed and does the rest."""
    while True:
        try:
            stalled = await app.job_manager.get_stalled_jobs(seconds_since_heartbeat=silent_for)
        except Exception:  # the database may be away for a moment: try again later
            log.exception("could not look for stalled tasks")
            stalled = []
        for job in stalled:
            try:
                await app.job_manager.retry_job(job)
            except Exception:  # another worker put it back first
                log.debug("task %s was already put back", job.id)
            else:
                log.warning("re-running the task of a stalled worker: %s", job.call_string)
        await asyncio.sleep(every)


def workplace(settings: Settings) -> Workplace:
    """A worker's database sessions and rule sets."""
    from app.engine.host import get_host
    from app.storage.db import make_engine, make_sessionmaker

    library = RuleSetLibrary(settings.rules_dir)
    get_host().prepare(library.base)
    engine = make_engine(settings.database_url)
    sessions: sessionmaker[Session] = make_sessionmaker(engine)
    return Workplace(sessions=sessions, library=library)


async def work(
    settings: Settings,
    context: regeneration.TaskContext,
    concurrency: int,
    *,
    install_signal_handlers: bool = True,
    wait: bool = True,
) -> None:
    """Run a worker until it is stopped (SIGTERM or SIGINT: it takes no new task and finishes
    the ones in hand), or with `wait=False` until the queue is empty."""
    set_context(context)
    app = queue_app.with_connector(
        procrastinate.PsycopgConnector(
            conninfo=conninfo(settings.database_url), min_size=1, max_size=concurrency + 2
        )
    )
    async with app.open_async():
        recovery = asyncio.create_task(
            recover_stalled(
                app, max(1.0, settings.worker_stalled_seconds / 3), settings.worker_stalled_seconds
            )
        )
        try:
            await app.run_worker_async(
                queues=[QUEUE],
                concurrency=concurrency,
                wait=wait,
                install_signal_handlers=install_signal_handlers,
                update_heartbeat_interval=settings.worker_heartbeat_seconds,
                stalled_worker_timeout=settings.worker_stalled_seconds,
                fetch_job_polling_interval=1.0,
                listen_notify=True,
            )
        finally:
            recovery.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await recovery


def run_worker(settings: Settings, concurrency: int) -> None:
    """`strideplan worker`: a worker in the foreground."""
    context = workplace(settings)
    gc.collect()
    gc.freeze()  # as the API does: what is loaded lives as long as the process
    asyncio.run(work(settings, context, concurrency))


@contextlib.contextmanager
def embedded_worker(
    settings: Settings, context: regeneration.TaskContext, concurrency: int = 1
) -> Iterator[None]:
    """A worker on a thread of this process, stopped (after its task in hand) on leaving."""
    loop = asyncio.new_event_loop()
    started = threading.Event()
    task: list[asyncio.Task[Any]] = []

    def run() -> None:
        asyncio.set_event_loop(loop)
        task.append(
            loop.create_task(work(settings, context, concurrency, install_signal_handlers=False))
        )
        started.set()
        with contextlib.suppress(asyncio.CancelledError):
            loop.run_until_complete(task[0])
        loop.close()

    thread = threading.Thread(target=run, name="queue-worker", daemon=True)
    thread.start()
    started.wait()
    try:
        yield
    finally:
        loop.call_soon_threadsafe(task[0].cancel)
        thread.join(timeout=60)
