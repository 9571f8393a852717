"""Platforms as a service: ``heroku``, ``fly``/``flyctl``, ``vercel``, ``supabase``,
``netlify`` and ``doctl`` (DigitalOcean).

Each of the first five acts on one app (site, project), named by an option
(``-a/--app``, ``--project-ref``, ``--site``) or an environment variable
(``HEROKU_APP``, ``FLY_APP``…). Without either, the CLI takes it from the working
directory (a git remote, ``fly.toml``, ``.vercel/``), which Airlock does not read: a
write to such an app is *unresolved* (resolve and policy assume the worst), a read
targets ``<tool>:app:*``. ``doctl`` has gcloud's shape and uses
:class:`~airlock.classify.packs.gcloud.TreePack`.

Risk choices:

- Destroying an app, a site or a project (``heroku apps:destroy``, ``fly apps
  destroy``, ``vercel remove``, ``netlify sites:delete``, ``supabase projects delete``),
  resetting or overwriting a hosted database (``heroku pg:reset``,
  ``pg:backups:restore``, ``pg:copy``, ``supabase db reset --linked``) and destroying a
  data add-on (an ``addons:destroy`` of Postgres, Redis, MySQL…): catastrophic.
- ``fly volumes destroy`` is catastrophic: a Fly volume is the app's only disk (Fly
  Postgres lives on one), and losing a production volume is the incident Airlock was
  built for. ``fly machine destroy`` is destructive (the machine goes, its volume
  stays). DigitalOcean volumes must be detached before deletion: destructive, like EBS.
- ``supabase db reset`` without ``--linked``/``--db-url`` resets the *local* database:
  destructive. ``supabase migration down`` reverts applied migrations: destructive.
- ``heroku pg:psql`` and ``heroku run`` execute what they are given: write, with the
  command not inspected (``heroku run`` is matched before ``--help``, whose meaning
  inside the dyno's command is the dyno's business).
- Removing an environment variable (``vercel env rm``, ``netlify env:unset``,
  ``heroku config:unset``) can take a production site down: destructive; setting one is
  a write. Scaling a process type to zero (``heroku ps:scale web=0``, ``fly scale count
  0``) stops the app serving: destructive.

Locators: ``heroku:app:<app>``, ``fly:app:<app>``; a part of an app sits under it
(``heroku:app:<app>/addon/<name>``, ``fly:app:<app>/volume/<id>``), or is
``fly:volume:<id>`` when the app is not named;
``vercel:project:<name>``, ``supabase:project:<ref>`` (``supabase:local`` for the local
stack), ``netlify:site:<id>``, ``digitalocean:<kind>:<id>``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from airlock.action import Risk, Target
from airlock.classify.command import DYNAMIC, ClassifyContext, SimpleCommand, Word
from airlock.classify.packs.base import Pack, Rule, rule
from airlock.classify.packs.gcloud import (
    TreePack,
    context_detail,
    env_value,
    finish,
    flagset,
    option_value,
    split_args,
)

Options = dict[str, list[Word | None]]


@dataclass
class AppPack(Pack):
    """A CLI whose commands act on one app: ``app_options`` or ``app_env`` name it.

    Verbs may use ``{sub}``: the matched command words, dotted (``apps:destroy`` →
    ``apps.destroy``).
    """

    prefix: str = ""  # "heroku:app:"
    app_options: str = ""  # "-a|--app"
    app_env: str = ""  # "HEROKU_APP"
    context: tuple[tuple[str, str, str], ...] = ()
    unknown_note: str = "app taken from the working directory"

    def app(self, cmd: SimpleCommand, options: Options, ctx: ClassifyContext) -> Word | None:
        found = option_value(options, self.app_options) if self.app_options else None
        found = found or (env_value(cmd, ctx, self.app_env) if self.app_env else None)
        if found is not None and "@" in found.text:
            # a database URL: never carry its credentials into a target
            found = Word(re.sub(r"//[^/@]*@", "//", found.text), found.dynamic, found.glob)
        return found

    def classify(self, cmd: SimpleCommand, ctx: ClassifyContext) -> list[Target]:
        positionals, options = split_args(cmd.args, self.takes_value)
        for r in self.all_rules():
            if r.matches(positionals, options):
                return self.targets_for(r, cmd, positionals, options, ctx)
        fallback = self.default or Rule(f"{self.name}.other", Risk.WRITE)
        return self.targets_for(fallback, cmd, positionals, options, ctx)

    def base_locator(
        self, cmd: SimpleCommand, options: Options, ctx: ClassifyContext
    ) -> tuple[str, str]:
        app = self.app(cmd, options, ctx)
        text = app.text if app is not None else DYNAMIC  # from the directory: unknown
        if "://" in text:  # a database URL (supabase --db-url): resolve knows those
            return text, text
        return text, f"{self.prefix}{text}"

    def targets_for(
        self,
        rule: Rule,
        cmd: SimpleCommand,
        positionals: Sequence[Word],
        options: Options,
        ctx: ClassifyContext,
    ) -> list[Target]:
        sub = ".".join(w.text.replace(":", ".") for w in positionals[: len(rule.when)])
        rule = replace(rule, verb=rule.verb.replace("{sub}", sub or "other"))
        notes = [context_detail(self.context, cmd, options, ctx)]
        app = self.app(cmd, options, ctx)
        if "{app}" in rule.locator:
            # a part of an app (an add-on, a volume): under the app when we know it
            locator = (
                rule.locator.replace("{app}", app.text)
                if app is not None
                else f"{self.name}:{rule.kind}:{{name}}"
            )
            rule = replace(rule, locator=locator)
        if not rule.target and app is None:
            if rule.risk == Risk.READ:
                rule = replace(rule, target=f"const:{self.name}", locator=f"{self.prefix}*")
            else:
                notes.append(self.unknown_note)
        targets = super().targets_for(rule, cmd, positionals, options, ctx)
        return finish(targets, "; ".join(n for n in notes if n))


# -- heroku ----------------------------------------------------------------------------------

_DATA_ADDONS = (
    "*postgres*|*redis*|*mysql*|*mongo*|*kafka*|*elasticsearch*|*opensearch*|*cleardb*|"
    "*jawsdb*|*memcach*|*database*|*DATABASE*|*bucketeer*|*cloudcube*"
)

_HEROKU_RULES = (
    rule("heroku.{sub}", "write", "run|run:detached|run:inside", detail="command not inspected"),
    rule("heroku.help", "read", flags="--help|-h"),
    rule("heroku.help", "read", "help|version|--version"),
    rule("heroku.apps.destroy", "catastrophic", "apps:destroy|destroy", args="*",
         target="arg:0", kind="app", locator="heroku:app:{name}"),
    rule("heroku.apps.destroy", "catastrophic", "apps:destroy|destroy", kind="app"),
    rule("heroku.pg.reset", "catastrophic", "pg:reset", kind="database",
         detail="drops every table"),
    rule("heroku.{sub}", "catastrophic", "pg:backups:restore|pg:copy", kind="database",
         detail="overwrites the database"),
    rule("heroku.addons.destroy.data", "catastrophic", "addons:destroy|addons:remove",
         args=_DATA_ADDONS, target="args", kind="addon", locator="heroku:app:{app}/addon/{name}",
         detail="a data add-on: its data goes with it"),
    rule("heroku.addons.destroy", "destructive", "addons:destroy|addons:remove", target="args",
         kind="addon", locator="heroku:app:{app}/addon/{name}"),
    rule("heroku.spaces.destroy", "catastrophic", "spaces:destroy", target="opt:--space",
         kind="space", locator="heroku:space:{name}"),
    rule("heroku.{sub}", "destructive", "pg:backups:delete|pipelines:destroy|domains:clear",
         kind="app"),
    rule("heroku.ps.scale.zero", "destructive", "ps:scale|scale", args="*=0|*=0:*",
         kind="app", detail="a process type scaled to zero stops serving"),
    rule("heroku.config.unset", "destructive", "config:unset|config:remove", target="args",
         kind="config-var", locator="heroku:app:{app}/config/{name}",
         detail="the app may not start without it"),
    rule("heroku.pg.psql", "write", "pg:psql", kind="database", detail="SQL not inspected"),
    rule("heroku.{sub}", "read",
         "logs|apps|list|info|releases|ps|addons|domains|config|config:get|pg|pg:diagnose|pg:ps|"
         "pg:outliers|pg:credentials|pg:backups|pg:backups:url|pg:backups:schedules|status|"
         "auth:whoami|whoami|regions|stack|features|access|drains|buildpacks|spaces|teams|"
         "certs|pipelines|plugins|labs|authorizations|keys|*:info|*:list|apps:errors"),
    rule("heroku.{sub}", "write", "*"),
)  # fmt: skip

# -- fly -------------------------------------------------------------------------------------

_FLY_RULES = (
    rule("fly.help", "read", flags="--help|-h"),
    rule("fly.help", "read", "help|version"),
    rule("fly.apps.destroy", "catastrophic", "apps|app", "destroy|delete|remove|rm",
         target="args", kind="app", locator="fly:app:{name}"),
    rule("fly.apps.destroy", "catastrophic", "destroy", target="args", kind="app",
         locator="fly:app:{name}"),
    rule("fly.volumes.destroy", "catastrophic", "volumes|volume|vol",
         "destroy|delete|remove|rm", target="args", kind="volume",
         locator="fly:app:{app}/volume/{name}", detail="the data on the volume is gone"),
    rule("fly.machine.destroy", "destructive", "machine|machines|m",
         "destroy|delete|remove|rm", target="args", kind="machine",
         locator="fly:app:{app}/machine/{name}"),
    rule("fly.{sub}", "catastrophic", "mpg|postgres|pg", "destroy|delete", target="args",
         kind="database", locator="fly:postgres:{name}"),
    rule("fly.{sub}", "catastrophic", "storage", "destroy|delete", target="args",
         kind="bucket", locator="fly:storage:{name}"),
    rule("fly.{sub}", "catastrophic", "orgs|org", "delete", target="arg:0", kind="org",
         locator="fly:org:{name}"),
    rule("fly.{sub}", "destructive", "redis|consul|tigris|mysql", "destroy|delete",
         target="args", kind="database", locator="fly:{name}"),
    rule("fly.scale.zero", "destructive", "scale", "count", args="0|*=0", kind="app",
         detail="no machine left to serve"),
    rule("fly.{sub}", "write", "secrets", "set|unset|import|deploy", kind="app"),
    rule("fly.{sub}", "read", "status|logs|info|version|doctor|platform|releases|history|dig|ping"),
    rule("fly.{sub}", "read",
         "apps|volumes|volume|vol|machine|machines|m|ips|certs|regions|orgs|postgres|pg|mpg|"
         "secrets|checks|services|image|config|scale|tokens|storage|redis|wireguard|"
         "extensions|status|releases|auth",
         "list|ls|show|status|view|display|validate|whoami|token"),
    rule("fly.{sub}", "write", "*", "*", kind="app"),
    rule("fly.{sub}", "write", "*", kind="app"),
)  # fmt: skip

# -- vercel ----------------------------------------------------------------------------------

_VERCEL_RULES = (
    rule("vercel.help", "read", flags="--help|-h"),
    rule("vercel.help", "read", "help"),
    rule("vercel.version", "read", flags="--version|-v"),
    rule("vercel.remove", "catastrophic", "remove|rm", target="args", kind="project",
         locator="vercel:project:{name}", detail="removes the deployments and their aliases"),
    rule("vercel.projects.remove", "catastrophic", "project|projects", "rm|remove",
         target="arg:0", kind="project", locator="vercel:project:{name}"),
    rule("vercel.env.rm", "destructive", "env", "rm|remove", target="arg:0", kind="variable",
         locator="{base}"),
    rule("vercel.{sub}", "destructive", "domains|domain|dns", "rm|remove", target="arg:0",
         kind="domain", locator="vercel:domain:{name}"),
    rule("vercel.{sub}", "read", "ls|list|logs|inspect|whoami|bisect"),
    rule("vercel.{sub}", "read",
         "env|project|projects|domains|domain|dns|alias|aliases|certs|teams|team|secrets|"
         "integration|deployments",
         "ls|list|inspect"),
    rule("vercel.deploy", "write", "deploy|redeploy|promote|rollback", kind="project"),
    rule("vercel.{sub}", "write",
         "env|domains|domain|dns|alias|aliases|certs|project|projects|teams|team|git|"
         "integration|secrets|blob|cache", "*", kind="project"),
    rule("vercel.{sub}", "write", "link|pull|build|init|login|logout|switch|dev"),
)  # fmt: skip

# -- supabase --------------------------------------------------------------------------------

_LOCAL = {"target": "const:local", "locator": "supabase:local"}
_REMOTE = "--linked|--db-url|--project-ref"

_SUPABASE_RULES = (
    rule("supabase.help", "read", flags="--help|-h"),
    rule("supabase.help", "read", "help|completion"),
    rule("supabase.db.reset.remote", "catastrophic", "db", "reset", flags=_REMOTE,
         kind="database", detail="drops and recreates the hosted database"),
    rule("supabase.db.reset", "destructive", "db", "reset", kind="database",
         detail="resets the local database", **_LOCAL),
    rule("supabase.projects.delete", "catastrophic", "projects", "delete", target="arg:0",
         kind="project", locator="supabase:project:{name}"),
    rule("supabase.migration.down", "destructive", "migration", "down", flags=_REMOTE,
         kind="database", detail="reverts applied migrations"),
    rule("supabase.migration.down", "destructive", "migration", "down", kind="database",
         detail="reverts applied migrations", **_LOCAL),
    rule("supabase.{sub}", "destructive", "functions", "delete", target="args",
         kind="function", locator="supabase:function:{name}"),
    rule("supabase.{sub}", "destructive", "branches", "delete", target="args", kind="branch",
         locator="supabase:branch:{name}"),
    rule("supabase.{sub}", "destructive", "secrets", "unset", target="args", kind="variable",
         locator="{base}"),
    rule("supabase.storage.rm", "destructive", "storage", "rm", target="args", kind="object"),
    rule("supabase.stop.no-backup", "destructive", "stop", flags="--no-backup",
         kind="database", detail="deletes the local data volumes", **_LOCAL),
    rule("supabase.{sub}", "read", "db", "diff|dump|lint", kind="database"),
    rule("supabase.{sub}", "read", "status|inspect|gen|services|test"),
    rule("supabase.{sub}", "read",
         "secrets|projects|functions|migration|branches|orgs|storage|snippets|backups|domains|"
         "sso|network-restrictions|ssl-enforcement|postgres-config|network-bans|vanity-subdomains",
         "list|ls|get|show"),
    rule("supabase.{sub}", "write", "start|stop|init|link|unlink|login|logout|bootstrap",
         **_LOCAL),
    rule("supabase.{sub}", "write", "*", "*", kind="database"),
    rule("supabase.{sub}", "write", "*", kind="database"),
)  # fmt: skip

# -- netlify ---------------------------------------------------------------------------------

_NETLIFY_RULES = (
    rule("netlify.help", "read", flags="--help|-h"),
    rule("netlify.help", "read", "help|version|--version"),
    rule("netlify.sites.delete", "catastrophic", "sites:delete", target="arg:0", kind="site",
         locator="netlify:site:{name}"),
    rule("netlify.api.deleteSite", "catastrophic", "api", "deleteSite", kind="site"),
    rule("netlify.api.{sub}", "destructive", "api", "delete*|purge*|unlink*|cancel*",
         kind="site"),
    rule("netlify.api.read", "read", "api", "get*|list*"),
    rule("netlify.api", "write", "api", kind="site"),
    rule("netlify.{sub}", "destructive", "env:unset|env:delete|env:rm|blobs:delete",
         target="arg:0", kind="variable", locator="{base}"),
    rule("netlify.{sub}", "read",
         "status|logs|logs:*|env:list|env:get|sites:list|open|open:*|functions:list|"
         "blobs:list|blobs:get|watch|completion"),
    rule("netlify.{sub}", "write", "*", kind="site"),
)  # fmt: skip

# -- doctl -----------------------------------------------------------------------------------

_DOCTL_RULES = (
    rule("{cmd}.help", "read", flags="--help|-h"),
    rule("{cmd}", "catastrophic", "compute", "droplet", "delete|rm|d", target="args",
         kind="droplet", detail="the droplet's disk goes with it"),
    rule("{cmd}", "catastrophic", "databases", "delete|rm|d", target="args", kind="database"),
    rule("{cmd}", "catastrophic", "databases", "db", "delete|rm|d", target="args",
         kind="database"),
    rule("{cmd}", "catastrophic", "kubernetes", "cluster", "delete|rm|d", target="args",
         kind="cluster"),
    rule("{cmd}", "read", "version|balance"),
)  # fmt: skip

_DOCTL_LEAVES = (
    rule("{cmd}", "destructive", "delete|rm|d|delete-*", target="args"),
    rule("{cmd}", "read", "list|ls|get|g|show|inspect|view|logs|kubeconfig|whoami"),
    rule("{cmd}", "write", "create|c|update|u|add|remove|apply|deploy|resize|power-*|reboot|"
         "shutdown|restore|rebuild|attach|detach|init|switch", target="args"),
)  # fmt: skip


PACKS: list[Pack] = [
    AppPack(
        name="heroku",
        programs=("heroku",),
        rules=_HEROKU_RULES,
        kind="app",
        takes_value=flagset(
            "-a --app -r --remote --confirm -c --command --space --team -n --num -d --dyno"
            " --source --region --stack --size --type -e --env --file --org -p --process"
        ),
        default=rule("heroku.other", "write"),
        prefix="heroku:app:",
        app_options="-a|--app|--confirm",
        app_env="HEROKU_APP",
        context=(("git remote", "-r|--remote", ""), ("team", "--team", "")),
        description="Heroku CLI",
    ),
    AppPack(
        name="fly",
        programs=("fly", "flyctl"),
        rules=_FLY_RULES,
        kind="app",
        takes_value=flagset(
            "-a --app -c --config -r --region -s --size -i --image -o --org -t --access-token"
            " -e --env --vm-size --vm-memory --vm-cpus --count --strategy --dockerfile"
            " --build-arg --build-target -C --command --machine --process-group --snapshot-id"
            " --snapshot-retention --from-snapshot --wait-timeout --label --name"
        ),
        default=rule("fly.other", "write"),
        prefix="fly:app:",
        app_options="-a|--app",
        app_env="FLY_APP",
        context=(("org", "-o|--org", ""), ("config", "-c|--config", "")),
        description="Fly.io CLI",
    ),
    AppPack(
        name="vercel",
        programs=("vercel", "vc"),
        rules=_VERCEL_RULES,
        kind="project",
        takes_value=flagset(
            "--scope -S --token -t -A --local-config -Q --global-config --cwd -e --env -b"
            " --build-env -m --meta --regions --target --team -T --archive"
        ),
        default=rule("vercel.deploy", "write", kind="project"),
        prefix="vercel:project:",
        app_env="VERCEL_PROJECT_ID",
        unknown_note="the project linked in the working directory",
        context=(("scope", "--scope|-S|--team|-T", "VERCEL_ORG_ID"), ("target", "--target", "")),
        description="Vercel CLI",
    ),
    AppPack(
        name="supabase",
        programs=("supabase",),
        rules=_SUPABASE_RULES,
        kind="project",
        takes_value=flagset(
            "--project-ref --db-url --workdir -o --output --password -p --schema -s --version"
            " --file -f --org-id --name --region --db-password"
        ),
        default=rule("supabase.other", "write"),
        prefix="supabase:project:",
        app_options="--project-ref|--db-url",
        app_env="SUPABASE_PROJECT_ID",
        unknown_note="the project linked in the working directory",
        description="Supabase CLI",
    ),
    AppPack(
        name="netlify",
        programs=("netlify", "ntl"),
        rules=_NETLIFY_RULES,
        kind="site",
        takes_value=flagset(
            "--site --auth --filter --context --data --dir -d --functions -f --message -m"
            " --alias --scope --account-slug --name -n"
        ),
        default=rule("netlify.other", "write"),
        prefix="netlify:site:",
        app_options="--site",
        app_env="NETLIFY_SITE_ID",
        unknown_note="the site linked in the working directory",
        context=(("context", "--context", ""),),
        description="Netlify CLI",
    ),
    TreePack(
        name="doctl",
        programs=("doctl",),
        rules=_DOCTL_RULES,
        leaf_rules=_DOCTL_LEAVES,
        kind="resource",
        takes_value=flagset(
            "--context -t --access-token -o --output --format -u --api-url -c --config"
            " --region --size --image --tag-name --ssh-keys --vpc-uuid --num-nodes"
            " --node-pool --engine --version --spec --project-id"
        ),
        default=rule("doctl.other", "write"),
        aliases={
            "k8s": "kubernetes",
            "kube": "kubernetes",
            "db": "databases",
            "dbs": "databases",
            "d": "databases",
            "database": "databases",
            "compute d": "compute droplet",
            "kubernetes c": "kubernetes cluster",
        },
        locator="digitalocean:{kind}:{name}",
        wide_locator="digitalocean:{path}:*",
        context=(("context", "--context", "DIGITALOCEAN_CONTEXT"),),
        description="DigitalOcean CLI",
    ),
]
