"""Rule sets per organisation: drafts forked from the shipped base, validated, tested and
previewed on real athletes, then published as immutable versions (or rolled back), after which
every athlete's plan is re-generated in the background with progress in a job."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any, NamedTuple

import structlog
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from app.authoring.cases import CaseResult, case_problems, run_case
from app.authoring.sample import check_sample, pain_model_problems
from app.engine.compile import (
    MAX_FILES,
    MAX_TOTAL_BYTES,
    compile_sources,
    read_sources,
    total_bytes,
)
from app.engine.model import RuleSet
from app.engine.problems import RuleProblem, RuleSetRejected
from app.errors import (
    Conflict,
    InvalidInput,
    NotFound,
    PayloadTooLarge,
    PreconditionFailed,
    PreconditionRequired,
    StridePlanError,
)
from app.plan.models import Plan
from app.plan.replan import changes
from app.services.checkins import replan
from app.services.plans import stored_plan
from app.storage.scope import Tenant
from app.storage.tables import (
    Athlete,
    Organization,
    PlanRecord,
    RegenerationJob,
    RuleSetVersion,
    utcnow,
)

MAX_FILE_CHARS = 1024 * 1024
log = structlog.get_logger("app.jobs")
SAFETY_SAMPLES = 60
MAX_TEST_CASES = 1000  # cases one `…/test` runs (each builds a plan)
TEST_SECONDS = 60  # work one `…/test` may take before it stops
MAX_PREVIEW_ATHLETES = 50


class RuleSetLibrary:
    """Compiled rule sets by content, shared by the process (compiling costs up to seconds)."""

    def __init__(self, base_dir: Path, size: int = 16) -> None:
        self.base_files = {
            name: content.decode() for name, content in read_sources(base_dir).items()
        }
        self.base = compile_sources(self.base_files, protected=True)
        self._compiled: OrderedDict[str, RuleSet] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def compile(self, files: dict[str, str], version: str | None = None) -> RuleSet:
        """Validate and compile (`RuleSetRejected` lists every problem), labelled `version`.
        Cached by content: validating a draft and then publishing it compile it once."""
        content = hashlib.sha256(
            b"\0".join(f"{name}\0{files[name]}".encode() for name in sorted(files))
        ).hexdigest()
        labelled = self._cached(f"{content}|{version}")
        if labelled is not None:
            return labelled
        plain = self._cached(f"{content}|None") or self._keep(
            f"{content}|None", compile_sources(files, protected=True)
        )
        if version is None:
            return plain
        return self._keep(f"{content}|{version}", dataclasses.replace(plain, version=version))

    def _cached(self, key: str) -> RuleSet | None:
        with self._lock:
            ruleset = self._compiled.get(key)
            if ruleset is not None:
                self._compiled.move_to_end(key)
            return ruleset

    def _keep(self, key: str, ruleset: RuleSet) -> RuleSet:
        with self._lock:
            self._compiled[key] = ruleset
            while len(self._compiled) > self._size:
                self._compiled.popitem(last=False)
        return ruleset

    def active(self, db: Session, organization_id: str) -> RuleSet:
        """The organisation's published rule set, or the shipped base."""
        active_id = db.scalar(
            select(Organization.active_ruleset_id).where(Organization.id == organization_id)
        )
        if active_id is None:
            return self.base
        version = db.get(RuleSetVersion, active_id)
        if version is None or version.number is None:  # pragma: no cover - kept consistent
            return self.base
        return self.compile(_files(version), version_label(self.base, version.number))


def version_label(base: RuleSet, number: int) -> str:
    return f"{base.version}+org.{number}"


def _files(version: RuleSetVersion) -> dict[str, str]:
    """A copy of a version's files (changing it never touches the stored version)."""
    return dict(version.files["files"])


def check_filename(name: str) -> None:
    if not (
        name.endswith(".yaml")
        and 6 <= len(name) <= 80
        and "/" not in name
        and not name.startswith(".")
        and name.replace("_", "").replace("-", "").removesuffix(".yaml").isalnum()
    ):
        raise InvalidInput(
            "bad file name",
            detail=[
                {
                    "loc": ["path", "filename"],
                    "msg": "a name like 'my_rules.yaml' (letters, digits, _ and -)",
                    "type": "filename",
                }
            ],
        )


def create_draft(
    tenant: Tenant, library: RuleSetLibrary, based_on: str | int, overrides: dict[str, str]
) -> RuleSetVersion:
    """A draft copied from the base, the active version or a published version number."""
    if based_on == "base":
        files, label = dict(library.base_files), "base"
    elif based_on == "active":
        source = active_version(tenant)
        files = _files(source) if source else dict(library.base_files)
        label = f"version {source.number}" if source else "base"
    else:
        source = published(tenant, int(based_on))
        files, label = _files(source), f"version {source.number}"
    for name, text in overrides.items():
        check_filename(name)
        files[name] = text
    _bounded(files)
    return tenant.add(
        RuleSetVersion(id=str(uuid.uuid4()), status="draft", based_on=label, files={"files": files})
    )


def active_version(tenant: Tenant) -> RuleSetVersion | None:
    """The organisation's published version in force (None: the shipped base)."""
    active_id = tenant.db.scalar(
        select(Organization.active_ruleset_id).where(Organization.id == tenant.organization_id)
    )
    return tenant.get(RuleSetVersion, active_id, what="rule set") if active_id else None


def draft(tenant: Tenant, draft_id: str, *, for_update: bool = False) -> RuleSetVersion:
    """A draft of the organisation; `for_update`: locked until the request's transaction ends
    (on PostgreSQL; SQLite lets one writer at a time), so two edits never lose one another."""
    found = tenant.get(RuleSetVersion, draft_id, what="rule set draft", for_update=for_update)
    if found.status != "draft":
        raise NotFound(f"rule set draft {draft_id} not found (it is published)")
    return found


def published(tenant: Tenant, number: int) -> RuleSetVersion:
    found = tenant.db.scalars(
        tenant.select(RuleSetVersion).where(
            RuleSetVersion.number == number, RuleSetVersion.status == "published"
        )
    ).first()
    if found is None:
        raise NotFound(f"rule set version {number} not found")
    return found


def file_etag(text: str) -> str:
    """The ETag of one file of a draft: its content's, so that edits to other files of the
    same draft never make it stale."""
    return '"f' + hashlib.sha256(text.encode()).hexdigest()[:24] + '"'


def file_text(version: RuleSetVersion, name: str) -> str:
    check_filename(name)
    text = _files(version).get(name)
    if text is None:
        raise NotFound(f"no file {name} in the draft")
    return text


def check_file_precondition(
    version: RuleSetVersion, name: str, if_match: str | None, if_none_match: str | None
) -> None:
    """An edit of one file needs If-Match with that file's ETag (or the draft's, or `*`), or
    `If-None-Match: *` to create a file that is not there yet: 428 without, 412 when stale."""
    current = _files(version).get(name)
    if if_none_match is not None and if_match is None:
        if if_none_match.strip() != "*":
            raise PreconditionFailed("If-None-Match takes only '*' (create the file)")
        if current is not None:
            raise PreconditionFailed(f"{name} already exists; its ETag is {file_etag(current)}")
        return
    if if_match is None:
        raise PreconditionRequired(
            "send If-Match with the file's ETag (or If-None-Match: * to create it)"
        )
    tags = {tag.strip().removeprefix("W/") for tag in if_match.split(",")}
    accepted = {"*", f'"v{version.etag}"'} | ({file_etag(current)} if current else set())
    if not tags & accepted:
        now = file_etag(current) if current is not None else "(no such file yet)"
        raise PreconditionFailed(f"{name} changed; its ETag is now {now}")


def delete_draft(tenant: Tenant, version: RuleSetVersion) -> None:
    tenant.db.delete(version)


def put_file(version: RuleSetVersion, name: str, text: str | None) -> None:
    """Replace (or with None remove) one file of a draft."""
    check_filename(name)
    files = _files(version)
    if text is None:
        if name not in files:
            raise NotFound(f"no file {name} in the draft")
        del files[name]
    else:
        files[name] = text
    _bounded(files)
    version.files = {"files": files}
    version.etag += 1


def _bounded(files: dict[str, str]) -> None:
    """A draft stays within the rule set's size limits (refused before it is stored)."""
    if len(files) > MAX_FILES:
        raise InvalidInput(f"at most {MAX_FILES} files")
    size = total_bytes(files)
    if size > MAX_TOTAL_BYTES:
        raise PayloadTooLarge(
            f"the draft would be {size:,} bytes over all its files; the limit is "
            f"{MAX_TOTAL_BYTES:,}"
        )


class Checked(NamedTuple):
    """A draft as `strideplan rules check` sees it (without the safety sample): compiled when
    it has no errors, its errors, and its warnings (likely mistakes, never a reason to
    refuse)."""

    ruleset: RuleSet | None
    problems: list[RuleProblem]
    warnings: list[RuleProblem]


def problems_of(library: RuleSetLibrary, version: RuleSetVersion) -> Checked:
    """Everything `strideplan rules check` reports, without the safety sample."""
    try:
        ruleset = library.compile(_files(version))
    except RuleSetRejected as exc:
        return Checked(None, exc.problems, exc.warnings)
    return Checked(ruleset, case_problems(ruleset), list(ruleset.warnings))


def test_results(
    library: RuleSetLibrary, version: RuleSetVersion, *, stop: Callable[[], None]
) -> dict[str, Any]:
    """Run every case and the safety rules on a sample of random intakes. `stop` is called
    between pieces of work and may raise to end it (the client went away)."""
    ruleset, problems, warnings = problems_of(library, version)
    shown = [w.as_dict() for w in warnings]
    if ruleset is None or problems:
        return {
            "ok": False,
            "problems": [p.as_dict() for p in problems],
            "warnings": shown,
            "cases": [],
            "safety": None,
        }
    if len(ruleset.cases) > MAX_TEST_CASES:
        raise PayloadTooLarge(
            f"the rule set holds {len(ruleset.cases):,} cases; one test runs at most "
            f"{MAX_TEST_CASES:,} (move some into a second rule set, or drop repeated ones)"
        )
    deadline = time.monotonic() + TEST_SECONDS
    results: list[CaseResult] = []
    for case in ruleset.cases:
        stop()
        if time.monotonic() > deadline:
            raise InvalidInput(
                f"the cases took more than {TEST_SECONDS} s of work; the test was stopped "
                f"after {len(results)} of {len(ruleset.cases)} (make the cases smaller)"
            )
        results.append(run_case(ruleset, case))
    found = check_sample(ruleset, SAFETY_SAMPLES, stop=stop)
    lenient = pain_model_problems(ruleset)
    return {
        "ok": all(r.passed for r in results) and found is None and not lenient,
        "problems": [],
        "warnings": shown,
        "cases": [
            {
                "file": r.file,
                "line": r.line,
                "name": r.name,
                "passed": r.passed,
                "failures": r.failures,
            }
            for r in results
        ],
        "passed": sum(r.passed for r in results),
        "failed": sum(not r.passed for r in results),
        "safety": {
            "samples": SAFETY_SAMPLES,
            "ok": found is None and not lenient,
            "pain_model": lenient,
            "counterexample": None
            if found is None
            else {"intake": found.intake, "problems": found.problems},
        },
    }


def _current(tenant: Tenant) -> Select[PlanRecord]:
    """Each athlete's current (latest) plan in the tenant's view, by athlete."""
    latest = (
        select(PlanRecord.athlete_id, func.max(PlanRecord.created_at).label("at"))
        .where(PlanRecord.organization_id == tenant.organization_id)
        .group_by(PlanRecord.athlete_id)
        .subquery()
    )
    return (
        tenant.select(PlanRecord)
        .join(
            latest,
            (PlanRecord.athlete_id == latest.c.athlete_id) & (PlanRecord.created_at == latest.c.at),
        )
        .order_by(PlanRecord.athlete_id)
    )


def current_plans(tenant: Tenant, athlete_ids: list[str] | None, limit: int) -> list[PlanRecord]:
    """The current plans of these athletes (None: all the tenant sees), at most `limit`."""
    query = _current(tenant)
    if athlete_ids is not None:
        query = query.where(PlanRecord.athlete_id.in_(athlete_ids))
    return list(tenant.db.scalars(query.limit(limit)))


def organization_plan_ids(db: Session, organization_id: str) -> list[str]:
    """The ids of every current plan of the organisation, whoever's athletes they are: an
    organisation's rules apply to all of them."""
    query = _current(Tenant(db, organization_id)).with_only_columns(PlanRecord.id)
    return list(db.scalars(query))


def _weeks_caps(plan: Plan) -> dict[str, float]:
    return {w.start.isoformat(): w.cap for w in plan.weeks}


def preview(
    tenant: Tenant,
    library: RuleSetLibrary,
    version: RuleSetVersion,
    athlete_ids: list[str] | None,
    today: Callable[[str], date],
    stop: Callable[[], None] = lambda: None,
) -> dict[str, Any]:
    """Re-plan the chosen athletes (or all with a plan) with the draft; nothing is stored.
    A draft that does not compile is a `Conflict` listing its problems. `stop` is called
    before each athlete and may raise to end the work (the client went away)."""
    try:
        draft_rules = library.compile(_files(version))
    except RuleSetRejected as exc:
        detail = [p.as_dict() for p in exc.problems]
        raise Conflict("the draft does not validate", detail=detail) from exc
    if athlete_ids is not None:
        for athlete_id in athlete_ids:
            tenant.get(Athlete, athlete_id, what="athlete")
    records = current_plans(tenant, athlete_ids, MAX_PREVIEW_ATHLETES)
    athletes = []
    totals = {
        "athletes": 0,
        "added": 0,
        "removed": 0,
        "changed": 0,
        "caps_changed": 0,
        "status_changed": 0,
        "failed": 0,
        "ended": 0,
        "wording_only": 0,
    }
    for record in records:
        stop()
        before = stored_plan(tenant, record)
        day = today(before.athlete.timezone)
        entry: dict[str, Any] = {
            "athlete_id": record.athlete_id,
            "plan_id": record.id,
            "status_before": before.status,
            "from": day.isoformat(),
        }
        if before.end < day:  # all in the past: a re-plan keeps the past, so nothing changes
            entry["note"] = (
                f"the plan ended on {before.end.isoformat()}: nothing after "
                f"{day.isoformat()} to change (preview from an earlier date with from_date)"
            )
            totals["ended"] += 1
        try:
            after = replan(tenant, record, draft_rules, day, previous=before).plan
        except Exception as exc:  # a draft that cannot plan for someone is what preview is for
            entry["error"] = f"{type(exc).__name__}: {exc}"
            totals["failed"] += 1
            athletes.append(entry)
            continue
        diff = changes(before, after)
        caps_before, caps_after = _weeks_caps(before), _weeks_caps(after)
        caps = [
            {"week": week, "before": caps_before.get(week), "after": cap}
            for week, cap in caps_after.items()
            if caps_before.get(week) != cap
        ]
        entry.update(
            status_after=after.status,
            added=len(diff["added"]),
            removed=len(diff["removed"]),
            changed=len(diff["changed"]),
            sessions=diff,
            caps_changed=caps,
        )
        totals["athletes"] += 1
        totals["added"] += len(diff["added"])
        totals["removed"] += len(diff["removed"])
        totals["changed"] += len(diff["changed"])
        totals["wording_only"] += sum(1 for change in diff["changed"] if change["wording_only"])
        totals["caps_changed"] += len(caps)
        totals["status_changed"] += int(before.status != after.status)
        athletes.append(entry)
    return {
        "ruleset": {"name": draft_rules.name, "version": "draft"},
        "totals": totals,
        "athletes": athletes,
    }


def activate(
    tenant: Tenant, version: RuleSetVersion | None, reason: str
) -> tuple[RegenerationJob, list[str]]:
    """Make a version (None: the base) the organisation's rules; the job that re-generates
    every current plan (already done when there is none) and those plans' ids."""
    organization = tenant.db.get(Organization, tenant.organization_id)
    assert organization is not None
    organization.active_ruleset_id = version.id if version else None
    plan_ids = organization_plan_ids(tenant.db, tenant.organization_id)
    job = tenant.add(
        RegenerationJob(
            id=str(uuid.uuid4()),
            ruleset_id=version.id if version else None,
            reason=reason,
            status="queued" if plan_ids else "done",
            total=len(plan_ids),
            errors={"athletes": {}},
            finished_at=None if plan_ids else utcnow(),
        )
    )
    return job, plan_ids


def require_safe(library: RuleSetLibrary, version: RuleSetVersion, what: str) -> RuleSet:
    """The version's `test` must pass (its cases, the protected safety core and the plan
    review over a seeded sample of runners) before it governs anyone's plan: else 409 naming
    every violation."""
    ruleset, problems, _ = problems_of(library, version)
    if ruleset is None or problems:
        raise Conflict(
            f"the {what} does not validate; fix it before it can be used",
            detail=[p.as_dict() for p in problems],
        )
    lenient = pain_model_problems(ruleset)  # quick, and refused before the slower test
    if lenient:
        raise Conflict(
            f"the {what} loosens the pain model; it was not made active",
            detail=[f"pain model: {problem}" for problem in lenient],
        )
    results = test_results(library, version, stop=lambda: None)
    if not results["ok"]:
        failed = [
            f"{c['file']}:{c['line']}: case '{c['name']}' fails: {'; '.join(c['failures'])}"
            for c in results["cases"]
            if not c["passed"]
        ]
        safety = results["safety"]
        if safety and safety["pain_model"]:
            failed.extend(f"pain model: {problem}" for problem in safety["pain_model"])
        if safety and safety["counterexample"]:
            counter = safety["counterexample"]
            failed.extend(f"safety: {problem}" for problem in counter["problems"])
            failed.append("safety counterexample intake: " + json.dumps(counter["intake"]))
        raise Conflict(f"the {what} fails its test; it was not made active", detail=failed)
    return ruleset


def publish(
    tenant: Tenant, library: RuleSetLibrary, version: RuleSetVersion
) -> tuple[RegenerationJob, list[str]]:
    """Freeze a draft that passes its test as the next version and make it active."""
    ruleset = require_safe(library, version, "draft")
    number = (
        tenant.db.scalar(
            select(func.max(RuleSetVersion.number)).where(
                RuleSetVersion.organization_id == tenant.organization_id
            )
        )
        or 0
    ) + 1
    version.status, version.number = "published", number
    version.digest, version.published_at = ruleset.digest, utcnow()
    tenant.db.flush()
    return activate(tenant, version, f"published version {number}")


def job_error(exc: Exception, job_id: str, plan_id: str) -> str:
    """What a job records about one athlete's failure: the service's own errors say what the
    rules broke; anything else is logged in full and recorded without internals (no SQL, no
    parameters)."""
    if isinstance(exc, StridePlanError):
        detail = exc.detail if isinstance(exc.detail, list) else []
        return "; ".join([str(exc), *(str(d) for d in detail[:5])])
    log.error("regeneration failed", job_id=job_id, plan_id=plan_id, exc_info=exc)
    return f"internal error ({type(exc).__name__}), logged with job {job_id}"
