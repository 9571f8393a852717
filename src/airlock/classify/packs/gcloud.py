"""Google Cloud: ``gcloud``, ``gsutil`` and ``bq``.

``gcloud`` commands are a path of groups, a command word, then the resource name
(``gcloud compute instances delete NAME --zone Z``). A few dozen rules name the
commands whose risk differs from their shape (a Cloud SQL instance, a project, a GKE
cluster are catastrophic to delete); everything else is classified by its command
word wherever it stands (``delete`` → destructive, ``list``/``describe`` → read,
``create``/``update``/``deploy`` → write). That shape is shared with ``az`` and
``doctl``: :class:`TreePack` implements it for all three.

Risk choices:

- Deleting a Compute Engine instance is catastrophic: its boot disk is deleted with it
  by default, like ``aws ec2 terminate-instances``; with ``--keep-disks=boot|all`` it is
  destructive.
- ``gcloud storage rm -r gs://b`` and ``gsutil rm -r gs://b`` remove every object *and
  the bucket*: catastrophic, and so is ``rm -r gs://b/**`` (every object). Under a
  prefix (``gs://b/logs``) they are destructive.
- ``--help``/``-h`` is read everywhere, except for ``gsutil``, whose ``-h`` sets a
  header (``gsutil -h "Cache-Control:…" cp``).
- ``bq rm -r`` drops a dataset with every table in it: catastrophic. Dropping one table
  is destructive (BigQuery time travel can restore it for a few days).
- ``gcloud secrets delete`` deletes every version at once, with no recovery window:
  catastrophic, like ``aws secretsmanager delete-secret --force-delete-without-recovery``.
- ``bq query`` and ``gcloud spanner databases execute-sql`` carry SQL that this pack
  does not parse: write, with a detail saying so.

Locators are ``gcp:<service>:<name>`` (``gcp:sql:prod-db``, ``gcp:storage:my-bucket``,
``gcp:bigquery:proj:dataset.table``); the project, zone and region go in the detail.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from airlock.action import Risk, Target
from airlock.classify.command import (
    DYNAMIC,
    ClassifyContext,
    SimpleCommand,
    Word,
    split_options,
)
from airlock.classify.packs.base import Pack, Rule, rule

Options = dict[str, list[Word | None]]


# -- helpers shared by the tree-shaped packs (gcloud, az, doctl) ---------------------------


def split_args(args: Sequence[Word], takes_value: frozenset[str]) -> tuple[list[Word], Options]:
    """:func:`split_options`, plus two things the packs rely on.

    - ``--opt=$X`` (a static option name with a dynamic value) is an option, not a
      positional: only its value is unknown.
    - Every option with a value also appears as ``--opt=value`` (lower case), so a rule
      can require a value with ``flags=("--mode=complete",)``. A dynamic value appears as
      ``--opt=$?``, for rules that take the worst case.
    """
    positionals, options = split_options(args, takes_value)
    kept: list[Word] = []
    for w in positionals:
        name, eq, value = w.text.partition("=")
        if w.dynamic and eq and name.startswith("-") and DYNAMIC not in name:
            options.setdefault(name, []).append(Word(value, dynamic=DYNAMIC in value))
        else:
            kept.append(w)
    return kept, with_values(options)


def flagset(text: str) -> frozenset[str]:
    """``flagset("--project --zone -n")``: a pack's options that take a value."""
    return frozenset(text.split())


def with_values(options: Options) -> Options:
    out: Options = {k: list(v) for k, v in options.items()}
    for name, values in options.items():
        for v in values:
            if v is not None:
                key = f"{name}=$?" if v.dynamic else f"{name}={v.text.lower()}"
                out.setdefault(key, []).append(v)
    return out


def option_value(options: Options, names: str) -> Word | None:
    """The last value given to any of ``names`` (``"--project|-p"``)."""
    found: Word | None = None
    for name in names.split("|"):
        for v in options.get(name, []):
            if v is not None:
                found = v
    return found


def env_value(cmd: SimpleCommand, ctx: ClassifyContext, names: str) -> Word | None:
    """A variable set on the command line (``X=1 cmd``) or known in the context."""
    for name in names.split("|"):
        if name in cmd.env:
            return cmd.env[name]
        if name in ctx.environ:
            return Word(ctx.environ[name])
    return None


def context_detail(
    specs: Sequence[tuple[str, str, str]],
    cmd: SimpleCommand,
    options: Options,
    ctx: ClassifyContext,
) -> str:
    """``"project p1, zone z"`` from ``(label, options, environment variables)`` specs."""
    parts = []
    for label, opts, envs in specs:
        value = (option_value(options, opts) if opts else None) or (
            env_value(cmd, ctx, envs) if envs else None
        )
        if value is not None:
            parts.append(f"{label} {value.shown}")
    return ", ".join(parts)


def finish(targets: list[Target], extra: str) -> list[Target]:
    """Mark targets whose locator holds unknown text as unresolved; append ``extra``."""
    for t in targets:
        if DYNAMIC in t.locator:
            t.unresolved = True
        if extra:
            t.detail = f"{t.detail}; {extra}" if t.detail else extra
    return targets


def singular(word: str) -> str:
    """``instances`` → ``instance``, ``policies`` → ``policy``, ``addresses`` → ``address``."""
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "xes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith("ss") and len(word) > 3:
        return word[:-1]
    return word


def _names(spec: str, rule: Rule, positionals: Sequence[Word], options: Options) -> bool:
    """Whether a target spec finds any name in this command."""
    if spec.startswith("arg:"):
        return len(rule.when) + int(spec[4:]) < len(positionals)
    if spec == "args":
        return len(positionals) > len(rule.when)
    if spec.startswith("opt:"):
        return _given(options, spec[4:])
    return True


def _given(options: Options, names: str) -> bool:
    return any(v is not None for n in names.split("|") for v in options.get(n, []))


def _fill(template: str, subs: dict[str, str]) -> str:
    for key, value in subs.items():
        template = template.replace(key, value)
    return template


@dataclass
class TreePack(Pack):
    """A CLI shaped ``GROUP... COMMAND [NAME] [--flags]`` (gcloud, az, doctl).

    ``rules`` are tried first against the whole command; then ``leaf_rules`` are tried at
    each position in turn, so ``rule(..., "delete")`` matches whatever group path stands
    before it. Verbs, kinds and locators may use ``{cmd}`` (the tool and the matched
    words, dotted), ``{service}`` (the first word), ``{path}`` (the words before the
    command word, joined by ``-``) and ``{kind}`` (the rule's kind, else the last group
    word made singular). ``locator`` is the template for a rule that names a target,
    ``wide_locator`` for one that does not (a listing: the whole service).
    """

    leaf_rules: tuple[Rule, ...] = ()
    skip_words: frozenset[str] = frozenset()  # leading words that change nothing: "beta"
    aliases: dict[str, str] = field(default_factory=dict)  # "k8s" → "kubernetes"
    locator: str = ""  # "gcp:{service}:{name}"
    wide_locator: str = ""  # "gcp:{service}:*"
    context: tuple[tuple[str, str, str], ...] = ()  # (label, options, env vars) for detail
    fallback: str = ""  # "opt:--resource-group|-g": the target when a rule's options are absent
    fallback_locator: str = ""

    def normalize(self, positionals: list[Word]) -> list[Word]:
        """Drop ``skip_words`` in front, then apply ``aliases`` to leading words."""
        while (
            positionals and not positionals[0].dynamic and (positionals[0].text in self.skip_words)
        ):
            positionals = positionals[1:]
        for i in range(min(len(positionals), 3)):
            if positionals[i].dynamic:
                break
            key = " ".join(w.text for w in positionals[: i + 1])
            if key in self.aliases:
                words = [Word(t) for t in self.aliases[key].split()]
                positionals = [*words, *positionals[i + 1 :]]
        return positionals

    def classify(self, cmd: SimpleCommand, ctx: ClassifyContext) -> list[Target]:
        positionals, options = split_args(cmd.args, self.takes_value)
        positionals = self.normalize(positionals)
        for r in self.all_rules():
            if r.matches(positionals, options):
                return self.targets_for(r, cmd, positionals, options, ctx)
        for i in range(len(positionals)):
            for r in self.leaf_rules:
                if r.matches(positionals[i:], options):
                    path = tuple(w.text for w in positionals[:i])
                    leaf = replace(r, when=path + r.when)
                    return self.targets_for(leaf, cmd, positionals, options, ctx)
        fallback = self.default or Rule(verb=f"{self.name}.other", risk=Risk.WRITE)
        return self.targets_for(fallback, cmd, positionals, options, ctx)

    def targets_for(
        self,
        rule: Rule,
        cmd: SimpleCommand,
        positionals: Sequence[Word],
        options: Options,
        ctx: ClassifyContext,
    ) -> list[Target]:
        matched = [w.text for w in positionals[: len(rule.when)]]
        path = matched[:-1]
        service = positionals[0].text if positionals else self.name
        kind = rule.kind or (singular(path[-1]) if path else self.kind)
        subs = {
            "{cmd}": ".".join([self.name, *matched]),
            "{service}": service,
            "{path}": "-".join(path) or service,
            "{kind}": kind,
        }
        target = rule.target
        template = rule.locator or self.locator
        if (
            self.fallback
            and target.startswith("opt:")
            and not _given(options, target[4:])
            and _given(options, self.fallback[4:])
        ):
            target, kind, template = self.fallback, "resource-group", self.fallback_locator
        if target.startswith("arg:-") and target[5:].isdigit():
            # counted from the end: "arg:-1" is the last positional (a copy's destination)
            rest = len(positionals) - len(rule.when)
            target = f"arg:{rest - int(target[5:]) if rest else 0}"
        if (
            target
            and rule.risk < Risk.DESTRUCTIVE
            and not _names(target, rule, positionals, options)
        ):
            target = ""  # a read or write that names nothing acts on the service
        if not target:
            # the service (or the group) as a whole
            target = "const:" + (
                " ".join(path) or (positionals[0].shown if positionals else self.name)
            )
            template = (rule.locator if not rule.target else "") or self.wide_locator
        specialised = replace(
            rule,
            verb=_fill(rule.verb, subs),
            kind=kind,
            target=target,
            locator=_fill(template, subs),
        )
        targets = super().targets_for(specialised, cmd, positionals, options, ctx)
        return finish(targets, context_detail(self.context, cmd, options, ctx))


# -- gcloud -----------------------------------------------------------------------------------


def bucket_urls(positionals: list[Word], scheme: str) -> list[Word]:
    """Normalise bucket URLs so rules can tell a whole bucket from a prefix in it.

    ``gs://b`` and ``gs://b/`` become ``gs://b/`` (the bucket root, matched by the pattern
    ``gs://*/``); a deeper URL loses its trailing slashes, so it never ends in ``/``.
    """
    out = []
    for w in positionals:
        t = w.text
        if t.startswith(scheme) and len(t) > len(scheme):
            rest = t[len(scheme) :].rstrip("/")
            bucket, _, key = rest.partition("/")
            if w.glob and key.strip("*") == "":
                rest = bucket  # gs://b/* or gs://b/**: everything in the bucket
            t = scheme + rest + ("/" if rest and "/" not in rest else "")
            w = Word(t, w.dynamic, w.glob)
        out.append(w)
    return out


def url_or_path(t: Target, scheme: str, prefix: str, ctx: ClassifyContext) -> None:
    """Point a target named by a bucket URL at its bucket (``gs://b/k`` → ``gcp:storage:b``),
    and one named by a local path (the other end of a copy) at that path."""
    if t.locator.startswith(scheme):
        t.locator = prefix + t.locator[len(scheme) :].split("/", 1)[0]
        t.kind = t.kind or "object"
    elif DYNAMIC in t.locator:
        t.locator = prefix + t.locator  # unknown text: unresolved, worst case applies
        t.kind = t.kind or "object"
    else:
        t.locator = ctx.abspath(t.locator)
        t.kind = "path"


@dataclass
class GcloudPack(TreePack):
    """:class:`TreePack` that knows ``gs://`` URLs: a rule with ``locator="{url}"`` gets
    the bucket's locator for a URL and the absolute path for a local file."""

    def normalize(self, positionals: list[Word]) -> list[Word]:
        return bucket_urls(super().normalize(positionals), "gs://")

    def targets_for(
        self,
        rule: Rule,
        cmd: SimpleCommand,
        positionals: Sequence[Word],
        options: Options,
        ctx: ClassifyContext,
    ) -> list[Target]:
        if rule.locator != "{url}":
            return super().targets_for(rule, cmd, positionals, options, ctx)
        targets = super().targets_for(
            replace(rule, locator="{name}"), cmd, positionals, options, ctx
        )
        for t in targets:
            if not t.locator.endswith(":*"):  # not the service as a whole
                t.kind = rule.kind
                url_or_path(t, "gs://", "gcp:storage:", ctx)
        return targets


_GCLOUD_VALUES = flagset(
    "--project --account --configuration --billing-project --verbosity"
    " --impersonate-service-account --format --flatten --filter --sort-by --limit --page-size"
    " --zone --region --location --instance --database --cluster --image --source"
    " --trace-token --service --dataset --keyring --key --version --collection-ids --member"
    " --role --machine-type --network --subnet --tier --runtime --entry-point --memory"
    " --platform --namespace"
)

_GCLOUD_CONTEXT = (
    ("project", "--project", "CLOUDSDK_CORE_PROJECT"),
    ("zone", "--zone", "CLOUDSDK_COMPUTE_ZONE"),
    ("region", "--region", "CLOUDSDK_COMPUTE_REGION"),
    ("account", "--account|--impersonate-service-account", ""),
)

_HELP = rule("{cmd}.help", "read", flags="--help|-h")
_EMPTIES = "removes every object in the bucket (and, for a bare bucket URL, the bucket)"

_GCLOUD_RULES = (
    _HELP,
    rule("gcloud.help", "read", "help"),
    # Whole data stores and environments.
    rule("{cmd}", "catastrophic", "projects", "delete", target="arg:0", kind="project",
         locator="gcp:project:{name}"),
    rule("{cmd}", "catastrophic", "sql", "instances", "delete", target="arg:0", kind="database"),
    rule("{cmd}", "catastrophic", "sql", "databases", "delete", target="arg:0", kind="database"),
    rule("{cmd}", "destructive", "compute", "instances", "delete", target="args",
         flags="--keep-disks=all|--keep-disks=boot", kind="instance",
         detail="the boot disk is kept"),
    rule("{cmd}", "catastrophic", "compute", "instances", "delete", target="args",
         kind="instance", detail="boot disks are deleted with the instance by default"),
    rule("{cmd}", "catastrophic", "container", "clusters", "delete", target="arg:0",
         kind="cluster"),
    rule("{cmd}", "catastrophic", "spanner", "instances|databases", "delete", target="arg:0",
         kind="database"),
    rule("{cmd}", "catastrophic", "firestore", "databases", "delete", target="opt:--database",
         kind="database"),
    rule("{cmd}", "catastrophic", "bigtable", "instances|tables", "delete", target="arg:0",
         kind="database"),
    rule("{cmd}", "catastrophic", "alloydb", "clusters", "delete", target="arg:0", kind="cluster"),
    rule("{cmd}", "catastrophic", "filestore", "instances", "delete", target="arg:0",
         kind="filesystem"),
    rule("{cmd}", "catastrophic", "deployment-manager", "deployments", "delete",
         target="arg:0", kind="stack"),
    rule("{cmd}", "catastrophic", "kms", "keys", "versions", "destroy", target="arg:0",
         kind="key", detail="data encrypted under the key version becomes unreadable"),
    rule("{cmd}", "destructive", "firestore", "bulk-delete", target="opt:--collection-ids",
         kind="collection"),
    rule("{cmd}", "destructive", "sql", "backups", "delete", target="arg:0", kind="backup"),
    rule("{cmd}", "catastrophic", "secrets", "delete", target="arg:0", kind="secret",
         detail="every version is deleted at once; Secret Manager has no recovery window"),
    # Cloud Storage through gcloud.
    rule("gcloud.storage.rm.bucket", "catastrophic", "storage", "rm", flags="-r|-R|--recursive",
         args="gs://*/", target="args", kind="bucket", locator="{url}",
         detail=_EMPTIES),
    rule("gcloud.storage.rm.recursive", "destructive", "storage", "rm",
         flags="-r|-R|--recursive", target="args", kind="prefix", locator="{url}"),
    rule("gcloud.storage.rm", "destructive", "storage", "rm", target="args", kind="object",
         locator="{url}"),
    rule("gcloud.storage.rsync.delete", "destructive", "storage", "rsync",
         flags="--delete-unmatched-destination-objects", target="arg:-1", kind="prefix",
         locator="{url}", detail="deletes destination objects missing from the source"),
    rule("gcloud.storage.copy", "write", "storage", "cp|mv|rsync", target="arg:-1",
         locator="{url}"),
    rule("{cmd}", "read", "storage", "ls|cat|du|hash"),
    rule("{cmd}", "destructive", "storage", "buckets", "delete", target="args", kind="bucket",
         locator="{url}"),
    rule("{cmd}", "destructive", "storage", "objects", "delete", target="args", kind="object",
         locator="{url}"),
    # SQL this pack does not parse.
    rule("{cmd}", "write", "spanner", "databases", "execute-sql", target="arg:0",
         kind="database", detail="SQL not inspected"),
    # Local configuration and credentials.
    rule("{cmd}", "read", "config", "list|get-value|get|configurations"),
    rule("{cmd}", "write", "config", "set|unset"),
    rule("{cmd}", "read", "auth", "list|print-access-token|print-identity-token"),
    rule("{cmd}", "read", "info|version|topic"),
    rule("{cmd}", "write", "container", "clusters", "get-credentials", target="arg:0",
         kind="cluster", detail="writes a kubeconfig entry"),
)  # fmt: skip

_GCLOUD_LEAVES = (
    rule("{cmd}", "destructive", "delete|destroy|purge|bulk-delete", target="arg:0"),
    rule("{cmd}", "read",
         "list|list-*|describe|get-iam-policy|get-value|get-server-config|"
         "get-serial-port-output|read|tail|access|print-*|search*|lookup|wait|log|logs"),
    rule("{cmd}", "write",
         "create|update|deploy|patch|set|set-*|add-*|remove-*|delete-*|import|export|restore|"
         "resize|start|stop|reset|restart|suspend|resume|enable|disable|clone|promote*|"
         "failover|move|rollback|undelete|ssh|scp|connect", target="arg:0"),
)  # fmt: skip

_GSUTIL_RULES = (
    # gsutil's -h is a header (-h "Cache-Control:no-cache"), never help.
    rule("gsutil.help", "read", "help"),
    rule("gsutil.help", "read", flags="--help"),
    rule("gsutil.rm.bucket", "catastrophic", "rm", flags="-r|-R", args="gs://*/", target="args",
         kind="bucket", locator="{url}", detail=_EMPTIES),
    rule("gsutil.rm.recursive", "destructive", "rm", flags="-r|-R", target="args",
         kind="prefix", locator="{url}"),
    rule("gsutil.rm", "destructive", "rm", target="args", kind="object", locator="{url}"),
    rule("gsutil.rb", "destructive", "rb", target="args", kind="bucket", locator="{url}"),
    rule("gsutil.rsync.delete", "destructive", "rsync", flags="-d", target="arg:-1",
         kind="prefix", locator="{url}",
         detail="deletes destination objects missing from the source"),
    rule("gsutil.copy", "write", "cp|mv|rsync", target="arg:-1", locator="{url}"),
    rule("gsutil.mb", "write", "mb", target="args", kind="bucket", locator="{url}"),
    rule("gsutil.read", "read", "ls|cat|du|stat|hash|version|signurl|config"),
)  # fmt: skip

_BQ_RULES = (
    rule("bq.help", "read", "help"),
    rule("bq.help", "read", flags="--help"),
    rule("bq.rm.dataset.recursive", "catastrophic", "rm", flags="-r|--recursive", target="args",
         kind="dataset", locator="gcp:bigquery:{name}",
         detail="drops the dataset and every table in it"),
    rule("bq.rm.dataset", "destructive", "rm", flags="-d|--dataset", target="args",
         kind="dataset", locator="gcp:bigquery:{name}"),
    rule("bq.rm.model", "destructive", "rm", flags="-m|--model", target="args", kind="model",
         locator="gcp:bigquery:{name}"),
    rule("bq.rm.table", "destructive", "rm", target="args", kind="table",
         locator="gcp:bigquery:{name}", detail="time travel can restore it for a few days"),
    rule("bq.cp.overwrite", "destructive", "cp", flags="-f|--force", target="arg:-1",
         kind="table", locator="gcp:bigquery:{name}", detail="overwrites the destination"),
    rule("bq.load.replace", "destructive", "load", flags="--replace", target="arg:0",
         kind="table", locator="gcp:bigquery:{name}", detail="replaces the table's data"),
    rule("bq.query.replace", "destructive", "query", flags="--replace",
         target="opt:--destination_table", kind="table", locator="gcp:bigquery:{name}",
         detail="replaces the destination table; SQL not inspected"),
    rule("bq.query", "write", "query", detail="SQL not inspected"),
    rule("bq.read", "read", "ls|show|head|version|wait|get-iam-policy"),
    rule("{cmd}", "write", "mk|load|cp|insert|update|extract|truncate|undelete",
         target="arg:-1", kind="table", locator="gcp:bigquery:{name}"),
)  # fmt: skip

PACKS: list[Pack] = [
    GcloudPack(
        name="gcloud",
        programs=("gcloud",),
        rules=_GCLOUD_RULES,
        leaf_rules=_GCLOUD_LEAVES,
        kind="resource",
        takes_value=_GCLOUD_VALUES,
        default=rule("gcloud.other", "write"),
        skip_words=frozenset({"alpha", "beta", "preview"}),
        locator="gcp:{service}:{name}",
        wide_locator="gcp:{service}:*",
        context=_GCLOUD_CONTEXT,
        description="Google Cloud CLI",
    ),
    GcloudPack(
        name="gsutil",
        programs=("gsutil",),
        rules=_GSUTIL_RULES,
        kind="object",
        takes_value=flagset("-h -o -u -x -j -z -p -s -c"),
        default=rule("gsutil.other", "write"),
        locator="gcp:storage:{name}",
        wide_locator="gcp:storage:*",
        context=(("billing project", "-u", ""), ("project", "", "CLOUDSDK_CORE_PROJECT")),
        description="Cloud Storage (legacy CLI)",
    ),
    GcloudPack(
        name="bq",
        programs=("bq",),
        rules=_BQ_RULES,
        kind="table",
        takes_value=flagset(
            "--project_id --dataset_id --location --format --destination_table --max_rows -n"
            " --api --apilog --job_id --parameter --schema --source_format --expiration"
            " --description --label --field_delimiter --time_partitioning_field"
            " --time_partitioning_type --clustering_fields"
        ),
        default=rule("bq.other", "write"),
        locator="gcp:bigquery:{name}",
        wide_locator="gcp:bigquery:*",
        context=(
            ("project", "--project_id", "CLOUDSDK_CORE_PROJECT"),
            ("location", "--location", ""),
        ),
        description="BigQuery CLI",
    ),
]
