"""The security headers every HTTP response of Airlock carries (the web app's middleware
and the broker proxy's own responses both add them through :func:`with_security`)."""

from __future__ import annotations

SECURITY_HEADERS = ((b"x-frame-options", b"DENY"), (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"no-referrer"), (b"cache-control", b"no-store"))
SECURITY_NAMES = frozenset(k for k, _ in SECURITY_HEADERS)


def with_security(headers: list[tuple[bytes, bytes]],
                  own: set[bytes] | None = None) -> list[tuple[bytes, bytes]]:
    """``headers`` plus each security header it does not set itself. ``own``: the
    lower-case names of those it sets, when the caller has seen them already (None:
    looked for here)."""
    if own is None:
        own = {k.lower() for k, _ in headers} & SECURITY_NAMES
    if not own:
        return headers + list(SECURITY_HEADERS)
    return [*headers, *((k, v) for k, v in SECURITY_HEADERS if k not in own)]
