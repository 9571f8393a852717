"""Infrastructure as code besides Terraform: ``pulumi`` and ``cdk`` (AWS CDK).

Risk choices follow the terraform pack:

- ``pulumi destroy`` (and its documented aliases ``down`` and ``dn``) and ``cdk
  destroy`` delete every resource of the stack: catastrophic, like ``terraform destroy``
  (``--preview-only``: read).
- ``pulumi up --yes``/``--skip-preview`` and ``cdk deploy --require-approval never``
  change resources with no human looking at the plan: destructive, like
  ``terraform apply -auto-approve``. A plain ``up``/``deploy`` is a write.
- ``pulumi stack rm`` (its state goes; ``--force`` even with resources left),
  ``state delete``/``state move``, ``state unprotect`` (what stopped a delete no longer
  does), ``stack import`` (replaces the state), ``cancel``
  and ``cdk gc`` (deletes unused assets): destructive.
- ``preview``, ``stack ls``, ``cdk diff|synth|ls``: read.

Locators: ``pulumi:stack:<stack>`` (``-s/--stack`` or ``PULUMI_STACK``; otherwise the
stack selected in the working directory: unresolved); ``aws:cloudformation:<stack>``
for CDK stacks, so the inventory's AWS patterns (``aws:*:prod-*``) apply.
"""

from __future__ import annotations

from airlock.classify.packs.base import Pack, rule
from airlock.classify.packs.gcloud import flagset
from airlock.classify.packs.toolpack import ToolPack

_PULUMI_RULES = (
    rule("pulumi.help", "read", flags="--help|-h"),
    rule("pulumi.help", "read", "help|version|about|whoami|gen-completion"),
    rule("pulumi.destroy", "read", "destroy|down|dn", flags="--preview-only"),
    rule("pulumi.destroy", "catastrophic", "destroy|down|dn", kind="stack",
         detail="deletes every resource of the stack"),
    rule("pulumi.up.yes", "destructive", "up|update", flags="--yes|-y|--skip-preview|-f",
         kind="stack", detail="changes resources with no human looking at the preview"),
    rule("pulumi.up", "write", "up|update", kind="stack"),
    rule("pulumi.stack.rm", "destructive", "stack", "rm|remove", target="arg:0", args="*",
         kind="stack", locator="pulumi:stack:{name}", detail="the stack's state is deleted"),
    rule("pulumi.stack.rm", "destructive", "stack", "rm|remove", kind="stack",
         detail="the stack's state is deleted"),
    rule("pulumi.{sub}", "destructive", "state", "delete|move|edit|repair", kind="stack",
         detail="the state no longer matches the resources"),
    rule("pulumi.state.unprotect", "destructive", "state", "unprotect", kind="stack",
         detail="lifts the protection that stops a resource being deleted"),
    rule("pulumi.stack.import", "destructive", "stack", "import", kind="stack",
         detail="replaces the stack's state"),
    rule("pulumi.cancel", "destructive", "cancel", kind="stack"),
    rule("pulumi.{sub}", "read", "preview|pre|logs|watch|whoami"),
    rule("pulumi.{sub}", "read", "stack", "ls|output|export|history|graph|tag|select"),
    rule("pulumi.{sub}", "read", "config", "get"),
    rule("pulumi.{sub}", "read", "*", "ls|list|get|show|open"),
    rule("pulumi.{sub}", "write", "*", "*", kind="stack"),
    rule("pulumi.{sub}", "write", "*", kind="stack"),
)  # fmt: skip

_STACKS = {"target": "args", "kind": "stack", "locator": "aws:cloudformation:{name}"}

_CDK_RULES = (
    rule("cdk.help", "read", flags="--help|-h|--version"),
    rule("cdk.destroy", "catastrophic", "destroy", args="*",
         detail="deletes the stacks' resources", **_STACKS),
    rule("cdk.destroy", "catastrophic", "destroy", kind="stack",
         detail="deletes the app's stacks"),
    rule("cdk.deploy.unattended", "destructive", "deploy", flags="--require-approval=never",
         args="*", detail="no approval asked", **_STACKS),
    rule("cdk.deploy.unattended", "destructive", "deploy", flags="--require-approval=never",
         kind="stack", detail="no approval asked"),
    rule("cdk.{sub}", "write", "deploy|import|watch|rollback|migrate|refactor", args="*",
         **_STACKS),
    rule("cdk.{sub}", "write", "deploy|import|watch|rollback|migrate|refactor", kind="stack"),
    rule("cdk.gc", "destructive", "gc", kind="stack", detail="deletes unused assets"),
    rule("cdk.{sub}", "write", "bootstrap|init|context|acknowledge|ack|notices"),
    rule("cdk.{sub}", "read", "diff|synth|synthesize|ls|list|doctor|docs|doc|metadata|"
         "version|drift"),
)  # fmt: skip

PACKS: list[Pack] = [
    ToolPack(
        name="pulumi",
        programs=("pulumi",),
        rules=_PULUMI_RULES,
        kind="stack",
        takes_value=flagset(
            "-s --stack -C --cwd --config-file -c --config -t --target -m --message"
            " --secrets-provider --parallel -p --exclude --replace --target-dependents"
            " --color --logflow -v --verbose --tracing --policy-pack --client"
        ),
        default=rule("pulumi.other", "write"),
        prefix="pulumi:stack:",
        app_options="-s|--stack",
        app_env="PULUMI_STACK",
        unknown_note="the stack selected in the working directory",
        description="Pulumi",
    ),
    ToolPack(
        name="cdk",
        programs=("cdk", "aws-cdk"),
        rules=_CDK_RULES,
        kind="stack",
        takes_value=flagset(
            "-a --app -c --context --profile --region -o --output --require-approval"
            " --role-arn -r --toolkit-stack-name --parameters -e --exclusively --method"
            " --change-set-name --outputs-file --concurrency --asset-parallelism --build"
            " --plugin -p --proxy --ca-bundle-path -t --tags"
        ),
        default=rule("cdk.other", "write"),
        prefix="aws:cloudformation:",
        unknown_note="the stacks of the app in the working directory",
        context=(("profile", "--profile", "AWS_PROFILE"), ("region", "--region", "AWS_REGION")),
        description="AWS CDK",
    ),
]
