"""The progress bar of a History card whose video is still changing, moving in the page
itself, and the one request per page that wakes a card when its video changes state.

`live_bar(task_id, state, progress)` draws the bar (role="progressbar", aria-valuenow) and
its words ("Being made — about 20 s left"). Between two states of the video nothing runs on
the server: the page moves the bar on from the estimate it was sent (lib/history/progress.py's
`Motion`, mirrored below in `barAt`), once a second.

All bars of a page share one held request to the studio's `/api/history/changes` route,
saying each video's id and the state it was drawn in. The studio answers as soon as one
of them is in another state (or after WAIT_SECONDS, and the page asks again); the bar of
that video then asks for a rerun, as a click would. It is in its card's fragment
(views/history.py), so only that card is drawn again, with the new state: a new bar (a new
step) or the finished video.

Time: the studio sends its clock (`now`, ms) with the estimate; the page counts from the
moment the data arrived, so a browser whose clock is off does not matter. A held request
that is cut (the network, a proxy, the studio restarting) is asked again a second later,
and every second while the studio is away, with the states the cards were drawn in: a
video that changed meanwhile is answered at once (tests/ui/test_live_progress.py). When
the page's websocket drops and comes back, Streamlit reruns the page: every bar is sent
again with a fresh estimate from the store, and goes on from there (not from 0).

Why not `@st.fragment(run_every=...)`: it reruns on the server for each move of a bar
(each open page costs CPU all the time), and with a fast timer Streamlit sometimes lost
the timer or the cards around a rerun.
"""

from __future__ import annotations

import time

import streamlit as st

from lib.domain import urls
from lib.history.progress import FEW_SECONDS, Progress

WAIT_SECONDS = 25  # a held request's longest wait (the route allows 30)
COMPONENT = "imagine_studio.live_progress"

_HTML = """
<div class="isp-bar">
  <div class="isp-words"></div>
  <div class="isp-track" role="progressbar" aria-valuemin="0" aria-valuemax="100"
       aria-valuenow="0"><div class="isp-fill"></div></div>
</div>
"""

_CSS = """
.isp-bar { font-family: var(--st-font, inherit); margin-bottom: 0.25rem; }
.isp-words { font-size: 0.875rem; margin-bottom: 0.35rem; }
.isp-track { height: 0.5rem; border-radius: 0.25rem; overflow: hidden;
  background: var(--st-secondary-background-color, #f0f2f6); }
.isp-fill { height: 100%; width: 0; transition: width 0.9s linear;
  background: var(--st-primary-color, #ff4b4b); }
"""

_JS = """
const cards = new Map(); // video id -> {state, trigger, owner, bar, drawn, received}
const ASK_AGAIN_MS = 4000;
let follower = null;
let ticking = null;
let again = null;

function shownSeconds(s) {
  for (const [limit, step] of [[30, 1], [120, 5], [600, 10]]) {
    if (s < limit) return Math.round(s / step) * step;
  }
  return Math.round(s / 60) * 60;
}

function durationWords(s) {
  const minutes = Math.floor(s / 60), rest = s % 60;
  if (!minutes) return `${rest} s`;
  return rest ? `${minutes} min ${rest} s` : `${minutes} min`;
}

// lib/history/progress.py's Motion.at, in the page.
function barAt(bar, seconds) {
  const m = bar.motion;
  if (!m) return [bar.percent, bar.words];
  let step = m.step;
  if (m.later_step !== null && seconds >= m.later_in) step = m.later_step;
  const left = m.left - seconds;
  const share = 1 - Math.max(left, 0) / m.total;
  const percent = Math.max(m.floor, Math.trunc(Math.min(95, Math.max(0, 100 * share))));
  const about = durationWords(shownSeconds(left));
  if (left >= bar.few) return [percent, `${step} — about ${about} left`];
  if (left > 0) return [percent, `${step} — less than ${bar.few} s left`];
  return [percent, `${step} — taking a little longer than usual`];
}

function draw(card) {
  const [percent, words] = barAt(card.bar, (performance.now() - card.received) / 1000);
  const track = card.owner.querySelector(".isp-track");
  if (!track) return;
  card.owner.querySelector(".isp-words").textContent = words;
  card.owner.querySelector(".isp-fill").style.width = `${percent}%`;
  track.setAttribute("aria-valuenow", String(percent));
  track.setAttribute("aria-valuetext", words);
}

function tick() {
  for (const card of cards.values()) draw(card);
  if (!cards.size) { clearInterval(ticking); ticking = null; }
}

const pause = (ms) => new Promise((done) => setTimeout(done, ms));

// Cards whose video changed, waiting for their rerun: one at a time (two fragments asking
// at the same moment could lose one), the next once the first is drawn again. A rerun that
// got lost anyway is asked for again after ASK_AGAIN_MS.
const due = [];
let rerunning = null; // {id, at}

function rerunNext() {
  if (rerunning && Date.now() - rerunning.at < ASK_AGAIN_MS) return;
  if (rerunning && cards.has(rerunning.id)) due.unshift(rerunning.id); // lost: again
  rerunning = null;
  while (due.length && !rerunning) {
    const id = due.shift();
    const card = cards.get(id);
    if (!card) continue;
    rerunning = { id, at: Date.now() };
    card.trigger("changed", rerunning.at);
    setTimeout(rerunNext, ASK_AGAIN_MS + 10);
  }
}

function drawnAgain(id) {
  if (rerunning?.id === id) { rerunning = null; rerunNext(); }
}

// The cards followed: all but those waiting for their rerun, left out until drawn again.
function followedNow() {
  return [...cards.entries()].filter(([id]) => rerunning?.id !== id && !due.includes(id));
}

// What a held request asks about: the cards' ids and the states they were drawn in.
function askingFor(followed) {
  const ids = followed.map(([id]) => id).join(",");
  const states = followed.map(([, card]) => card.state).join(",");
  return `ids=${ids}&states=${encodeURIComponent(states)}`;
}

let asking = null; // what the held request under way asks about (askingFor), or null

async function follow(url, wait) {
  if (follower) follower.abort();
  const mine = new AbortController();
  follower = mine;
  while (!mine.signal.aborted) {
    const followed = followedNow();
    if (!followed.length) {
      if (!cards.size) return;
      await pause(500);
      continue;
    }
    const held = followed.length < cards.size ? ASK_AGAIN_MS / 1000 : wait;
    try {
      const query = askingFor(followed);
      asking = query;
      const reply = await fetch(`${url}?${query}&wait=${held}`, {
        signal: mine.signal,
        cache: "no-store",
      });
      if (follower === mine) asking = null;
      if (!reply.ok) { await pause(1000); continue; }
      const { changed } = await reply.json();
      for (const id of changed) if (!due.includes(id) && rerunning?.id !== id) due.push(id);
      rerunNext();
    } catch (error) {
      if (follower === mine) asking = null;
      if (mine.signal.aborted) return;
      await pause(1000); // the studio is restarting: ask again
    }
  }
}

// A bar drawn or gone: a new held request. A bar gone (its card finished) keeps the one
// under way when that asks about the same videos in the same states (the card was waiting
// for its rerun and was left out of it): with 50 pages open, one request fewer per page
// for each video done. A bar drawn always asks anew (after a reconnection, say: the
// request under way may be on a dead connection).
let askAnew = false;

function followSoon(url, wait, keepSame = false) {
  if (!keepSame) askAnew = true;
  clearTimeout(again); // several bars drawn in one run: one new request for all of them
  again = setTimeout(() => {
    const same = asking !== null && asking === askingFor(followedNow());
    const anew = askAnew;
    askAnew = false;
    if (same && !anew) return;
    follow(url, wait);
  }, 50);
}

export default function (component) {
  const { data, setTriggerValue, parentElement } = component;
  const before = cards.get(data.id);
  const sameDrawing = before && before.owner === parentElement && before.drawn === data.now;
  const card = {
    state: data.state,
    trigger: setTriggerValue,
    owner: parentElement,
    bar: data.bar,
    drawn: data.now,
    received: sameDrawing ? before.received : performance.now(),
  };
  cards.set(data.id, card);
  draw(card);
  if (!ticking) ticking = setInterval(tick, 1000);
  if (!sameDrawing) {
    drawnAgain(data.id);
    followSoon(data.url, data.wait);
  }
  return () => {
    if (cards.get(data.id)?.owner === parentElement) {
      cards.delete(data.id);
      drawnAgain(data.id); // finished: its card no longer has a bar
    }
    followSoon(data.url, data.wait, true);
  };
}
"""

_component = st.components.v2.component(
    COMPONENT, html=_HTML, css=_CSS, js=_JS, isolate_styles=False
)


def bar_data(task_id: str, state: str, progress: Progress) -> dict:
    """What the page needs to draw and move one bar, and to follow its video's state."""
    motion = progress.motion
    return {
        "id": task_id,
        "state": state,
        "url": urls.HISTORY_CHANGES,
        "wait": WAIT_SECONDS,
        "now": int(time.time() * 1000),  # when this estimate was made (new data each run)
        "bar": {
            "percent": progress.percent,
            "words": progress.words,
            "few": FEW_SECONDS,
            "motion": None
            if motion is None
            else {
                "step": motion.step,
                "left": motion.left,
                "total": motion.total,
                "floor": motion.floor,
                "later_step": motion.later_step,
                "later_in": motion.later_in,
            },
        },
    }


def live_bar(task_id: str, state: str, progress: Progress) -> None:
    """The bar of one card (in its fragment: its video changing state reruns only it)."""
    _component(
        key=f"live-progress-{task_id}",
        data=bar_data(task_id, state, progress),
        on_changed_change=lambda: None,
    )
