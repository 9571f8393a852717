"""Edge and app platforms: ``wrangler`` (Cloudflare Workers) and ``firebase``.

Risk choices:

- wrangler: deleting a D1 database, a KV namespace or key, an R2 bucket or object, a
  queue, a Vectorize index, a Pages project or deployment, a secret, or the Worker
  itself (``wrangler delete``): destructive. ``d1 time-travel restore`` rewinds the
  database: destructive. ``d1 execute --command``/``--file`` is SQLite: each
  statement is classified by the SQL classifier (``DROP``/``DELETE`` destructive,
  ``SELECT`` read); with ``--local`` it acts on the local copy (``cloudflare:local``).
  ``deploy``, ``secret put``, ``kv key put`` are writes.
- firebase: ``firestore:delete --all-collections`` empties the database: catastrophic.
  ``firestore:delete``, ``database:remove``, ``database:set`` (overwrites
  the path), ``hosting:disable``, ``functions:delete``, ``hosting:channel:delete``,
  ``ext:uninstall``, ``auth:import`` over existing users, ``deploy --force`` (deletes
  functions missing from the source without asking): destructive. ``deploy`` is a write.

Locators: ``cloudflare:<kind>:<name>`` (``cloudflare:d1:prod-db``,
``cloudflare:r2:bucket/key``, ``cloudflare:worker:<name>``);
``firebase:project:<project>`` (``-P/--project`` or ``GCLOUD_PROJECT``), a part of it
under it (``firebase:project:<p>/firestore/<path>``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from airlock.action import Risk, Target
from airlock.classify.command import ClassifyContext, SimpleCommand, Word
from airlock.classify.packs.base import Pack, Rule, rule
from airlock.classify.packs.gcloud import flagset
from airlock.classify.packs.toolpack import Options, ToolPack, value_of
from airlock.classify.sql import classify_sql

_CF = "cloudflare:{group}:{name}"

_WRANGLER_RULES = (
    rule("wrangler.help", "read", flags="--help|-h|--version|-v"),
    rule("wrangler.help", "read", "help|version"),
    rule("wrangler.{sub}", "read", "whoami|docs|types|tail|telemetry|check"),
    rule("wrangler.d1.execute", "destructive", "d1", "execute", target="arg:0", kind="database",
         locator="cloudflare:d1:{name}"),  # replaced by the SQL's own targets
    rule("wrangler.d1.delete", "destructive", "d1", "delete", target="arg:0", kind="database",
         locator="cloudflare:d1:{name}"),
    rule("wrangler.d1.time-travel.restore", "destructive", "d1", "time-travel", "restore",
         target="arg:0", kind="database", locator="cloudflare:d1:{name}"),
    rule("wrangler.{sub}", "destructive", "kv|kv:namespace", "namespace", "delete",
         target="opt:--namespace-id|--binding", kind="kv-namespace",
         locator="cloudflare:kv:{name}"),
    rule("wrangler.{sub}", "destructive", "kv:namespace", "delete",
         target="opt:--namespace-id|--binding", kind="kv-namespace",
         locator="cloudflare:kv:{name}"),
    rule("wrangler.{sub}", "destructive", "kv", "key|bulk", "delete", target="arg:0",
         kind="kv-key", locator="cloudflare:kv:{name}"),
    rule("wrangler.{sub}", "destructive", "kv:key|kv:bulk", "delete", target="arg:0",
         kind="kv-key", locator="cloudflare:kv:{name}"),
    rule("wrangler.{sub}", "destructive", "r2", "bucket|object", "delete", target="arg:0",
         kind="bucket", locator="cloudflare:r2:{name}"),
    rule("wrangler.{sub}", "destructive", "queues|vectorize|hyperdrive|workflows|pipelines|"
         "dispatch-namespace|mtls-certificate|cert", "delete", target="arg:0", kind="{kind}",
         locator=_CF),
    rule("wrangler.{sub}", "destructive", "pages", "project|deployment", "delete",
         target="arg:0", kind="pages", locator="cloudflare:pages:{name}"),
    rule("wrangler.{sub}", "destructive", "secret|secret:bulk", "delete", target="arg:0",
         kind="secret", locator="cloudflare:secret:{name}"),
    rule("wrangler.delete", "destructive", "delete", target="arg:0", kind="worker",
         locator="cloudflare:worker:{name}", detail="the Worker and its routes are removed"),
    rule("wrangler.delete", "destructive", "delete", kind="worker", target="opt:--name",
         locator="cloudflare:worker:{name}", detail="the Worker and its routes are removed"),
    rule("wrangler.{sub}", "read", "*", "list|info|get|export|insights|status|view"),
    rule("wrangler.{sub}", "read", "*", "*", "list|get|info|status"),
    rule("wrangler.{sub}", "read", "dev|deployments|versions"),
    rule("wrangler.{sub}", "write", "*", "*", target="opt:--name", kind="worker",
         locator="cloudflare:worker:{name}"),
    rule("wrangler.{sub}", "write", "*", target="opt:--name", kind="worker",
         locator="cloudflare:worker:{name}"),
)  # fmt: skip


_FIREBASE_RULES = (
    rule("firebase.help", "read", flags="--help|-h|--version|-V"),
    rule("firebase.help", "read", "help|login|login:*|logout|use|open|init|emulators:*|serve|"
         "setup:*|target*|experiments:*"),
    rule("firebase.firestore.delete.all", "catastrophic", "firestore:delete",
         flags="--all-collections", target="const:*", kind="firestore",
         locator="firebase:project:{app}/firestore/{name}",
         detail="every document of every collection is deleted"),
    rule("firebase.firestore.delete", "destructive", "firestore:delete", target="arg:0",
         kind="firestore", locator="firebase:project:{app}/firestore/{name}",
         detail="documents are deleted"),
    rule("firebase.{sub}", "destructive", "database:remove|database:set", target="arg:0",
         kind="database", locator="firebase:project:{app}/database/{name}",
         detail="the data at the path is replaced"),
    rule("firebase.hosting.disable", "destructive", "hosting:disable", kind="project",
         detail="the site stops serving"),
    rule("firebase.functions.delete", "destructive", "functions:delete", target="args",
         kind="function", locator="firebase:project:{app}/function/{name}"),
    rule("firebase.{sub}", "destructive", "hosting:channel:delete|hosting:sites:delete|"
         "ext:uninstall|apphosting:backends:delete|apphosting:secrets:*|projects:delete|"
         "firestore:databases:delete|database:instances:delete|functions:secrets:destroy|"
         "functions:secrets:prune|remoteconfig:rollback|auth:import", target="arg:0",
         kind="{kind}", locator="firebase:project:{app}/{name}"),
    rule("firebase.deploy.force", "destructive", "deploy", flags="--force|-f", kind="project",
         detail="deletes functions and indexes missing from the source without asking"),
    rule("firebase.{sub}", "read", "*:list|*:get|*:versions:list|*:describe|*:log|*:sdkconfig|"
         "apps:*|projects:list|database:profile|auth:export|firestore:indexes"),
    rule("firebase.{sub}", "write", "*", kind="project"),
)  # fmt: skip


@dataclass
class WranglerPack(ToolPack):
    """wrangler: ``d1 execute`` hands its SQL (SQLite) to the SQL classifier."""

    def targets_for(
        self,
        rule: Rule,
        cmd: SimpleCommand,
        positionals: Sequence[Word],
        options: Options,
        ctx: ClassifyContext,
    ) -> list[Target]:
        targets = super().targets_for(rule, cmd, positionals, options, ctx)
        if rule.verb != "wrangler.d1.execute" or not targets or targets[0].unresolved:
            return targets
        where = "cloudflare:local" if "--local" in options else targets[0].locator
        sql = value_of(options, "--command")
        if sql is None and "--command" not in options:
            path = value_of(options, "--file")
            sql = ctx.read_small_file(path) if path else None
        if sql is None:
            ctx.unparsed("wrangler d1 execute: SQL from a variable or a file Airlock cannot read")
            return targets
        found, problems = classify_sql(sql, dialect="sqlite", database=targets[0].name,
                                       locator=where, tool=self.name)
        for p in problems:
            ctx.unparsed(f"wrangler d1 execute: {p}")
        return found or [Target(kind="database", name=targets[0].name, verb="wrangler.d1.execute",
                                risk=Risk.READ, tool=self.name, locator=where)]


PACKS: list[Pack] = [
    WranglerPack(
        name="wrangler",
        programs=("wrangler", "wrangler2"),
        rules=_WRANGLER_RULES,
        kind="worker",
        takes_value=flagset(
            "-c --config -e --env --name --namespace-id --binding --command --file --account-id"
            " --compatibility-date --route --routes --outdir --main --preview-id --path"
            " --ttl --expiration --metadata --jurisdiction --storage-class --database --branch"
            " --project-name --commit-hash --commit-message --message --tag --timestamp"
            " --bookmark --script-name --persist-to"
        ),
        default=rule("wrangler.other", "write"),
        prefix="cloudflare:worker:",
        unknown_note="the Worker of the working directory",
        context=(("env", "--env|-e", "CLOUDFLARE_ENV"), ("account", "--account-id",
                                                         "CLOUDFLARE_ACCOUNT_ID")),
        description="Cloudflare Workers CLI",
    ),
    ToolPack(
        name="firebase",
        programs=("firebase",),
        rules=_FIREBASE_RULES,
        kind="project",
        takes_value=flagset(
            "-P --project --token --account --only --except -m --message --instance"
            " --database --site --public --data -d --expires --region --config -c"
            " --hash-algo --hash-key --salt-separator --rounds --mem-cost --parallelization"
            " --block-size --dk-len --hash-input-order --format --collection-ids"
        ),
        default=rule("firebase.other", "write"),
        prefix="firebase:project:",
        app_options="-P|--project",
        app_env="GCLOUD_PROJECT|FIREBASE_PROJECT",
        unknown_note="the project in .firebaserc",
        description="Firebase CLI",
    ),
]
