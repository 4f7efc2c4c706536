"""``GET /tenants/{code}/changes``: the history of administration (变更记录) of a tenant or its subtree — who
changed which setting, when, from what to what. Admins and auditors read it down their subtree."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from infra.change_log import ChangeAction, ChangeSubject, history
from infra.edge import INT64_MAX
from infra.times import Time
from sso.access import TenantGuard
from tenants.binding import CurrentTenant, TenantSession

router = APIRouter(prefix="/api/v1/tenants/{code}/changes", tags=["administration"])


class ChangeOut(BaseModel):
    id: int
    tenant: str
    subject: ChangeSubject
    key: str
    action: ChangeAction
    actor: str
    actor_name: str | None
    at: Time
    old: Any
    new: Any


class ChangePage(BaseModel):
    items: list[ChangeOut]
    next_before: int | None = None


@router.get("", response_model=ChangePage, dependencies=[Depends(TenantGuard("change", "read"))])
async def list_changes(
    tenant: CurrentTenant, session: TenantSession,
    subject: ChangeSubject | None = None,
    key: Annotated[str | None, Query(max_length=100, description="one setting: a username, a unit id, a year …")]
    = None,
    subtree: Annotated[bool, Query(description="the tenants below too")] = False,
    # A query parameter is text: bounds as Query's, not the body's Id (which refuses "1", wanting a JSON number).
    before: Annotated[int | None, Query(ge=1, le=INT64_MAX, description="the page after this change id (next_before)")]
    = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> ChangePage:
    """The changes made here (or in the subtree), newest first."""
    rows = await history(session, tenant.code, subtree=subtree, subject=subject, key=key, before_id=before,
                         limit=limit)
    items = [ChangeOut(id=r.id, tenant=r.tenant, subject=ChangeSubject(r.subject), key=r.key,
                       action=ChangeAction(r.action), actor=r.actor, actor_name=r.actor_name, at=r.at,
                       old=r.old, new=r.new) for r in rows]
    return ChangePage(items=items, next_before=items[-1].id if len(items) == limit else None)

