"""Sharing a video: a clean link to it, and the card's Share button that copies it.

The link is the studio's address + `/history?task=<id>`: no name, no filters, no page
number, so whoever opens it sees that one video and is nobody until they say who they
are. The copy happens in the browser: `navigator.clipboard` where the page is a secure
context (https, or localhost), else a selected text field and the browser's copy
command; the link is always shown too, selected, so it can be copied by hand.
"""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit, urlunsplit

import streamlit as st

HISTORY_PATH = "history"  # the History page's url_path (studio.py)

_HTML = """
<span class="share">
  <button type="button" class="share-button" title="Copy a link to this video">Share</button>
  <input class="share-link" type="text" readonly hidden aria-label="Link to this video">
  <span class="share-said" role="status" aria-live="polite"></span>
</span>
"""

_CSS = """
.share { display: flex; align-items: center; gap: 0.25rem 0.5rem; flex-wrap: wrap;
  max-width: 100%; font-family: var(--st-font); font-size: 0.875rem; }
.share-button { background: none; border: none; padding: 0.25rem 0; cursor: pointer;
  color: var(--st-text-color); font: inherit; }
.share-button:hover { color: var(--st-primary-color); }
.share-button:focus-visible { outline: 2px solid var(--st-primary-color); border-radius: 4px; }
.share-link { flex: 1 1 10rem; min-width: 0; max-width: 100%; box-sizing: border-box;
  font: inherit; font-size: 0.85em;
  color: var(--st-text-color); background: var(--st-secondary-background-color);
  border: 1px solid var(--st-border-color); border-radius: 6px; padding: 0.2rem 0.4rem; }
.share-said { font-size: 0.85em; color: var(--st-text-color); opacity: 0.8; }
"""

_JS = """
export default function ({ data, parentElement }) {
  const button = parentElement.querySelector(".share-button");
  const field = parentElement.querySelector(".share-link");
  const said = parentElement.querySelector(".share-said");
  field.value = data.link;
  button.onclick = async () => {
    field.hidden = false;
    let copied = false;
    if (window.isSecureContext && navigator.clipboard) {
      try {
        await navigator.clipboard.writeText(data.link);
        copied = true;
      } catch (error) {
        copied = false; // refused (permissions): the field below still has it
      }
    }
    field.focus();
    field.select();
    if (!copied) {
      try {
        copied = document.execCommand("copy");
      } catch (error) {
        copied = false;
      }
    }
    said.textContent = copied
      ? "Link copied"
      : "Copy the link: press Ctrl+C (⌘C on a Mac)";
  };
}
"""

_button = st.components.v2.component("imagine_studio.share", html=_HTML, css=_CSS, js=_JS)


def studio_address(page_url: str | None, fallback: str | None) -> str:
    """The studio's address as this person's browser reaches it (st.context.url on the
    History page, without the page's own path), else `fallback` (its public address)."""
    parts = urlsplit(page_url or "")
    if parts.scheme in ("http", "https") and parts.netloc:
        path = parts.path.rstrip("/")
        if path.endswith(f"/{HISTORY_PATH}") or path == HISTORY_PATH:
            path = path[: -len(HISTORY_PATH)].rstrip("/")
        return urlunsplit((parts.scheme, parts.netloc, path, "", ""))
    return (fallback or "").rstrip("/")


def share_link(address: str, task_id: str) -> str:
    """A link to one video, with nothing else in it."""
    return f"{address}/{HISTORY_PATH}?{urlencode({'task': task_id})}"


def share_button(link: str, key: str) -> None:
    """The Share button of a card: copies `link`, says so, and shows it."""
    _button(key=key, data={"link": link}, width="stretch")
