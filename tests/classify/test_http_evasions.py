"""HTTP requests that say one thing and do another: a method override, a host spelt with
a trailing dot, an address with the real name in Host:, and curl sending the connection
elsewhere (--connect-to, --resolve). Each is judged as what it does."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support import checker, decide

# the local stand-in is a declared sandbox; production is declared by name
INVENTORY = """
[environments.sandbox]
sandbox = true

[environments.production]

[[resources]]
name = "local-api"
kind = "api"
env = "sandbox"
hosts = ["localhost"]

[[resources]]
name = "prod-api"
kind = "api"
env = "production"
hosts = ["api.prod.example.com", "10.0.0.5"]
"""


@pytest.mark.parametrize("command", [
    "curl -X POST 'https://api.example.com/users/1?_method=DELETE'",
    "curl -d '_method=DELETE' https://api.example.com/users/1",
    "curl -d '{\"_method\": \"delete\"}' https://api.example.com/users/1",
    "curl -F _method=DELETE https://api.example.com/users/1",
    "curl -H 'X-HTTP-Method-Override: DELETE' https://api.example.com/users/1",
    "curl -X PUT -H 'X-HTTP-Method: DELETE' https://api.example.com/users/1",
])
def test_a_method_override_is_judged_as_the_method_it_asks_for(command: str) -> None:
    d = decide(command)
    assert d.decision == "hold", d.reasons
    assert "method overridden to DELETE" in d.targets[-1].detail


def test_an_override_to_a_milder_method_does_not_lower_the_risk() -> None:
    d = decide("curl -X DELETE -H 'X-HTTP-Method-Override: GET' https://api.example.com/u/1")
    assert d.decision == "hold" and d.targets[-1].risk.label == "destructive"


def test_a_host_with_a_trailing_dot_is_the_same_host(tmp_path: Path) -> None:
    ch = checker(INVENTORY, tmp_path)
    d = decide("curl -X DELETE https://api.prod.example.com./users/1", config=ch)
    assert d.targets[-1].env == "production" and d.decision != "allow"


def test_the_host_header_names_the_service_an_address_stands_for(tmp_path: Path) -> None:
    ch = checker(INVENTORY, tmp_path)
    d = decide("curl -X DELETE http://127.0.0.1/users/1 -H 'Host: api.prod.example.com'",
               config=ch)
    assert d.targets[-1].env == "production" and d.decision != "allow"


@pytest.mark.parametrize("option", [
    "--connect-to localhost:80:api.prod.example.com:80",
    "--resolve localhost:80:10.0.0.5",
    "--connect-to localhost:80:$TARGET:80",
])
def test_curl_sending_the_connection_elsewhere_is_judged_by_where_it_goes(
        tmp_path: Path, option: str) -> None:
    ch = checker(INVENTORY, tmp_path)
    plain = decide("curl -X DELETE http://localhost/users/1", config=ch)
    assert plain.decision == "allow"  # the sandbox stand-in, as declared
    d = decide(f"curl -X DELETE {option} http://localhost/users/1", config=ch)
    assert d.decision != "allow", d.reasons
    assert any("the connection is sent to" in t.detail for t in d.targets)
