"""Programs no pack knows: the catalogue first, then their arguments (issue 13)."""

from __future__ import annotations

from pathlib import Path

import pytest

from airlock.action import Action, Risk, Target
from airlock.classify.catalogue import CATALOGUE, harmless
from airlock.classify.classifier import Classifier
from airlock.classify.dispatch import READ_ONLY
from airlock.classify.unknown import DESTRUCTIVE_FLAGS, DESTRUCTIVE_VERBS
from airlock.config import Config
from tests.support import checker, decide

CLASSIFIER = Classifier(Config())


def targets(command: str, cwd: Path) -> list[Target]:
    return CLASSIFIER.classify(Action(command=command, cwd=str(cwd))).targets


# ---- what an unknown program becomes ----------------------------------------------------

@pytest.mark.parametrize(("command", "verb", "risk", "locator"), [
    ("foo-cli delete x", "foo-cli.unknown.delete", Risk.DESTRUCTIVE, "program:foo-cli"),
    ("foo-cli db:reset", "foo-cli.unknown.reset", Risk.DESTRUCTIVE, "program:foo-cli"),
    ("foo-cli sync --force-delete", "foo-cli.unknown.delete", Risk.DESTRUCTIVE,
     "program:foo-cli"),
    ("foo-cli gc --prune=now", "foo-cli.unknown.prune", Risk.DESTRUCTIVE, "program:foo-cli"),
    ("foo-cli $VERB", "foo-cli.unknown.dynamic", Risk.DESTRUCTIVE, "program:foo-cli"),
    ("foo-cli migrate --env prod", "foo-cli.unknown", Risk.DESTRUCTIVE, "env:prod"),
    ("foo-cli migrate --environment=production", "foo-cli.unknown", Risk.DESTRUCTIVE,
     "env:production"),
    ("foo-cli migrate -e production", "foo-cli.unknown", Risk.DESTRUCTIVE, "env:production"),
    ("foo-cli load postgres://u:pw@db.example.com:5433/app", "foo-cli.unknown",
     Risk.DESTRUCTIVE, "postgres://db.example.com:5433/app"),
    ("foo-cli --host db.example.com ping", "foo-cli.unknown", Risk.DESTRUCTIVE,
     "host://db.example.com"),
    ("foo-cli build", "foo-cli.unknown", Risk.WRITE, None),
])
def test_unknown_program_targets(workspace: Path, command: str, verb: str, risk: Risk,
                                 locator: str | None) -> None:
    found = targets(command, workspace)
    assert (found[0].verb, found[0].risk) == (verb, risk), found
    assert found[0].locator == (locator or f"path:{workspace}")


def test_the_detail_names_the_words_and_how_to_teach_airlock(workspace: Path) -> None:
    d = decide("foo-cli users purge --all", cwd=workspace)
    assert d.decision == "hold"
    reason = " ".join(d.reasons)
    assert "'purge'" in reason
    assert "[[packs]]" in reason and "docs/packs.md" in reason


def test_a_password_in_a_url_never_reaches_the_locator_or_reason(workspace: Path) -> None:
    d = decide("foo-cli load postgres://app:s3cr3t@db.example.com/app", cwd=workspace)
    assert d.decision == "hold"
    assert "s3cr3t" not in " ".join(d.reasons)
    assert all("s3cr3t" not in t.locator and "s3cr3t" not in t.detail for t in d.targets)


# ---- whole words, not substrings ---------------------------------------------------------

@pytest.mark.parametrize("command", [
    "foo-cli undelete x", "foo-cli list --deleted", "foo-cli show dropdown",
    "foo-cli generate product-page", "foo-cli build --no-delete", "foo-cli sync --keep-deleted",
    "foo-cli build --disable-telemetry", "foo-cli build --clean", "foo-cli start --reset-cache",
    "foo-cli run reset_db.py", "foo-cli apply delete-users.sql", "foo-cli build --config prod.yaml",
    "foo-cli build --config config/prod.yaml", "foo-cli remover", "foo-cli reproduce",
    "foo-cli ping --host localhost", "foo-cli ping --url http://127.0.0.1:8080/health",
    "foo-cli serve --env dev", "foo-cli migrate --env staging",
    "NODE_ENV=production foo-cli bundle",
])
def test_harmless_words_stay_allowed(workspace: Path, command: str) -> None:
    d = decide(command, cwd=workspace)
    assert d.decision == "allow", (d.reasons, [t.verb for t in d.targets])


@pytest.mark.parametrize("command", [
    "sudo foo-cli delete x", "env A=1 foo-cli delete x", "/usr/local/bin/foo-cli delete x",
    "./foo-cli delete x", "nice -n 5 foo-cli delete x", "timeout 9 foo-cli delete x",
    "bash -c 'foo-cli delete x'", "echo x | xargs foo-cli delete",
    "find . -name '*.tmp' -exec foo-cli delete {} +",
])
def test_wrappers_and_paths_get_the_same_treatment(workspace: Path, command: str) -> None:
    d = decide(command, cwd=workspace)
    assert d.decision == "hold", (d.reasons, [t.verb for t in d.targets])
    assert any(t.verb == "foo-cli.unknown.delete" for t in d.targets)


def test_every_destructive_word_is_held_as_a_subcommand(workspace: Path) -> None:
    allowed = [w for w in sorted(DESTRUCTIVE_VERBS)
               if decide(f"foo-cli {w} thing", cwd=workspace).decision != "hold"]
    assert allowed == []


def test_every_destructive_flag_is_held(workspace: Path) -> None:
    allowed = [w for w in sorted(DESTRUCTIVE_FLAGS)
               if decide(f"foo-cli sync --{w}", cwd=workspace).decision != "hold"]
    assert allowed == []


# ---- the catalogue -----------------------------------------------------------------------

@pytest.mark.parametrize("command", [
    "make clean", "cargo clean", "go clean -cache", "npm prune", "npm uninstall lodash",
    "npm", "yarn", "pip uninstall -y requests", "tar --delete -f a.tar x", "gradle clean",
    "pytest --cache-clear", "brew cleanup",
])
def test_catalogue_programs_are_workspace_writes(workspace: Path, command: str) -> None:
    found = targets(command, workspace)
    assert [(t.verb.endswith(".run"), t.risk) for t in found] == [(True, Risk.WRITE)]


@pytest.mark.parametrize("command", [
    "npm unpublish left-pad", "npm owner rm bob left-pad", "cargo yank --version 1.0.0",
    "apt-get purge nginx", "brew uninstall jq", "npm $CMD",
])
def test_verbs_outside_the_catalogue_are_judged_by_their_words(workspace: Path,
                                                               command: str) -> None:
    d = decide(command, cwd=workspace)
    assert d.decision == "hold"
    assert "catalogue" in " ".join(d.reasons)


def test_catalogue_lookup() -> None:
    assert harmless("make", "anything")
    assert harmless("npm", "install") and harmless("npm", None)
    assert not harmless("npm", "unpublish")
    assert not harmless("foo-cli", None)


def test_the_catalogue_does_not_list_read_only_utilities() -> None:
    # those are reads (dispatch.READ_ONLY), which the catalogue would turn into writes
    assert set(CATALOGUE) & READ_ONLY == set()


def test_the_catalogue_lists_no_interpreter() -> None:
    # an interpreter runs any program it is given: never harmless whatever its arguments
    for name in ("python", "python3", "node", "ruby", "perl", "php", "java", "bash", "sh"):
        assert name not in CATALOGUE


# ---- teaching Airlock ----------------------------------------------------------------------

def test_a_user_pack_teaches_airlock_an_unknown_program(workspace: Path, tmp_path: Path
                                                          ) -> None:
    taught = checker("""
        [[packs]]
        name = "foo-cli"
        programs = ["foo-cli"]

        [[packs.rules]]
        when = ["cache", "delete"]
        verb = "foo-cli.cache.delete"
        risk = "write"
    """, tmp_path)
    assert decide("foo-cli cache delete", cwd=workspace).decision == "hold"
    d = decide("foo-cli cache delete", cwd=workspace, config=taught)
    assert d.decision == "allow"
    assert [t.verb for t in d.targets] == ["foo-cli.cache.delete"]


def test_a_pack_comes_before_the_catalogue(workspace: Path, tmp_path: Path) -> None:
    strict = checker("""
        [[packs]]
        name = "make-strict"
        programs = ["make"]

        [[packs.rules]]
        when = ["deploy"]
        verb = "make.deploy"
        risk = "destructive"
    """, tmp_path)
    assert decide("make deploy", cwd=workspace).decision == "allow"
    assert decide("make deploy", cwd=workspace, config=strict).decision == "hold"


def test_the_inventory_can_put_a_host_in_a_sandbox(workspace: Path, tmp_path: Path) -> None:
    inventory = checker("""
        [environments.sandbox]
        sandbox = true

        [[resources]]
        name = "scratch-db"
        kind = "database"
        env = "sandbox"
        hosts = ["scratch.db.example.com"]
    """, tmp_path)
    command = "foo-cli load postgres://app@scratch.db.example.com/app"
    assert decide(command, cwd=workspace).decision == "hold"
    assert decide(command, cwd=workspace, config=inventory).decision == "allow"


# ---- what a package manager or the interpreter runs by name ------------------------------

@pytest.mark.parametrize(("command", "verb"), [
    ("pnpm drizzle-kit push --force", "drizzle-kit.push.force"),
    ("yarn prisma migrate reset --force", "prisma.migrate.reset"),
    ("bun knex migrate:rollback --all", "knex.migrate.rollback.all"),
    ("python3 manage.py migrate payments zero", "django.migrate.zero"),
    ("python -m django flush --noinput", "django.flush"),
    ("python3.12 src/manage.py reset_db --noinput", "django.reset_db"),
])
def test_a_tool_run_by_name_is_judged_by_its_pack(workspace: Path, command: str,
                                                  verb: str) -> None:
    d = decide(command, cwd=workspace)
    assert d.decision == "hold", d.reasons
    assert verb in [t.verb for t in d.targets], [t.verb for t in d.targets]


@pytest.mark.parametrize("command", [
    "pnpm vitest run", "pnpm tsc --noEmit", "yarn eslint .", "bun drizzle-kit generate",
    "python manage.py runserver 0.0.0.0:8000", "python -u manage.py migrate",
    "python manage.py test",
])
def test_harmless_tools_run_by_name_stay_allowed(workspace: Path, command: str) -> None:
    d = decide(command, cwd=workspace)
    assert d.decision == "allow", (d.reasons, [t.verb for t in d.targets])


@pytest.mark.parametrize("command", ["kind delete cluster --name dev", "minikube delete",
                                     "k3d cluster delete dev"])
def test_local_throwaway_clusters_are_dev_resets(workspace: Path, command: str) -> None:
    d = decide(command, cwd=workspace)
    assert d.decision == "allow", d.reasons
