"""Every document a tracked file points at is in the repository (docs/README.md lists them).

Scans the text files `git ls-files` knows (not tests/golden/) for names of documents that live
outside the repository, for `docs/<name>.md` paths and `docs/<name>.md §N` sections that do not
exist, for `#anchors` into docs/ that no heading or `<a id>` defines, and for relative Markdown
links to files or anchors that are missing. Each problem is reported as `file:line`.
"""

from __future__ import annotations

import re
import subprocess
from functools import cache
from pathlib import Path

import pytest

from app.config import PROJECT_ROOT

DOCS = PROJECT_ROOT / "docs"
SKIPPED_DIRS = ("tests/golden/",)
MD = r"\.md"  # kept apart so that the patterns below never match this file's own source

# Documents that are not part of the repository (a `coaching` page is allowed under docs/).
OUTSIDE = re.compile(
    r"(?<![\w.-])(?<!docs/)(?:domain|engine-notes|DESIGN|ical|style)" + MD + r"\b"
    r"|(?<![\w-])(?<!docs/)coaching" + MD + r"\b"
    r"|(?<![\w-])seeds/\d+"
    r"|\.\./" + "shared" + r"\b"
)
DOC_PATH = re.compile(r"(?<![\w./-])docs/([\w.-]+?)" + MD + r"(?:#([\w-]+)|\s+§(\d+(?:\.\d+)*))?")
MD_LINK = re.compile(r"\]\(([^)\s]+?)\)")
HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$")
EXPLICIT_ANCHOR = re.compile(r"""<a\s+(?:id|name)=["']([^"']+)["']""")
NUMBERED = re.compile(r"^(\d+(?:\.\d+)*)\.?\s")


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"`|\*|_{2,}", "", heading.strip()).lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


@cache
def anchors(path: Path) -> frozenset[str]:
    """Every anchor of a Markdown file: heading slugs (with GitHub's -1, -2 for repeats) and
    explicit `<a id>` / `<a name>` targets."""
    found: set[str] = set()
    seen: dict[str, int] = {}
    fenced = False
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.lstrip().startswith("```"):
            fenced = not fenced
            continue
        if fenced:
            continue
        found.update(EXPLICIT_ANCHOR.findall(line))
        heading = HEADING.match(line)
        if heading:
            base = slug(heading.group(1))
            count = seen.get(base, 0)
            seen[base] = count + 1
            found.add(base if count == 0 else f"{base}-{count}")
    return frozenset(found)


@cache
def sections(path: Path) -> frozenset[str]:
    """The section numbers of a Markdown file's numbered headings ("## 2.1 Title" → "2.1")."""
    numbers = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        heading = HEADING.match(line)
        number = NUMBERED.match(heading.group(1)) if heading else None
        if number:
            numbers.add(number.group(1))
    return frozenset(numbers)


def tracked_text_files() -> list[str]:
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=PROJECT_ROOT, capture_output=True, check=True
    ).stdout.decode()
    names = [n for n in listed.split("\0") if n and not n.startswith(SKIPPED_DIRS)]
    if "docs/README.md" not in names:  # new documents count before they are committed
        names += [str(p.relative_to(PROJECT_ROOT)) for p in sorted(DOCS.glob("*.md"))]
    return names


def read_text(name: str) -> str | None:
    path = PROJECT_ROOT / name
    if not path.is_file():  # deleted in the working tree
        return None
    data = path.read_bytes()
    if b"\0" in data[:8192]:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def doc_problem(name: str, anchor: str | None, section: str | None) -> str | None:
    path = DOCS / f"{name}.md"
    if not path.is_file():
        return f"docs/{name}.md does not exist"
    if anchor and anchor not in anchors(path):
        return f"docs/{name}.md has no anchor #{anchor}"
    if section and section not in sections(path):
        return f"docs/{name}.md has no section §{section}"
    return None


def link_problem(source: str, target: str) -> str | None:
    """A relative Markdown link from `source` to a missing file or anchor."""
    if re.match(r"^[a-z][a-z0-9+.-]*:", target) or target.startswith("/"):
        return None  # a URL, or an absolute path on the server
    file_part, _, anchor = target.partition("#")
    path = (PROJECT_ROOT / source).parent / file_part if file_part else PROJECT_ROOT / source
    if not path.exists():
        return f"link to {target}: no such file"
    if anchor and path.suffix == ".md" and anchor not in anchors(path.resolve()):
        return f"link to {target}: no such anchor"
    return None


def problems_in(name: str, text: str) -> list[str]:
    found: list[str] = []
    markdown = name.endswith(".md")
    for number, line in enumerate(text.splitlines(), start=1):
        where = f"{name}:{number}"
        found.extend(
            f"{where}: {m.group(0)!r} is outside the repository" for m in OUTSIDE.finditer(line)
        )
        for m in DOC_PATH.finditer(line):
            problem = doc_problem(m.group(1), m.group(2), m.group(3))
            if problem:
                found.append(f"{where}: {problem}")
        if markdown:
            for m in MD_LINK.finditer(line):
                problem = link_problem(name, m.group(1))
                if problem:
                    found.append(f"{where}: {problem}")
    return found


def test_no_reference_points_outside_the_repository_or_at_a_missing_document() -> None:
    problems: list[str] = []
    for name in tracked_text_files():
        text = read_text(name)
        if text is not None:
            problems.extend(problems_in(name, text))
    assert not problems, "dangling references:\n" + "\n".join(problems)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("see ../" + "shared/ical" + ".md", 2),
        ("(domain" + ".md §2.1)", 1),
        ("engine-notes" + ".md", 1),
        ("DESIGN" + ".md", 1),
        ("style" + ".md", 1),
        ("coaching" + ".md §8", 1),
        ("seeds/" + "004", 1),
        ("docs/coaching" + ".md is fine when it exists", 1),
        ("docs/evidence" + ".md#no-such-anchor", 1),
        ("docs/evidence" + ".md §99", 1),
        ("docs/nothing-here" + ".md", 1),
        ("docs/evidence" + ".md#achilles-tendinopathy and docs/plan-shape" + ".md §6", 0),
        ("docs/engine" + ".md#hard-limits, docs/architecture" + ".md §6.3", 0),
    ],
)
def test_the_scan_catches_what_it_should(line: str, expected: int) -> None:
    assert len(problems_in("example.py", line)) == expected


def test_markdown_links_are_checked() -> None:
    assert problems_in("docs/README.md", "[a](evidence" + ".md#red-flags)") == []
    assert len(problems_in("docs/README.md", "[a](evidence" + ".md#nowhere)")) == 1
    assert len(problems_in("docs/README.md", "[a](missing" + ".md)")) == 1
    assert problems_in("docs/README.md", "[a](https://example.org/x" + ".md#y)") == []


def test_slugs_follow_github() -> None:
    assert slug("3.4 Achilles tendinopathy (mid-portion and insertional)") == (
        "34-achilles-tendinopathy-mid-portion-and-insertional"
    )
    assert slug("8. Caps: the safest one wins") == "8-caps-the-safest-one-wins"
