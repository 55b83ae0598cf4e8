"""The catalog: one Ray actor per output folder owns the URL index, slugs and the files.

Why an actor: the old importer rebuilt its index on every request and guessed a new recipe's slug
from whichever file was newest on disk. Here a single owner serialises every decision — a URL is
claimed before any task touches it, a slug is allocated and the file written in the same call —
so two tasks never import the same page and a slug always belongs to the result that names it.
The actor runs on the driver's node, where the output folder is; tasks on any node hand the
finished recipe to the driver, which sends it here (with the page, compressed, for the archive:
issue 18), so no shared disk is needed. It is talked to
in batches (`claim` takes a list), and only through `Catalog`, which translates its failures.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import time
import uuid
from collections import OrderedDict
from pathlib import Path
from typing import Any

import ray
from ray.exceptions import RayActorError, RayError
from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

from scraper.errors import InvalidURL, RayImportError, SaveFailed

from scraper.fingerprint import recipe_fingerprint

from .archive_index import PageCopy
from .errors import CatalogError
from .results import ClaimDecision, SaveAnswer
from .slugs import unique_slug
from .store import RecipeStore, prepare_folder, recipe_keys
from .urls import normalize_url

NAMESPACE = "ray-import"
SAVED_TOKENS = 4096
OPEN_ATTEMPTS = 20  # a folder's previous actor, just killed, may hold its name for a moment
CLOSE_WAIT_S = 10.0
log = logging.getLogger(__name__)


class _CatalogActor:
    """Owns a RecipeStore plus the claims of URLs being imported right now."""

    def __init__(self, folder: str, creator: str) -> None:
        self._folder = folder
        self._creator = creator  # which client created this actor: only that one kills it
        self._store: RecipeStore | None = None  # opened by the first `ready`
        self._claims: dict[str, tuple[str, str]] = {}  # key → (token, url)
        self._refresh: set[str] = set()  # tokens whose import may overwrite the saved file
        # token → answer of recent saves, so a save sent twice answers the same; bounded, as a
        # save is only ever repeated right after the first (a retried call).
        self._saved: OrderedDict[str, SaveAnswer] = OrderedDict()

    def ready(self, resync: bool = False) -> dict[str, Any]:
        """The folder's state; opens it on the first call, else with `resync` catches up with it.

        The folder is opened here, not in __init__: a CatalogError raised by a method reaches the
        client as itself (one line: "disk full: ..."), while an actor whose constructor raises
        dies with the error buried in a death notice.
        """
        if self._store is None:
            self._store = RecipeStore(self._folder)
            sync = self._store.last_sync
        else:
            sync = self._store.sync() if resync else self._store.last_sync
        return {
            "folder": str(self._store.folder),
            "recipes": self._store.count(),
            "parsed_on_open": sync.parsed,
            "removed_on_open": sync.removed,
            "rebuilt": sync.rebuilt,
            "corrupt": sync.corrupt,
            "open_seconds": sync.seconds,
            "creator": self._creator,
        }

    def claim_batch(
        self, urls: list[str], refresh: bool = False, batch_id: str | None = None
    ) -> list[ClaimDecision]:
        """Decide, for each URL in order, whether it must be imported; claim those that must.

        Within one batch (`batch_id`) a URL seen before is a `duplicate` even once its first copy
        is saved, so each line of a URL file is accounted for exactly once.
        """
        keyed: list[tuple[str, str]] = []
        decisions: list[ClaimDecision | None] = []
        for url in urls:
            try:
                keyed.append((normalize_url(url), url))
                decisions.append(None)
            except InvalidURL as exc:
                decisions.append(ClaimDecision("failed", error_kind=exc.kind, error=exc.message))
        # The batch's seen keys live in the store's database, not in the actor's memory.
        firsts = iter(self._store.first_in_batch(batch_id, keyed) if batch_id else _firsts(keyed))
        pairs = iter(keyed)
        for i, decision in enumerate(decisions):
            if decision is not None:
                continue
            key, url = next(pairs)
            first = next(firsts)
            if first is not None:
                decisions[i] = ClaimDecision("duplicate", key=key, duplicate_of=first)
                continue
            decisions[i] = self._decide(key, url, refresh)
        return decisions

    def _decide(self, key: str, url: str, refresh: bool) -> ClaimDecision:
        if key in self._claims:
            return ClaimDecision("duplicate", key=key, duplicate_of=self._claims[key][1])
        slug = self._store.lookup(key)
        if slug is not None and not refresh:
            return ClaimDecision("exists", key=key, slug=slug)
        token = uuid.uuid4().hex
        self._claims[key] = (token, url)
        if refresh:
            self._refresh.add(token)
        if slug is not None:  # a refresh: the validators of the page the saved recipe came from
            etag, last_modified = self._store.validators(key)
            return ClaimDecision("claimed", key=key, token=token, etag=etag, last_modified=last_modified)
        return ClaimDecision("claimed", key=key, token=token)

    def end_batch(self, batch_id: str) -> None:
        self._store.end_batch(batch_id)

    def save(self, key: str, token: str, document: dict[str, Any], page: PageCopy | None = None,
             keep_duplicates: bool = False, reprocess: bool = False) -> SaveAnswer:
        """Allocate the slug and write the file; idempotent per claim token (task retries).

        A saved recipe ends its claim here; a failed save leaves the claim to the driver, which
        releases the claim of every URL that does not end ok. Issue 18: `page` is archived with
        the recipe (or as a duplicate's); a new recipe whose fingerprint a saved one has is a
        `duplicate` of it unless `keep_duplicates`; `reprocess` rewrites the URL's recipe in place.
        """
        if token in self._saved:
            return self._saved[token]
        refresh = token in self._refresh
        keys = [key] + [k for k in recipe_keys(document) if k != key]
        existing = [slug for k in keys if (slug := self._store.lookup(k)) is not None]
        # The same recipe under another URL (a print, AMP or syndicated copy): same fingerprint.
        twin = None if existing or keep_duplicates else self._store.with_fingerprint(recipe_fingerprint(document))
        if (existing and not refresh) or twin:
            # Another URL already brought this page (same canonical URL, or a redirect to it) or
            # this recipe: remember this URL as an alias so the next run answers `exists` at once.
            slug = existing[0] if existing else twin
            self._store.add_alias(key, slug)
            if page is not None:
                self._store.record_pages([(key, page, "duplicate", slug)])
            answer = SaveAnswer("duplicate", slug)
        else:
            try:
                if reprocess and existing:
                    from .reprocessing import rewrite  # the first import's slug and time kept

                    answer = rewrite(self._store, existing[0], key, document)
                else:
                    slug = existing[0] if existing else unique_slug(document.get("title"), self._store.slug_taken)
                    # A page reprocess made a recipe of at last (`--failed`): its fetch row says so.
                    self._store.write(slug, {**document, "slug": slug}, [key],
                                      page=(key, page) if page is not None else None,
                                      archived=key if reprocess and page is None else None)
                    answer = SaveAnswer("imported", slug)
            except SaveFailed as exc:
                return SaveAnswer("failed", error_kind=exc.kind, error=exc.message)
        self._saved[token] = answer
        if len(self._saved) > SAVED_TOKENS:
            self._saved.popitem(last=False)
        self._release(key, token)
        return answer

    def release(self, claims: list[tuple[str, str]], pages: list[tuple[str, PageCopy, str]] = ()) -> None:
        """Give up claims whose import did not end ok, so a later run can try again; `pages`:
        (key, page, outcome) of those fetched, archived all the same (issue 18)."""
        for key, token in claims:
            self._release(key, token)
        if pages:
            self._store.record_pages([(key, page, outcome, None) for key, page, outcome in pages])

    def _release(self, key: str, token: str) -> None:
        if self._claims.get(key, ("",))[0] == token:
            del self._claims[key]
        self._refresh.discard(token)

    def lookup(self, url: str) -> str | None:
        return self._store.lookup(normalize_url(url))

    def creator(self) -> str:
        return self._creator


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

    Every call to the actor goes through here, and an actor failure comes out as one
    CatalogError line naming the folder (an error of ours raised in the actor, as itself).
    `open` returns the folder's open client while there is one (a run and a service in one
    process share it); each `open` is ended by a `close`, the last of which ends the actor, so
    runs in one process (a notebook) work one after another without leaving an actor per folder
    behind.

    Example:
        >>> catalog = Catalog.open(Path("recipes"))
        >>> catalog.claim(["https://example.com/pie"])[0].status
        'claimed'
        >>> catalog.close()
    """

    @classmethod
    def open(cls, folder: Path | str) -> Catalog:
        """The folder's catalog, synced with the files on disk.

        Raises:
            CatalogError: the folder cannot be used (one line, naming it).
        """
        path = Path(folder).resolve()
        catalog = _open_catalogs.get(path)
        if catalog is not None and catalog._session == ray.get_runtime_context().get_job_id():
            try:
                catalog.info = catalog._ready(resync=True)
                catalog._users += 1
                return catalog
            except _Gone:  # its actor was killed from outside: start another
                del _open_catalogs[path]
        catalog = _open_catalogs[path] = cls(path)
        return catalog

    def __init__(self, folder: Path | str) -> None:
        self._session = ray.get_runtime_context().get_job_id()
        # Checked here first so a bad folder is a one-line CatalogError, not a dead actor.
        self.folder = prepare_folder(folder).resolve()
        self._creator = uuid.uuid4().hex
        self._users = 1  # the `open`s not closed yet: the last `close` ends the actor
        actor_cls = ray.remote(num_cpus=0, max_restarts=0)(_CatalogActor)
        options = actor_cls.options(
            name=actor_name(self.folder),
            namespace=NAMESPACE,
            get_if_exists=True,
            scheduling_strategy=NodeAffinitySchedulingStrategy(
                node_id=ray.get_runtime_context().get_node_id(), soft=False
            ),
        )
        self._owned = False
        for attempt in range(OPEN_ATTEMPTS):
            self._actor = options.remote(str(self.folder), self._creator)
            try:
                self.info: dict[str, Any] = self._ready()
                break
            except _Gone as gone:
                if attempt == OPEN_ATTEMPTS - 1:
                    raise CatalogError(f"the catalog of {self.folder} could not start: {gone}") from None
                time.sleep(0.1)
            except CatalogError:  # the folder cannot be opened (a full disk): no actor stays behind
                with contextlib.suppress(Exception):
                    self._owned = ray.get(self._actor.creator.remote(), timeout=10) == self._creator
                self.close()
                raise

    def _ready(self, resync: bool = False) -> dict[str, Any]:
        try:
            info = ray.get(self._actor.ready.remote(resync))
        except RayActorError as exc:  # dead: not started, or a killed predecessor's name
            raise _Gone(_death(exc)) from None
        except RayError as exc:
            raise self._error(exc) from None
        self._owned = info.pop("creator") == self._creator
        return info

    def _error(self, exc: RayError) -> RayImportError:
        """An actor failure as one line: our own errors as themselves, the rest a CatalogError."""
        cause = getattr(exc, "cause", None)
        if isinstance(cause, CatalogError):
            return CatalogError(str(cause))
        if isinstance(cause, RayImportError):
            return cause
        if isinstance(exc, RayActorError):
            return CatalogError(f"the catalog of {self.folder} stopped: {_death(exc)}")
        return CatalogError(f"the catalog of {self.folder} failed: {last_line(exc)}")

    def _get(self, ref: Any) -> Any:
        try:
            return ray.get(ref)
        except RayError as exc:
            raise self._error(exc) from None

    def claim(self, urls: list[str], refresh: bool = False,
              batch_id: str | None = None) -> list[ClaimDecision]:
        """One decision per URL, in order (see ClaimDecision); claims those to import."""
        return self._get(self._actor.claim_batch.remote(urls, refresh, batch_id))

    async def claim_async(self, urls: list[str], refresh: bool = False) -> list[ClaimDecision]:
        """`claim` awaited on an asyncio loop (the service's requests): the loop never blocks."""
        try:
            return await self._actor.claim_batch.remote(urls, refresh)
        except RayError as exc:
            raise self._error(exc) from None

    def start_save(self, key: str, token: str, document: dict[str, Any], *, page: PageCopy | None = None,
                   keep_duplicates: bool = False, reprocess: bool = False) -> Any:
        """Send a finished recipe to be saved; returns the ref of its SaveAnswer (`save_answer`).

        The driver waits on the ref together with its tasks' refs, so a save never blocks it.
        `page` travels with it to the archive (see _CatalogActor.save for the flags).
        """
        return self._actor.save.remote(key, token, document, page, keep_duplicates, reprocess)

    def save_answer(self, ref: Any) -> SaveAnswer:
        return self._get(ref)

    def save(self, key: str, token: str, document: dict[str, Any], **options: Any) -> SaveAnswer:
        """Allocate the slug and write `<slug>.recipe.json`; the same answer for the same claim."""
        return self.save_answer(self.start_save(key, token, document, **options))

    def release(self, claims: list[tuple[str, str]], pages: list[tuple[str, PageCopy, str]] = ()) -> None:
        """Give back (key, token) claims whose import did not end ok, with the pages fetched for
        them (key, page, outcome), to be archived.

        Not waited for: calls from one process reach the actor in the order they were sent, so a
        claim sent after this one already finds them released.
        """
        if pages:
            self._actor.release.remote(claims, list(pages))
        elif claims:
            self._actor.release.remote(claims)

    def end_batch(self, batch_id: str) -> None:
        """Forget what a batch has seen (not waited for, as `release`)."""
        self._actor.end_batch.remote(batch_id)

    def lookup(self, url: str) -> str | None:
        """The slug saved for `url`, or None."""
        return self._get(self._actor.lookup.remote(url))

    def close(self) -> None:
        """End one `open`; the last ends this client, and kills the actor if this client created it.

        Another process's runs may share an actor this client did not create; it is only let go.
        Killed, as the end of the driver's process always did, not closed: the index is
        committed with every save, and SQLite's -wal and -shm files stay, so the next run can
        open the folder even on a disk that has since filled up (creating -shm takes 32 KB).
        Never raises: it runs last, when Ray may be shutting down already (Ctrl-C).
        """
        self._users -= 1
        if self._users > 0:
            return
        if _open_catalogs.get(self.folder) is self:
            del _open_catalogs[self.folder]
        if not self._owned:
            return
        try:
            ray.kill(self._actor)
            # ray.kill returns before the actor is dead, and a call sent meanwhile may still be
            # answered: wait for the death, so the next `open` of the folder starts a new actor.
            deadline = time.monotonic() + CLOSE_WAIT_S
            while time.monotonic() < deadline:
                ray.get(self._actor.creator.remote(), timeout=CLOSE_WAIT_S)
                time.sleep(0.02)
        except Exception:  # noqa: BLE001 - RayActorError: dead, as wanted; anything else: Ray is gone
            pass


class _Gone(Exception):
    """The actor behind a handle is dead (at open only: retried, then a CatalogError)."""


def _death(exc: RayActorError) -> str:
    lines = [line for line in str(exc).splitlines() if "Error" in line]
    return lines[-1].strip() if lines else type(exc).__name__


def last_line(exc: BaseException) -> str:
    """The line of a Ray error that says what went wrong (its last), at most 500 characters."""
    text = str(exc).strip().splitlines()
    return text[-1][:500] if text else type(exc).__name__
