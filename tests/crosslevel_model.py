"""The model behind the cross-level state machine (tests/test_crosslevel_stateful.py): the chain of levels, the
people at each, what one person's act is drawn from, and what the levels' records must agree on once quiet."""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
import psycopg
from hypothesis import strategies as st

from core.orders.lifecycle import Action
from tests.orders_helpers import staff

CITY = "4106"
CHAIN = ("41", CITY, "410611", "410611001")  # 河南 → 鹤壁 → 淇滨区 → 金山街道
ROOTS = CHAIN[:2]  # requests are taken by the province's or the city's hotline
ROLES = ("operator", "dispatcher", "reviewer", "caller", "supervisor", "handler")
ACTIONS = [a.value for a in Action if a != Action.register]
NOT_MOVING = {"urge", "sign-urge", "contact", "extend"}  # steps that leave the order where it is
# How often a person with several offers takes each: the order moves on more often than it ends early, so that
# sequences reach the deep levels and the late steps (rework after a rating, extensions forwarded up).
WEIGHTS = {"dispatch": 12, "sign": 12, "reply": 10, "approve": 8, "close": 8, "revisit": 6, "approve-extension": 6,
           "extend": 4, "reject": 4, "reopen": 3, "return": 2, "escalate": 2, "urge": 2, "sign-urge": 2, "contact": 1,
           "answer": 1, "redirect": 1, "decline": 1, "merge": 1}
SETTLE_S = 60.0


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


def live_lead(record: dict[str, Any]) -> dict[str, Any] | None:
    live = [a for a in record["assignments"] if a["role"] == "lead" and a["status"] in ("dispatched", "signed")
            and a.get("ended_at") is None]
    return live[-1] if live else None


def holders_from(chain: list[dict[str, Any] | None], start: int) -> list[dict[str, Any]]:
    """The records from ``start`` down to the one whose level holds the order (following live leads)."""
    found = []
    for record in chain[start:]:
        if record is None or record["status"] in ("closed", "merged"):
            break
        found.append(record)
        lead = live_lead(record)
        if lead is None or lead["tenant_code"] is None:
            break
    return found


def closed_by(upper: dict[str, Any], level: str) -> bool:
    """Whether ``level``'s answer closed ``upper``'s record: its reply accepted when the record was last closed."""
    return any(a["tenant_code"] == level and a["replied_at"] is not None and a["status"] == "done"
               and at(a["ended_at"]) == at(upper["closed_at"]) for a in upper["assignments"])


def handled_below(chain: list[dict[str, Any] | None], start: int) -> list[dict[str, Any]]:
    """The records below ``start`` of the levels whose answer closed the order, level by level."""
    found = []
    for upper, lower in itertools.pairwise(chain[start:]):
        if upper is None or lower is None or not closed_by(upper, lower["number"].split("-")[0]):
            break
        found.append(lower)
    return found


def one_holder(levels: tuple[str, ...], chain: list[dict[str, Any] | None]) -> None:
    """An open order is held at exactly one level; below a closed record, every record is closed."""
    root = chain[0]
    assert root is not None
    holders = 0
    for record in chain:
        if record is None:
            continue
        lead = live_lead(record)
        open_ = record["status"] not in ("closed", "merged")
        if open_ and (lead is None or lead["tenant_code"] is None):
            holders += 1
    open_root = root["status"] not in ("closed", "merged")
    assert holders == (1 if open_root else 0), \
        f"{root['number']} held at {holders} levels: " + ", ".join(
            f"{r['number']} {r['status']}" for r in chain if r is not None)


def agree(upper_pair: tuple[str, dict[str, Any] | None], lower_pair: tuple[str, dict[str, Any] | None]) -> None:
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
            assert at(upper["handle_deadline"]) == at(lower["handle_deadline"]), \
                f"{name}: deadline {upper['handle_deadline']} above, {lower['handle_deadline']} below"
    rated = [e for e in upper["timeline"] if e["action"] == "revisit"]
    if upper["status"] == "closed" and rated and at(rated[-1]["occurred_at"]) >= at(upper["closed_at"]) \
            and closed_by(upper, level):  # rated since its last close, which this level's answer made
        assert lower["satisfaction"] == upper["satisfaction"], f"{name}: rated {upper['satisfaction']} above"


def urges_agree(chain: list[dict[str, Any] | None]) -> None:
    """Each urge is one urge on every record it reached (``urge_count`` counts each once), and on an open request
    the urges follow the order to its holder: every urge of a level on the way is on the record of the level
    below it, signed (督办签收) at both or at neither."""
    for record in chain:
        if record is not None:
            ids = [u["id"] for u in record["urges"]]
            assert len(ids) == len(set(ids)) == record["urge_count"], \
                f"{record['number']}: urge_count {record['urge_count']}, urges {ids}"
    root = chain[0]
    if root is None or root["status"] in ("closed", "merged"):
        return
    for upper, lower in itertools.pairwise(holders_from(chain, 0)):
        below = {u["id"]: u["signed_at"] is not None for u in lower["urges"]}
        for urge in upper["urges"]:
            signed = urge["signed_at"] is not None
            assert urge["id"] in below, f"urge {urge['id']} of {upper['number']} did not reach {lower['number']}"
            assert below[urge["id"]] == signed, \
                f"urge {urge['id']}: {'signed' if signed else 'waiting'} at {upper['number']}, " \
                f"{'signed' if below[urge['id']] else 'waiting'} at {lower['number']}"


def at(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None
