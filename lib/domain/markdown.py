"""Text people typed, shown by Streamlit's Markdown as exactly those characters."""

from __future__ import annotations

import re

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:=^&\"'@%])")


def escape_markdown(text: str) -> str:
    """Plain text for st.markdown/st.caption: every Markdown (and Streamlit directive)
    character backslash-escaped, on one line."""
    one_line = " ".join((text or "").split())
    return _MARKDOWN_SPECIAL.sub(r"\\\1", one_line)
