"""Containers: ``docker``, ``podman``, ``docker-compose``/``podman-compose`` and
``docker compose``/``podman compose``.

Options are read per command, as the engines do: options before the command are the
engine's (``--context``, ``-H``), options after it are the command's (``docker rm -f``
is force, ``docker ps -f`` a filter, ``docker run -h`` a hostname). For ``run``,
``create`` and ``exec``, parsing stops at the image or container: what follows is the
command run *inside* it, so a trailing ``--help`` there cannot make ``docker run``
look like a help request.

Risk choices:

- Volumes hold the data: ``volume rm`` and ``volume prune`` are destructive;
  ``volume prune -a`` also removes *named* unused volumes: catastrophic.
- ``system prune`` removes stopped containers, unused networks, dangling images and the
  build cache at once: destructive (a stopped container's writable layer may be the only
  copy of something). ``system prune --volumes`` also removes every volume no running
  container uses — a stopped database's data directory (an image ``VOLUME``, such as
  postgres's) included: catastrophic. ``podman system reset`` and ``podman machine rm``
  remove every container, image and volume: catastrophic.
- ``rm``/``rm -f``/``stop``/``kill`` are writes (a container is recreated from its
  image) on this machine's engine; on another machine's (``-H ssh://…``,
  ``DOCKER_HOST=tcp://…``, a ``--context`` that is not a local one) nothing recreates
  it and the service is down: destructive, on ``docker:host:<host>/container/<name>``.
  ``rm -v`` also removes the container's anonymous volumes: destructive. So is
  ``rm -f`` of containers named by a substitution (``$(docker ps -aq)``): it can be every
  container, running ones and whatever their writable layers hold included.
  Images and networks can be pulled or rebuilt: ``rmi``/``image prune`` are writes.
- ``compose down -v`` removes the project's volumes: destructive; ``compose down`` is a
  write; ``compose up -V`` recreates anonymous volumes empty: destructive.
- ``stack rm``, ``service rm``, ``secret rm`` take a running service (or its secret)
  away: destructive.

Locators: ``docker:<object>:<name>`` (``docker:volume:pgdata``,
``docker:container:web``, ``docker:image:nginx:1.25``, ``docker:compose:<project>``;
``podman:`` for podman). A command that names nothing acts on
``docker:host:<context>``; the context or host goes in the detail.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from airlock.action import Risk, Target
from airlock.classify.command import DYNAMIC, ClassifyContext, SimpleCommand, Word, split_options
from airlock.classify.packs.base import Pack, Rule, rule

Options = dict[str, list[Word | None]]


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_ENGINE_GLOBAL = _words(
    "-H --host -c --context --config -l --log-level --tlscacert --tlscert --tlskey"
    " --connection --url --identity --root --runroot --storage-driver --storage-opt"
    " --cgroup-manager --events-backend --runtime --tmpdir --module"
)
_RUN = _words(
    "-e --env --env-file -v --volume -p --publish --name -w --workdir -u --user --network"
    " --net --entrypoint -h --hostname -l --label --label-file --mount -m --memory --cpus"
    " --platform --restart --add-host --device --dns --log-driver --log-opt --ulimit"
    " --cap-add --cap-drop --security-opt --tmpfs --volumes-from --link --ip --gpus"
    " --shm-size --pid --ipc --stop-signal --stop-timeout --health-cmd --pull --cidfile -a"
    " --attach --expose --runtime --userns --uts --cgroupns --memory-swap --cpu-shares -c"
    " --cpuset-cpus --group-add --mac-address --network-alias --pod --secret --detach-keys"
)
_ENGINE_SUB = {
    "run": _RUN,
    "create": _RUN,
    "exec": _words("-e --env --env-file -u --user -w --workdir --detach-keys"),
    "build": _words(
        "-t --tag -f --file --build-arg --target --platform --cache-from --cache-to --secret"
        " --ssh --network --label --progress -o --output --iidfile --add-host --shm-size -m"
        " --memory --ulimit --build-context"
    ),
    "logs": _words("--since --until -n --tail"),
    "ps": _words("-f --filter --format -n --last"),
    "images": _words("-f --filter --format"),
    "ls": _words("-f --filter --format"),
    "prune": _words("--filter"),
    "stop": _words("-t --time -s --signal"),
    "restart": _words("-t --time -s --signal"),
    "kill": _words("-s --signal"),
    "pull": _words("--platform"),
    "commit": _words("-a --author -m --message -c --change"),
    "login": _words("-u --username -p --password"),
    "inspect": _words("-f --format --type"),
    "volume create": _words("-d --driver -o --opt --label"),
    "network create": _words("-d --driver --subnet --gateway --ip-range -o --opt --label"),
}
# Management commands: the command is two words (``docker volume rm``).
_MANAGEMENT = _words(
    "container image volume network system builder buildx context plugin swarm service"
    " stack secret config node trust manifest pod machine"
)
# Commands whose arguments after the first positional belong to the container.
_PASS_THROUGH = frozenset({"run", "create", "exec"})

_COMPOSE_GLOBAL = _words(
    "-f --file -p --project-name --project-directory --profile --env-file --ansi --progress"
    " --parallel"
)
_COMPOSE_SUB = {
    "up": _words("--scale -t --timeout --exit-code-from --attach --pull --wait-timeout"),
    "down": _words("--rmi -t --timeout"),
    "run": _words(
        "-e --env -l --label --name -p --publish -u --user -v --volume -w --workdir"
        " --entrypoint --env-file --cap-add --cap-drop"
    ),
    "exec": _words("-e --env -u --user -w --workdir --index"),
    "logs": _words("--since --until -n --tail"),
    "stop": _words("-t --timeout"),
    "restart": _words("-t --timeout"),
    "kill": _words("-s --signal"),
    "build": _words("--build-arg --ssh --progress"),
    "ps": _words("--filter --format --status"),
}
_COMPOSE_PASS_THROUGH = frozenset({"run", "exec"})


def _is_option(w: Word) -> bool:
    return len(w.text) > 1 and w.text.startswith("-") and DYNAMIC not in w.text.partition("=")[0]


def _merge(into: Options, more: Options) -> None:
    for name, values in more.items():
        into.setdefault(name, []).extend(values)


def split_engine(
    args: Sequence[Word],
    global_values: frozenset[str],
    sub_values: dict[str, frozenset[str]],
    management: frozenset[str],
    pass_through: frozenset[str],
) -> tuple[list[Word], Options]:
    """Engine options, then one or two command words, then that command's arguments."""
    i = 0
    leading: list[Word] = []
    while i < len(args) and _is_option(args[i]):
        leading.append(args[i])
        if args[i].text in global_values and "=" not in args[i].text and i + 1 < len(args):
            leading.append(args[i + 1])
            i += 1
        i += 1
    _, options = split_options(leading, global_values)
    words: list[Word] = []
    if i < len(args):
        words.append(args[i])
        i += 1
        if words[0].text in management and i < len(args) and not _is_option(args[i]):
            words.append(args[i])
            i += 1
    key = " ".join(w.text for w in words)
    last = words[-1].text if words else ""
    values = sub_values.get(key) or sub_values.get(last, frozenset())
    rest = list(args[i:])
    if last in pass_through:
        # options up to the image/container; the rest is the command run inside it
        j = 0
        while j < len(rest) and _is_option(rest[j]):
            has_value = rest[j].text in values and "=" not in rest[j].text
            j += 2 if has_value else 1
        own, inner = rest[:j], rest[j:]
        positionals, more = split_options(own, values)
        positionals += inner
    else:
        positionals, more = split_options(rest, values)
    if last in ("run", "create") and "-h" in more:
        more["--hostname"] = more.pop("-h")  # -h is the hostname here, not help
    _merge(options, more)
    return [*words, *positionals], options


def _normalise(positionals: list[Word]) -> list[Word]:
    """``container rm`` → ``rm``, ``image rm`` → ``rmi``, ``container ls`` → ``ps``..."""
    if len(positionals) < 2 or positionals[0].dynamic or positionals[1].dynamic:
        return positionals
    group, sub = positionals[0].text, positionals[1].text
    if group not in ("container", "image") or sub == "prune":
        return positionals
    renamed = {
        ("container", "remove"): "rm", ("container", "ls"): "ps", ("container", "list"): "ps",
        ("image", "rm"): "rmi", ("image", "remove"): "rmi", ("image", "ls"): "images",
        ("image", "list"): "images",
    }.get((group, sub), sub)  # fmt: skip
    return [Word(renamed), *positionals[2:]]


def _env(cmd: SimpleCommand, ctx: ClassifyContext, *names: str) -> str:
    for name in names:
        if name in cmd.env:
            return cmd.env[name].text
        if name in ctx.environ:
            return ctx.environ[name]
    return ""


def _last(options: Options, *names: str) -> str:
    found = ""
    for name in names:
        for v in options.get(name, []):
            if v is not None:
                found = v.text
    return found


def _finish(targets: list[Target], tool: str, sub: str, extra: str) -> list[Target]:
    for t in targets:
        t.verb = t.verb.replace("{tool}", tool).replace("{sub}", sub)
        if DYNAMIC in t.locator:
            t.unresolved = True
        if extra:
            t.detail = f"{t.detail}; {extra}" if t.detail else extra
    return targets


_COMPOSE_RULES = (
    rule("compose.help", "read", flags="--help|-h"),
    rule("compose.dry-run", "read", flags="--dry-run", detail="dry run"),
    rule("compose.down.volumes", "destructive", "down", flags="-v|--volumes",
         detail="removes the project's volumes"),
    rule("compose.down", "write", "down"),
    rule("compose.rm.volumes", "destructive", "rm", flags="-v|--volumes",
         detail="removes the services' anonymous volumes"),
    rule("compose.up.renew-volumes", "destructive", "up", flags="-V|--renew-anon-volumes",
         detail="recreates anonymous volumes empty"),
    rule("compose.{sub}", "read",
         "ps|logs|config|images|ls|top|version|port|events|convert|stats|ls"),
    rule("compose.{sub}", "write",
         "up|run|exec|build|pull|push|start|stop|restart|kill|create|pause|unpause|rm|cp|"
         "scale|watch|attach|wait"),
)  # fmt: skip


@dataclass
class ComposePack(Pack):
    """docker-compose / podman-compose / ``docker compose``: everything acts on a project."""

    engine: str = "docker"

    def classify(self, cmd: SimpleCommand, ctx: ClassifyContext) -> list[Target]:
        return self.classify_args(cmd, cmd.args, ctx, {})

    def classify_args(
        self,
        cmd: SimpleCommand,
        args: Sequence[Word],
        ctx: ClassifyContext,
        engine_options: Options,
    ) -> list[Target]:
        positionals, options = split_engine(
            args, _COMPOSE_GLOBAL, _COMPOSE_SUB, frozenset(), _COMPOSE_PASS_THROUGH
        )
        chosen = next((r for r in self.all_rules() if r.matches(positionals, options)), None)
        chosen = chosen or self.default or Rule("compose.other", Risk.WRITE)
        targets = self.targets_for(chosen, cmd, positionals, options, ctx)
        sub = positionals[0].shown if positionals else ""
        where = _last(engine_options, "--context", "-c", "-H", "--host", "--connection")
        return _finish(targets, self.engine, sub, f"{self.engine} {where}" if where else "")

    def base_locator(
        self, cmd: SimpleCommand, options: Options, ctx: ClassifyContext
    ) -> tuple[str, str]:
        project = _last(options, "-p", "--project-name") or _env(cmd, ctx, "COMPOSE_PROJECT_NAME")
        if not project:
            directory = _last(options, "--project-directory")
            compose_file = _last(options, "-f", "--file")
            if directory:
                project = os.path.basename(ctx.abspath(directory))
            elif compose_file:
                project = os.path.basename(os.path.dirname(ctx.abspath(compose_file)))
            else:
                project = os.path.basename(os.path.normpath(ctx.cwd))
            # compose's own normalisation of a directory name
            project = re.sub(r"[^a-z0-9_\-\x00?]", "", project.lower())
        return project.replace(DYNAMIC, "$?"), f"{self.engine}:compose:{project}"


def _engine_rules() -> tuple[Rule, ...]:
    vol, ctr, img = "{tool}:volume:{name}", "{tool}:container:{name}", "{tool}:image:{name}"
    return (
        rule("{tool}.help", "read", flags="--help|-h"),
        # volumes: the data
        rule("{tool}.volume.rm", "destructive", "volume", "rm|remove", target="args",
             kind="volume", locator=vol),
        rule("{tool}.volume.prune.all", "catastrophic", "volume", "prune", flags="-a|--all",
             kind="volume", detail="every unused volume, named ones included"),
        rule("{tool}.volume.prune", "destructive", "volume", "prune", kind="volume",
             detail="every unused anonymous volume"),
        rule("{tool}.system.prune.volumes", "catastrophic", "system", "prune", flags="--volumes",
             detail="also every volume no running container uses"),
        rule("{tool}.system.prune", "destructive", "system", "prune",
             detail="stopped containers, unused networks, dangling images, build cache"),
        rule("{tool}.system.reset", "catastrophic", "system", "reset",
             detail="every container, image and volume"),
        rule("{tool}.machine.rm", "catastrophic", "machine", "rm|remove", target="args",
             kind="machine", locator="{tool}:machine:{name}",
             detail="every container, image and volume in the machine"),
        # containers
        rule("{tool}.rm.volumes", "destructive", "rm", flags="-v|--volumes", target="args",
             kind="container", locator=ctr, detail="also removes its anonymous volumes"),
        rule("{tool}.rm.computed", "destructive", "rm", flags="-f|--force", args="$?",
             target="args", kind="container", locator=ctr,
             detail="force-removes containers we cannot name (maybe all of them)"),
        rule("{tool}.rm", "write", "rm", target="args", kind="container", locator=ctr),
        rule("{tool}.{sub}", "write",
             "stop|kill|restart|pause|unpause|start|rename|update|exec|attach|commit",
             target="arg:0", kind="container", locator=ctr),
        rule("{tool}.{sub}", "write", "run|create", target="arg:0", kind="image", locator=img),
        # images, networks, caches: can be pulled or rebuilt
        rule("{tool}.rmi", "write", "rmi", target="args", kind="image", locator=img),
        rule("{tool}.{sub}", "write", "pull|push|tag", target="arg:0", kind="image", locator=img),
        rule("{tool}.{sub}", "write", "image|container|network|builder|buildx", "prune"),
        rule("{tool}.{sub}", "write", "network", "rm|remove|create|connect|disconnect",
             target="arg:0", kind="network", locator="{tool}:network:{name}"),
        rule("{tool}.build", "write", "build"),
        rule("{tool}.build", "write", "buildx|builder", "build|bake"),
        # orchestrated services
        rule("{tool}.stack.rm", "destructive", "stack", "rm|remove|down", target="args",
             kind="stack", locator="{tool}:stack:{name}"),
        rule("{tool}.service.rm", "destructive", "service", "rm|remove", target="args",
             kind="service", locator="{tool}:service:{name}"),
        rule("{tool}.secret.rm", "destructive", "secret", "rm|remove", target="args",
             kind="secret", locator="{tool}:secret:{name}"),
        rule("{tool}.swarm.leave", "destructive", "swarm", "leave", flags="-f|--force",
             detail="a manager leaving can lose the swarm"),
        rule("{tool}.context.use", "write", "context", "use", target="arg:0", kind="context",
             locator="{tool}:host:{name}"),
        # reads
        rule("{tool}.{sub}", "read",
             "ps|images|logs|inspect|version|info|stats|top|port|diff|history|events|search|"
             "save|export|wait"),
        rule("{tool}.{sub}", "read",
             "volume|network|context|image|container|plugin|node|service|stack|secret|config|"
             "system|builder|buildx|manifest|pod|machine|trust",
             "ls|list|inspect|df|info|ps|logs|events|du|show"),
    )  # fmt: skip


_TAKES_DOWN = frozenset({"rm", "stop", "kill"})
# engines on this machine: a named context of a local VM, a socket
_LOCAL_ENGINES = frozenset({"default", "desktop-linux", "desktop-windows", "colima",
                            "orbstack", "rootless", "podman-machine-default", "rancher-desktop",
                            "lima", "minikube"})


def _remote_engine(where: str) -> bool:
    """Whether the engine a command talks to is another machine's (``-H ssh://…``,
    ``DOCKER_HOST=tcp://…``, a context Airlock does not know to be local)."""
    if not where or where in _LOCAL_ENGINES or where.startswith(("unix://", "npipe://", "/")):
        return False
    for scheme in ("ssh://", "tcp://", "http://", "https://"):
        if where.startswith(scheme):
            host = where[len(scheme):].rsplit("@", 1)[-1].split("/", 1)[0]
            return host.rsplit(":", 1)[0].strip("[]") not in ("localhost", "127.0.0.1", "::1")
    return True


@dataclass
class EnginePack(Pack):
    """docker / podman."""

    compose: ComposePack | None = None
    context_env: tuple[str, ...] = ()
    rules: tuple[Rule, ...] = field(default_factory=_engine_rules)

    def classify(self, cmd: SimpleCommand, ctx: ClassifyContext) -> list[Target]:
        positionals, options = split_engine(
            cmd.args, _ENGINE_GLOBAL, _ENGINE_SUB, _MANAGEMENT, _PASS_THROUGH
        )
        if positionals and positionals[0].text == "compose" and self.compose is not None:
            at = next(i for i, w in enumerate(cmd.args) if w is positionals[0])
            return self.compose.classify_args(cmd, cmd.args[at + 1 :], ctx, options)
        positionals = _normalise(positionals)
        chosen = next((r for r in self.all_rules() if r.matches(positionals, options)), None)
        chosen = chosen or self.default or Rule(f"{self.name}.other", Risk.WRITE)
        tool = self.name
        chosen = replace(chosen, locator=chosen.locator.replace("{tool}", tool))
        targets = self.targets_for(chosen, cmd, positionals, options, ctx)
        sub = ".".join(w.shown for w in positionals[: len(chosen.when)]) or "other"
        where, detail = self.where(cmd, options, ctx)
        if sub in _TAKES_DOWN and _remote_engine(where):
            # on a server's engine nothing recreates the container: the service is down
            for t in targets:
                if t.kind == "container" and t.risk < Risk.DESTRUCTIVE:
                    t.risk = Risk.DESTRUCTIVE
                    t.reversible = False
                    t.locator = f"{tool}:host:{where}/container/{t.name}"
                    t.detail = "a container on a remote engine: the service it runs goes down"
        return _finish(targets, tool, sub, detail)

    def where(self, cmd: SimpleCommand, options: Options, ctx: ClassifyContext) -> tuple[str, str]:
        """(context name, detail): which engine the command talks to."""
        context = _last(options, "--context", "-c", "--connection")
        host = _last(options, "-H", "--host", "--url")
        context = context or _env(cmd, ctx, *self.context_env[:1])
        host = host or _env(cmd, ctx, *self.context_env[1:])
        detail = ", ".join(
            x for x in (context and f"context {context}", host and f"host {host}") if x
        )
        return context or host or "default", detail.replace(DYNAMIC, "$?")

    def base_locator(
        self, cmd: SimpleCommand, options: Options, ctx: ClassifyContext
    ) -> tuple[str, str]:
        name, _ = self.where(cmd, options, ctx)
        return name.replace(DYNAMIC, "$?"), f"{self.name}:host:{name}"


PACKS: list[Pack] = [
    EnginePack(
        name="docker",
        programs=("docker",),
        kind="host",
        default=rule("docker.other", "write"),
        compose=ComposePack(
            name="docker-compose", programs=(), rules=_COMPOSE_RULES, kind="project"
        ),
        context_env=("DOCKER_CONTEXT", "DOCKER_HOST"),
        description="Docker engine CLI",
    ),
    EnginePack(
        name="podman",
        programs=("podman",),
        kind="host",
        default=rule("podman.other", "write"),
        compose=ComposePack(
            name="podman-compose",
            programs=(),
            rules=_COMPOSE_RULES,
            kind="project",
            engine="podman",
        ),
        context_env=("CONTAINER_CONNECTION", "CONTAINER_HOST"),
        description="Podman CLI",
    ),
    ComposePack(
        name="docker-compose",
        programs=("docker-compose",),
        rules=_COMPOSE_RULES,
        kind="project",
        default=rule("compose.other", "write"),
        description="Docker Compose (standalone)",
    ),
    ComposePack(
        name="podman-compose",
        programs=("podman-compose",),
        rules=_COMPOSE_RULES,
        kind="project",
        default=rule("compose.other", "write"),
        engine="podman",
        description="Podman Compose",
    ),
]
