"""Where webhooks may go: http(s) URLs whose every address is public, unless the
organization runs its receiver on its own network (``COMPTOIR_WEBHOOKS_ALLOW_PRIVATE``).

Checked when an endpoint is saved and again, on the resolved address, before every
request: the sender connects to the address it checked (no DNS rebinding).
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

import httpx

from comptoir.kit.errors import ValidationFailed

MAX_URL_LENGTH = 2000
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def is_forbidden_address(address: IPAddress) -> bool:
    """Private, loopback, link-local, multicast, reserved or unspecified, or an IPv6 address
    embedding such an IPv4 address (mapped, 6to4, Teredo)."""
    if isinstance(address, ipaddress.IPv6Address):
        # An IPv6 address carrying an IPv4 one (mapped, 6to4, Teredo's client) reaches it.
        embedded = [address.ipv4_mapped, address.sixtofour]
        if address.teredo is not None:
            embedded.append(address.teredo[1])
        if any(v4 is not None and is_forbidden_address(v4) for v4 in embedded):
            return True
        if address.ipv4_mapped is not None:
            return False
    return (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or not address.is_global
    )


def _invalid(message: str) -> ValidationFailed:
    return ValidationFailed.single("url", message)


def parse(url: str) -> tuple[str, str, int]:
    """Scheme, host and port of a well-formed http(s) URL, or a 422 on ``url``."""
    if len(url) > MAX_URL_LENGTH:
        raise _invalid(f"At most {MAX_URL_LENGTH} characters.")
    url = url.strip()
    # urlsplit silently drops tabs and newlines that the HTTP client then refuses.
    if any(character.isspace() or not character.isprintable() for character in url):
        raise _invalid("A URL has no spaces or control characters.")
    try:
        parts = urlsplit(url)
        port = parts.port
        httpx.URL(url)
    except (ValueError, httpx.InvalidURL, UnicodeError):
        raise _invalid("This is not a valid URL.") from None
    if parts.scheme not in ("http", "https"):
        raise _invalid("Use an http:// or https:// URL.")
    if not parts.hostname:
        raise _invalid("The URL has no host.")
    if parts.username or parts.password:
        raise _invalid("Put credentials in the receiver, not in the URL.")
    if parts.fragment:
        raise _invalid("A webhook URL has no #fragment.")
    return parts.scheme, parts.hostname, port or (443 if parts.scheme == "https" else 80)


def check_url(url: str, *, allow_private: bool) -> str:
    """The URL, stripped, if webhooks may go there; a 422 on ``url`` otherwise."""
    _scheme, host, port = parse(url)
    if allow_private:
        return url.strip()
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    if literal is not None:
        addresses: list[IPAddress] = [literal]
    else:
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError):
            raise _invalid(f"The host {host} cannot be resolved.") from None
        addresses = [ipaddress.ip_address(info[4][0]) for info in infos]
    if not addresses or any(is_forbidden_address(address) for address in addresses):
        raise _invalid(
            f"{host} points to a private, loopback or link-local address; webhooks only go "
            "to public addresses."
        )
    return url.strip()
