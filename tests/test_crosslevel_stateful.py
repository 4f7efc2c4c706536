"""Cross-level work as a state machine: random sequences of every action, by every role, at four levels.

Against the real stack: the API as `hotline` serves it (uvicorn, its own process), a real `hotline worker`,
PostgreSQL, NATS JetStream and Keycloak tokens. Requests are registered at the province or a city and worked
anywhere on the chain province → city → district → town (with a unit at each level). Hypothesis draws who
acts where, and what; messages may be in flight while the next person acts.

What must hold:
- a person is offered exactly what they may do: acting on a quiet order (no message in flight), an action is
  accepted if and only if it was in the person's ``allowed_actions``; and no request is ever answered 5xx;
- after quiescence (every message applied): exactly one level and unit holds each open order, and every level
  below a closed one is closed; each level agrees with the level that dispatched to it (waiting for its sign,
  signed, replied); the levels holding an order time the same deadline; no order is stuck (somebody at some
  level can move it); `hotline federation check` agrees;
- an urge reaches the level holding the order, a rework (审核不通过, 重办) the level that handled it, a rating
  every level that handled it, each through every level between; each urge is counted once on every record it
  reached, follows the order to its holder, and its sign (督办签收) reaches every level on the way.

``HOTLINE_STATEFUL_EXAMPLES`` (default 200) sequences of up to ``HOTLINE_STATEFUL_STEPS`` (default 10) steps run
with the test command; a longer run:
``HOTLINE_STATEFUL_EXAMPLES=2000 .venv/bin/pytest tests/test_crosslevel_stateful.py``.
A sequence that breaks an invariant is printed by Hypothesis, shrunk; it is kept as a named regression test in
``tests/test_crosslevel_regressions.py``.
"""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import httpx
import psycopg
import pytest
from hypothesis import HealthCheck, event, note, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from typer.testing import CliRunner

from cli.main import app as cli
from embedded.process import free_port
from infra.settings import Settings
from tests.crosslevel_model import (
    ACTIONS,
    CHAIN,
    CHOICES,
    CITY,
    NOT_MOVING,
    ROLES,
    ROOTS,
    WEIGHTS,
    Choice,
    World,
    agree,
    handled_below,
    holders_from,
    one_holder,
    urges_agree,
)
from tests.orders_helpers import intake, staff

CITIES = (CITY,)
EXAMPLES = int(os.environ.get("HOTLINE_STATEFUL_EXAMPLES", "200"))
STEPS = int(os.environ.get("HOTLINE_STATEFUL_STEPS", "10"))


@pytest.fixture(scope="module")
def api(tree: Settings) -> Iterator[str]:
    """The API in a process of its own, as `hotline up` runs it."""
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "app.factory:create_app", "--factory", "--host",
                             "127.0.0.1", "--port", str(port), "--no-access-log", "--log-level", "warning"],
                            env=dict(os.environ), start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        assert time.monotonic() < deadline and proc.poll() is None, "the API did not start"
        time.sleep(0.2)
    yield url
    proc.terminate()
    proc.wait(20)


@pytest.fixture(scope="module")
def world(api: str, worker: subprocess.Popen[bytes], tree: Settings) -> Iterator[World]:
    with httpx.Client(base_url=api, timeout=30) as http:
        units = {}
        for level in CHAIN:
            created = http.post(f"/api/v1/tenants/{level}/units", headers=staff("admin", tenant=level),
                                json={"code": "desk", "name": f"{level} 承办科室", "kind": "department"})
            assert created.status_code == 201, created.text
            units[level] = created.json()["id"]
        yield World(http, tree.postgres_url, units)


_reasons = itertools.count(1)


class CrossLevel(RuleBasedStateMachine):
    world: ClassVar[World]
    roots = Bundle("roots")

    def __init__(self) -> None:
        super().__init__()
        self.open_roots: list[tuple[str, str]] = []
        # Which rules may run must follow from the drawn steps alone, never from the system's answers: Hypothesis
        # replays a sequence's prefix and refuses one whose rules came out otherwise (FlakyStrategyDefinition,
        # seen when load changed which requests had closed by the time the next rule was chosen).
        self.requests = 0
        self.touched: set[tuple[str, str]] = set()  # roots acted on since the last check

    # ---- steps -------------------------------------------------------------------------------------------------

    @initialize(target=roots, level=st.sampled_from(ROOTS))
    def first_request(self, level: str) -> tuple[str, str]:
        return self._register(level)

    @precondition(lambda self: self.requests < 3)
    @rule(target=roots, level=st.sampled_from(ROOTS))
    def another_request(self, level: str) -> tuple[str, str]:
        return self._register(level)

    def _register(self, level: str) -> tuple[str, str]:
        response = self.world.http.post(f"/api/v1/tenants/{level}/orders", headers=self.world.who("operator", level),
                                        json=intake(division_code=CHAIN[-1]))
        assert response.status_code == 201, response.text
        root = (level, response.json()["number"])
        self.requests += 1
        self.open_roots.append(root)
        self.touched.add(root)
        return root

    @rule(root=roots, acts=st.lists(CHOICES, min_size=1, max_size=6))
    def people_act(self, root: tuple[str, str], acts: list[Choice]) -> None:
        """A few people act on the request one after the other, messages in flight between them or not."""
        for choice in acts:
            self._somebody_acts(root, choice)

    def _somebody_acts(self, root: tuple[str, str], choice: Choice) -> None:
        if choice.quiet:
            self.world.settle()
        records = self.world.records(root[1])
        open_levels = [level for level, (_, status) in records.items() if status not in ("closed", "merged")]
        level = max(open_levels, key=len) if choice.holder and open_levels else choice.pick(sorted(records),
                                                                                            choice.level)
        number = records[level][0]
        # Mostly somebody who has something to do there, doing it; sometimes anybody, trying anything.
        offers: dict[str, set[str]] = {}
        for role in choice.present:
            seen = self.world.detail(level, number, role)
            offers[role] = set(seen["allowed_actions"]) if seen is not None else set()
        offered_choices = [(role, action) for role in choice.present for action in sorted(offers[role])
                           for _ in range(WEIGHTS.get(action, 1))]
        if offered_choices and choice.purposeful:
            role, action = choice.pick(offered_choices, choice.action)
        else:
            role, action = choice.pick(list(choice.present), choice.role), choice.pick(ACTIONS, choice.action)
        offered = offers[role]
        body, valid = self._body(action, level, root, choice)
        followed = choice.quiet and action in offered and valid and action in ("urge", "reject", "reopen", "revisit")
        before = self._chain(root) if followed else None
        response = self.world.http.post(f"/api/v1/tenants/{level}/orders/{number}/{action}", json=body,
                                        headers=self.world.who(role, level))
        assert response.status_code < 500, f"{action} by {role} at {level}: {response.status_code} {response.text}"
        event(f"{action} at level {CHAIN.index(level)}: {'accepted' if response.status_code == 200 else 'refused'}")
        note(f"{'quiet, ' if choice.quiet else ''}{role} at {level} ({number}): {action} {body} → "
             f"{response.status_code}{'' if response.status_code == 200 else ' ' + response.json().get('error', '')}")
        if choice.quiet and valid:
            accepted = response.status_code == 200
            assert accepted == (action in offered), \
                f"{role} at {level} was offered {sorted(offered)}; {action}: {response.status_code} {response.text}"
        self.touched.add(root)
        if before is not None and response.status_code == 200:
            self.world.settle()
            self._reached(action, level, body, before, self._chain(root))

    def _body(self, action: str, level: str, root: tuple[str, str], choice: Choice) -> tuple[dict[str, Any], bool]:
        """A well-formed request of the action (and whether it is valid as drawn)."""
        reason = f"r{next(_reasons)}"
        match action:
            case "dispatch":
                below = CHAIN[CHAIN.index(level) + 1:CHAIN.index(level) + 2]
                return {"to": choice.pick([self.world.units[level], *below], choice.target)}, True
            case "merge":
                others = [n for lv, n in self.open_roots if lv == level and n != root[1]]
                if not others:
                    return {"into": f"{level}-20260101-999999"}, False
                into = choice.pick(others, choice.target)
                target = self.world.detail(level, into)
                return {"into": into}, target is not None and target["status"] not in ("closed", "merged")
            case "answer" | "reply":
                return {"content": f"答复 {reason}"}, True
            case "redirect":
                return {"to": "110", "reason": reason}, True
            case "extend":
                return {"days": choice.days, "reason": reason}, True
            case "approve-extension":
                return {"approved": choice.approved}, True
            case "revisit":
                return {"satisfaction": choice.satisfaction, "note": reason}, True
            case "contact" | "sign-urge":
                return {"note": reason}, True
            case "urge":
                return {"reason": reason, "due": (datetime.now(UTC) + timedelta(hours=choice.days)).isoformat()}, True
            case "decline" | "return" | "escalate" | "reject" | "reopen":
                return {"reason": reason}, True
        return {}, True

    @rule()
    def everything_lands(self) -> None:
        self.world.settle()
        self._check(self.touched)

    def teardown(self) -> None:
        """At the end of every sequence, everything: the levels, nobody stuck, and `hotline federation check`."""
        self.world.settle()
        self._check(set(self.open_roots), thorough=True)

    @invariant()
    def nothing_is_dead_lettered(self) -> None:
        with psycopg.connect(self.world.database_url, autocommit=True) as conn:
            dead = conn.execute("SELECT string_agg(reason, '; ') FROM public.dead_letters").fetchone()
        assert dead is not None and dead[0] is None, f"dead-lettered: {dead}"

    # ---- what must hold after quiescence ---------------------------------------------------------------------

    def _chain(self, root: tuple[str, str]) -> list[dict[str, Any] | None]:
        """Each level's record of the request, from the root's level down (None where a level has none)."""
        return [self.world.record(level, root[1]) for level in CHAIN[CHAIN.index(root[0]):]]

    def _check(self, roots: set[tuple[str, str]], thorough: bool = False) -> None:
        self.touched = set()
        for root in sorted(roots):
            chain = self._chain(root)
            levels = CHAIN[CHAIN.index(root[0]):]
            one_holder(levels, chain)
            for upper, lower in itertools.pairwise(zip(levels, chain, strict=True)):
                agree(upper, lower)
            urges_agree(chain)
            if thorough and chain[0] is not None and chain[0]["status"] not in ("closed", "merged"):
                self._not_stuck(levels, chain)
        self.open_roots = [r for r in self.open_roots if (self.world.record(r[0], r[1]) or {}).get("status")
                           != "merged"]
        if thorough:  # as a person runs it: levels are compared at once (only messages get --stale to move on)
            result = CliRunner().invoke(cli, ["federation", "check"])
            assert result.exit_code == 0, result.output

    def _not_stuck(self, levels: tuple[str, ...], chain: list[dict[str, Any] | None]) -> None:
        moves = set()
        for level, record in zip(levels, chain, strict=True):
            if record is None:
                continue
            for role in ROLES:
                seen = self.world.detail(level, record["number"], role)
                moves |= set(seen["allowed_actions"]) - NOT_MOVING if seen is not None else set()
        assert moves, f"nobody at any level can move {chain[0]['number']}: " + \
            ", ".join(f"{r['number']} {r['status']}" for r in chain if r is not None)

    def _reached(self, action: str, level: str, body: dict[str, Any], before: list[dict[str, Any] | None],
                 after: list[dict[str, Any] | None]) -> None:
        """An urge reached the level holding the order, a rework the level that handled it, a rating every level
        that handled it: each through every level between."""
        start = next(i for i, r in enumerate(before) if r is not None and r["number"].startswith(f"{level}-"))
        if action == "revisit":
            for old in handled_below(before, start):
                new = next(r for r in after if r is not None and r["number"] == old["number"])
                assert new["satisfaction"] == body["satisfaction"], f"the rating did not reach {new['number']}"
            if body["satisfaction"] != "unsatisfied":
                return
        holders = holders_from(before, start) if action == "urge" else handled_below(before, start)
        wanted = {"urge": ("urge",), "reject": ("reject",), "reopen": ("reopen",), "revisit": ("reopen",)}[action]
        reason = body.get("reason") or body.get("note")
        for old in holders:
            new = next(r for r in after if r is not None and r["number"] == old["number"])
            steps = [e for e in new["timeline"] if e["action"] in wanted and (action == "revisit" or
                                                                               e["reason"] == reason)]
            assert steps, f"the {action} did not reach {old['number']}"

def test_cross_level_work_keeps_its_invariants_whatever_anyone_does(world: World) -> None:
    CrossLevel.world = world
    run_state_machine_as_test(CrossLevel, settings=settings(
        max_examples=EXAMPLES, stateful_step_count=STEPS, deadline=None, print_blob=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large]))
