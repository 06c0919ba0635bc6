"""Who may use the console, and proof that an action came from its own page.

* **Loopback** (the default): no login, but requests must name a loopback
  host in ``Host`` (a web page elsewhere cannot reach the console through DNS
  rebinding).
* **Anywhere else** (``--host``): a login with the shared secret from
  ``BOTCOPY_CONSOLE_SECRET``; the session is a signed, expiring cookie
  (``HttpOnly``, ``SameSite=Strict``).
* **Every action** (a ``POST``) carries ``X-CSRF-Token``, a value bound to the
  session and signed with the console's key, which a page on another origin
  cannot read; ``Origin``, when sent, must be the console's own. The live
  WebSocket checks ``Origin`` too.

The signing key is derived from the shared secret (or, on loopback without
one, from the API key), so every console process behind a load balancer
accepts the others' cookies and tokens.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Mapping
from urllib.parse import urlsplit

__all__ = ["SECRET_ENV_VAR", "Guard"]

SECRET_ENV_VAR = "BOTCOPY_CONSOLE_SECRET"  # noqa: S105 - the variable's name, not a secret
"""The environment variable holding the agents' shared login secret."""

SESSION_COOKIE = "botcopy_console"
_LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


def _host_name(host_header: str) -> str:
    return (urlsplit(f"//{host_header}").hostname or "").lower()


class Guard:
    """Checks logins, sessions, hosts and CSRF tokens for one console configuration.

    Args:
        signing_material: The shared secret, or the API key when there is none.
        login_secret: The agents' shared secret; ``None`` means no login (loopback only).
        session_seconds: How long a login lasts.

    """

    def __init__(
        self, signing_material: str, login_secret: str | None, *, session_seconds: int = 12 * 3600
    ) -> None:
        self._key = hmac.new(
            signing_material.encode(), b"botcopy-console-v1", hashlib.sha256
        ).digest()
        self._secret = login_secret.encode() if login_secret else None
        self.session_seconds = session_seconds

    def __repr__(self) -> str:
        return f"Guard(login={'required' if self.login_required else 'off'})"

    @property
    def login_required(self) -> bool:
        """Whether agents must log in."""
        return self._secret is not None

    def _sign(self, message: str) -> str:
        return hmac.new(self._key, message.encode(), hashlib.sha256).hexdigest()

    def check_secret(self, supplied: str) -> bool:
        """Whether a login form's secret is right (constant time)."""
        if self._secret is None:
            return False
        return hmac.compare_digest(supplied.encode("utf-8", "surrogatepass"), self._secret)

    def new_session(self) -> str:
        """A session cookie's value: its expiry and a signature."""
        expires = int(time.time()) + self.session_seconds
        return f"{expires}.{self._sign(f'session:{expires}')}"

    def session_ok(self, cookies: Mapping[str, str]) -> bool:
        """Whether the request may use the console (always, when no login is required)."""
        if not self.login_required:
            return True
        value = cookies.get(SESSION_COOKIE, "")
        expires, _, signature = value.partition(".")
        if not expires.isdigit() or int(expires) < time.time():
            return False
        return hmac.compare_digest(signature, self._sign(f"session:{expires}"))

    def host_ok(self, headers: Mapping[str, str]) -> bool:
        """Without a login, only a loopback ``Host`` is served (no DNS rebinding)."""
        if self.login_required:
            return True
        return _host_name(headers.get("host", "")) in _LOOPBACK_HOSTS

    def csrf_token(self, cookies: Mapping[str, str]) -> str:
        """The token the page sends with every action, bound to its session."""
        return self._sign(f"csrf:{cookies.get(SESSION_COOKIE, '')}")

    def csrf_ok(self, headers: Mapping[str, str], cookies: Mapping[str, str]) -> bool:
        """Whether an action carries the right token and, if it says, our own origin."""
        if not self.origin_ok(headers):
            return False
        supplied = headers.get("x-csrf-token", "")
        return hmac.compare_digest(supplied.encode(), self.csrf_token(cookies).encode())

    @staticmethod
    def origin_ok(headers: Mapping[str, str]) -> bool:
        """``Origin``, when present, must name the host the request was sent to."""
        origin = headers.get("origin")
        if origin is None:
            return True
        parts = urlsplit(origin)
        return parts.scheme in ("http", "https") and parts.netloc == headers.get("host", "")
