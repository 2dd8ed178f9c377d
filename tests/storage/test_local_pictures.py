"""Kept pictures on the local storage: one file per SHA-256, written whole or not at all,
and only names of that form ever served (formerly lib/outside/picture_folder.py)."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import pytest

from lib.engine.pictures import keep_picture_file, picture_file_exists
from lib.outside.pictures import PreparedImage, prepare_image
from lib.storage import local
from lib.storage.local import LocalStorage
from tests.images import jpeg, png


@pytest.fixture
def saved(tmp_path) -> tuple[LocalStorage, PreparedImage, Path]:
    storage = LocalStorage(tmp_path)
    prepared = prepare_image(png(200, 100), "logo.png")
    keep_picture_file(storage, prepared)
    return storage, prepared, tmp_path / "assets" / prepared.stored_name


def test_a_picture_is_one_file_named_by_its_sha(saved, tmp_path):
    _, prepared, path = saved
    assert path == tmp_path / "assets" / f"{prepared.sha256}.png"
    assert path.read_bytes() == prepared.data
    assert os.listdir(tmp_path / "assets") == [path.name]  # no temporary files left
    assert path.stat().st_mode & 0o777 == 0o644  # served to others


def test_the_same_picture_again_is_not_written_again(saved):
    storage, prepared, path = saved
    os.utime(path, ns=(1_000_000_000, 1_000_000_000))
    keep_picture_file(storage, prepared)
    assert path.stat().st_mtime_ns == 1_000_000_000


def test_a_picture_appears_whole_or_not_at_all(tmp_path, monkeypatch):
    prepared = prepare_image(jpeg(200, 100), "a.jpg")
    calls = []
    real_replace = os.replace

    def spy(source, target):
        assert Path(source).parent == tmp_path / "assets"
        assert Path(source).read_bytes() == prepared.data  # complete before it appears
        calls.append(Path(target))
        real_replace(source, target)

    monkeypatch.setattr(local.os, "replace", spy)
    keep_picture_file(LocalStorage(tmp_path), prepared)
    assert calls == [tmp_path / "assets" / prepared.stored_name]


def test_a_failed_write_leaves_nothing_behind(tmp_path, monkeypatch):
    def fail(source, target):
        raise OSError("disk full")

    monkeypatch.setattr(local.os, "replace", fail)
    with pytest.raises(OSError, match="disk full"):
        keep_picture_file(LocalStorage(tmp_path), prepare_image(jpeg(200, 100), "a.jpg"))
    assert os.listdir(tmp_path / "assets") == []


def test_a_picture_whose_sha_does_not_match_is_refused(tmp_path):
    prepared = prepare_image(jpeg(200, 100), "a.jpg")
    forged = PreparedImage(**{**prepared.__dict__, "sha256": "0" * 64})
    with pytest.raises(ValueError, match="does not match"):
        keep_picture_file(LocalStorage(tmp_path), forged)
    assert not (tmp_path / "assets").exists()


@pytest.mark.parametrize(
    "name",
    [
        "../x.png",
        "abc.png",
        "{sha}.gif",
        "{sha}.png/../../etc",
        "../{sha}.png",
        "{sha}.PNG",
        "{SHA}.png",
        "{sha}.png\n",
        "{sha}.png.bak",
        "{sha}.png/",
        "",
    ],
)
def test_only_a_kept_pictures_name_is_found_even_if_another_file_exists(saved, name, tmp_path):
    storage, prepared, _ = saved
    name = name.format(sha=prepared.sha256, SHA=prepared.sha256.upper())
    with contextlib.suppress(OSError):  # plant the file where a lax check would look
        (tmp_path / "assets" / name).write_bytes(b"not for serving")
    assert not picture_file_exists(storage, name)
    assert picture_file_exists(storage, prepared.stored_name)
    assert not picture_file_exists(storage, "0" * 64 + ".png")
