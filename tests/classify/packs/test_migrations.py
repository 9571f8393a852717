"""The migrations packs: verb, risk and locator of each command (ORMs and migration tools)."""

from __future__ import annotations

from pathlib import Path

import pytest

from airlock.action import Risk
from airlock.classify.packs.migrations import PACKS
from tests.classify.packs.support import run_pack

R, W, D, C = Risk.READ, Risk.WRITE, Risk.DESTRUCTIVE, Risk.CATASTROPHIC

CASES = [
    ('prisma migrate reset --force', 'prisma.migrate.reset', D, ''),
    ('prisma db push --force-reset', 'prisma.db.push.force-reset', D, ''),
    ('prisma db push --accept-data-loss', 'prisma.db.push.accept-data-loss', D, ''),
    ('prisma db execute --file x.sql', 'prisma.db.execute', D, ''),
    ('prisma generate', 'prisma.generate', R, 'prisma:database:*'),
    ('prisma migrate status', 'prisma.migrate.status', R, 'prisma:database:*'),
    ('prisma db push', 'prisma.db.push', W, ''),
    ('prisma migrate deploy', 'prisma.migrate.deploy', W, ''),
    ('prisma migrate dev --name init', 'prisma.migrate.dev', W, ''),
    ('drizzle-kit push --force', 'drizzle-kit.push.force', D, ''),
    ('drizzle-kit drop', 'drizzle-kit.drop', D, ''),
    ('drizzle-kit push', 'drizzle-kit.push', W, ''),
    ('drizzle-kit migrate', 'drizzle-kit.migrate', W, ''),
    ('drizzle-kit generate', 'drizzle-kit.generate', R, 'drizzle-kit:database:*'),
    ('rails db:drop', 'rails.db.destroy', D, ''),
    ('rails db:reset', 'rails.db.destroy', D, ''),
    ('rails db:schema:load', 'rails.db.destroy', D, ''),
    ('rails db:purge', 'rails.db.destroy', D, ''),
    ('rails db:drop db:create db:migrate', 'rails.db.destroy', D, ''),
    ('rails db:rollback STEP=2', 'rails.db.destroy', D, ''),
    ('rails -e production db:truncate_all', 'rails.db.destroy', D, ''),
    ('rake db:drop', 'rake.db.destroy', D, ''),
    ('rake db:migrate:redo', 'rake.db.destroy', D, ''),
    ('rails db:migrate', 'rails.db.write', W, ''),
    ('rake db:seed', 'rake.db.write', W, ''),
    ('rails console', 'rails.console', W, ''),
    ('rails routes', 'rails.routes', R, 'rails:database:*'),
    ('rake -T', 'rake.help', R, 'rake:database:*'),
    ('django-admin flush --noinput', 'django.flush', D, ''),
    ('manage.py reset_db --noinput', 'django.reset_db', D, ''),
    ('manage.py migrate shop zero', 'django.migrate.zero', D, ''),
    ('manage.py migrate shop 0003', 'django.migrate.to', D, ''),
    ('manage.py sqlflush', 'django.sqlflush', R, 'django:database:*'),
    ('manage.py showmigrations', 'django.showmigrations', R, 'django:database:*'),
    ('manage.py migrate', 'django.migrate', W, ''),
    ('django-admin loaddata fixtures.json', 'django.loaddata', W, ''),
    ('alembic downgrade base', 'alembic.downgrade', D, ''),
    ('alembic -c alembic.ini downgrade -1', 'alembic.downgrade', D, ''),
    ('alembic downgrade base --sql', 'alembic.downgrade', R, 'alembic:database:*'),
    ('alembic current', 'alembic.current', R, 'alembic:database:*'),
    ('alembic upgrade head', 'alembic.upgrade', W, ''),
    ('flyway clean', 'flyway.clean', D, ''),
    ('flyway -url=jdbc:postgresql://db.prod.internal:5432/app clean',
     'flyway.clean', D, 'postgresql://db.prod.internal:5432/app'),
    ('flyway undo', 'flyway.undo', D, ''),
    ('flyway migrate', 'flyway.migrate', W, ''),
    ('flyway info', 'flyway.info', R, 'flyway:database:*'),
    ('liquibase dropAll', 'liquibase.dropAll', D, ''),
    ('liquibase --url=jdbc:postgresql://db.staging.internal/app drop-all',
     'liquibase.drop-all', D, 'postgresql://db.staging.internal/app'),
    ('liquibase rollback-count --count=2', 'liquibase.rollback-count', D, ''),
    ('liquibase rollbackToDate 2024-01-01', 'liquibase.rollbackToDate', D, ''),
    ('liquibase execute-sql --sql="DROP TABLE x"', 'liquibase.execute-sql', D, ''),
    ('liquibase update-sql', 'liquibase.update-sql', R, 'liquibase:database:*'),
    ('liquibase status', 'liquibase.status', R, 'liquibase:database:*'),
    ('liquibase update', 'liquibase.update', W, ''),
    ('knex migrate:rollback --all', 'knex.migrate.rollback.all', D, ''),
    ('knex migrate:rollback', 'knex.migrate.rollback', D, ''),
    ('knex migrate:down', 'knex.migrate.down', D, ''),
    ('knex migrate:latest', 'knex.migrate.latest', W, ''),
    ('knex migrate:status', 'knex.migrate.status', R, 'knex:database:*'),
    ('sequelize db:drop', 'sequelize.db.drop', D, ''),
    ('sequelize-cli db:migrate:undo:all', 'sequelize.db.migrate.undo.all', D, ''),
    ('sequelize db:seed:undo:all', 'sequelize.db.seed.undo.all', D, ''),
    ('sequelize db:migrate', 'sequelize.db.migrate', W, ''),
    ('sequelize db:migrate:status', 'sequelize.db.migrate.status', R, 'sequelize:database:*'),
    ('rails db:migrate VERSION=0', 'rails.db.migrate.version', D, ''),
    ('bin/rake db:migrate:up VERSION=20240101', 'rake.db.migrate.version', D, ''),
    ('knex seed:run --env production', 'knex.seed.run', D, ''),
    ('knex seed:run --env $E', 'knex.seed.run', D, ''),
    ('knex seed:run', 'knex.seed.run', W, ''),
]


@pytest.mark.parametrize(("line", "verb", "risk", "locator"), CASES)
def test_classify(line: str, verb: str, risk: Risk, locator: str, tmp_path: Path) -> None:
    targets = run_pack(PACKS, line, tmp_path)
    worst = max(targets, key=lambda t: t.risk)
    assert (worst.verb, worst.risk) == (verb, risk), targets
    if locator:
        assert worst.locator == locator.replace("{cwd}", str(tmp_path)), targets


def test_knex_seed_in_production_from_the_environment(tmp_path: Path) -> None:
    # knex's seed template begins with del(): in production the seed deletes rows
    targets = run_pack(PACKS, "knex seed:run", tmp_path, env={"NODE_ENV": "production"})
    assert targets[0].risk == Risk.DESTRUCTIVE, targets
    targets = run_pack(PACKS, "knex seed:run", tmp_path, env={"NODE_ENV": "development"})
    assert targets[0].risk == Risk.WRITE, targets
