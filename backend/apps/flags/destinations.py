"""Where a webhook may be sent: public internet addresses only, checked after resolution, and pinned.

A robot's address is typed by an administrator, but the request goes out from the server, inside
the park's network: pointed at 127.0.0.1, a metadata service (169.254.169.254) or an intranet host,
it would be a way into places no user can reach (SSRF). So:

- the host is resolved once (`resolve`, replaceable in tests by a stub) and *every* address it
  resolves to must be public; an IP literal is parsed in any notation a resolver accepts (dotted,
  short forms like `127.1`, decimal/hex/octal integers, IPv6, IPv4-mapped IPv6);
- the connection is made to the address that was checked (the host name is still sent as `Host`
  and checked against the TLS certificate), so a second, different DNS answer cannot slip in;
- redirects are never followed (a 3xx is a failure);
- non-public = loopback, private (RFC 1918), link-local, carrier-grade NAT 100.64/10, unspecified,
  multicast, reserved and documentation ranges, IPv6 unique-local fc00::/7, IPv4-mapped, NAT64
  and 6to4/Teredo prefixes that can embed any of these (anything Python's `is_global` rejects, and
  those prefixes besides);
- an on-premises relay can be allowed explicitly by an administrator of the server:
  `SEEDBED_WEBHOOK_ALLOW_HOSTS` (comma-separated host names and/or IP networks in CIDR notation).
"""

from __future__ import annotations

import ipaddress
import json
import re
import socket
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import certifi
import urllib3

from apps.core.i18n import t
from apps.flags import conf

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Prefixes Python's `is_global` lets through although they can carry an internal IPv4 address.
_EMBEDDING = [ipaddress.ip_network(n) for n in ("64:ff9b::/96", "64:ff9b:1::/48", "2002::/16", "2001::/32")]
_LEGACY_V4 = re.compile(r"^(0x[0-9a-f]+|[0-9]+)(\.(0x[0-9a-f]+|[0-9]+)){0,3}$", re.IGNORECASE)
MAX_REPLY_BYTES = 64 * 1024


class UnsafeDestination(ValueError):
    """The address may not be called. `message` is bilingual (a lazy `t(...)`)."""

    def __init__(self, message: Any) -> None:
        super().__init__(str(message))
        self.message = message


def system_resolver(host: str, port: int) -> list[str]:
    return [str(info[4][0]) for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)]


# (host, port) → the IP addresses it resolves to. Tests replace it with a stub (no real DNS).
resolver: Callable[[str, int], list[str]] = system_resolver


def literal_ip(host: str) -> IPAddress | None:
    """The address `host` spells as an IP literal, in any notation a resolver accepts; None for a name."""
    name = host.strip("[]")
    try:
        return ipaddress.ip_address(name)
    except ValueError:
        pass
    if _LEGACY_V4.match(name):  # 127.1, 2130706433, 0x7f000001, 017700000001, 0x7f.0.0.1
        try:
            return ipaddress.IPv4Address(socket.inet_aton(name))
        except OSError:
            return None
    return None


def is_public(ip: IPAddress) -> bool:
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None or ip.sixtofour is not None or ip.teredo is not None:
            return False
        if any(ip in net for net in _EMBEDDING):
            return False
    return bool(ip.is_global) and not ip.is_multicast


def _allowances() -> tuple[set[str], list[ipaddress.IPv4Network | ipaddress.IPv6Network]]:
    hosts: set[str] = set()
    networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = []
    for raw in str(conf.get("SEEDBED_WEBHOOK_ALLOW_HOSTS") or "").split(","):
        entry = raw.strip().lower()
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry.strip("[]"), strict=False))
        except ValueError:
            hosts.add(entry.rstrip("."))
    return hosts, networks


def _allowed(host: str, ip: IPAddress) -> bool:
    hosts, networks = _allowances()
    return host.lower().rstrip(".") in hosts or any(ip in net for net in networks)


@dataclass(frozen=True)
class Destination:
    scheme: str
    host: str  # as written (the name sent as Host and checked against the certificate)
    port: int
    ip: str  # the checked address connected to
    target: str  # path and query
    host_header: str


def _refuse() -> UnsafeDestination:
    return UnsafeDestination(
        t(
            "该地址指向内部网络（本机、内网、链路本地等），不允许作为机器人地址；如需使用园区内网的中转服务，"
            "请由服务器管理员在 SEEDBED_WEBHOOK_ALLOW_HOSTS 中允许。",
            "The address points into an internal network (this host, a private or link-local range …) and "
            "cannot be a robot's address; an on-premises relay must be allowed by the server's administrator "
            "in SEEDBED_WEBHOOK_ALLOW_HOSTS.",
        )
    )


def check(url: str, *, resolve_names: bool = True) -> Destination | None:
    """The destination of `url` once every address it resolves to is allowed; raises UnsafeDestination.

    `resolve_names=False` (saving a channel) skips names that do not resolve now (None): the check
    at send time still stands between them and the network."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UnsafeDestination(t("只接受 http(s) 地址。", "Only http(s) addresses are accepted."))
    if parts.username is not None or parts.password is not None:
        raise UnsafeDestination(t("地址中不能包含用户名或密码。", "The address cannot hold a user name or password."))
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise UnsafeDestination(t("地址的端口无效。", "The address's port is not valid.")) from exc
    host = parts.hostname
    literal = literal_ip(host)
    if literal is not None:
        addresses: list[IPAddress] = [literal]
    else:
        try:
            found = resolver(host, port)
        except (OSError, UnicodeError) as exc:
            if not resolve_names:
                return None
            raise UnsafeDestination(t("无法解析该地址的主机名。", "The address's host name does not resolve.")) from exc
        addresses = []
        for raw in found:
            ip = literal_ip(raw.split("%", 1)[0])
            if ip is None:
                raise _refuse()
            addresses.append(ip)
        if not addresses:
            if not resolve_names:
                return None
            raise UnsafeDestination(t("无法解析该地址的主机名。", "The address's host name does not resolve."))
    for ip in addresses:
        if not is_public(ip) and not _allowed(host, ip):
            raise _refuse()
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    netloc = parts.netloc.rsplit("@", 1)[-1]
    return Destination(parts.scheme, host, port, str(addresses[0]), target, netloc)


@dataclass(frozen=True)
class Reply:
    status: int
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8", "replace"))


def post_json(url: str, payload: dict[str, Any], *, timeout: float) -> Reply:
    """POSTs `payload` to `url` after `check`, connected to the checked address, no redirects followed.

    Raises UnsafeDestination, or urllib3's errors (HTTPError subclasses) for network failures."""
    dest = check(url)
    assert dest is not None  # check() resolves names here
    body = json.dumps(payload, ensure_ascii=False).encode()
    headers = {"Host": dest.host_header, "Content-Type": "application/json; charset=utf-8", "User-Agent": "Seedbed"}
    pool: urllib3.HTTPConnectionPool
    if dest.scheme == "https":
        pool = urllib3.HTTPSConnectionPool(
            dest.ip,
            dest.port,
            server_hostname=dest.host,
            assert_hostname=dest.host,
            cert_reqs="CERT_REQUIRED",
            ca_certs=certifi.where(),
            timeout=urllib3.Timeout(total=timeout),
            retries=False,
        )
    else:
        pool = urllib3.HTTPConnectionPool(dest.ip, dest.port, timeout=urllib3.Timeout(total=timeout), retries=False)
    try:
        response = pool.urlopen(
            "POST", dest.target, body=body, headers=headers, redirect=False, retries=False, preload_content=False
        )
        try:
            data = response.read(MAX_REPLY_BYTES)
        finally:
            response.release_conn()
        return Reply(response.status, data)
    finally:
        pool.close()
