"""The forges packs: verb, risk and locator of each command (gh and glab)."""

from __future__ import annotations

from pathlib import Path

import pytest

from airlock.action import Risk
from airlock.classify.packs.forges import PACKS
from tests.classify.packs.support import run_pack

R, W, D, C = Risk.READ, Risk.WRITE, Risk.DESTRUCTIVE, Risk.CATASTROPHIC

CASES = [
    ('gh repo delete acme/api --yes', 'gh.repo.delete', D, 'github:repo:acme/api'),
    ('gh repo delete --yes', 'gh.repo.delete', D, ''),
    ('gh -R acme/api release delete v1.2.0 -y',
     'gh.release.delete', D, 'github:repo:acme/api/release/v1.2.0'),
    ('gh release delete-asset v1 app.zip -R acme/api',
     'gh.release.delete-asset', D, 'github:repo:acme/api/release/v1'),
    ('gh secret delete API_KEY -R acme/api',
     'gh.secret.delete', D, 'github:repo:acme/api/secret/API_KEY'),
    ('gh secret set DB_PASSWORD --body x --repo=acme/api',
     'gh.secret.set', D, 'github:repo:acme/api/secret/DB_PASSWORD'),
    ('gh workflow disable deploy.yml -R acme/api',
     'gh.workflow.disable', D, 'github:repo:acme/api/workflow/deploy.yml'),
    ('gh repo archive acme/old -y', 'gh.repo.archive', D, 'github:repo:acme/old'),
    ('gh repo edit acme/api --visibility public', 'gh.repo.edit.visibility', D, ''),
    ('gh api -X DELETE repos/acme/api', 'gh.api.delete', D, 'github:api:repos/acme/api'),
    ('gh api --method=DELETE repos/acme/api/git/refs/heads/x',
     'gh.api.delete', D, 'github:api:repos/acme/api/git/refs/heads/x'),
    ('gh label delete bug --yes -R acme/api',
     'gh.label.delete', D, 'github:repo:acme/api/label/bug'),
    ('gh variable delete FOO -R acme/api',
     'gh.variable.delete', D, 'github:repo:acme/api/variable/FOO'),
    ('gh run delete 123 -R acme/api', 'gh.run.delete', D, 'github:repo:acme/api/run/123'),
    ('gh cache delete --all -R acme/api', 'gh.cache.delete', D, ''),
    ('gh pr list', 'gh.pr.list', R, 'github:repo:*'),
    ('gh repo view acme/api', 'gh.repo.view', R, 'github:repo:*'),
    ('gh pr view 12 --json title', 'gh.pr.view', R, 'github:repo:*'),
    ('gh run list -L 5', 'gh.run.list', R, 'github:repo:*'),
    ('gh api repos/acme/api/pulls', 'gh.api.read', R, 'github:api:repos/acme/api/pulls'),
    ('gh api -X GET repos/acme/api', 'gh.api.read', R, 'github:api:repos/acme/api'),
    ('gh --help', 'gh.help', R, 'github:repo:*'),
    ('gh auth status', 'gh.auth.token', R, 'github:repo:*'),
    ('gh pr create --title x --body y', 'gh.pr.create', W, ''),
    ('gh pr merge 12 --squash', 'gh.pr.merge', W, ''),
    ('gh issue close 3', 'gh.issue.close', W, ''),
    ('gh api repos/acme/api/issues -f title=x',
     'gh.api.write', W, 'github:api:repos/acme/api/issues'),
    ('gh variable set FOO --body bar', 'gh.variable.set', W, ''),
    ('gh workflow run deploy.yml', 'gh.workflow.run', W, ''),
    ('glab repo delete group/proj --yes', 'glab.repo.delete', D, 'gitlab:project:group/proj'),
    ('glab release delete v1 -R group/proj',
     'glab.release.delete', D, 'gitlab:project:group/proj/release/v1'),
    ('glab variable delete TOKEN -R group/proj',
     'glab.variable.delete', D, 'gitlab:project:group/proj/variable/TOKEN'),
    ('glab variable update TOKEN -v x -R group/proj',
     'glab.variable.update', D, 'gitlab:project:group/proj/variable/TOKEN'),
    ('glab ci delete 123', 'glab.ci.delete', D, ''),
    ('glab api -X DELETE projects/1', 'glab.api.delete', D, 'gitlab:api:projects/1'),
    ('glab mr list', 'glab.mr.list', R, 'gitlab:project:*'),
    ('glab repo view group/proj', 'glab.repo.view', R, 'gitlab:project:*'),
    ('glab ci status', 'glab.ci.status', R, 'gitlab:project:*'),
    ('glab mr create --fill', 'glab.mr.create', W, ''),
    ('glab variable set FOO -v bar', 'glab.variable.set', W, ''),
    # documented alias and project parts
    ('gh cs delete -c acme-proj-x7g', 'gh.cs.delete', D, ''),
    ('gh cs list', 'gh.cs.list', R, 'github:repo:*'),
    ('gh project item-delete 3 --owner acme --id PVTI_x', 'gh.project.item-delete', D, ''),
]


@pytest.mark.parametrize(("line", "verb", "risk", "locator"), CASES)
def test_classify(line: str, verb: str, risk: Risk, locator: str, tmp_path: Path) -> None:
    targets = run_pack(PACKS, line, tmp_path)
    worst = max(targets, key=lambda t: t.risk)
    assert (worst.verb, worst.risk) == (verb, risk), targets
    if locator:
        assert worst.locator == locator.replace("{cwd}", str(tmp_path)), targets


def test_repository_from_the_working_directory_is_unresolved(tmp_path: Path) -> None:
    (target,) = run_pack(PACKS, "gh repo delete --yes", tmp_path)
    assert target.unresolved and target.risk == D
    (target,) = run_pack(PACKS, "gh pr list", tmp_path)
    assert target.locator == "github:repo:*" and target.risk == R
