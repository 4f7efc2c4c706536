"""Who may do what on the bus: the NATS permissions of the platform's identities (``core/nats_auth.py``).

Least privilege, each list the exact subjects the role's code uses (found by running the workers against a server
with these lists and reading its log's "Publish Violation" / "Subscription Violation" lines):

    api     nothing: it only pings (PING/PONG needs no permission)
    worker  publishes its namespace's subjects (``<prefix>.down.>``, ``.up.>``, ``.facts.>``), and on its own
            streams the JetStream API calls nats-py makes for it: stream INFO, CREATE, UPDATE (``ensure_streams``);
            consumer INFO and CREATE of the stream's one durable (``pull_subscribe`` looks the durable up, creates
            it if missing), MSG.NEXT (pulls) and ``$JS.ACK.<stream>.<durable>.>`` (ack, nak, in-progress);
            subscribes only to its replies, ``_INBOX.<prefix>.>`` (its connections use that inbox prefix, so
            one deployment cannot read another's pulled messages or API answers)
    admin   everything: deleting or purging streams and consumers is for it alone

A server may admit the workers of several namespaces (``Grant`` per namespace). The test suite's server admits
every namespace (``EVERY_NAMESPACE``) since each test module takes one of its own; subjects wildcard only
whole tokens, so "every ``t…`` namespace" cannot be said. The production config names its namespace exactly
(``tests/test_nats_security.py`` holds it to that).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from core.nats_auth import Role
from federation.subjects import DURABLES, Namespace

API_PERMISSIONS: dict[str, Any] = {"publish": {"deny": [">"]}, "subscribe": {"deny": [">"]}}
ADMIN_PERMISSIONS: dict[str, Any] = {"publish": {"allow": [">"]}, "subscribe": {"allow": [">"]}}


@dataclass(frozen=True)
class Grant:
    """What a namespace's workers may touch: its subjects, its streams (each with its durable), its replies."""

    subjects: tuple[str, ...]
    streams: tuple[tuple[str, str], ...]
    inbox: str


def grant(namespace: Namespace) -> Grant:
    streams = namespace.streams()
    return Grant(tuple(s for stream in streams for s in stream.subjects),
                 tuple((stream.name, stream.durable) for stream in streams), f"{namespace.inbox}.>")


# Every namespace on the server: the test suite's server only.
EVERY_NAMESPACE = Grant(tuple(f"*.{part}.>" for part in DURABLES),
                        tuple(("*", durable) for durable in DURABLES.values()), "_INBOX.*.>")


def worker_permissions(grants: Sequence[Grant]) -> dict[str, Any]:
    publish: list[str] = []
    for g in grants:
        publish += g.subjects
        for stream, durable in g.streams:
            publish += [f"$JS.API.STREAM.{call}.{stream}" for call in ("INFO", "CREATE", "UPDATE")]
            publish += [f"$JS.API.CONSUMER.{call}.{stream}.{durable}" for call in ("INFO", "CREATE", "MSG.NEXT")]
            publish.append(f"$JS.ACK.{stream}.{durable}.>")
    return {"publish": {"allow": publish}, "subscribe": {"allow": [g.inbox for g in grants]}}


def permissions(role: Role, grants: Sequence[Grant]) -> dict[str, Any]:
    if role == "worker":
        return worker_permissions(grants)
    return API_PERMISSIONS if role == "api" else ADMIN_PERMISSIONS


def authorization(users: Mapping[Role, tuple[str, str]], grants: Sequence[Grant]) -> str:
    """The server config's ``authorization`` block: per role its user, its password as a config value (a quoted
    string, or a ``$VARIABLE`` the server reads from its environment) and its permissions. No user without a
    password: the server refuses anonymous clients."""
    entries = []
    for role, (user, password) in users.items():
        body = json.dumps(permissions(role, grants), indent=2).replace("\n", "\n      ")
        entries.append(f"    {{\n      user: {json.dumps(user)}\n      password: {password}\n"
                       f"      permissions: {body}\n    }}")
    return "authorization {\n  users = [\n" + "\n".join(entries) + "\n  ]\n}\n"
