"""Which site a URL belongs to: its registrable domain, from the Public Suffix List.

A page speaks only for its own site. Its canonical link is trusted as an index key only when it
points into the same site (issue 13, item 2: a page on one host could declare another site's URL
as its canonical one and take that URL over in the catalog). "Same site" is the registrable
domain (`www.bbc.co.uk` and `food.bbc.co.uk` are one site, `a.github.io` and `b.github.io` are
two), from the copy of the list that ships with `publicsuffixlist`, read offline. An IP address
or a single-label host (`localhost`) is a site of its own; ports do not matter, as for browsers.
"""

from __future__ import annotations

import functools
import ipaddress
from urllib.parse import urlsplit

from publicsuffixlist import PublicSuffixList


@functools.cache
def _suffixes() -> PublicSuffixList:
    return PublicSuffixList()  # the bundled list: no network access


def registrable_domain(host: str) -> str:
    """`food.bbc.co.uk` → `bbc.co.uk`; an IP address, or a host that is itself a public suffix,
    is its own site."""
    host = host.lower().rstrip(".").strip("[]")
    try:
        return ipaddress.ip_address(host).compressed
    except ValueError:
        pass
    try:  # one spelling for internationalised names, so `bücher.de` and its punycode match
        host = host.encode("idna").decode("ascii")
    except UnicodeError:
        pass
    return _suffixes().privatesuffix(host) or host


def site_of(url: str | None) -> str | None:
    """The registrable domain of an http(s) URL, None when it has no host."""
    if not url:
        return None
    try:
        host = urlsplit(url).hostname
    except ValueError:
        return None
    return registrable_domain(host) if host else None


def same_site(url: str | None, other: str | None) -> bool:
    """True when both URLs have a host and the hosts share a registrable domain."""
    site = site_of(url)
    return site is not None and site == site_of(other)
