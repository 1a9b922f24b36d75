"""Tenant scoping in one place: every read and write of tenant data goes through `Tenant`,
which adds the organisation filter — and for a coach's key, the filter to the coach's own
athletes — so anyone else's objects are simply not found."""

from __future__ import annotations

from typing import TypeVar

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from app.errors import NotFound
from app.storage.tables import Athlete, Base

T = TypeVar("T", bound=Base)


class Tenant:
    """The calling organisation's (or coach's) view of the database."""

    def __init__(self, db: Session, organization_id: str, coach_id: str | None = None) -> None:
        self.db = db
        self.organization_id = organization_id
        self.coach_id = coach_id

    def select(self, model: type[T]) -> Select[T]:
        """`SELECT model` limited to this organisation, and for a coach to their athletes."""
        query = select(model).where(model.organization_id == self.organization_id)  # type: ignore[attr-defined]
        if self.coach_id is not None:
            if model is Athlete:
                query = query.where(Athlete.coach_id == self.coach_id)
            elif hasattr(model, "athlete_id"):
                own = select(Athlete.id).where(
                    Athlete.organization_id == self.organization_id,
                    Athlete.coach_id == self.coach_id,
                )
                query = query.where(model.athlete_id.in_(own))  # type: ignore[attr-defined]
        return query

    def get(
        self, model: type[T], object_id: str, *, what: str | None = None, for_update: bool = False
    ) -> T:
        """The object with this id in this scope, else `NotFound`; `for_update`: its row locked
        until the transaction ends (PostgreSQL; SQLite has one writer at a time)."""
        query = self.select(model).where(model.id == object_id)  # type: ignore[attr-defined]
        if for_update:
            query = query.with_for_update().execution_options(populate_existing=True)
        found = self.db.scalars(query).first()
        if found is None:
            raise NotFound(f"{what or model.__name__.lower()} {object_id} not found")
        return found

    def add(self, obj: T) -> T:
        """Add a new object owned by this organisation (flushed, not committed)."""
        return self.add_all([obj])[0]

    def add_all(self, objects: list[T]) -> list[T]:
        """Add new objects owned by this organisation (a coach's athletes are theirs), in one
        flush."""
        for obj in objects:
            obj.organization_id = self.organization_id  # type: ignore[attr-defined]
            if isinstance(obj, Athlete) and self.coach_id is not None:
                obj.coach_id = self.coach_id
        self.db.add_all(objects)
        self.db.flush()
        return objects
