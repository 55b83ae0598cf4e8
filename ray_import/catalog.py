"""The catalog: one Ray actor per output folder owns the URL index, slugs and the files.

Why an actor: the old importer rebuilt its index on every request and guessed a new recipe's slug
from whichever file was newest on disk. Here a single owner serialises every decision — a URL is
claimed before any task touches it, a slug is allocated and the file written in the same call —
so two tasks never import the same page and a slug always belongs to the result that names it.
The actor runs on the driver's node, where the output folder is; tasks on any node hand the
finished recipe to the driver, which sends it here, so no shared disk is needed. It is talked to in batches (`claim` takes a list).
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections import OrderedDict
from pathlib import Path
from typing import Any

import ray
from ray.exceptions import RayActorError
from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

from scraper.errors import CatalogError, InvalidURL, SaveFailed

from .slugs import unique_slug
from .store import RecipeStore, prepare_folder, recipe_keys
from .urls import normalize_url

NAMESPACE = "ray-import"
SAVED_TOKENS = 4096
log = logging.getLogger(__name__)


class _CatalogActor:
    """Owns a RecipeStore plus the claims of URLs being imported right now."""

    def __init__(self, folder: str) -> None:
        self._store = RecipeStore(folder)
        self._claims: dict[str, tuple[str, str]] = {}  # key → (token, url)
        self._refresh: set[str] = set()  # tokens whose import may overwrite the saved file
        # token → (status, slug) of recent saves, so a save sent twice answers the same; bounded,
        # as a save is only ever repeated right after the first (a retried call).
        self._saved: OrderedDict[str, tuple[str, str]] = OrderedDict()

    def ready(self, resync: bool = False) -> dict[str, Any]:
        """The folder's state; with `resync`, first catch up with changes made since opening."""
        sync = self._store.sync() if resync else self._store.last_sync
        return {
            "folder": str(self._store.folder),
            "recipes": self._store.count(),
            "parsed_on_open": sync.parsed,
            "removed_on_open": sync.removed,
            "rebuilt": sync.rebuilt,
            "corrupt": sync.corrupt,
            "open_seconds": sync.seconds,
        }

    def claim_batch(
        self, urls: list[str], refresh: bool = False, batch_id: str | None = None
    ) -> list[dict[str, Any]]:
        """Decide, for each URL in order, whether it must be imported; claim those that must.

        Within one batch (`batch_id`) a URL seen before is a `duplicate` even once its first copy
        is saved, so each line of a URL file is accounted for exactly once.
        """
        keyed: list[tuple[str, str]] = []
        decisions: list[dict[str, Any] | None] = []
        for url in urls:
            try:
                keyed.append((normalize_url(url), url))
                decisions.append(None)
            except InvalidURL as exc:
                decisions.append({"status": "failed", "error_kind": exc.kind, "error": exc.message})
        # The batch's seen keys live in the store's database, not in the actor's memory.
        firsts = iter(self._store.first_in_batch(batch_id, keyed) if batch_id else _firsts(keyed))
        pairs = iter(keyed)
        for i, decision in enumerate(decisions):
            if decision is not None:
                continue
            key, url = next(pairs)
            first = next(firsts)
            if first is not None:
                decisions[i] = {"status": "duplicate", "key": key, "duplicate_of": first}
                continue
            decisions[i] = self._decide(key, url, refresh)
        return decisions

    def _decide(self, key: str, url: str, refresh: bool) -> dict[str, Any]:
        if key in self._claims:
            return {"status": "duplicate", "key": key, "duplicate_of": self._claims[key][1]}
        slug = self._store.lookup(key)
        if slug is not None and not refresh:
            return {"status": "exists", "key": key, "slug": slug}
        token = uuid.uuid4().hex
        self._claims[key] = (token, url)
        if refresh:
            self._refresh.add(token)
        return {"status": "claimed", "key": key, "token": token}

    def end_batch(self, batch_id: str) -> None:
        self._store.end_batch(batch_id)

    def save(self, key: str, token: str, document: dict[str, Any]) -> dict[str, Any]:
        """Allocate the slug and write the file; idempotent per claim token (task retries)."""
        if token in self._saved:
            status, slug = self._saved[token]
            return {"status": status, "slug": slug}
        refresh = token in self._refresh
        keys = [key] + [k for k in recipe_keys(document) if k != key]
        existing = [slug for k in keys if (slug := self._store.lookup(k)) is not None]
        if existing and not refresh:
            # Another URL already brought this page (same canonical URL, or a redirect to it):
            # remember this URL as an alias so the next run answers `exists` at once.
            self._store.add_alias(key, existing[0])
            result = {"status": "duplicate", "slug": existing[0]}
        else:
            slug = existing[0] if existing else unique_slug(document.get("title"), self._store.slug_taken)
            try:
                self._store.write(slug, {**document, "slug": slug}, [key])
            except SaveFailed as exc:
                self._release(key, token)
                return {"status": "failed", "error_kind": exc.kind, "error": exc.message}
            result = {"status": "imported", "slug": slug}
        self._saved[token] = (result["status"], result["slug"])
        if len(self._saved) > SAVED_TOKENS:
            self._saved.popitem(last=False)
        self._release(key, token)
        return result

    def release(self, claims: list[tuple[str, str]]) -> None:
        """Give up claims whose import failed, so a later run can try again."""
        for key, token in claims:
            self._release(key, token)

    def _release(self, key: str, token: str) -> None:
        if self._claims.get(key, ("",))[0] == token:
            del self._claims[key]
        self._refresh.discard(token)

    def lookup(self, url: str) -> str | None:
        return self._store.lookup(normalize_url(url))

    def in_flight(self) -> int:
        return len(self._claims)


def _firsts(keyed: list[tuple[str, str]]) -> list[str | None]:
    """first_in_batch for a claim outside any batch: repeats within the one call only."""
    seen: dict[str, str] = {}
    firsts = []
    for key, url in keyed:
        firsts.append(seen.get(key))
        seen.setdefault(key, url)
    return firsts


def actor_name(folder: Path) -> str:
    digest = hashlib.sha1(str(folder.resolve()).encode()).hexdigest()[:16]
    return f"catalog:{digest}"


_open_catalogs: dict[Path, Catalog] = {}


class Catalog:
    """Client of the catalog actor of one output folder (created on first use, on this node).

    The driver keeps one client per folder for the life of its Ray session: the actor lives as
    long as a handle to it does, so runs in the same process (a notebook) reuse it.

    Example:
        >>> catalog = Catalog.open(Path("recipes"))
        >>> catalog.claim(["https://example.com/pie"])[0]["status"]
        'claimed'
    """

    @classmethod
    def open(cls, folder: Path | str) -> Catalog:
        """The folder's catalog, synced with the files on disk."""
        path = Path(folder).resolve()
        catalog = _open_catalogs.get(path)
        if catalog is not None and catalog._session == ray.get_runtime_context().get_job_id():
            try:
                catalog.info = ray.get(catalog._actor.ready.remote(True))
            except CatalogError as exc:  # raised in the actor (a full disk): one line, not its traceback
                raise CatalogError(str(getattr(exc, "cause", exc))) from None
            return catalog
        catalog = _open_catalogs[path] = cls(path)
        return catalog

    def __init__(self, folder: Path | str) -> None:
        self._session = ray.get_runtime_context().get_job_id()
        # Checked here first so a bad folder is a one-line CatalogError, not a dead actor.
        self.folder = prepare_folder(folder).resolve()
        actor_cls = ray.remote(num_cpus=0, max_restarts=0)(_CatalogActor)
        self._actor = actor_cls.options(
            name=actor_name(self.folder),
            namespace=NAMESPACE,
            get_if_exists=True,
            scheduling_strategy=NodeAffinitySchedulingStrategy(
                node_id=ray.get_runtime_context().get_node_id(), soft=False
            ),
        ).remote(str(self.folder))
        try:
            self.info: dict[str, Any] = ray.get(self._actor.ready.remote())
        except RayActorError as exc:
            lines = [line for line in str(exc).splitlines() if "Error" in line]
            cause = lines[-1].strip() if lines else type(exc).__name__
            raise CatalogError(f"the catalog of {self.folder} could not start: {cause}") from exc

    @property
    def handle(self) -> Any:
        """The actor handle, passed to tasks so they can save without a round trip to the driver."""
        return self._actor

    def claim(self, urls: list[str], refresh: bool = False) -> list[dict[str, Any]]:
        return ray.get(self._actor.claim_batch.remote(urls, refresh))

    def release(self, claims: list[tuple[str, str]]) -> None:
        if claims:
            ray.get(self._actor.release.remote(claims))

    def lookup(self, url: str) -> str | None:
        return ray.get(self._actor.lookup.remote(url))
