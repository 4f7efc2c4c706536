"""API shapes of work orders. Field names follow DESIGN.md's contract."""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, SerializerFunctionWrapHandler, field_validator, model_serializer

from core.orders.citizen import normalize_phone, validate_id_number
from core.orders.lifecycle import (
    AssignmentRole,
    AssignmentStatus,
    EventKind,
    LinkKind,
    OrderAction,
    OrderStatus,
    Outcome,
)
from core.orders.urges import UrgeState
from core.sla.policy import Light
from core.vocabulary import Channel, OrderType, Satisfaction, Urgency
from infra.edge import INT64_MAX, Flag, Id, Moment, Whole, whole
from infra.times import Time, TimedJson, province_times


class RedirectTarget(StrEnum):
    police_110 = "110"
    fire_119 = "119"
    ambulance_120 = "120"
    traffic_122 = "122"
    legal_channel = "legal_channel"  # 告知通过诉讼、仲裁、行政复议等法定途径


class CitizenIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, max_length=100)
    phone: str | None = Field(None, max_length=30)
    id_number: str | None = Field(None, max_length=18)
    anonymous: Flag = False
    callback: Flag = True

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str | None) -> str | None:
        return normalize_phone(value) if value else None

    @field_validator("id_number")
    @classmethod
    def _id_number(cls, value: str | None) -> str | None:
        return validate_id_number(value) if value else None


class AttachmentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    file_name: str = Field(max_length=255)
    content_type: str = Field(max_length=100)
    size_bytes: Whole = Field(ge=0, le=INT64_MAX)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    storage_key: str = Field(max_length=500)


class OrderCreate(BaseModel):
    """A citizen's request as the operator registers it (受理)."""

    model_config = ConfigDict(extra="forbid")

    channel: Channel
    type: OrderType
    category: str = Field(min_length=1, max_length=40)
    title: str = Field(min_length=1, max_length=200)
    content: str = Field(min_length=1, max_length=20000)
    address: str | None = Field(None, max_length=300)
    division_code: str | None = Field(None, pattern=r"^\d{2,12}$")
    longitude: Decimal | None = Field(None, ge=-180, le=180)
    latitude: Decimal | None = Field(None, ge=-90, le=90)
    citizen: CitizenIn
    urgency: Urgency = Urgency.normal
    attachments: list[AttachmentIn] = Field(default_factory=list, max_length=20)
    related: list[str] = Field(default_factory=list, max_length=20, description="Numbers of related orders.")
    received_at: Moment | None = Field(None, description="补录: when the request really came in (on another "
                                                          "channel); the deadlines run from it. Only for the roles "
                                                          "and within the hours of the province's intake policy")


class ActionRequest(BaseModel):
    """The body of any lifecycle action; each action uses the fields it needs."""

    model_config = ConfigDict(extra="forbid")

    reason: str | None = Field(None, max_length=2000)
    note: str | None = Field(None, max_length=2000)
    content: str | None = Field(None, max_length=20000, description="Answer or reply text.")
    to: Id | str | None = Field(None, description="dispatch: a unit id, or a child tenant's code; "
                                                     "redirect: 110, 119, 120, 122 or legal_channel")
    co_handlers: list[Id] = Field(default_factory=list, max_length=10)
    co_tenants: list[str] = Field(default_factory=list, max_length=10,
                                  description="dispatch: child tenants that co-handle (协办) beside the lead")
    days: whole(ge=1, le=60) | None = Field(None, description="extend: working days asked for")
    approved: Flag | None = Field(None, description="approve-extension: the decision")
    satisfaction: Satisfaction | None = None
    resolved: Flag | None = Field(None, description="revisit: did the citizen say the problem was solved (解决)? "
                                                     "Default: unless unsatisfied")
    into: str | None = Field(None, description="merge: the number of the order to merge this one into")
    attachment_ids: list[Id] = Field(default_factory=list, max_length=20,
                                     description="reply, answer: files uploaded to this order that go with it")
    due: Moment | None = Field(None, description="urge: the 督办时限, by when the holder must sign the urge "
                                                 "(督办签收); later than now. It does not move the handling time limit")


class EventPayload(BaseModel):
    """What an event carried beside its action: the fields that tell one step from another are typed here;
    a step may carry more (``additionalProperties``). Only what the step wrote is sent, as it was written (a
    field the event did not carry is absent, not null), its times in the province's offset."""

    model_config = ConfigDict(extra="allow", populate_by_name=True, serialize_by_alias=True)

    content: str | None = Field(None, description="answer, reply: the text")
    note: str | None = None
    to: int | str | None = Field(None, description="dispatch: the unit's id or the child tenant's code; redirect: "
                                                   "110, 119, 120, 122 or legal_channel; return, escalate: the level "
                                                   "above it went back to")
    co_handlers: list[int] | None = Field(None, description="dispatch: units co-handling (协办)")
    co_tenants: list[str] | None = Field(None, description="dispatch: child tenants co-handling (协办)")
    role: AssignmentRole | None = Field(None, description="sign, reply, return: what the unit or level held it as")
    by_tenant: str | None = Field(None, description="a step another level took: that level's code")
    number: str | None = Field(None, description="a step another level took: that level's number of the request")
    days: int | None = Field(None, description="extend, approve-extension: working days")
    approved: bool | None = Field(None, description="approve-extension: the decision")
    satisfaction: Satisfaction | None = Field(None, description="revisit: the citizen's word")
    resolved: bool | None = Field(None, description="revisit: was the problem solved (解决)")
    reopened: bool | None = Field(None, description="revisit: unsatisfied, so the order is handled again (重办)")
    into: str | None = Field(None, description="merge: the order this one was merged into")
    from_: str | None = Field(None, alias="from", description="merged-in: the order merged into this one")
    why: str | None = Field(None, description="withdraw, reject, reopen arriving from above: why")
    late: bool | None = Field(None, description="sign, reply, close: after the time limit")
    superseded: bool | None = Field(None, description="a step that arrived after a newer one: recorded, no change")
    channel: Channel | None = Field(None, description="register: where the request came in")
    attachment_ids: list[int] | None = Field(None, description="answer, reply: the files that go with it")

    # No return type: with one, the document would describe the payload as that type instead of by its fields.
    @model_serializer(mode="wrap")
    def _as_written(self, handler: SerializerFunctionWrapHandler):  # type: ignore[no-untyped-def]
        data = handler(self)
        unset = {key for name, info in type(self).model_fields.items() if name not in self.model_fields_set
                 for key in (name, info.alias)}
        return province_times({key: value for key, value in data.items() if key not in unset})


class EventOut(BaseModel):
    """One event of an order's log (工单流转记录)."""

    model_config = ConfigDict(from_attributes=True)

    seq: int
    action: EventKind
    from_status: OrderStatus | None
    to_status: OrderStatus
    actor: str
    actor_name: str | None = Field(None, description="who took the step, as people call them: the person's name "
                                   "recorded with the step, or the sending level's name for a step another level's "
                                   "message made here; null on steps recorded before names were (show the username)")
    actor_unit_id: int | None
    actor_unit_name: str | None = Field(None, description="the name of the actor's unit (a unit of actor_tenant)")
    actor_tenant: str
    actor_tenant_name: str | None = Field(None, description="the name of the actor's level")
    reason: str | None
    payload: EventPayload
    occurred_at: Time


class CrossLevelEvent(EventOut):
    """An event of this record or of a level's record below it (全流程), with whose record it is."""

    tenant: str = Field(description="the level whose record the event is of")
    tenant_name: str | None = Field(None, description="that level's name")
    number: str = Field(description="that level's number of the request")


class AssignmentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    unit_id: int | None
    unit_name: str | None = Field(None, description="the unit's name")
    tenant_code: str | None
    tenant_name: str | None = Field(None, description="the child level's name")
    role: AssignmentRole
    status: AssignmentStatus
    note: str | None
    assigned_at: Time
    sign_deadline: Time | None
    signed_at: Time | None
    replied_at: Time | None
    reply: str | None
    ended_at: Time | None = Field(None, description="when the assignment ended (done, given back, withdrawn, "
                                                        "reworked); live while none")


class AttachmentOut(BaseModel):
    """A file of the order (附件): its bytes at ``url``, to the people who may read the order."""

    id: int
    file_name: str
    content_type: str
    size_bytes: int
    sha256: str
    uploaded_by: str | None
    uploaded_by_name: str | None = Field(None, description="the name of the person who sent it, when they took a "
                                         "step on the order (the name the step recorded)")
    uploaded_at: Time
    from_tenant: str | None = Field(None, description="the level below whose reply brought it here")
    from_tenant_name: str | None = Field(None, description="that level's name")
    url: str


class DuplicateReason(StrEnum):
    """Why an order looks like a duplicate (判重, core/orders/duplicates.py)."""

    same_phone = "same_phone"  # 同一来电人
    same_division = "same_division"  # 同一区域
    same_category = "same_category"  # 同一分类
    related_category = "related_category"  # 相近分类
    similar_text = "similar_text"  # 内容相似


class DuplicateCandidate(BaseModel):
    number: str
    title: str
    status: OrderStatus
    created_at: Time
    score: float
    reasons: list[DuplicateReason]


class MergedCitizen(BaseModel):
    """The citizen of an order merged (合并) into this one: shown as the order's own citizen is, to be answered too."""

    number: str = Field(description="the merged order's number")
    name: str | None
    phone: str | None
    callback: bool


class UrgeOut(BaseModel):
    """One urge (督办) that reached this record, counted once however many levels relayed it, and its sign."""

    id: str = Field(description="the urge's identity, drawn where it was raised: the same at every level")
    raised_on: str = Field(description="the level whose record it was raised on")
    relayed: bool = Field(description="raised on a level above and passed down to this record")
    by_tenant: str = Field(description="the level of the person who urged")
    by_tenant_name: str | None = Field(None, description="that level's name (on the 督办 desk)")
    by: str = Field(description="who urged (their name; the timer: system:timer)")
    reason: str | None
    due: Time | None = Field(None, description="督办时限: by when the holder must sign it")
    at: Time = Field(description="when it was raised")
    state: UrgeState
    signed_at: Time | None = Field(None, description="督办签收: when the holder signed it")
    signed_by: str | None = None
    signed_tenant: str | None = Field(None, description="the level that signed it (where the order was held)")
    signed_tenant_name: str | None = Field(None, description="that level's name (on the 督办 desk)")
    signed_unit: str | None = Field(None, description="the unit that signed it, by name")
    note: str | None = Field(None, description="what the holder said when signing")


class OrderLinkOut(BaseModel):
    kind: LinkKind
    number: str = Field(description="the linked order's number")


class OrderOut(BaseModel):
    number: str  # this level's number of the request
    root_number: str = Field(description="the originating level's number of the request (its own, at the root)")
    origin_tenant: str | None = Field(None, description="the level that dispatched the order here, if one did")
    origin_number: str | None = Field(None, description="that level's number of the request")
    origin_role: AssignmentRole | None = Field(None, description="what that level gave it here as: lead (主办) or "
                                                                 "co (协办)")
    query_code: str
    status: OrderStatus
    outcome: Outcome | None
    channel: Channel
    type: OrderType
    category: str | None
    title: str
    urgency: Urgency
    address: str | None
    division_code: str | None
    citizen_name: str | None
    citizen_phone: str | None
    lead_unit_id: int | None
    assigned_tenant: str | None
    sign_deadline: Time | None
    handle_deadline: Time | None
    deadline_estimated: bool
    light: Light
    reopen_count: int
    urge_count: int = Field(description="the distinct urges (督办) that reached this record: raised on it, or passed "
                                        "down to it from a level above; each once, however many levels relayed it")
    urges_waiting: int = Field(description="of them, those waiting for the holder's sign (督办签收)")
    repeat_count: int
    satisfaction: Satisfaction | None
    created_at: Time
    closed_at: Time | None
    accepted_at: Time | None = Field(None, description="when this level's centre signed (签收) an order "
                                                            "dispatched here from above")


class OrderDetail(OrderOut):
    tenant_name: str | None = Field(None, description="the name of the level whose record this is")
    origin_tenant_name: str | None = Field(None, description="the name of the level that dispatched it here")
    assigned_tenant_name: str | None = Field(None, description="the name of the child level that has it")
    lead_unit_name: str | None = Field(None, description="the name of the lead unit (主办单位)")
    content: str
    citizen_id_number: str | None
    anonymous: bool
    callback: bool
    longitude: Decimal | None
    latitude: Decimal | None
    redirect_to: RedirectTarget | None
    pending_extension: TimedJson | None
    merged_into: str | None
    merged_citizens: list[MergedCitizen] = Field(
        default_factory=list, description="the citizens of the orders merged into this one, oldest first")
    allowed_actions: list[OrderAction]
    assignments: list[AssignmentOut]
    links: list[OrderLinkOut]
    attachments: list[AttachmentOut] = Field(default_factory=list)
    urges: list[UrgeOut] = Field(description="the urges that reached this record, oldest first, each once")
    timeline: list[EventOut]
    # With a child level involved: this record's events and those of every level below, by time.
    cross_level_timeline: list[CrossLevelEvent] = Field(
        default_factory=list, description="with a child level involved: this record's events and those of every "
        "level below, by time; each as a timeline event with its level (tenant, tenant_name) and that level's "
        "number of the request")
    tenant_names: dict[str, str] = Field(
        default_factory=dict, description="the name of every level the order's records name (by code)")
    unit_names: dict[str, str] = Field(
        default_factory=dict, description="the name of every unit on the order's chain, at any level, by "
        "\"<tenant code>:<unit id>\" (each level numbers its own units): the names of the units below that worked "
        "this order, and nothing more of them")


class OrderCreated(OrderDetail):
    duplicates: list[DuplicateCandidate]


class OrderPage(BaseModel):
    items: list[OrderOut]
    next_cursor: str | None
