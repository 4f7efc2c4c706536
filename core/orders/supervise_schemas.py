"""API shapes of the 督办 desk (督办台): its rows, its page, and urging several orders at once."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from core.orders.schemas import UrgeOut
from infra.edge import Moment
from infra.times import Time


class DeskKind(StrEnum):
    """What makes an order a matter for the desk (an order may be several)."""

    red = "red"  # 红灯: open and past its handling time limit now
    overdue = "overdue"  # 超期: open, and ran past its time limit this month (even if given more time since)
    disputed = "disputed"  # 争议: see ``Dispute``


class Dispute(StrEnum):
    """Why an open order is disputed (争议)."""

    returned = "returned"  # 退单: sent back, waiting with the level's centre for another dispatch
    escalated = "escalated"  # 上报: given up to the level above as beyond the holder's power, waiting there
    reopened = "reopened"  # 重办: reopened by a supervisor or a dispatcher, or after the citizen's dissatisfaction
    unsatisfied = "unsatisfied"  # 不满意: the citizen rated the answer unsatisfied
    urge_missed = "urge_missed"  # 督办逾期未签收: an urge still not signed by its 督办时限


class HolderKind(StrEnum):
    """Who holds the order at its holding level."""

    unit = "unit"  # a handling unit (承办单位)
    centre = "centre"  # the level's centre: to dispatch, sent back or escalated, received from above
    review = "review"  # the level's reviewers: a reply waiting for review or closing


class DeskSort(StrEnum):
    late = "late"  # most late first (the earliest deadline first; none last)
    least_late = "-late"  # least late first


class Holder(BaseModel):
    """Where the order is now: the level holding it and, there, its unit, centre or reviewers."""

    tenant: str
    tenant_name: str
    number: str = Field(description="the holding level's record of the request")
    kind: HolderKind
    unit_id: int | None = Field(None, description="the unit holding it (its level's id)")
    unit_name: str | None = None


class DeskItem(BaseModel):
    """One order on the desk: the request as the desk's subtree knows it, where it is, how late, its urges."""

    tenant: str = Field(description="the level of the record the desk acts on: the topmost one in the desk's "
                                    "subtree (an urge there travels down to the holder, counted at every level)")
    tenant_name: str
    number: str = Field(description="that record's number")
    root_number: str = Field(description="the request's number where it was taken")
    title: str
    category: str | None
    category_name: str | None
    division: str | None
    area_name: str | None
    holder: Holder
    status: str = Field(description="the holding record's status")
    deadline: Time | None = Field(None, description="the handling time limit (办理时限), the same at every level")
    light: str
    late_seconds: int | None = Field(None, description="how late: seconds past the deadline (None: not late)")
    kinds: list[DeskKind]
    disputes: list[Dispute]
    urge_count: int = Field(description="urges so far (the holding record's: each once)")
    urges_waiting: int = Field(description="of them, not yet signed by the holder")
    urge_due: Time | None = Field(None, description="the earliest 督办时限 of the urges not yet signed")
    urges: list[UrgeOut] = Field(description="the holding record's urges and their signs")


class DeskCounts(BaseModel):
    """How many orders of the desk (with the filters other than ``kind``) are of each kind; ``total``: of any."""

    red: int
    overdue: int
    disputed: int
    total: int


class DeskPage(BaseModel):
    items: list[DeskItem]
    next_cursor: str | None
    counts: DeskCounts
    may_urge: bool = Field(description="whether the person asking may urge (督办) these orders: a supervisor")


class DeskOrder(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tenant: str = Field(pattern=r"^[1-9][0-9](?:[0-9]{2}(?:[0-9]{2}(?:[0-9]{3})?)?)?$",
                        description="the level of the record (a desk row's ``tenant``)")
    number: str = Field(min_length=4, max_length=40, pattern=r"^[0-9A-Za-z-]+$")


class UrgeMany(BaseModel):
    """督办 of several orders at once: one urge each, with the same reason and 督办时限."""

    model_config = ConfigDict(extra="forbid")

    orders: list[DeskOrder] = Field(min_length=1, max_length=100)
    reason: str = Field(min_length=1, max_length=2000)
    due: Moment = Field(description="督办时限: by when the holder must sign the urge (督办签收); later than now")


class UrgeResult(BaseModel):
    """What became of one order's urge: each is its own step (and event); some may be refused."""

    tenant: str
    number: str
    ok: bool
    status: int = Field(description="as the order's own urge would have answered: 200, or the refusal's status")
    error: str | None = Field(None, description="the refusal's stable code")
    detail: str | None = None
    urge_count: int | None = Field(None, description="the record's urges now")
    urge_id: str | None = None


class UrgeResults(BaseModel):
    results: list[UrgeResult]
