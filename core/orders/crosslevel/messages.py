"""The messages one level sends another about an order: what every kind carries, and how it is read.

Every kind is a pydantic model of its own (in the module of its step), shared by the sending and the
receiving rule. Two families, by the direction of travel:

- ``FromAbove``: from the level that dispatched the order to the level below it (down);
- ``FromBelow``: from a child level to the level that dispatched the order to it (up).

Both carry when the step happened at the sender (``at``) and where it is in the sender's record's history
(``seq``, its event number): the receiver tells a late message from a newer one by it.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from federation.transport import PermanentError

TenantCode = Annotated[str, Field(pattern=r"^\d{2}(\d{2}(\d{2}(\d{3})?)?)?$")]
OrderNumber = Annotated[str, Field(min_length=4, max_length=40)]


class Message(BaseModel):
    """What every message about an order carries."""

    model_config = ConfigDict(extra="forbid")

    kind: ClassVar[str]
    direction: ClassVar[str]

    at: datetime | None = None  # when the step happened at the sending level (its commit's clock)
    seq: int | None = None  # the sending record's event number of the step

    def body(self) -> str:
        """The message as it travels: JSON, without the fields it leaves empty."""
        return self.model_dump_json(exclude_none=True)

    @classmethod
    def read(cls, data: bytes | str) -> Any:
        """The message from what travelled; a message that does not parse can never apply."""
        try:
            return cls.model_validate_json(data)
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'body'}: {e['msg']}" for e in exc.errors()[:5])
            raise PermanentError(f"malformed {cls.kind} message: {problems}") from None


class FromAbove(Message):
    """Down: from the level above that dispatched the order here."""

    direction: ClassVar[str] = "down"

    origin_tenant: TenantCode  # the sending level; its record is the receiving record's origin
    origin_number: OrderNumber  # the sending level's record
    by_tenant: TenantCode  # whose person took the step: the sender, or a level above it (an urge, a withdrawal)


class FromBelow(Message):
    """Up: from a child level to the level that dispatched the order to it."""

    direction: ClassVar[str] = "up"

    origin_number: OrderNumber  # the receiving level's record, the one it dispatched
    by_tenant: TenantCode  # the sending child level
    number: OrderNumber  # the child level's own record


def message_id(event_id: uuid.UUID, index: int) -> uuid.UUID:
    """The id of a step's ``index``-th message: the step's event id for the first, derived for the others, so
    that a step applied twice could not send its messages twice."""
    return event_id if index == 0 else uuid.uuid5(event_id, str(index))
