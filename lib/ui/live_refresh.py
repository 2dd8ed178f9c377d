"""Keeping an open page current while videos are made, without polling the video service
and without Streamlit timers.

`follow(task_ids, every)` puts an invisible element on the page. In the browser it holds
one request at a time to the studio's `/api/history/changes` route, which answers as
soon as one of those videos is done (ready, failed or cancelled) or after `every`
seconds; the element then reruns what it is in (inside a fragment: that fragment only),
as a click would. So a finished video shows within a fraction of a second, the progress
bars move every `every` seconds, and the page costs nothing more once no video on it is
changing (the element is not drawn).

Why not `@st.fragment(run_every=...)`: with a fast timer, Streamlit sometimes lost the
timer or the cards when a timer fired around a rerun, and the page froze or went blank.
A rerun asked for by an element is Streamlit's ordinary path, as for a button.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import streamlit as st

from lib.domain import urls

KEY = "live-refresh"

# One follower per page: each run of the page replaces the previous one's (the function
# is called again with each run's data, and only unmounting calls the cleanup).
_JS = """
let current = null;

export default function (component) {
  const { data, setTriggerValue } = component;
  if (current) current.abort();
  const follower = new AbortController();
  current = follower;
  const deadline = Date.now() + data.every_ms;
  const ids = encodeURIComponent(data.ids.join(","));
  (async () => {
    while (!follower.signal.aborted && Date.now() < deadline) {
      const wait = ((deadline - Date.now()) / 1000).toFixed(2);
      try {
        const reply = await fetch(`${data.url}?ids=${ids}&wait=${wait}`, {
          signal: follower.signal,
          cache: "no-store",
        });
        if (reply.ok && (await reply.json()).changed) break;
        if (!reply.ok) await new Promise((done) => setTimeout(done, 500));
      } catch (error) {
        if (follower.signal.aborted) return;
        await new Promise((done) => setTimeout(done, 500)); // the studio is restarting
      }
    }
    if (!follower.signal.aborted) setTriggerValue("due", Date.now());
  })();
  return () => follower.abort();
}
"""

_component = st.components.v2.component("imagine_studio.live_refresh", js=_JS)


def follow(task_ids: Sequence[str], every: float) -> None:
    """Rerun this page when one of these videos is done, or after `every` seconds."""
    if not task_ids:
        return
    data = {
        "url": urls.HISTORY_CHANGES,
        "ids": list(task_ids),
        "every_ms": int(every * 1000),
        "drawn": time.time(),  # new data each run, so the browser starts a new follower
    }
    _component(key=KEY, data=data, on_due_change=lambda: None)
