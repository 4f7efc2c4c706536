"""Routing rules (派单目录): kept per tenant, checked as dispatch checks its targets, and the most specific match.

A rule's target is checked as a dispatch to it would be: an active unit of this tenant, or an active tenant
below it; its co-handlers active units, none the lead. Two rules for the same category and division prefix
would contradict each other: the second is refused (409), to be changed instead. Every addition, change and removal
is recorded in the history of administration (``infra/change_log.py``) with the rule before and after.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, literal, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core.categories.service import CategoryView
from core.routing.errors import RoutingRuleExists, RoutingRuleNotFound
from core.routing.models import RoutingRule
from core.routing.schemas import RoutingRuleIn, RoutingRuleOut
from core.units.models import Unit
from iam.actors import Actor
from infra.change_log import Change, ChangeAction, ChangeSubject, record
from infra.refusals import InvalidField
from tenants.codes import is_descendant
from tenants.models import Tenant
from tenants.paths import tenant_paths

_UNIQUE = "uq_routing_rules_category_division"


async def _labels(session: AsyncSession, rules: Sequence[RoutingRule]) -> dict[int | str, str]:
    unit_ids = {r.to_unit_id for r in rules if r.to_unit_id is not None}
    codes = {r.to_tenant for r in rules if r.to_tenant is not None}
    codes |= {r.division_code for r in rules if r.division_code}  # the divisions, by name too
    labels: dict[int | str, str] = {}
    if unit_ids:
        labels.update((i, n) for i, n in (await session.execute(
            select(Unit.id, Unit.name).where(Unit.id.in_(unit_ids)))).all())
    if codes:
        labels.update((c, n) for c, n in (await session.execute(
            select(Tenant.code, Tenant.name).where(Tenant.code.in_(codes)))).all())
    return labels


def _out(rule: RoutingRule, labels: dict[int | str, str]) -> RoutingRuleOut:
    to: int | str = rule.to_unit_id if rule.to_unit_id is not None else str(rule.to_tenant)
    division = rule.division_code or None
    return RoutingRuleOut(id=rule.id, category=rule.category, division_code=division,
                          division_label=labels.get(division) if division else None, to=to,
                          to_label=labels.get(to, str(to)), co_handlers=list(rule.co_handlers), note=rule.note)


async def described(session: AsyncSession, rules: Sequence[RoutingRule]) -> list[RoutingRuleOut]:
    labels = await _labels(session, rules)
    return [_out(r, labels) for r in rules]


async def list_rules(session: AsyncSession) -> list[RoutingRuleOut]:
    rules = (await session.scalars(select(RoutingRule).order_by(RoutingRule.category, RoutingRule.division_code,
                                                                RoutingRule.id))).all()
    return await described(session, rules)


async def _active_unit(session: AsyncSession, tenant: Tenant, unit_id: int, field: str) -> None:
    unit = await session.get(Unit, unit_id)
    if unit is None or not unit.active:
        raise InvalidField(field, f"tenant {tenant.code} has no active unit {unit_id}")


async def _checked(session: AsyncSession, tenant: Tenant, body: RoutingRuleIn,
                   categories: dict[str, CategoryView]) -> dict[str, object]:
    """The rule's columns, each part checked (422 naming the field)."""
    if not any(code.startswith(body.category) for code, c in categories.items() if c.active):
        raise InvalidField("category", f"no category in use here is {body.category} or begins with it")
    division = body.division_code or ""
    if division and not (division == tenant.code or is_descendant(division, tenant.code)):
        raise InvalidField("division_code", f"{division} is not in the area of tenant {tenant.code}")
    co = list(dict.fromkeys(body.co_handlers))
    columns: dict[str, object] = {"category": body.category, "division_code": division, "to_unit_id": None,
                                  "to_tenant": None, "co_handlers": co, "note": body.note}
    if isinstance(body.to, int):
        await _active_unit(session, tenant, body.to, "to")
        if body.to in co:
            raise InvalidField("co_handlers", "the lead unit cannot also be a co-handler")
        columns["to_unit_id"] = body.to
    else:
        if not is_descendant(body.to, tenant.code):
            raise InvalidField("to", f"{body.to} is not a tenant below {tenant.code}: orders are dispatched down")
        if not (await tenant_paths(session, [body.to], active=True)).get(body.to):
            raise InvalidField("to", f"there is no active tenant {body.to}")
        columns["to_tenant"] = body.to
    for unit_id in co:
        await _active_unit(session, tenant, unit_id, "co_handlers")
    return columns


async def _same(session: AsyncSession, category: str, division: str, other_than: int | None) -> int | None:
    query = select(RoutingRule.id).where(RoutingRule.category == category, RoutingRule.division_code == division)
    if other_than is not None:
        query = query.where(RoutingRule.id != other_than)
    return await session.scalar(query)


async def _recorded(session: AsyncSession, tenant: Tenant, actor: Actor, action: ChangeAction, rule_id: int,
                    old: RoutingRuleOut | None, new: RoutingRuleOut | None) -> None:
    """The change in the history of administration (the rule with its target's name), in its transaction."""
    await record(session, Change(tenant=tenant.code, subject=ChangeSubject.routing_rule, key=str(rule_id),
                                 action=action, actor=actor.user, actor_name=actor.name,
                                 old=old.model_dump() if old else None, new=new.model_dump() if new else None))


async def _save(session: AsyncSession, tenant: Tenant, actor: Actor, rule: RoutingRule, body: RoutingRuleIn,
                old: RoutingRuleOut | None) -> RoutingRuleOut:
    try:
        await session.flush()
    except IntegrityError as exc:  # the same rule added at the same moment by someone else
        await session.rollback()
        if _UNIQUE not in str(exc.orig):
            raise
        existing = await _same(session, body.category, body.division_code or "", None)
        raise RoutingRuleExists(body.category, body.division_code, existing or 0) from None
    await session.refresh(rule)
    out = (await described(session, [rule]))[0]
    await _recorded(session, tenant, actor, ChangeAction.update if old else ChangeAction.create, rule.id, old, out)
    await session.commit()
    return out


async def add_rule(session: AsyncSession, tenant: Tenant, body: RoutingRuleIn,
                   categories: dict[str, CategoryView], actor: Actor) -> RoutingRuleOut:
    columns = await _checked(session, tenant, body, categories)
    existing = await _same(session, body.category, str(columns["division_code"]), None)
    if existing is not None:
        raise RoutingRuleExists(body.category, body.division_code, existing)
    rule = RoutingRule(**columns)
    session.add(rule)
    return await _save(session, tenant, actor, rule, body, None)


async def _rule(session: AsyncSession, tenant: Tenant, rule_id: int) -> RoutingRule:
    rule = await session.get(RoutingRule, rule_id)
    if rule is None:
        raise RoutingRuleNotFound(rule_id, tenant.code)
    return rule


async def change_rule(session: AsyncSession, tenant: Tenant, rule_id: int, body: RoutingRuleIn,
                      categories: dict[str, CategoryView], actor: Actor) -> RoutingRuleOut:
    rule = await _rule(session, tenant, rule_id)
    old = (await described(session, [rule]))[0]
    columns = await _checked(session, tenant, body, categories)
    existing = await _same(session, body.category, str(columns["division_code"]), rule_id)
    if existing is not None:
        raise RoutingRuleExists(body.category, body.division_code, existing)
    for name, value in columns.items():
        setattr(rule, name, value)
    rule.updated_at = func.now()
    return await _save(session, tenant, actor, rule, body, old)


async def remove_rule(session: AsyncSession, tenant: Tenant, rule_id: int, actor: Actor) -> None:
    rule = await _rule(session, tenant, rule_id)
    old = (await described(session, [rule]))[0]
    await session.delete(rule)
    await _recorded(session, tenant, actor, ChangeAction.delete, rule_id, old, None)
    await session.commit()


async def suggest(session: AsyncSession, category: str, division: str | None) -> RoutingRuleOut | None:
    """The most specific rule for an order of this category from this division: the longest division prefix
    first, then the longest category prefix; None if no rule matches."""
    rule = await session.scalar(
        select(RoutingRule)
        .where(func.starts_with(literal(category), RoutingRule.category),
               func.starts_with(literal(division or ""), RoutingRule.division_code))
        .order_by(func.length(RoutingRule.division_code).desc(), func.length(RoutingRule.category).desc())
        .limit(1))
    return None if rule is None else (await described(session, [rule]))[0]
