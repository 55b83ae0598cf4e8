"""`ray-import serve`: every route over real HTTP on loopback, real Ray, the real sample site."""

from __future__ import annotations

import json
import re
import threading
import time
from pathlib import Path

import httpx
import pytest

from ray_import.server import BackgroundServer

pytestmark = pytest.mark.usefixtures("ray_session")

FINAL = {"imported", "exists", "duplicate", "failed", "timeout", "cancelled", "crashed"}


@pytest.fixture
def start_api(make_config, sample_site):
    """Start the API on a free port over a fresh output folder; stopped after the test."""
    servers: list[BackgroundServer] = []

    def start(token: str | None = None, serve: dict | None = None, **overrides) -> httpx.Client:
        fetch = {"block_private_networks": True, "allow_private_hosts": ["127.0.0.1"],
                 **overrides.pop("fetch", {})}
        cfg = make_config(fetch=fetch, serve=serve or {}, **overrides)
        server = BackgroundServer(cfg, token=token).start()
        servers.append(server)
        client = httpx.Client(base_url=server.url, trust_env=False, timeout=30)
        client.service = server.service  # type: ignore[attr-defined]
        client.out = Path(cfg.out)  # type: ignore[attr-defined]
        return client

    yield start
    for server in servers:
        server.stop()


def wait_done(client: httpx.Client, progress_id: str, timeout: float = 60) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        record = client.get(f"/api/recipes/progress/{progress_id}").json()
        if record["status"] in FINAL:
            return record
        time.sleep(0.1)
    raise AssertionError(f"{progress_id} not finished after {timeout}s: {record}")


def wait_step(client: httpx.Client, progress_id: str, step: str, timeout: float = 60) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        record = client.get(f"/api/recipes/progress/{progress_id}").json()
        if record["step"] == step:
            return record
        assert record["status"] not in FINAL, record
        time.sleep(0.02)
    raise AssertionError(f"{progress_id} never reached step {step}")


def recipe_files(out: Path) -> list[str]:
    return sorted(p.name for p in out.glob("*.recipe.json"))


def test_post_imports_one_url_and_reports_each_step(start_api, sample_site):
    api = start_api()
    url = sample_site.urls()[0]
    response = api.post("/api/recipes", json={"url": url})
    assert response.status_code == 202
    accepted = response.json()
    assert accepted["url"] == url and accepted["status"] == "queued" and accepted["step"] == "queued"
    record = wait_done(api, accepted["progressId"])
    assert record["status"] == "imported", record
    assert record["step"] is None and record["slug"]
    assert {"fetch", "extract", "enrich", "save"} <= set(record["steps"])
    assert all(seconds >= 0 for seconds in record["steps"].values())
    assert recipe_files(api.out) == [f"{record['slug']}.recipe.json"]
    saved = api.get(f"/api/recipes/{record['slug']}")
    assert saved.status_code == 200 and saved.headers["content-type"].startswith("application/json")
    assert saved.json() == json.loads((api.out / f"{record['slug']}.recipe.json").read_text())
    assert saved.json()["slug"] == record["slug"]


def test_an_imported_url_answers_at_once_with_its_slug(start_api, sample_site):
    api = start_api()
    url = sample_site.urls()[1]
    first = wait_done(api, api.post("/api/recipes", json={"url": url}).json()["progressId"])
    again = api.post("/api/recipes", json={"url": url + "?utm_source=app"})
    assert again.status_code == 200
    assert again.json()["status"] == "exists" and again.json()["slug"] == first["slug"]
    refreshed = api.post("/api/recipes", json={"url": url, "refresh": True})
    assert refreshed.status_code == 202
    assert wait_done(api, refreshed.json()["progressId"])["slug"] == first["slug"]
    assert recipe_files(api.out) == [f"{first['slug']}.recipe.json"]


def test_a_url_in_progress_keeps_its_progress_id_and_runs_once(start_api, sample_site):
    api = start_api()
    url = sample_site.urls()[2] + "?delay=1.5"
    path = url.removeprefix(sample_site.base_url)
    before = sample_site.hits[path.split("?")[0]]
    ids = {api.post("/api/recipes", json={"url": url}).json()["progressId"] for _ in range(3)}
    batch = api.post("/api/recipes/batch", json={"urls": [url, url]}).json()["items"]
    ids |= {item["progressId"] for item in batch}
    assert len(ids) == 1
    assert wait_done(api, ids.pop())["status"] == "imported"
    assert sample_site.hits[path.split("?")[0]] - before == 1
    assert len(recipe_files(api.out)) == 1


def test_batch_answers_one_record_per_url_in_order(start_api, sample_site):
    api = start_api()
    urls = sample_site.urls()[3:6]
    response = api.post("/api/recipes/batch", json={"urls": urls})
    assert response.status_code == 202
    items = response.json()["items"]
    assert [item["url"] for item in items] == urls
    assert len({item["progressId"] for item in items}) == 3
    records = [wait_done(api, item["progressId"]) for item in items]
    assert [r["status"] for r in records] == ["imported"] * 3
    assert len(recipe_files(api.out)) == 3


def test_batch_size_and_bad_urls_are_422_naming_the_input(start_api, sample_site):
    api = start_api(serve={"max_batch": 2})
    too_many = api.post("/api/recipes/batch", json={"urls": sample_site.urls()[:3]})
    assert too_many.status_code == 422
    assert "at most 2" in json.dumps(too_many.json())
    bad = api.post("/api/recipes/batch", json={"urls": [sample_site.urls()[0], "javascript:alert(1)"]})
    assert bad.status_code == 422
    assert "urls[1]: not an http(s) URL: 'javascript:alert(1)'" in json.dumps(bad.json())
    assert api.post("/api/recipes/batch", json={"urls": []}).status_code == 422
    assert api.service.health()["queued"] == 0  # nothing of a rejected batch was queued


@pytest.mark.parametrize("body", [
    {"url": "ftp://example.com/pie"}, {"url": "example.com/pie"}, {"url": ""}, {}, {"url": 3},
    {"url": "https://example.com/pie", "extra": 1}, {"url": "http://" + "a" * 3000},
])
def test_invalid_bodies_are_422(start_api, body):
    api = start_api()
    response = api.post("/api/recipes", json=body)
    assert response.status_code == 422, response.text
    assert response.json()["detail"]


def test_non_http_url_message_names_the_url(start_api):
    api = start_api()
    detail = api.post("/api/recipes", json={"url": "ftp://example.com/pie"}).json()["detail"]
    assert "not an http(s) URL: 'ftp://example.com/pie'" in detail[0]["msg"]


def test_url_the_catalog_cannot_key_is_422(start_api):
    api = start_api()
    response = api.post("/api/recipes", json={"url": "http://"})
    assert response.status_code == 422


def test_oversized_bodies_are_413_with_or_without_content_length(start_api):
    api = start_api(serve={"max_body_bytes": 2048})
    big = json.dumps({"url": "https://example.com/" + "a" * 4000}).encode()
    response = api.post("/api/recipes", content=big, headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert "max_body_bytes=2048" in response.json()["detail"]

    def chunks():
        yield big[:1000]
        yield big[1000:]

    chunked = api.post("/api/recipes", content=chunks(), headers={"content-type": "application/json"})
    assert chunked.status_code == 413


def test_a_full_queue_is_429_with_retry_after(start_api, sample_site):
    api = start_api(serve={"max_queue": 2, "retry_after_s": 7})
    slow = [u + "?delay=3" for u in sample_site.urls()[:3]]
    assert api.post("/api/recipes", json={"url": slow[0]}).status_code == 202
    assert api.post("/api/recipes", json={"url": slow[1]}).status_code == 202
    refused = api.post("/api/recipes", json={"url": slow[2]})
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == "7"
    assert "max_queue=2" in refused.json()["detail"]
    assert api.post("/api/recipes/batch", json={"urls": [slow[2]]}).status_code == 429
    # The same URL again is not new work: it gets its progress id, not a 429.
    assert api.post("/api/recipes", json={"url": slow[0]}).status_code == 202


def test_cancel_a_queued_import_releases_its_claim(start_api, sample_site):
    api = start_api(max_in_flight=1)
    first, second = (u + "?delay=3" for u in sample_site.urls()[6:8])
    api.post("/api/recipes", json={"url": first})
    queued = api.post("/api/recipes", json={"url": second}).json()
    response = api.delete(f"/api/recipes/progress/{queued['progressId']}")
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    assert api.get(f"/api/recipes/progress/{queued['progressId']}").json()["status"] == "cancelled"
    # Released: the URL can be imported again, by a new import.
    again = api.post("/api/recipes", json={"url": second}).json()
    assert again["progressId"] != queued["progressId"]
    assert wait_done(api, again["progressId"])["status"] == "imported"


def test_cancel_a_running_import_leaves_nothing_half_written(start_api, sample_site):
    api = start_api()
    url = f"{sample_site.base_url}/heavy?n=260000&recipe=1"
    accepted = api.post("/api/recipes", json={"url": url}).json()
    wait_step(api, accepted["progressId"], "extract")
    response = api.delete(f"/api/recipes/progress/{accepted['progressId']}")
    assert response.status_code == 200, response.text
    record = response.json()
    assert record["status"] == "cancelled" and record["slug"] is None
    time.sleep(1)
    assert recipe_files(api.out) == []
    assert [p for p in api.out.rglob("*") if p.is_file() and ".tmp" in p.name] == []
    # The catalog forgot the claim: the same page can be queued again.
    assert api.post("/api/recipes", json={"url": url}).json()["progressId"] != accepted["progressId"]


def test_a_failed_import_gives_its_claim_back_and_stop_closes_the_catalog(start_api, sample_site):
    import ray

    from ray_import.catalog import actor_name

    api = start_api()
    url = f"{sample_site.base_url}/status/404"
    first = wait_done(api, api.post("/api/recipes", json={"url": url}).json()["progressId"])
    assert (first["status"], first["errorKind"]) == ("failed", "http_error")
    # The driver released the claim: the same URL is a new import, not a duplicate of the first.
    again = wait_done(api, api.post("/api/recipes", json={"url": url}).json()["progressId"])
    assert (again["status"], again["errorKind"]) == ("failed", "http_error")
    api.service.stop()
    assert actor_name(api.out) not in {a["name"] for a in ray.util.list_named_actors(all_namespaces=True)}


def test_cancel_of_finished_or_unknown_imports(start_api, sample_site):
    api = start_api()
    done = wait_done(api, api.post("/api/recipes", json={"url": sample_site.urls()[8]}).json()["progressId"])
    response = api.delete(f"/api/recipes/progress/{done['progressId']}")
    assert response.status_code == 409
    assert response.json()["progress"]["status"] == "imported"
    assert api.delete("/api/recipes/progress/nope").status_code == 404
    assert api.get("/api/recipes/progress/nope").status_code == 404


def test_unknown_and_malformed_slugs_are_404(start_api):
    api = start_api()
    assert api.get("/api/recipes/no-such-recipe").status_code == 404
    assert api.get("/api/recipes/..%2F..%2Fetc%2Fpasswd").status_code == 404
    assert api.get("/api/recipes/.ray-import").status_code == 404


class SSEReader:
    """Reads an SSE stream on a thread; `events` collects (event, id, data) as they arrive."""

    def __init__(self, url: str, headers: dict | None = None) -> None:
        self.events: list[tuple[str, str | None, dict]] = []
        self.comments = 0
        self.connected = threading.Event()
        self._stop = threading.Event()
        self.status: int | None = None
        self._thread = threading.Thread(target=self._read, args=(url, headers or {}), daemon=True)
        self._thread.start()
        assert self.connected.wait(10)

    def _read(self, url: str, headers: dict) -> None:
        try:
            self._read_events(url, headers)
        except httpx.HTTPError:  # the server went away: the stream simply ends
            pass
        finally:
            self.connected.set()

    def _read_events(self, url: str, headers: dict) -> None:
        with httpx.Client(trust_env=False, timeout=httpx.Timeout(5, read=None)) as client:
            with client.stream("GET", url, headers=headers) as response:
                self.status = response.status_code
                self.connected.set()
                event, event_id, data = "message", None, []
                for line in response.iter_lines():
                    if self._stop.is_set():
                        return
                    if line.startswith(":"):
                        self.comments += 1
                    elif line.startswith("event:"):
                        event = line[6:].strip()
                    elif line.startswith("id:"):
                        event_id = line[3:].strip()
                    elif line.startswith("data:"):
                        data.append(line[5:].strip())
                    elif line == "" and data:
                        self.events.append((event, event_id, json.loads("\n".join(data))))
                        event, event_id, data = "message", None, []

    def finals(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for event, _, data in self.events:
            if event in FINAL:
                out.setdefault(data["progressId"], []).append(event)
        return out

    def wait(self, predicate, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            assert time.monotonic() < deadline, f"timed out; events so far: {self.events}"
            time.sleep(0.05)

    def close(self) -> None:
        self._stop.set()


def test_sse_streams_every_state_change_while_imports_finish(start_api, sample_site):
    api = start_api()
    everything = SSEReader(f"{api.base_url}/api/recipes/events")
    urls = sample_site.urls()[9:11]
    items = api.post("/api/recipes/batch", json={"urls": urls}).json()["items"]
    ids = [item["progressId"] for item in items]
    only_first = SSEReader(f"{api.base_url}/api/recipes/events?ids={ids[0]}")
    everything.wait(lambda: set(everything.finals()) == set(ids))
    only_first.wait(lambda: ids[0] in only_first.finals())
    assert everything.status == 200
    for progress_id in ids:
        mine = [(event, data) for event, _, data in everything.events if data["progressId"] == progress_id]
        assert mine[0][0] == "queued"
        steps = [data["step"] for event, data in mine if event == "step"]
        assert steps[:1] == ["fetch"] and "extract" in steps and "save" in steps
        assert mine[-1][0] == "imported" and mine[-1][1]["slug"]
        assert everything.finals()[progress_id] == ["imported"]
    seqs = [int(event_id) for _, event_id, _ in everything.events]
    assert seqs == sorted(seqs)
    assert {data["progressId"] for _, _, data in only_first.events} == {ids[0]}
    everything.close()
    only_first.close()


def test_a_page_for_the_llm_shows_structure_then_enrich(start_api, sample_site):
    from ray_import.demo.fake_llm import FakeLLM

    url = next(u for u in sample_site.urls() if "nodata-" in u)
    with FakeLLM() as fake:
        api = start_api(llm={"base_url": fake.base_url, "model": fake.options.model})
        stream = SSEReader(f"{api.base_url}/api/recipes/events")
        accepted = api.post("/api/recipes", json={"url": url}).json()
        stream.wait(lambda: accepted["progressId"] in stream.finals())
    steps = [data["step"] for event, _, data in stream.events if event == "step"]
    # The task that starts after the LLM's answer enriches (its own enrich marker repeats the step).
    assert [step for i, step in enumerate(steps) if step not in steps[i + 1:i + 2]] == [
        "fetch", "extract", "structure", "enrich", "save"]
    assert stream.finals()[accepted["progressId"]] == ["imported"]
    stream.close()


def test_sse_late_subscriber_gets_the_outcome_and_can_resume(start_api, sample_site):
    api = start_api()
    done = wait_done(api, api.post("/api/recipes", json={"url": sample_site.urls()[11]}).json()["progressId"])
    late = SSEReader(f"{api.base_url}/api/recipes/events?ids={done['progressId']}")
    late.wait(lambda: late.finals().get(done["progressId"]) == ["imported"])
    resumed = SSEReader(f"{api.base_url}/api/recipes/events", headers={"Last-Event-ID": "1"})
    resumed.wait(lambda: done["progressId"] in resumed.finals())
    assert resumed.events[0][1] == "2"  # everything after event 1, in order
    late.close()
    resumed.close()


def test_sse_heartbeats_and_disconnects_cost_nothing(start_api):
    api = start_api(serve={"heartbeat_s": 0.2})
    reader = SSEReader(f"{api.base_url}/api/recipes/events")
    reader.wait(lambda: reader.comments >= 2, timeout=10)
    assert api.get("/healthz").json()["subscribers"] == 1
    reader.close()
    deadline = time.monotonic() + 10
    while api.get("/healthz").json()["subscribers"] and time.monotonic() < deadline:
        time.sleep(0.1)
    assert api.get("/healthz").json()["subscribers"] == 0


def test_token_guards_every_route_but_healthz(start_api, sample_site):
    api = start_api(token="s3cret-token")
    assert api.get("/healthz").status_code == 200
    for method, path in [("POST", "/api/recipes"), ("POST", "/api/recipes/batch"), ("GET", "/api/recipes/x"),
                         ("GET", "/api/recipes/progress/x"), ("DELETE", "/api/recipes/progress/x"),
                         ("GET", "/api/recipes/events"), ("GET", "/docs"), ("GET", "/openapi.json")]:
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "s3cret-token"}):
            response = api.request(method, path, headers=headers, json={"url": sample_site.urls()[0]})
            assert response.status_code == 401, (method, path, headers)
            assert response.headers["www-authenticate"] == "Bearer"
    good = {"Authorization": "Bearer s3cret-token"}
    accepted = api.post("/api/recipes", json={"url": sample_site.urls()[12]}, headers=good)
    assert accepted.status_code == 202
    assert api.get("/openapi.json", headers=good).status_code == 200
    assert "s3cret" not in accepted.text


def test_without_token_every_route_is_open(start_api):
    api = start_api()
    assert api.get("/openapi.json").status_code == 200
    docs = api.get("/docs")
    assert docs.status_code == 200 and "swagger" in docs.text.lower()
    paths = api.get("/openapi.json").json()["paths"]
    assert {"/api/recipes", "/api/recipes/batch", "/api/recipes/progress/{progress_id}", "/api/recipes/events",
            "/api/recipes/{slug}", "/healthz"} <= set(paths)
    assert api.get("/healthz").json()["status"] == "ok"


def test_private_networks_are_blocked_unless_allowed(start_api, sample_site):
    api = start_api(fetch={"allow_private_hosts": []})
    record = wait_done(api, api.post("/api/recipes", json={"url": sample_site.urls()[0]}).json()["progressId"])
    assert record["status"] == "failed" and record["errorKind"] == "blocked"
    assert recipe_files(api.out) == []


@pytest.mark.slow
def test_schemathesis_finds_no_server_error(start_api, tmp_path):
    """Property-based requests from the OpenAPI spec (schemathesis): no 5xx, responses match it.

    The SSE route is left out: its response never ends (the tests above cover it). Two checks are
    off by design: `use_after_free` (DELETE cancels an import; its progress record stays readable,
    saying `cancelled`) and `positive_data_acceptance` (a URL can match the documented pattern
    and still have no usable host, e.g. `http://0`: that is a 422 naming the URL).
    """
    import shutil
    import subprocess
    import sys

    api = start_api(serve={"max_queue": 20}, fetch={"connect_timeout_s": 1, "total_timeout_s": 3,
                                                     "max_attempts": 1})
    st = shutil.which("st", path=str(Path(sys.executable).parent)) or "st"
    proc = subprocess.run(
        [st, "run", f"{api.base_url}/openapi.json", "--checks", "all", "--exclude-path",
         "/api/recipes/events", "--exclude-checks", "use_after_free,positive_data_acceptance",
         # 15 examples per operation: ~270 cases over the four phases, ~half of what 40 gave and
         # in half the time; the coverage phase's boundary cases do not depend on this number.
         "--max-examples", "15", "--generation-deterministic",
         "--request-timeout", "20", "--no-color"],
        capture_output=True, text=True, timeout=400, cwd=tmp_path, env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
    )
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-2000:]
    assert "No issues found" in proc.stdout or "passed" in proc.stdout.lower(), proc.stdout[-3000:]
    # Every selected operation was tested, and each generating phase ran and passed.
    selected = re.search(r"Selected: (\d+)/\d+", proc.stdout)
    assert selected and f"Tested: {selected[1]}\n" in proc.stdout, proc.stdout[-3000:]
    for phase in ("Coverage", "Fuzzing", "Stateful"):
        assert f"✅ {phase}\n" in proc.stdout, proc.stdout[-3000:]


def test_finished_records_beyond_history_are_forgotten_oldest_first(start_api, sample_site):
    api = start_api(serve={"history": 2})
    url = sample_site.urls()[13]
    first = wait_done(api, api.post("/api/recipes", json={"url": url}).json()["progressId"])
    answers = [api.post("/api/recipes", json={"url": url}).json() for _ in range(3)]
    assert [a["status"] for a in answers] == ["exists"] * 3
    assert len({a["progressId"] for a in answers}) == 3
    assert api.get(f"/api/recipes/progress/{first['progressId']}").status_code == 404
    assert api.get(f"/api/recipes/progress/{answers[0]['progressId']}").status_code == 404
    assert [api.get(f"/api/recipes/progress/{a['progressId']}").status_code for a in answers[1:]] == [200, 200]
