"""The refusals of routing rules (派单目录), by name (answered over HTTP by ``infra.errors``)."""

from __future__ import annotations

from infra.error_codes import ErrorCode
from infra.refusals import Conflict, NotFound


class RoutingRuleExists(Conflict):
    code = ErrorCode.routing_rule_exists

    def __init__(self, category: str, division: str | None, existing: int) -> None:
        where = f"division {division}" if division else "any division"
        super().__init__(f"rule {existing} already routes category {category} from {where}: change that one",
                         params={"category": category, "division": division, "rule": existing}, existing_id=existing)


class RoutingRuleNotFound(NotFound):
    code = ErrorCode.routing_rule_not_found

    def __init__(self, rule_id: int, tenant_code: str) -> None:
        super().__init__(f"tenant {tenant_code} has no routing rule {rule_id}",
                         params={"rule": rule_id, "tenant": tenant_code})
