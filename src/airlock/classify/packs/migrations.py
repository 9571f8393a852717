"""ORMs and schema-migration tools: ``prisma``, ``drizzle-kit``, ``rails``/``rake``,
``django-admin``/``manage.py``, ``alembic``, ``flyway``, ``liquibase``, ``knex`` and
``sequelize``.

Each acts on the project's database, which it finds in its own configuration. What
Airlock can see is an explicit URL (``--url``, ``-url=jdbc:…``) or ``DATABASE_URL`` on
the command line or in the known environment: the target is then that URL (without
credentials), so the inventory's database hosts apply — ``localhost`` is a sandbox.
Otherwise the database is *unresolved*.

Risk choices:

- Dropping, resetting, purging or reloading the schema (``prisma migrate reset``,
  ``prisma db push --force-reset|--accept-data-loss``, ``drizzle-kit push --force``,
  ``rails db:drop|db:reset|db:schema:load|db:purge|db:truncate_all…``,
  ``manage.py flush|reset_db``, ``flyway clean``, ``liquibase dropAll``) and running
  migrations backwards (``rails db:rollback``, ``alembic downgrade``, ``flyway undo``,
  ``liquibase rollback*``, ``knex migrate:rollback|migrate:down``, ``sequelize
  db:migrate:undo*``, ``manage.py migrate APP zero``, ``rails db:migrate VERSION=…``):
  destructive. ``knex seed:run`` in production (``--env production``) is destructive
  too: knex's seed template begins by deleting every row it replaces.
- Applying migrations forward (``migrate deploy``, ``db:migrate``, ``alembic upgrade``,
  ``flyway migrate``, ``liquibase update``…): write.
- Generating code or SQL without running it (``prisma generate``, ``drizzle-kit
  generate``, ``alembic upgrade --sql``, ``liquibase update-sql``, ``sqlflush``) and
  status reports: read.
- SQL handed to the database as a file (``prisma db execute``, ``liquibase
  execute-sql``) is not inspected: destructive. ``rails console|runner``,
  ``manage.py shell|dbshell`` run what they are given: write, not inspected.
- ``rails credentials:show`` prints the application's secrets: flagged as a secret read.

``python manage.py`` goes through the interpreter path of dispatch, which does not hand
script files to packs: only ``./manage.py`` (and ``django-admin``) reach this pack.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from airlock.action import Risk, Target
from airlock.classify.command import ClassifyContext, SimpleCommand, Word
from airlock.classify.packs.base import Pack, Rule, rule
from airlock.classify.packs.gcloud import flagset
from airlock.classify.packs.toolpack import Options, ToolPack
from airlock.config import PRODUCTION_NAMES

_DB = {"kind": "database"}
_HELP = (rule("{tool}.help", "read", flags="--help|-h"),
         rule("{tool}.help", "read", "help|version|--version|-v|-V"))

# -- prisma ----------------------------------------------------------------------------------

_PRISMA_RULES = (
    *_HELP,
    rule("prisma.migrate.reset", "destructive", "migrate", "reset", detail="drops the database",
         **_DB),
    rule("prisma.db.push.force-reset", "destructive", "db", "push", flags="--force-reset",
         detail="drops every table first", **_DB),
    rule("prisma.db.push.accept-data-loss", "destructive", "db", "push",
         flags="--accept-data-loss", detail="drops columns and tables that differ", **_DB),
    rule("prisma.db.execute", "destructive", "db", "execute", detail="SQL not inspected", **_DB),
    rule("prisma.{sub}", "write", "migrate", "deploy|dev|resolve", **_DB),
    rule("prisma.{sub}", "write", "db", "push|seed|pull", **_DB),
    rule("prisma.{sub}", "read", "migrate", "status|diff", **_DB),
    rule("prisma.{sub}", "read", "generate|format|validate|init|studio|debug|platform"),
)  # fmt: skip

# -- drizzle-kit -----------------------------------------------------------------------------

_DRIZZLE_RULES = (
    *_HELP,
    rule("drizzle-kit.push.force", "destructive", "push|push:*", flags="--force",
         detail="data-loss statements run without asking", **_DB),
    rule("drizzle-kit.drop", "destructive", "drop", detail="removes a generated migration",
         **_DB),
    rule("drizzle-kit.{sub}", "write", "push|push:*|migrate|up|up:*|introspect|pull", **_DB),
    rule("drizzle-kit.{sub}", "read", "generate|generate:*|check|check:*|studio|export"),
)  # fmt: skip

# -- rails / rake ----------------------------------------------------------------------------

_RAILS_DESTROY = (
    "db:drop|db:drop:*|db:reset|db:reset:*|db:schema:load|db:schema:load:*|db:structure:load|"
    "db:purge|db:purge:*|db:test:purge|db:truncate_all|db:truncate_all:*|db:rollback|"
    "db:rollback:*|db:migrate:down|db:migrate:down:*|db:migrate:redo|db:migrate:redo:*|"
    "db:migrate:reset|db:setup|db:setup:*|db:seed:replant|db:fixtures:load|db:test:load*"
)
_RAILS_WRITE = "db:migrate|db:migrate:*|db:seed|db:create|db:create:*|db:prepare|db:encryption:*"

_RAILS_RULES = (
    rule("{tool}.help", "read", flags="--help|-h|-T|--tasks|-D|--describe|-P|--prereqs"),
    rule("{tool}.credentials.show", "read", args="credentials:show|secrets:show",
         detail="prints the application's secrets"),
    rule("{tool}.db.destroy", "destructive", args=_RAILS_DESTROY,
         detail="drops, reloads or rolls back the schema", **_DB),
    rule("{tool}.{sub}", "write", "console|c|runner|r|dbconsole", detail="code not inspected",
         **_DB),
    rule("{tool}.db.migrate.version", "destructive", args=("db:migrate|db:migrate:*",
         "VERSION=*"), detail="migrating to a version unapplies the later ones", **_DB),
    rule("{tool}.db.write", "write", args=_RAILS_WRITE, **_DB),
    rule("{tool}.{sub}", "read", "db:version|db:migrate:status|db:abort_if_pending_migrations|"
         "routes|about|stats|notes|middleware|version|time:zones*|test|test:*|spec|"
         "assets:*|log:*|tmp:*|zeitwerk:check|secret"),
    rule("{tool}.{sub}", "write", "*"),
)  # fmt: skip

# -- django ----------------------------------------------------------------------------------

_DJANGO_RULES = (
    rule("django.help", "read", flags="--help|-h|--version"),
    rule("django.help", "read", "help|version"),
    rule("django.{sub}", "destructive", "flush|reset_db|reset_schema|drop_test_database|"
         "sqlflush_exec|clean_pyc", detail="deletes the data", **_DB),
    rule("django.migrate.zero", "destructive", "migrate", args="zero",
         detail="unapplies every migration of the app", **_DB),
    rule("django.migrate.to", "destructive", "migrate", "*", "*",
         detail="migrating to a named migration may unapply later ones", **_DB),
    rule("django.{sub}", "write", "migrate|loaddata|createsuperuser|changepassword|"
         "createcachetable|remove_stale_contenttypes|clearsessions", **_DB),
    rule("django.{sub}", "write", "shell|dbshell|shell_plus|runscript",
         detail="code not inspected", **_DB),
    rule("django.{sub}", "read", "showmigrations|sqlmigrate|sqlflush|sqlsequencereset|check|"
         "diffsettings|inspectdb|dumpdata|show_urls|validate_templates|test|runserver|"
         "makemigrations|collectstatic|compilemessages|makemessages|startapp|startproject|"
         "squashmigrations|optimizemigration|findstatic|sendtestemail"),
)  # fmt: skip

# -- alembic ---------------------------------------------------------------------------------

_ALEMBIC_RULES = (
    *_HELP,
    rule("alembic.{sub}", "read", "upgrade|downgrade", flags="--sql",
         detail="offline: prints the SQL"),
    rule("alembic.downgrade", "destructive", "downgrade",
         detail="runs migrations backwards", **_DB),
    rule("alembic.{sub}", "write", "upgrade|stamp|merge|ensure_version", **_DB),
    rule("alembic.{sub}", "read", "current|history|heads|branches|show|check|list_templates"),
    rule("alembic.{sub}", "write", "revision|init|edit"),
)  # fmt: skip

# -- flyway / liquibase ----------------------------------------------------------------------

_FLYWAY_RULES = (
    rule("flyway.help", "read", flags="-h|-help|-v|-version"),
    rule("flyway.{sub}", "destructive", "clean|undo", detail="drops every object of the schemas",
         **_DB),
    rule("flyway.{sub}", "write", "migrate|repair|baseline", **_DB),
    rule("flyway.{sub}", "read", "info|validate|check|help|version|auth|snapshot"),
)  # fmt: skip

_LIQUIBASE_RULES = (
    rule("liquibase.help", "read", flags="-h|-help|-version"),
    rule("liquibase.{sub}", "destructive", "execute-sql|executeSql|executesql",
         detail="SQL not inspected", **_DB),
    rule("liquibase.{sub}", "read", "*Sql|*SQL|*-sql|*sql"),
    rule("liquibase.{sub}", "destructive", "dropAll|drop-all|dropall|rollback*|Rollback*",
         detail="drops every object or runs changes backwards", **_DB),
    rule("liquibase.{sub}", "write", "update*|changelogSync*|changelog-sync*|tag|"
         "clearCheckSums|clear-checksums|markNextChangeSetRan*|mark-next-changeset-ran*|"
         "release-locks|releaseLocks", **_DB),
    rule("liquibase.{sub}", "read", "*"),
)  # fmt: skip

# -- knex / sequelize ------------------------------------------------------------------------

_KNEX_RULES = (
    *_HELP,
    rule("knex.migrate.rollback.all", "destructive", "migrate:rollback", flags="--all",
         detail="every migration runs backwards", **_DB),
    rule("knex.{sub}", "destructive", "migrate:rollback|migrate:down",
         detail="migrations run backwards", **_DB),
    rule("knex.{sub}", "write", "migrate:latest|migrate:up|migrate:unlock|seed:run", **_DB),
    rule("knex.{sub}", "read", "migrate:status|migrate:list|migrate:currentVersion"),
    rule("knex.{sub}", "write", "*"),
)  # fmt: skip

_SEQUELIZE_RULES = (
    *_HELP,
    rule("sequelize.{sub}", "destructive", "db:drop|db:migrate:undo|db:migrate:undo:all|"
         "db:seed:undo|db:seed:undo:all", detail="drops the database or runs changes backwards",
         **_DB),
    rule("sequelize.{sub}", "write", "db:migrate|db:seed|db:seed:all|db:create", **_DB),
    rule("sequelize.{sub}", "read", "db:migrate:status"),
    rule("sequelize.{sub}", "write", "*"),
)  # fmt: skip


@dataclass
class MigrationPack(ToolPack):
    """A migration tool: the database URL, when visible, is the base."""

    def targets_for(
        self,
        rule: Rule,
        cmd: SimpleCommand,
        positionals: Sequence[Word],
        options: Options,
        ctx: ClassifyContext,
    ) -> list[Target]:
        verb = rule.verb.replace("{tool}", self.name)
        seeding = self.name == "knex" and bool(positionals) and positionals[0].text == "seed:run"
        if seeding and _production_env(cmd, options):
            # knex's seed template starts by deleting every row of the table
            rule = replace(rule, risk=Risk.DESTRUCTIVE,
                           detail="seed files delete the rows they replace (knex's template "
                                  "begins with del()), here in production")
        if rule.verb.endswith(".credentials.show"):
            ctx.flag("secret-read", f"{self.name} credentials:show prints live credentials")
        return super().targets_for(replace(rule, verb=verb), cmd, positionals, options, ctx)


def _production_env(cmd: SimpleCommand, options: Options) -> bool:
    """``--env production`` (``-e prod``, ``NODE_ENV=production``…) on the command line."""
    values = [v for name in ("--env", "-e") for v in options.get(name, []) if v is not None]
    values += [w for name, w in cmd.env.items() if name in ("NODE_ENV", "KNEX_ENV")]
    return any(v.dynamic or v.text.lower() in PRODUCTION_NAMES for v in values)


def _pack(name: str, programs: tuple[str, ...], rules: tuple[Rule, ...], values: str,
          url: str = "--url", env: str = "DATABASE_URL", goflags: bool = False,
          description: str = "") -> MigrationPack:
    return MigrationPack(
        name=name,
        programs=programs,
        rules=rules,
        kind="database",
        takes_value=flagset(values),
        default=rule(f"{name}.other", "write"),
        prefix=f"{name}:database:",
        app_options=url,
        app_env=env,
        unknown_note="the database named in the project's configuration",
        goflags=goflags,
        context=(("environment", "--env|-e", "RAILS_ENV|NODE_ENV|DJANGO_SETTINGS_MODULE"),),
        description=description,
    )


PACKS: list[Pack] = [
    _pack("prisma", ("prisma",), _PRISMA_RULES, "--schema --url --file --name --from-url "
          "--to-url --from-schema-datamodel --to-schema-datamodel --generator",
          description="Prisma ORM"),
    _pack("drizzle-kit", ("drizzle-kit",), _DRIZZLE_RULES, "--config --dialect --schema --out "
          "--url --driver --name", description="Drizzle ORM's kit"),
    _pack("rails", ("rails",), _RAILS_RULES, "-e --environment", env="DATABASE_URL",
          description="Ruby on Rails"),
    _pack("rake", ("rake",), _RAILS_RULES, "-f --rakefile -C --directory -R --rakelibdir "
          "-I --libdir -j --jobs", description="Rake (Rails tasks)"),
    _pack("django", ("django-admin", "django-admin.py", "manage.py"), _DJANGO_RULES,
          "--settings --pythonpath --database -v --verbosity", url="--database",
          description="Django's django-admin and ./manage.py"),
    _pack("alembic", ("alembic",), _ALEMBIC_RULES, "-c --config -n --name -x --tag "
          "--rev-range -r -m --message --head --splice --branch-label --version-path",
          url="", description="Alembic (SQLAlchemy migrations)"),
    _pack("flyway", ("flyway",), _FLYWAY_RULES, "-url -user -password -schemas -locations "
          "-configFiles -target -environment", url="-url", env="FLYWAY_URL", goflags=True,
          description="Flyway"),
    _pack("liquibase", ("liquibase",), _LIQUIBASE_RULES, "-url -username -password "
          "-changelog-file -changeLogFile -defaults-file -defaultsFile -count -tag -date "
          "-sql -sql-file -contexts -labels", url="-url", env="LIQUIBASE_COMMAND_URL",
          goflags=True, description="Liquibase"),
    _pack("knex", ("knex",), _KNEX_RULES, "--knexfile --cwd --env --specific --name -x "
          "--migrations-directory --client --connection", url="--connection",
          description="Knex.js migrations"),
    _pack("sequelize", ("sequelize", "sequelize-cli"), _SEQUELIZE_RULES, "--env --config "
          "--options-path --migrations-path --seeders-path --models-path --url --name --to "
          "--from --seed", description="Sequelize CLI"),
]
