"""Policies in the database: written by `hotline iam sync`, reloaded by every process on change."""

from __future__ import annotations

import time

from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncEngine

from iam.authorizer import Authorizer
from iam.policies import policy_rows

# How often a process asks whether the policies changed.
CHECK_EVERY_S = 5.0


def sync_policies(engine: Engine) -> bool:
    """Make ``casbin_rule`` hold exactly the derived policies. Returns True if anything changed."""
    wanted = sorted(policy_rows())
    with engine.begin() as conn:
        conn.execute(text("SELECT version FROM public.iam_version WHERE id = 1 FOR UPDATE"))
        current = sorted(tuple(r) for r in conn.execute(text(
            "SELECT v0, v1, v2, v3 FROM public.casbin_rule WHERE ptype = 'p'")))
        if current == wanted:
            return False
        conn.execute(text("DELETE FROM public.casbin_rule"))
        conn.execute(text("INSERT INTO public.casbin_rule (ptype, v0, v1, v2, v3) VALUES ('p', :a, :b, :c, :d)"),
                     [{"a": a, "b": b, "c": c, "d": d} for a, b, c, d in wanted])
        conn.execute(text("UPDATE public.iam_version SET version = version + 1, changed_at = now() WHERE id = 1"))
    return True


class AuthorizerStore:
    """The process's Authorizer, replaced when the stored policies' version moves."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._authorizer: Authorizer | None = None
        self._checked = 0.0

    async def get(self) -> Authorizer:
        if self._authorizer is None or time.monotonic() - self._checked > CHECK_EVERY_S:
            await self._refresh()
        assert self._authorizer is not None
        return self._authorizer

    async def _refresh(self) -> None:
        async with self.engine.connect() as conn:
            version = (await conn.execute(text("SELECT version FROM public.iam_version WHERE id = 1"))).scalar()
            if self._authorizer is None or self._authorizer.version != version:
                rows = (await conn.execute(text(
                    "SELECT v0, v1, v2, v3 FROM public.casbin_rule WHERE ptype = 'p'"))).all()
                self._authorizer = Authorizer([tuple(r) for r in rows], version=int(version or 0))
        self._checked = time.monotonic()
