"""Keycloak: the realm and groups mirroring the tenant tree, users, token validation, web sign-in."""
