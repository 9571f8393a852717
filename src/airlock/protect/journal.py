"""The local record of what the protect stage did for each request: snapshot ids and
quarantines (where a resource was moved to, and when it may be purged)."""

from __future__ import annotations

import json
import os
import time
from typing import Any


def _path(journal_dir: str, request: str) -> str:
    safe = "".join(c for c in request if c.isalnum() or c in "-_") or "manual"
    return os.path.join(journal_dir, "requests", f"{safe}.json")


def load(journal_dir: str, request: str) -> dict[str, Any]:
    try:
        with open(_path(journal_dir, request), encoding="utf-8") as fh:
            data: dict[str, Any] = json.load(fh)
            return data
    except FileNotFoundError:
        return {"request": request, "snapshots": [], "quarantines": [], "undone": []}


def save(journal_dir: str, record: dict[str, Any]) -> None:
    path = _path(journal_dir, record["request"])
    os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
    tmp = path + ".part"
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(record, fh, indent=1, sort_keys=True)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def add(journal_dir: str, request: str, key: str, item: Any) -> None:
    rec = load(journal_dir, request)
    rec.setdefault(key, []).append(item)
    rec["updated_at"] = time.time()
    save(journal_dir, rec)


def all_records(journal_dir: str) -> list[dict[str, Any]]:
    d = os.path.join(journal_dir, "requests")
    out = []
    if os.path.isdir(d):
        for name in sorted(os.listdir(d)):
            if name.endswith(".json"):
                with open(os.path.join(d, name), encoding="utf-8") as fh:
                    out.append(json.load(fh))
    return out


def progress_path(journal_dir: str, request: str) -> str:
    safe = "".join(c for c in request if c.isalnum() or c in "-_") or "manual"
    return os.path.join(journal_dir, "progress", f"{safe}.json")


def write_progress(journal_dir: str, request: str, body: dict[str, Any]) -> None:
    path = progress_path(journal_dir, request)
    os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
    tmp = path + ".part"
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(body, fh)
    os.replace(tmp, path)


def read_progress(journal_dir: str, request: str) -> dict[str, Any] | None:
    try:
        with open(progress_path(journal_dir, request), encoding="utf-8") as fh:
            data: dict[str, Any] = json.load(fh)
            return data
    except (OSError, ValueError):
        return None
