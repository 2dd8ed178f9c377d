"""Review links' routes for guests (issue 17): plain server-rendered HTML, no Streamlit
session (fifty guests are fifty short requests, not fifty websockets), no sidebar.
Forms carry a CSRF token matched against a cookie (double submit); a guest's comments
are rate-limited per link (lib/review/links.py). Every token that is not valid — never
made, expired, withdrawn, cut short — gets the same neutral page."""

from __future__ import annotations

import asyncio
import hmac
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from html import escape
from urllib.parse import parse_qs

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import (
    FileResponse,
    HTMLResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
)
from starlette.routing import Route

from lib.domain import urls
from lib.domain.text_fields import CAMPAIGN
from lib.engine.runtime import Studio
from lib.outside.bodies import BodyTooLarge, ClientGone, read_limited
from lib.review import download, guest_page, links
from lib.review.links import NOT_VALID
from lib.review.openings import Openings
from lib.server.people import reader
from lib.storage import LIBRARY

CSRF_COOKIE = "review_csrf"
MAX_FORM_BYTES = 512 * 1024  # a 100 kB comment is read and refused with words
TASK_ID = re.compile(r"^[0-9a-f]{32}$")
MEDIA_NAME = re.compile(r"^([0-9a-f]{32})\.(mp4|jpg)$")
MEDIA_TYPES = {"mp4": "video/mp4", "jpg": "image/jpeg"}
PRIVATE = {
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex",
}


# Where each visitor's own CSRF token goes in a page drawn once for all (random per
# process: no text a person typed can contain it, and what they typed is escaped anyway).
CSRF_SLOT = secrets.token_hex(16)


@dataclass(frozen=True)
class GuestPage:
    """A review link's page as every guest gets it, but for their CSRF token."""

    link_id: int
    expires_at: datetime
    html: str


def not_valid() -> Response:
    return HTMLResponse(guest_page.not_valid_page(NOT_VALID), status_code=404, headers=PRIVATE)


def review_routes(
    get_studio: Callable[[], Studio], openings: Openings | None = None
) -> list[Route]:
    """`openings`: where guests' openings are counted (the server writes what is left
    of them when it stops)."""
    openings = openings or Openings(lambda opened: get_studio().store.count_opens(opened))

    def guest_view(token: str) -> GuestPage | None:
        """The page of this token (None: not valid), drawn with CSRF_SLOT for the token."""
        store = get_studio().store
        link = links.valid_link(store, token)
        if link is None:
            return None
        tasks = links.shared_tasks(store, link)
        ids = [task.id for task in tasks]
        html = guest_page.review_page(
            link, token, tasks, store.reviews_of(ids), store.comments_of_many(ids), CSRF_SLOT
        )
        return GuestPage(link.id, link.expires_at, html)

    # Pages being drawn, by key: fifty guests arriving before the page is kept wait for
    # one drawing instead of each drawing it (in the server's one event loop).
    being_drawn: dict[tuple, asyncio.Future] = {}

    async def drawing(key: tuple, draw: Callable[[], GuestPage | None]) -> GuestPage | None:
        future = being_drawn.get(key)
        if future is None:
            future = asyncio.ensure_future(run_in_threadpool(draw))
            being_drawn[key] = future
            future.add_done_callback(lambda _: being_drawn.pop(key, None))
        return await asyncio.shield(future)

    def show(link, token: str, csrf: str, note=None, problem=None, name="", status=200) -> Response:
        store = get_studio().store
        tasks = links.shared_tasks(store, link)
        ids = [task.id for task in tasks]
        reviews = store.reviews_of(ids)
        comments = store.comments_of_many(ids)
        body = guest_page.review_page(
            link, token, tasks, reviews, comments, csrf, note, problem, name
        )
        response = HTMLResponse(body, status_code=status, headers=PRIVATE)
        response.set_cookie(CSRF_COOKIE, csrf, path=urls.REVIEW, httponly=True, samesite="strict")
        return response

    async def review(request: Request) -> Response:
        token = request.path_params["token"]
        store = get_studio().store
        note = request.query_params.get("done")
        csrf = request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(24)
        if note is not None:  # a guest's own redirect after posting: read afresh, not counted
            link = await run_in_threadpool(links.valid_link, store, token)
            if link is None:
                return not_valid()
            return await run_in_threadpool(show, link, token, csrf, note)
        # The page is drawn once and kept in the store's memo until this process writes
        # (a comment, a decision, a withdrawn link, a video hidden...; another server's
        # change within the memo's seconds): a guest whose page is kept costs no thread,
        # no query, only their CSRF token put in its slot.
        if not isinstance(token, str) or not links.TOKEN_SHAPE.match(token):
            return not_valid()  # a guess of no link's shape is not kept
        key = ("review page", token)
        kept, page = store.memo.peek(key)
        if not kept:
            page = await drawing(key, lambda: store.memo.get(key, lambda: guest_view(token)))
        now = datetime.now(UTC)
        if not isinstance(page, GuestPage) or page.expires_at <= now:
            return not_valid()
        response = HTMLResponse(
            page.html.replace(CSRF_SLOT, escape(csrf)), status_code=200, headers=PRIVATE
        )
        response.set_cookie(CSRF_COOKIE, csrf, path=urls.REVIEW, httponly=True, samesite="strict")
        openings.count(page.link_id, now)  # written with the others within a second
        return response

    async def media(request: Request) -> Response:
        studio = get_studio()
        link = await run_in_threadpool(links.valid_link, studio.store, request.path_params["token"])
        found = MEDIA_NAME.match(request.path_params["name"])
        if link is None or found is None:
            return not_valid()
        task_id, ext = found.groups()
        task = await run_in_threadpool(links.shared_task, studio.store, link, task_id)
        name = (task.video_file if ext == "mp4" else task.poster_file) if task else None
        if not name:
            return not_valid()
        signed = studio.storage.signed_url(f"{LIBRARY}/{name}", studio.config.signed_link_seconds)
        if signed is not None:
            return RedirectResponse(signed, status_code=307, headers={"Cache-Control": "no-store"})
        path = studio.storage.local_path(f"{LIBRARY}/{name}")
        if path is None:
            return not_valid()
        return FileResponse(
            path, media_type=MEDIA_TYPES[ext], headers={"Cache-Control": "no-store"}
        )

    async def posted(request: Request, action: str) -> Response:
        token = request.path_params["token"]
        store = get_studio().store
        link = await run_in_threadpool(links.valid_link, store, token)
        if link is None:
            return not_valid()
        cookie = request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(24)
        try:
            body = await read_limited(request, MAX_FORM_BYTES)
        except BodyTooLarge:
            return await run_in_threadpool(
                show, link, token, cookie, None, "That is far too long to post.", "", 413
            )
        except ClientGone:
            return Response(status_code=400)
        form = {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}
        given = form.get("csrf", "").encode()
        if not request.cookies.get(CSRF_COOKIE) or not hmac.compare_digest(
            given, request.cookies[CSRF_COOKIE].encode()
        ):
            problem = "This page was open too long or in another window: reload it and try again."
            return await run_in_threadpool(show, link, token, cookie, None, problem, "", 403)
        now = datetime.now(UTC)
        name, task_id = form.get("name", ""), form.get("task", "")
        if action == "comment":
            done = await run_in_threadpool(
                links.guest_comment, store, link, task_id, name, form.get("text", ""), now
            )
            ok, words, note = done.ok, done.message, "comment"
            status = 429 if words == links.TOO_MANY else 400
        else:
            decision = form.get("decision", "")
            words, ok = await run_in_threadpool(
                links.guest_decision,
                store,
                link,
                task_id,
                name,
                decision,
                form.get("reason", ""),
                now,
            )
            note, status = decision, 400
        if ok:
            to = f"{urls.REVIEW}{token}?done={note}#v-{task_id}"
            return RedirectResponse(to, status_code=303, headers=PRIVATE)
        return await run_in_threadpool(show, link, token, cookie, None, words, name, status)

    async def comment(request: Request) -> Response:
        return await posted(request, "comment")

    async def decide(request: Request) -> Response:
        return await posted(request, "decide")

    async def approved_zip(request: Request) -> Response:
        """The approved videos of a campaign (or of chosen ids) as one streamed ZIP with a
        manifest; for people signed in, like the videos themselves."""
        studio = get_studio()
        who = await run_in_threadpool(reader, request, studio.config, studio.store)
        if who is None:
            return PlainTextResponse("Sign in to the studio first.", status_code=401)
        campaign = request.query_params.get("campaign")
        ids = [i for i in request.query_params.get("ids", "").split(",") if TASK_ID.match(i)]
        if campaign is not None and len(campaign) > (CAMPAIGN.max_length or 0):
            campaign = None
            ids = []
        videos = await run_in_threadpool(
            download.approved_videos, studio.store, campaign, ids[: download.MAX_VIDEOS]
        )
        if not videos:
            return PlainTextResponse(
                "There are no approved videos to download here yet.", status_code=404
            )
        await run_in_threadpool(
            studio.store.audit,
            "review.download",
            actor_id=who.account_id,
            actor_name=who.name,
            target=(f"campaign {campaign}" if campaign is not None else ",".join(ids))[:320],
            detail=f"{len(videos)} approved videos"
            + ("" if who.verified else " (a name typed in open mode, not verified)"),
            now=datetime.now(UTC),
        )
        name = download.zip_name(campaign)
        return StreamingResponse(
            download.zip_stream(studio.storage, videos),  # a plain iterator: run in threads
            media_type="application/zip",
            headers={
                "Content-Disposition": f'attachment; filename="{name}"',
                "Cache-Control": "no-store",
            },
        )

    return [
        Route(urls.APPROVED_ZIP, approved_zip, methods=["GET"]),
        Route(urls.REVIEW_ROUTE, review, methods=["GET"]),
        Route(urls.REVIEW_MEDIA_ROUTE, media, methods=["GET", "HEAD"]),
        Route(urls.REVIEW_COMMENT_ROUTE, comment, methods=["POST"]),
        Route(urls.REVIEW_DECIDE_ROUTE, decide, methods=["POST"]),
    ]
