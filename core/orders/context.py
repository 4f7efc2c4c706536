"""What every step on an order needs: the tenant-bound session, who acts, the rules, the clock."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from core.categories.service import CategoryView
from core.sla.policy import Policy, resolve_policy
from core.sla.service import SlaRules
from federation.outbox import Outgoing
from iam.actors import Actor
from infra.refusals import InvalidField
from tenants.codes import lineage
from tenants.models import Tenant


@dataclass
class Context:
    """Everything an action needs: the tenant-bound session, who acts, the rules, the clock."""

    session: AsyncSession
    tenant: Tenant
    actor: Actor
    rules: SlaRules
    categories: dict[str, CategoryView]
    now: datetime
    duplicate_window_days: int = 30
    unit_scope: int | None = None  # set for a unit's staff: only orders with their unit
    # Messages to other levels, written to the outbox with the action's event (same transaction).
    outgoing: list[Outgoing] = field(default_factory=list)
    lineage: list[str] = field(init=False)

    def __post_init__(self) -> None:
        self.lineage = lineage(self.tenant.code)


def field_error(field_name: str, message: str) -> InvalidField:
    """The refusal of one field of the request (422, naming the field)."""
    return InvalidField(field_name, message)


def policy_for(ctx: Context, order_type: str, urgency: str, category: str | None) -> Policy:
    """The time limit of an order of this type, urgency and category here (a category may shorten it)."""
    days = ctx.categories[category].handle_limit_days if category in ctx.categories else None
    return resolve_policy(ctx.rules.policies, ctx.lineage, order_type, urgency, days)
