"""lib/outside/fetch.py: links read one way (the way they are fetched), and fetched within
one deadline and one byte cap, only from public addresses, checked at every hop."""

from __future__ import annotations

import socket

import pytest

from lib.domain.links import LinkPolicy, LinkRefused, is_private_address, link_problem, parse_link
from lib.outside.fetch import FetchFailed, fetch, open_link
from tests.link_servers import local_site
from tests.reliability.canary import connections, touching

PRIVATE = "points inside a private network"


@pytest.mark.parametrize(
    ("link", "reason"),
    [
        # Read differently by urllib.parse (host "127.0.0.1\") and by requests and
        # browsers (host 127.0.0.1): the outside corpus's way past the private check.
        ("http://127.0.0.1\\/internal-admin/secret.png", "odd"),
        ("http://169.254.169.254\\/latest/meta-data/", "odd"),
        ("http://cdn.example.com\\@127.0.0.1/x.png", "odd"),
        ("https://cdn.example.com/a\\b.png", "odd"),
        # Look-alike spellings that IDNA (browsers, requests) reads as loopback.
        ("http://１２７.０.０.１/", "lookalike"),
        ("http://127。0。0。1/", "lookalike"),
        ("http://ⓛⓞⓒⓐⓛⓗⓞⓢⓣ/", "lookalike"),
        ("https://ｅｘａｍｐｌｅ.com/a.png", "lookalike"),
        # Numbers that browsers read as an IPv4 address.
        ("http://2130706433/x.jpg", "odd"),
        ("http://0x7f.1/", "odd"),
        ("http://0177.0.0.1/", "odd"),
        ("http://127.1/", "odd"),
        ("http://1.2.3/", "odd"),
        # A host or port that parsers take apart differently.
        ("http://%31%32%37.0.0.1/", "odd"),
        ("http://a@b@c.example/", "userinfo"),
        ("https://ana:secret@cdn.example.com/shot.jpg", "userinfo"),
        ("https://cdn.example.com:/x.png", "odd"),
        ("https://cdn.example.com:99999/x.png", "odd"),
        ("https://cdn.example.com:80:80/x.png", "odd"),
        ("http://[fe80::1%25eth0]/", "odd"),
        ("http://[::1]x/", "odd"),
        ("https://cdn..example.com/", "odd"),
        ("http:/cdn.example.com/a.png", "scheme"),
        ("http:\\\\cdn.example.com\\a.png", "scheme"),
        ("//cdn.example.com/a.png", "scheme"),
        ("javascript:alert(1)", "scheme"),
        ("data:image/png;base64,iVBORw0KGgo=", "scheme"),
        ("https://", "no_host"),
        ("https://cdn.example.com/spring shot.jpg", "spaces"),
        ("https://cdn.exa\u200bmple.com/a.png", "spaces"),
        ("https://cdn.example.com/\u202egnp.exe", "spaces"),
        ("https://cdn.example.com/\x00.png", "spaces"),
        ("https://cdn.example.com/" + "a" * 2048, "too_long"),
        ("", "empty"),
        (["https://cdn.example.com/a.png"], "not_text"),
    ],
)
def test_links_that_programs_could_read_differently_are_refused(link, reason):
    with pytest.raises(LinkRefused) as refused:
        parse_link(link)
    assert refused.value.reason == reason, str(refused.value)
    assert "Error" not in str(refused.value)  # words for people, no class names


@pytest.mark.parametrize(
    ("link", "canonical"),
    [
        ("https://cdn.example.com/a/b.png?x=1#top", "https://cdn.example.com/a/b.png?x=1"),
        ("HTTPS://CDN.Example.COM./A.png", "https://cdn.example.com/A.png"),
        ("https://cdn.example.com:443/a.png", "https://cdn.example.com/a.png"),
        ("http://cdn.example.com:8080", "http://cdn.example.com:8080/"),
        ("https://bücher.example/bild.png", "https://xn--bcher-kva.example/bild.png"),
        ("https://cdn.example.com/frühling.jpg", "https://cdn.example.com/fr%C3%BChling.jpg"),
        ("https://cdn.example.com/50%off.jpg", "https://cdn.example.com/50%25off.jpg"),
        ("https://cdn.example.com/a%20b.jpg", "https://cdn.example.com/a%20b.jpg"),
        ("https://[2606:4700:0::1111]/a.png", "https://[2606:4700::1111]/a.png"),
        ("https://8.8.8.8/a.png", "https://8.8.8.8/a.png"),
        ("https://my_cdn.example.com/a.png", "https://my_cdn.example.com/a.png"),
    ],
)
def test_usual_links_are_read_in_one_canonical_form(link, canonical):
    assert parse_link(link).url == canonical
    assert link_problem(link) is None


@pytest.mark.parametrize(
    "link",
    [
        "http://127.0.0.1:22/shot.jpg",
        "http://10.0.0.5/shot.jpg",
        "http://192.168.1.1/shot.jpg",
        "http://169.254.169.254/latest/meta-data/",
        "http://0.0.0.0/",
        "http://100.64.0.1/",  # carrier-grade NAT
        "http://224.0.0.1/",  # multicast
        "http://255.255.255.255/",
        "http://localhost:8080/shot.jpg",
        "http://localhost./shot.jpg",
        "http://printer.localhost/shot.jpg",
        "http://[::1]/shot.jpg",
        "http://[::]/",
        "http://[fd12:3456::1]/shot.jpg",
        "http://[fe80::1]/shot.jpg",
        "http://[ff02::1]/",
        "http://[::ffff:127.0.0.1]/",  # IPv4-mapped
        "http://[::ffff:a9fe:a9fe]/",
        "http://[64:ff9b::a9fe:a9fe]/",  # NAT64 of 169.254.169.254
        "http://[2002:7f00:1::]/",  # 6to4 of 127.0.0.1
    ],
)
def test_private_addresses_are_refused_without_any_lookup(link):
    with connections() as seen:
        assert link_problem(link).startswith(PRIVATE)
    assert seen == []


def test_every_kind_of_private_address_is_private_and_public_ones_are_not():
    import ipaddress

    for text in ("8.8.8.8", "2606:4700::1111", "::ffff:8.8.8.8", "64:ff9b::808:808"):
        assert not is_private_address(ipaddress.ip_address(text)), text
    for text in ("127.0.0.1", "::ffff:10.0.0.1", "64:ff9b::a00:1", "2002:a00:1::", "fc00::"):
        assert is_private_address(ipaddress.ip_address(text)), text


def test_local_prefixes_let_through_only_their_own_origin_and_path():
    policy = LinkPolicy.with_local(["http://127.0.0.1:8501/assets/"])
    own = "http://127.0.0.1:8501/assets/" + "a" * 64 + ".png"
    assert link_problem(own, policy) is None
    for other in (
        "http://127.0.0.1:8501/api/health",
        "http://127.0.0.1:8502/assets/x.png",  # another port: not the studio
        "https://127.0.0.1:8501/assets/x.png",
        "http://127.0.0.1:8501/assets/../api/health",
        "http://127.0.0.1:8501/assets/%2e%2e/api/health",
        "http://localhost:8501/assets/x.png",
    ):
        assert link_problem(other, policy).startswith(PRIVATE), other
    any_port = LinkPolicy.with_local(["http://127.0.0.1:*/"])
    assert link_problem("http://127.0.0.1:9/x.png", any_port) is None
    assert link_problem("http://10.0.0.1:9/x.png", any_port).startswith(PRIVATE)


# ----- fetching --------------------------------------------------------------------------
def to_loopback(host: str, port: int) -> list[tuple[int, tuple]]:
    """A name server that answers every name with this machine (a rebinding attack)."""
    return [(socket.AF_INET, ("127.0.0.1", port))]


def test_a_picture_is_fetched_from_a_local_prefix():
    with local_site() as site:
        url = site.add("/pic.png", b"\x89PNG picture bytes")
        data, link = fetch(url, LinkPolicy.with_local([site.base + "/"]))
    assert data == b"\x89PNG picture bytes" and link.url == url


def test_a_name_that_resolves_to_a_private_address_is_never_contacted():
    with local_site() as site:
        site.add("/secret.png", b"internal")
        for resolver in (
            to_loopback,
            # One public and one private answer: refused, whichever a client would pick.
            lambda host, port: [
                (socket.AF_INET, ("93.184.216.34", port)),
                (socket.AF_INET, ("127.0.0.1", port)),
            ],
        ):
            with pytest.raises(LinkRefused) as refused:
                fetch(f"http://pictures.example:{site.port}/secret.png", LinkPolicy(), resolver)
            assert str(refused.value).startswith(PRIVATE)
        assert site.hits == []


def test_the_connection_goes_to_the_address_that_was_checked():
    asked = []

    def resolver(host: str, port: int) -> list[tuple[int, tuple]]:
        asked.append(host)
        return to_loopback(host, port)

    with local_site() as site:
        site.add("/pic.png", b"bytes")
        policy = LinkPolicy.with_local([f"http://pictures.example:{site.port}/"])
        with connections() as seen:
            data, _ = fetch(f"http://pictures.example:{site.port}/pic.png", policy, resolver)
    assert data == b"bytes" and asked == ["pictures.example"]  # looked up once, by us
    assert touching(seen, "pictures.example") == []  # no second lookup by anything else
    assert touching(seen, "127.0.0.1", site.port)


def test_every_redirect_is_checked_again():
    with local_site() as site:
        site.add("/secret.png", b"internal")
        policy = LinkPolicy.with_local([site.base + "/redirect"])
        hop = site.url("/redirect?to=" + site.url("/secret.png"))
        with pytest.raises(LinkRefused) as refused:
            fetch(hop, policy)
        assert str(refused.value).startswith("leads on to a link that points inside")
        backslash = site.url("/redirect?to=http://127.0.0.1%5C/secret.png")
        with pytest.raises(LinkRefused, match="leads on to a link that is written"):
            fetch(backslash, policy)
        asked = [hop.removeprefix(site.base), backslash.removeprefix(site.base)]
        assert site.hits == [f"GET {path}" for path in asked]  # never /secret.png


def test_redirects_are_followed_a_few_times_only():
    with local_site() as site:
        url = site.add("/pic.png", b"bytes")
        for _ in range(4):
            url = site.url("/redirect?to=" + url.replace("?", "%3F").replace("=", "%3D"))
        policy = LinkPolicy.with_local([site.base + "/"])
        with pytest.raises(FetchFailed) as failed:
            fetch(url, policy)
        assert failed.value.reason == "redirects"


@pytest.mark.parametrize("path", ["/drip", "/slow-headers"])
def test_one_deadline_holds_for_the_whole_fetch_however_slowly_bytes_come(path):
    with local_site(drip_every=0.05) as site:
        policy = LinkPolicy.with_local([site.base + "/"], deadline_seconds=1.0)
        with pytest.raises(FetchFailed) as failed:
            fetch(site.url(path), policy)
    assert failed.value.reason == "timeout"
    assert "within 1 seconds" in str(failed.value)


def test_the_byte_cap_stops_reading_a_body_that_never_ends():
    with local_site() as site:
        policy = LinkPolicy.with_local([site.base + "/"], max_bytes=1024 * 1024)
        with pytest.raises(FetchFailed) as failed:
            fetch(site.url("/endless"), policy)
        taken = site.sent.get("/endless", 0)
    assert failed.value.reason == "too_big" and "larger than 1 MB" in str(failed.value)
    # What the kernel buffers besides the 1 MB read, nowhere near the endless body.
    assert taken < 24 * 1024 * 1024


def test_failures_are_said_in_words():
    with local_site() as site:
        policy = LinkPolicy.with_local([site.base + "/", "http://127.0.0.1:1/"])
        with pytest.raises(FetchFailed, match=r"there is nothing at this address \(404\)"):
            fetch(site.url("/missing.png"), policy)
        with pytest.raises(FetchFailed, match="the site refused the connection"):
            fetch("http://127.0.0.1:1/x.png", policy)

    def nowhere(host: str, port: int) -> list:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    with pytest.raises(FetchFailed, match=r"no site called nowhere\.example was found"):
        fetch("https://nowhere.example/a.png", LinkPolicy(), nowhere)


def test_a_post_is_sent_and_its_reply_not_read():
    with local_site() as site:
        policy = LinkPolicy.with_local([site.base + "/"], max_bytes=0, max_redirects=0)
        with open_link(site.url("/endless"), policy, method="POST", body=b"{}") as reply:
            assert reply.status == 200
        assert site.hits == ["POST /endless"]
