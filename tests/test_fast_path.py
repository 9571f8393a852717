"""The agent's side stays small: what runs on every hook call imports the standard library
and Airlock's own fast-path modules, nothing else (no click, no parsers, no Cedar)."""

from __future__ import annotations

import json
import subprocess
import sys

FAST_PATH = ("airlock.cli", "airlock.client", "airlock.action", "airlock.intake.hooks",
             "airlock.intake.hook_runner", "airlock.hold.client", "airlock.system")
# Airlock's modules the fast path may load; anything else of Airlock's is too heavy here
ALLOWED_OWN = {"airlock", "airlock.cli", "airlock.client", "airlock.action",
               "airlock.system", "airlock.hold", "airlock.hold.client", "airlock.intake",
               "airlock.intake.hooks", "airlock.intake.hook_runner"}


def test_the_fast_path_loads_only_the_standard_library() -> None:
    code = ("import json, sys\n"
            f"before = set(sys.modules)\n"
            f"for name in {list(FAST_PATH)!r}:\n"
            "    __import__(name)\n"
            "print(json.dumps(sorted(set(sys.modules) - before)))\n")
    out = subprocess.run([sys.executable, "-I", "-c", code], capture_output=True, text=True,
                         check=True, timeout=60).stdout
    loaded = json.loads(out)
    stdlib = sys.stdlib_module_names
    foreign = [m for m in loaded
               if m.split(".")[0] not in stdlib and not m.startswith("airlock")]
    assert foreign == [], f"the fast path loads third-party modules: {foreign}"
    own = {m for m in loaded if m.startswith("airlock")}
    heavy = sorted(m for m in own if m not in ALLOWED_OWN
                   and not m.startswith("airlock.intake.hooks."))
    assert heavy == [], f"the fast path loads more of Airlock than it needs: {heavy}"
