"""Routes of the live stream (实时推送, server-sent events) and of the telephony's incoming calls (来电弹屏)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import text

from core.orders import callers
from core.orders.announce import LIVE_CHANNEL, call_notice
from core.orders.citizen import normalize_phone
from core.orders.live import LiveHub
from iam.actors import Actor
from sso.access import Guard, TenantGuard
from tenants.binding import CurrentTenant, TenantSession

router = APIRouter(prefix="/api/v1", tags=["live"])
KEEPALIVE_S = 15.0


def hub(request: Request) -> LiveHub:
    """The process's hub (``app.factory``'s lifespan makes it; it listens from its first subscriber on)."""
    return request.app.state.live  # type: ignore[no-any-return]


@router.get("/live", responses={200: {"content": {"text/event-stream": {}}}})
async def live(request: Request, actor: Annotated[Actor, Depends(Guard("tenant", "read"))]) -> StreamingResponse:
    """The signed-in person's live stream (text/event-stream): ``event: order`` when an order they may read
    changes (committed), ``event: call`` when a call rings at their seat, ``event: overview`` (``{"tenants":
    [codes], "cut": bool}``, at most once a second) when the overview numbers (总览) of tenants in their subtree
    changed — for whoever may read the overview of their own tenant; it names tenants, never an order — and
    ``: keepalive`` every 15 s. Open to every signed-in person; one who may not read orders (an admin) gets no
    order events."""
    live_hub = hub(request)
    authorizer = await request.app.state.authorizer.get()
    orders = authorizer.decide(actor.roles, actor.home, actor.home, "order", "read")
    overview = authorizer.decide(actor.roles, actor.home, actor.home, "assessment", "read")
    subscriber = await live_hub.subscribe(actor, orders=orders, overview=overview)

    async def frames() -> AsyncIterator[str]:
        try:
            yield ": connected\n\n"  # the headers and a first byte now: the console knows it is subscribed
            while True:
                try:
                    yield await asyncio.wait_for(subscriber.queue.get(), KEEPALIVE_S)
                except TimeoutError:
                    yield ": keepalive\n\n"
        finally:
            live_hub.unsubscribe(subscriber)

    return StreamingResponse(frames(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})


class IncomingCall(BaseModel):
    """A call the telephony (the ACD / CTI system) put through to a seat."""

    model_config = ConfigDict(extra="forbid")

    phone: str = Field(max_length=30, description="the caller's number")
    seat: str = Field(min_length=1, max_length=100, description="the username of the seat that answered")
    call_id: str | None = Field(None, min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._:-]+$",
                                description="the telephony's id of the call; one is made if none is given")

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str) -> str:
        return normalize_phone(value)


class CallAccepted(BaseModel):
    call_id: str
    phone: str
    seat: str
    history_count: int = Field(description="the caller's earlier requests in this tenant's subtree")


@router.post("/tenants/{code}/calls", status_code=202, response_model=CallAccepted,
             dependencies=[Depends(TenantGuard("order", "create"))])
async def incoming_call(request: Request, tenant: CurrentTenant, session: TenantSession,
                        body: IncomingCall) -> CallAccepted:
    """来电弹屏: the telephony tells the platform which seat answered whom; the seat's console pops up the
    caller's history (an ``event: call`` on that seat's live stream only)."""
    state = request.app.state
    now = state.clock()
    call_id = body.call_id or uuid.uuid4().hex
    found = await callers.count(session, tenant, body.phone, now, state.settings.duplicate_window_days)
    await session.execute(text("SELECT pg_notify(:channel, :payload)"), {
        "channel": LIVE_CHANNEL, "payload": call_notice(call_id, tenant.code, body.phone, body.seat, now)})
    await session.commit()
    return CallAccepted(call_id=call_id, phone=body.phone, seat=body.seat, history_count=found)
