"""AWS CLI: ``aws``.

``aws [global options] SERVICE OPERATION [--param value...]``; ``aws s3`` adds
path-style commands (``aws s3 rm s3://bucket/key --recursive``). The rules name the
operations that matter; the rest are classified by their operation's verb
(``describe-*``/``list-*``/``get-*`` → read, ``delete-*``/``terminate-*`` → destructive,
``create-*``/``put-*``/``update-*`` → write), and anything else is a write.

Options are parsed the way the CLI parses them: every ``--option`` takes a value except
the known flags, and an API operation's list parameter takes every word up to the next
option (``--instance-ids i-1 i-2``). So ``aws --profile prod s3 rb s3://x`` finds ``s3
rb`` and ``aws ec2 terminate-instances --instance-ids i-1 i-2`` targets both instances.

Risk choices:

- ``s3 rb --force`` and ``s3 rm --recursive`` on a bucket root empty the whole bucket:
  catastrophic. ``s3 rm --recursive`` under a prefix, and ``s3 sync --delete``, are
  destructive (``sync --delete`` is also how static sites deploy, and it only removes
  what the source no longer has).
- Deleting a database instance or cluster (RDS, DocumentDB, Neptune, Redshift), a
  DynamoDB table, a CloudFormation stack, an EKS cluster, an EFS file system or an
  OpenSearch domain, terminating instances, scheduling a KMS key's deletion (everything
  encrypted under it becomes unreadable), closing an account: catastrophic.
- ``secretsmanager delete-secret`` keeps a recovery window: destructive; with
  ``--force-delete-without-recovery``: catastrophic.
- ``s3 mv`` out of a bucket (to another bucket or to a local path) deletes the source
  objects once copied: destructive on the source (a write on the destination); a
  rename inside one bucket is a write. ``modify-*``/``update-*`` with
  ``--no-deletion-protection`` lift what stops a delete: destructive, and so is a bucket
  lifecycle configuration (its rules decide when objects expire).
- ``--dry-run`` (EC2) and ``--dryrun`` (s3) perform nothing: read.
- SQL sent through ``rds-data``, ``redshift-data``, ``athena`` or DynamoDB PartiQL is
  not parsed here: write, with a detail saying so.

Locators are ``aws:<service>:<name>`` (``aws:s3:my-bucket`` from ``s3://my-bucket/key``,
``aws:rds:mydb``, ``aws:ec2:i-0abc``); a command that names nothing acts on
``aws:<service>:*``. The profile, region and endpoint go in the detail.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from airlock.action import Risk, Target
from airlock.classify.command import DYNAMIC, ClassifyContext, SimpleCommand, Word
from airlock.classify.packs.base import Pack, Rule, rule

Options = dict[str, list[Word | None]]


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Options that take no value. Every other --option takes one (the CLI's own model).
_FLAGS = _words(
    "--debug --no-verify-ssl --no-paginate --no-sign-request --no-cli-pager --cli-auto-prompt"
    " --version --help --dryrun --dry-run --recursive --force --delete --quiet"
    " --only-show-errors --exact-timestamps --size-only --follow-symlinks --human-readable"
    " --summarize --ignore-glacier-warnings --force-glacier-transfer --skip-final-snapshot"
    " --delete-automated-backups --force-delete-without-recovery --apply-immediately"
    " --with-decryption --multi-az --publicly-accessible --storage-encrypted"
    " --deletion-protection --allow-major-version-upgrade --auto-minor-version-upgrade"
    " --copy-tags-to-snapshot --enable-iam-database-authentication --force-failover"
    " --include-deleted --retain-stack-resources --disable-rollback --no-execute-changeset"
    " --fail-on-empty-changeset --force-upload --resolve-s3 --wait --async"
)

_IDENTIFIER_SUFFIXES = (
    "-name", "-names", "-id", "-ids", "-identifier", "-identifiers", "-arn", "-arns", "-url",
)  # fmt: skip
_IDENTIFIERS = frozenset({"--bucket", "--id", "--name", "--arn", "--cluster", "--service"})
_NOT_TARGETS = frozenset(
    {"--kms-key-id", "--subnet-ids", "--security-group-ids", "--vpc-security-group-ids",
     "--source-db-instance-identifier", "--image-id", "--key-name", "--client-request-token",
     "--role-arn", "--execution-role-arn", "--policy-arn", "--source-arn"}
)  # fmt: skip
_ROLE_POLICY = "opt:--user-name|--role-name|--group-name|--policy-arn|--instance-profile-name"


def _is_option(w: Word) -> bool:
    return w.text.startswith("--") and len(w.text) > 2 and DYNAMIC not in w.text.partition("=")[0]


def split_aws(args: Sequence[Word]) -> tuple[list[Word], Options]:
    """Split like the CLI: options anywhere, values after them.

    Before the operation, and for ``aws s3`` path commands, an option takes one value;
    after an API operation it takes every word up to the next option (list parameters).
    ``help`` is not special here.
    """
    positionals: list[Word] = []
    options: Options = {}
    i = 0
    while i < len(args):
        w = args[i]
        if w.text == "--":
            positionals.extend(args[i + 1 :])
            break
        if not _is_option(w):
            if w.text.startswith("-") and len(w.text) > 1 and not w.dynamic:
                options.setdefault(w.text, []).append(None)  # -h and the like
            else:
                positionals.append(w)
            i += 1
            continue
        name, eq, value = w.text.partition("=")
        if eq:
            options.setdefault(name, []).append(Word(value, DYNAMIC in value, w.glob))
        elif name in _FLAGS or name.startswith("--no-"):
            options.setdefault(name, []).append(None)
        else:
            greedy = len(positionals) >= 2 and positionals[0].text != "s3"
            values: list[Word | None] = []
            while i + 1 < len(args) and not _is_option(args[i + 1]):
                values.append(args[i + 1])
                i += 1
                if not greedy:
                    break
            options.setdefault(name, []).extend(values or [None])
        i += 1
    return positionals, options


def s3_urls(positionals: list[Word]) -> list[Word]:
    """``s3://b`` and ``s3://b/`` become ``s3://b/`` (a bucket root: pattern ``s3://*/``);
    a deeper URL loses its trailing slashes, so it never ends in ``/``."""
    out = []
    for w in positionals:
        t = w.text
        if t.startswith("s3://") and len(t) > 5:
            rest = t[5:].rstrip("/")
            t = "s3://" + rest + ("/" if rest and "/" not in rest else "")
            w = Word(t, w.dynamic, w.glob)
        out.append(w)
    return out


def _auto_target(options: Options) -> str:
    """The first identifier-looking option (``--db-instance-identifier``, ``--table-name``)."""
    for name, values in options.items():
        if name in _NOT_TARGETS or not any(v is not None for v in values):
            continue
        if name in _IDENTIFIERS or name.endswith(_IDENTIFIER_SUFFIXES):
            return f"opt:{name}"
    return ""


def _env(cmd: SimpleCommand, ctx: ClassifyContext, *names: str) -> str:
    for name in names:
        if name in cmd.env:
            return cmd.env[name].shown
        if name in ctx.environ:
            return ctx.environ[name]
    return ""


def _opt(options: Options, name: str) -> str:
    values = [v for v in options.get(name, []) if v is not None]
    return values[-1].shown if values else ""


def _context(cmd: SimpleCommand, options: Options, ctx: ClassifyContext) -> str:
    """``"profile prod, region eu-west-1"``: which account and where, as far as we know."""
    profile = _opt(options, "--profile") or _env(cmd, ctx, "AWS_PROFILE", "AWS_DEFAULT_PROFILE")
    region = _opt(options, "--region") or _env(cmd, ctx, "AWS_REGION", "AWS_DEFAULT_REGION")
    endpoint = _opt(options, "--endpoint-url") or _env(cmd, ctx, "AWS_ENDPOINT_URL")
    parts = [("profile", profile), ("region", region), ("endpoint", endpoint)]
    return ", ".join(f"{label} {value}" for label, value in parts if value)


_HELP = rule("aws.help", "read")

_S3 = (
    rule("aws.s3.rb.force", "catastrophic", "s3", "rb", flags="--force", target="arg:0",
         kind="bucket", detail="deletes every object, then the bucket"),
    rule("aws.s3.rb", "destructive", "s3", "rb", target="arg:0", kind="bucket"),
    rule("aws.s3.rm.bucket", "catastrophic", "s3", "rm", flags="--recursive", args="s3://*/",
         target="arg:0", kind="bucket", detail="deletes every object in the bucket"),
    rule("aws.s3.rm.recursive", "destructive", "s3", "rm", flags="--recursive",
         target="arg:0", kind="prefix"),
    rule("aws.s3.rm", "destructive", "s3", "rm", target="arg:0", kind="object"),
    rule("aws.s3.sync.delete", "destructive", "s3", "sync", flags="--delete", target="arg:1",
         kind="prefix", detail="deletes destination files missing from the source"),
    rule("aws.s3.mv", "write", "s3", "mv", target="arg:1", kind="object",
         detail="removes the source after copying"),
    rule("aws.s3.cp", "write", "s3", "cp|sync", target="arg:1", kind="object"),
    rule("aws.s3.mb", "write", "s3", "mb", target="arg:0", kind="bucket"),
    rule("aws.s3.ls", "read", "s3", "ls", args="s3://*", target="arg:0", kind="bucket"),
    rule("aws.s3.ls", "read", "s3", "ls|presign"),
    rule("aws.s3.website", "write", "s3", "website", target="arg:0", kind="bucket"),
    rule("aws.s3api.delete-bucket", "destructive", "s3api", "delete-bucket",
         target="opt:--bucket", kind="bucket"),
    rule("aws.s3api.delete-object", "destructive", "s3api", "delete-object|delete-objects",
         target="opt:--bucket", kind="object"),
)  # fmt: skip

_DATA = (
    # Databases: RDS, and DocumentDB and Neptune, which share its API.
    rule("aws.{service}.delete-db-instance", "catastrophic", "rds|docdb|neptune",
         "delete-db-instance", target="opt:--db-instance-identifier", kind="database"),
    rule("aws.{service}.delete-db-cluster", "catastrophic", "rds|docdb|neptune",
         "delete-db-cluster", target="opt:--db-cluster-identifier", kind="cluster"),
    rule("aws.{service}.delete-global-cluster", "catastrophic", "rds|docdb|neptune",
         "delete-global-cluster", target="opt:--global-cluster-identifier", kind="cluster"),
    rule("aws.{service}.delete-snapshot", "destructive", "rds|docdb|neptune",
         "delete-db-snapshot|delete-db-cluster-snapshot",
         target="opt:--db-snapshot-identifier|--db-cluster-snapshot-identifier",
         kind="snapshot"),
    rule("aws.redshift.delete-cluster", "catastrophic", "redshift", "delete-cluster",
         target="opt:--cluster-identifier", kind="cluster"),
    rule("aws.dynamodb.delete-table", "catastrophic", "dynamodb", "delete-table",
         target="opt:--table-name", kind="table"),
    rule("aws.dynamodb.delete-item", "destructive", "dynamodb", "delete-item",
         target="opt:--table-name", kind="table"),
    rule("aws.dynamodb.delete-backup", "destructive", "dynamodb", "delete-backup",
         target="opt:--backup-arn", kind="backup"),
    rule("aws.dynamodb.read", "read", "dynamodb", "scan|query|batch-get-item|transact-get-items",
         target="opt:--table-name", kind="table"),
    rule("aws.{service}.sql", "write", "dynamodb|rds-data|redshift-data",
         "execute-statement|batch-execute-statement|execute-transaction",
         detail="SQL not inspected"),
    rule("aws.athena.sql", "write", "athena", "start-query-execution",
         detail="SQL not inspected"),
    rule("aws.efs.delete-file-system", "catastrophic", "efs", "delete-file-system",
         target="opt:--file-system-id", kind="filesystem"),
    rule("aws.{service}.delete-domain", "catastrophic", "opensearch|es",
         "delete-domain|delete-elasticsearch-domain", target="opt:--domain-name",
         kind="domain"),
    rule("aws.elasticache.{op}", "destructive", "elasticache", "delete-*",
         target="opt:--cache-cluster-id|--replication-group-id|--serverless-cache-name|"
                "--snapshot-name|--global-replication-group-id", kind="cache"),
    rule("aws.backup.{op}", "destructive", "backup", "delete-recovery-point|delete-backup-vault",
         target="opt:--backup-vault-name", kind="backup"),
    # Compute and whole stacks.
    rule("aws.ec2.terminate-instances", "catastrophic", "ec2", "terminate-instances",
         target="opt:--instance-ids", kind="instance",
         detail="instance-store data and delete-on-termination volumes are lost"),
    rule("aws.ec2.delete-volume", "destructive", "ec2", "delete-volume",
         target="opt:--volume-id", kind="volume"),
    rule("aws.ec2.delete-snapshot", "destructive", "ec2", "delete-snapshot",
         target="opt:--snapshot-id", kind="snapshot"),
    rule("aws.ec2.deregister-image", "destructive", "ec2", "deregister-image",
         target="opt:--image-id", kind="image"),
    rule("aws.cloudformation.delete-stack", "catastrophic", "cloudformation", "delete-stack",
         target="opt:--stack-name", kind="stack", detail="deletes every resource of the stack"),
    rule("aws.cloudformation.delete-change-set", "write", "cloudformation",
         "delete-change-set", target="opt:--stack-name", kind="stack"),
    rule("aws.cloudformation.deploy", "write", "cloudformation", "deploy",
         target="opt:--stack-name", kind="stack"),
    rule("aws.eks.delete-cluster", "catastrophic", "eks", "delete-cluster", target="opt:--name",
         kind="cluster"),
    rule("aws.eks.delete-nodegroup", "destructive", "eks", "delete-nodegroup",
         target="opt:--nodegroup-name", kind="nodegroup"),
    rule("aws.ecs.{op}", "destructive", "ecs", "delete-cluster|delete-service",
         target="opt:--service|--cluster", kind="service"),
    rule("aws.lambda.delete-function", "destructive", "lambda", "delete-function",
         target="opt:--function-name", kind="function"),
    rule("aws.ecr.{op}", "destructive", "ecr", "delete-repository|batch-delete-image",
         target="opt:--repository-name", kind="repository"),
    # Keys, secrets, identities, names.
    rule("aws.kms.schedule-key-deletion", "catastrophic", "kms", "schedule-key-deletion",
         target="opt:--key-id", kind="key",
         detail="data encrypted under the key becomes unreadable once the waiting period ends"),
    rule("aws.secretsmanager.delete-secret.force", "catastrophic", "secretsmanager",
         "delete-secret", flags="--force-delete-without-recovery", target="opt:--secret-id",
         kind="secret", detail="no recovery window"),
    rule("aws.secretsmanager.delete-secret", "destructive", "secretsmanager", "delete-secret",
         target="opt:--secret-id", kind="secret", detail="recoverable during the recovery window"),
    rule("aws.iam.{op}", "destructive", "iam", "delete-*", target=_ROLE_POLICY, kind="identity"),
    rule("aws.route53.delete-hosted-zone", "destructive", "route53", "delete-hosted-zone",
         target="opt:--id", kind="hosted-zone"),
    rule("aws.logs.delete-log-group", "destructive", "logs", "delete-log-group",
         target="opt:--log-group-name", kind="log-group"),
    rule("aws.organizations.close-account", "catastrophic", "organizations", "close-account",
         target="opt:--account-id", kind="account"),
    rule("aws.sqs.purge-queue", "destructive", "sqs", "purge-queue", target="opt:--queue-url",
         kind="queue"),
    # a lifecycle rule can expire every object of the bucket
    rule("aws.s3api.put-bucket-lifecycle", "destructive", "s3api",
         "put-bucket-lifecycle-configuration|put-bucket-lifecycle|delete-bucket-lifecycle",
         target="opt:--bucket", kind="bucket",
         detail="lifecycle rules decide when objects are deleted"),
    # what stopped a delete no longer does
    rule("aws.{service}.{op}.unprotect", "destructive", "*", "modify-*|update-*",
         flags="--no-deletion-protection|--no-deletion-protection-enabled", target="auto",
         detail="lifts deletion protection"),
)  # fmt: skip

# ``s3 mv`` from a bucket: the source objects are deleted once copied
_S3_MV_SOURCE = rule("aws.s3.mv.source", "destructive", "s3", "mv", target="arg:0",
                     kind="object", detail="the source objects are deleted once copied")

_GENERIC = (
    rule("aws.configure.read", "read", "configure", "list|list-profiles|get|export-credentials"),
    rule("aws.configure.write", "write", "configure"),
    rule("aws.{service}.{op}", "read", "*",
         "describe-*|list-*|get-*|head-*|batch-get-*|wait|filter-log-events|tail|lookup-events|"
         "search-*|validate-*|simulate-*|estimate-*|decode-*|detect-*", target="auto"),
    rule("aws.{service}.{op}", "destructive", "*", "delete-*|terminate-*|purge-*|destroy-*",
         target="auto"),
    rule("aws.{service}.{op}", "write", "*",
         "create-*|put-*|update-*|modify-*|tag-*|untag-*|start-*|stop-*|reboot-*|restore-*|"
         "run-*|invoke*|send-*|attach-*|detach-*|associate-*|disassociate-*|register-*|"
         "deregister-*|enable-*|disable-*|remove-*|add-*|set-*|copy-*|import-*|export-*|"
         "cancel-*|revoke-*|authorize-*|assume-*", target="auto"),
)  # fmt: skip


def _leaves_bucket(positionals: list[Word]) -> bool:
    """``s3 mv SRC DST`` takes objects out of a bucket: SRC is in one and DST is not in the
    same one (a rename inside a bucket keeps the data where it was)."""
    if len(positionals) < 4:
        return False
    src, dst = positionals[2], positionals[3]
    if src.dynamic or dst.dynamic:
        return src.dynamic or src.text.startswith("s3://")
    if not src.text.startswith("s3://"):
        return False

    def bucket(text: str) -> str:
        return text[5:].split("/", 1)[0] if text.startswith("s3://") else ""

    return bucket(src.text) != bucket(dst.text)


@dataclass
class AwsPack(Pack):
    """The ``aws`` pack: CLI-style option parsing, ``s3://`` URLs, profile in the detail."""

    def classify(self, cmd: SimpleCommand, ctx: ClassifyContext) -> list[Target]:
        positionals, options = split_aws(cmd.args)
        if positionals and positionals[0].text == "s3":
            positionals = [*positionals[:2], *s3_urls(positionals[2:])]
        for r in self._rules(positionals, options):
            if r.matches(positionals, options):
                targets = self.targets_for(r, cmd, positionals, options, ctx)
                if r.verb == "aws.s3.mv" and _leaves_bucket(positionals):
                    targets[:0] = self.targets_for(_S3_MV_SOURCE, cmd, positionals, options,
                                                   ctx)
                return targets
        fallback = self.default or rule("aws.{service}.{op}", "write", target="auto")
        return self.targets_for(fallback, cmd, positionals, options, ctx)

    def _rules(self, positionals: list[Word], options: Options) -> tuple[Rule, ...]:
        # `aws help`, `aws s3 help`, `aws ec2 describe-instances help`: the CLI's own help
        # word, only as the last of at most three positionals (a local file named "help"
        # in `aws s3 sync help s3://b` stays a file).
        last = positionals[-1] if positionals else None
        if (
            "--help" in options
            or "-h" in options
            or (last and not last.dynamic and last.text == "help" and len(positionals) <= 3)
        ):
            return (_HELP,)
        return self.all_rules()

    def targets_for(
        self,
        rule: Rule,
        cmd: SimpleCommand,
        positionals: Sequence[Word],
        options: Options,
        ctx: ClassifyContext,
    ) -> list[Target]:
        service = positionals[0].text if positionals else ""
        op = positionals[1].text if len(positionals) > 1 else ""
        loc_service = "s3" if service == "s3api" else service
        target = rule.target
        if target == "auto":
            target = _auto_target(options)
            if not target and rule.risk >= Risk.DESTRUCTIVE:
                target = "opt:"  # deletes something we cannot name: unresolved
        if not service:
            verb = rule.verb if "{" not in rule.verb else "aws.other"
            specialised = replace(rule, verb=verb, target="", locator="aws:*")
        else:
            locator = rule.locator or (
                f"aws:{loc_service}:{{name}}" if target else f"aws:{loc_service}:*"
            )
            specialised = replace(
                rule,
                verb=rule.verb.replace("{service}", service).replace("{op}", op or "other"),
                target=target or f"const:{service}",
                locator=locator,
            )
        targets = super().targets_for(specialised, cmd, positionals, options, ctx)
        extra = _context(cmd, options, ctx)
        for t in targets:
            if t.name.startswith("s3://") or t.locator.startswith("aws:s3:s3://"):
                bucket = t.locator.removeprefix("aws:s3:").removeprefix("s3://")
                t.locator = "aws:s3:" + bucket.split("/", 1)[0]
            elif (
                rule.verb.startswith("aws.s3.")
                and target.startswith("arg:")
                and DYNAMIC not in t.locator
            ):  # the local end of a copy or sync
                t.kind = "path"
                t.locator = ctx.abspath(t.name)
            if DYNAMIC in t.locator:
                t.unresolved = True
            if extra:
                t.detail = f"{t.detail}; {extra}" if t.detail else extra
        return targets


PACKS: list[Pack] = [
    AwsPack(
        name="aws",
        programs=("aws",),
        rules=(
            rule("aws.version", "read", flags="--version"),
            rule("aws.dryrun", "read", flags="--dry-run|--dryrun", detail="dry run"),
            *_S3,
            *_DATA,
            *_GENERIC,
        ),
        kind="resource",
        default=rule("aws.{service}.{op}", "write", target="auto"),
        description="AWS CLI",
    ),
]
