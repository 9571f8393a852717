"""Is the store really another failure domain? Checked, not assumed.

Violations: the local store on the same device (``st_dev``) as protected data, or under
(or above) a protected path; an S3 store reached with the same credentials as the
protected resource (or with the ambient ones an agent could also use).
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit

from airlock.action import Target
from airlock.protect.settings import ProtectSettings


def _existing(path: str) -> str:
    path = os.path.abspath(path)
    while not os.path.exists(path) and path != os.path.dirname(path):
        path = os.path.dirname(path)
    return path


def protected_path(target: Target) -> str | None:
    loc = target.locator
    for prefix in ("path:", "git:repo:", "sqlite:"):
        if loc.startswith(prefix):
            return os.path.abspath(loc[len(prefix):])
    return None


def _inside(child: str, parent: str) -> bool:
    child, parent = os.path.realpath(child), os.path.realpath(parent)
    return child == parent or child.startswith(parent.rstrip("/") + "/")


def check_path(settings: ProtectSettings, path: str) -> list[str]:
    if settings.store != "local":
        return []
    store = settings.local_root
    out = []
    if _inside(store, path):
        out.append(f"the snapshot store {store} is inside the protected path {path}")
    elif _inside(path, store):
        out.append(f"the protected path {path} is inside the snapshot store {store}")
    try:
        sdev = os.stat(_existing(store)).st_dev
        pdev = os.stat(_existing(path)).st_dev
    except OSError as exc:
        return [*out, f"cannot stat {exc.filename}: {exc.strerror}"]
    if sdev == pdev:
        out.append(f"the snapshot store {store} is on the same device "
                   f"({os.major(sdev)}:{os.minor(sdev)}) as {path}")
    return out


def check_credentials(settings: ProtectSettings, target: Target | None = None) -> list[str]:
    if settings.store != "s3":
        return []
    out = []
    key = os.environ.get(settings.access_key_env, "")
    if not key:
        out.append(f"the S3 store has no credentials of its own (${settings.access_key_env} "
                   "is unset): it would use the ambient credentials an agent can use too")
    ambient = {os.environ.get(n, "") for n in ("AWS_ACCESS_KEY_ID", "AWS_ACCESS_KEY")} - {""}
    if key and key in ambient:
        out.append("the S3 store's access key is the same as the ambient AWS_ACCESS_KEY_ID "
                   "(the protected resources' credentials)")
    if target is not None and key and "://" in target.locator:
        user = urlsplit(settings.connection_url(target.locator)).username
        if user and user == key:
            out.append(f"the S3 store's access key is the credential of {target.name}")
    return out


def check_target(settings: ProtectSettings, target: Target) -> list[str]:
    out = check_credentials(settings, target)
    path = protected_path(target)
    if path is not None:
        out += check_path(settings, path)
    return out


def required(settings: ProtectSettings, target: Target) -> bool:
    if settings.require_independent == "always":
        return True
    if settings.require_independent == "never":
        return False
    return target.production and not target.sandbox and not target.local
