"""Short-lived signed links to a kept recording, for the page's audio player.

An `<audio>` element cannot send the session token (it lives in the tab's local storage), so the
results page asks for a link that names the analysis and the viewer, expires within the hour and
is signed with the app's secret; the route still checks the viewer may see the analysis.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from dataclasses import dataclass

LIFETIME_SECONDS = 3600


@dataclass(frozen=True)
class AudioGrant:
    """Who may fetch which analysis's audio."""

    analysis_id: int
    user_id: int
    organization_id: int
    role: str


def _signature(secret: str, payload: str) -> str:
    return hmac.new(secret.encode(), payload.encode(), hashlib.sha256).hexdigest()


def sign(secret: str, grant: AudioGrant, *, now: float | None = None) -> str:
    """A token for the grant, valid for an hour."""
    expires = int((now or time.time()) + LIFETIME_SECONDS)
    payload = f"{grant.analysis_id}.{grant.user_id}.{grant.organization_id}.{grant.role}.{expires}"
    return f"{payload}.{_signature(secret, payload)}"


def read(secret: str, token: str, *, now: float | None = None) -> AudioGrant | None:
    """The grant in a token, or None when it is forged, malformed or expired."""
    payload, _, signature = token.rpartition(".")
    if not payload or not hmac.compare_digest(signature, _signature(secret, payload)):
        return None
    try:
        analysis_id, user_id, organization_id, role, expires = payload.split(".")
        if int(expires) < (now or time.time()):
            return None
        return AudioGrant(int(analysis_id), int(user_id), int(organization_id), role)
    except ValueError:
        return None
