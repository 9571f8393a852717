"""The PaaS packs (heroku, fly, vercel, supabase, netlify, doctl): verb, risk and locator."""

from __future__ import annotations

from pathlib import Path

import pytest

from airlock.action import Risk, Target
from airlock.classify.command import DYNAMIC
from airlock.classify.packs.cloud_paas import PACKS
from tests.classify.packs.support import run_pack, word

_word = word


def classify(line: str, tmp_path: Path, env: dict[str, str] | None = None) -> list[Target]:
    return run_pack(PACKS, line, tmp_path, env)


def worst(targets: list[Target]) -> Target:
    return max(targets, key=lambda t: t.risk)


def check(line: str, verb: str, risk: Risk, locator: str, tmp_path: Path) -> None:
    target = worst(classify(line, tmp_path))
    shown = target.locator.replace(DYNAMIC, "$?")
    assert (target.verb, target.risk, shown) == (verb, risk, locator)
    if target.risk >= Risk.DESTRUCTIVE:
        assert not target.reversible


HEROKU = [
    ("heroku apps", "heroku.apps", Risk.READ, "heroku:app:*"),
    ("heroku logs --tail -a myapp", "heroku.logs", Risk.READ, "heroku:app:myapp"),
    ("heroku config -a myapp", "heroku.config", Risk.READ, "heroku:app:myapp"),
    ("heroku pg:info --app myapp", "heroku.pg.info", Risk.READ, "heroku:app:myapp"),
    ("heroku releases -a myapp", "heroku.releases", Risk.READ, "heroku:app:myapp"),
    ("heroku apps:destroy --help", "heroku.help", Risk.READ, "heroku:app:*"),
    ("heroku config:set FOO=bar -a myapp", "heroku.config.set", Risk.WRITE, "heroku:app:myapp"),
    ("heroku config:unset STRIPE_KEY -a myapp", "heroku.config.unset", Risk.DESTRUCTIVE,
     "heroku:app:myapp/config/STRIPE_KEY"),
    ("heroku ps:scale web=0 -a myapp", "heroku.ps.scale.zero", Risk.DESTRUCTIVE,
     "heroku:app:myapp"),
    ("heroku ps:scale web=2:standard-2x -a myapp", "heroku.ps.scale", Risk.WRITE,
     "heroku:app:myapp"),
    ("heroku ps:scale web=2 --app=myapp", "heroku.ps.scale", Risk.WRITE, "heroku:app:myapp"),
    ("heroku pg:psql -a myapp -c 'DELETE FROM users'", "heroku.pg.psql", Risk.WRITE,
     "heroku:app:myapp"),
    ("heroku run rails db:drop -a myapp --help", "heroku.run", Risk.WRITE, "heroku:app:myapp"),
    ("heroku releases:rollback v41 -a myapp", "heroku.releases.rollback", Risk.WRITE,
     "heroku:app:myapp"),
    ("heroku addons:destroy papertrail -a myapp --confirm myapp", "heroku.addons.destroy",
     Risk.DESTRUCTIVE, "heroku:app:myapp/addon/papertrail"),
    ("heroku pg:backups:delete b101 -a myapp", "heroku.pg.backups.delete", Risk.DESTRUCTIVE,
     "heroku:app:myapp"),
    ("heroku apps:destroy -a myapp --confirm myapp", "heroku.apps.destroy", Risk.CATASTROPHIC,
     "heroku:app:myapp"),
    ("heroku apps:destroy myapp", "heroku.apps.destroy", Risk.CATASTROPHIC, "heroku:app:myapp"),
    ("heroku pg:reset DATABASE_URL -a myapp --confirm myapp", "heroku.pg.reset",
     Risk.CATASTROPHIC, "heroku:app:myapp"),
    ("heroku pg:backups:restore b101 DATABASE_URL -a myapp", "heroku.pg.backups.restore",
     Risk.CATASTROPHIC, "heroku:app:myapp"),
    ("heroku addons:destroy heroku-postgresql -a myapp", "heroku.addons.destroy.data",
     Risk.CATASTROPHIC, "heroku:app:myapp/addon/heroku-postgresql"),
]  # fmt: skip

FLY = [
    ("fly status -a myapp", "fly.status", Risk.READ, "fly:app:myapp"),
    ("fly scale count 0 -a myapp", "fly.scale.zero", Risk.DESTRUCTIVE, "fly:app:myapp"),
    ("fly scale count 3 -a myapp", "fly.scale.count", Risk.WRITE, "fly:app:myapp"),
    ("fly logs", "fly.logs", Risk.READ, "fly:app:*"),
    ("fly apps list", "fly.apps.list", Risk.READ, "fly:app:*"),
    ("flyctl volumes list -a myapp", "fly.volumes.list", Risk.READ, "fly:app:myapp"),
    ("fly secrets list --app myapp", "fly.secrets.list", Risk.READ, "fly:app:myapp"),
    ("fly volumes destroy vol_1 -h", "fly.help", Risk.READ, "fly:app:*"),
    ("fly deploy -a myapp --strategy rolling", "fly.deploy", Risk.WRITE, "fly:app:myapp"),
    ("fly secrets set DB_URL=x -a myapp", "fly.secrets.set", Risk.WRITE, "fly:app:myapp"),
    ("fly scale count 2 -a myapp", "fly.scale.count", Risk.WRITE, "fly:app:myapp"),
    ("fly ssh console -a myapp -C 'rm -rf /data'", "fly.ssh.console", Risk.WRITE, "fly:app:myapp"),
    ("fly machine destroy 148ed --force -a myapp", "fly.machine.destroy", Risk.DESTRUCTIVE,
     "fly:app:myapp/machine/148ed"),
    ("fly apps destroy myapp --yes", "fly.apps.destroy", Risk.CATASTROPHIC, "fly:app:myapp"),
    ("fly destroy myapp", "fly.apps.destroy", Risk.CATASTROPHIC, "fly:app:myapp"),
    ("fly volumes destroy vol_123 -a myapp -y", "fly.volumes.destroy", Risk.CATASTROPHIC,
     "fly:app:myapp/volume/vol_123"),
    ("flyctl volume delete vol_9", "fly.volumes.destroy", Risk.CATASTROPHIC, "fly:volume:vol_9"),
]  # fmt: skip

VERCEL = [
    ("vercel ls", "vercel.ls", Risk.READ, "vercel:project:*"),
    ("vercel logs app-abc.vercel.app", "vercel.logs", Risk.READ, "vercel:project:*"),
    ("vercel env ls", "vercel.env.ls", Risk.READ, "vercel:project:*"),
    ("vercel whoami", "vercel.whoami", Risk.READ, "vercel:project:*"),
    ("vercel remove my-project --help", "vercel.help", Risk.READ, "vercel:project:*"),
    ("vercel --version", "vercel.version", Risk.READ, "vercel:project:*"),
    ("vercel --prod", "vercel.deploy", Risk.WRITE, "vercel:project:$?"),
    ("vercel deploy --prod --scope team", "vercel.deploy", Risk.WRITE, "vercel:project:$?"),
    ("vercel env add API_KEY production", "vercel.env.add", Risk.WRITE, "vercel:project:$?"),
    ("vercel promote https://app-abc.vercel.app", "vercel.deploy", Risk.WRITE,
     "vercel:project:$?"),
    ("vercel env rm API_KEY production --yes", "vercel.env.rm", Risk.DESTRUCTIVE,
     "vercel:project:$?"),
    ("vercel domains rm example.com", "vercel.domains.rm", Risk.DESTRUCTIVE,
     "vercel:domain:example.com"),
    ("vercel remove my-project --yes", "vercel.remove", Risk.CATASTROPHIC,
     "vercel:project:my-project"),
    ("vercel rm my-project", "vercel.remove", Risk.CATASTROPHIC, "vercel:project:my-project"),
    ("vercel project rm my-project", "vercel.projects.remove", Risk.CATASTROPHIC,
     "vercel:project:my-project"),
]  # fmt: skip

SUPABASE = [
    ("supabase status", "supabase.status", Risk.READ, "supabase:project:*"),
    ("supabase migration list", "supabase.migration.list", Risk.READ, "supabase:project:*"),
    ("supabase projects list", "supabase.projects.list", Risk.READ, "supabase:project:*"),
    ("supabase db diff --linked", "supabase.db.diff", Risk.READ, "supabase:project:*"),
    ("supabase db reset --linked --help", "supabase.help", Risk.READ, "supabase:project:*"),
    ("supabase start", "supabase.start", Risk.WRITE, "supabase:local"),
    ("supabase db push", "supabase.db.push", Risk.WRITE, "supabase:project:$?"),
    ("supabase db push --project-ref abcd", "supabase.db.push", Risk.WRITE,
     "supabase:project:abcd"),
    ("supabase secrets set KEY=v --project-ref abcd", "supabase.secrets.set", Risk.WRITE,
     "supabase:project:abcd"),
    ("supabase functions deploy hello", "supabase.functions.deploy", Risk.WRITE,
     "supabase:project:$?"),
    ("supabase db reset", "supabase.db.reset", Risk.DESTRUCTIVE, "supabase:local"),
    ("supabase stop --no-backup", "supabase.stop.no-backup", Risk.DESTRUCTIVE, "supabase:local"),
    ("supabase migration down --linked", "supabase.migration.down", Risk.DESTRUCTIVE,
     "supabase:project:$?"),
    ("supabase functions delete hello --project-ref abcd", "supabase.functions.delete",
     Risk.DESTRUCTIVE, "supabase:function:hello"),
    ("supabase db reset --linked", "supabase.db.reset.remote", Risk.CATASTROPHIC,
     "supabase:project:$?"),
    ("supabase projects delete abcd", "supabase.projects.delete", Risk.CATASTROPHIC,
     "supabase:project:abcd"),
]  # fmt: skip

NETLIFY = [
    ("netlify status", "netlify.status", Risk.READ, "netlify:site:*"),
    ("netlify sites:list", "netlify.sites.list", Risk.READ, "netlify:site:*"),
    ("netlify env:list --site 123", "netlify.env.list", Risk.READ, "netlify:site:123"),
    ("netlify logs:function hello", "netlify.logs.function", Risk.READ, "netlify:site:*"),
    ("netlify api listSites", "netlify.api.read", Risk.READ, "netlify:site:*"),
    ("netlify sites:delete 123 --help", "netlify.help", Risk.READ, "netlify:site:*"),
    ("netlify deploy --prod --dir build --site 123", "netlify.deploy", Risk.WRITE,
     "netlify:site:123"),
    ("netlify env:set KEY v --site=123", "netlify.env.set", Risk.WRITE, "netlify:site:123"),
    ("netlify link --id 123", "netlify.link", Risk.WRITE, "netlify:site:$?"),
    ("netlify api updateSite --data '{}'", "netlify.api", Risk.WRITE, "netlify:site:$?"),
    ("netlify env:unset KEY --site 123", "netlify.env.unset", Risk.DESTRUCTIVE,
     "netlify:site:123"),
    ("netlify api deleteDeploy --data '{}'", "netlify.api.api.deleteDeploy", Risk.DESTRUCTIVE,
     "netlify:site:$?"),
    ("netlify sites:delete 123abc", "netlify.sites.delete", Risk.CATASTROPHIC,
     "netlify:site:123abc"),
    ("netlify api deleteSite --data '{\"site_id\": \"x\"}'", "netlify.api.deleteSite",
     Risk.CATASTROPHIC, "netlify:site:$?"),
]  # fmt: skip

DOCTL = [
    ("doctl compute droplet list", "doctl.compute.droplet.list", Risk.READ,
     "digitalocean:compute-droplet:*"),
    ("doctl db list", "doctl.databases.list", Risk.READ, "digitalocean:databases:*"),
    ("doctl k8s cluster list", "doctl.kubernetes.cluster.list", Risk.READ,
     "digitalocean:kubernetes-cluster:*"),
    ("doctl account get", "doctl.account.get", Risk.READ, "digitalocean:account:*"),
    ("doctl compute droplet delete 1 --help", "doctl.help", Risk.READ,
     "digitalocean:compute:*"),
    ("doctl compute droplet create web1 --size s-1vcpu-1gb --image ubuntu-22-04-x64",
     "doctl.compute.droplet.create", Risk.WRITE, "digitalocean:droplet:web1"),
    ("doctl apps create --spec app.yaml", "doctl.apps.create", Risk.WRITE,
     "digitalocean:apps:*"),
    ("doctl compute droplet-action reboot 123", "doctl.compute.droplet-action.reboot",
     Risk.WRITE, "digitalocean:droplet-action:123"),
    ("doctl compute volume delete vol1 --force", "doctl.compute.volume.delete",
     Risk.DESTRUCTIVE, "digitalocean:volume:vol1"),
    ("doctl compute snapshot delete 999", "doctl.compute.snapshot.delete", Risk.DESTRUCTIVE,
     "digitalocean:snapshot:999"),
    ("doctl apps delete app-1", "doctl.apps.delete", Risk.DESTRUCTIVE, "digitalocean:app:app-1"),
    ("doctl compute droplet delete 12345 --force", "doctl.compute.droplet.delete",
     Risk.CATASTROPHIC, "digitalocean:droplet:12345"),
    ("doctl compute d rm 12345", "doctl.compute.droplet.rm", Risk.CATASTROPHIC,
     "digitalocean:droplet:12345"),
    ("doctl --context prod databases delete abc-123", "doctl.databases.delete",
     Risk.CATASTROPHIC, "digitalocean:database:abc-123"),
    ("doctl kubernetes cluster delete prod", "doctl.kubernetes.cluster.delete",
     Risk.CATASTROPHIC, "digitalocean:cluster:prod"),
]  # fmt: skip


@pytest.mark.parametrize(("line", "verb", "risk", "locator"), HEROKU, ids=[c[0] for c in HEROKU])
def test_heroku(line: str, verb: str, risk: Risk, locator: str, tmp_path: Path) -> None:
    check(line, verb, risk, locator, tmp_path)


@pytest.mark.parametrize(("line", "verb", "risk", "locator"), FLY, ids=[c[0] for c in FLY])
def test_fly(line: str, verb: str, risk: Risk, locator: str, tmp_path: Path) -> None:
    check(line, verb, risk, locator, tmp_path)


@pytest.mark.parametrize(("line", "verb", "risk", "locator"), VERCEL, ids=[c[0] for c in VERCEL])
def test_vercel(line: str, verb: str, risk: Risk, locator: str, tmp_path: Path) -> None:
    check(line, verb, risk, locator, tmp_path)


@pytest.mark.parametrize(
    ("line", "verb", "risk", "locator"), SUPABASE, ids=[c[0] for c in SUPABASE]
)
def test_supabase(line: str, verb: str, risk: Risk, locator: str, tmp_path: Path) -> None:
    check(line, verb, risk, locator, tmp_path)


@pytest.mark.parametrize(("line", "verb", "risk", "locator"), NETLIFY, ids=[c[0] for c in NETLIFY])
def test_netlify(line: str, verb: str, risk: Risk, locator: str, tmp_path: Path) -> None:
    check(line, verb, risk, locator, tmp_path)


@pytest.mark.parametrize(("line", "verb", "risk", "locator"), DOCTL, ids=[c[0] for c in DOCTL])
def test_doctl(line: str, verb: str, risk: Risk, locator: str, tmp_path: Path) -> None:
    check(line, verb, risk, locator, tmp_path)


def test_app_from_the_environment_is_the_target(tmp_path: Path) -> None:
    target = classify("heroku pg:reset DATABASE_URL", tmp_path, {"HEROKU_APP": "prod"})[0]
    assert (target.locator, target.unresolved) == ("heroku:app:prod", False)
    target = classify("fly volumes destroy vol_1 -y", tmp_path, {"FLY_APP": "api"})[0]
    assert target.locator == "fly:app:api/volume/vol_1"


def test_write_to_an_app_taken_from_the_directory_is_unresolved(tmp_path: Path) -> None:
    target = classify("heroku config:set X=1", tmp_path)[0]
    assert target.unresolved
    assert "working directory" in target.detail


def test_read_of_an_app_taken_from_the_directory_is_not_unresolved(tmp_path: Path) -> None:
    assert not classify("heroku logs --tail", tmp_path)[0].unresolved


def test_variable_app_is_unresolved(tmp_path: Path) -> None:
    target = classify("fly apps destroy $APP --yes", tmp_path)[0]
    assert target.unresolved
    assert target.risk == Risk.CATASTROPHIC


def test_variable_addon_is_the_worst_case(tmp_path: Path) -> None:
    target = classify("heroku addons:destroy $ADDON -a myapp", tmp_path)[0]
    assert target.risk == Risk.CATASTROPHIC


def test_database_url_never_carries_its_password(tmp_path: Path) -> None:
    line = "supabase db reset --db-url postgresql://postgres:s3cret@db.x.supabase.co:5432/postgres"
    target = classify(line, tmp_path)[0]
    assert target.risk == Risk.CATASTROPHIC
    assert target.locator == "postgresql://db.x.supabase.co:5432/postgres"
    assert "s3cret" not in target.name + target.locator + target.detail
