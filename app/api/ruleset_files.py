"""Editing a rule-set draft file by file (each file with its own ETag), discarding drafts,
and the diff between two rule sets."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Header, Query, Response

from app.api.deps import CallerDep, ServicesDep, TenantDep
from app.api.errors import TEXT, responses
from app.api.pagination import check_if_match, etag_of
from app.api.rulesets import EDITORS, draft_out
from app.api.schemas import DraftOut, RuleSetDiffOut
from app.services.ruleset_diff import diff, side
from app.services.rulesets import (
    check_file_precondition,
    delete_draft,
    draft,
    file_etag,
    file_text,
    put_file,
)

router = APIRouter(prefix="/v1/rulesets", tags=["rules"])
YAML = "text/yaml"


@router.get(
    "/drafts/{draft_id}/files/{filename}",
    responses={
        **responses(401, 404, 429),
        200: {"content": {YAML: TEXT}, "description": "The file's YAML text (ETag: the file's)"},
    },
    response_class=Response,
    summary="One file of a draft, as YAML",
)
def get_ruleset_file(draft_id: str, filename: str, tenant: TenantDep) -> Response:
    text = file_text(draft(tenant, draft_id), filename)
    return Response(text, media_type=YAML, headers={"ETag": file_etag(text)})


@router.put(
    "/drafts/{draft_id}/files/{filename}",
    response_model=DraftOut,
    responses=responses(401, 403, 404, 412, 413, 422, 428, 429),
    summary="Add or replace one YAML file of a draft (If-Match: the file's ETag)",
)
def put_ruleset_file(
    draft_id: str,
    filename: str,
    tenant: TenantDep,
    caller: CallerDep,
    response: Response,
    text: Annotated[str, Body(media_type="application/yaml", max_length=1024 * 1024)],
    if_match: Annotated[
        str | None, Header(description="The file's ETag (or the draft's, or *)")
    ] = None,
    if_none_match: Annotated[
        str | None, Header(description="* to create a file that does not exist yet")
    ] = None,
) -> DraftOut:
    """The body is the file's YAML text (`application/yaml` or `text/yaml`). Each file has its
    own ETag, so coaches editing different files of one draft never collide; the response's
    ETag is the file's new one (the body's `etag` is the draft's). Checks run on validate/test,
    not here."""
    caller.require(*EDITORS)
    version = draft(tenant, draft_id, for_update=True)
    check_file_precondition(version, filename, if_match, if_none_match)
    put_file(version, filename, text)
    tenant.db.flush()
    response.headers["ETag"] = file_etag(text)
    return draft_out(version, False)


@router.delete(
    "/drafts/{draft_id}/files/{filename}",
    status_code=204,
    responses=responses(401, 403, 404, 412, 428, 429),
    summary="Remove one file of a draft (If-Match: the file's ETag)",
)
def delete_ruleset_file(
    draft_id: str,
    filename: str,
    tenant: TenantDep,
    caller: CallerDep,
    if_match: Annotated[
        str | None, Header(description="The file's ETag (or the draft's, or *)")
    ] = None,
) -> Response:
    caller.require(*EDITORS)
    version = draft(tenant, draft_id, for_update=True)
    file_text(version, filename)  # 404 for a file that is not there
    check_file_precondition(version, filename, if_match, None)
    put_file(version, filename, None)
    return Response(status_code=204, headers={"ETag": etag_of(version.etag)})


@router.delete(
    "/drafts/{draft_id}",
    status_code=204,
    responses=responses(401, 403, 404, 412, 428, 429),
    summary="Discard a draft (needs If-Match with the draft's ETag)",
)
def delete_ruleset_draft(
    draft_id: str,
    tenant: TenantDep,
    caller: CallerDep,
    if_match: Annotated[str | None, Header(description="The draft's ETag")] = None,
) -> Response:
    caller.require(*EDITORS)
    version = draft(tenant, draft_id, for_update=True)
    check_if_match(if_match, version.etag)
    delete_draft(tenant, version)
    return Response(status_code=204)


@router.get(
    "/diff",
    response_model=RuleSetDiffOut,
    responses=responses(401, 404, 422, 429),
    summary="What differs between two rule sets: per-file diffs and per-rule changes",
)
def diff_rulesets(
    tenant: TenantDep,
    services: ServicesDep,
    source: Annotated[
        str,
        Query(
            alias="from",
            max_length=40,
            description="base, active, a published version number or a draft id",
        ),
    ],
    target: Annotated[
        str,
        Query(
            alias="to",
            max_length=40,
            description="base, active, a published version number or a draft id",
        ),
    ],
) -> RuleSetDiffOut:
    """Unified diffs of the files that differ, and each rule and catalog exercise added,
    removed or changed (with the keys that changed), from `from` to `to`."""
    library = services.library
    before = side(tenant, library, source, "from")
    after = side(tenant, library, target, "to")
    return RuleSetDiffOut.model_validate(diff(before, after))
