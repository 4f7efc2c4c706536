"""Who sees a citizen's phone, name and ID number in full (脱敏): the people who must speak to the citizen.

Shown in full to a person reading at their own tenant with one of the roles of the desk and the handling:
operator (话务员), dispatcher (派单员), reviewer (审核员), caller (回访员), and a unit's handlers (承办人, who
call the citizen); masked (139****0001, 王*, 410102********1234) to everyone else: supervisors, auditors and
admins, and anyone reading another tenant's orders (a level above reading down). An anonymous (保密) citizen's
are shown only to the operators and callers of the level that took the request (its root record); masked to
all others, the handlers included. Exports are masked for everyone (``queries.export_row``).
"""

from __future__ import annotations

from core.orders.models import Order
from iam.actors import Actor, Role

REVEALING = frozenset({Role.operator, Role.dispatcher, Role.reviewer, Role.caller, Role.handler,
                       Role.department_handler})
REVEALING_ANONYMOUS = frozenset({Role.operator, Role.caller})


def reveals(actor: Actor, tenant_code: str, order: Order) -> bool:
    """Whether ``actor``, reading ``order`` at tenant ``tenant_code``, sees its citizen in full."""
    if actor.tenant != tenant_code:
        return False
    if order.anonymous:
        return order.origin_tenant is None and bool(actor.roles & REVEALING_ANONYMOUS)
    return bool(actor.roles & REVEALING)
