"""Overdue policies (超期处置策略): how long past its limit an order is urged (督办) or escalated (上报)
automatically by the timer. The province sets them for all; a city or district may set its own for
its subtree (the nearest one up the tree applies). Without any, orders are urged after
``HOTLINE_AUTO_URGE_AFTER_HOURS`` and never escalated automatically.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from infra.edge import Real
from tenants.codes import lineage


class OverduePolicy(BaseModel):
    model_config = ConfigDict(extra="forbid")

    urge_after_hours: Real | None = Field(None, ge=0, le=24 * 365,
                                           description="urge this long after the limit; null: never")
    escalate_after_hours: Real | None = Field(None, ge=0, le=24 * 365,
                                               description="escalate this long after the limit; null: never")


@dataclass(frozen=True)
class PolicyTable:
    rows: dict[str, OverduePolicy]
    default: OverduePolicy

    def at(self, code: str) -> tuple[OverduePolicy, str | None]:
        """The policy in force at ``code`` and the tenant that set it (None: the deployment's default)."""
        for ancestor in reversed(lineage(code)):
            if ancestor in self.rows:
                return self.rows[ancestor], ancestor
        return self.default, None


async def load(conn: AsyncConnection | AsyncSession, default_urge_hours: float) -> PolicyTable:
    rows = (await conn.execute(text(
        "SELECT tenant_code, urge_after_hours, escalate_after_hours FROM public.overdue_policies"))).all()
    return PolicyTable({code: OverduePolicy(urge_after_hours=u, escalate_after_hours=e) for code, u, e in rows},
                       OverduePolicy(urge_after_hours=default_urge_hours))
