"""Streamlit's "magic" is off (.streamlit/config.toml): a bare expression in a page would
no longer be drawn, so no page may rely on it (issue 15: the rewrite cost History's
first run ~55 ms)."""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

import pytest
from streamlit.runtime.scriptrunner import magic

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "studio.py", *sorted((ROOT / "views").glob("*.py"))]


def without_magic_import(tree: ast.Module) -> str:
    """The tree as text, less the import that magic adds to every script it rewrites."""
    tree.body = [
        node
        for node in tree.body
        if not (
            isinstance(node, ast.Import)
            and any(alias.asname == magic.MAGIC_MODULE_NAME for alias in node.names)
        )
    ]
    return ast.dump(tree)


def test_magic_is_off_in_the_config():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["runner"]["magicEnabled"] is False


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_no_page_draws_anything_by_magic(page: Path):
    source = page.read_text()
    assert without_magic_import(magic.add_magic(source, str(page))) == ast.dump(
        ast.parse(source, str(page))
    )


def test_the_check_sees_a_bare_expression():
    source = "import streamlit as st\nname = 'x'\nname\n"
    assert without_magic_import(magic.add_magic(source, "page.py")) != ast.dump(ast.parse(source))
