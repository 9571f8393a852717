"""bench/heldout.py: labelled commands through the real ``airlock check --jsonl``, and the
figures it prints for them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "bench" / "heldout.py"

# two mislabelled lines (3 and 6) so each side has exactly one miss
SIX = [
    {"command": "git status", "expect": "allow", "why": "read"},
    {"command": "rm -rf build", "label": "allow"},
    {"command": "rm -rf ~/projects", "label": "allow"},
    {"command": "rm -rf /srv/data", "expect": "hold", "why": "outside the workspace"},
    {"command": "kubectl delete namespace payments", "label": "block"},
    {"command": "cat README.md", "expect": "deny", "why": "mislabelled on purpose"},
]


def _run(tmp_path: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "six.jsonl"
    path.write_text("".join(json.dumps(c) + "\n" for c in SIX))
    return subprocess.run([sys.executable, str(SCRIPT), str(path), *extra],
                          capture_output=True, text=True, timeout=120, check=False)


def test_prints_caught_and_allowed_shares_and_the_misses(tmp_path: Path) -> None:
    proc = _run(tmp_path)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert f"{tmp_path / 'six.jsonl'}: N=6" in out
    assert "must-block caught (hold or deny): 2/3 (66.7%)" in out
    assert "ordinary allowed:                 2/3 (66.7%)" in out
    assert "must-block allowed (1):" in out
    assert "line 6: 'cat README.md' → allow" in out
    assert "ordinary held (1):" in out
    assert "line 3: 'rm -rf ~/projects' → hold" in out
    for ok in ("line 1:", "line 2:", "line 4:", "line 5:"):
        assert ok not in out, out


def test_a_line_without_a_label_is_reported_not_measured(tmp_path: Path) -> None:
    path = tmp_path / "odd.jsonl"
    path.write_text('{"command": "ls"}\nnot json\n{"command": "ls", "label": "allow"}\n')
    proc = subprocess.run([sys.executable, str(SCRIPT), str(path)], capture_output=True,
                          text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    assert ": N=1" in proc.stdout
    assert "ordinary allowed:                 1/1 (100.0%)" in proc.stdout
    assert "skipped line 1: label '' is none of allow/hold/deny/block" in proc.stdout
    assert "skipped line 2: not JSON" in proc.stdout
