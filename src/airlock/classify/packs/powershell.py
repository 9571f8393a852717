"""PowerShell: ``pwsh`` and ``powershell`` running ``-Command`` text.

Airlock does not parse PowerShell. It reads the simplest scripts — statements separated
by ``;``, newlines or pipes, each a cmdlet with literal arguments — and gives up on
anything else (script blocks, subexpressions, variables, ``Invoke-Expression``,
``-EncodedCommand``): the action is then *unparsed*, which the default policy holds.

- ``Remove-Item`` and its aliases (``rm``, ``del``, ``erase``, ``rd``, ``rmdir``,
  ``ri``) are handed to the filesystem pack as ``rm`` (``-Recurse`` → ``-r``,
  ``-Force`` → ``-f``), so the risk depends on where the paths are, as for ``rm``.
- ``Clear-Content``, ``Set-Content``, ``Out-File``, ``Stop-Service``,
  ``Stop-Computer``, ``Restart-Computer``, ``Format-Volume``, ``Clear-Disk``,
  ``Remove-*`` (other than items): destructive.
- ``Get-*``, ``Select-*``, ``Test-*``, ``Measure-*``, ``Where-Object``, ``Write-Output``
  and other display cmdlets: read. Anything else is unparsed.
- ``-File script.ps1`` runs a script Airlock does not read: a write, like a script file
  run by another interpreter.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass

from airlock.action import Risk, Target
from airlock.classify.command import ClassifyContext, SimpleCommand, Word
from airlock.classify.packs.base import Pack

_REMOVE = frozenset({"remove-item", "rm", "del", "erase", "rd", "rmdir", "ri"})
_DESTROY = frozenset({"clear-content", "set-content", "out-file", "stop-service",
                      "stop-computer", "restart-computer", "format-volume", "clear-disk",
                      "stop-process", "clear-recyclebin", "remove-itemproperty",
                      "uninstall-package", "disable-netadapter", "clear-item", "kill"})
_READ_PREFIXES = ("get-", "select-", "test-", "measure-", "format-table", "format-list",
                  "sort-", "where-", "convertto-", "convertfrom-", "compare-", "resolve-",
                  "group-", "out-string", "out-host", "out-null", "split-path", "join-path")
_READ = frozenset({"write-output", "write-host", "echo", "ls", "dir", "gci", "cat", "type",
                   "gc", "pwd", "cd", "set-location", "sl", "where", "select", "sort", "%",
                   "foreach-object", "?", "write-verbose", "write-information", "hostname",
                   "whoami"})
_OPAQUE = re.compile(r"[{}$`@]|\(|invoke-expression|\biex\b|invoke-command|start-process|"
                     r"\bicm\b|\bsaps\b|\bstart\b", re.I)
_COMMAND = ("-command", "-c", "-com", "-comm", "-comma", "-comman")
_ENCODED = ("-encodedcommand", "-e", "-ec", "-enc", "-encoded", "-en")
_VALUE = ("-executionpolicy", "-ep", "-ex", "-workingdirectory", "-wd", "-windowstyle", "-w",
          "-configurationname", "-inputformat", "-outputformat", "-of", "-if",
          "-settingsfile", "-custompipename", "-psconsolefile")


@dataclass
class PowerShellPack(Pack):
    def classify(self, cmd: SimpleCommand, ctx: ClassifyContext) -> list[Target]:
        args = cmd.args
        i = 0
        while i < len(args):
            w = args[i]
            low = w.text.lower().replace("/", "-", 1) if w.text.startswith("/") else w.text.lower()
            if low in _ENCODED:
                ctx.unparsed(f"{cmd.program} -EncodedCommand: the script is hidden")
                return [self._opaque(cmd, "encoded command")]
            if low in _COMMAND:
                rest = args[i + 1 :]
                return self._script(cmd, ctx, rest)
            if low in ("-file", "-f"):
                name = args[i + 1].shown if i + 1 < len(args) else "?"
                return [Target(kind="program", name=name, verb=f"{self.name}.file",
                               risk=Risk.WRITE, tool=self.name, locator=f"path:{name}",
                               detail="script not read")]
            if low in ("-help", "-?", "-h", "-version", "-v"):
                return [self._target(cmd, "pwsh.help", Risk.READ, "")]
            if low in _VALUE:
                i += 2
                continue
            if not low.startswith("-"):
                return self._script(cmd, ctx, args[i:])  # pwsh 'Get-Item x': a command
            i += 1
        ctx.unparsed(f"{cmd.program}: an interactive session")
        return [self._opaque(cmd, "interactive session")]

    def _script(self, cmd: SimpleCommand, ctx: ClassifyContext, words: list[Word]) -> list[Target]:
        if not words or any(w.dynamic for w in words):
            ctx.unparsed(f"{cmd.program} -Command: the script is not known")
            return [self._opaque(cmd, "script not known")]
        text = " ".join(w.text for w in words)
        if text.strip() == "-":
            ctx.unparsed(f"{cmd.program} -Command -: the script comes from stdin")
            return [self._opaque(cmd, "script from stdin")]
        if _OPAQUE.search(text):
            ctx.unparsed(f"{cmd.program}: PowerShell Airlock does not parse: {text[:80]!r}")
            return [self._opaque(cmd, "PowerShell not parsed")]
        targets: list[Target] = []
        for stmt in re.split(r"[;|\n]|&&|\|\|", text):
            try:
                parts = shlex.split(stmt, posix=True)
            except ValueError:
                ctx.unparsed(f"{cmd.program}: cannot split {stmt[:80]!r}")
                return [self._opaque(cmd, "PowerShell not parsed")]
            if not parts:
                continue
            name = parts[0].lower()
            if name in _REMOVE:
                targets.extend(self._remove(cmd, ctx, parts[1:]))
            elif name in _DESTROY or name.startswith("remove-"):
                targets.append(self._target(cmd, f"pwsh.{name}", Risk.DESTRUCTIVE,
                                            " ".join(parts[1:])[:80]))
            elif name in _READ or name.startswith(_READ_PREFIXES):
                targets.append(self._target(cmd, f"pwsh.{name}", Risk.READ, ""))
            else:
                ctx.unparsed(f"{cmd.program}: cmdlet {parts[0]!r} is not known to Airlock")
                targets.append(self._opaque(cmd, f"cmdlet {parts[0]}"))
        return targets or [self._target(cmd, "pwsh.empty", Risk.READ, "")]

    def _remove(self, cmd: SimpleCommand, ctx: ClassifyContext, parts: list[str]) -> list[Target]:
        argv = ["rm"]
        paths: list[str] = []
        skip = False
        for p in parts:
            low = p.lower()
            if skip:
                skip = False
                if low not in ("-path", "-literalpath"):
                    continue
            if low in ("-recurse", "-r"):
                argv.append("-r")
            elif low in ("-force", "-fo"):
                argv.append("-f")
            elif low in ("-path", "-literalpath", "-lp"):
                continue
            elif low in ("-include", "-exclude", "-filter", "-stream", "-credential"):
                skip = True
            elif low.startswith("-"):
                continue
            else:
                paths.extend(x for x in p.split(",") if x)
        if not paths:
            ctx.unparsed(f"{cmd.program}: Remove-Item without a path Airlock can see")
            return [self._opaque(cmd, "Remove-Item path not known")]
        inner = cmd.with_argv([Word("rm"), *(Word(a) for a in argv[1:]),
                               Word("--"), *(Word(p.replace("\\", "/")) for p in paths)],
                              cmd.program)
        return ctx.classify_command(inner)

    def _target(self, cmd: SimpleCommand, verb: str, risk: Risk, detail: str) -> Target:
        return Target(kind="program", name=cmd.program, verb=verb, risk=risk, tool=self.name,
                      locator=f"program:{cmd.program}", detail=detail)

    def _opaque(self, cmd: SimpleCommand, why: str) -> Target:
        return Target(kind="program", name=cmd.program, verb=f"{self.name}.script",
                      risk=Risk.DESTRUCTIVE, tool=self.name, locator="unknown:", detail=why,
                      unresolved=True)


PACKS: list[Pack] = [
    PowerShellPack(name="pwsh", programs=("pwsh", "powershell", "pwsh.exe", "powershell.exe"),
                   kind="program", description="PowerShell -Command (simple scripts only)"),
]
