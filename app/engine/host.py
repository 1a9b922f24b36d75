"""The durable_rules adapter: the only module that talks to the engine.

It follows docs/engine.md: one `Host` subclass with its timer threads off; actions resolved
from a fixed registry (rules can never name code); rule sets given as JSON and registered under
a name unique to their content; a fresh sid and unique fact ids per evaluation; a catch-all rule
so no batch is ever unhandled; state deleted after each evaluation; one lock around it all.
Registrations are bounded: past MAX_REGISTERED rule sets the least recently used one is
deleted from the engine (each costs about 0.8 MB of engine memory that is otherwise never
given back), and registered again if it is used again.
"""

from __future__ import annotations

import copy
import itertools
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import durable_rules_engine
from durable.engine import Host

from app.engine.model import RuleSet
from app.facts.schema import Scalar

logger = logging.getLogger(__name__)

Match = tuple[int, int]  # (condition index, fact index)
MAX_LEAKED_SIDS = 64
MAX_REGISTERED = 16  # rule sets kept in the engine at once (the base, active versions, drafts)


class EngineError(RuntimeError):
    """The engine failed on input that validation should have made safe."""


class EngineSession:
    """Working memory for one evaluation; facts can be added in several batches (strata)."""

    def __init__(self, host: RuleHost, engine_name: str, sid: str) -> None:
        self._host = host
        self._engine_name = engine_name
        self._sid = sid
        self._count = 0
        self.asserted = False

    def assert_facts(self, facts: Sequence[dict[str, Scalar]]) -> list[Match]:
        """Assert facts; returns (condition, fact index) for every condition each one meets.

        Fact indexes continue across batches of the same session.
        """
        if not facts:
            return []
        payload: list[dict[str, Any]] = []
        for fact in facts:
            payload.append({**fact, "sid": self._sid, "id": self._count})
            self._count += 1
        matches: list[Match] = []
        self._host.sink = matches
        try:
            self.asserted = True
            self._host.assert_facts(self._engine_name, payload)
        except Exception as exc:  # the C core reports errors as plain exceptions
            raise EngineError(f"rule engine failed: {exc}") from exc
        finally:
            self._host.sink = None
        return matches


class RuleHost(Host):  # type: ignore[misc]
    """The process's one durable_rules host."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.sink: list[Match] | None = None
        self._names: OrderedDict[str, str] = OrderedDict()  # digest → name, oldest use first
        self._generation: dict[str, int] = {}
        self._leaked: dict[str, int] = {}
        self._sids = itertools.count(1)
        super().__init__()

    def _run(self) -> None:
        """Timer threads off: actions run only inside our own calls (docs/engine.md)."""

    def get_action(self, action_name: str) -> Callable[[Any], None]:
        actions: dict[str, Callable[[Any], None]] = {
            "match": self._record,
            "ignore": self._ignore,
        }
        if action_name not in actions:
            raise EngineError(f"unknown engine action {action_name!r}")
        return actions[action_name]

    def _record(self, c: Any) -> None:
        sink = self.sink
        if sink is None:
            return
        for alias, fact in c._m.items():
            sink.append((int(alias[1:]), int(fact["id"])))

    def _ignore(self, c: Any) -> None:
        """The catch-all's action: nothing to do."""

    def _engine_name(self, ruleset: RuleSet) -> str:
        name = self._names.get(ruleset.digest)
        if name is not None:
            self._names.move_to_end(ruleset.digest)
            return name
        generation = self._generation.get(ruleset.digest, 0)
        self._generation[ruleset.digest] = generation + 1  # names are never registered twice
        name = f"{ruleset.engine_name}_{generation}"
        # Registration consumes the `run` keys of the dict it is given: build a fresh one.
        self.register_rulesets({name: copy.deepcopy(ruleset.engine_definition())})
        self._names[ruleset.digest] = name
        self._leaked[name] = 0
        self._evict()
        return name

    def _evict(self) -> None:
        """Delete the least recently used rule sets past MAX_REGISTERED from the engine (not
        one with a sid left after a failure: deleting what a failed evaluation left behind can
        abort the process)."""
        for digest, name in list(self._names.items()):
            if len(self._names) <= MAX_REGISTERED:
                return
            if self._leaked.get(name, 0):
                continue
            del self._names[digest]
            del self._leaked[name]
            ruleset = self._ruleset_directory.pop(name)
            self._ruleset_list.remove(ruleset)
            durable_rules_engine.delete_ruleset(ruleset._handle)

    @property
    def registered(self) -> int:
        """How many rule sets the engine holds now."""
        return len(self._ruleset_directory)

    def prepare(self, ruleset: RuleSet) -> None:
        """Register a rule set now (it is otherwise registered on first use)."""
        with self._lock:
            self._engine_name(ruleset)

    @contextmanager
    def session(self, ruleset: RuleSet) -> Iterator[EngineSession]:
        """An evaluation: exclusive use of the engine, and its state deleted at the end."""
        with self._lock:
            name = self._engine_name(ruleset)
            sid = str(next(self._sids))
            session = EngineSession(self, name, sid)
            failed = False
            try:
                yield session
            except EngineError:
                failed = True
                raise
            finally:
                if session.asserted and not failed:
                    self.delete_state(name, sid)
                elif failed:
                    self._forget_after_failure(ruleset, name)

    def _forget_after_failure(self, ruleset: RuleSet, name: str) -> None:
        # Deleting a sid whose actions never started can abort the process, so a failed sid is
        # left alone; after too many, the rule set is registered afresh under a new name.
        self._leaked[name] += 1
        logger.error("rule engine evaluation failed; sid left in place", extra={"ruleset": name})
        if self._leaked[name] >= MAX_LEAKED_SIDS:  # left registered; used no more
            self._names.pop(ruleset.digest, None)


_HOST: RuleHost | None = None
_HOST_LOCK = threading.Lock()


def get_host() -> RuleHost:
    """The process-wide host (created on first use)."""
    global _HOST
    with _HOST_LOCK:
        if _HOST is None:
            _HOST = RuleHost()
        return _HOST
