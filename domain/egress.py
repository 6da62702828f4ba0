"""The egress guard: user-given URLs may not reach loopback, private or other non-public addresses.

User-given URLs (API_CALL, browser pages, extraction, webhooks) go through `EgressPolicy.check_url`;
`GuardedTransport` checks every request an `httpx.AsyncClient` sends, redirect hops included. Operator
URLs (GHL, LLM, CDP, Browserbase) are trusted. `TASKLOOM_EGRESS_ALLOWLIST` (hosts, `*.suffix`
wildcards, IPs or CIDRs) lets named internal targets through; see `EgressPolicy.from_setting`.
"""

from __future__ import annotations

import asyncio
import functools
import ipaddress
import re
import socket
from collections.abc import Awaitable, Callable, Iterable
from typing import TypeAlias

import httpx

from domain.errors import PermanentError

__all__ = ["EgressPolicy", "EgressRefused", "GuardedTransport", "Resolver", "check_hop"]

#: Resolves `(host, port)` to the IP address strings a connection could go to.
Resolver: TypeAlias = Callable[[str, int], Awaitable[list[str]]]

_IPAddress: TypeAlias = ipaddress.IPv4Address | ipaddress.IPv6Address
_IPNetwork: TypeAlias = ipaddress.IPv4Network | ipaddress.IPv6Network

_DEFAULT_PORTS = {"http": 80, "https": 443}  # also the only schemes allowed
_SETTING = "TASKLOOM_EGRESS_ALLOWLIST"
_ADD_IT = f"(add it to {_SETTING} to allow it)"
#: Addresses whose decision a policy remembers (then it starts over).
_REMEMBERED_ADDRESSES = 4096

# Checked in order, the first match names the reason. Whatever `ipaddress` does not call globally
# routable is refused as well (documentation ranges, 2001::/23, ...), so this table is for the messages.
_BLOCKED: tuple[tuple[_IPNetwork, str], ...] = tuple(
    (ipaddress.ip_network(network), reason)
    for reason, networks in (
        ("a link-local address (the cloud metadata endpoint)", "169.254.169.254/32"),
        ("an unspecified address", "0.0.0.0/8 ::/128"),
        ("a loopback address", "127.0.0.0/8 ::1/128"),
        ("a private address", "10.0.0.0/8 172.16.0.0/12 192.168.0.0/16 fc00::/7"),
        ("a carrier-grade NAT address", "100.64.0.0/10"),
        ("a link-local address", "169.254.0.0/16 fe80::/10"),
        ("a site-local address", "fec0::/10"),
        ("a benchmarking address", "198.18.0.0/15"),
        ("a multicast address", "224.0.0.0/4 ff00::/8"),
        ("the broadcast address", "255.255.255.255/32"),
        ("a local-use NAT64 address", "64:ff9b:1::/48"),
        ("a reserved address", "240.0.0.0/4 ::/8"),
    )
    for network in networks.split()
)
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
# IPv6 forms whose embedded IPv4 address is where packets really go; the other forms are judged on the
# embedded address first and then as IPv6 (Teredo, IPv4-translated and the rest are not global anyway).
_TRANSPARENT_FORMS = frozenset({"an IPv4-mapped", "a NAT64"})

# What glibc's inet_aton (and so getaddrinfo) takes for an IPv4 address: 1 to 4 parts, each decimal,
# 0x-hex or 0-octal. `http://2130706433/` and `http://0x7f.1/` are 127.0.0.1 to the resolver.
_INET_ATON = re.compile(r"(?:\d[0-9a-fx]*\.){0,3}\d[0-9a-fx]*", re.IGNORECASE)
_HOST_ENTRY = re.compile(r"(?:\*\.)?[a-z0-9_-]+(?:\.[a-z0-9_-]+)*")


class EgressRefused(PermanentError):
    """Raised when a user-given URL would reach a scheme, host or address the egress guard blocks."""


@functools.lru_cache(maxsize=1024)
def _parse_ip(text: str) -> _IPAddress | None:
    # Cached: a worker calls the same targets over and over, and parsing costs more than the lookup.
    try:
        if ":" in text:
            return ipaddress.IPv6Address(text)
        return ipaddress.IPv4Address(socket.inet_aton(text)) if _INET_ATON.fullmatch(text) else None
    except (ValueError, OSError):  # OSError: what inet_aton says about a string it cannot read
        return None


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> tuple[str, ipaddress.IPv4Address] | None:
    low32 = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if ip.ipv4_mapped is not None:
        return "an IPv4-mapped", ip.ipv4_mapped
    if ip in _NAT64:
        return "a NAT64", low32
    if ip.sixtofour is not None:
        return "a 6to4", ip.sixtofour
    if int(ip) >> 32 == 0 and int(ip) > 1:
        return "an IPv4-compatible", low32
    return None


def _blocked_reason(ip: _IPAddress) -> str | None:
    if isinstance(ip, ipaddress.IPv6Address) and (embedded := _embedded_ipv4(ip)) is not None:
        form, ipv4 = embedded
        reason = _blocked_reason(ipv4)
        if reason is not None:
            return f"{form} IPv6 form of {ipv4}, {reason}"
        if form in _TRANSPARENT_FORMS:
            return None
    for network, reason in _BLOCKED:
        if ip in network:
            return reason
    return None if ip.is_global else "not a globally routable address"


async def _getaddrinfo(host: str, port: int) -> list[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


class EgressPolicy:
    """Decides whether a user-given URL or address may be contacted.

    Parameters:
      allowlist: hostnames (exact, case-insensitive; `*.example.com` matches names below example.com,
        not example.com itself), IP addresses or CIDRs (v4 and v6) reachable despite the block.
      resolver: hostname and port to IP address strings; defaults to the event loop's `getaddrinfo`.

    Raises:
      ValueError: when an allowlist entry is neither an IP network nor a hostname pattern.
    """

    def __init__(self, allowlist: Iterable[str] = (), *, resolver: Resolver | None = None) -> None:
        self._resolver: Resolver = resolver if resolver is not None else _getaddrinfo
        self._networks: list[_IPNetwork] = []
        self._hosts: set[str] = set()
        self._suffixes: list[str] = []
        self._refusals: dict[_IPAddress, str | None] = {}
        for entry in allowlist:
            self._add(entry)

    @classmethod
    def from_setting(cls, value: str, *, resolver: Resolver | None = None) -> EgressPolicy:
        """Build a policy from the comma-separated `TASKLOOM_EGRESS_ALLOWLIST` value; blanks are ignored.

        Raises:
          ValueError: when an entry is an invalid CIDR or hostname, naming the entry.
        """
        return cls([entry for entry in value.split(",") if entry.strip()], resolver=resolver)

    def _add(self, entry: str) -> None:
        text = entry.strip().lower().rstrip(".")
        ip = None if "/" in text else _parse_ip(text)
        if "/" in text or ip is not None or re.fullmatch(r"[\d.:]+", text):
            try:
                self._networks.append(ipaddress.ip_network(ip if ip is not None else text))
                return
            except ValueError as exc:
                problem = f"is not a valid IP address or CIDR ({exc}); write e.g. 10.0.0.0/8 or fd00::/8"
        elif not _HOST_ENTRY.fullmatch(text):
            problem = "is not a hostname, *.domain wildcard, IP or CIDR (no scheme, port or path)"
        elif text.startswith("*."):
            self._suffixes.append(text[1:])
            return
        else:
            self._hosts.add(text)
            return
        raise ValueError(f"{_SETTING}: {entry.strip()!r} {problem}")

    def _ip_allowed(self, ip: _IPAddress) -> bool:
        candidates: list[_IPAddress] = [ip]
        embedded = _embedded_ipv4(ip) if isinstance(ip, ipaddress.IPv6Address) else None
        if embedded is not None and embedded[0] in _TRANSPARENT_FORMS:
            candidates.append(embedded[1])
        return any(candidate in network for candidate in candidates for network in self._networks)

    def _host_allowed(self, host: str) -> bool:
        return host in self._hosts or any(host.endswith(suffix) for suffix in self._suffixes)

    def _refusal(self, ip: _IPAddress) -> str | None:
        """Why `ip` may not be reached, or None; remembered per address (a policy never changes)."""
        if ip not in self._refusals:
            if len(self._refusals) >= _REMEMBERED_ADDRESSES:
                self._refusals.clear()
            self._refusals[ip] = None if self._ip_allowed(ip) else _blocked_reason(ip)
        return self._refusals[ip]

    def _check_ip(self, ip: _IPAddress, *, host: str | None = None) -> None:
        if (reason := self._refusal(ip)) is None:
            return
        subject, fix = (
            (f"{ip} is", "it") if host is None else (f"{host} resolves to {ip},", f"{host} or {ip}")
        )
        raise EgressRefused(f"egress refused: {subject} {reason} (add {fix} to {_SETTING} to allow it)")

    def check_address(self, ip: str) -> None:
        """Refuse an IP address unless it is globally routable or allow-listed.

        Raises:
          EgressRefused: when the address is blocked, or is not an IP address at all.
        """
        parsed = _parse_ip(ip.strip().lower())
        if parsed is None:
            raise EgressRefused(f"egress refused: {ip!r} is not an IP address")
        self._check_ip(parsed)

    async def check_url(self, url: str | httpx.URL) -> None:
        """Refuse a URL unless it is http(s) and every address its host stands for may be reached.

        A literal IP (any spelling the resolver accepts) is checked directly, an allow-listed name
        passes unresolved, any other name is refused if ANY address it resolves to is blocked.
        Messages never repeat the URL: it may carry credentials.

        Raises:
          EgressRefused: when the URL is invalid, has another scheme or no host, or is blocked.
          OSError: when the resolver fails (`socket.gaierror` for an unknown name).
        """
        try:
            parsed = url if isinstance(url, httpx.URL) else httpx.URL(url)
        except httpx.InvalidURL as exc:
            raise EgressRefused(f"egress refused: not a valid URL ({exc})") from exc
        if (scheme := parsed.scheme) not in _DEFAULT_PORTS:
            what = f"the {scheme!r} scheme is not allowed" if scheme else "the URL has no scheme"
            raise EgressRefused(f"egress refused: {what}; use http or https")
        host = parsed.host.lower().rstrip(".")
        if not host:
            raise EgressRefused("egress refused: the URL has no host")
        ip = _parse_ip(host)
        if ip is not None:
            self._check_ip(ip)
            return
        if self._host_allowed(host):
            return
        if host == "localhost" or host.endswith(".localhost"):
            raise EgressRefused(f"egress refused: {host} is a loopback name {_ADD_IT}")
        addresses = await self._resolver(host, parsed.port or _DEFAULT_PORTS[scheme])
        if not addresses:
            raise EgressRefused(f"egress refused: {host} did not resolve to any address")
        for address in addresses:
            resolved = _parse_ip(address.lower())
            if resolved is None:
                raise EgressRefused(f"egress refused: {host} resolved to {address!r}, not an IP address")
            self._check_ip(resolved, host=host)


async def check_hop(policy: EgressPolicy, url: httpx.URL, *, request: httpx.Request | None = None) -> None:
    """Check one request's URL (a redirect hop's included) with `policy` before it is sent.

    Parameters:
      request: the httpx request being sent, attached to the exception (None outside httpx).

    Raises:
      EgressRefused: when the policy refuses the URL.
      httpx.ConnectError: when the host does not resolve, as a transport would say.
    """
    try:
        await policy.check_url(url)
    except OSError as exc:
        raise httpx.ConnectError(f"cannot resolve {url.host}: {exc}", request=request) from exc


class GuardedTransport(httpx.AsyncBaseTransport):
    """An httpx transport that checks every request's URL with an `EgressPolicy` before sending it.

    The client sends each redirect hop through its transport, so redirects are checked hop by hop.
    Build the client with `trust_env=False`: otherwise proxies from the environment are mounted beside
    this transport and their requests never reach it.

    DNS rebinding: covered are literal IPs in every spelling, names that resolve to any blocked address
    at check time, and every redirect hop. NOT covered is a name whose DNS answer changes between the
    check and the inner transport's own lookup (a short-TTL record answering a public address first and
    a private one second), nor what a proxy resolves. Closing that needs the connection pinned to the
    checked address (a network backend that connects to the IP it checked) or an egress firewall.

    Parameters:
      policy: the policy to apply; defaults to one with an empty allowlist.
      transport: the transport that sends allowed requests; defaults to `httpx.AsyncHTTPTransport()`.
    """

    def __init__(
        self, policy: EgressPolicy | None = None, *, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        self._policy = policy if policy is not None else EgressPolicy()
        self._transport = transport if transport is not None else httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send `request` through the inner transport once the policy allows its URL.

        Raises:
          EgressRefused: when the policy refuses the URL (nothing is sent).
          httpx.ConnectError: when the host does not resolve, as the inner transport would say.
        """
        await check_hop(self._policy, request.url, request=request)
        return await self._transport.handle_async_request(request)

    async def aclose(self) -> None:
        await self._transport.aclose()
