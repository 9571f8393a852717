"""HTTP clients' arguments → the request they would send → what it would do.

``request_from_curl`` / ``request_from_wget`` / ``request_from_httpie`` rebuild the request
(method, URL, headers, body) from a client's arguments the way the client itself would;
``classify_request`` rates it:

- REST by method: GET/HEAD/OPTIONS read, POST/PUT/PATCH write, DELETE destructive (a POST to
  a path that says ``delete``/``purge``… is destructive too);
- GraphQL (a JSON body with a ``query``, ``application/graphql``, a multipart ``operations``
  field, or ``?query=`` on a GraphQL endpoint) by its root fields, see
  :mod:`airlock.classify.graphql`;
- APIs known by host are handed to the pack that declares the host in its ``hosts``
  (Railway's backboard → ``railway``), found in the registry on the context;
- services that run the SQL they are sent (Supabase, Cloudflare D1, Hasura, Neon,
  libSQL/Turso, PlanetScale…) by that SQL, read by :mod:`airlock.classify.sql`; a field
  named for SQL in any other API's body counts when that SQL destroys.

What cannot be rebuilt raises :class:`HttpParseError`; what cannot be read (a body in a file
we cannot see, on stdin from a pipe) is ``body_unknown``, and a GraphQL endpoint with an
unknown body is held (``ctx.unparsed``).

Where each part lives: the request model and what the clients' readers share in
:mod:`.request`; one module per client (:mod:`.curl`, :mod:`.wget`, :mod:`.httpie`) and
:mod:`.raw` for a request given as text; :mod:`.classify` rates a request, with
:mod:`.rest` (by method), :mod:`.graphql_body` (GraphQL carried in a request) and
:mod:`.sql_apis` (the table of services that run SQL), whose readers are
:mod:`.postgrest`, :mod:`.hasura` and :mod:`.libsql`, sharing :mod:`.sql_run`.
"""

from airlock.classify.http.classify import classify_request, provider_for
from airlock.classify.http.curl import request_from_curl, requests_from_curl
from airlock.classify.http.graphql_body import is_graphql_endpoint
from airlock.classify.http.httpie import request_from_httpie
from airlock.classify.http.raw import parse_raw_request
from airlock.classify.http.request import (
    MAX_BODY_FILE,
    HttpParseError,
    HttpRequest,
    read_body_file,
)
from airlock.classify.http.rest import held_target
from airlock.classify.http.wget import request_from_wget, requests_from_wget

__all__ = ["MAX_BODY_FILE", "HttpParseError", "HttpRequest", "classify_request",
           "held_target", "is_graphql_endpoint", "parse_raw_request", "provider_for",
           "read_body_file", "request_from_curl", "request_from_httpie", "request_from_wget",
           "requests_from_curl", "requests_from_wget"]
