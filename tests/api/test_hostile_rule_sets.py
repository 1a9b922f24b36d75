"""Hostile rule sets, one per attack: each unsafe version is refused at publish (409) with
the violation named, in under a second, the organisation stays on its rules, and another
organisation is answered meanwhile. On SQLite and PostgreSQL."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from app.config import Settings
from tests.conftest import new_org

YAML = {"content-type": "application/yaml"}
Edit = Callable[[dict[str, str]], dict[str, str | None]]  # files → files to put (None: delete)


def strip_contraindication(files: dict[str, str]) -> dict[str, str | None]:
    text = files["catalog.yaml"].replace(
        "    contraindications: [loaded_hip_flexion, external_load]\n", "", 1
    )
    assert text != files["catalog.yaml"]
    return {"catalog.yaml": text}


def unload_an_exercise(files: dict[str, str]) -> dict[str, str | None]:
    text = files["catalog.yaml"].replace(
        "    contraindications: [external_load]\n", "    contraindications: []\n", 1
    )
    assert text != files["catalog.yaml"]
    return {"catalog.yaml": text}


def drop_red_flags(files: dict[str, str]) -> dict[str, str | None]:
    return {"red_flags.yaml": None}


def always_progress(files: dict[str, str]) -> dict[str, str | None]:
    return {
        "pain_monitoring.yaml": (
            "topic: Reckless\nrules:\n  - id: reckless.progress\n    title: Always progress\n"
            "    why: Always push on.\n    domain: safety\n    priority: 100\n"
            "    when: {fact: check_in}\n    then:\n      - respond: {load: progress}\n"
        )
    }


def no_taper(files: dict[str, str]) -> dict[str, str | None]:
    text = files["goals.yaml"].replace("taper_days: 21", "taper_weeks: 0", 1)
    assert text != files["goals.yaml"]
    return {"goals.yaml": text}


def nul_in_a_title(files: dict[str, str]) -> dict[str, str | None]:
    text = files["load.yaml"].replace("title: ", 'title: "Nul \\0 here" #', 1)
    assert text != files["load.yaml"]
    return {"load.yaml": text}


ATTACKS: dict[str, tuple[Edit, str]] = {
    "a shipped contraindication stripped": (strip_contraindication, "romanian_deadlift"),
    "a loaded exercise without external_load": (unload_an_exercise, "external_load"),
    "the red-flag rules deleted": (drop_red_flags, "protected safety core"),
    "every check-in progresses": (always_progress, "pain model"),
    "a marathon without a taper": (no_taper, "taper_weeks"),
    "a NUL byte in a rule's title": (nul_in_a_title, "control character"),
}


def put(client: TestClient, auth: dict[str, str], draft: str, etag: str, name: str,
        text: str | None) -> str:  # fmt: skip
    url = f"/v1/rulesets/drafts/{draft}/files/{name}"
    if text is None:
        answer = client.delete(url, headers={**auth, "If-Match": etag})
        assert answer.status_code == 204, answer.text
        return client.get(f"/v1/rulesets/drafts/{draft}", headers=auth).headers["etag"]
    answer = client.put(url, content=text.encode(), headers={**auth, **YAML, "If-Match": etag})
    assert answer.status_code == 200, answer.text
    return str(answer.headers["etag"])


@pytest.mark.parametrize("attack", list(ATTACKS))
def test_an_unsafe_rule_set_is_refused_at_publish(
    client: TestClient, auth: dict[str, str], settings: Settings, attack: str
) -> None:
    edit, named = ATTACKS[attack]
    draft = client.post("/v1/rulesets/drafts", json={"based_on": "base"}, headers=auth)
    assert draft.status_code == 201, draft.text
    etag, files = draft.headers["etag"], draft.json()["files"]
    for name, text in edit(files).items():
        etag = put(client, auth, draft.json()["id"], etag, name, text)

    other = {"Authorization": f"Bearer {new_org(settings, 'Bystander club')[1]}"}
    latencies: list[float] = []
    done = threading.Event()

    def bystander() -> None:
        while not done.is_set():
            started = time.perf_counter()
            assert client.get("/v1/athletes", headers=other).status_code == 200
            latencies.append(time.perf_counter() - started)

    watcher = threading.Thread(target=bystander)
    watcher.start()
    started = time.perf_counter()
    refused = client.post(f"/v1/rulesets/drafts/{draft.json()['id']}/publish", headers=auth)
    elapsed = time.perf_counter() - started
    done.set()
    watcher.join()
    assert refused.status_code == 409, refused.text
    assert named in refused.text
    assert elapsed < 1.0, f"{elapsed:.2f} s"
    assert latencies  # the other organisation was answered while it ran
    assert sorted(latencies)[len(latencies) // 2] < 0.5
    active = client.get("/v1/rulesets", headers=auth).json()["active"]
    assert active["custom"] is False  # the organisation stays on the shipped rules
