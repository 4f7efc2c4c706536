"""The subject map: few streams, one per message kind; subjects carry the receiving tenant's path.

    stream HOTLINE_DOWN   hotline.down.<kind>.<41>.<4101>.<410102>   dispatch, urge, rework, rated, withdraw,
                                                                     extension-decision (to the level below)
    stream HOTLINE_UP     hotline.up.<kind>.<41>.<4101>              signed, returned, replied, escalated,
                                                                     extension-request, urge-signed
                                                                     (to the level above)
    stream HOTLINE_FACTS  hotline.facts.<41>.<4101>                  assessment facts of records held
                                                                     under 41.4101, packed by the relay
                                                                     (to the assessment read model;
                                                                     ``federation/packs.py``)

Consumers filter with wildcards (``hotline.down.>``) and are durable per worker role, never per
tenant. A subject names its receiver; the receiver's code is the last token.

One NATS server may carry several deployments (a staging and a test province, or the test
suite's databases): each has its own namespace (``HOTLINE_NATS_PREFIX``), which replaces the first
token of every subject on the wire and names its streams (``staging.down.…`` in STAGING_DOWN), so
one deployment's workers never see another's messages. The outbox keeps the logical subject.
"""

from __future__ import annotations

from dataclasses import dataclass

# The kinds of cross-level messages (``core/orders/crosslevel``: what each does); a kind is one subject token.
DOWN_KINDS = ("dispatch", "urge", "rework", "rated", "withdraw", "extension-decision")
UP_KINDS = ("signed", "returned", "replied", "escalated", "extension-request", "urge-signed")


@dataclass(frozen=True)
class Stream:
    name: str
    subjects: list[str]
    # Its one durable consumer (a worker role); the workers may create, read and pull from no other.
    durable: str


# A namespace's streams, by the second token of their subjects, and the durable consumer of each.
DURABLES = {"down": "appliers-down", "up": "appliers-up", "facts": "assessment"}


FACT_KIND = "fact"
LOGICAL_PREFIX = "hotline"
FACTS_PREFIX = f"{LOGICAL_PREFIX}.facts"


@dataclass(frozen=True)
class Namespace:
    """A deployment's corner of a NATS server: the first token of its subjects, the names of its streams."""

    prefix: str = LOGICAL_PREFIX

    def wire(self, logical_subject: str) -> str:
        """The subject a logical ``hotline.…`` subject travels under in this namespace."""
        return self.prefix + logical_subject[len(LOGICAL_PREFIX):]

    def stream(self, part: str) -> str:
        return f"{self.prefix.upper().replace('-', '_')}_{part}"

    def streams(self) -> list[Stream]:
        return [Stream(self.stream(part.upper()), [f"{self.prefix}.{part}.>"], durable)
                for part, durable in DURABLES.items()]

    @property
    def inbox(self) -> str:
        """The prefix of the reply subjects of this deployment's workers (``_INBOX.<prefix>``): what they may
        subscribe to, so that no deployment reads another's replies, which carry the messages it pulls."""
        return f"_INBOX.{self.prefix}"


def subject(kind: str, receiver_path: str) -> str:
    if kind == FACT_KIND:
        return f"{FACTS_PREFIX}.{receiver_path.replace('/', '.')}"
    direction = "down" if kind in DOWN_KINDS else "up"
    if kind not in DOWN_KINDS + UP_KINDS:
        raise ValueError(f"unknown message kind {kind}")
    return f"hotline.{direction}.{kind}.{receiver_path.replace('/', '.')}"


def receiver(subject_: str) -> str:
    return subject_.rsplit(".", 1)[-1]


def kind_of(subject_: str) -> str:
    return subject_.split(".")[2]
