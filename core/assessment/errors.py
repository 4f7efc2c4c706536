"""The refusals of the assessment's reads, by name (``infra.errors`` answers them over HTTP)."""

from __future__ import annotations

from infra.refusals import NotFound


class AlertNotFound(NotFound):
    """No such alert at this level or below it (one of another city is not there, for this asker)."""

    code = "alert_not_found"

    def __init__(self, alert_id: int, tenant_code: str) -> None:
        super().__init__(f"tenant {tenant_code} has no hot-spot alert {alert_id} at its level or below")
