"""What the web console's session cookie secret opens: the session's row, its sealed tokens, its CSRF token.

The cookie carries a random secret that only the browser holds. From it, one-way:

- the row's id: SHA-256 of the secret (the database never sees the secret);
- the key that seals the row's tokens: HKDF-SHA256 of the secret; the tokens are stored AES-256-GCM
  encrypted, so a reader of ``public.web_sessions`` (a backup, a replica, an operator) cannot use them;
- the CSRF token the console sends back in ``X-CSRF-Token``: HKDF-SHA256 of the secret with another label.
  It is bound to the session and needs no storage; another site cannot read it (nor the cookie).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_SEAL_INFO = b"hotline web session tokens v1"
_CSRF_INFO = b"hotline web session csrf v1"
_VERSION = "v1."
_NONCE = 12


def session_id(secret: str) -> str:
    """The row's id: SHA-256 of the cookie's secret, in hex."""
    return hashlib.sha256(secret.encode()).hexdigest()


def _derive(secret: str, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(secret.encode())


def csrf_token(secret: str) -> str:
    """The session's CSRF token (URL-safe base64, 43 characters)."""
    return base64.urlsafe_b64encode(_derive(secret, _CSRF_INFO)).decode().rstrip("=")


def csrf_matches(secret: str, sent: str | None) -> bool:
    """Does ``sent`` equal the session's CSRF token (compared in constant time)?"""
    return bool(sent) and secrets.compare_digest(csrf_token(secret).encode(), sent.encode())  # type: ignore[union-attr]


class Sealer:
    """Seals and opens one session's tokens; ``label`` (the column) is bound in, so values cannot be swapped."""

    def __init__(self, secret: str) -> None:
        self.id = session_id(secret)
        self._aead = AESGCM(_derive(secret, _SEAL_INFO))

    def _aad(self, label: str) -> bytes:
        return f"{self.id}:{label}".encode()

    def seal(self, label: str, value: str | None) -> str | None:
        if value is None:
            return None
        nonce = os.urandom(_NONCE)
        sealed = nonce + self._aead.encrypt(nonce, value.encode(), self._aad(label))
        return _VERSION + base64.urlsafe_b64encode(sealed).decode()

    def open(self, label: str, stored: str | None) -> str | None:
        """The clear value; None if there is none or it does not open (another key, a row of before sealing)."""
        if not stored or not stored.startswith(_VERSION):
            return None
        try:
            raw = base64.urlsafe_b64decode(stored[len(_VERSION):])
            return self._aead.decrypt(raw[:_NONCE], raw[_NONCE:], self._aad(label)).decode()
        except (InvalidTag, ValueError, binascii.Error):
            return None
