"""Keycloak realm and group provisioning, token validation, web sign-in: lands with issue 4."""
