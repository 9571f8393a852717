"""Files an agent must not read (live credentials) or write (Airlock's own guard).

Writes to Airlock's config, policy files and data dir, and to the agent tools' hook
settings, are flagged ``guard-tamper`` from every surface (the shell included, so an
agent cannot bypass an edit hook with ``echo … > .claude/settings.json``); reads of
files that hold live credentials are flagged ``secret-read``.
"""

from __future__ import annotations

import fnmatch
import os

from airlock.action import Risk, Target
from airlock.classify.command import ClassifyContext, SimpleCommand, Word
from airlock.paths import NO_WORKSPACE, within

# Hook settings of the agent tools Airlock guards, relative to a project or the home dir.
HOOK_SETTINGS = (
    ".claude/settings.json", ".claude/settings.local.json", ".cursor/hooks.json",
    ".gemini/settings.json", ".codex/config.toml", ".codex/hooks.json",
)
GUARD_NAMES = ("airlock.toml", ".airlock.toml")

# Basenames (fnmatch) of files that hold live credentials.
SECRET_FILES = (
    ".env", ".env.*", "*.env", ".envrc", ".netrc", "_netrc", ".pgpass", ".my.cnf",
    "credentials", "credentials.json", "credentials.csv", "*.pem", "*.key", "id_rsa",
    "id_dsa", "id_ecdsa", "id_ed25519", "*.p12", "*.pfx", "*.keystore", "*.jks",
    "service-account*.json", ".git-credentials", ".npmrc", ".pypirc", "secrets.toml",
    "secrets.yml", "secrets.yaml", ".htpasswd", "kubeconfig", "terraform.tfstate",
    "*.tfstate", "*.tfvars",
)
NOT_SECRET = (".env.example", ".env.sample", ".env.template", ".env.dist", "*.pub",
              ".env.defaults", "*.example", "*.sample",
              # certificates are public (the private key beside them is not: key.pem,
              # privkey.pem, ca-key.pem stay secret)
              "cert.pem", "*[-_.]cert.pem", "cacert.pem", "chain.pem", "fullchain.pem",
              "*[-_.]chain.pem", "ca.pem", "*[-_.]ca.pem", "ca-bundle.pem")
SECRET_DIRS = ("/.aws/", "/.config/gcloud/", "/.azure/", "/.kube/", "/.docker/config.json",
               "/.railway/", "/.config/railway/", "/.fly/", "/.vercel/", "/.supabase/",
               "/.ssh/", "/.gnupg/", "/.config/gh/hosts.yml", "/.heroku/",
               "/.config/heroku/", "/.terraform.d/credentials")

READERS = frozenset({"cat", "tac", "less", "more", "head", "tail", "grep", "egrep", "rg",
                     "ag", "awk", "sed", "cut", "strings", "xxd", "od", "hexdump", "base64",
                     "cp", "scp", "rsync", "source", ".", "bat", "nl", "sort", "uniq", "jq",
                     "yq", "vim", "vi", "nano", "emacs", "code", "diff", "openssl",
                     "gpg", "tar", "zip", "nc", "curl", "wget", "python", "python3", "node",
                     "tee", "view", "xargs", "dd", "md5sum", "sha256sum", "file", "paste",
                     "column", "fold", "tr", "wc", "env", "printenv", "find"})


# Commands that print live credentials: (program, words that must appear in order among
# its arguments, options one of which must be present or None).
SECRET_COMMANDS: tuple[tuple[str, tuple[str, ...], tuple[str, ...] | None], ...] = (
    ("gh", ("auth", "token"), None),
    ("aws", ("secretsmanager", "get-secret-value"), None),
    ("aws", ("ssm", "get-parameter"), ("--with-decryption",)),
    ("aws", ("ssm", "get-parameters"), ("--with-decryption",)),
    ("aws", ("ssm", "get-parameters-by-path"), ("--with-decryption",)),
    ("aws", ("configure", "export-credentials"), None),
    ("aws", ("configure", "get", "aws_secret_access_key"), None),
    ("aws", ("ecr", "get-login-password"), None),
    ("aws", ("sts", "get-session-token"), None),
    ("gcloud", ("auth", "print-access-token"), None),
    ("gcloud", ("auth", "print-identity-token"), None),
    ("gcloud", ("auth", "application-default", "print-access-token"), None),
    ("gcloud", ("secrets", "versions", "access"), None),
    ("az", ("keyvault", "secret", "show"), None),
    ("az", ("keyvault", "secret", "download"), None),
    ("az", ("account", "get-access-token"), None),
    ("az", ("storage", "account", "keys", "list"), None),
    ("kubectl", ("get", "secret"), ("-o", "--output", "-ojson", "-oyaml", "-o=json",
                                     "-o=yaml", "--output=json", "--output=yaml")),
    ("kubectl", ("get", "secrets"), ("-o", "--output", "-ojson", "-oyaml", "-o=json",
                                      "-o=yaml", "--output=json", "--output=yaml")),
    ("heroku", ("config",), None),
    ("heroku", ("config:get",), None),
    ("railway", ("variables",), None),
    ("railway", ("variable", "list"), None),
    ("vercel", ("env", "pull"), None),
    ("netlify", ("env:list",), None),
    ("doppler", ("secrets",), None),
    ("op", ("read",), None),
    ("op", ("item", "get"), ("--reveal",)),
    ("vault", ("kv", "get"), None),
    ("vault", ("read",), None),
    ("security", ("find-generic-password",), ("-w",)),
    ("security", ("find-internet-password",), ("-w",)),
    ("fly", ("ssh", "issue"), None),
)


def prints_secrets(cmd: SimpleCommand) -> str | None:
    """The command prints live credentials (``gh auth token``,
    ``aws secretsmanager get-secret-value``…): a description, else None."""
    prog = cmd.program
    if prog == "flyctl":
        prog = "fly"
    words = [w.text for w in cmd.args if not w.dynamic]
    if prog == "printenv":
        # function-level: the hook runner's fast path imports this module for its guard
        # and secret-file checks, which need none of the credential patterns
        from airlock.classify.credentials import NOT_SECRET_NAME, SECRET_NAME

        names = [w for w in words if not w.startswith("-")]
        if not names:
            return "printenv prints every variable, credentials included"
        for n in names:
            if SECRET_NAME.search(n) and not NOT_SECRET_NAME.match(n):
                return f"printenv {n} prints a credential"
        return None
    for program, seq, needs in SECRET_COMMANDS:
        if program != prog:
            continue
        if not _in_order(seq, words):
            continue
        if prog == "railway" and any(w.startswith("--set") or w in ("set", "delete", "rm")
                                     for w in words):
            continue
        if needs is not None and not any(
            w == n or w.startswith(n + "=") or (n in ("-o", "--output") and w.startswith(n))
            for w in words for n in needs
        ):
            continue
        return f"{prog} {' '.join(seq)} prints live credentials"
    return None


def _in_order(seq: tuple[str, ...], words: list[str]) -> bool:
    n = len(seq)
    return any(tuple(words[i : i + n]) == seq for i in range(len(words) - n + 1))


def is_secret_file(path: str, extra: tuple[str, ...] = ()) -> bool:
    base = os.path.basename(path)
    if any(fnmatch.fnmatchcase(base, p) for p in NOT_SECRET):
        return False
    if any(fnmatch.fnmatchcase(base, p) for p in SECRET_FILES):
        return True
    probe = path + ("/" if os.path.isdir(path) else "")
    if any(d in probe for d in SECRET_DIRS):
        return True
    return path in extra


def guard_paths(ctx: ClassifyContext) -> list[str]:
    """Absolute paths (and dirs) an agent may never write."""
    out: list[str] = []
    for root in {ctx.cwd, ctx.home, ctx.workspace()} - {NO_WORKSPACE}:
        for rel in (*HOOK_SETTINGS, *GUARD_NAMES):
            out.append(os.path.join(root, rel))
    if ctx.config is not None:
        out.extend(ctx.config.guarded_paths())
    out.extend(airlock_data_dirs(ctx))
    out.append(os.path.join(ctx.home, ".config", "airlock"))
    return out


def airlock_data_dirs(ctx: ClassifyContext) -> list[str]:
    """Airlock's data dirs: its state, keys, TOTP secrets and snapshots — ``AIRLOCK_HOME``
    and also the default location, even when ``AIRLOCK_HOME`` points elsewhere. No agent
    reads them, with any program."""
    # function-level: keeps the hook runner's secret-file check (fast path) from loading it
    from airlock.settings import default_home

    dirs = {default_home()}
    xdg = os.environ.get("XDG_DATA_HOME") or os.path.join(ctx.home, ".local", "share")
    dirs.add(os.path.join(xdg, "airlock"))
    if ctx.config is not None:
        dirs.add(ctx.config.data_dir)
    return sorted(dirs)


def _check_data_dir_reads(cmd: SimpleCommand, ctx: ClassifyContext) -> None:
    words = [w for w in cmd.args if not w.dynamic]
    words += [r.target for r in cmd.redirects if r.target is not None and r.op == "<"]
    dirs = airlock_data_dirs(ctx)
    for w in words:
        text = w.text.split("=", 1)[1] if w.text.startswith("-") and "=" in w.text else w.text
        if "/" not in text and not text.startswith("."):
            continue
        path = ctx.abspath(text.lstrip("@"))
        for d in dirs:
            if within(path, d):
                ctx.flag("secret-read", f"reads {text}, inside Airlock's data dir "
                         "(keys, TOTP secrets, state)")
                return


def touches_guard(path: str, ctx: ClassifyContext, *, subtree: bool = False) -> bool:
    """``path`` is a guard file, inside a guarded dir, or (``subtree``: a recursive
    delete or chmod of it) an ancestor of one."""
    if not path:
        return False
    path = path.rstrip("/") or "/"
    for g in guard_paths(ctx):
        if within(path, g):
            return True
        if subtree and (g.startswith(path + "/") or path == "/"):
            return True
    return os.path.basename(path) in GUARD_NAMES


def check_targets(targets: list[Target], ctx: ClassifyContext) -> None:
    """Flag writes and deletes that hit a guard file."""
    for t in targets:
        if t.risk >= Risk.WRITE and t.locator.startswith("path:") and t.kind != "program":
            path = t.locator[5:]
            subtree = t.kind == "directory" and not t.unresolved and "*" not in t.name
            if touches_guard(path, ctx, subtree=subtree):
                ctx.flag("guard-tamper", f"{t.verb} on {t.name}: Airlock's own configuration "
                         "or an agent tool's hook settings")


def check_reads(cmd: SimpleCommand, ctx: ClassifyContext) -> None:
    """Flag a command that reads a file holding live credentials."""
    # function-level: the hook runner's fast path imports this module and reads the
    # denylist itself, with its own home
    from airlock.classify.denylist import load_denylist

    extra = (tuple(ctx.config.secret_files) if ctx.config is not None else ()) + \
        load_denylist()
    candidates: list[Word] = []
    if cmd.program in READERS or cmd.program.startswith("python"):
        candidates.extend(w for w in read_operands(cmd)
                          if not w.unknown and not w.text.startswith("-"))
    for r in cmd.redirects:
        if r.op in ("<",) and r.target is not None and not r.target.unknown:
            candidates.append(r.target)
    for w in cmd.args:
        # curl -d @.env, --data-binary @file
        if w.text.startswith("@") and len(w.text) > 1 and not w.unknown:
            candidates.append(Word(w.text[1:]))
    for w in candidates:
        path = ctx.abspath(w.text)
        if is_secret_file(path, extra):
            ctx.flag("secret-read", f"reads {w.text}, a file that holds live credentials")
    _check_data_dir_reads(cmd, ctx)
    printed = prints_secrets(cmd)
    if printed:
        ctx.flag("secret-read", printed)


# openssl subcommands that only ever output certificates (a private key in their input
# is not printed: ``x509`` loads the certificate of a PEM file and nothing else), and
# their options naming a certificate to read or a file to write.
_OPENSSL_CERT_ONLY = frozenset({"x509", "crl", "verify", "crl2pkcs7"})
_OPENSSL_CERT_FILES = frozenset({"-in", "-CAfile", "-untrusted", "-trusted", "-CRLfile",
                                 "-certfile", "-out"})


def read_operands(cmd: SimpleCommand) -> list[Word]:
    """The arguments of a reader that it may read (and show): not the destination of
    ``cp``/``scp``/``rsync`` (copying ``.env.example`` to ``.env.local`` writes
    ``.env.local``), not ``tee``'s files (it writes them), not the certificates of
    ``openssl x509``. Sources are always kept: ``cp .env /dev/stdout`` still reads
    ``.env``."""
    args = cmd.args
    prog = cmd.program
    if prog == "tee":
        return []
    if prog in ("cp", "scp", "rsync"):
        if prog == "cp" and any(
            w.dynamic or w.text.startswith("--t")
            or (w.text.startswith("-") and not w.text.startswith("--") and "t" in w.text)
            for w in args
        ):
            return list(args)  # cp -t DIR: every operand is a source
        operands = [i for i, w in enumerate(args) if not w.text.startswith("-")]
        if len(operands) >= 2 and operands[-1] == len(args) - 1:
            return list(args[:-1])
        return list(args)
    if prog == "openssl":
        return _openssl_reads(args)
    return list(args)


def _openssl_reads(args: list[Word]) -> list[Word]:
    sub = next((i for i, w in enumerate(args) if not w.text.startswith("-")), None)
    if sub is None or args[sub].text not in _OPENSSL_CERT_ONLY or args[sub].dynamic:
        return list(args)
    out: list[Word] = []
    skip = False
    for i, w in enumerate(args):
        if skip:
            skip = False
            continue
        if i > sub and w.text in _OPENSSL_CERT_FILES:
            skip = True
            continue
        if i > sub and args[sub].text == "verify" and not w.text.startswith("-"):
            continue  # openssl verify CERT…
        out.append(w)
    return out
