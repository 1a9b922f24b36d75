"""Tenant scoping in one place: every read and write of tenant data goes through `Tenant`,
which adds the organisation filter, so another organisation's objects are simply not found."""

from __future__ import annotations

from typing import TypeVar

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from app.errors import NotFound
from app.storage.tables import Base

T = TypeVar("T", bound=Base)


class Tenant:
    """The calling organisation's view of the database."""

    def __init__(self, db: Session, organization_id: str) -> None:
        self.db = db
        self.organization_id = organization_id

    def select(self, model: type[T]) -> Select[T]:
        """`SELECT model` limited to this organisation."""
        return select(model).where(model.organization_id == self.organization_id)  # type: ignore[attr-defined]

    def get(self, model: type[T], object_id: str, *, what: str | None = None) -> T:
        """The object with this id in this organisation, else `NotFound`."""
        found = self.db.scalars(self.select(model).where(model.id == object_id)).first()  # type: ignore[attr-defined]
        if found is None:
            raise NotFound(f"{what or model.__name__.lower()} {object_id} not found")
        return found

    def add(self, obj: T) -> T:
        """Add a new object owned by this organisation (flushed, not committed)."""
        return self.add_all([obj])[0]

    def add_all(self, objects: list[T]) -> list[T]:
        """Add new objects owned by this organisation, in one flush."""
        for obj in objects:
            obj.organization_id = self.organization_id  # type: ignore[attr-defined]
        self.db.add_all(objects)
        self.db.flush()
        return objects
