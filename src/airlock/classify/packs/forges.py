"""Code forges: ``gh`` (GitHub CLI) and ``glab`` (GitLab CLI).

Both act on one repository, named by ``-R/--repo OWNER/REPO`` (or ``GH_REPO``) or taken
from the git remote of the working directory, which Airlock does not read: a change to
such a repository is *unresolved*, a read targets ``github:repo:*``.

Risk choices:

- Deleting a repository, a release (or its assets), a secret, a variable, a workflow
  run, a cache, a label, a gist, a deploy or SSH key, a codespace (``gh cs``, its
  documented alias), a project or its items and fields: destructive. A deleted GitHub
  repository can be restored for 90 days, by its owner only: not catastrophic.
- ``gh secret set`` (``glab variable update``) overwrites a value that cannot be read
  back: destructive. Creating a variable is a write.
- ``gh workflow disable`` silently stops CI and deploys: destructive;
  ``repo archive`` makes the repository read-only for everyone: destructive.
- ``repo edit --visibility public`` publishes private code: destructive.
- ``gh api``/``glab api``: ``-X DELETE`` destructive, ``-X GET`` (the default without
  fields) read, anything else write.
- Listing and viewing (``pr list``, ``repo view``, ``run view``…) are reads; creating,
  commenting, merging, closing are writes. ``gh auth token`` is a read that the
  secret-read guard refuses.

Locators: ``github:repo:<owner/repo>``, a part of it under it
(``github:repo:<owner/repo>/release/<tag>``); ``gitlab:project:<group/project>``.
"""

from __future__ import annotations

from airlock.classify.packs.base import Pack, rule
from airlock.classify.packs.gcloud import flagset
from airlock.classify.packs.toolpack import ToolPack

_READS = "list|ls|view|status|diff|checks|watch|show|get|search|browse|trace|contributors"

_GH_RULES = (
    rule("gh.help", "read", flags="--help|-h"),
    rule("gh.help", "read", "help|version|--version|completion"),
    # gh api: the method decides
    rule("gh.api.delete", "destructive", "api", flags="-X=delete|--method=delete",
         target="arg:0", kind="api", locator="github:api:{name}"),
    rule("gh.api.read", "read", "api", flags="-X=get|--method=get", target="arg:0",
         kind="api", locator="github:api:{name}"),
    rule("gh.api.write", "write", "api", flags="-X|--method|-f|-F|--field|--raw-field|--input",
         target="arg:0", kind="api", locator="github:api:{name}"),
    rule("gh.api.read", "read", "api", target="arg:0", kind="api", locator="github:api:{name}"),
    # repositories
    rule("gh.repo.delete", "destructive", "repo", "delete", args="*", target="arg:0",
         kind="repo", locator="github:repo:{name}",
         detail="issues, pull requests, releases and wiki go with it (restorable 90 days)"),
    rule("gh.repo.delete", "destructive", "repo", "delete", kind="repo",
         detail="issues, pull requests, releases and wiki go with it (restorable 90 days)"),
    rule("gh.repo.archive", "destructive", "repo", "archive", args="*", target="arg:0",
         kind="repo", locator="github:repo:{name}", detail="the repository becomes read-only"),
    rule("gh.repo.archive", "destructive", "repo", "archive", kind="repo",
         detail="the repository becomes read-only"),
    rule("gh.repo.edit.visibility", "destructive", "repo", "edit",
         flags="--visibility=public", kind="repo", detail="makes the repository public"),
    rule("gh.repo.sync.force", "destructive", "repo", "sync", flags="--force", kind="repo",
         detail="hard-resets the branch to the source"),
    rule("gh.repo.deploy-key.delete", "destructive", "repo", "deploy-key", "delete",
         target="arg:0", kind="deploy-key", locator="{base}/deploy-key/{name}"),
    rule("gh.{sub}", "read", "repo", f"{_READS}|set-default|license|gitignore"),
    rule("gh.release.delete", "destructive", "release", "delete", target="arg:0",
         kind="release", locator="{base}/release/{name}"),
    rule("gh.release.delete-asset", "destructive", "release", "delete-asset", target="arg:0",
         kind="release", locator="{base}/release/{name}"),
    rule("gh.secret.delete", "destructive", "secret", "delete|remove", target="arg:0",
         kind="secret", locator="{base}/secret/{name}"),
    rule("gh.secret.set", "destructive", "secret", "set", target="arg:0", kind="secret",
         locator="{base}/secret/{name}", detail="overwrites a value that cannot be read back"),
    rule("gh.variable.delete", "destructive", "variable", "delete|remove", target="arg:0",
         kind="variable", locator="{base}/variable/{name}"),
    rule("gh.workflow.disable", "destructive", "workflow", "disable", target="arg:0",
         kind="workflow", locator="{base}/workflow/{name}", detail="CI and deploys stop"),
    rule("gh.{sub}", "destructive", "run|cache|label|ruleset|environment|codespace|cs|"
         "project|extension|gpg-key|ssh-key|issue", "delete|remove|rm",
         target="arg:0", kind="{kind}", locator="{base}/{group}/{name}"),
    rule("gh.{sub}", "destructive", "project", "item-delete|field-delete", target="arg:0",
         kind="project", locator="{base}/project/{name}"),
    rule("gh.gist.delete", "destructive", "gist", "delete", target="arg:0", kind="gist",
         locator="github:gist:{name}"),
    rule("gh.auth.token", "read", "auth", "token|status"),
    rule("gh.{sub}", "read", "status|search|browse|org|alias"),
    rule("gh.{sub}", "read", "*", _READS),
    rule("gh.{sub}", "write", "*", "*", kind="repo"),
    rule("gh.{sub}", "write", "*", kind="repo"),
)  # fmt: skip

_GLAB_RULES = (
    rule("glab.help", "read", flags="--help|-h"),
    rule("glab.help", "read", "help|version|--version|completion"),
    rule("glab.api.delete", "destructive", "api", flags="-X=delete|--method=delete",
         target="arg:0", kind="api", locator="gitlab:api:{name}"),
    rule("glab.api.read", "read", "api", flags="-X=get|--method=get", target="arg:0",
         kind="api", locator="gitlab:api:{name}"),
    rule("glab.api.write", "write", "api", flags="-X|--method|-f|-F|--field|--raw-field|--input",
         target="arg:0", kind="api", locator="gitlab:api:{name}"),
    rule("glab.api.read", "read", "api", target="arg:0", kind="api", locator="gitlab:api:{name}"),
    rule("glab.repo.delete", "destructive", "repo|project", "delete", args="*", target="arg:0",
         kind="project", locator="gitlab:project:{name}"),
    rule("glab.repo.delete", "destructive", "repo|project", "delete", kind="project"),
    rule("glab.repo.transfer", "destructive", "repo|project", "transfer", kind="project",
         detail="moves the project to another namespace"),
    rule("glab.release.delete", "destructive", "release", "delete", target="arg:0",
         kind="release", locator="{base}/release/{name}"),
    rule("glab.variable.delete", "destructive", "variable", "delete|remove", target="arg:0",
         kind="variable", locator="{base}/variable/{name}"),
    rule("glab.variable.update", "destructive", "variable", "update", target="arg:0",
         kind="variable", locator="{base}/variable/{name}",
         detail="overwrites a value that cannot be read back"),
    rule("glab.{sub}", "destructive", "ci|pipeline|schedule|label|deploy-key|ssh-key|"
         "snippet|issue|mr|cluster|token|securefile|gpg-key", "delete|remove|rm|revoke",
         target="arg:0", kind="{kind}", locator="{base}/{group}/{name}"),
    rule("glab.{sub}", "read", "repo|project", f"{_READS}|archive"),
    rule("glab.auth.status", "read", "auth", "status"),
    rule("glab.{sub}", "read", "status|search|check-update|alias"),
    rule("glab.{sub}", "read", "*", _READS),
    rule("glab.{sub}", "write", "*", "*", kind="project"),
    rule("glab.{sub}", "write", "*", kind="project"),
)  # fmt: skip

_GH_VALUES = flagset(
    "-R --repo --hostname -b --body -F --body-file -t --title -B --base -H --head -l --label"
    " -a --assignee -m --milestone -r --reviewer -p --project -f --field --raw-field -X"
    " --method -q --jq --json -L --limit -s --state -A --author -e --env --org --visibility"
    " -D --dir -O --output --template -j --job --input --repos --app --target --notes"
    " -n --notes-file --ref --branch --commit --workflow -u --user --source"
)
_GLAB_VALUES = flagset(
    "-R --repo -b --branch -t --title -d --description -l --label -a --assignee"
    " -m --milestone -X --method -f --field -F --raw-field -F --output -F --format -s --source"
    " -g --group --per-page -P --page --hostname -v --value -s --scope -r --ref -n --name"
    " --input -H --header --target-branch --source-branch"
)

PACKS: list[Pack] = [
    ToolPack(
        name="gh",
        programs=("gh",),
        rules=_GH_RULES,
        kind="repo",
        takes_value=_GH_VALUES,
        default=rule("gh.other", "write"),
        prefix="github:repo:",
        app_options="-R|--repo",
        app_env="GH_REPO",
        unknown_note="the repository of the working directory",
        context=(("host", "--hostname", "GH_HOST"),),
        description="GitHub CLI",
    ),
    ToolPack(
        name="glab",
        programs=("glab",),
        rules=_GLAB_RULES,
        kind="project",
        takes_value=_GLAB_VALUES,
        default=rule("glab.other", "write"),
        prefix="gitlab:project:",
        app_options="-R|--repo",
        app_env="GITLAB_REPO",
        unknown_note="the project of the working directory",
        context=(("host", "--hostname", "GITLAB_HOST"),),
        description="GitLab CLI",
    ),
]
