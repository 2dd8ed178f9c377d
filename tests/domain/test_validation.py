"""The request rules, checked without a server (the server's own tests go over HTTP)."""

import pytest

from lib.domain.validation import (
    InvalidSettings,
    check_request,
    picture_link_problem,
    url_problem,
    validate_request,
)

BASE = {"model": "grok-imagine-1.0-video", "prompt": "a cat surfing"}


def problems(**changes):
    body = {**BASE, **changes}
    body = {k: v for k, v in body.items() if v is not ...}
    return {p.param: p.message for p in check_request(body)}


def test_a_good_request_gets_the_defaults():
    request = validate_request(dict(BASE))
    assert request == {
        **BASE,
        "action": "generate",
        "aspect_ratio": "16:9",
        "resolution": "480p",
        "duration": 6,
    }


@pytest.mark.parametrize(
    ("changes", "param", "words"),
    [
        ({"model": ...}, "model", "Choose a model"),
        ({"model": "veo-3"}, "model", "“veo-3” is not available"),
        ({"prompt": ...}, "prompt", "Prompt is required"),
        ({"prompt": "   "}, "prompt", "Prompt is required"),
        ({"prompt": 42}, "prompt", "must be text"),
        ({"prompt": "x" * 4001}, "prompt", "4,001 characters"),
        ({"action": "edit"}, "action", "generate or image2video"),
        ({"aspect_ratio": "4:3"}, "aspect_ratio", "16:9, 9:16, 1:1, 3:2 or 2:3; you gave “4:3”"),
        ({"resolution": "1080p"}, "resolution", "480p or 720p; you gave “1080p”"),
        ({"duration": 5}, "duration", "from 6 to 30; you gave 5"),
        ({"duration": 31}, "duration", "from 6 to 30; you gave 31"),
        ({"duration": 6.5}, "duration", "whole number"),
        ({"duration": "six"}, "duration", "you gave “six”"),
        ({"duration": True}, "duration", "whole number"),
        ({"image_urls": []}, "image_urls", "at least 1"),
        ({"image_urls": "https://a.example/x.png"}, "image_urls", "list"),
        (
            {"image_urls": [f"https://a.example/{i}.png" for i in range(8)]},
            "image_urls",
            "at most 7",
        ),
        (
            {"image_urls": ["data:image/png;base64,AAAA"]},
            "image_urls",
            "Picture 1 (the link data:image/png;base64,AAAA) must be a public web address",
        ),
        (
            {"image_urls": ["https://a.example/1.png", "file:///etc/passwd"]},
            "image_urls",
            "Picture 2 (the link file:///etc/passwd)",
        ),
        ({"image_urls": ["https://" + "a" * 3000]}, "image_urls", "too long"),
        ({"image_urls": ["https:///nohost.png"]}, "image_urls", "no host"),
        ({"callback_url": "ftp://x.example/hook"}, "callback_url", "http:// or https://"),
        ({"callback_events": ["completed", "done"]}, "callback_events", "item 2 is “done”"),
        ({"callback_events": "completed"}, "callback_events", "list"),
        ({"colour": "red"}, "colour", "not a setting"),
        ({"action": "image2video"}, "image_urls", "needs at least one reference image"),
    ],
)
def test_each_bad_field_is_named_with_what_is_allowed(changes, param, words):
    found = problems(**changes)
    assert param in found, found
    assert words in found[param]


def test_all_problems_are_reported_not_just_the_first():
    found = problems(duration=99, resolution="4k", aspect_ratio="5:4")
    assert set(found) == {"duration", "resolution", "aspect_ratio"}


def test_images_make_it_image_to_video_and_drop_the_aspect_ratio():
    body = {**BASE, "aspect_ratio": "9:16", "image_urls": ["https://a.example/1.png"]}
    request = validate_request(body)
    assert "aspect_ratio" not in request
    assert request["action"] == "generate"  # echoed as sent


def test_image_to_video_needs_no_prompt():
    body = {
        "model": "grok-imagine-1.0-video",
        "action": "image2video",
        "image_urls": ["https://a.example/1.png"],
    }
    assert check_request(body) == []


def test_callback_event_aliases_are_accepted():
    assert problems(callback_events=["running", "succeeded", "failed"]) == {}


def test_not_an_object():
    with pytest.raises(InvalidSettings) as caught:
        validate_request(["model"])
    assert caught.value.param == "body"


def test_huge_values_are_cut_short_in_messages():
    message = problems(aspect_ratio="9" * 10_000)["aspect_ratio"]
    assert len(message) < 200


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "data:image/png;base64,xx",
        "file:///tmp/a.png",
        "http://exa mple.com/a",
        "",
    ],
)
def test_urls_that_are_not_public_web_addresses(url):
    assert url_problem(url)


def test_public_urls_pass():
    assert url_problem("https://cdn.example.com/a/b.png?x=1") is None
    assert url_problem("http://127.0.0.1:8501/assets/abc.png") is None


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/",  # a cloud's metadata service
        "http://10.1.2.3/a.png",
        "http://172.16.0.9/a.png",
        "https://192.168.1.1/a.jpg",
        "http://127.0.0.1:8501/assets/abc.png",  # not the studio's own: no prefix given
        "http://[::1]/a.png",
        "http://[fc00::1]/a.png",
        "http://[fe80::1]/a.png",
        "http://[::ffff:10.0.0.1]/a.png",  # an IPv4 address inside an IPv6 one
        "http://224.0.0.1/a.png",  # multicast
        "http://0.0.0.0/a.png",
        "http://localhost/a.png",
        "http://LOCALHOST./a.png",
        "http://shop.localhost/a.png",
    ],
)
def test_picture_links_into_a_private_network_are_refused(url):
    assert picture_link_problem(url) == (
        "points inside a private network: use a public web address (https://...) "
        "that anyone can open."
    )


def test_picture_links_with_an_ip_address_spelled_oddly_are_refused():
    # 127.0.0.1 as one number and in hex shorthand: browsers read them so, other parsers not.
    for url in ("http://2130706433/a.png", "http://0x7f.1/a.png", "http://127.1/a.png"):
        assert "is written in an unusual way" in picture_link_problem(url), url


def test_picture_links_with_a_password_or_not_on_the_web_are_refused():
    assert "user name or password" in picture_link_problem("https://ana:pw@cdn.example.com/a.png")
    assert "user name or password" in picture_link_problem("https://ana@cdn.example.com/a.png")
    assert "http:// or https://" in picture_link_problem("javascript:alert(1)")
    assert "limit is 2,048" in picture_link_problem("https://cdn.example.com/" + "a" * 10_240)


def test_public_picture_links_and_the_studios_own_pass():
    assert picture_link_problem("https://cdn.example.com/a/b.png?x=1") is None
    assert picture_link_problem("https://8.8.8.8/a.png") is None
    assert picture_link_problem("https://[2606:4700::1111]/a.png") is None
    own = ("http://127.0.0.1:8501/assets/",)
    assert picture_link_problem("http://127.0.0.1:8501/assets/abc.png", own) is None
    # The prefix is the whole origin and path: a look-alike port or path is not the studio.
    assert picture_link_problem("http://127.0.0.1:8502/assets/abc.png", own)
    assert picture_link_problem("http://127.0.0.1:8501/api/health", own)
