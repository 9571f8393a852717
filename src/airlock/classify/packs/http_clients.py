"""HTTP clients: curl, wget, httpie (``http``/``https``) and xh (``xh``/``xhs``).

Each pack rebuilds the request(s) the client would send (:mod:`airlock.classify.http`) and
rates them: by method for REST, by root field for GraphQL, by the pack that declares the
host for provider APIs (Railway), by the SQL for services that run SQL (Supabase, D1,
Hasura, Neon, libSQL…). Arguments that cannot be rebuilt into a request are held: the
action is flagged ``unparsed`` and gets a destructive ``url`` target. The files the client
writes (``-o``, ``-O``, ``-D``, ``-c``, wget's ``-O``/``-o``) are rated where they are:
replacing an existing file outside the workspace is destructive.
"""

from __future__ import annotations

import dataclasses

from airlock.action import Risk, Target
from airlock.classify.command import ClassifyContext, SimpleCommand, split_options
from airlock.classify.http.classify import classify_request
from airlock.classify.http.curl import requests_from_curl
from airlock.classify.http.httpie import request_from_httpie
from airlock.classify.http.request import HttpParseError, HttpRequest
from airlock.classify.http.rest import held_target, is_real_output
from airlock.classify.http.wget import requests_from_wget
from airlock.classify.packs.base import Pack
from airlock.classify.targets import path_targets, replacing


class HttpClientPack(Pack):
    """Base: rebuild the requests, then classify each one."""

    def requests(self, cmd: SimpleCommand, ctx: ClassifyContext) -> list[HttpRequest]:
        raise NotImplementedError

    def classify(self, cmd: SimpleCommand, ctx: ClassifyContext) -> list[Target]:
        if self.user_rules:
            positionals, options = split_options(cmd.args, self.takes_value)
            for r in self.user_rules:
                if r.matches(positionals, options):
                    return self.targets_for(r, cmd, positionals, options, ctx)
        try:
            reqs = self.requests(cmd, ctx)
        except HttpParseError as exc:
            ctx.unparsed(str(exc))
            return [held_target(exc, self.name)]
        targets: list[Target] = []
        for req in reqs:
            targets.extend(self.file_targets(req, ctx))
            bare = dataclasses.replace(req, outputs=[], additions=[])
            targets.extend(classify_request(bare, ctx, tool=self.name))
        return targets

    def file_targets(self, req: HttpRequest, ctx: ClassifyContext) -> list[Target]:
        """The local files the client writes, rated by where they are (targets.py): a
        system file or a home dotfile is held; replacing an existing file outside the
        workspace (``curl -o /srv/app/config.yml``, ``wget -O``, ``curl -D``) is
        destructive, as ``> file`` is; appending, or a fresh name, is a write."""
        out: list[Target] = []
        for words, replaces in ((req.outputs, True), (req.additions, False)):
            for w in words:
                if not is_real_output(w):
                    continue
                found = path_targets([w], ctx, verb="fs.write", risk=Risk.WRITE,
                                     tool=self.name)
                if replaces:
                    replacing(found, ctx)
                for t in found:
                    t.detail = t.detail or ("the client writes this file" if replaces
                                            else "the client adds to this file")
                out.extend(found)
        return out


class CurlPack(HttpClientPack):
    def requests(self, cmd: SimpleCommand, ctx: ClassifyContext) -> list[HttpRequest]:
        return requests_from_curl(cmd.args, ctx, stdin=cmd.stdin, stdin_unknown=cmd.stdin_unknown)


class WgetPack(HttpClientPack):
    def requests(self, cmd: SimpleCommand, ctx: ClassifyContext) -> list[HttpRequest]:
        return requests_from_wget(cmd.args, ctx, stdin=cmd.stdin, stdin_unknown=cmd.stdin_unknown)


class HttpiePack(HttpClientPack):
    def requests(self, cmd: SimpleCommand, ctx: ClassifyContext) -> list[HttpRequest]:
        return [
            request_from_httpie(
                cmd.args,
                ctx,
                program=cmd.program,
                stdin=cmd.stdin,
                stdin_unknown=cmd.stdin_unknown,
            )
        ]


PACKS: list[Pack] = [
    CurlPack(
        name="curl",
        programs=("curl",),
        kind="url",
        description="curl: the HTTP request it would send (REST by method, GraphQL by field)",
    ),
    WgetPack(
        name="wget",
        programs=("wget", "wget2"),
        kind="url",
        description="wget: the HTTP request it would send and the file it saves",
    ),
    HttpiePack(
        name="httpie",
        programs=("http", "https", "xh", "xhs"),
        kind="url",
        description="httpie and xh: METHOD URL ITEM… as the request they would send",
    ),
]
