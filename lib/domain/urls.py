"""The studio's own addresses, built in one place: its HTTP routes (lib/server/routes.py),
the pages' paths, and the links it hands out (to the Wave service: pictures and the
callback; to people: a video on History).

Streamlit reserves /media/ for itself, so archived videos and posters are served under
/library/.
"""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit, urlunsplit

from lib.domain.source_links import SOURCES

HEALTH = "/api/health"
READY = "/api/ready"  # the database and the storage answer (503 with the reason if not)
HISTORY_CHANGES = "/api/history/changes"  # held until a shown video is done (live refresh)
CALLBACKS = "/api/callbacks/wave/"  # + the callback secret
ASSETS = "/assets/"  # + <sha256>.<ext>: kept reference pictures
LIBRARY = "/library/"  # + <task id>.mp4 / .jpg: the studio's copies of finished videos
EMBEDDED_PREFIX = "/wave"  # where the embedded Wave API is mounted in demo mode

REVIEW = "/review/"  # + <token>: a review link's page for guests (issue 17)
APPROVED_ZIP = "/api/approved.zip"  # ?campaign=<name> or ?ids=<id>,<id>: approved videos

# Starlette route patterns of the paths above.
CALLBACK_ROUTE = CALLBACKS + "{secret}"
ASSET_ROUTE = ASSETS + "{name}"
LIBRARY_ROUTE = LIBRARY + "{name}"
REVIEW_ROUTE = REVIEW + "{token}"
REVIEW_MEDIA_ROUTE = REVIEW + "{token}/media/{name}"
REVIEW_COMMENT_ROUTE = REVIEW + "{token}/comment"
REVIEW_DECIDE_ROUTE = REVIEW + "{token}/decide"

# The pages' url_paths (studio.py), and History's query parameters.
HISTORY_PAGE = "history"
COSTS_PAGE = "costs"
ADMIN_PAGE = "admin"  # issue 16: roles, budgets, the audit log
KITS_PAGE = "kits"  # issue 18: brand kits (admins)
RECIPES_PAGE = "recipes"  # issue 18: the shared prompt library
TASK_PARAM = "task"  # ?task=<id>: that one video
PAGE_PARAM = "page"  # ?page=3
BATCH_PARAM = "batch"  # ?batch=<id>: a batch's takes together (issue 18)
# Issue 17: one video's own page (?id=<task id>: a video's id, never who is asking).
VIDEO_PAGE = "video"
VIDEO_PARAM = "id"
COMPARE_PAGE = "compare"
# The pages that hand out links (Share, review links): their path is taken off.
PAGES_WITH_LINKS = (HISTORY_PAGE, VIDEO_PAGE, COMPARE_PAGE)


def asset_path(name: str) -> str:
    return ASSETS + name


def asset_url(public_url: str | None, name: str) -> str:
    """A kept picture at the address the Wave service fetches it from."""
    return f"{public_url}{asset_path(name)}"


def library_path(name: str, download_as: str | None = None) -> str:
    """A video or poster; `download_as`: saved under that name (the Download link)."""
    return LIBRARY + name + (f"?{urlencode({'download': download_as})}" if download_as else "")


def callback_url(public_url: str | None, secret: str) -> str:
    """Where the Wave service reports a task's steps (the secret keeps others out)."""
    return f"{public_url}{CALLBACKS}{secret}"


def embedded_wave_url(port: int) -> str:
    """The embedded Wave API's base URL, mounted in the studio on this port."""
    return f"http://127.0.0.1:{port}{EMBEDDED_PREFIX}/v1"


def own_prefixes(public_url: str | None) -> tuple[str, ...]:
    """The only links on this machine the embedded API may fetch in demo mode: the
    studio's own pictures, its callback route, and the videos it sends to restyle."""
    return (f"{public_url}{ASSETS}", f"{public_url}{CALLBACKS}", f"{public_url}{SOURCES}")


def share_link(address: str, task_id: str) -> str:
    """A link to one video on History, with nothing else in it (no name, no filters)."""
    return f"{address}/{HISTORY_PAGE}?{urlencode({TASK_PARAM: task_id})}"


def studio_address(page_url: str | None, fallback: str | None) -> str:
    """The studio's address as this person's browser reaches it (the History page's own
    address, without the page's path), else `fallback` (its public address)."""
    parts = urlsplit(page_url or "")
    if parts.scheme in ("http", "https") and parts.netloc:
        path = parts.path.rstrip("/")
        for page in PAGES_WITH_LINKS:  # the page's own path is not the studio's
            if path.endswith(f"/{page}") or path == page:
                path = path[: -len(page)].rstrip("/")
                break
        return urlunsplit((parts.scheme, parts.netloc, path, "", ""))
    return (fallback or "").rstrip("/")


def review_link(address: str, token: str) -> str:
    """A review link for guests: the token alone names what it shares."""
    return f"{address}{REVIEW}{token}"


def approved_zip_path(campaign: str | None = None, task_ids: list[str] | None = None) -> str:
    """The campaign download: a campaign's approved videos, or a selection's."""
    if campaign is not None:
        return f"{APPROVED_ZIP}?{urlencode({'campaign': campaign})}"
    return f"{APPROVED_ZIP}?{urlencode({'ids': ','.join(task_ids or [])})}"
