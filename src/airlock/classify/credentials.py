"""Raw credential literals in a command: the token the agent found lying around.

An agent should only ever hold Airlock-issued tokens; a real provider credential typed
into a command line means it found one somewhere. We flag it (never echoing the
secret: only what kind of credential and where it appeared), and policy holds the
action. A reference to a variable (``$RAILWAY_TOKEN``) is not a literal and is not
flagged here.
"""

from __future__ import annotations

import re

from airlock.classify.command import ClassifyContext, SimpleCommand, Word

# Variable names whose literal value is a credential.
SECRET_NAME = re.compile(
    r"(?i)(TOKEN|SECRET|PASSWORD|PASSWD|API_?KEY|ACCESS_?KEY|PRIVATE_?KEY|CREDENTIALS?|"
    r"SESSION_?KEY|(^|_)AUTH($|_)|(^|_)PASS($|_)|_PWD$|^MYSQL_PWD$|^REDISCLI_AUTH$)"
)
NOT_SECRET_NAME = re.compile(r"(?i)^(OLDPWD|PWD|PASSWORD_FILE|.*_FILE|.*_PATH|.*_URL_?)$")

# Well-known token shapes, (label, pattern).
TOKEN_SHAPES: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (label, re.compile(p)) for label, p in (
        ("GitHub token", r"\b(gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{40,})\b"),
        ("GitLab token", r"\bglpat-[A-Za-z0-9_\-]{20,}\b"),
        ("Slack token", r"\bxox[abposr]-[A-Za-z0-9-]{10,}\b"),
        ("AWS access key id", r"\b(AKIA|ASIA)[0-9A-Z]{16}\b"),
        ("Stripe key", r"\b(sk|rk)_(live|test)_[A-Za-z0-9]{16,}\b"),
        ("OpenAI/Anthropic key", r"\bsk-(ant-)?[A-Za-z0-9_\-]{20,}\b"),
        ("Google API key", r"\bAIza[0-9A-Za-z_\-]{35}\b"),
        ("npm token", r"\bnpm_[A-Za-z0-9]{36}\b"),
        ("Hugging Face token", r"\bhf_[A-Za-z0-9]{30,}\b"),
        ("private key", r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
        ("JWT", r"\beyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}"),
    )
)

AUTH_HEADER = re.compile(
    r"(?i)^\s*(authorization|proxy-authorization|x-api-key|api-key|x-auth-token|"
    r"private-token|x-railway-token|project-access-token|cookie)\s*:\s*(.*)$"
)
URL_PASSWORD = re.compile(r"\b[a-z][a-z0-9+.\-]*://[^/\s:@]*:([^/\s@]+)@", re.I)
SECRET_OPTIONS = frozenset({"--token", "--password", "--api-key", "--apikey", "--secret",
                            "--access-token", "--auth-token", "--client-secret",
                            "--private-key", "--pass", "--passwd", "--bearer",
                            "--oauth2-bearer"})


def _literal(w: Word) -> bool:
    return not w.dynamic and w.text.strip() not in ("", "-")


def scan_word(text: str) -> str | None:
    """The kind of credential in ``text``, or None."""
    m = AUTH_HEADER.match(text)
    if m and m.group(2).strip():
        value = m.group(2).strip()
        if "\x00?" in value:
            return None
        scheme = value.split()[0] if " " in value else ""
        return f"{m.group(1).title()} header" + (f" ({scheme} …)" if scheme else "")
    m2 = URL_PASSWORD.search(text)
    if m2 and "\x00?" not in m2.group(1):
        return "password in a connection URL"
    for label, pattern in TOKEN_SHAPES:
        if pattern.search(text):
            return label
    return None


def check_command(cmd: SimpleCommand, ctx: ClassifyContext) -> None:
    """Flag every raw credential literal in ``cmd`` on ``ctx``."""
    where = cmd.program or "command"
    for name, value in cmd.env.items():
        if _literal(value) and SECRET_NAME.search(name) and not NOT_SECRET_NAME.match(name):
            ctx.flag("credential", f"raw credential literal: {name}=… set for {where}")
    args = cmd.argv
    for i, w in enumerate(args):
        if w.dynamic and "\x00?" in w.text and not any(
            c in w.text for c in (":", "=", "@")
        ):
            continue
        found = scan_word(w.text)
        if found:
            ctx.flag("credential", f"raw credential literal in the {where} command: {found}")
            continue
        t = w.text
        if t.startswith("--") and "=" in t:
            opt, _, opt_value = t.partition("=")
            if opt in SECRET_OPTIONS and opt_value and "\x00?" not in opt_value:
                ctx.flag("credential", f"raw credential literal: {opt}=… for {where}")
        elif t in ("-p", "--password") and where in ("docker", "podman", "helm", "buildah",
                                                     "skopeo", "oras", "crane") \
                and any(a.text == "login" for a in args[:i]) and i + 1 < len(args) \
                and _literal(args[i + 1]):
            ctx.flag("credential", f"raw credential literal: {where} login password")
        elif t in SECRET_OPTIONS and i + 1 < len(args) and _literal(args[i + 1]):
            ctx.flag("credential", f"raw credential literal: {t} … for {where}")
        elif t in ("-u", "--user") and i + 1 < len(args) and ":" in args[i + 1].text and \
                _literal(args[i + 1]) and where in ("curl", "http", "https", "xh", "wget"):
            ctx.flag("credential", f"raw credential literal: basic-auth user:password for {where}")
        elif where in ("mysql", "mariadb", "mysqldump", "mysqladmin") and t.startswith("-p") \
                and len(t) > 2 and not w.dynamic:
            ctx.flag("credential", f"raw credential literal: password after -p for {where}")
        elif "=" in t and not t.startswith("-") and not w.dynamic and where == "export":
            name, _, assigned = t.partition("=")
            if assigned and SECRET_NAME.search(name) and not NOT_SECRET_NAME.match(name):
                ctx.flag("credential", f"raw credential literal: {name}=… exported")


def check_assignment(name: str, value: Word, ctx: ClassifyContext) -> None:
    if _literal(value) and SECRET_NAME.search(name) and not NOT_SECRET_NAME.match(name):
        ctx.flag("credential", f"raw credential literal: {name}=… assigned in the command")
