"""Every route × {same organisation, other organisation, other coach, app key, no key}.

Every attempt on another tenant's object — another organisation's, or another coach's athlete —
must be a 404; keys of the organisation reach their objects; no key is a 401 (public routes
aside). The route list comes from the app's OpenAPI document, so a new route that is not
classified here fails the test."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from app.config import Settings
from app.services.studio import sign_in
from app.studio.web import COOKIE
from tests.api.test_rulesets import wait_for_job
from tests.conftest import load_example, new_org

CALLERS = ("same_org", "other_org", "other_coach", "app", "no_key")


@dataclass
class World:
    client: TestClient
    keys: dict[str, dict[str, str]]
    ids: dict[str, str]

    def athlete(self) -> str:
        """A fresh athlete of coach 1 with an intake, a plan and a feed token."""
        c1 = self.keys["coach1"]
        athlete: str = self.client.post("/v1/athletes", json={"name": "M"}, headers=c1).json()["id"]
        self.client.post(
            f"/v1/athletes/{athlete}/intakes",
            json=load_example("weak_left_glute_hamstring"),
            headers=c1,
        )
        plan = self.client.post(f"/v1/athletes/{athlete}/plans", headers=c1).json()
        token = self.client.post(f"/v1/athletes/{athlete}/feed-tokens", headers=c1).json()
        self.ids.update(athlete_id=athlete, plan_id=plan["id"], token_id=token["id"])
        return athlete

    def draft(self) -> str:
        created = self.client.post(
            "/v1/rulesets/drafts", json={"based_on": "base"}, headers=self.keys["admin"]
        ).json()
        self.ids["draft_etag"] = created["etag"]
        draft_id: str = created["id"]
        self.ids["draft_id"] = draft_id
        return draft_id

    def api_key(self) -> str:
        made = self.client.post(
            "/v1/api-keys", json={"role": "app"}, headers=self.keys["admin"]
        ).json()
        key_id: str = made["id"]
        self.ids["key_id"] = key_id
        return key_id


Fill = Callable[[World], dict[str, Any]]


ALL = frozenset({"admin", "coach", "app"})
EDITORS = frozenset({"admin", "coach"})
ADMIN = frozenset({"admin"})


@dataclass(frozen=True)
class Route:
    scope: str  # athlete | org | collection | public
    prepare: Callable[[World], object] = lambda world: None
    json: Fill | None = None
    content: Callable[[World], dict[str, Any]] | None = None  # raw body and headers
    ok: int = 200  # the status for a caller that may use the route
    roles: frozenset[str] = ALL  # the key roles that may (others: 403)


def intake(_: World) -> dict[str, Any]:
    return load_example("weak_left_glute_hamstring")


def athlete_scoped(**kwargs: Any) -> Route:
    return Route("athlete", prepare=lambda world: world.athlete() and None, **kwargs)


def draft_scoped(**kwargs: Any) -> Route:
    return Route("org", prepare=lambda world: world.draft() and None, **kwargs)


ROUTES: dict[tuple[str, str], Route] = {
    ("get", "/healthz"): Route("public"),
    ("get", "/readyz"): Route("public"),
    ("get", "/feeds/{token}.ics"): Route("public"),
    ("head", "/feeds/{token}.ics"): Route("public"),
    ("post", "/v1/plans/preview"): Route("collection", json=intake),
    ("post", "/v1/athletes"): Route("collection", json=lambda w: {"name": "New"}, ok=201),
    ("get", "/v1/athletes"): Route("collection"),
    ("get", "/v1/athletes/{athlete_id}"): athlete_scoped(),
    ("patch", "/v1/athletes/{athlete_id}"): athlete_scoped(
        content=lambda w: {"json": {"name": "Renamed"}, "headers": {"If-Match": "*"}}
    ),
    ("post", "/v1/athletes/{athlete_id}/intakes"): athlete_scoped(json=intake, ok=201),
    ("post", "/v1/athletes/{athlete_id}/plans"): athlete_scoped(ok=201),
    ("post", "/v1/athletes/{athlete_id}/check-ins"): athlete_scoped(
        json=lambda w: {"date": "2026-06-10", "pain_during": 2, "pain_next_morning": 1}, ok=201
    ),
    ("get", "/v1/athletes/{athlete_id}/intakes"): athlete_scoped(),
    ("post", "/v1/athletes/{athlete_id}/feed-tokens"): athlete_scoped(ok=201),
    ("get", "/v1/athletes/{athlete_id}/feed-tokens"): athlete_scoped(),
    ("delete", "/v1/athletes/{athlete_id}/feed-tokens/{token_id}"): athlete_scoped(ok=204),
    ("get", "/v1/plans/{plan_id}"): athlete_scoped(),
    ("get", "/v1/plans/{plan_id}.ics"): athlete_scoped(),
    ("get", "/v1/plans/{plan_id}/chart.svg"): athlete_scoped(),
    ("post", "/v1/coaches"): Route("collection", json=lambda w: {"name": "C"}, ok=201, roles=ADMIN),
    ("get", "/v1/coaches"): Route("collection", roles=frozenset({"admin", "app"})),
    ("patch", "/v1/coaches/{coach_id}"): Route(
        "org",
        prepare=lambda w: w.ids.setdefault("coach_id", w.ids["coach1_id"]),
        json=lambda w: {"can_publish": False},
        roles=ADMIN,
    ),
    ("post", "/v1/api-keys"): Route(
        "collection", json=lambda w: {"role": "app"}, ok=201, roles=ADMIN
    ),
    ("get", "/v1/api-keys"): Route("collection", roles=ADMIN),
    ("delete", "/v1/api-keys/{key_id}"): Route(
        "org", prepare=lambda w: w.api_key() and None, ok=204, roles=ADMIN
    ),
    ("get", "/v1/rulesets"): Route("collection"),
    ("post", "/v1/rulesets/drafts"): Route(
        "collection", json=lambda w: {"based_on": "base"}, ok=201, roles=EDITORS
    ),
    ("get", "/v1/rulesets/drafts/{draft_id}"): draft_scoped(),
    ("put", "/v1/rulesets/drafts/{draft_id}/files/{filename}"): draft_scoped(
        content=lambda w: {
            "content": "topic: Extra\n",
            "headers": {"If-Match": w.ids["draft_etag"], "content-type": "application/yaml"},
        },
        roles=EDITORS,
    ),
    ("delete", "/v1/rulesets/drafts/{draft_id}/files/{filename}"): draft_scoped(
        content=lambda w: {"headers": {"If-Match": w.ids["draft_etag"]}}, ok=204, roles=EDITORS
    ),
    ("get", "/v1/rulesets/drafts/{draft_id}/files/{filename}"): draft_scoped(),
    ("delete", "/v1/rulesets/drafts/{draft_id}"): draft_scoped(
        content=lambda w: {"headers": {"If-Match": w.ids["draft_etag"]}}, ok=204, roles=EDITORS
    ),
    # another tenant's draft must not be found through a diff either
    ("get", "/v1/rulesets/diff"): draft_scoped(
        content=lambda w: {"params": {"from": "base", "to": w.ids["draft_id"]}}
    ),
    ("post", "/v1/rulesets/drafts/{draft_id}/validate"): draft_scoped(roles=EDITORS),
    ("post", "/v1/rulesets/drafts/{draft_id}/test"): draft_scoped(roles=EDITORS),
    ("post", "/v1/rulesets/drafts/{draft_id}/preview"): draft_scoped(
        json=lambda w: {"athlete_ids": []}, roles=EDITORS
    ),
    ("post", "/v1/rulesets/drafts/{draft_id}/publish"): draft_scoped(ok=202, roles=ADMIN),
    # the body names a version of the organisation: another tenant must not find it
    ("post", "/v1/rulesets/rollback"): Route(
        "org", json=lambda w: {"version": 1}, ok=202, roles=ADMIN
    ),
    ("get", "/v1/rulesets/jobs/{job_id}"): Route("org"),
    ("get", "/v1/rulesets/versions/{number}"): Route("org"),
    ("get", "/v1/vocabulary"): Route("collection"),
}


@pytest.fixture(scope="module")
def world(client: TestClient, settings: Settings) -> World:
    _, admin_key = new_org(settings, "Matrix club")
    admin = {"Authorization": f"Bearer {admin_key}"}
    keys = {"admin": admin}
    coach_ids = {}
    for name in ("coach1", "coach2"):
        coach = client.post("/v1/coaches", json={"name": name}, headers=admin).json()
        coach_ids[f"{name}_id"] = coach["id"]
        key = client.post(
            "/v1/api-keys", json={"role": "coach", "coach_id": coach["id"]}, headers=admin
        ).json()["api_key"]
        keys[name] = {"Authorization": f"Bearer {key}"}
    app_key = client.post("/v1/api-keys", json={"role": "app"}, headers=admin).json()["api_key"]
    keys["app"] = {"Authorization": f"Bearer {app_key}"}
    keys["other"] = {"Authorization": f"Bearer {new_org(settings, 'Rival club')[1]}"}
    made = World(client, keys, {"filename": "baseline.yaml", **coach_ids})
    published = client.post(f"/v1/rulesets/drafts/{made.draft()}/publish", headers=admin).json()
    wait_for_job(client, admin, published["job"])
    made.ids.update(job_id=published["job"]["id"], number=str(published["version"]))
    made.athlete()
    feed = client.post(f"/v1/athletes/{made.ids['athlete_id']}/feed-tokens", headers=admin).json()
    made.ids["token"] = feed["url"].rsplit("/feeds/", 1)[1].removesuffix(".ics")
    return made


def test_every_route_is_classified(client: TestClient) -> None:
    documented = {
        (method, path)
        for path, item in client.app.openapi()["paths"].items()  # type: ignore[attr-defined]
        for method in item
    }
    unclassified, gone = sorted(documented - set(ROUTES)), sorted(set(ROUTES) - documented)
    assert (unclassified, gone) == ([], []), f"unclassified: {unclassified}; gone: {gone}"


HEADERS = {"same_org": "admin", "other_org": "other", "other_coach": "coach2", "app": "app"}
ROLE_OF = {"same_org": "admin", "other_coach": "coach", "app": "app"}


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize(("method", "path"), sorted(ROUTES))
def test_route_by_caller(world: World, method: str, path: str, caller: str) -> None:
    route = ROUTES[(method, path)]
    route.prepare(world)
    url = path.format(**world.ids)
    headers = dict(world.keys[HEADERS[caller]]) if caller != "no_key" else {}
    kwargs: dict[str, Any] = {}
    if route.json is not None:
        kwargs["json"] = route.json(world)
    if route.content is not None:
        extra = route.content(world)
        headers.update(extra.pop("headers", {}))
        kwargs.update(extra)
    response = world.client.request(method.upper(), url, headers=headers, **kwargs)
    status, where = response.status_code, f"{caller} {method.upper()} {path}: {response.text[:200]}"
    assert status < 500, where
    if route.scope == "public":
        assert status != 401, where
    elif caller == "no_key":
        assert status == 401, where
    elif (caller == "other_org" and route.scope in ("athlete", "org")) or (
        caller == "other_coach" and route.scope == "athlete"
    ):
        assert status == 404, where
    elif caller == "other_org":  # a collection of its own: whatever its role may do there
        assert status in (route.ok, 403), where
    else:  # the exact status: a forgotten role check, or a wrong one, fails here
        role = ROLE_OF[caller]
        assert status == (route.ok if role in route.roles else 403), where


# -- the studio: the same question for a signed-in browser ---------------------------------------

STUDIO_CALLERS = ("same_org", "other_org", "other_coach", "no_session")


@dataclass(frozen=True)
class StudioRoute:
    scope: str  # athlete | org | collection | public
    data: Callable[[World], dict[str, Any]] | None = None  # the form (a post)
    params: Callable[[World], dict[str, str]] | None = None
    ok: int = 200
    roles: frozenset[str] = EDITORS


def file_etag_of(world: World) -> str:
    answer = world.client.get(
        f"/v1/rulesets/drafts/{world.ids['draft_id']}/files/baseline.yaml",
        headers=world.keys["admin"],
    )
    return answer.headers["ETag"]


def studio_draft(**kwargs: Any) -> StudioRoute:
    return StudioRoute("org", **kwargs)


STUDIO_ROUTES: dict[tuple[str, str], StudioRoute] = {
    ("get", "/studio"): StudioRoute("public", ok=303),
    ("get", "/studio/sign-in"): StudioRoute("public"),
    ("post", "/studio/sign-in"): StudioRoute("public", ok=403),  # no sign-in form token
    ("post", "/studio/sign-out"): StudioRoute("collection", ok=303),
    ("get", "/studio/athletes"): StudioRoute("collection"),
    ("get", "/studio/athletes/{athlete_id}"): StudioRoute("athlete"),
    ("get", "/studio/athletes/{athlete_id}/chart.svg"): StudioRoute("athlete"),
    ("post", "/studio/athletes/{athlete_id}/calendar-link"): StudioRoute("athlete"),
    ("get", "/studio/rules"): StudioRoute("collection"),
    ("post", "/studio/rules/drafts"): StudioRoute(
        "collection", data=lambda w: {"based_on": "base"}, ok=303
    ),
    ("get", "/studio/rules/drafts/{draft_id}"): studio_draft(),
    ("get", "/studio/rules/drafts/{draft_id}/files/{filename}"): studio_draft(),
    ("post", "/studio/rules/drafts/{draft_id}/check"): studio_draft(
        data=lambda w: {"filename": "baseline.yaml", "text": "topic: Extra\n"}
    ),
    ("post", "/studio/rules/drafts/{draft_id}/files/{filename}"): studio_draft(
        data=lambda w: {"text": "topic: Extra\n", "file_etag": file_etag_of(w)}
    ),
    ("post", "/studio/rules/drafts/{draft_id}/test"): studio_draft(),
    # on coach 1's athlete: the other coach must not reach them through a preview either
    ("post", "/studio/rules/drafts/{draft_id}/preview"): StudioRoute(
        "athlete", data=lambda w: {"athlete_id": w.ids["athlete_id"]}
    ),
    ("get", "/studio/rules/drafts/{draft_id}/athletes/{athlete_id}/chart.svg"): StudioRoute(
        "athlete"
    ),
    ("post", "/studio/rules/drafts/{draft_id}/publish"): studio_draft(roles=ADMIN),
    ("post", "/studio/rules/rollback"): StudioRoute(
        "org", data=lambda w: {"version": w.ids["number"]}, roles=ADMIN
    ),
    ("get", "/studio/rules/jobs/{job_id}"): StudioRoute("org"),
    # another tenant's draft must not be found through a diff either
    ("get", "/studio/rules/diff"): StudioRoute(
        "org", params=lambda w: {"from": "base", "to": w.ids["draft_id"]}
    ),
}


def test_every_studio_route_is_classified() -> None:
    from app.studio import web

    pages = {
        (method.lower(), route.path)
        for route in web.router.routes
        if isinstance(route, APIRoute)
        for method in route.methods or ()
    }
    unclassified, gone = sorted(pages - set(STUDIO_ROUTES)), sorted(set(STUDIO_ROUTES) - pages)
    assert (unclassified, gone) == ([], []), f"unclassified: {unclassified}; gone: {gone}"


@pytest.fixture(scope="module")
def studio_cookies(world: World) -> dict[str, str]:
    """A studio session for the organisation's admin, the other organisation's admin and the
    second coach (made through the service: the sign-in form has its own tests)."""
    services = world.client.app.state.services  # type: ignore[attr-defined]
    cookies = {}
    for caller, holder in (
        ("same_org", "admin"),
        ("other_org", "other"),
        ("other_coach", "coach2"),
    ):
        key = world.keys[holder]["Authorization"].removeprefix("Bearer ")
        with services.sessions() as db, db.begin():
            made = sign_in(db, key, 1)
        cookies[caller] = made.cookie
        cookies[caller + "_csrf"] = made.csrf_token
    return cookies


@pytest.mark.parametrize("caller", STUDIO_CALLERS)
@pytest.mark.parametrize(("method", "path"), sorted(STUDIO_ROUTES))
def test_studio_route_by_caller(
    world: World, studio_cookies: dict[str, str], method: str, path: str, caller: str
) -> None:
    route = STUDIO_ROUTES[(method, path)]
    if path.endswith("/sign-out") and caller != "no_session":
        # signing out ends the session the other rows use: sign in afresh for this one
        services = world.client.app.state.services  # type: ignore[attr-defined]
        holder = {"same_org": "admin", "other_org": "other", "other_coach": "coach2"}[caller]
        with services.sessions() as db, db.begin():
            made = sign_in(db, world.keys[holder]["Authorization"].removeprefix("Bearer "), 1)
        cookie, csrf = made.cookie, made.csrf_token
    else:
        cookie = studio_cookies.get(caller, "")
        csrf = studio_cookies.get(caller + "_csrf", "")
    # a fresh draft for each row (an earlier row may have published one), and one athlete with
    # a plan for all: publishing re-plans every athlete of the organisation, so rows add none
    world.draft()
    if "athlete_id" not in world.ids:
        world.athlete()
    url = path.format(**world.ids)
    headers = {"Cookie": f"{COOKIE}={cookie}"} if cookie else {}
    kwargs: dict[str, Any] = {}
    if method == "post":
        kwargs["data"] = {"csrf": csrf, **(route.data(world) if route.data else {})}
    if route.params is not None:
        kwargs["params"] = route.params(world)
    response = world.client.request(
        method.upper(), url, headers=headers, follow_redirects=False, **kwargs
    )
    status, where = response.status_code, f"{caller} {method.upper()} {path}: {response.text[:300]}"
    assert status < 500, where
    if route.scope == "public":
        assert status == route.ok, where
    elif caller == "no_session":
        if method == "get":
            assert (status, response.headers.get("location")) == (303, "/studio/sign-in"), where
        else:
            assert status == 401, where
    elif (caller == "other_org" and route.scope in ("athlete", "org")) or (
        caller == "other_coach" and route.scope == "athlete"
    ):
        assert status == 404, where
        assert "phase-activation" not in response.text, where  # nothing of the plan shows
    elif caller == "other_org":  # its own collection: whatever its role may do there
        assert status in (route.ok, 403), where
    else:
        role = "admin" if caller == "same_org" else "coach"
        assert status == (route.ok if role in route.roles else 403), where
