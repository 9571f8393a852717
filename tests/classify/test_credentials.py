"""Raw credentials in a command are flagged (kind only, never the secret) and held."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support import decide

SECRET = "s3cr3t-Value-123456"

FLAGGED = [
    f'curl -H "Authorization: Bearer {SECRET}" https://api.example.com/v1/me',
    f"RAILWAY_TOKEN={SECRET} railway status",
    f"export AWS_SECRET_ACCESS_KEY={SECRET}",
    f"PGPASSWORD={SECRET} psql -h db -c 'select 1'",
    f"psql postgresql://admin:{SECRET}@db.internal/app -c 'select 1'",
    f"mysql -uroot -p{SECRET} -e 'select 1'",
    f"curl -u admin:{SECRET} https://api.example.com",
    "git clone https://ghp_abcdefghijklmnopqrstuvwxyz0123456789@github.com/x/y",
    f"some-cli --token {SECRET} list",
    f"some-cli --api-key={SECRET} list",
    "aws s3 ls --profile x AKIAABCDEFGHIJKLMNOP",
]


@pytest.mark.parametrize("command", FLAGGED)
def test_raw_credential_is_flagged_and_held(workspace: Path, command: str) -> None:
    d = decide(command, cwd=workspace)
    assert d.decision in ("hold", "deny")
    creds = [f for f in d.flags if f.kind == "credential"]
    assert creds, d.flags
    blob = repr(d.to_json())
    assert SECRET not in blob
    assert "ghp_abcdefghijklmnopqrstuvwxyz0123456789" not in blob


NOT_FLAGGED = [
    'curl -H "Authorization: Bearer $TOKEN" https://api.example.com',
    "RAILWAY_TOKEN=$RAILWAY_TOKEN railway status",
    "echo $PASSWORD",
    "grep -r password src/",
    "export PATH=/usr/bin",
    "git commit -m 'rotate the token'",
]


@pytest.mark.parametrize("command", NOT_FLAGGED)
def test_references_and_words_are_not_credentials(workspace: Path, command: str) -> None:
    d = decide(command, cwd=workspace)
    assert not [f for f in d.flags if f.kind == "credential"], d.flags
