"""deploy/: what can be checked without a container engine. The compose file parses and
gives both studio servers the same shared settings; its nginx configuration is the one
deploy/nginx_config.py renders (the tests' own proxy) and nginx accepts it; the Dockerfile
keeps to what the deployment relies on."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from deploy.nginx_config import COMPOSE, COMPOSE_CONFIG, main, render
from tests.services.nginx import check_config

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
SHARED_SETTINGS = {
    "STUDIO_DATABASE_URL",
    "STUDIO_CALLBACK_SECRET",
    "STUDIO_PUBLIC_URL",
    "WAVE_API_KEY",
    "STUDIO_STORAGE",
    "STUDIO_S3_BUCKET",
    "STUDIO_S3_ENDPOINT_URL",
    "STUDIO_S3_PUBLIC_ENDPOINT_URL",
    "STUDIO_S3_REGION",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "STUDIO_LEASE_SECONDS",
}


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text())


def test_the_compose_proxy_configuration_is_the_rendered_one():
    assert COMPOSE_CONFIG.read_text() == render(COMPOSE)
    assert main(["--check"]) == 0


def test_nginx_accepts_the_compose_configuration():
    text = COMPOSE_CONFIG.read_text()
    # The services' names resolve only inside compose's network: stand-ins for nginx -t.
    for name in ("studio1", "studio2", "minio"):
        assert f"server {name}:" in text
        text = text.replace(f"server {name}:", "server 127.0.0.1:")
    checked = check_config(text)
    assert checked.returncode == 0, checked.stderr
    assert "syntax is ok" in checked.stderr


def test_nginx_refuses_a_broken_configuration():
    """check_config can fail: a misspelt directive is caught."""
    broken = render(COMPOSE).replace("hash $studio_affinity_key", "hsah $studio_affinity_key")
    broken = re.sub(r"server (studio\d|minio):", "server 127.0.0.1:", broken)
    checked = check_config(broken)
    assert checked.returncode != 0
    assert 'unknown directive "hsah"' in checked.stderr


def test_both_studio_servers_share_every_setting_and_reach_each_service(compose):
    services = compose["services"]
    assert set(services) == {"postgres", "minio", "storage-init", "studio1", "studio2", "nginx"}
    first, second = services["studio1"], services["studio2"]
    assert first["environment"] == second["environment"]
    assert set(first["environment"]) == SHARED_SETTINGS
    assert first["volumes"] != second["volumes"]  # only local scratch differs
    settings = first["environment"]
    assert settings["STUDIO_DATABASE_URL"].startswith("postgresql+psycopg://")
    assert "@postgres:5432/" in settings["STUDIO_DATABASE_URL"]
    # The bucket the proxy serves is the one the servers write to.
    bucket, store = COMPOSE.object_store
    assert settings["STUDIO_S3_BUCKET"] == bucket
    assert settings["STUDIO_S3_ENDPOINT_URL"] == f"http://{store}"
    assert services["storage-init"]["environment"] == settings
    python, option, script = services["storage-init"]["command"]
    assert (python, option) == ("python", "-c")
    compile(script, "storage-init", "exec")  # the bucket-making script is valid Python
    # Secrets are asked for, never written here.
    for name in ("WAVE_API_KEY", "STUDIO_CALLBACK_SECRET", "AWS_SECRET_ACCESS_KEY"):
        assert settings[name].startswith("${") and ":?" in settings[name]


def test_the_proxy_fronts_both_servers_on_the_port_the_image_serves(compose):
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    port = re.search(r"^EXPOSE (\d+)$", dockerfile, re.MULTILINE).group(1)
    assert COMPOSE.upstreams == (f"studio1:{port}", f"studio2:{port}")
    nginx = compose["services"]["nginx"]
    assert nginx["volumes"] == ["./nginx.conf:/etc/nginx/studio.conf:ro"]
    assert nginx["command"] == ["nginx", "-c", "/etc/nginx/studio.conf"]
    assert nginx["ports"] == [f"{COMPOSE.listen}:{COMPOSE.listen}"]
    for studio in ("studio1", "studio2"):
        assert nginx["depends_on"][studio]["condition"] == "service_healthy"


def test_the_image_runs_the_studio_as_a_non_root_user_with_a_health_check():
    lines = [
        line.strip()
        for line in (DEPLOY / "Dockerfile").read_text().replace("\\\n", " ").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert lines[0] == "FROM python:3.11-slim"
    assert "RUN pip install -r requirements.txt" in lines
    user = next(line for line in lines if line.startswith("USER "))
    assert user != "USER root"
    cmd = next(line for line in lines if line.startswith("CMD "))
    assert lines.index(user) < lines.index(cmd)
    command = yaml.safe_load(cmd.removeprefix("CMD "))  # a JSON list
    assert command[:3] == ["streamlit", "run", "app.py"]
    assert shlex.join(command[3:5]) == "--server.address 0.0.0.0"
    health = next(line for line in lines if line.startswith("HEALTHCHECK "))
    assert f"127.0.0.1:{command[-1]}/api/health" in health
    ignored = (DEPLOY / "Dockerfile.dockerignore").read_text().split()
    for folder in (".venv", "data", ".git", "tests", ".streamlit/secrets.toml"):
        assert folder in ignored


def test_the_bucket_making_step_makes_the_bucket_once_and_can_run_again(compose, s3_service):
    """compose's storage-init, run as it is written against the tests' S3 server."""
    _python, _option, script = compose["services"]["storage-init"]["command"]
    env = {
        **os.environ,
        **s3_service.env(),
        "STUDIO_S3_BUCKET": "compose-init-check",
        "STUDIO_S3_REGION": "us-east-1",
    }
    for _run in range(2):
        done = subprocess.run(
            [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() == "bucket ready: compose-init-check"
    s3_service.client().head_bucket(Bucket="compose-init-check")


def test_the_studio_reads_every_setting_compose_gives_it(compose):
    """The names in compose are the studio's own (issue 15): filled in as .env would."""
    from lib.config import load_config

    given = compose["services"]["studio1"]["environment"]
    filled = {name: value if "${" not in value else "filled-in" for name, value in given.items()}
    filled["STUDIO_S3_PUBLIC_ENDPOINT_URL"] = "https://studio.example.com"
    config = load_config(filled, use_secrets=False)
    assert (config.storage, config.s3_bucket, config.s3_region) == (
        "s3",
        "studio-media",
        "us-east-1",
    )
    assert config.s3_endpoint_url == "http://minio:9000"
    assert config.s3_public_endpoint_url == "https://studio.example.com"
    assert config.s3_access_key_id == config.s3_secret_access_key == "filled-in"
    assert config.shared_database and config.callback_secret_source == "settings"
    assert config.lease_seconds == 30.0 and not config.uses_embedded
