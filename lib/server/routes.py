"""The studio's own HTTP routes, served beside the pages by st.App (lib/server/app.py);
their paths are in lib/domain/urls.py."""

from __future__ import annotations

import asyncio
import hmac
import math
import re
import time
import weakref
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from lib.domain import source_links, urls
from lib.domain.statuses import ArchiveState, TaskStatus, shown_state
from lib.engine.runtime import Studio
from lib.outside.bodies import BodyTooLarge, ClientGone, parse_json, read_limited
from lib.server.people import may_read
from lib.server.watch import StateWatch
from lib.storage import ASSETS, LIBRARY, StorageUnavailable
from lib.store.reads import shown_states_in_store
from lib.store.tasks import Store

MAX_CALLBACK_BYTES = 64 * 1024
LIBRARY_NAME = re.compile(r"^[0-9a-f]{32}\.(mp4|jpg)$")
LIBRARY_TYPES = {"mp4": "video/mp4", "jpg": "image/jpeg"}
PICTURE_NAME = re.compile(r"^[0-9a-f]{64}\.(jpg|png|webp)$")
PICTURE_TYPES = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp"}
DOWNLOAD_NAME = re.compile(r"^[a-z0-9-]{1,120}\.mp4$")
# Archived files never change (a new video gets a new name), so browsers may keep them.
IMMUTABLE = {"Cache-Control": "private, max-age=31536000, immutable"}
NO_STORE = {"Cache-Control": "no-store"}
SIGN_IN_FIRST = {"error": "sign in first"}
CLOSE = {"Connection": "close"}
TASK_ID = re.compile(r"^[0-9a-f]{32}$")
# A video just made, while the studio saves its copy; and how long an answer waits for it.
SAVING_STATES = frozenset(
    shown_state(TaskStatus.COMPLETED, saved) for saved in (ArchiveState.NONE, ArchiveState.PENDING)
)
SAVING_GRACE = 1.0
SHOWN_STATE = re.compile(r"^[a-z_]{1,20}/[a-z_]{1,20}$")  # lib.domain.statuses.shown_state
MAX_WATCHED = 100  # ids per request: a page shows 24
MAX_CHANGE_WAIT = 30.0  # seconds a request for changes may be held
# Held requests look at the store when this process changes a task (Store.changed), and
# this often besides (one look for all of them), for other server processes sharing the
# database.
CHANGE_CHECK_SECONDS = 0.5


def studio_routes(get_studio: Callable[[], Studio]) -> list[Route]:
    async def health(_request: Request) -> Response:
        studio = get_studio()
        return JSONResponse(
            {
                "status": "ok",
                "backend": "embedded" if studio.config.uses_embedded else "wave",
                "backend_label": studio.config.backend_label,
                "tasks_being_followed": studio.tracker.busy,
                # Which tracker this is: the owner of its leases in the store (benchmarks
                # and operators tell the servers apart by it).
                "tracker": studio.tracker.owner,
            }
        )

    async def wave_callback(request: Request) -> Response:
        """A hint from the service that a task changed. Never trusted as such: it only
        makes the tracker ask the service (GET) now."""
        studio = get_studio()
        # Compared as bytes: compare_digest refuses str with non-ASCII characters (a 500).
        given = request.path_params["secret"].encode("utf-8", "surrogatepass")
        if not hmac.compare_digest(given, studio.config.callback_secret.encode()):
            return JSONResponse({"error": "not found"}, status_code=404)
        try:
            body = await read_limited(request, MAX_CALLBACK_BYTES)
        except BodyTooLarge:
            return JSONResponse(  # closing stops the rest of the body coming
                {"error": "callback body too large"}, status_code=413, headers=CLOSE
            )
        except ClientGone:
            return JSONResponse({"error": "the body did not arrive whole"}, status_code=400)
        try:
            task_id = parse_json(body).get("task_id")
        except (ValueError, AttributeError):
            task_id = None
        if not isinstance(task_id, str) or not task_id:
            return JSONResponse({"error": "no task_id in the callback"}, status_code=400)
        ours = await run_in_threadpool(studio.store.record_hint, task_id, datetime.now(UTC))
        if ours is None:
            return JSONResponse({"error": "unknown task"}, status_code=404)
        studio.tracker.poke()
        return JSONResponse({"ok": True})

    async def ready(_request: Request) -> Response:
        """Whether this server can do its work: the database and the storage answer, and
        it is not stopping. 503 with the reason otherwise (a load balancer stops sending
        people here; /api/health stays the cheap "the process is up")."""
        studio = get_studio()
        problems = await run_in_threadpool(studio.problems)
        status = 503 if problems else 200
        body = {"status": "not ready" if problems else "ready", "problems": problems}
        return JSONResponse(body, status_code=status, headers=NO_STORE)

    async def asset(request: Request) -> Response:
        """Kept reference pictures, at a stable URL the Wave service can fetch from any
        server: read from the storage every server shares (pictures are small)."""
        name = request.path_params["name"]
        if not PICTURE_NAME.match(name):
            return JSONResponse({"error": "not found"}, status_code=404)
        storage = get_studio().storage
        path = storage.local_path(f"{ASSETS}/{name}")
        if path is not None:
            return FileResponse(path, headers=IMMUTABLE)
        try:
            data = await run_in_threadpool(storage.read_bytes, f"{ASSETS}/{name}")
        except StorageUnavailable:
            return JSONResponse({"error": "storage unavailable"}, status_code=503)
        if data is None:
            return JSONResponse({"error": "not found"}, status_code=404)
        media_type = PICTURE_TYPES[name.rsplit(".", 1)[1]]
        return Response(data, media_type=media_type, headers=IMMUTABLE)

    async def library(request: Request) -> Response:
        """Archived videos and posters: from disk (Range supported), or from a bucket by
        a redirect to a short-lived signed link, so that the bytes never pass through
        this process and seeking is the store's own Range support. Signed-in people only."""
        name = request.path_params["name"]
        if not LIBRARY_NAME.match(name):
            return JSONResponse({"error": "not found"}, status_code=404)
        studio = get_studio()
        if not await run_in_threadpool(may_read, request, studio.config, studio.store):
            return JSONResponse(SIGN_IN_FIRST, status_code=401)
        download_as = _download_name(request.query_params.get("download"))
        signed = studio.storage.signed_url(
            f"{LIBRARY}/{name}", studio.config.signed_link_seconds, download_as
        )
        if signed is not None:
            # Cached less long than the link lives: a kept redirect never leads to an
            # expired link.
            cache = f"private, max-age={studio.config.signed_link_seconds // 3}"
            return RedirectResponse(signed, status_code=307, headers={"Cache-Control": cache})
        path = studio.storage.local_path(f"{LIBRARY}/{name}")
        if path is None:
            return JSONResponse({"error": "not found"}, status_code=404)
        return FileResponse(
            path,
            media_type=LIBRARY_TYPES[name.rsplit(".", 1)[1]],
            headers=IMMUTABLE,
            filename=download_as,
            content_disposition_type="attachment" if download_as else "inline",
        )

    async def restyle_source(request: Request) -> Response:
        """A saved video the video service fetches to restyle it (issue 18): no sign-in,
        but only through a link this studio signed, until it expires
        (lib/domain/source_links.py). Anything else is a plain 404."""
        studio = get_studio()
        params = request.path_params
        if not source_links.valid(
            studio.config.callback_secret,
            params["expires"],
            params["signature"],
            params["name"],
            time.time(),
        ):
            return JSONResponse({"error": "not found"}, status_code=404, headers=NO_STORE)
        path = studio.storage.local_path(f"{LIBRARY}/{params['name']}")
        if path is None:
            return JSONResponse({"error": "not found"}, status_code=404, headers=NO_STORE)
        return FileResponse(path, media_type="video/mp4", headers=NO_STORE)

    async def history_changes(request: Request) -> Response:
        """Held until one of these videos is in another state than the page drew it in,
        or `wait` seconds: what an open History page waits on (lib/ui/live_progress.py).
        -> {"changed": [ids]}. Reads only the store (one look for all pages,
        lib/server/watch.py), never the service."""
        studio = get_studio()
        if not await run_in_threadpool(may_read, request, studio.config, studio.store):
            return JSONResponse(SIGN_IN_FIRST, status_code=401)
        expected = _watched(request.query_params.get("ids"), request.query_params.get("states"))
        wait = _seconds(request.query_params.get("wait", "0"), MAX_CHANGE_WAIT)
        answer = asyncio.ensure_future(_changes(_watch_of(studio), expected, wait))
        gone = asyncio.ensure_future(_disconnected(request))
        await asyncio.wait({answer, gone}, return_when=asyncio.FIRST_COMPLETED)
        gone.cancel()
        if not answer.done():  # the page moved on to a new request; nobody reads this
            answer.cancel()
            return Response(status_code=204, headers=NO_STORE)
        return JSONResponse({"changed": answer.result()}, headers=NO_STORE)

    return [
        Route(urls.HEALTH, health, methods=["GET"]),
        Route(urls.READY, ready, methods=["GET"]),
        Route(urls.HISTORY_CHANGES, history_changes, methods=["GET"]),
        Route(urls.CALLBACK_ROUTE, wave_callback, methods=["POST"]),
        Route(urls.ASSET_ROUTE, asset, methods=["GET", "HEAD"]),
        Route(urls.LIBRARY_ROUTE, library, methods=["GET", "HEAD"]),
        Route(source_links.SOURCE_ROUTE, restyle_source, methods=["GET", "HEAD"]),
    ]


def _watched(ids: str | None, states: str | None) -> dict[str, str]:
    """The videos a page follows, with the state it drew each in (ids and states in the
    same order); anything that is not an id or a state is left out."""
    pairs = zip((ids or "").split(","), (states or "").split(","), strict=False)
    found = {i: s for i, s in pairs if TASK_ID.match(i) and SHOWN_STATE.match(s)}
    return dict(list(found.items())[:MAX_WATCHED])


_watches: weakref.WeakKeyDictionary[Store, StateWatch] = weakref.WeakKeyDictionary()


def _watch_of(studio: Studio) -> StateWatch:
    """The store's one watcher, made at the first request (in the server's event loop)."""
    store = studio.store
    watch = _watches.get(store)
    if watch is None:
        weak = weakref.ref(store)  # the watcher does not keep a closed studio's store

        def read_states(ids: Sequence[str]) -> dict[str, str]:
            found = weak()
            return shown_states_in_store(found, ids) if found is not None else {}

        watch = _watches[store] = StateWatch(read_states, store.changed, CHANGE_CHECK_SECONDS)
    return watch


async def _changes(watch: StateWatch, expected: dict[str, str], wait: float) -> list[str]:
    """The videos whose state changed. A video just made is being saved, which takes a
    moment: the answer waits up to SAVING_GRACE for the saved copy, so that the page draws
    the card once (with its player) rather than twice ("Saving…", then the player)."""
    changed, states = await watch.wait_with_states(expected, wait)
    saving = {task_id: state for task_id, state in states.items() if state in SAVING_STATES}
    if saving and len(saving) == len(changed):
        await watch.wait(saving, SAVING_GRACE)
    return changed


async def _disconnected(request: Request) -> None:
    """Returns when the asker has gone (a GET's body is read; the next message is that)."""
    while (await request.receive())["type"] != "http.disconnect":
        pass


def _download_name(text: str | None) -> str | None:
    """The file name a Download link asks for (lib/history/player.py's own slug), or
    None: anything else is ignored, never echoed into a header."""
    return text if text and DOWNLOAD_NAME.match(text) else None


def _seconds(text: str, limit: float) -> float:
    """A number of seconds from 0 to `limit` as a query gives it; 0 when it is not one
    (NaN compares false with everything: as a deadline it would never come)."""
    try:
        value = float(text)
    except ValueError:
        return 0.0
    return min(max(value, 0.0), limit) if math.isfinite(value) else 0.0
