"""The card's Share button: it copies a clean link to one video (lib/domain/urls.py).

The link is the studio's address + `/history?task=<id>`: no name, no filters, no page
number, so whoever opens it sees that one video and is nobody until they say who they
are. The copy happens in the browser: `navigator.clipboard` where the page is a secure
context (https, or localhost), else a selected text field and the browser's copy
command; the link is always shown too, selected, so it can be copied by hand.
"""

from __future__ import annotations

import streamlit as st

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


def share_button(link: str, key: str) -> None:
    """The Share button of a card: copies `link`, says so, and shows it."""
    _button(key=key, data={"link": link}, width="stretch")
