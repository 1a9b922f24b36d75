"""What differs between two rule sets (the base, the active rules, a published version or a
draft): a unified diff per file, and per rule and per catalog exercise whether it was added,
removed or changed, with the fields that changed."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from typing import Any

from app.engine.compile import is_catalog
from app.engine.loader import YamlRejected, load_yaml
from app.errors import InvalidInput
from app.services.rulesets import RuleSetLibrary, active_version, draft, published
from app.storage.scope import Tenant

REFERENCE = re.compile(r"^(base|active|[1-9][0-9]{0,6}|[0-9a-f]{8}-[0-9a-f-]{27})$")


@dataclass(frozen=True)
class Side:
    label: str
    files: dict[str, str]


@dataclass
class Change:
    id: str
    file: str
    change: str  # added | removed | changed
    fields: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "file": self.file, "change": self.change, "fields": self.fields}


def side(tenant: Tenant, library: RuleSetLibrary, reference: str, param: str) -> Side:
    """The rule set a diff reference names: `base`, `active`, a version number or a draft id."""
    if not REFERENCE.match(reference):
        raise InvalidInput(
            f"'{param}' names a rule set",
            detail=[
                {
                    "loc": ["query", param],
                    "msg": "base, active, a published version number or a draft id",
                    "type": "ruleset_reference",
                }
            ],
        )
    if reference == "base":
        return Side("base", dict(library.base_files))
    if reference == "active":
        version = active_version(tenant)
        if version is None:
            return Side("active (base)", dict(library.base_files))
        return Side(f"active (version {version.number})", dict(version.files["files"]))
    if reference.isdigit():
        version = published(tenant, int(reference))
        return Side(f"version {version.number}", dict(version.files["files"]))
    found = draft(tenant, reference)
    return Side(f"draft {found.id}", dict(found.files["files"]))


Items = dict[str, tuple[str, Any]]  # id → (file, its YAML mapping)


def _items(files: dict[str, str]) -> tuple[Items, Items, list[str]]:
    """Rules and catalog exercises by id (with their file), and the files that do not parse."""
    rules: Items = {}
    exercises: Items = {}
    unparsed: list[str] = []
    for name in sorted(files):
        try:
            data = load_yaml(files[name], name).data
        except YamlRejected:
            unparsed.append(name)
            continue
        key, into = ("exercises", exercises) if is_catalog(name) else ("rules", rules)
        entries = data.get(key) if isinstance(data, dict) else None
        for entry in entries if isinstance(entries, list) else []:
            if isinstance(entry, dict) and isinstance(entry.get("id"), str):
                into.setdefault(entry["id"], (name, entry))
    return rules, exercises, unparsed


def _changes(before: Items, after: Items) -> list[Change]:
    changes = []
    for item_id in sorted(before.keys() | after.keys()):
        old, new = before.get(item_id), after.get(item_id)
        if old is None and new is not None:
            changes.append(Change(item_id, new[0], "added"))
        elif new is None and old is not None:
            changes.append(Change(item_id, old[0], "removed"))
        elif old is not None and new is not None and old[1] != new[1]:
            keys = sorted(old[1].keys() | new[1].keys())
            fields = [k for k in keys if old[1].get(k) != new[1].get(k)]
            changes.append(Change(item_id, new[0], "changed", fields))
    return changes


def diff(before: Side, after: Side) -> dict[str, Any]:
    """Per-file unified diffs and per-rule and per-exercise changes from `before` to `after`."""
    files = []
    for name in sorted(before.files.keys() | after.files.keys()):
        old, new = before.files.get(name), after.files.get(name)
        if old == new:
            continue
        change = "added" if old is None else "removed" if new is None else "changed"
        lines = difflib.unified_diff(
            (old or "").splitlines(keepends=True),
            (new or "").splitlines(keepends=True),
            fromfile=f"{before.label}/{name}" if old is not None else "/dev/null",
            tofile=f"{after.label}/{name}" if new is not None else "/dev/null",
        )
        files.append({"name": name, "change": change, "diff": "".join(lines)})
    old_rules, old_exercises, old_unparsed = _items(before.files)
    new_rules, new_exercises, new_unparsed = _items(after.files)
    rules = _changes(old_rules, new_rules)
    exercises = _changes(old_exercises, new_exercises)
    return {
        "from": before.label,
        "to": after.label,
        "files": files,
        "rules": [c.as_dict() for c in rules],
        "exercises": [c.as_dict() for c in exercises],
        "unparsed": sorted(set(old_unparsed) | set(new_unparsed)),
        "summary": {
            "files_changed": len(files),
            **{
                f"{kind}_{change}": sum(1 for c in items if c.change == change)
                for kind, items in (("rules", rules), ("exercises", exercises))
                for change in ("added", "removed", "changed")
            },
        },
    }
