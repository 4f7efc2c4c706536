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
  every level that handled it, each through every level between.

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
from dataclasses import dataclass
from datetime import datetime
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
from core.orders.lifecycle import Action
from embedded.process import free_port
from infra.settings import Settings
from tests.orders_helpers import intake, staff

CITY = "4106"
CITIES = (CITY,)
CHAIN = ("41", CITY, "410611", "410611001")  # 河南 → 鹤壁 → 淇滨区 → 金山街道
ROOTS = CHAIN[:2]  # requests are taken by the province's or the city's hotline
ROLES = ("operator", "dispatcher", "reviewer", "caller", "supervisor", "handler")
ACTIONS = [a.value for a in Action if a != Action.register]
NOT_MOVING = {"urge", "contact", "extend"}  # steps that leave the order where it is
# How often a person with several offers takes each: the order moves on more often than it ends early, so that
# sequences reach the deep levels and the late steps (rework after a rating, extensions forwarded up).
WEIGHTS = {"dispatch": 12, "sign": 12, "reply": 10, "approve": 8, "close": 8, "revisit": 6, "approve-extension": 6,
           "extend": 4, "reject": 4, "reopen": 3, "return": 2, "escalate": 2, "urge": 1, "contact": 1, "answer": 1,
           "redirect": 1, "decline": 1, "merge": 1}
EXAMPLES = int(os.environ.get("HOTLINE_STATEFUL_EXAMPLES", "200"))
STEPS = int(os.environ.get("HOTLINE_STATEFUL_STEPS", "10"))
SETTLE_S = 60.0


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



@dataclass
class World:
    """What every sequence shares: the API, the database, a unit and the people of every level."""

    http: httpx.Client
    database_url: str
    units: dict[str, int]

    def who(self, role: str, level: str) -> Any:
        return staff(role, tenant=level, unit=self.units[level] if role == "handler" else None)

    def detail(self, level: str, number: str, role: str = "dispatcher") -> dict[str, Any] | None:
        response = self.http.get(f"/api/v1/tenants/{level}/orders/{number}", headers=self.who(role, level))
        return response.json() if response.status_code == 200 else None

    def record(self, level: str, number: str) -> dict[str, Any] | None:
        """``level``'s record of the request any level's ``number`` names, if it has one."""
        found = self.http.get(f"/api/v1/tenants/{level}/orders", headers=self.who("dispatcher", level),
                              params={"number": number}).json()["items"]
        assert len(found) <= 1, f"{level} holds {len(found)} records of {number}"
        return self.detail(level, found[0]["number"]) if found else None

    def records(self, root: str) -> dict[str, tuple[str, str]]:
        """Each level's record (number, status) of the request, for the levels that have one (read from the
        database: where to act is the test's choice; what may be done there is asked of the API)."""
        found = {}
        with psycopg.connect(self.database_url, autocommit=True) as conn:
            for level in CHAIN:
                row = conn.execute(f"SELECT number, status FROM t_{level}.orders WHERE root_number = %s",
                                   (root,)).fetchone()
                if row is not None:
                    found[level] = (row[0], row[1])
        return found

    def settle(self) -> None:
        """Wait until every message sent has been applied; none may be dead-lettered."""
        deadline = time.monotonic() + SETTLE_S
        with psycopg.connect(self.database_url, autocommit=True) as conn:
            while True:
                waiting, dead = conn.execute(
                    "SELECT (SELECT count(*) FROM public.outbox o WHERE o.kind <> 'fact' AND NOT EXISTS "
                    "(SELECT 1 FROM public.inbox i WHERE i.message_id = o.message_id) AND NOT EXISTS "
                    "(SELECT 1 FROM public.dead_letters d WHERE d.message_id = o.message_id)), "
                    "(SELECT string_agg(reason, '; ') FROM public.dead_letters)").fetchone()  # type: ignore[misc]
                assert dead is None, f"dead-lettered: {dead}"
                if waiting == 0:
                    return
                assert time.monotonic() < deadline, f"{waiting} messages still in flight after {SETTLE_S} s"
                time.sleep(0.02)


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


@dataclass(frozen=True)
class Choice:
    """Everything one person's act is made of, drawn at once and of one shape: what is on offer depends on the
    platform's state, which messages in flight make differ from run to run, so choices among what is offered are
    numbers taken modulo the offers (Hypothesis must draw alike whatever the state came out as)."""

    quiet: bool  # wait until no message is in flight first
    holder: bool  # act at the deepest level with an open record (where the order mostly is), or anywhere
    level: int
    present: tuple[str, ...]  # the roles at their desks: the act is one of theirs
    purposeful: bool  # one of the actions they are offered, or anything at all
    role: int
    action: int
    target: int  # where a dispatch goes, what a merge keeps
    days: int
    approved: bool
    satisfaction: str

    @staticmethod
    def pick(items: list[Any], index: int) -> Any:
        return items[index % len(items)]


CHOICES = st.builds(
    Choice, quiet=st.booleans(), holder=st.booleans(), level=st.integers(0, 255),
    present=st.permutations(ROLES).map(lambda roles: tuple(roles[:4])), purposeful=st.integers(0, 7).map(bool),
    role=st.integers(0, 255), action=st.integers(0, 4095), target=st.integers(0, 255), days=st.integers(1, 3),
    approved=st.booleans(), satisfaction=st.sampled_from(["satisfied", "basically_satisfied", "unsatisfied"]))


class CrossLevel(RuleBasedStateMachine):
    world: ClassVar[World]
    roots = Bundle("roots")

    def __init__(self) -> None:
        super().__init__()
        self.open_roots: list[tuple[str, str]] = []
        self.touched: set[tuple[str, str]] = set()  # roots acted on since the last check

    # ---- steps -------------------------------------------------------------------------------------------------

    @initialize(target=roots, level=st.sampled_from(ROOTS))
    def first_request(self, level: str) -> tuple[str, str]:
        return self._register(level)

    @precondition(lambda self: len(self.open_roots) < 3)
    @rule(target=roots, level=st.sampled_from(ROOTS))
    def another_request(self, level: str) -> tuple[str, str]:
        return self._register(level)

    def _register(self, level: str) -> tuple[str, str]:
        response = self.world.http.post(f"/api/v1/tenants/{level}/orders", headers=self.world.who("operator", level),
                                        json=intake(division_code=CHAIN[-1]))
        assert response.status_code == 201, response.text
        root = (level, response.json()["number"])
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
            case "contact":
                return {"note": reason}, True
            case "decline" | "return" | "escalate" | "reject" | "reopen" | "urge":
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
            _one_holder(levels, chain)
            for upper, lower in itertools.pairwise(zip(levels, chain, strict=True)):
                _agree(upper, lower)
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
            for old in _handled_below(before, start):
                new = next(r for r in after if r is not None and r["number"] == old["number"])
                assert new["satisfaction"] == body["satisfaction"], f"the rating did not reach {new['number']}"
            if body["satisfaction"] != "unsatisfied":
                return
        holders = _holders_from(before, start) if action == "urge" else _handled_below(before, start)
        wanted = {"urge": ("urge",), "reject": ("reject",), "reopen": ("reopen",), "revisit": ("reopen",)}[action]
        reason = body.get("reason") or body.get("note")
        for old in holders:
            new = next(r for r in after if r is not None and r["number"] == old["number"])
            steps = [e for e in new["timeline"] if e["action"] in wanted and (action == "revisit" or
                                                                               e["reason"] == reason)]
            assert steps, f"the {action} did not reach {old['number']}"


def _live_lead(record: dict[str, Any]) -> dict[str, Any] | None:
    live = [a for a in record["assignments"] if a["role"] == "lead" and a["status"] in ("dispatched", "signed")
            and a.get("ended_at") is None]
    return live[-1] if live else None


def _holders_from(chain: list[dict[str, Any] | None], start: int) -> list[dict[str, Any]]:
    """The records from ``start`` down to the one whose level holds the order (following live leads)."""
    found = []
    for record in chain[start:]:
        if record is None or record["status"] in ("closed", "merged"):
            break
        found.append(record)
        lead = _live_lead(record)
        if lead is None or lead["tenant_code"] is None:
            break
    return found


def _closed_by(upper: dict[str, Any], level: str) -> bool:
    """Whether ``level``'s answer closed ``upper``'s record: its reply accepted when the record was last closed."""
    return any(a["tenant_code"] == level and a["replied_at"] is not None and a["status"] == "done"
               and _at(a["ended_at"]) == _at(upper["closed_at"]) for a in upper["assignments"])


def _handled_below(chain: list[dict[str, Any] | None], start: int) -> list[dict[str, Any]]:
    """The records below ``start`` of the levels whose answer closed the order, level by level."""
    found = []
    for upper, lower in itertools.pairwise(chain[start:]):
        if upper is None or lower is None or not _closed_by(upper, lower["number"].split("-")[0]):
            break
        found.append(lower)
    return found


def _one_holder(levels: tuple[str, ...], chain: list[dict[str, Any] | None]) -> None:
    """An open order is held at exactly one level; below a closed record, every record is closed."""
    root = chain[0]
    assert root is not None
    holders = 0
    for record in chain:
        if record is None:
            continue
        lead = _live_lead(record)
        open_ = record["status"] not in ("closed", "merged")
        if open_ and (lead is None or lead["tenant_code"] is None):
            holders += 1
    open_root = root["status"] not in ("closed", "merged")
    assert holders == (1 if open_root else 0), \
        f"{root['number']} held at {holders} levels: " + ", ".join(
            f"{r['number']} {r['status']}" for r in chain if r is not None)


def _agree(upper_pair: tuple[str, dict[str, Any] | None], lower_pair: tuple[str, dict[str, Any] | None]) -> None:
    """A level and the level below agree on the order: sign, reply, deadline, rating."""
    (_, upper), (level, lower) = upper_pair, lower_pair
    if upper is None:
        assert lower is None, f"{level} holds {lower and lower['number']} of a request its parent never had"
        return
    given = [a for a in upper["assignments"] if a["tenant_code"] == level]
    if not given:
        assert lower is None or lower["status"] in ("closed",), f"{lower and lower['number']} open, never given"
        return
    assert lower is not None, f"{upper['number']} was given to {level}, which has no record of it"
    live = [a for a in given if a.get("ended_at") is None and a["status"] in ("dispatched", "signed", "replied")]
    name = f"{upper['number']} → {lower['number']} ({lower['status']}, {lower['outcome']})"
    open_below = lower["status"] not in ("closed", "merged")
    if not live:
        assert not open_below, f"{name}: open below, not waited for above"
    else:
        lead = live[-1]
        if lead["status"] == "dispatched":
            assert open_below and lower["accepted_at"] is None, f"{name}: waiting for the sign above"
        elif lead["status"] == "signed":
            assert open_below and lower["accepted_at"] is not None, f"{name}: in hand above"
        else:
            assert not open_below, f"{name}: replied above"
        if lead["status"] in ("dispatched", "signed"):
            assert _at(upper["handle_deadline"]) == _at(lower["handle_deadline"]), \
                f"{name}: deadline {upper['handle_deadline']} above, {lower['handle_deadline']} below"
    rated = [e for e in upper["timeline"] if e["action"] == "revisit"]
    if upper["status"] == "closed" and rated and _at(rated[-1]["occurred_at"]) >= _at(upper["closed_at"]) \
            and _closed_by(upper, level):  # rated since its last close, which this level's answer made
        assert lower["satisfaction"] == upper["satisfaction"], f"{name}: rated {upper['satisfaction']} above"


def _at(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def test_cross_level_work_keeps_its_invariants_whatever_anyone_does(world: World) -> None:
    CrossLevel.world = world
    run_state_machine_as_test(CrossLevel, settings=settings(
        max_examples=EXAMPLES, stateful_step_count=STEPS, deadline=None, print_blob=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large]))
