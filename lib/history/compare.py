"""Comparing 2–4 takes side by side (issue 17): which ids the address names, and one set
of controls — play, pause, seek — for all the players. Only posters load until Play:
each player is preload="none", so opening the view moves a few kB per take."""

from __future__ import annotations

import html

from lib.domain import urls
from lib.history import player
from lib.store.schema import Task

MIN_TAKES, MAX_TAKES = 2, 4
IDS_PARAM = "ids"
_HEX = frozenset("0123456789abcdef")


def chosen_ids(text: str | None) -> list[str]:
    """The video ids in `?ids=a,b,c` (well-formed ones, each once, at most four)."""
    ids = [i for i in (text or "").split(",") if len(i) == 32 and set(i) <= _HEX]
    return list(dict.fromkeys(ids))[:MAX_TAKES]


def compare_problem(found: int) -> str | None:
    if found < MIN_TAKES:
        return "Choose two to four finished videos on History (tick Select), then Compare."
    return None


_SCRIPT = """
<script>
(function () {
  const root = document.getElementById("compare-root");
  if (!root || root.dataset.ready) return;
  root.dataset.ready = "1";
  const videos = Array.from(root.querySelectorAll("video"));
  const play = root.querySelector(".compare-play");
  const seek = root.querySelector(".compare-seek");
  const clock = root.querySelector(".compare-time");
  const lead = videos[0];
  const words = (s) => Math.floor(s / 60) + ":" + String(Math.floor(s % 60)).padStart(2, "0");
  const longest = () => Math.max(...videos.map((v) => v.duration || 0));
  let playing = false;
  play.onclick = async () => {
    if (playing) {
      videos.forEach((v) => v.pause());
      playing = false;
      play.textContent = "Play all";
      return;
    }
    playing = true;
    play.textContent = "Pause all";
    // Nothing was loaded before (preload="none"): load all, and start them together
    // only once every one of them can play, so none waits for its first bytes.
    const canPlay = (v) => v.readyState >= 3 ? Promise.resolve() : new Promise((done) => {
      v.addEventListener("canplay", done, { once: true });
      v.preload = "auto";
      if (v.networkState === 0 || v.readyState === 0) v.load();
    });
    const at = lead.currentTime || 0;
    await Promise.all(videos.map(canPlay));
    if (!playing) return;
    videos.forEach((v) => { v.currentTime = Math.min(at, v.duration || at); });
    await Promise.all(videos.map(canPlay));
    videos.forEach((v) => v.play().catch(() => null));
  };
  seek.oninput = () => {
    const to = (Number(seek.value) / 1000) * longest();
    videos.forEach((v) => { v.currentTime = Math.min(to, v.duration || to); });
  };
  lead.addEventListener("timeupdate", () => {
    const total = longest();
    if (total) seek.value = String(Math.round((lead.currentTime / total) * 1000));
    clock.textContent = words(lead.currentTime);
    videos.slice(1).forEach((v) => {  // keep the others within a tenth of a second
      const off = Math.abs(v.currentTime - lead.currentTime);
      if (!v.paused && off > 0.1 && lead.currentTime < (v.duration || 0)) {
        v.currentTime = lead.currentTime;
      }
    });
  });
  lead.addEventListener("ended", () => { playing = false; play.textContent = "Play all"; });
})();
</script>
"""

_STYLE = (
    "<style>#compare-root .compare-grid{display:grid;gap:12px;"
    "grid-template-columns:repeat(var(--takes),1fr)}"
    "#compare-root video{width:100%;border-radius:8px;background:#1F1B2E}"
    "#compare-root .compare-bar{display:flex;gap:12px;align-items:center;margin-top:8px}"
    "#compare-root .compare-seek{flex:1}</style>"
)


def compare_html(tasks: list[Task]) -> str:
    """The players in a row, and one Play / seek for all of them (only the first is
    heard: four sound tracks at once help nobody)."""
    cells = []
    for number, task in enumerate(tasks, 1):
        poster = (
            f' poster="{html.escape(urls.library_path(task.poster_file))}"'
            if task.poster_file
            else ""
        )
        muted = "" if number == 1 else " muted"
        source = urls.library_path(task.video_file) if player.playable(task) else ""
        cells.append(
            f'<figure style="margin:0"><video preload="none" playsinline{muted}{poster}'
            f' src="{html.escape(source)}" data-take="{number}"></video>'
            f"<figcaption>Take {number}</figcaption></figure>"
        )
    return (
        f'{_STYLE}<div id="compare-root" style="--takes:{len(tasks)}">'
        f'<div class="compare-grid">{"".join(cells)}</div>'
        '<div class="compare-bar"><button type="button" class="compare-play">Play all</button>'
        '<input class="compare-seek" type="range" min="0" max="1000" value="0"'
        ' aria-label="Position in all the videos">'
        '<span class="compare-time">0:00</span></div></div>' + _SCRIPT
    )
