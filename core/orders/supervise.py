"""The 督办 desk (督办台): the red, overdue and disputed orders of a supervisor's whole subtree, and urging them.

What is on the desk: every open request whose holder lies in the desk's subtree (the tenant of the desk and every
level below it), as its holding record shows it: the record that holds the order itself — a unit, the centre or
the reviewers of its level, not a child level —, on the lead's part (协办 parts are the lead's matter), of any of
these kinds:

- 红灯 ``red``: past its handling time limit now;
- 超期 ``overdue``: ran past its time limit this month (China Standard Time), still open — even if an extension or
  a rework has given it a later one since;
- 争议 ``disputed``: sent back (退单) or escalated (上报) and waiting with the centre it went back to; reopened (重办:
  by a supervisor or a dispatcher, or because the citizen was not satisfied); rated unsatisfied; or urged and the
  urge still not signed (督办签收) by its 督办时限.

They are found in the desk's index (``public.desk_records``, ``core.orders.desk_index``), kept by the same facts as
the assessment's read model: one indexed query for any subtree, never a walk over its tenant schemas. Only the
page's rows are then read where they are (their titles, their units' names and their urges: one statement over the
few schemas the page names).

A row names two records: the holder's (where the order is), and the topmost record of the request in the desk's
subtree, which the desk acts on: an urge raised there travels down to the holder and is counted once at every
level on the way (``core.orders.crosslevel.urge``).
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from core.categories.service import CategoryStore, CategoryView
from core.orders import queries, urges, visibility
from core.orders.errors import InvalidCursor, NotOnThisDesk
from core.orders.lifecycle import Action
from core.orders.models import Order, transient
from core.orders.schemas import ActionRequest
from core.orders.service import Context, act_and_commit
from core.orders.supervise_schemas import (
    DeskCounts,
    DeskItem,
    DeskKind,
    DeskPage,
    DeskSort,
    Dispute,
    Holder,
    HolderKind,
    UrgeMany,
    UrgeResult,
)
from core.sla.calendar import CST, WorkCalendar
from core.sla.policy import Light, light
from core.sla.service import SlaStore
from iam.actors import Actor
from infra.db import Database
from infra.edge import INT64_MAX, moment_in_range
from infra.refusals import DomainError
from tenants.binding import RegistryCache
from tenants.codes import Level, is_descendant, validate_code
from tenants.models import Tenant

FAR = datetime(9999, 12, 31, tzinfo=UTC)  # no deadline: sorts last
_LENGTH = {Level.province: 2, Level.city: 4, Level.district: 6, Level.town: 9}
_HELD = "d.is_open AND d.holds AND NOT d.co_part AND d.tenant_code ~>=~ :lo AND d.tenant_code ~<~ :hi"
_KINDS = {
    DeskKind.red: "d.deadline < :now",
    DeskKind.overdue: "d.overdue_at >= :month",
    DeskKind.disputed: ("(d.status IN ('returned', 'escalated') OR d.reopen_count > 0 OR d.unsatisfied "
                        "OR (d.urges_waiting > 0 AND d.urge_due < :now))"),
}
_ANY_KIND = "(" + " OR ".join(_KINDS.values()) + ")"
_COLUMNS = ("tenant_code", "order_id", "number", "root_number", "status", "holder_unit", "deadline", "category",
            "division", "urge_count", "urges_waiting", "urge_due", "reopen_count", "unsatisfied", "overdue_at")


@dataclass
class DeskFilter:
    """The desk's filters (every one optional)."""

    kinds: list[DeskKind] | None = None
    tenant: str | None = None  # the holder within this subtree (a level or tenant below the desk's)
    level: Level | None = None  # the holder at this level
    holder_tenant: str | None = None  # the holder at exactly this tenant
    holder_unit: int | None = None  # and its unit (unit ids are per level: with ``holder_tenant``)
    area: str | None = None  # the request's division (所属区域), a GB/T 2260 prefix
    category: str | None = None  # a category code; a major matches its minors
    light: Light | None = None
    urged: bool | None = None


def subtree_bounds(code: str) -> tuple[str, str]:
    """The range of tenant codes in a code's subtree (the code and every code it prefixes), for the index."""
    return code, code[:-1] + chr(ord(code[-1]) + 1)


def month_start(now: datetime) -> datetime:
    """The first moment of ``now``'s month in China Standard Time."""
    local = now.astimezone(CST)
    return local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def _where(desk: Tenant, f: DeskFilter, now: datetime, calendar: WorkCalendar) -> tuple[list[str], dict[str, Any]]:
    """The conditions of the desk and its filters except ``kinds``, and their parameters."""
    lo, hi = subtree_bounds(f.tenant or desk.code)
    conditions = [_HELD]
    params: dict[str, Any] = {"lo": lo, "hi": hi, "now": now, "month": month_start(now)}
    if f.level is not None:
        conditions.append("length(d.tenant_code) = :length")
        params["length"] = _LENGTH[f.level]
    if f.holder_tenant is not None:
        conditions.append("d.tenant_code = :holder_tenant")
        params["holder_tenant"] = f.holder_tenant
    if f.holder_unit is not None:
        conditions.append("d.holder_unit = :holder_unit")
        params["holder_unit"] = f.holder_unit
    if f.area:
        conditions.append("left(d.division, length(:area)) = :area")
        params["area"] = f.area
    if f.category:
        conditions.append("left(d.category, length(:category)) = :category")
        params["category"] = f.category
    if f.urged is not None:
        conditions.append("d.urge_count > 0" if f.urged else "d.urge_count = 0")
    if f.light is not None:
        yellow_until, _ = calendar.add_working_days(now, 1)  # yellow: one working day or less left
        params["yellow_until"] = yellow_until
        conditions.append({
            Light.red: "d.deadline < :now",
            Light.yellow: "d.deadline >= :now AND d.deadline <= :yellow_until",
            Light.green: "(d.deadline IS NULL OR d.deadline > :yellow_until)",
        }[f.light])
    return conditions, params


def encode_cursor(sort: DeskSort, deadline: datetime | None, tenant: str, order_id: int) -> str:
    raw = json.dumps([sort.value, deadline.isoformat() if deadline else None, tenant, order_id])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, sort: DeskSort) -> tuple[datetime | None, str, int]:
    """The last row of the page before (its deadline, tenant, record id); a cursor not given out is refused."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        given_sort, deadline, tenant, order_id = json.loads(raw)
        if given_sort != sort.value:
            raise ValueError("sort changed")
        moment = datetime.fromisoformat(deadline) if deadline is not None else None
        if moment is not None:
            if moment.tzinfo is None:
                raise ValueError("naive")
            moment_in_range(moment)
        validate_code(tenant)
        order_id = int(order_id)
        if not 0 < order_id <= INT64_MAX:
            raise ValueError("out of range")
        return moment, tenant, order_id
    except (ValueError, TypeError, json.JSONDecodeError):
        raise InvalidCursor() from None


async def counts(session: AsyncSession, desk: Tenant, f: DeskFilter, now: datetime,
                 calendar: WorkCalendar) -> DeskCounts:
    """How many of the desk's orders are of each kind (the filters but ``kinds``); one statement."""
    conditions, params = _where(desk, f, now, calendar)
    row = (await session.execute(text(
        f"SELECT count(*) FILTER (WHERE {_KINDS[DeskKind.red]}), count(*) FILTER (WHERE {_KINDS[DeskKind.overdue]}), "
        f"count(*) FILTER (WHERE {_KINDS[DeskKind.disputed]}), count(*) FROM public.desk_records d "
        f"WHERE {' AND '.join(conditions)} AND {_ANY_KIND}"), params)).one()
    return DeskCounts(red=row[0], overdue=row[1], disputed=row[2], total=row[3])


async def page(session: AsyncSession, desk: Tenant, f: DeskFilter, sort: DeskSort, cursor: str | None, limit: int,
               now: datetime, calendar: WorkCalendar, categories: dict[str, CategoryView],
               may_urge: bool) -> DeskPage:
    """One page of the desk, most late first (or least), with the counts of each kind."""
    conditions, params = _where(desk, f, now, calendar)
    wanted = f.kinds or list(DeskKind)
    conditions.append("(" + " OR ".join(_KINDS[k] for k in dict.fromkeys(wanted)) + ")")
    descending = sort == DeskSort.least_late
    key = "coalesce(d.deadline, CAST('9999-12-31T00:00:00+00:00' AS timestamptz))"  # as FAR
    if cursor:
        deadline, tenant, order_id = decode_cursor(cursor, sort)
        params.update(c_key=deadline or FAR, c_tenant=tenant, c_id=order_id)
        conditions.append(f"({key}, d.tenant_code, d.order_id) {'<' if descending else '>'} "
                          "(CAST(:c_key AS timestamptz), CAST(:c_tenant AS text), CAST(:c_id AS bigint))")
    direction = "DESC" if descending else "ASC"
    params["limit"] = limit + 1
    rows = (await session.execute(text(
        f"SELECT {', '.join(f'd.{c}' for c in _COLUMNS)} FROM public.desk_records d WHERE {' AND '.join(conditions)} "
        f"ORDER BY {key} {direction}, d.tenant_code {direction}, d.order_id {direction} LIMIT :limit"),
        params)).mappings().all()
    more = len(rows) > limit
    rows = rows[:limit]
    items = await _items(session, desk, [dict(r) for r in rows], now, calendar, categories)
    last = rows[-1] if rows else None
    return DeskPage(
        items=items, counts=await counts(session, desk, f, now, calendar), may_urge=may_urge,
        next_cursor=encode_cursor(sort, last["deadline"], last["tenant_code"], last["order_id"])
        if more and last is not None else None)


async def _items(session: AsyncSession, desk: Tenant, rows: list[dict[str, Any]], now: datetime,
                 calendar: WorkCalendar, categories: dict[str, CategoryView]) -> list[DeskItem]:
    """The page's rows with what the index does not hold: the topmost record in the desk's subtree, the titles,
    the names of the tenants, units, areas and categories, and the holding records' urges."""
    if not rows:
        return []
    tops = await _topmost(session, desk, [r["root_number"] for r in rows])
    details = await _holder_details(session, rows)
    codes = {r["tenant_code"] for r in rows} | {t for t, _ in tops.values()} | {r["division"] for r in rows
                                                                                  if r["division"]}
    for _, record_urges, _ in details.values():  # the levels that urged and signed
        codes |= {code for e in record_urges or [] for code in (e.get("by_tenant"), e.get("signed_tenant")) if code}
    names = dict((await session.execute(text("SELECT code, name FROM public.tenants WHERE code = ANY(:c)"),
                                        {"c": sorted(codes)})).all())
    items = []
    for r in rows:
        tenant, number = tops.get(r["root_number"], (r["tenant_code"], r["number"]))
        title, record_urges, unit_name = details.get((r["tenant_code"], r["order_id"]), ("", None, None))
        status, deadline = r["status"], r["deadline"]
        kind = HolderKind.review if status in ("replied", "approved") else \
            HolderKind.unit if r["holder_unit"] is not None else HolderKind.centre
        holding = transient(Order, {"number": r["number"], "urges": record_urges})
        items.append(DeskItem(
            tenant=tenant, tenant_name=names.get(tenant, tenant), number=number, root_number=r["root_number"],
            title=title, category=r["category"], category_name=_category_name(categories, r["category"]),
            division=r["division"], area_name=names.get(r["division"]) if r["division"] else None,
            holder=Holder(tenant=r["tenant_code"], tenant_name=names.get(r["tenant_code"], r["tenant_code"]),
                          number=r["number"], kind=kind, unit_id=r["holder_unit"],
                          unit_name=unit_name if kind == HolderKind.unit else None),
            status=status, deadline=deadline, light=light(calendar, now, deadline).value,
            late_seconds=int((now - deadline).total_seconds()) if deadline is not None and deadline < now else None,
            kinds=_kinds_of(r, now), disputes=_disputes_of(r, now), urge_count=r["urge_count"],
            urges_waiting=r["urges_waiting"], urge_due=r["urge_due"], urges=[
                u.model_copy(update={"by_tenant_name": names.get(u.by_tenant),
                                     "signed_tenant_name": names.get(u.signed_tenant or "")})
                for u in queries.urges_out(holding, now)]))
    return items


def _kinds_of(r: dict[str, Any], now: datetime) -> list[DeskKind]:
    found = []
    if r["deadline"] is not None and r["deadline"] < now:
        found.append(DeskKind.red)
    if r["overdue_at"] is not None and r["overdue_at"] >= month_start(now):
        found.append(DeskKind.overdue)
    if _disputes_of(r, now):
        found.append(DeskKind.disputed)
    return found


def _disputes_of(r: dict[str, Any], now: datetime) -> list[Dispute]:
    found = []
    if r["status"] in ("returned", "escalated"):
        found.append(Dispute(r["status"]))
    if r["reopen_count"] > 0:
        found.append(Dispute.reopened)
    if r["unsatisfied"]:
        found.append(Dispute.unsatisfied)
    if r["urges_waiting"] > 0 and r["urge_due"] is not None and r["urge_due"] < now:
        found.append(Dispute.urge_missed)
    return found


def _category_name(categories: dict[str, CategoryView], code: str | None) -> str | None:
    if not code or code not in categories:
        return None
    found = categories[code]
    parent = categories.get(found.parent_code) if found.parent_code else None
    return f"{parent.name} / {found.name}" if parent else found.name


async def _topmost(session: AsyncSession, desk: Tenant, roots: list[str]) -> dict[str, tuple[str, str]]:
    """Each request's topmost record in the desk's subtree (root number → (tenant, number)): the one whose level
    above, if any, is outside the subtree."""
    lo, hi = subtree_bounds(desk.code)
    found = (await session.execute(text(
        "SELECT DISTINCT ON (root_number) root_number, tenant_code, number FROM public.desk_records "
        "WHERE root_number = ANY(:roots) AND tenant_code ~>=~ :lo AND tenant_code ~<~ :hi AND NOT co_part "
        "AND (origin_len = 0 OR origin_len < :depth) ORDER BY root_number, length(tenant_code), number"),
        {"roots": sorted(set(roots)), "lo": lo, "hi": hi, "depth": len(desk.code)})).all()
    return {root: (tenant, number) for root, tenant, number in found}


async def _holder_details(session: AsyncSession, rows: list[dict[str, Any]]
                          ) -> dict[tuple[str, int], tuple[str, Any, str | None]]:
    """(tenant, record id) → (title, urges, the lead unit's name) of the holding records, read where they are:
    one statement over the page's few schemas."""
    by_tenant: dict[str, list[int]] = {}
    for r in rows:
        by_tenant.setdefault(r["tenant_code"], []).append(r["order_id"])
    parts, params = [], {}
    for i, (code, ids) in enumerate(sorted(by_tenant.items())):
        schema = f"t_{validate_code(code)}"
        params[f"ids{i}"] = ids
        parts.append(f"(SELECT '{code}'::text AS t, o.id, o.title, o.urges, u.name AS unit_name "
                     f"FROM \"{schema}\".orders o LEFT JOIN \"{schema}\".units u ON u.id = o.lead_unit_id "
                     f"WHERE o.id = ANY(CAST(:ids{i} AS bigint[])))")
    found = (await session.execute(text(" UNION ALL ".join(parts)), params)).all()
    return {(t, order_id): (title, json.loads(urges_) if isinstance(urges_, str) else urges_, unit_name)
            for t, order_id, title, urges_, unit_name in found}


async def urge_many(db: Database, registry: RegistryCache, sla: SlaStore, categories: CategoryStore, actor: Actor,
                    desk: Tenant, body: UrgeMany, now: datetime) -> list[UrgeResult]:
    """督办 of each order named, each its own step (its own event, its own commit), in turn; each answers as its
    own urge would: done, or refused (closed meanwhile, not in the desk's subtree, not the person's to urge …)."""
    results = []
    for item in body.orders:
        try:
            record = await _urge_one(db, registry, sla, categories, actor, desk, item.tenant, item.number,
                                     ActionRequest(reason=body.reason, due=body.due), now)
        except DomainError as refusal:
            results.append(UrgeResult(tenant=item.tenant, number=item.number, ok=False, status=refusal.status,
                                      error=refusal.code, detail=refusal.detail))
            continue
        urged = urges.entries(record)[-1]["id"] if urges.entries(record) else None
        results.append(UrgeResult(tenant=item.tenant, number=item.number, ok=True, status=200,
                                  urge_count=record.urge_count, urge_id=urged))
    return results


async def _urge_one(db: Database, registry: RegistryCache, sla: SlaStore, categories: CategoryStore, actor: Actor,
                    desk: Tenant, code: str, number: str, request: ActionRequest, now: datetime) -> Order:
    if code != desk.code and not is_descendant(code, desk.code):
        raise NotOnThisDesk(number, code, desk.code)
    tenant = await registry.active(db, code)
    async with db.tenant_session(tenant.schema_name) as session:
        ctx = Context(session=session, tenant=tenant, actor=actor, rules=await sla.rules(session),
                      categories=await categories.visible(session, code), now=now, unit_scope=visibility.scope(actor))
        return await act_and_commit(ctx, number, Action.urge, request)
