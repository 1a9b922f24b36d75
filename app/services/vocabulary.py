"""Stored intakes against a vocabulary: publishing rules that drop (or rename) a term some
athlete's intake names would leave that athlete unplannable, so it is refused, naming them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from app.errors import Conflict
from app.intake.vocabulary import VOCABULARY_KINDS, Vocabulary
from app.storage.scope import Tenant
from app.storage.tables import IntakeRecord

MAX_LISTED = 20


def _names(body: dict[str, Any]) -> list[tuple[str, list[str | int], str]]:
    """(kind, where in the intake, name) for every vocabulary name an intake body uses."""
    used: list[tuple[str, list[str | int], str]] = []
    for i, symptom in enumerate(body.get("symptoms") or []):
        used.append(("conditions", ["symptoms", i, "condition"], str(symptom.get("condition"))))
    for i, finding in enumerate(body.get("findings") or []):
        used.append(("findings", ["findings", i, "name"], str(finding.get("name"))))
    for i, restriction in enumerate(body.get("restrictions") or []):
        used.append(("restrictions", ["restrictions", i], str(restriction)))
    return used


def orphaned_intakes(tenant: Tenant, vocabulary: Vocabulary) -> list[dict[str, Any]]:
    """Each athlete's latest intake that names a term `vocabulary` does not hold."""
    latest = (
        select(IntakeRecord.athlete_id, func.max(IntakeRecord.version).label("version"))
        .where(IntakeRecord.organization_id == tenant.organization_id)
        .group_by(IntakeRecord.athlete_id)
        .subquery()
    )
    rows = tenant.db.execute(
        tenant.select(IntakeRecord)
        .with_only_columns(IntakeRecord.athlete_id, IntakeRecord.id, IntakeRecord.body)
        .join(
            latest,
            (latest.c.athlete_id == IntakeRecord.athlete_id)
            & (latest.c.version == IntakeRecord.version),
        )
        .order_by(IntakeRecord.athlete_id)
    )
    known = {kind: vocabulary.names(kind) for kind in VOCABULARY_KINDS}
    orphans = []
    for athlete_id, intake_id, body in rows:
        for kind, loc, name in _names(body):
            if name not in known[kind]:
                orphans.append(
                    {"athlete_id": athlete_id, "intake_id": intake_id, "loc": loc, "name": name}
                )
    return orphans


def refuse_orphans(tenant: Tenant, vocabulary: Vocabulary) -> None:
    """A 409 listing the athletes whose intakes name terms `vocabulary` no longer has."""
    orphans = orphaned_intakes(tenant, vocabulary)
    if orphans:
        names = ", ".join(sorted({f"'{o['name']}'" for o in orphans}))
        raise Conflict(
            f"{len({o['athlete_id'] for o in orphans})} athlete(s) have intakes naming {names}, "
            "which these rules do not declare: declare them in vocabulary.yaml, or store new "
            "intakes for those athletes first",
            detail=orphans[:MAX_LISTED],
        )
