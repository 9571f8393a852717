"""resolve: targets map to inventory resources and their real environment."""

from __future__ import annotations

from pathlib import Path

from airlock.action import Risk, Target
from airlock.config import load_config
from airlock.resolve import match_resource, resolve

CONFIG = """
[environments.production]
[environments.staging]
[environments.sandbox]
sandbox = true

[[resources]]
name = "prod-volume"
kind = "volume"
env = "production"
ids = ["3d2c42fb"]
protected = true
tags = ["customer-data"]

[[resources]]
name = "staging-db"
kind = "database"
env = "staging"
hosts = ["*.staging.internal"]

[[resources]]
name = "kube-prod"
kind = "cluster"
env = "production"
match = ["kube:prod-*"]

[[resources]]
name = "scratch"
kind = "directory"
env = "sandbox"
paths = ["/srv/scratch"]
"""


def cfg(tmp_path: Path):  # type: ignore[no-untyped-def]
    (tmp_path / "airlock.toml").write_text(CONFIG)
    return load_config(str(tmp_path / "airlock.toml"), str(tmp_path))


def target(locator: str, **kw: object) -> Target:
    return Target(kind="x", name="n", verb="v", risk=Risk.WRITE, locator=locator, **kw)  # type: ignore[arg-type]


def test_ids_match_the_same_volume_from_cli_and_api_locators(tmp_path: Path) -> None:
    c = cfg(tmp_path)
    for loc in ("railway:volume:3d2c42fb", "3d2c42fb", "x/3d2c42fb"):
        res = match_resource(loc, c.resources)
        assert res is not None and res.name == "prod-volume"


def test_hosts_match_url_locators(tmp_path: Path) -> None:
    c = cfg(tmp_path)
    t = target("postgresql://app@db1.staging.internal:5432/app")
    resolve([t], c, str(tmp_path))
    assert (t.env, t.resource, t.production) == ("staging", "staging-db", False)


def test_protected_and_tags_come_from_the_inventory(tmp_path: Path) -> None:
    c = cfg(tmp_path)
    t = target("railway:volume:3d2c42fb")
    resolve([t], c, str(tmp_path))
    assert t.env == "production" and t.protected and t.tags == ("customer-data",)


def test_unmatched_target_is_unknown_and_counts_as_production(tmp_path: Path) -> None:
    c = cfg(tmp_path)
    t = target("aws:s3:some-bucket")
    resolve([t], c, str(tmp_path))
    assert t.env == "unknown" and t.production and not t.local


def test_paths_match_by_prefix(tmp_path: Path) -> None:
    c = cfg(tmp_path)
    t = target("path:/srv/scratch/run1")
    resolve([t], c, str(tmp_path))
    assert (t.env, t.sandbox) == ("sandbox", True)


def test_temp_paths_are_a_local_sandbox(tmp_path: Path) -> None:
    t = target("path:/tmp/x/y")
    resolve([t], cfg(tmp_path), "/")
    assert (t.env, t.sandbox, t.local) == ("temp", True, True)


def test_a_repository_under_a_temp_dir_is_a_workspace_not_a_sandbox(tmp_path: Path) -> None:
    import subprocess

    repo = tmp_path / "checkout"
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    (repo / "src").mkdir()
    scratch = tmp_path / "scratch"
    for path, env, sandbox in ((repo / ".git", "workspace", False),
                               (repo / "src", "workspace", False),
                               (repo, "workspace", False),
                               (scratch, "temp", True)):
        t = target(f"path:{path}")
        resolve([t], cfg(tmp_path), str(repo))
        assert (t.env, t.sandbox, t.local) == (env, sandbox, True), path


def test_workspace_paths_are_local_but_not_sandbox(workspace: Path) -> None:
    t = target(f"path:{workspace}/src")
    resolve([t], load_config(None, str(workspace)), str(workspace))
    assert (t.env, t.sandbox, t.local, t.production) == ("workspace", False, True, False)


def test_unresolved_paths_outside_temp_are_unknown(workspace: Path) -> None:
    t = target(f"path:{workspace}", unresolved=True)
    resolve([t], load_config(None, str(workspace)), str(workspace))
    assert t.env == "unknown"
