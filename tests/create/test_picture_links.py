"""Picture links pasted on Create (issue 11, item 6): each is fetched once when it is
pasted, checked like an upload, shown as a thumbnail and kept under /assets/, so the video
service only ever gets the studio's checked copy. A link that can't be used says so at
once, naming it; "Try again" and "Use these settings" on older videos with outside links
go through the same fetch."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from lib.create import draft, keys
from lib.domain.links import LinkPolicy
from lib.history import actions, queries
from lib.store.schema import Asset
from tests import images
from tests.create.test_page import errors, generate
from tests.engine.test_tracker import wait_archived
from tests.factories import make
from tests.link_servers import Site, local_site
from tests.studio_harness import STUDIO, RunningStudio


@pytest.fixture
def site(studio: RunningStudio) -> Iterator[Site]:
    """A web site with pictures; the studio may fetch from it although it is on this
    machine (as if it were public)."""
    with local_site() as site:
        studio.studio.link_policy = LinkPolicy.with_local([site.base + "/"])
        yield site


def image_page() -> AppTest:
    at = AppTest.from_file(STUDIO, default_timeout=30)
    at.session_state["who"] = "Ana Lopez"
    at.run().segmented_control(key=keys.MODE).set_value("image").run()
    assert not at.exception, at.exception
    return at


def paste(at: AppTest, links: str) -> AppTest:
    """Paste links, let the background fetches finish, and draw the page again."""
    at.text_area(key=keys.LINKS).input(links).run()
    at.session_state[keys.PASTED].settle()
    at.run()
    assert not at.exception, at.exception
    return at


def shown_pictures(at: AppTest) -> list[str]:
    return [h.proto.body for h in at.get("html") if "/assets/" in h.proto.body]


def test_a_pasted_link_is_fetched_once_shown_and_the_service_gets_our_copy(studio, site):
    link = site.add("/spring/shot.png", images.png(400, 600))
    at = paste(image_page(), link)
    # Before any click: fetched, checked, kept, and shown from the studio's copy.
    [asset] = assets(studio)
    assert (asset.width, asset.height) == (400, 600) and asset.original_name == "shot.png"
    [tiles] = shown_pictures(at)
    assert f"/assets/{asset.file_name}" in tiles and link not in tiles
    assert errors(at) == []
    at.run()
    generate(at)
    [task] = queries.fresh_tasks(studio.studio.store, [t.id for t in studio.studio.store.tasks()])
    own = studio.studio.asset_url(asset)
    assert task.request["image_urls"] == [own]  # the service never sees the outside link
    assert [(i.url, i.asset_sha256) for i in task.images] == [(own, asset.sha256)]
    assert site.hits == ["GET /spring/shot.png"]  # fetched once, for every run and the click
    # In demo mode the embedded service fetches the studio's copy and makes the video.
    done = wait_archived(studio, task.id)
    assert done.status == "completed", (done.error_code, done.error_message)
    assert (done.video_width, done.video_height) == (480, 720)


@pytest.mark.parametrize(
    ("path", "data", "words"),
    [
        ("/gone.png", None, "could not be fetched: there is nothing at this address (404)."),
        ("/notes.png", b"Spring plan\n" * 50, "is not a picture the video service can use"),
        ("/loop.gif", images.gif(200, 200), "is a GIF image, which the video service can't"),
        ("/cut.jpg", images.jpeg(400, 400)[:500], "is damaged or incomplete"),
    ],
)
def test_a_link_that_cannot_be_used_says_so_at_once_naming_the_link(
    studio, site, path, data, words
):
    link = site.add(path, data) if data is not None else site.url(path)
    at = paste(image_page(), link)
    [message] = errors(at)  # before anyone clicks
    assert message.startswith(f"Picture 1 (the link {link}) {words}"), message
    assert "Error" not in message and "Reference image" not in message
    generate(at)
    assert errors(at) == [message]  # said once, at the field
    assert studio.studio.store.tasks() == [] and assets(studio) == []
    assert studio.counters().get("requests.submit", 0) == 0


def test_pictures_are_numbered_across_uploads_and_links(studio, site):
    at = image_page()
    at.file_uploader(key=keys.UPLOADS).set_value([("a.jpg", images.jpeg(300, 300), "")]).run()
    at = paste(at, site.add("/ok.png", images.png(300, 300)) + "\n" + site.url("/missing.png"))
    [message] = errors(at)
    assert message.startswith(f"Picture 3 (the link {site.url('/missing.png')}) could not")
    [tiles] = [h for h in shown_pictures(at) if ">2<" in h]  # the link's copy is picture 2
    assert "/assets/" in tiles


def test_a_link_into_this_machine_is_refused_and_never_fetched(studio):
    with local_site() as site:  # not allowed as public this time
        secret = site.add("/internal-admin/secret.png", images.png(300, 300))
        links = [
            secret,
            secret.replace("/internal", "\\/internal"),  # the corpus's backslash
            f"http://１２７.０.０.１:{site.port}/internal-admin/secret.png",
            f"http://ⓛⓞⓒⓐⓛⓗⓞⓢⓣ:{site.port}/internal-admin/secret.png",
        ]
        for link in links:
            at = paste(image_page(), link)
            [message] = errors(at)
            assert message.startswith("Picture 1 (the link http"), message
            generate(at)
        assert site.hits == []
    assert studio.studio.store.tasks() == [] and assets(studio) == []


def test_a_link_to_the_studios_own_picture_is_used_as_it_is(studio):
    from lib.engine.pictures import store_reference_image

    asset, url = store_reference_image(studio.studio, images.jpeg(600, 900), "me.jpg", "Ana")
    at = paste(image_page(), url)
    assert errors(at) == []
    generate(at)
    [task] = queries.fresh_tasks(studio.studio.store, [t.id for t in studio.studio.store.tasks()])
    assert [(i.url, i.asset_sha256) for i in task.images] == [(url, asset.sha256)]


def test_try_again_on_an_older_video_fetches_its_outside_link_through_the_same_guard(studio, site):
    studio.studio.tracker.stop()  # the tasks stay as made
    store = studio.studio.store
    body = {**draft.Draft("image", "", "16:9", "480p", 6, "").request(), "prompt": "Kite"}
    good = site.add("/old.png", images.png(300, 300))
    kept = make(store, "failed", request={**body, "image_urls": [good]}, pictures=[(good, None)])
    retry = actions.retry_task(studio.studio, kept, "Ana")
    assert retry.task is not None, retry.message
    [image] = retry.task.images
    assert image.asset_sha256 and image.url == studio.studio.asset_url(assets(studio)[0])
    assert retry.task.request["image_urls"] == [image.url]

    dead = site.url("/vanished.png")
    gone = make(store, "failed", request={**body, "image_urls": [dead]}, pictures=[(dead, None)])
    retry = actions.retry_task(studio.studio, gone, "Ana")
    assert retry.task is None
    assert retry.message == (
        f"Couldn't try again: Picture 1 (the link {dead}) could not be fetched: there is "
        "nothing at this address (404). Press “Use these settings” to replace that picture."
    )


def test_use_these_settings_on_an_older_video_fetches_its_links_on_create(studio, site):
    studio.studio.tracker.stop()
    link = site.add("/older.png", images.png(300, 300))
    body = {**draft.Draft("image", "", "16:9", "480p", 6, "").request(), "image_urls": [link]}
    task = studio.studio.store.get_task(
        make(studio.studio.store, "failed", request=body, pictures=[(link, None)])
    )
    at = AppTest.from_file(STUDIO, default_timeout=30)
    at.session_state["who"] = "Ana Lopez"
    prefilled: dict = {}
    actions.use_settings(prefilled, task)  # what History's button leaves in the session
    for key, value in prefilled.items():
        at.session_state[key] = value
    at.run()
    at.session_state[keys.PASTED].settle()
    at.run()
    assert errors(at) == [] and len(shown_pictures(at)) == 1
    assert site.hits == ["GET /older.png"]


def assets(studio: RunningStudio) -> list[Asset]:
    with studio.studio.store.session() as session:
        return list(session.scalars(select(Asset)))


def test_each_session_fetches_a_link_once_and_again_after_it_was_removed(studio, site):
    link = site.add(f"/{uuid.uuid4().hex}.png", images.png(200, 200))
    path = link.removeprefix(site.base)
    at = paste(image_page(), link)
    at.run()
    at.run()
    assert site.hits == [f"GET {path}"]
    paste(at, "")
    paste(at, link)
    assert site.hits == [f"GET {path}"] * 2


def test_uploaded_and_linked_pictures_are_kept_under_the_uploaders_account(studio, site):
    """Issue 16: a picture records who brought it by account (stable), not only by name."""
    at = image_page()
    at.file_uploader(key=keys.UPLOADS).set_value([("a.jpg", images.jpeg(300, 300), "")]).run()
    paste(at, site.add("/linked.png", images.png(300, 300)))
    [ana] = [a for a in studio.studio.store.accounts() if a.name == "Ana Lopez"]
    with studio.studio.store.session() as session:
        kept = session.execute(select(Asset.uploaded_by, Asset.account_id)).all()
    assert sorted(kept) == [("Ana Lopez", ana.id), ("Ana Lopez", ana.id)]
