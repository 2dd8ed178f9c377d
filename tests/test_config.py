from pathlib import Path

import pytest

from lib.config import load_config
from lib.engine.runtime import media_policy


def test_defaults_give_a_demo_studio_on_one_machine(tmp_path):
    config = load_config({"STUDIO_DATA_DIR": str(tmp_path)}, use_secrets=False)
    assert config.uses_embedded
    assert config.database_url == f"sqlite:///{tmp_path / 'studio.sqlite3'}"
    ready = config.with_port(8765)
    assert ready.public_url == "http://127.0.0.1:8765"
    assert ready.wave_base_url == "http://127.0.0.1:8765/wave/v1"
    assert ready.wants_callbacks()
    # The callback secret is made once and kept with the data.
    again = load_config({"STUDIO_DATA_DIR": str(tmp_path)}, use_secrets=False)
    assert config.callback_secret == again.callback_secret
    assert (tmp_path / ".callback-secret").stat().st_mode & 0o077 == 0


def test_a_real_key_switches_to_the_real_service_and_stays_out_of_repr(tmp_path):
    env = {
        "STUDIO_DATA_DIR": str(tmp_path),
        "WAVE_API_KEY": "sk-live-0123456789abcdef",
        "STUDIO_DATABASE_URL": "postgresql://studio@db/studio",
        "STUDIO_MEDIA_HOSTS": "cdn.example.net, *.files.example.org",
    }
    config = load_config(env, use_secrets=False).with_port(8501)
    assert not config.uses_embedded
    assert config.wave_base_url == "https://api.qingbo.ai/v1"
    assert config.database_url == "postgresql://studio@db/studio"
    assert "sk-live" not in repr(config)
    assert not config.wants_callbacks()  # 127.0.0.1 cannot be reached from the internet
    policy = media_policy(config)
    assert "*.qingbo.ai" in policy.hosts and "cdn.example.net" in policy.hosts


def test_plain_http_media_only_from_the_staging_hosts_an_operator_names(tmp_path):
    """Issue 15: archiving from an http:// service was impossible even for staging."""
    from lib.engine.archive import UrlRefused

    env = {
        "STUDIO_DATA_DIR": str(tmp_path),
        "WAVE_API_KEY": "sk-staging",
        "WAVE_BASE_URL": "http://wave-staging.internal:8000/v1",
        "STUDIO_HTTP_MEDIA_HOSTS": "Wave-Staging.internal",
        "AWS_SECRET_ACCESS_KEY": "s3-secret-value",
    }
    config = load_config(env, use_secrets=False)
    assert "s3-secret-value" not in repr(config)
    policy = media_policy(config)
    policy.check("http://wave-staging.internal:8000/files/v.mp4")  # allowed by name
    for refused in (
        "http://other.internal/v.mp4",  # another host
        "http://x.wave-staging.internal/v.mp4",  # names are exact: no sub-domains
        "http://user:pw@wave-staging.internal/v.mp4",
        "ftp://wave-staging.internal/v.mp4",
    ):
        with pytest.raises(UrlRefused):
            policy.check(refused)
    without = media_policy(load_config({**env, "STUDIO_HTTP_MEDIA_HOSTS": ""}, use_secrets=False))
    with pytest.raises(UrlRefused, match="not https"):
        without.check("http://wave-staging.internal:8000/files/v.mp4")


def test_s3_storage_needs_a_bucket_and_a_known_storage_name(tmp_path):
    base = {"STUDIO_DATA_DIR": str(tmp_path)}
    with pytest.raises(ValueError, match="STUDIO_S3_BUCKET"):
        load_config({**base, "STUDIO_STORAGE": "s3"}, use_secrets=False)
    with pytest.raises(ValueError, match="local or s3"):
        load_config({**base, "STUDIO_STORAGE": "ftp"}, use_secrets=False)


def test_a_public_url_turns_callbacks_on(tmp_path):
    env = {
        "STUDIO_DATA_DIR": str(tmp_path),
        "WAVE_API_KEY": "k",
        "STUDIO_PUBLIC_URL": "https://studio.example.com/",
    }
    config = load_config(env, use_secrets=False).with_port(8501)
    assert config.public_url == "https://studio.example.com"
    assert config.wants_callbacks()


def test_the_embedded_apis_admin_switches_are_off_unless_asked_for(tmp_path):
    base = {"STUDIO_DATA_DIR": str(tmp_path)}
    assert not load_config(base, use_secrets=False).embedded_admin
    for word, expected in (("on", True), ("TRUE", True), ("1", True), ("off", False)):
        env = {**base, "STUDIO_EMBEDDED_ADMIN": word}
        assert load_config(env, use_secrets=False).embedded_admin is expected, word


def test_secrets_file_values_are_used_when_the_environment_is_silent(tmp_path, monkeypatch):
    folder = tmp_path / ".streamlit"
    folder.mkdir()
    (folder / "secrets.toml").write_text(f'STUDIO_DATA_DIR = "{tmp_path / "from-secrets"}"\n')
    monkeypatch.chdir(tmp_path)
    from streamlit.runtime.secrets import secrets_singleton

    secrets_singleton._reset()
    try:
        config = load_config({})
    finally:
        secrets_singleton._reset()
    assert config.data_dir == Path(tmp_path / "from-secrets")
