"""Headers in and out, and masking the injected credential in what comes back."""

from __future__ import annotations

from itertools import pairwise

from hypothesis import given
from hypothesis import strategies as st

from airlock.broker.upstream import Redactor, incoming_headers, outgoing_headers

SECRET = "rw_live_0123456789abcdef"


def test_outgoing_drops_hop_headers_token_and_cookies_and_adds_the_credential() -> None:
    raw = [(b"host", b"127.0.0.1:8750"), (b"authorization", b"Bearer alk_x"),
           (b"cookie", b"a=1"), (b"x-airlock-token", b"alk_x"), (b"connection", b"close"),
           (b"content-length", b"3"), (b"transfer-encoding", b"chunked"),
           (b"x-request-id", b"r1"), (b"Accept", b"*/*")]
    assert outgoing_headers(raw, "Authorization", "Bearer real") == [
        (b"x-request-id", b"r1"), (b"Accept", b"*/*"), (b"Authorization", b"Bearer real")]


def test_incoming_keeps_content_length_and_drops_hop_headers() -> None:
    class Resp:
        raw_headers = ((b"Content-Length", b"2"), (b"Connection", b"keep-alive"),
                       (b"Transfer-Encoding", b"chunked"), (b"X-A", b"1"))

    assert incoming_headers(Resp()) == [(b"Content-Length", b"2"), (b"X-A", b"1")]


def test_a_secret_split_across_chunks_is_masked() -> None:
    r = Redactor(SECRET)
    body = b'{"echo": "Bearer ' + SECRET.encode() + b'"}'
    cut = body.index(b"0123")
    out = r.chunk(body[:cut]) + r.chunk(body[cut:]) + r.rest()
    assert out == body.replace(SECRET.encode(), b"*" * len(SECRET))


def test_headers_are_masked() -> None:
    class Resp:
        raw_headers = ((b"x-debug", f"auth=Bearer {SECRET}".encode()),)

    got = Redactor(SECRET).answer_headers(Resp())
    assert got[0] == (b"x-debug", b"auth=Bearer " + b"*" * len(SECRET))


@given(st.lists(st.binary(max_size=40) | st.just(SECRET.encode()), max_size=12),
       st.lists(st.integers(min_value=0, max_value=60), max_size=8))
def test_any_chunking_gives_the_whole_body_masked(parts: list[bytes], cuts: list[int]) -> None:
    body = b"".join(parts)
    points = sorted({min(c * 7, len(body)) for c in cuts} | {0, len(body)})
    r = Redactor(SECRET)
    out = b"".join(r.chunk(body[a:b]) for a, b in pairwise(points))
    out += r.rest()
    assert out == body.replace(SECRET.encode(), b"*" * len(SECRET))
    assert len(out) == len(body) and SECRET.encode() not in out


def test_answer_headers_drop_hop_mask_the_credential_and_add_what_security_lacks() -> None:
    class Resp:
        raw_headers = ((b"Content-Length", b"2"), (b"Connection", b"keep-alive"),
                       (b"X-Echo", b"Bearer " + SECRET.encode()),
                       (b"Cache-Control", b"max-age=60"))

    got = Redactor(SECRET).answer_headers(Resp())
    assert got[:3] == [(b"Content-Length", b"2"), (b"X-Echo", b"Bearer " + b"*" * len(SECRET)),
                       (b"Cache-Control", b"max-age=60")]
    # the provider's own cache-control stays; the other security headers are added
    assert [k for k, _ in got[3:]] == [b"x-frame-options", b"x-content-type-options",
                                       b"referrer-policy"]
