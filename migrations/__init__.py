"""Alembic revisions in two branches: ``shared`` (the public schema) and ``tenant`` (every t_<code>).

Tenant revisions are written without a schema: the runner applies them to one tenant at a
time inside a transaction whose ``search_path`` is that tenant's schema (``SET LOCAL``, so
it never leaks to a pooled connection), with the version table in the same schema.
"""

from pathlib import Path

MIGRATIONS_DIR = Path(__file__).resolve().parent
SHARED_VERSIONS = MIGRATIONS_DIR / "versions" / "shared"
TENANT_VERSIONS = MIGRATIONS_DIR / "versions" / "tenant"
