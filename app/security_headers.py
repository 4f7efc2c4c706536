"""Security headers on every response, from one pure-ASGI middleware (no per-request objects on the hot path).

- ``X-Content-Type-Options: nosniff``, ``Referrer-Policy: no-referrer``, ``X-Frame-Options: DENY``;
- ``Content-Security-Policy``: nothing at all for JSON and files (``default-src 'none'``); the console's policy
  for HTML pages (its own scripts only); a wider one for the API's own docs pages (Swagger UI, ReDoc load from
  a CDN); ``frame-ancestors 'none'`` in each;
- ``Strict-Transport-Security`` when the console is served over https (or the request came over https);
- ``Cache-Control: no-store`` on ``/api`` and ``/auth``: orders, searches, exports, the public lookup, users
  and sessions carry personal data, and no shared or browser cache is to keep them.

A header the route set itself wins (a route opts out of ``no-store`` by setting its own ``Cache-Control``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import urlsplit

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
ASGIApp = Callable[[Scope, Callable[[], Awaitable[Message]], Callable[[Message], Awaitable[None]]], Awaitable[None]]

API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
DOCS_PATHS = frozenset({"/docs", "/redoc", "/docs/oauth2-redirect"})
DOCS_CSP = ("default-src 'none'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
            "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net https://fonts.googleapis.com; "
            "font-src https://fonts.gstatic.com; img-src 'self' data: https://fastapi.tiangolo.com "
            "https://cdn.redoc.ly; worker-src blob:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
            "form-action 'none'")
HSTS = b"max-age=31536000"
PRIVATE_PREFIXES = ("/api/", "/auth/")


def console_csp(issuer: str) -> str:
    """The console's pages: scripts and data from its own origin only; its forms post to itself (sign-out),
    which sends the browser on to Keycloak."""
    parts = urlsplit(issuer)
    keycloak = f"{parts.scheme}://{parts.netloc}"
    return ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
            f"connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self' {keycloak}; "
            "frame-ancestors 'none'")


class SecurityHeaders:
    """Adds the headers above to each HTTP response's start message."""

    def __init__(self, app: ASGIApp, *, https: bool, issuer: str) -> None:
        self.app = app
        self.https = https
        self.common = [(b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"no-referrer"),
                       (b"x-frame-options", b"DENY")]
        self.csp = {"api": API_CSP.encode(), "docs": DOCS_CSP.encode(), "html": console_csp(issuer).encode()}

    async def __call__(self, scope: Scope, receive: Callable[[], Awaitable[Message]],
                       send: Callable[[Message], Awaitable[None]]) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        https = self.https or scope.get("scheme") == "https"

        async def send_hardened(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = self._harden(list(message.get("headers", ())), path, https)
            await send(message)

        await self.app(scope, receive, send_hardened)

    def _harden(self, headers: list[tuple[bytes, bytes]], path: str, https: bool) -> list[tuple[bytes, bytes]]:
        present = {name.lower() for name, _ in headers}
        added = [h for h in self.common if h[0] not in present]
        if b"content-security-policy" not in present:
            added.append((b"content-security-policy", self.csp[self._kind(headers, path)]))
        if https and b"strict-transport-security" not in present:
            added.append((b"strict-transport-security", HSTS))
        if b"cache-control" not in present and (path.startswith(PRIVATE_PREFIXES) or path == "/auth"):
            added.append((b"cache-control", b"no-store"))
        return headers + added

    @staticmethod
    def _kind(headers: list[tuple[bytes, bytes]], path: str) -> str:
        if path in DOCS_PATHS:
            return "docs"
        content_type = next((value for name, value in headers if name.lower() == b"content-type"), b"")
        return "html" if content_type.startswith(b"text/html") else "api"


def install_security_headers(app: Any, *, https: bool, issuer: str) -> None:
    """Wrap the application's whole middleware stack, so that even Starlette's own 500 page (made by its
    outermost middleware) carries the headers."""
    build = app.build_middleware_stack

    def build_hardened() -> ASGIApp:
        return SecurityHeaders(build(), https=https, issuer=issuer)

    app.build_middleware_stack = build_hardened
