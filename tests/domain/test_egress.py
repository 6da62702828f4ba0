"""The egress guard decides as a unit: a fake resolver answers every name, and nothing leaves the process.

No test opens a socket. The only transport used is `httpx.MockTransport`, and every client is built with
`trust_env=False` so that proxy variables in the environment cannot route a request anywhere.
"""

from __future__ import annotations

import socket

import httpx
import pytest

from domain.egress import EgressPolicy, EgressRefused, GuardedTransport
from domain.errors import PermanentError

FAKE_DNS = {
    "internal.test": ["10.1.2.3"],
    "mixed.test": ["93.184.216.34", "192.168.1.1"],
    "metadata.test": ["169.254.169.254"],
    "mapped.test": ["::ffff:127.0.0.1"],
    "nowhere.test": [],
    "public.test": ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"],
    "api.internal.test": ["10.1.2.4"],
}


async def fake_resolver(host: str, port: int) -> list[str]:
    try:
        return FAKE_DNS[host]
    except KeyError:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known") from None


async def no_resolver(host: str, port: int) -> list[str]:
    raise AssertionError(f"the resolver must not be asked about {host!r}")


REFUSED = [
    # loopback, every spelling
    pytest.param("http://127.0.0.1/", "127.0.0.1 is a loopback", id="loopback"),
    pytest.param("https://127.9.8.7:8443/path?q=1", "127.9.8.7 is a loopback", id="loopback-range"),
    pytest.param("http://127.0.0.1./", "127.0.0.1 is a loopback", id="loopback-trailing-dot"),
    pytest.param("http://[::1]/", "::1 is a loopback", id="loopback-v6"),
    pytest.param("http://2130706433/", "127.0.0.1 is a loopback", id="loopback-decimal-integer"),
    pytest.param("http://0x7f.1/", "127.0.0.1 is a loopback", id="loopback-hex-two-parts"),
    pytest.param("http://0x7F000001/", "127.0.0.1 is a loopback", id="loopback-hex-integer"),
    pytest.param("http://0177.1/", "127.0.0.1 is a loopback", id="loopback-octal"),
    # httpx itself rejects a dotted quad with leading zeros; refused either way
    pytest.param("http://0177.0.0.1/", "not a valid URL", id="loopback-octal-dotted-quad"),
    pytest.param("http://017700000001/", "127.0.0.1 is a loopback", id="loopback-octal-integer"),
    pytest.param("http://127.1/", "127.0.0.1 is a loopback", id="loopback-short-form"),
    pytest.param("http://user:pw@127.0.0.1/", "127.0.0.1 is a loopback", id="loopback-behind-userinfo"),
    pytest.param("http://localhost:8000/", "localhost is a loopback name", id="localhost"),
    pytest.param("http://LocalHost./", "localhost is a loopback name", id="localhost-case-and-dot"),
    pytest.param("http://api.localhost/", "api.localhost is a loopback name", id="localhost-subdomain"),
    # unspecified
    pytest.param("http://0.0.0.0/", "0.0.0.0 is an unspecified", id="unspecified"),
    pytest.param("http://0/", "0.0.0.0 is an unspecified", id="unspecified-integer"),
    pytest.param("http://[::]/", ":: is an unspecified", id="unspecified-v6"),
    # private
    pytest.param("http://10.0.0.5/", "10.0.0.5 is a private", id="private-10"),
    pytest.param("http://172.16.0.1/", "172.16.0.1 is a private", id="private-172.16"),
    pytest.param("http://172.31.255.254/", "172.31.255.254 is a private", id="private-172.31"),
    pytest.param("http://192.168.1.1/", "192.168.1.1 is a private", id="private-192.168"),
    pytest.param("http://[fc00::1]/", "fc00::1 is a private", id="private-v6-fc"),
    pytest.param("http://[fd12:3456::1]/", "fd12:3456::1 is a private", id="private-v6-fd"),
    # link-local and cloud metadata
    pytest.param(
        "http://169.254.169.254/latest/meta-data/",
        "169.254.169.254 is a link-local address (the cloud metadata endpoint)",
        id="metadata",
    ),
    pytest.param(
        "http://0xa9fea9fe/",
        "169.254.169.254 is a link-local address (the cloud metadata endpoint)",
        id="metadata-hex-integer",
    ),
    pytest.param("http://169.254.1.1/", "169.254.1.1 is a link-local", id="link-local"),
    pytest.param("http://[fe80::1]/", "fe80::1 is a link-local", id="link-local-v6"),
    pytest.param("http://[fe80::1%25eth0]/", "is a link-local", id="link-local-v6-zone"),
    # CGNAT, multicast, reserved, benchmarking, documentation
    pytest.param("http://100.64.0.1/", "100.64.0.1 is a carrier-grade NAT", id="cgnat-low"),
    pytest.param("http://100.127.255.254/", "100.127.255.254 is a carrier-grade NAT", id="cgnat-high"),
    pytest.param("http://224.0.0.1/", "224.0.0.1 is a multicast", id="multicast"),
    pytest.param("http://239.255.255.250/", "239.255.255.250 is a multicast", id="multicast-ssdp"),
    pytest.param("http://[ff02::1]/", "ff02::1 is a multicast", id="multicast-v6"),
    pytest.param("http://240.0.0.1/", "240.0.0.1 is a reserved", id="reserved"),
    pytest.param("http://255.255.255.255/", "255.255.255.255 is the broadcast", id="broadcast"),
    pytest.param("http://198.18.0.1/", "198.18.0.1 is a benchmarking", id="benchmarking-low"),
    pytest.param("http://198.19.255.254/", "198.19.255.254 is a benchmarking", id="benchmarking-high"),
    pytest.param("http://192.0.2.10/", "192.0.2.10 is not a globally routable", id="documentation"),
    # IPv6 forms that wrap a blocked IPv4 address
    pytest.param(
        "http://[::ffff:127.0.0.1]/",
        "IPv4-mapped IPv6 form of 127.0.0.1, a loopback",
        id="v4-mapped-loopback",
    ),
    pytest.param(
        "http://[::ffff:a00:5]/", "IPv4-mapped IPv6 form of 10.0.0.5, a private", id="v4-mapped-private-hex"
    ),
    pytest.param(
        "http://[::ffff:169.254.169.254]/",
        "IPv4-mapped IPv6 form of 169.254.169.254, a link-local",
        id="v4-mapped-metadata",
    ),
    pytest.param(
        "http://[::127.0.0.1]/",
        "IPv4-compatible IPv6 form of 127.0.0.1, a loopback",
        id="v4-compatible-loopback",
    ),
    pytest.param("http://[::8.8.8.8]/", "is a reserved address", id="v4-compatible-public"),
    pytest.param("http://[::ffff:0:10.0.0.5]/", "is a reserved address", id="v4-translated-private"),
    pytest.param("http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/", "not a globally routable", id="teredo"),
    pytest.param("http://[2002:7f00:1::]/", "6to4 IPv6 form of 127.0.0.1, a loopback", id="6to4-loopback"),
    pytest.param(
        "http://[2002:a9fe:a9fe::1]/", "6to4 IPv6 form of 169.254.169.254, a link-local", id="6to4-metadata"
    ),
    pytest.param(
        "http://[64:ff9b::127.0.0.1]/", "NAT64 IPv6 form of 127.0.0.1, a loopback", id="nat64-loopback"
    ),
    pytest.param(
        "http://[64:ff9b::a9fe:a9fe]/",
        "NAT64 IPv6 form of 169.254.169.254, a link-local",
        id="nat64-metadata",
    ),
    pytest.param("http://[64:ff9b:1::1]/", "is a local-use NAT64 address", id="nat64-local-use"),
    # names that resolve to a blocked address
    pytest.param(
        "http://internal.test/", "internal.test resolves to 10.1.2.3, a private", id="name-resolving-private"
    ),
    pytest.param(
        "http://mixed.test/",
        "mixed.test resolves to 192.168.1.1, a private",
        id="name-with-one-private-address",
    ),
    pytest.param(
        "https://metadata.test/",
        "metadata.test resolves to 169.254.169.254, a link-local",
        id="name-resolving-metadata",
    ),
    pytest.param(
        "http://mapped.test/",
        "IPv4-mapped IPv6 form of 127.0.0.1, a loopback",
        id="name-resolving-v4-mapped-loopback",
    ),
    pytest.param(
        "http://nowhere.test/", "nowhere.test did not resolve to any address", id="name-resolving-nothing"
    ),
    # not http
    pytest.param("file:///etc/passwd", "the 'file' scheme is not allowed", id="scheme-file"),
    pytest.param("ftp://93.184.216.34/", "the 'ftp' scheme is not allowed", id="scheme-ftp"),
    pytest.param("gopher://93.184.216.34:70/", "the 'gopher' scheme is not allowed", id="scheme-gopher"),
    pytest.param("/relative/path", "the URL has no scheme", id="no-scheme"),
    pytest.param("http:///path", "the URL has no host", id="no-host"),
    pytest.param("http://[not-an-ip]/", "not a valid URL", id="invalid-url"),
]

ALLOWED = [
    pytest.param("http://93.184.216.34/", id="public-v4"),
    pytest.param("https://8.8.8.8:8443/dns?name=x", id="public-v4-port"),
    pytest.param("http://[2606:4700:4700::1111]/", id="public-v6"),
    pytest.param("http://[::ffff:8.8.8.8]/", id="v4-mapped-public"),
    pytest.param("http://[64:ff9b::808:808]/", id="nat64-public"),
    pytest.param("http://[2002:808:808::1]/", id="6to4-public"),
    pytest.param("HTTPS://Public.Test./", id="public-name"),
]


@pytest.mark.parametrize(("url", "reason"), REFUSED)
async def test_check_url_refuses_non_public_targets(url: str, reason: str) -> None:
    policy = EgressPolicy(resolver=fake_resolver)

    with pytest.raises(EgressRefused, match=r"^egress refused: ") as info:
        await policy.check_url(url)

    assert reason in str(info.value)
    assert isinstance(info.value, PermanentError)


@pytest.mark.parametrize("url", ALLOWED)
async def test_check_url_allows_public_targets(url: str) -> None:
    await EgressPolicy(resolver=fake_resolver).check_url(url)


async def test_literal_ips_are_judged_without_a_lookup() -> None:
    policy = EgressPolicy(resolver=no_resolver)

    await policy.check_url("http://93.184.216.34/")
    with pytest.raises(EgressRefused, match=r"127\.0\.0\.1 is a loopback address"):
        await policy.check_url("http://0x7f.1/")


@pytest.mark.parametrize(
    "spelling", ["2130706433", "0x7f.1", "0x7F000001", "0177.0.0.1", "017700000001", "127.1", "127.0.1"]
)
def test_numeric_spellings_match_what_the_resolver_reads(spelling: str) -> None:
    # socket.inet_aton is the libc parser getaddrinfo uses for numeric hosts (no network involved).
    assert socket.inet_aton(spelling) == socket.inet_aton("127.0.0.1")
    with pytest.raises(EgressRefused, match=r"127\.0\.0\.1 is a loopback address"):
        EgressPolicy().check_address(spelling)


def test_refusal_message_says_what_and_how_to_allow_it() -> None:
    with pytest.raises(EgressRefused) as info:
        EgressPolicy().check_address("10.0.0.5")

    assert str(info.value) == (
        "egress refused: 10.0.0.5 is a private address (add it to TASKLOOM_EGRESS_ALLOWLIST to allow it)"
    )


def test_refusal_message_names_metadata_endpoint_and_wrapped_forms() -> None:
    policy = EgressPolicy()

    with pytest.raises(EgressRefused, match="cloud metadata"):
        policy.check_address("169.254.169.254")
    with pytest.raises(EgressRefused, match=r"IPv4-mapped IPv6 form of 127\.0\.0\.1, a loopback address"):
        policy.check_address("::ffff:127.0.0.1")


async def test_refusal_of_a_name_names_the_address_and_keeps_credentials_out() -> None:
    with pytest.raises(EgressRefused) as info:
        await EgressPolicy(resolver=fake_resolver).check_url("http://bob:s3cret@mixed.test/?token=abc")

    message = str(info.value)
    assert "mixed.test resolves to 192.168.1.1, a private address" in message
    assert "s3cret" not in message and "token" not in message


def test_check_address_refuses_what_is_not_an_address() -> None:
    with pytest.raises(EgressRefused, match="not an IP address"):
        EgressPolicy().check_address("example.com")


async def test_unknown_name_surfaces_the_resolver_error() -> None:
    with pytest.raises(socket.gaierror):
        await EgressPolicy(resolver=fake_resolver).check_url("http://unknown.test/")


@pytest.mark.parametrize(
    ("allowlist", "url"),
    [
        pytest.param(["127.0.0.1"], "http://127.0.0.1:8000/", id="ip"),
        pytest.param(["127.0.0.1"], "http://[::ffff:127.0.0.1]/", id="ip-v4-mapped-form"),
        pytest.param(["127.0.0.0/8"], "http://2130706433/", id="cidr-integer-spelling"),
        pytest.param(["10.0.0.0/8"], "http://10.9.8.7/", id="private-cidr"),
        pytest.param(["fd00::/8"], "http://[fd00::5]/", id="private-cidr-v6"),
        pytest.param(["localhost"], "http://localhost:8000/", id="localhost-by-name"),
        pytest.param(["Internal.TEST"], "http://internal.test/", id="host-case-insensitive"),
        pytest.param(["*.internal.test"], "http://api.internal.test/", id="wildcard"),
        pytest.param(["*.internal.test"], "http://a.b.internal.test/", id="wildcard-deep"),
    ],
)
async def test_allowlist_lets_listed_targets_through_without_a_lookup(allowlist: list[str], url: str) -> None:
    await EgressPolicy(allowlist, resolver=no_resolver).check_url(url)


async def test_allowlisted_cidr_covers_resolved_addresses() -> None:
    policy = EgressPolicy(["10.0.0.0/8"], resolver=fake_resolver)

    await policy.check_url("http://internal.test/")
    with pytest.raises(EgressRefused, match=r"192\.168\.1\.1"):
        await policy.check_url("http://mixed.test/")


@pytest.mark.parametrize(
    ("allowlist", "url"),
    [
        pytest.param(["*.internal.test"], "http://internal.test/", id="wildcard-excludes-apex"),
        pytest.param(["internal.test"], "http://api.internal.test/", id="exact-excludes-subdomain"),
        pytest.param(["10.0.0.0/8"], "http://192.168.1.1/", id="other-private-range"),
        pytest.param(["127.0.0.1"], "http://127.0.0.2/", id="other-loopback-address"),
        pytest.param(["127.0.0.1"], "http://localhost/", id="ip-does-not-list-localhost"),
    ],
)
async def test_allowlist_lets_nothing_else_through(allowlist: list[str], url: str) -> None:
    with pytest.raises(EgressRefused):
        await EgressPolicy(allowlist, resolver=fake_resolver).check_url(url)


async def test_allowlist_does_not_open_other_schemes() -> None:
    with pytest.raises(EgressRefused, match="'ftp' scheme is not allowed"):
        await EgressPolicy(["127.0.0.1"], resolver=no_resolver).check_url("ftp://127.0.0.1/")


async def test_from_setting_parses_the_comma_separated_value() -> None:
    value = " 127.0.0.1 , ,*.corp.test,10.0.0.0/8, fd00::/8,"

    policy = EgressPolicy.from_setting(value, resolver=no_resolver)

    for url in ["http://127.0.0.1/", "http://git.corp.test/", "http://10.1.1.1/", "http://[fd00::1]/"]:
        await policy.check_url(url)


async def test_from_setting_of_empty_value_blocks_everything_private() -> None:
    with pytest.raises(EgressRefused):
        await EgressPolicy.from_setting("", resolver=no_resolver).check_url("http://10.0.0.1/")


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("10.0.0.0/33", id="prefix-too-long"),
        pytest.param("10.0.0.1/8", id="host-bits-set"),
        pytest.param("300.1.2.3/8", id="bad-octet"),
        pytest.param("10.0.0.256", id="bad-address"),
        pytest.param("fd00::/200", id="bad-v6-prefix"),
        pytest.param("example.com:8080", id="host-with-port"),
        pytest.param("http://example.com", id="url"),
    ],
)
def test_from_setting_rejects_invalid_entries_by_name(value: str) -> None:
    with pytest.raises(ValueError, match=r"TASKLOOM_EGRESS_ALLOWLIST: '.+' is not a"):
        EgressPolicy.from_setting(f"127.0.0.1,{value}")


def make_client(policy: EgressPolicy, handler: httpx.MockTransport) -> httpx.AsyncClient:
    # trust_env=False: environment proxies would otherwise be mounted beside the guarded transport.
    return httpx.AsyncClient(transport=GuardedTransport(policy, transport=handler), trust_env=False)


async def test_guarded_transport_refuses_before_the_inner_transport_sees_the_request() -> None:
    sent: list[httpx.Request] = []
    inner = httpx.MockTransport(lambda request: sent.append(request) or httpx.Response(200))

    async with make_client(EgressPolicy(resolver=fake_resolver), inner) as client:
        with pytest.raises(EgressRefused, match="cloud metadata"):
            await client.get("http://169.254.169.254/latest/meta-data/")
        with pytest.raises(EgressRefused):
            await client.get("http://internal.test/")

    assert sent == []


async def test_guarded_transport_passes_allowed_requests_to_the_inner_transport() -> None:
    inner = httpx.MockTransport(lambda request: httpx.Response(200, text=f"hello {request.url.host}"))

    async with make_client(EgressPolicy(resolver=fake_resolver), inner) as client:
        response = await client.get("https://public.test/")

    assert response.text == "hello public.test"


@pytest.mark.parametrize(
    "location",
    [
        pytest.param("http://10.0.0.5/secret", id="to-private-ip"),
        pytest.param("http://169.254.169.254/latest/meta-data/", id="to-metadata"),
        pytest.param("http://internal.test/", id="to-name-resolving-private"),
        pytest.param("file:///etc/passwd", id="to-file-scheme"),
    ],
)
async def test_guarded_transport_checks_every_redirect_hop(location: str) -> None:
    # Given 127.0.0.1 is allow-listed and answers with a redirect to a refused target
    sent: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(str(request.url))
        return httpx.Response(302, headers={"Location": location})

    policy = EgressPolicy(["127.0.0.1"], resolver=fake_resolver)
    async with make_client(policy, httpx.MockTransport(handler)) as client:
        # When the client follows the redirect
        with pytest.raises(EgressRefused):
            await client.get("http://127.0.0.1:8000/start", follow_redirects=True)

    # Then only the first hop was sent
    assert sent == ["http://127.0.0.1:8000/start"]


async def test_guarded_transport_reports_an_unknown_name_as_a_connect_error() -> None:
    inner = httpx.MockTransport(lambda request: httpx.Response(200))

    async with make_client(EgressPolicy(resolver=fake_resolver), inner) as client:
        with pytest.raises(httpx.ConnectError, match=r"unknown\.test"):
            await client.get("http://unknown.test/")
