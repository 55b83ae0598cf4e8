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


# -- through a forward proxy: the proxy resolves names (issue 16, item 6) --------------------------

PAGE = ('<!DOCTYPE html><html><head><meta charset="utf-8"><script type="application/ld+json">'
        '{"@context": "https://schema.org", "@type": "Recipe", "name": "Proxied Lemon Pie", '
        '"recipeIngredient": ["2 lemons"], "recipeInstructions": "Bake it."}</script></head>'
        "<body></body></html>").encode()


class _ForwardProxy:
    """A plain-HTTP forward proxy on 127.0.0.1 that answers every absolute-form GET itself.

    It stands for a proxy with DNS of its own: it serves `*.invalid` names, which resolve nowhere
    else, and records the URLs it was asked for.
    """

    def __init__(self) -> None:
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        asked = self.asked = []

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                asked.append(self.path)
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(PAGE)))
                self.end_headers()
                self.wfile.write(PAGE)

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture(scope="module")
def forward_proxy():
    proxy = _ForwardProxy()
    yield proxy
    proxy.close()


def test_a_name_only_the_proxy_resolves_is_fetched_through_it(forward_proxy):
    url = "http://lemon-pie.recipes.invalid/pie"
    page = fetch(url, _settings(proxy=forward_proxy.url))
    assert page.status == 200 and b"Proxied Lemon Pie" in page.html.encode()
    assert url in forward_proxy.asked


def test_the_environment_proxy_is_trusted_the_same_way(forward_proxy, monkeypatch):
    monkeypatch.setenv("HTTP_PROXY", forward_proxy.url)
    url = "http://env.recipes.invalid/pie"
    assert fetch(url, _settings()).status == 200
    assert url in forward_proxy.asked


@pytest.mark.parametrize("host", ["127.0.0.1:8080", "[::1]", "10.1.2.3", "169.254.169.254", "localhost"])
def test_private_literals_and_names_resolving_here_to_them_are_refused_through_the_proxy(
        forward_proxy, host):
    url = f"http://{host}/latest/meta-data/"
    with pytest.raises(BlockedAddress, match="private or local"):
        fetch(url, _settings(proxy=forward_proxy.url))
    assert url not in forward_proxy.asked


def test_without_a_proxy_a_name_that_does_not_resolve_fails_to_connect():
    from scraper.errors import ConnectFailed

    with pytest.raises(ConnectFailed):
        fetch("http://nowhere.recipes.invalid/pie", _settings())


@pytest.mark.usefixtures("ray_session")
def test_a_batch_behind_a_proxy_imports_what_the_proxy_resolves(forward_proxy, make_config, sample_site):
    from ray_import.pipeline import run_import

    cfg = make_config(fetch={"block_private_networks": True, "proxy": forward_proxy.url, "max_attempts": 1})
    results = []
    summary = run_import(["http://batch.recipes.invalid/lemon-pie", sample_site.urls()[0]], cfg,
                         on_result=results.append)
    assert summary.counts == {"imported": 1, "failed": 1}
    by_url = {result.url: result for result in results}
    assert by_url["http://batch.recipes.invalid/lemon-pie"].status == "imported"
    assert by_url[sample_site.urls()[0]].error_kind == "blocked"
    assert [path.name for path in cfg.out.glob("*.recipe.json")] == ["proxied-lemon-pie.recipe.json"]
