"""Problems found in rule files, each with file, line and rule id."""

from __future__ import annotations

from dataclasses import dataclass

from app.errors import RuleSetInvalid


@dataclass(frozen=True, slots=True)
class RuleProblem:
    """One thing wrong with a rule file."""

    file: str
    line: int | None
    message: str
    rule: str | None = None

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        rule = f" [rule {self.rule}]" if self.rule else ""
        return f"{where}:{rule} {self.message}"

    def as_dict(self) -> dict[str, object]:
        return {"file": self.file, "line": self.line, "rule": self.rule, "message": self.message}


class RuleSetRejected(RuleSetInvalid):
    """A rule set with one or more problems; nothing of it reaches the engine."""

    def __init__(
        self, problems: list[RuleProblem], warnings: list[RuleProblem] | None = None
    ) -> None:
        self.problems = problems
        self.warnings = warnings or []  # likely mistakes in what did parse
        first = str(problems[0]) if problems else "invalid rule set"
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        super().__init__(first + more, detail=[p.as_dict() for p in problems])
