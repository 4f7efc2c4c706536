"""The refusals of the order rules, by name. The rules raise these; ``infra.errors`` answers them over HTTP."""

from __future__ import annotations

from collections.abc import Iterable

from infra.error_codes import ErrorCode
from infra.refusals import Conflict, DomainError, Forbidden, NotFound, UnsupportedType


class OrderNotFound(NotFound):
    """The order is not there, or the person may not see it: the same answer, so that neither a read nor an
    action tells one from the other."""

    code = ErrorCode.order_not_found

    def __init__(self, number: str, tenant_code: str) -> None:
        super().__init__(f"tenant {tenant_code} has no order {number} that you can see",
                         params={"number": number, "tenant": tenant_code})


class NoSuchProgress(NotFound):
    """A citizen's query code and phone match no order (an unknown code and a wrong phone look the same)."""

    code = ErrorCode.progress_not_found

    def __init__(self) -> None:
        super().__init__("no order matches this query code and phone number")


class UnknownAction(NotFound):
    code = ErrorCode.unknown_action

    def __init__(self, action: str) -> None:
        super().__init__(f"there is no action {action!r} on orders", params={"action": action})


class RegisterByPost(NotFound):
    code = ErrorCode.unknown_action

    def __init__(self) -> None:
        super().__init__("an order is registered by a POST to the orders collection, not as an action",
                         params={"action": "register"})


class UnknownTab(NotFound):
    code = ErrorCode.unknown_tab

    def __init__(self, tab: str, tabs: Iterable[str]) -> None:
        super().__init__(f"there is no inbox tab {tab!r}: the tabs are {', '.join(tabs)}", params={"tab": tab})


class InvalidCursor(DomainError):
    code = ErrorCode.invalid_cursor

    def __init__(self) -> None:
        super().__init__("the cursor is not one this list gave out, or the sort changed since",
                         fields=[{"field": "cursor", "message": "not a cursor this list gave out"}])


# ---- who may not (403) ----------------------------------------------------------------------


class UnitStaffOnly(Forbidden):
    """What only a level's centre reads: a unit's staff read their unit's orders alone."""

    code = ErrorCode.unit_staff_only

    def __init__(self, what: str) -> None:
        super().__init__(f"{what} is the centre's to read: a unit's staff read their unit's orders only")


class ProvinceOnly(Forbidden):
    """A setting the province makes for all its levels."""

    code = ErrorCode.province_only

    def __init__(self, what: str, tenant_code: str) -> None:
        super().__init__(f"{what} is set by the province for all its levels, not by tenant {tenant_code}",
                         params={"tenant": tenant_code})


class NotYourTenant(Forbidden):
    """The step is taken only by the people of the tenant that holds the record."""

    code = ErrorCode.not_your_tenant

    def __init__(self, yours: str, theirs: str) -> None:
        super().__init__(f"you work for tenant {yours}, so you may not take this step on an order of tenant {theirs}",
                         params={"your_tenant": yours, "tenant": theirs})


class OutsideYourReach(Forbidden):
    """督办 reaches down the tree, never up nor sideways."""

    code = ErrorCode.outside_your_reach

    def __init__(self, yours: str, theirs: str) -> None:
        super().__init__(f"tenant {theirs} is neither your tenant {yours} nor below it, so you may not act on "
                         "its orders", params={"your_tenant": yours, "tenant": theirs})


class NotOnThisDesk(Forbidden):
    """A 督办 desk urges the orders of its own subtree only."""

    code = ErrorCode.not_on_this_desk

    def __init__(self, number: str, tenant_code: str, desk_code: str) -> None:
        super().__init__(f"order {number} of tenant {tenant_code} is not in the subtree of tenant {desk_code}, "
                         "whose 督办 desk this is", params={"number": number, "tenant": tenant_code})


class RoleNeeded(Forbidden):
    """The step needs one of ``roles`` (params ``roles``, and ``action`` when it is an order's action)."""

    code = ErrorCode.role_needed

    def __init__(self, roles: Iterable[str], action: str | None = None) -> None:
        wanted = sorted(roles)
        step = f"'{action}'" if action else "this step"
        super().__init__(f"{step} needs the role {' or '.join(wanted)}, and you do not have it",
                         params={"roles": wanted, "action": action})


class NotYourUnit(Forbidden):
    """A unit's step on a record another unit holds."""

    code = ErrorCode.not_your_unit

    def __init__(self, number: str | None = None) -> None:
        order = f"order {number}" if number else "the order"
        super().__init__(f"{order} is with another unit, not with yours", params={"number": number})


class ExportRefused(Forbidden):
    code = ErrorCode.export_refused

    def __init__(self, tenant_code: str, tenant_name: str) -> None:
        super().__init__(f"you may not export the orders of tenant {tenant_code} ({tenant_name})",
                         params={"tenant": tenant_code, "tenant_name": tenant_name})


# ---- not in the order's state (409) ---------------------------------------------------------


class OrderWithdrawn(Conflict):
    """The level above took the record back (撤回): nothing is left to do with it here."""

    code = ErrorCode.withdrawn

    def __init__(self, number: str, by: str | None, status: str) -> None:
        super().__init__(f"order {number} was taken back (撤回) by tenant {by}: nothing is left to do with it here",
                         params={"number": number, "by_tenant": by}, order_status=status, allowed_actions=[])


class InvalidTransition(Conflict):
    """The action does not apply to the order as it is now; the body lists what this person may do instead."""

    code = ErrorCode.invalid_transition

    def __init__(self, detail: str, status: str | None = None, allowed: list[str] | None = None, *,
                 params: dict[str, object] | None = None) -> None:
        extra = {} if status is None else {"order_status": status, "allowed_actions": allowed or []}
        super().__init__(detail, params={**(params or {}), "status": status,
                                         "allowed_actions": None if status is None else allowed or []}, **extra)


class NotInThisState(InvalidTransition):
    """The lifecycle (core/orders/lifecycle.py) has no such step from the order's status for anyone now."""

    def __init__(self, number: str, action: str, status: str, allowed: list[str]) -> None:
        super().__init__(f"'{action}' cannot be done to order {number} now: it is {status}", status, allowed,
                         params={"number": number, "action": action})


class ExtensionPending(InvalidTransition):
    """延期: one request at a time."""

    code = ErrorCode.extension_pending

    def __init__(self, status: str, allowed: list[str]) -> None:
        super().__init__("an extension request is already waiting for a decision", status, allowed)


class PastTimeLimit(InvalidTransition):
    """延期 is asked before the time limit, not after."""

    code = ErrorCode.past_time_limit

    def __init__(self, status: str, allowed: list[str]) -> None:
        super().__init__("the time limit has already passed, and an extension must be asked for before it", status,
                         allowed)


class NoExtensionWaiting(InvalidTransition):
    code = ErrorCode.no_extension_waiting

    def __init__(self, status: str, allowed: list[str]) -> None:
        super().__init__("no extension request is waiting for this level's decision", status, allowed)


class TakenAtOrigin(InvalidTransition):
    """Intake's steps (merge, revisit, redirect, decline) belong to the level that took the request."""

    code = ErrorCode.taken_at_origin

    def __init__(self, number: str, origin: str, action: str, status: str, allowed: list[str]) -> None:
        super().__init__(f"order {number} came from tenant {origin}, which took the request and does '{action}' "
                         "there; this level answers, hands on or sends back its part", status, allowed,
                         params={"number": number, "origin_tenant": origin, "action": action})


class AlreadyRated(InvalidTransition):
    """回访 once per answer: the citizen's rating of the answer the order closed with is recorded."""

    def __init__(self, number: str, satisfaction: str, status: str, allowed: list[str]) -> None:
        super().__init__(f"the follow-up of order {number} is done: the citizen's rating ({satisfaction}) of its "
                         "answer is recorded", status, allowed)


class MergeIntoClosed(InvalidTransition):
    code = ErrorCode.merge_into_closed

    def __init__(self, number: str, status: str) -> None:
        super().__init__(f"order {number} is {status}: an order is merged only into an open one",
                         params={"number": number, "status": status})


# ---- attachments (附件) -----------------------------------------------------------------------


class AttachmentNotFound(NotFound):
    """No such file on this order, or not one kept by the platform (the same answer)."""

    code = ErrorCode.attachment_not_found

    def __init__(self, number: str, attachment_id: int) -> None:
        super().__init__(f"order {number} has no attachment {attachment_id}", params={"number": number})


class FileTypeRefused(UnsupportedType):
    """The file's content is none of the types accepted (its name and declared type are not believed)."""

    code = ErrorCode.unsupported_file_type

    def __init__(self, accepted: str) -> None:
        super().__init__(f"the file's content is not one of the types accepted: {accepted}",
                         params={"accepted": accepted}, accepted=accepted)


class NoStepToAttachTo(Forbidden):
    """Files are attached by the people who may take a step on the order now (they reply or answer with them)."""

    code = ErrorCode.no_step_to_attach_to

    def __init__(self, number: str) -> None:
        super().__init__(f"you may take no step on order {number} now, so you may not attach files to it",
                         params={"number": number})


class TooManyAttachments(Conflict):
    code = ErrorCode.too_many_attachments

    def __init__(self, number: str, limit: int) -> None:
        super().__init__(f"order {number} has {limit} attachments already, the most an order may have",
                         params={"number": number, "limit": limit})
