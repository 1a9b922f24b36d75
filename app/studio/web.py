"""The coach studio at /studio: server-rendered pages (Jinja2, autoescaped) with htmx for the
parts that change in place. Sign-in turns a coach's or an admin's API key into a session
cookie (HttpOnly, SameSite=Strict, Secure over https); every post carries the session's CSRF
token. Each page reads through the same tenant scope and services as the API."""

from __future__ import annotations

import contextlib
import hmac
import secrets
from collections.abc import Awaitable, Callable
from datetime import date
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Depends, FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse
from fastapi.templating import Jinja2Templates
from sqlalchemy.orm.exc import StaleDataError
from starlette.exceptions import HTTPException
from starlette.staticfiles import StaticFiles

from app.api.deps import DbDep, Services, ServicesDep
from app.api.rulesets import (
    get_ruleset_job,
    list_rulesets,
    preview_ruleset_draft,
    publish_ruleset_draft,
    rollback_ruleset,
    test_ruleset_draft,
)
from app.api.schemas import PreviewRequest, RollbackRequest
from app.authoring.cases import case_problems
from app.engine.problems import RuleSetRejected
from app.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    PreconditionFailed,
    StridePlanError,
)
from app.export.chart import to_svg
from app.services.checkins import current_plan, records_for, replan
from app.services.feeds import create_token
from app.services.plans import chart_svg, stored_plan
from app.services.ruleset_diff import diff, side
from app.services.rulesets import (
    check_filename,
    create_draft,
    draft,
    file_etag,
    file_text,
    put_file,
)
from app.services.studio import StudioUser, resolve, sign_in, sign_out
from app.storage.scope import Tenant
from app.storage.tables import Athlete, PlanRecord
from app.studio.views import dose_text, plan_weeks
from app.text import CONTROL_CHARACTERS

HERE = Path(__file__).resolve().parent
COOKIE = "strideplan_studio"
SIGN_IN_COOKIE = "strideplan_studio_signin"  # the sign-in form's own CSRF token
CSRF_FIELD = "csrf"
CSRF_HEADER = "x-csrf-token"
MAX_FIELD_CHARS = 1024 * 1024
MAX_FIELDS = 60
templates = Jinja2Templates(directory=HERE / "templates")
templates.env.filters["dose"] = dose_text
router = APIRouter(prefix="/studio", include_in_schema=False)

# Pages may load scripts, styles and images from the app only; nothing inline runs.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; "
    "script-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
    "form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


class SignInNeeded(Exception):
    """No valid studio session."""


def _page(request: Request, name: str, context: dict[str, Any], status: int = 200) -> Response:
    response = templates.TemplateResponse(
        request, name, {"user": getattr(request.state, "studio_user", None), **context}, status
    )
    response.headers.update(SECURITY_HEADERS)
    return response


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


# -- request parts -------------------------------------------------------------------------------


Form = dict[str, list[str]]


async def posted_form(request: Request) -> Form:
    """The urlencoded form of a post, every value screened for control characters (NUL and
    the like; tab and newlines are fine) and size."""
    body = await request.body()
    try:
        text = body.decode("utf-8")
        form = parse_qs(
            text, keep_blank_values=True, max_num_fields=MAX_FIELDS, strict_parsing=False
        )
    except (UnicodeDecodeError, ValueError) as exc:
        raise InvalidInput("the form could not be read") from exc
    for name, values in form.items():
        for value in values:
            if CONTROL_CHARACTERS.search(name) or CONTROL_CHARACTERS.search(value):
                raise InvalidInput(
                    f"{CONTROL_CHARACTERS.sub('?', name)}: control characters (such as NUL) "
                    "are not allowed"
                )
            if len(value) > MAX_FIELD_CHARS:
                raise InvalidInput(f"{name}: too long")
    return form


FormDep = Annotated[Form, Depends(posted_form)]


def one(form: Form, name: str, default: str | None = None, max_chars: int = 200) -> str:
    values = form.get(name)
    if not values:
        if default is not None:
            return default
        raise InvalidInput(f"the form has no {name}")
    if len(values[0]) > max_chars:
        raise InvalidInput(f"{name}: at most {max_chars} characters")
    return values[0]


def studio_user(request: Request, db: DbDep) -> StudioUser:
    user = resolve(db, request.cookies.get(COOKIE))
    if user is None:
        raise SignInNeeded
    request.state.studio_user = user
    return user


UserDep = Annotated[StudioUser, Depends(studio_user)]


def _same(given: str | None, expected: str) -> bool:
    return bool(given) and hmac.compare_digest(str(given).encode(), expected.encode())


def checked_user(request: Request, user: UserDep, form: FormDep) -> StudioUser:
    """The user of a post whose CSRF token (form field or X-CSRF-Token header) is the
    session's; else 403."""
    posted = form.get(CSRF_FIELD)
    token = posted[0] if posted else request.headers.get(CSRF_HEADER)
    if not _same(token, user.csrf_token):
        raise Forbidden("the form's security token is missing or out of date: reload the page")
    return user


PosterDep = Annotated[StudioUser, Depends(checked_user)]


def tenant_of(db: Any, user: StudioUser) -> Tenant:
    caller = user.caller
    return Tenant(db, caller.organization_id, caller.coach_id if caller.role == "coach" else None)


# -- sign in and out ---------------------------------------------------------------------------


@router.get("")
def studio_home(request: Request, db: DbDep) -> Response:
    where = "/studio/athletes" if resolve(db, request.cookies.get(COOKIE)) else "/studio/sign-in"
    return RedirectResponse(where, status_code=303)


def _sign_in_page(request: Request, message: str | None = None, status: int = 200) -> Response:
    token = secrets.token_urlsafe(32)
    response = _page(request, "sign_in.html", {"csrf": token, "message": message}, status)
    response.set_cookie(
        SIGN_IN_COOKIE,
        token,
        path="/studio",
        httponly=True,
        samesite="strict",
        secure=_secure(request),
        max_age=3600,
    )
    return response


@router.get("/sign-in")
def sign_in_form(request: Request) -> Response:
    return _sign_in_page(request)


@router.post("/sign-in")
def sign_in_submit(request: Request, db: DbDep, services: ServicesDep, form: FormDep) -> Response:
    if not _same(one(form, CSRF_FIELD, ""), request.cookies.get(SIGN_IN_COOKIE, "") or "-"):
        raise Forbidden("the form's security token is missing or out of date: reload the page")
    key = one(form, "api_key", "", max_chars=200).strip()
    if not key:
        return _sign_in_page(request, "Enter an API key.", 422)
    try:
        made = sign_in(db, key, services.settings.studio_session_hours)
    except StridePlanError as exc:
        return _sign_in_page(
            request, exc.message[:1].upper() + exc.message[1:] + ".", exc.status_code
        )
    response = RedirectResponse("/studio/athletes", status_code=303)
    response.set_cookie(
        COOKIE,
        made.cookie,
        path="/studio",
        httponly=True,
        samesite="strict",
        secure=_secure(request),
        max_age=int(services.settings.studio_session_hours * 3600),
    )
    response.delete_cookie(SIGN_IN_COOKIE, path="/studio")
    return response


@router.post("/sign-out")
def sign_out_submit(request: Request, db: DbDep, user: PosterDep) -> Response:
    del user  # checked: the session and its token
    sign_out(db, request.cookies.get(COOKIE))
    response = RedirectResponse("/studio/sign-in", status_code=303)
    response.delete_cookie(COOKIE, path="/studio", httponly=True, samesite="strict")
    return response


# -- athletes ----------------------------------------------------------------------------------


@router.get("/athletes")
def athletes_page(request: Request, db: DbDep, user: UserDep) -> Response:
    tenant = tenant_of(db, user)
    athletes = list(
        db.scalars(tenant.select(Athlete).order_by(Athlete.name, Athlete.id).limit(500))
    )
    return _page(request, "athletes.html", {"athletes": athletes})


def _athlete_plan(tenant: Tenant, athlete_id: str) -> tuple[Athlete, PlanRecord | None]:
    athlete = tenant.get(Athlete, athlete_id, what="athlete")
    try:
        return athlete, current_plan(tenant, athlete)
    except InvalidInput:  # no plan yet
        return athlete, None


@router.get("/athletes/{athlete_id}")
def athlete_page(
    athlete_id: str, request: Request, db: DbDep, user: UserDep, services: ServicesDep
) -> Response:
    tenant = tenant_of(db, user)
    athlete, record = _athlete_plan(tenant, athlete_id)
    context: dict[str, Any] = {"athlete": athlete, "plan": None}
    if record is not None:
        plan = stored_plan(tenant, record)
        today: date = services.today(athlete.timezone)
        context.update(
            plan=plan,
            record=record,
            today=today,
            weeks=plan_weeks(plan, today),
            check_ins=records_for(tenant, record.id, plan),
        )
    return _page(request, "athlete.html", context)


@router.get("/athletes/{athlete_id}/chart.svg")
def athlete_chart(athlete_id: str, db: DbDep, user: UserDep, services: ServicesDep) -> Response:
    tenant = tenant_of(db, user)
    _, record = _athlete_plan(tenant, athlete_id)
    if record is None:
        raise NotFound("the athlete has no plan yet")
    svg = chart_svg(tenant, record, services.today)
    return Response(svg, media_type="image/svg+xml", headers={"Cache-Control": "private, no-store"})


@router.post("/athletes/{athlete_id}/calendar-link")
def calendar_link(
    athlete_id: str, request: Request, db: DbDep, user: PosterDep, services: ServicesDep
) -> Response:
    tenant = tenant_of(db, user)
    athlete = tenant.get(Athlete, athlete_id, what="athlete")
    made = create_token(tenant, athlete, services.settings.public_base_url, "studio", None)
    return _page(request, "_calendar_link.html", {"url": made.url, "webcal": made.webcal_url})


# -- rule sets ---------------------------------------------------------------------------------


@router.get("/rules")
def rules_page(request: Request, db: DbDep, user: UserDep, services: ServicesDep) -> Response:
    tenant = tenant_of(db, user)
    overview = list_rulesets(tenant, services)
    return _page(request, "rules.html", {"overview": overview})


@router.post("/rules/drafts")
def new_draft(db: DbDep, user: PosterDep, services: ServicesDep, form: FormDep) -> Response:
    user.caller.require("admin", "coach")
    based_on = one(form, "based_on", "active")
    reference: str | int = int(based_on) if based_on.isdigit() else based_on
    if reference not in ("base", "active") and not isinstance(reference, int):
        raise InvalidInput("based_on: base, active or a version number")
    version = create_draft(tenant_of(db, user), services.library, reference, {})
    return RedirectResponse(f"/studio/rules/drafts/{version.id}", status_code=303)


def _editor_context(tenant: Tenant, draft_id: str, filename: str | None) -> dict[str, Any]:
    version = draft(tenant, draft_id)
    names = sorted(version.files["files"])
    if not names:
        raise NotFound("the draft has no files left: start a new draft")
    chosen = filename or ("baseline.yaml" if "baseline.yaml" in names else names[0])
    text = file_text(version, chosen)
    athletes = list(
        tenant.db.scalars(tenant.select(Athlete).order_by(Athlete.name, Athlete.id).limit(50))
    )
    return {
        "draft": version,
        "names": names,
        "filename": chosen,
        "text": text,
        "file_etag": file_etag(text),
        "athletes": athletes,
    }


@router.get("/rules/drafts/{draft_id}")
def draft_page(draft_id: str, request: Request, db: DbDep, user: UserDep) -> Response:
    return _page(request, "draft.html", _editor_context(tenant_of(db, user), draft_id, None))


@router.get("/rules/drafts/{draft_id}/files/{filename}")
def draft_file_page(
    draft_id: str, filename: str, request: Request, db: DbDep, user: UserDep
) -> Response:
    check_filename(filename)
    return _page(request, "draft.html", _editor_context(tenant_of(db, user), draft_id, filename))


def _problems(
    services: Services, files: dict[str, str], filename: str
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Every problem of the rule set these files make: those of `filename`, and the others."""
    try:
        ruleset = services.library.compile(files)
        found = case_problems(ruleset)
    except RuleSetRejected as exc:
        found = exc.problems
    mine = [p.as_dict() for p in found if p.file == filename]
    others = [p.as_dict() for p in found if p.file != filename]
    return mine, others


@router.post("/rules/drafts/{draft_id}/check")
def check_file(
    draft_id: str,
    request: Request,
    db: DbDep,
    user: PosterDep,
    services: ServicesDep,
    form: FormDep,
) -> Response:
    """The problems the draft would have with this file's text (nothing is saved)."""
    user.caller.require("admin", "coach")
    version = draft(tenant_of(db, user), draft_id)
    filename = one(form, "filename")
    check_filename(filename)
    text = one(form, "text", "", max_chars=MAX_FIELD_CHARS)
    files = {**version.files["files"], filename: text}
    mine, others = _problems(services, files, filename)
    return _page(request, "_problems.html", {"mine": mine, "others": others, "checked": True})


@router.post("/rules/drafts/{draft_id}/files/{filename}")
def save_file(
    draft_id: str,
    filename: str,
    request: Request,
    db: DbDep,
    user: PosterDep,
    services: ServicesDep,
    form: FormDep,
) -> Response:
    user.caller.require("admin", "coach")
    check_filename(filename)
    tenant = tenant_of(db, user)
    version = draft(tenant, draft_id, for_update=True)
    text = one(form, "text", "", max_chars=MAX_FIELD_CHARS)
    current = file_text(version, filename)
    if not _same(one(form, "file_etag", ""), file_etag(current)):
        raise PreconditionFailed(
            "the file was changed meanwhile (in another tab?): reload the page"
        )
    put_file(version, filename, text)
    db.flush()
    mine, others = _problems(services, dict(version.files["files"]), filename)
    return _page(
        request,
        "_saved.html",
        {"file_etag": file_etag(text), "mine": mine, "others": others, "checked": True},
    )


@router.post("/rules/drafts/{draft_id}/test")
def run_cases(
    draft_id: str, request: Request, db: DbDep, user: PosterDep, services: ServicesDep
) -> Response:
    result = test_ruleset_draft(draft_id, request, tenant_of(db, user), user.caller, services)
    return _page(request, "_cases.html", {"result": result})


@router.post("/rules/drafts/{draft_id}/preview")
def run_preview(
    draft_id: str,
    request: Request,
    db: DbDep,
    user: PosterDep,
    services: ServicesDep,
    form: FormDep,
) -> Response:
    ids = [value for value in form.get("athlete_id", []) if value][:50]
    if not ids:
        raise InvalidInput("choose at least one athlete to preview on")
    tenant = tenant_of(db, user)
    body = PreviewRequest(athlete_ids=ids)
    result = preview_ruleset_draft(draft_id, request, tenant, user.caller, services, body)
    names = {a.id: a.name for a in db.scalars(tenant.select(Athlete).where(Athlete.id.in_(ids)))}
    # the exercises' names: the draft's catalog (it compiled for the preview), then the base's
    catalogs = [services.library.base.catalog]
    with contextlib.suppress(RuleSetRejected):
        version = draft(tenant, draft_id)
        catalogs.append(services.library.compile(dict(version.files["files"])).catalog)
    exercise_names = {i: e.name for c in catalogs for i, e in c.exercises.items()}
    context = {"result": result, "names": names, "draft_id": draft_id}
    return _page(request, "_preview.html", {**context, "exercise_names": exercise_names})


@router.get("/rules/drafts/{draft_id}/athletes/{athlete_id}/chart.svg")
def preview_chart(
    draft_id: str, athlete_id: str, db: DbDep, user: UserDep, services: ServicesDep
) -> Response:
    """The athlete's weekly chart as the draft would make it from today (nothing is stored)."""
    tenant = tenant_of(db, user)
    version = draft(tenant, draft_id)
    _, record = _athlete_plan(tenant, athlete_id)
    if record is None:
        raise NotFound("the athlete has no plan yet")
    try:
        rules = services.library.compile(dict(version.files["files"]))
    except RuleSetRejected as exc:
        raise Conflict("the draft does not validate") from exc
    before = stored_plan(tenant, record)
    today = services.today(before.athlete.timezone)
    after = replan(tenant, record, rules, today, previous=before).plan
    check_ins = [(r.day, r.verdict) for r in records_for(tenant, record.id)]
    svg = to_svg(after, today, check_ins)
    return Response(svg, media_type="image/svg+xml", headers={"Cache-Control": "private, no-store"})


@router.post("/rules/drafts/{draft_id}/publish")
def publish(
    draft_id: str, request: Request, db: DbDep, user: PosterDep, services: ServicesDep
) -> Response:
    published = publish_ruleset_draft(draft_id, tenant_of(db, user), user.caller, services)
    return _page(
        request, "_job.html", {"job": published.job, "what": f"Version {published.version}"}
    )


@router.post("/rules/rollback")
def rollback(
    request: Request, db: DbDep, user: PosterDep, services: ServicesDep, form: FormDep
) -> Response:
    choice = one(form, "version")
    if not (choice == "base" or (choice.isdigit() and 1 <= int(choice) <= 1_000_000)):
        raise InvalidInput("version: base or a version number")
    body = RollbackRequest(version="base" if choice == "base" else int(choice))
    done = rollback_ruleset(body, tenant_of(db, user), user.caller, services)
    return _page(request, "_job.html", {"job": done.job, "what": f"Back to {choice}"})


@router.get("/rules/jobs/{job_id}")
def job_progress(job_id: str, request: Request, db: DbDep, user: UserDep) -> Response:
    job = get_ruleset_job(job_id, tenant_of(db, user))
    what = request.query_params.get("what", "")[:100]
    return _page(request, "_job.html", {"job": job, "what": what})


@router.get("/rules/diff")
def diff_page(request: Request, db: DbDep, user: UserDep, services: ServicesDep) -> Response:
    tenant = tenant_of(db, user)
    source = request.query_params.get("from", "base")[:40]
    target = request.query_params.get("to", "active")[:40]
    result = diff(
        side(tenant, services.library, source, "from"),
        side(tenant, services.library, target, "to"),
    )
    overview = list_rulesets(tenant, services)
    return _page(
        request,
        "diff.html",
        {"result": result, "source": source, "target": target, "overview": overview},
    )


# -- errors ------------------------------------------------------------------------------------


def _error_page(request: Request, status: int, message: str, detail: Any = None) -> Response:
    items: list[str] = []
    if isinstance(detail, list):
        for entry in detail[:50]:
            if isinstance(entry, dict):
                where = entry.get("file") or ".".join(str(x) for x in entry.get("loc", []))
                line = f":{entry['line']}" if entry.get("line") else ""
                text = entry.get("message") or entry.get("msg") or ""
                items.append(f"{where}{line}: {text}" if where else str(text))
    fragment = request.headers.get("hx-request") == "true"
    name = "_error.html" if fragment else "error.html"
    return _page(request, name, {"status": status, "message": message, "items": items}, status)


def install(app: FastAPI) -> None:
    """The studio's pages, its own scripts and styles, and errors under /studio as HTML."""
    app.include_router(router)
    app.mount("/studio/static", StaticFiles(directory=HERE / "static"), name="studio-static")

    Handler = Callable[[Request, Exception], Awaitable[Response]]

    def studio_aware(original: Callable[..., Any]) -> Handler:
        async def handler(request: Request, exc: Exception) -> Response:
            if not request.url.path.startswith("/studio"):
                answer: Response = await original(request, exc)
                return answer
            if isinstance(exc, StridePlanError):
                return _error_page(request, exc.status_code, exc.message, exc.detail)
            if isinstance(exc, StaleDataError):
                return _error_page(request, 412, "changed meanwhile: reload the page")
            if isinstance(exc, RequestValidationError):
                return _error_page(request, 422, "invalid input", list(exc.errors()))
            assert isinstance(exc, HTTPException)
            return _error_page(request, exc.status_code, str(exc.detail))

        return handler

    for kind in (StridePlanError, StaleDataError, RequestValidationError, HTTPException):
        app.add_exception_handler(kind, studio_aware(app.exception_handlers[kind]))

    async def signed_out(request: Request, _exc: Exception) -> Response:
        if request.method == "GET" and request.headers.get("hx-request") != "true":
            return RedirectResponse("/studio/sign-in", status_code=303)
        response = _error_page(request, 401, "signed out: sign in again")
        response.headers["HX-Redirect"] = "/studio/sign-in"
        return response

    app.add_exception_handler(SignInNeeded, signed_out)
