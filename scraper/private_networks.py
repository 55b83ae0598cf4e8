"""fetch.block_private_networks: the addresses a service must not be turned against.

Checked twice per hop. Before the request, on the name: a literal address, or every address it
resolves to. Then on the connection: the client resolves the name again, and a DNS server that
answers "public" first and "127.0.0.1" next (rebinding) would slip through between the two; so
the address the socket actually reached is checked once it is connected, before TLS or any byte
of the request. Checking the connection was chosen over pinning the first answer (connecting to
that IP while keeping Host and SNI): it closes the same window without a custom transport.

Through a forward proxy (`fetch.proxy`, or HTTP_PROXY / HTTPS_PROXY / ALL_PROXY from the
environment) the connection goes to the proxy, the operator's choice, and the proxy resolves the
name; only the name is checked then. Literal private addresses (`http://127.0.0.1/`,
`http://[::1]/`, 10.x, 169.254.169.254...) are still refused, and so are names that do resolve
here to such an address. A name that does not resolve here is not an error of this guard: where
only the proxy has DNS (a locked-down server), it is the proxy's to resolve, and without a proxy
the client's own connection fails as ConnectFailed, or, should the name resolve by then, the
check on the connection applies. No httpx here: `peer_guard` is an httpcore `trace` hook that
fetch.py attaches to each request.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

from .errors import BlockedAddress

METADATA_ADDRESSES = {ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")}


def is_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast and address not in METADATA_ADDRESSES


def exempt(host: str, allowed: tuple[str, ...]) -> bool:
    return host.lower().rstrip(".") in allowed


async def refuse_private_host(url: str, current: str, allowed: tuple[str, ...]) -> None:
    """Refuse a hop whose host is, or resolves here to, a non-public address (unless `allowed`).

    A host that does not resolve here passes: a proxy may resolve it (see the module docstring).

    Raises:
        BlockedAddress: the host is, or resolves to, a private, local or metadata address.
    """
    parts = urlsplit(current)
    host = (parts.hostname or "").lower().rstrip(".")
    if exempt(host, allowed):
        return
    try:
        addresses = [ipaddress.ip_address(host)]
    except ValueError:
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(
                host, parts.port or (443 if parts.scheme == "https" else 80), type=socket.SOCK_STREAM
            )
        except (socket.gaierror, UnicodeError):
            return  # the proxy's to resolve, or the connection's to fail (issue 16, item 6)
        addresses = [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]
    for address in addresses:
        if not is_public(address):
            raise BlockedAddress(
                f"refused: {host} is a private or local address ({address}); "
                "fetch.block_private_networks is on",
                url=url,
                stage="fetch",
            )


def refuse_private_peer(url: str, host: str, peer: str) -> None:
    """Raise BlockedAddress when the socket opened for `host` reached a non-public address."""
    address = ipaddress.ip_address(peer.split("%")[0])
    if not is_public(address):
        raise BlockedAddress(
            f"refused: {host} connected to {address}, a private or local address; "
            "fetch.block_private_networks is on",
            url=url,
            stage="fetch",
        )


def peer_guard(url: str, host: str, target: str) -> Callable[[str, dict[str, Any]], Awaitable[None]]:
    """An httpcore `trace` hook: refuse a direct connection to `target` that reached a private address.

    `target` is the host the connection is opened to when there is no proxy (httpx's
    `request.url.raw_host`); a connection opened to anything else goes to a proxy.
    """
    connecting = ""

    async def trace(event: str, info: dict[str, Any]) -> None:
        nonlocal connecting
        if event == "connection.connect_tcp.started":
            connecting = info.get("host", "")
        elif event == "connection.connect_tcp.complete" and connecting == target:
            stream = info["return_value"]
            peer = stream.get_extra_info("server_addr")
            try:
                if peer:
                    refuse_private_peer(url, host, str(peer[0]))
            except BlockedAddress:
                await stream.aclose()  # httpcore never got it: close it here
                raise

    return trace
