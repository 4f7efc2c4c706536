"""The history of administration (变更记录): one row per change an admin makes, written in the change's own
transaction, so a setting never changes without its record (``public.config_changes``, migration s0017).

Every layer that changes a setting records it here — the people's API in ``sso`` as much as the domain's
settings in ``core`` — so this sits with the plumbing. ``GET /tenants/{code}/changes`` reads it
(``core/changes``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

import orjson
from sqlalchemy import Connection, text
from sqlalchemy.ext.asyncio import AsyncSession


class ChangeSubject(StrEnum):
    """What kind of setting changed."""

    user = "user"  # 人员: created, roles given or taken, unit, disabled, password reset
    unit = "unit"  # 承办单位
    category = "category"  # 诉求分类 (a tenant's extension)
    routing_rule = "routing_rule"  # 派单目录
    time_limits = "time_limits"  # 办理时限
    rework_limit = "rework_limit"  # 重办时限
    calendar = "calendar"  # 节假日安排 of a year
    overdue_policy = "overdue_policy"  # 超期策略
    intake_policy = "intake_policy"  # 受理策略 (补录)
    assessment_settings = "assessment_settings"  # 考核权重, groups and 热点规则


class ChangeAction(StrEnum):
    """What was done to it."""

    create = "create"
    update = "update"
    delete = "delete"
    disable = "disable"
    enable = "enable"
    reset_password = "reset_password"


@dataclass(frozen=True)
class Change:
    """One change: ``old`` is None for a creation, ``new`` None for a removal. Never a secret in either."""

    tenant: str
    subject: ChangeSubject
    key: str
    action: ChangeAction
    actor: str
    actor_name: str | None = None
    old: Any = None
    new: Any = None


_INSERT = text(
    "INSERT INTO public.config_changes (tenant_code, subject, subject_key, action, actor, actor_name, old, new) "
    "VALUES (:t, :s, :k, :a, :u, :n, CAST(:old AS jsonb), CAST(:new AS jsonb))")


def _params(change: Change) -> dict[str, Any]:
    def as_json(value: Any) -> str | None:
        return None if value is None else orjson.dumps(value, default=str).decode()

    return {"t": change.tenant, "s": str(change.subject), "k": change.key, "a": str(change.action),
            "u": change.actor, "n": change.actor_name, "old": as_json(change.old), "new": as_json(change.new)}


async def record(session: AsyncSession, change: Change) -> None:
    """Record ``change`` in the session's transaction (the caller commits it with the change itself)."""
    await session.execute(_INSERT, _params(change))


def record_sync(conn: Connection, change: Change) -> None:
    """``record`` for the synchronous callers (the people's API runs Keycloak's calls in a thread)."""
    conn.execute(_INSERT, _params(change))


@dataclass(frozen=True)
class ChangeRow:
    id: int
    tenant: str
    subject: str
    key: str
    action: str
    actor: str
    actor_name: str | None
    at: datetime
    old: Any
    new: Any


async def history(session: AsyncSession, tenant: str, *, subtree: bool = False, subject: str | None = None,
                  key: str | None = None, before_id: int | None = None, limit: int = 50) -> list[ChangeRow]:
    """The changes of ``tenant`` (or of its whole subtree), newest first, ``limit`` at a time before ``before_id``."""
    where = ["tenant_code LIKE :prefix" if subtree else "tenant_code = :t"]
    params: dict[str, Any] = {"t": tenant, "prefix": f"{tenant}%", "limit": limit}
    for name, value in (("subject", subject), ("subject_key", key)):
        if value is not None:
            where.append(f"{name} = :{name}")
            params[name] = value
    if before_id is not None:
        where.append("id < :before")
        params["before"] = before_id
    rows = await session.execute(text(
        "SELECT id, tenant_code, subject, subject_key, action, actor, actor_name, at, old, new "
        f"FROM public.config_changes WHERE {' AND '.join(where)} ORDER BY id DESC LIMIT :limit"), params)
    return [ChangeRow(*row) for row in rows.all()]
