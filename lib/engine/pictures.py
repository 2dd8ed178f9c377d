"""Reference pictures, kept by the studio: uploads checked and cleaned
(lib.outside.pictures), kept once by SHA-256 on disk and in the store, and served at
`<public URL>/assets/<sha256>.<ext>` so that the Wave service can fetch them (it accepts
links, never uploads).

Picture links pasted on Create: each fetched once, when it is pasted, checked exactly
like an upload and kept under /assets/, so that the video service only ever fetches the
studio's own checked copy (the picture can't change or vanish behind the link, and the
service is never handed an outside address). A link that can't be used gets its message
at once, before anyone pays.

Fetching goes through lib/outside/fetch.py (public addresses only, one deadline, a byte
cap), on a few background threads so the page stays responsive; each browser session
remembers what it fetched, per link.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from lib.domain import urls
from lib.domain.access import Actor
from lib.domain.links import LinkRefused, link_problem, parse_link
from lib.domain.text_fields import PERSON, fit
from lib.domain.validation import picture_name
from lib.outside.fetch import FetchFailed, fetch
from lib.outside.pictures import ImageLimits, ImageRejected, PreparedImage, prepare_image
from lib.storage import ASSETS, Storage
from lib.storage.base import is_key, key
from lib.store.schema import Asset

if TYPE_CHECKING:
    from lib.engine.runtime import Studio

ACCEPT = "image/jpeg, image/png, image/webp"
# Long enough for the slowest fetch the policy allows, plus checking the picture.
SETTLE_SECONDS = 60.0
_fetchers = ThreadPoolExecutor(4, thread_name_prefix="picture-link")
DEFAULT_LIMITS = ImageLimits()


def uploader(who: Actor | str | None) -> tuple[str, str | None]:
    """-> (the name shown, the account id) of whoever brings a picture: an account when
    signed in (issue 16), else the name alone."""
    if isinstance(who, Actor):
        return who.name, who.account_id
    return who or "", None


def store_reference_image(
    studio: Studio,
    data: bytes,
    filename: str,
    person: Actor | str,
    limits: ImageLimits = DEFAULT_LIMITS,
    label: str | None = None,
) -> tuple[Asset, str]:
    """-> (the stored asset, its public URL). Raises ImageRejected with a message for people
    (`label` names a picture that came from a link, see prepare_image)."""
    name, account_id = uploader(person)
    prepared = prepare_image(data, filename, limits, label)
    keep_picture_file(studio.storage, prepared)  # the file first: a row never lacks it
    asset = studio.store.add_asset(
        Asset(
            sha256=prepared.sha256,
            ext=prepared.ext,
            mime=prepared.mime,
            width=prepared.width,
            height=prepared.height,
            size_bytes=len(prepared.data),
            original_name=prepared.original_name,
            uploaded_by=fit(PERSON, name),
            account_id=account_id,
            created_at=datetime.now(UTC),
        )
    )
    return asset, studio.asset_url(asset)


def keep_picture_file(storage: Storage, image: PreparedImage) -> None:
    """Store the cleaned picture once, by its SHA-256 (the same picture again is not
    written again), where every server can read it."""
    digest = hashlib.sha256(image.data).hexdigest()
    if digest != image.sha256:
        raise ValueError(f"{image.stored_name} does not match its content")
    name = key(ASSETS, image.stored_name)
    if storage.size(name) != len(image.data):
        storage.put_bytes(name, image.data, image.mime)


def picture_file_exists(storage: Storage, name: str) -> bool:
    return is_key(f"{ASSETS}/{name}") and storage.size(f"{ASSETS}/{name}") is not None


@dataclass(frozen=True)
class LinkedPicture:
    """What became of one pasted link: kept (url, sha256), or why not (problem)."""

    link: str
    url: str | None = None  # the studio's /assets/ copy
    sha256: str | None = None
    problem: str | None = None  # completes "Picture 3 (the link …) "

    @property
    def kept(self) -> bool:
        return self.sha256 is not None

    def message(self, position: int) -> str:
        return f"{picture_name(position, self.link)} {self.problem}"


def keep_link(studio: Studio, link: str, person: Actor | str) -> LinkedPicture:
    """Fetch the picture behind `link`, check it like an upload and keep it. Never raises
    for the link's sake: what went wrong is the outcome's `problem`."""
    own = own_picture(studio, link)
    if own is not None:
        return own
    problem = link_problem(link, studio.link_policy)
    if problem:
        return LinkedPicture(link, problem=problem)
    try:
        data, final = fetch(link, studio.link_policy, studio.link_resolver, ACCEPT)
    except (LinkRefused, FetchFailed) as exc:
        return LinkedPicture(link, problem=str(exc))
    try:
        # The label only switches the advice to "link to…"; the picture is named later,
        # by its position.
        asset, url = store_reference_image(
            studio, data, final.path.rsplit("/", 1)[-1], person, label="The picture"
        )
    except ImageRejected as exc:
        return LinkedPicture(link, problem=exc.predicate)
    return LinkedPicture(link, url, asset.sha256)


def own_picture(studio: Studio, link: str) -> LinkedPicture | None:
    """A link to one of the studio's own kept pictures (copied from a page): used as is."""
    prefix = f"{studio.config.public_url}{urls.ASSETS}"
    try:
        canonical = parse_link(link).url
    except LinkRefused:
        return None
    if not canonical.startswith(prefix):
        return None
    name = canonical.removeprefix(prefix)
    asset = studio.store.get_asset(name.split(".", 1)[0])
    if asset is None or not picture_file_exists(studio.storage, name):
        return LinkedPicture(link, problem="is not one of the studio's pictures any more.")
    return LinkedPicture(link, studio.asset_url(asset), asset.sha256)


def keep_images(
    studio: Studio, images: Sequence[tuple[str, str | None]], person: Actor | str
) -> tuple[list[tuple[str, str]], dict[int, str]]:
    """Pictures as the service gets them: the studio's kept copies at today's address.
    -> ([(url, sha256)], {position: message}) for [(url, sha256 or None)]: a picture kept
    before is looked up, an outside link (an older video's) is fetched and kept now."""
    kept: list[tuple[str, str]] = []
    problems: dict[int, str] = {}
    for position, (url, sha) in enumerate(images, start=1):
        asset = studio.store.get_asset(sha) if sha else None
        if asset is not None:
            kept.append((studio.asset_url(asset), asset.sha256))
            continue
        outcome = keep_link(studio, url, person)
        if outcome.kept:
            kept.append((outcome.url, outcome.sha256))  # type: ignore[arg-type]
        else:
            problems[position] = outcome.message(position)
    return kept, problems


class PastedLinks:
    """One session's pasted links, each fetched once in the background."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._fetches: dict[str, Future[LinkedPicture]] = {}

    def follow(self, studio: Studio, links: Iterable[str], person: Actor | str) -> None:
        """Start fetching links not seen before; forget links no longer pasted (pasting
        one again tries it again)."""
        wanted = list(dict.fromkeys(links))
        with self._lock:
            for link in list(self._fetches):
                if link not in wanted:
                    del self._fetches[link]
            for link in wanted:
                if link not in self._fetches:
                    self._fetches[link] = _fetchers.submit(keep_link, studio, link, person)

    def outcomes(self) -> dict[str, LinkedPicture]:
        """The links fetched so far (a link still being fetched is not in it)."""
        with self._lock:
            fetches = dict(self._fetches)
        return {link: f.result() for link, f in fetches.items() if f.done()}

    def pending(self) -> bool:
        with self._lock:
            return any(not f.done() for f in self._fetches.values())

    def settle(self, timeout: float = SETTLE_SECONDS) -> dict[str, LinkedPicture]:
        """Wait for the fetches under way (they have their own deadline), then outcomes."""
        with self._lock:
            fetches = list(self._fetches.values())
        wait(fetches, timeout)
        return self.outcomes()
