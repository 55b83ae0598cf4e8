"""fetch.block_private_networks: a service must not be turned against its own network."""

from __future__ import annotations

import ipaddress

import pytest

from scraper.errors import BlockedAddress
from scraper.fetch import _is_public, fetch
from scraper.settings import FetchSettings


def _settings(**kw) -> FetchSettings:
    return FetchSettings(block_private_networks=True, per_host_interval_s=0, max_attempts=1,
                         connect_timeout_s=2, read_timeout_s=2, **kw)


@pytest.mark.parametrize("address", [
    "127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "0.0.0.0",
    "100.64.0.1", "224.0.0.1", "::1", "fe80::1", "fd00:ec2::254", "::ffff:127.0.0.1", "fc00::1",
])
def test_private_local_and_metadata_addresses_are_not_public(address):
    assert not _is_public(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"])
def test_public_addresses_are_public(address):
    assert _is_public(ipaddress.ip_address(address))


def test_loopback_literal_is_refused_before_any_request(sample_site):
    url = sample_site.urls()[0]
    before = sum(sample_site.hits.values())
    with pytest.raises(BlockedAddress, match="127.0.0.1"):
        fetch(url, _settings())
    assert sum(sample_site.hits.values()) == before


def test_a_dns_answer_pointing_at_loopback_is_refused(sample_site):
    port = sample_site.base_url.rsplit(":", 1)[1]
    with pytest.raises(BlockedAddress, match="localhost"):
        fetch(f"http://localhost:{port}/recipes/lemon-tart.html", _settings())


def test_a_redirect_to_a_private_host_is_refused_at_that_hop(sample_site):
    port = sample_site.base_url.rsplit(":", 1)[1]
    target = f"http://localhost:{port}/recipes/lemon-tart.html"
    # The first hop's host is exempted; the redirect's target is not.
    url = f"{sample_site.base_url}/redirect-to?url={target}"
    hops_before = sample_site.hits["/redirect-to"]
    target_before = sample_site.hits["/recipes/lemon-tart.html"]
    with pytest.raises(BlockedAddress, match="localhost"):
        fetch(url, _settings(allow_private_hosts=("127.0.0.1",)))
    assert sample_site.hits["/redirect-to"] == hops_before + 1
    assert sample_site.hits["/recipes/lemon-tart.html"] == target_before  # never asked


def test_exempted_hosts_are_fetched(sample_site):
    page = fetch(sample_site.urls()[0], _settings(allow_private_hosts=("127.0.0.1",)))
    assert page.status == 200
