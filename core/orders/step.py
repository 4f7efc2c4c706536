"""A step on orders (受理 at intake, a lifecycle action, a message applied from another level): one unit of work.

    async with order_step(session, optimistic=True):
        order = await act(ctx, number, action, request)
    # here the step's rows, events and messages are written, in one statement, and committed

Inside the block, ``core.orders.rows`` reads orders to change them (locked, or in an optimistic step with
their version) and stages what the step adds and changes; nothing of orders is written anywhere else. The
unit of work's rules (``infra.unit_of_work``: nothing staged outside a step, a step ends with its
transaction, a changed row's version checked) hold for every step. An optimistic step's end raises
``WriteConflict`` if an order it read changed meanwhile, having written nothing: do it again in a locking step.
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager

from sqlalchemy.ext.asyncio import AsyncSession

from infra.unit_of_work import UnitOfWork, WriteConflict, unit_of_work

__all__ = ["WriteConflict", "order_step"]


def order_step(session: AsyncSession, *, optimistic: bool = False) -> AbstractAsyncContextManager[UnitOfWork]:
    """A step on the session's tenant's orders until the block ends (see the module's docstring). Locking
    unless ``optimistic``."""
    return unit_of_work(session, optimistic=optimistic)
