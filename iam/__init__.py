"""Identity and permission (Casbin over the tenant tree, the FastAPI guard): lands with issue 4."""
