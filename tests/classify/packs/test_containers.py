"""The docker, podman and compose packs: verb, risk and locator of each command."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest

from airlock.action import Risk, Target
from airlock.classify.command import DYNAMIC, ClassifyContext, SimpleCommand, Word
from airlock.classify.packs.containers import PACKS
from tests.classify.packs.support import word

_word = word


def classify(
    line: str, tmp_path: Path, env: dict[str, str] | None = None, cwd: Path | None = None
) -> list[Target]:
    cmd = SimpleCommand(
        argv=[_word(x) for x in shlex.split(line)],
        env={k: Word(v) for k, v in (env or {}).items()},
    )
    pack = next(p for p in PACKS if cmd.program in p.programs)
    return pack.classify(cmd, ClassifyContext(cwd=str(cwd or tmp_path), home="/root"))


def worst(targets: list[Target]) -> Target:
    return max(targets, key=lambda t: t.risk)


HOST = "docker:host:default"

CASES = [
    # reads
    ("docker ps -a", "docker.ps", Risk.READ, HOST),
    ("docker ps -f status=exited", "docker.ps", Risk.READ, HOST),
    ("docker images", "docker.images", Risk.READ, HOST),
    ("docker logs -f --tail 100 web", "docker.logs", Risk.READ, HOST),
    ("docker inspect web", "docker.inspect", Risk.READ, HOST),
    ("docker version", "docker.version", Risk.READ, HOST),
    ("docker info", "docker.info", Risk.READ, HOST),
    ("docker volume ls", "docker.volume.ls", Risk.READ, HOST),
    ("docker system df", "docker.system.df", Risk.READ, HOST),
    ("docker volume rm pgdata --help", "docker.help", Risk.READ, HOST),
    ("docker run --help", "docker.help", Risk.READ, HOST),
    # writes
    ("docker run -d --name db -v pgdata:/var/lib/postgresql/data postgres:16", "docker.run",
     Risk.WRITE, "docker:image:postgres:16"),
    ("docker run -h myhost alpine sh", "docker.run", Risk.WRITE, "docker:image:alpine"),
    ("docker run alpine sh --help", "docker.run", Risk.WRITE, "docker:image:alpine"),
    ("docker exec -it web rm -rf /data", "docker.exec", Risk.WRITE, "docker:container:web"),
    ("docker build -t app:1 -f Dockerfile .", "docker.build", Risk.WRITE, HOST),
    ("docker pull nginx:1.25", "docker.pull", Risk.WRITE, "docker:image:nginx:1.25"),
    ("docker push registry.example.com/app:1", "docker.push", Risk.WRITE,
     "docker:image:registry.example.com/app:1"),
    ("docker rm -f web", "docker.rm", Risk.WRITE, "docker:container:web"),
    ("docker stop web", "docker.stop", Risk.WRITE, "docker:container:web"),
    ("docker kill -s KILL web", "docker.kill", Risk.WRITE, "docker:container:web"),
    ("docker rmi nginx:1.25", "docker.rmi", Risk.WRITE, "docker:image:nginx:1.25"),
    ("docker image rm nginx:1.25", "docker.rmi", Risk.WRITE, "docker:image:nginx:1.25"),
    ("docker image prune -a -f", "docker.image.prune", Risk.WRITE, HOST),
    ("docker network rm backend", "docker.network.rm", Risk.WRITE, "docker:network:backend"),
    ("docker frobnicate", "docker.other", Risk.WRITE, HOST),
    # destructive
    ("docker volume rm pgdata", "docker.volume.rm", Risk.DESTRUCTIVE, "docker:volume:pgdata"),
    ("docker volume prune -f", "docker.volume.prune", Risk.DESTRUCTIVE, HOST),
    ("docker system prune -af", "docker.system.prune", Risk.DESTRUCTIVE, HOST),
    ("docker rm -v web", "docker.rm.volumes", Risk.DESTRUCTIVE, "docker:container:web"),
    ("docker rm -f $IDS", "docker.rm.computed", Risk.DESTRUCTIVE,
     "docker:container:$?"),
    ("docker container rm -fv web", "docker.rm.volumes", Risk.DESTRUCTIVE,
     "docker:container:web"),
    ("docker stack rm prod", "docker.stack.rm", Risk.DESTRUCTIVE, "docker:stack:prod"),
    # catastrophic
    ("docker volume prune -a -f", "docker.volume.prune.all", Risk.CATASTROPHIC, HOST),
    ("docker system prune -a --volumes", "docker.system.prune.volumes", Risk.CATASTROPHIC, HOST),
    ("docker system prune --all --force --volumes", "docker.system.prune.volumes",
     Risk.CATASTROPHIC, HOST),
    # global options before the command, --opt=value forms
    ("docker --context prod volume rm pgdata", "docker.volume.rm", Risk.DESTRUCTIVE,
     "docker:volume:pgdata"),
    ("docker -H ssh://prod --log-level=debug rm -v web", "docker.rm.volumes", Risk.DESTRUCTIVE,
     "docker:container:web"),
    ("docker --context=prod ps", "docker.ps", Risk.READ, "docker:host:prod"),
    # compose
    ("docker compose -p shop ps", "compose.ps", Risk.READ, "docker:compose:shop"),
    ("docker compose -p shop logs -f web", "compose.logs", Risk.READ, "docker:compose:shop"),
    ("docker compose -p shop down --help", "compose.help", Risk.READ, "docker:compose:shop"),
    ("docker compose -p shop up -d", "compose.up", Risk.WRITE, "docker:compose:shop"),
    ("docker compose -p shop down", "compose.down", Risk.WRITE, "docker:compose:shop"),
    ("docker compose -p shop run web rm -rf /data --help", "compose.run", Risk.WRITE,
     "docker:compose:shop"),
    ("docker compose -p shop rm -f -s web", "compose.rm", Risk.WRITE, "docker:compose:shop"),
    ("docker compose -p shop down -v", "compose.down.volumes", Risk.DESTRUCTIVE,
     "docker:compose:shop"),
    ("docker compose --project-name=shop down --volumes --rmi all", "compose.down.volumes",
     Risk.DESTRUCTIVE, "docker:compose:shop"),
    ("docker-compose -f deploy/prod/docker-compose.yml down -v", "compose.down.volumes",
     Risk.DESTRUCTIVE, "docker:compose:prod"),
    ("docker-compose -p shop up -d -V", "compose.up.renew-volumes", Risk.DESTRUCTIVE,
     "docker:compose:shop"),
    # podman
    ("podman ps", "podman.ps", Risk.READ, "podman:host:default"),
    ("podman volume rm data", "podman.volume.rm", Risk.DESTRUCTIVE, "podman:volume:data"),
    ("podman system reset -f", "podman.system.reset", Risk.CATASTROPHIC, "podman:host:default"),
    ("podman machine rm -f", "podman.machine.rm", Risk.CATASTROPHIC, "podman:machine:$?"),
    ("podman compose -p shop down -v", "compose.down.volumes", Risk.DESTRUCTIVE,
     "podman:compose:shop"),
    ("podman-compose -p shop down", "compose.down", Risk.WRITE, "podman:compose:shop"),
    # another machine's engine: nothing recreates the container
    ("docker -H ssh://deploy@web-1 rm -f api", "docker.rm", Risk.DESTRUCTIVE,
     "docker:host:ssh://deploy@web-1/container/api"),
    ("docker --context prod stop api", "docker.stop", Risk.DESTRUCTIVE,
     "docker:host:prod/container/api"),
    ("docker --context desktop-linux stop api", "docker.stop", Risk.WRITE,
     "docker:container:api"),
    ("docker -H unix:///var/run/docker.sock kill api", "docker.kill", Risk.WRITE,
     "docker:container:api"),
    ("docker -H tcp://127.0.0.1:2375 rm api", "docker.rm", Risk.WRITE, "docker:container:api"),
]  # fmt: skip


@pytest.mark.parametrize(("line", "verb", "risk", "locator"), CASES, ids=[c[0] for c in CASES])
def test_verb_risk_and_locator(
    line: str, verb: str, risk: Risk, locator: str, tmp_path: Path
) -> None:
    target = worst(classify(line, tmp_path))
    assert (target.verb, target.risk, target.locator.replace(DYNAMIC, "$?")) == (
        verb,
        risk,
        locator,
    )
    if target.risk >= Risk.DESTRUCTIVE:
        assert not target.reversible


def test_context_or_host_goes_in_the_detail(tmp_path: Path) -> None:
    assert "context prod" in classify("docker --context prod volume rm v", tmp_path)[0].detail
    target = classify("docker rm -f web", tmp_path, env={"DOCKER_HOST": "ssh://prod"})[0]
    assert "host ssh://prod" in target.detail


def test_compose_project_is_named_after_the_directory(tmp_path: Path) -> None:
    cwd = tmp_path / "My Shop"
    target = classify("docker compose down -v", tmp_path, cwd=cwd)[0]
    assert target.locator == "docker:compose:myshop"
    assert target.kind == "project"


def test_compose_project_from_the_environment(tmp_path: Path) -> None:
    env = {"COMPOSE_PROJECT_NAME": "prod"}
    assert classify("docker-compose down -v", tmp_path, env)[0].locator == "docker:compose:prod"


def test_every_removed_volume_is_a_target(tmp_path: Path) -> None:
    targets = classify("docker volume rm a b", tmp_path)
    assert [(t.kind, t.locator) for t in targets] == [
        ("volume", "docker:volume:a"),
        ("volume", "docker:volume:b"),
    ]


def test_variable_volume_is_unresolved(tmp_path: Path) -> None:
    target = classify("docker volume rm $VOL", tmp_path)[0]
    assert target.unresolved
    assert target.risk == Risk.DESTRUCTIVE


def test_run_hostname_option_is_not_help(tmp_path: Path) -> None:
    target = classify("docker run -h web --rm alpine true", tmp_path)[0]
    assert target.risk == Risk.WRITE
    assert target.verb == "docker.run"
