"""The reverse proxy's configuration, written in one place for the tests and for
deploy/compose.yaml: nginx in front of several studio servers.

    python deploy/nginx_config.py          # rewrites deploy/nginx.conf (compose's)
    python deploy/nginx_config.py --check  # exits 1 if deploy/nginx.conf is out of date

What a studio server needs from the proxy:

- **Session affinity.** Streamlit keeps each open page's session in the memory of the one
  server its websocket reached; an upload (`PUT /_stcore/upload_file/<session>/...`) and
  the page's own pictures (`/media/...`) sent to another server answer 400 and 404. Every
  request of one browser must reach the same server.
  nginx open source has no `sticky` directive. `ip_hash` is per address, not per browser:
  everyone behind one office NAT or one outer load balancer lands on the same server (and
  it hashes only the first three bytes of an IPv4 address). So the proxy gives each
  browser a random cookie of its own the first time it comes (`$request_id`, 128 random
  bits), and hashes on it (`hash ... consistent`): the first request is routed on the same
  value it sets, so the page, its websocket, its uploads and its pictures all reach one
  server, browsers spread over all servers, and taking a server away moves only its own
  browsers (consistent hashing).
- **Websockets** on `/_stcore/stream`: the Upgrade and Connection headers passed on, the
  original Host kept (Streamlit compares the Origin with it), no buffering, and a read
  timeout of a day (an open page may be idle for hours; Streamlit pings every 30 s anyway).
- **Uploads** a little above the studio's own limit (server.maxUploadSize in
  .streamlit/config.toml), streamed to the server, not spooled on the proxy's disk first.
- Optionally, one **object store bucket** served from the same address
  (`/<bucket>/...` passed to MinIO untouched, Host kept), so a signed link to a video or a
  reference picture works for browsers and for the video service alike, with no second
  public address and no CORS.
"""

from __future__ import annotations

import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

COMPOSE_CONFIG = Path(__file__).with_name("nginx.conf")
STREAMLIT_CONFIG = Path(__file__).resolve().parents[1] / ".streamlit" / "config.toml"


def studio_upload_limit_mb() -> int:
    """The studio's own upload limit (server.maxUploadSize, in MB; Streamlit's default
    is 200). The proxy allows a little more, so that the studio, not the proxy, tells
    a person their picture is too big."""
    with STREAMLIT_CONFIG.open("rb") as file:
        return int(tomllib.load(file).get("server", {}).get("maxUploadSize", 200))


@dataclass(frozen=True)
class ProxyConfig:
    upstreams: tuple[str, ...]  # "host:port" of each studio server
    listen: str  # "127.0.0.1:8080", or "8080" for every address
    affinity: bool = True
    cookie_name: str = "studio_affinity"
    secure_cookie: bool = False  # on when browsers reach the proxy over https
    max_body_size: str = field(default_factory=lambda: f"{studio_upload_limit_mb() + 10}m")
    read_timeout: str = "300s"  # pages, uploads, downloads
    stream_timeout: str = "1d"  # an open page's websocket
    object_store: tuple[str, str] | None = None  # (bucket, "host:port") served at /bucket/
    # Where nginx writes: run_dir holds the pid file and temporary files.
    run_dir: str = "/tmp/nginx"
    error_log: str = "stderr"
    access_log: str = "/dev/stdout"
    worker_processes: str = "auto"


def _affinity(config: ProxyConfig) -> str:
    if not config.affinity:
        return "        # no affinity: round robin, as a load balancer does by default\n"
    return "        hash $studio_affinity_key consistent;\n"


def _affinity_maps(config: ProxyConfig) -> str:
    if not config.affinity:
        return ""
    cookie = f"$cookie_{config.cookie_name}"
    attributes = "Path=/; HttpOnly; SameSite=Lax" + ("; Secure" if config.secure_cookie else "")
    return f"""
    # A browser without the affinity cookie is routed on a fresh random value, and
    # given that value as its cookie: from then on it hashes to the same server.
    map {cookie} $studio_affinity_key {{
        ""      $request_id;
        default {cookie};
    }}
    map {cookie} $studio_affinity_cookie {{
        ""      "{config.cookie_name}=$request_id; {attributes}";
        default "";
    }}
"""


def _object_store(config: ProxyConfig) -> tuple[str, str]:
    """The upstream and location that serve one bucket from the proxy's own address."""
    if config.object_store is None:
        return "", ""
    bucket, address = config.object_store
    upstream = f"""
    upstream object_store {{
        server {address};
    }}
"""
    location = f"""
        # Signed links to the bucket: passed on exactly as received (the path and the
        # Host are part of the signature), streamed both ways, seeking (Range) kept.
        location /{bucket}/ {{
            proxy_pass http://object_store;
            proxy_buffering off;
            proxy_request_buffering off;
        }}
"""
    return upstream, location


def _forwarded(indent: int) -> str:
    """The headers every request carries to a studio server: the original Host (the
    studio's links and Streamlit's Origin check use it) and who asked."""
    lines = (
        "proxy_set_header Host $http_host;",
        "proxy_set_header X-Real-IP $remote_addr;",
        "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;",
        "proxy_set_header X-Forwarded-Proto $scheme;",
    )
    return "".join(" " * indent + line + "\n" for line in lines)


def render(config: ProxyConfig) -> str:
    servers = "".join(f"        server {address};\n" for address in config.upstreams)
    store_upstream, store_location = _object_store(config)
    set_cookie = (
        "        add_header Set-Cookie $studio_affinity_cookie always;  # empty: not sent\n"
        if config.affinity
        else ""
    )
    run = config.run_dir
    # The routing value (a random token, not who the person is): which browser it was.
    affinity_logged = "$studio_affinity_key" if config.affinity else "-"
    return f"""# Written by deploy/nginx_config.py: change that file, not this one.
worker_processes {config.worker_processes};
daemon off;
pid {run}/nginx.pid;
error_log {config.error_log} warn;

events {{
    worker_connections 1024;
}}

http {{
    # Temporary files under run_dir: nothing needs the distribution's root-owned paths.
    client_body_temp_path {run}/client_body;
    proxy_temp_path {run}/proxy;
    fastcgi_temp_path {run}/fastcgi;
    uwsgi_temp_path {run}/uwsgi;
    scgi_temp_path {run}/scgi;

    default_type application/octet-stream;
    server_tokens off;
    log_format studio '$remote_addr [$time_local] "$request" $status $body_bytes_sent '
                      'upstream=$upstream_addr upstream_status=$upstream_status '
                      'affinity={affinity_logged} rt=$request_time';
    access_log {config.access_log} studio;

    map $http_upgrade $connection_upgrade {{
        default upgrade;
        ""      close;
    }}
{_affinity_maps(config)}
    upstream studio {{
{_affinity(config)}{servers}    }}
{store_upstream}
    server {{
        listen {config.listen};

        client_max_body_size {config.max_body_size};
        proxy_http_version 1.1;
{_forwarded(8)}        proxy_read_timeout {config.read_timeout};
        proxy_send_timeout {config.read_timeout};
{set_cookie}
        location / {{
            proxy_pass http://studio;
        }}

        # The page's websocket.
        location /_stcore/stream {{
            proxy_pass http://studio;
            # A location with its own proxy_set_header inherits none: all said again.
{_forwarded(12)}            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            proxy_buffering off;
            proxy_read_timeout {config.stream_timeout};
            proxy_send_timeout {config.stream_timeout};
        }}

        # Uploads go straight through to the server that holds the page's session.
        location /_stcore/upload_file/ {{
            proxy_pass http://studio;
            proxy_request_buffering off;
        }}
{store_location}    }}
}}
"""


# The proxy of deploy/compose.yaml: two studio servers, MinIO's bucket on the same address.
COMPOSE = ProxyConfig(
    upstreams=("studio1:8501", "studio2:8501"),
    listen="8080",
    object_store=("studio-media", "minio:9000"),
    run_dir="/tmp",  # exists in the nginx image; nginx makes the folders below it
)


def main(argv: list[str]) -> int:
    text = render(COMPOSE)
    if "--check" in argv:
        current = COMPOSE_CONFIG.read_text() if COMPOSE_CONFIG.exists() else ""
        if current != text:
            print(f"{COMPOSE_CONFIG} is out of date: run python deploy/nginx_config.py")
            return 1
        return 0
    COMPOSE_CONFIG.write_text(text)
    print(f"wrote {COMPOSE_CONFIG}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
