"""Asking the provider's API which environment a target lives in, when the inventory does
not say. Answers are cached (positive for ``ttl``, failures for ``negative_ttl``); a
target the API cannot place stays ``unknown``, which counts as production."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import httpx

from airlock.broker.providers import Provider


def _dig(data: Any, path: str) -> Any:
    for part in path.split("."):
        if not isinstance(data, dict):
            return None
        data = data.get(part)
    return data


class Discoverer:
    def __init__(self, credential: Callable[[str], str], ttl: float = 300.0,
                 negative_ttl: float = 30.0, timeout: float = 5.0) -> None:
        self.credential = credential  # provider secret name -> plaintext
        self.ttl = ttl
        self.negative_ttl = negative_ttl
        self.timeout = timeout
        self._cache: dict[tuple[str, str, str], tuple[float, str | None]] = {}
        self._lock = threading.Lock()
        self.lookups = 0  # calls that reached the provider (for tests)

    def cached(self, prov: Provider, kind: str, ident: str) -> tuple[bool, str | None]:
        """``(True, answer)`` when :meth:`environment` would answer without asking the
        provider (from the cache, or because there is nothing to ask); else ``(False,
        None)``. Never blocks."""
        if prov.discover.get(kind) is None or not ident:
            return True, None
        with self._lock:
            hit = self._cache.get((prov.name, kind, ident))
        if hit is not None and hit[0] > time.monotonic():
            return True, hit[1]
        return False, None

    def environment(self, prov: Provider, kind: str, ident: str) -> str | None:
        known, env = self.cached(prov, kind, ident)
        if known:
            return env
        spec = prov.discover[kind]
        key = (prov.name, kind, ident)
        now = time.monotonic()
        env = self._ask(prov, spec.query, spec.method, spec.path, spec.env, ident)
        with self._lock:
            self._cache[key] = (now + (self.ttl if env else self.negative_ttl), env)
        return env

    def _ask(self, prov: Provider, query: str, method: str, path: str, env_path: str,
             ident: str) -> str | None:
        self.lookups += 1
        headers = {prov.auth_header: prov.auth_value(self.credential(prov.secret))}
        try:
            with httpx.Client(timeout=self.timeout, verify=prov.verify) as client:
                if query:
                    r = client.post(prov.upstream + prov.graphql_path, headers=headers,
                                    json={"query": query, "variables": {"id": ident}})
                    data = r.json().get("data") if r.status_code == 200 else None
                else:
                    r = client.request(method, prov.upstream + path.replace("{id}", ident),
                                       headers=headers)
                    data = r.json() if r.status_code == 200 else None
        except (httpx.HTTPError, ValueError):
            return None
        value = _dig(data, env_path)
        return value if isinstance(value, str) and value else None
