"""A parsed rule and where it is, so that every problem names its file, line and rule."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from app.engine.problems import RuleProblem
from app.engine.schema import Rule

LineOf = Callable[[tuple[str | int, ...]], int | None]


@dataclass(frozen=True, slots=True)
class LocatedRule:
    """A parsed rule and how to find the line of any part of it."""

    rule: Rule
    file: str
    path: tuple[str | int, ...]
    line_of: LineOf
    # Set for a rule whose consequences failed the schema: only its condition is checked, and
    # these are the names it derives (read from its text).
    derives: tuple[str, ...] | None = None

    @property
    def line(self) -> int | None:
        return self.line_of(self.path)

    def problem(self, message: str, *sub: str | int) -> RuleProblem:
        return RuleProblem(self.file, self.line_of((*self.path, *sub)), message, self.rule.id)
