"""A light page client: History pages that cost the studio what a browser's do, without a
browser, so that 10 and 50 open pages can be measured on a 2-core machine
(bench/live_history.py `--client light`).

Each `LightPage` opens the studio the way Streamlit's frontend does: the HTML page,
`/_stcore/health` and `/_stcore/host-config` over HTTP, then Streamlit's websocket
(`/_stcore/stream`) speaking its protocol with Streamlit's own protobuf classes
(`BackMsg`, `ForwardMsg`), the person's name in the studio's cookie as a browser that
remembers it. It asks for the runs a browser asks for, with the same messages (copied from
a Chromium session's websocket frames, recorded with Playwright's `page.on("websocket")`):

- the first run of the default page (Create), then History, as a click on the menu:
  `rerun_script` with History's page hash and the sidebar's widget states;
- every rerun carries the widget states the frontend would send: each widget's value from
  the deltas the studio sent (its `value` when `set_value`, else its default), the other
  pages' widgets dropped on a page change, the widgets no longer drawn dropped after a run;
- `ForwardMsg.auto_rerun` (a fragment with `run_every`): a fragment rerun
  (`fragment_id`, `is_auto_rerun`) at that interval, until `stop_auto_rerun` or a new run
  of the whole page;
- the live progress bars (lib/ui/live_progress.py, components v2, its `_JS`): the data of
  each bar (video id, drawn state, its trigger's widget id, its fragment) is read from the
  `bidi_component` deltas; the page holds ONE `/api/history/changes?ids=…&states=…&wait=…`
  request for all its bars, started again 50 ms after a bar is drawn or removed (a bar
  removed keeps the one under way if it asks about the same videos in the same states),
  and when it is answered with a change, that bar's trigger (`…__events`,
  `{"event": "changed"}`) is sent in a fragment rerun, one card at a time, asked again
  after 4 s if lost;
- the element of the code before issue 19 (lib/ui/live_refresh.py, `live_refresh`): the
  same held request with `ids` and `wait` until its deadline, then its `due` trigger.

"Visible" here is the moment the websocket message that carries a finished card's video
(`/library/<file>.mp4`) arrives: the server's part of the work ends there.

What it does not do: no layout, no drawing, no JavaScript but the bars' held request and
triggers (the bars are not moved between changes: that costs the browser, not the studio);
no static files (a browser has them in its cache after the first page); no forward-message
cache (`cached_message_hashes` is empty: the studio sends every message in full, as to a
fresh tab); no reconnection. Other custom components are ignored.
"""

from __future__ import annotations

import asyncio
import json
import re
import threading
import time
from collections.abc import Coroutine, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState
from websockets.asyncio.client import ClientConnection, connect

VIDEO = re.compile(rb"/library/[0-9a-f]{32}\.mp4")
CARD = re.compile(r"card-([0-9a-f]{32})$")
LIVE_PROGRESS = "imagine_studio.live_progress"  # this checkout's bars
LIVE_REFRESH = "imagine_studio.live_refresh"  # the code before issue 19
ASK_AGAIN = 4.0  # live_progress.py's ASK_AGAIN_MS
SOON = 0.05  # its followSoon
TRIGGER = "$$STREAMLIT_INTERNAL_KEY_{}__events"  # a components v2 element's trigger widget
DONE = ("FINISHED_SUCCESSFULLY", "FINISHED_FRAGMENT_RUN_SUCCESSFULLY")


@dataclass
class Bar:
    """One live progress bar as the page keeps it (live_progress.py's `cards` map)."""

    state: str
    widget: str  # the element's id: its trigger is TRIGGER.format(widget)
    fragment: str
    drawn: int  # the data's `now`: a new value is a new drawing
    url: str
    wait: float


class LightPage:
    """One open page of the studio, driven over Streamlit's websocket."""

    def __init__(
        self, base: str, cookie: str, http: httpx.AsyncClient, keeps_same_request: bool = True
    ):
        self.base = base.rstrip("/")
        # live_progress.py's followSoon keeps a held request that asks about the same
        # videos in the same states (not in the code before 2026-12-02: `keeps_same_request`)
        self.keeps_same_request = keeps_same_request
        self.asking: str | None = None
        self.ask_anew = False  # a bar was drawn since the last _follow_soon: ask anew
        self.cookie = cookie
        self.http = http
        self.socket: ClientConnection | None = None
        self.path = "/"
        self.main_hash = ""
        self.page_hash = ""
        self.pages: dict[str, str] = {}  # page name -> script hash
        self.buttons: dict[str, str] = {}  # label -> widget id
        self.widgets: dict[str, WidgetState] = {}
        self.widget_page: dict[str, str] = {}  # widget id -> the script that drew it
        self.run_fragments: tuple[str, ...] = ()
        self.run_widgets: set[str] = set()
        self.run_elements: set[str] = set()  # bars and followers drawn in this run
        self.runs_finished = 0
        self.finished = asyncio.Event()
        self.cards: set[str] = set()  # task ids of the cards drawn
        self.delivered: dict[str, float] = {}  # "/library/<file>.mp4" -> wall clock, s
        self.reruns_sent = 0
        self.held_requests = 0
        self.held_failed = 0  # answered with an error, or cut
        self.errors: list[str] = []
        # auto_rerun timers, by fragment
        self.timers: dict[str, asyncio.Task] = {}
        # live_progress: the bars, one held request, the cards waiting for their rerun
        self.bars: dict[str, Bar] = {}
        self.follower: asyncio.Task | None = None
        self.follow_again: asyncio.TimerHandle | None = None
        self.due: list[str] = []
        self.rerunning: tuple[str, float] | None = None
        # live_refresh (before issue 19): one follower, its element's fragment
        self.refresher: asyncio.Task | None = None
        self.refresh_fragment = ""
        self.reader: asyncio.Task | None = None
        self.closed = False

    # ----- opening ------------------------------------------------------------------------
    async def open(self) -> None:
        """The default page (Create), as a browser opens the studio's address."""
        headers = {"Cookie": self.cookie}
        for path in ("/", "/_stcore/health", "/_stcore/host-config"):
            (await self.http.get(self.base + path, headers=headers)).raise_for_status()
        self.socket = await connect(
            self.base.replace("http", "ws", 1) + "/_stcore/stream",
            origin=self.base,
            subprotocols=["streamlit"],
            additional_headers=headers,
            max_size=None,
            ping_interval=None,  # the browser's frontend sends no pings
        )
        self.reader = asyncio.create_task(self._read())
        await self._run_and_wait()

    async def go_to(self, name: str, path: str) -> None:
        """A click on `name` in the menu: the page's run, the other pages' widgets dropped."""
        self.page_hash = self.pages[name]
        self.widgets = {
            key: state
            for key, state in self.widgets.items()
            if self.widget_page.get(key) == self.main_hash
        }
        await self._run_and_wait()
        self.path = path

    async def _run_and_wait(self, pressed: WidgetState | None = None) -> None:
        before = self.runs_finished
        self.finished.clear()
        self.send_rerun(pressed=pressed)
        while self.runs_finished == before:
            await self.finished.wait()
            self.finished.clear()

    async def close(self) -> None:
        self.closed = True  # nothing new starts (a held request due in 50 ms, a rerun)
        if self.follow_again:
            self.follow_again.cancel()
        for task in [*self.timers.values(), self.follower, self.refresher, self.reader]:
            if task:
                task.cancel()
        if self.socket:
            await self.socket.close()

    # ----- what the page sends ------------------------------------------------------------
    async def press(self, label: str, texts: dict[str, str]) -> None:
        """Type `texts` (by widget key) and press the button whose label starts with
        `label`, as one rerun (a person typing, then clicking); back when it has run."""
        for key, text in texts.items():
            for widget_id in [w for w in self.widgets if w.endswith(f"-{key}")]:
                self.widgets[widget_id] = WidgetState(id=widget_id, string_value=text)
        button = next(i for shown, i in self.buttons.items() if shown.startswith(label))
        await self._run_and_wait(WidgetState(id=button, trigger_value=True))

    def send_rerun(
        self,
        fragment: str = "",
        trigger: tuple[str, str] | None = None,
        auto: bool = False,
        pressed: WidgetState | None = None,
    ) -> None:
        message = BackMsg()
        run = message.rerun_script
        for state in self.widgets.values():
            run.widget_states.widgets.append(state)
        if pressed is not None:
            run.widget_states.widgets.append(pressed)
        if trigger:
            widget, event = trigger
            state = run.widget_states.widgets.add()
            state.id = TRIGGER.format(widget)
            value = [{"event": event, "value": int(time.time() * 1000)}]
            state.json_trigger_value = json.dumps(value, separators=(",", ":"))
        if self.page_hash:
            run.page_script_hash = self.page_hash
        if fragment:
            run.fragment_id = fragment
        run.is_auto_rerun = auto
        info = run.context_info
        info.timezone, info.timezone_offset, info.locale = "UTC", 0, "en-US"
        info.url, info.is_embedded, info.color_scheme = self.base + self.path, False, "light"
        self.reruns_sent += 1
        asyncio.get_running_loop().create_task(self._send(message.SerializeToString()))

    async def _send(self, data: bytes) -> None:
        try:
            await self.socket.send(data)
        except Exception as exc:  # closed: said by the bench (errors), not raised here
            self.errors.append(f"send: {exc!r}")

    # ----- what the page receives ---------------------------------------------------------
    async def _read(self) -> None:
        try:
            async for data in self.socket:
                if isinstance(data, str):
                    continue
                at = time.time()
                for found in VIDEO.findall(data):
                    self.delivered.setdefault(found.decode(), at)
                message = ForwardMsg()
                message.ParseFromString(data)
                self._handle(message)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the connection closed: the bench says it (errors)
            self.errors.append(f"read: {exc!r}")

    def _handle(self, message: ForwardMsg) -> None:
        kind = message.WhichOneof("type")
        if kind == "new_session":
            self.main_hash = message.new_session.main_script_hash or self.main_hash
            self.run_fragments = tuple(message.metadata.run.fragment_ids)
            self.run_widgets, self.run_elements = set(), set()
            if not self.run_fragments:  # a run of the whole page: its timers start again
                for timer in self.timers.values():
                    timer.cancel()
                self.timers.clear()
        elif kind == "navigation":
            self.pages = {
                page.page_name: page.page_script_hash for page in message.navigation.app_pages
            }
        elif kind == "delta":
            self._delta(message)
        elif kind == "auto_rerun":
            fragment = message.auto_rerun.fragment_id
            if fragment in self.timers:
                self.timers[fragment].cancel()
            interval = message.auto_rerun.interval
            self.timers[fragment] = asyncio.create_task(self._every(fragment, interval))
        elif kind == "stop_auto_rerun":
            for fragment in message.stop_auto_rerun.fragment_ids:
                timer = self.timers.pop(fragment, None)
                if timer:
                    timer.cancel()
        elif kind == "script_finished":
            if ForwardMsg.ScriptFinishedStatus.Name(message.script_finished) in DONE:
                self._unmount()
            self.runs_finished += 1
            self.finished.set()

    def _delta(self, message: ForwardMsg) -> None:
        delta, script = message.delta, message.metadata.active_script_hash
        if delta.WhichOneof("type") == "add_block":
            found = CARD.search(delta.add_block.id)
            if found:
                self.cards.add(found.group(1))
            return
        if delta.WhichOneof("type") != "new_element":
            return
        element = delta.new_element
        kind = element.WhichOneof("type")
        if kind == "bidi_component":
            self._component(element.bidi_component, delta.fragment_id)
            return
        widget = getattr(element, kind)
        if not getattr(widget, "id", ""):
            return
        if kind == "button":
            self.buttons[widget.label] = widget.id
        state = _widget_state(kind, widget, self.widgets.get(widget.id))
        self.run_widgets.add(widget.id)
        if state is not None:
            self.widgets[widget.id] = state
            self.widget_page[widget.id] = script

    def _unmount(self) -> None:
        """After a run: what it did not draw again is gone (within its fragment, if one)."""
        whole = not self.run_fragments
        if whole:
            self.widgets = {k: v for k, v in self.widgets.items() if k in self.run_widgets}
        for task_id, bar in list(self.bars.items()):
            if task_id in self.run_elements or not (whole or bar.fragment in self.run_fragments):
                continue
            del self.bars[task_id]  # finished: its card no longer has a bar
            self._drawn_again(task_id)
            self._follow_soon(keep_same=True)
        gone = "refresh" not in self.run_elements
        if self.refresher and gone and (whole or self.refresh_fragment in self.run_fragments):
            self.refresher.cancel()
            self.refresher = None

    # ----- auto_rerun ---------------------------------------------------------------------
    async def _every(self, fragment: str, interval: float) -> None:
        while True:
            await asyncio.sleep(interval)
            self.send_rerun(fragment, auto=True)

    # ----- components ---------------------------------------------------------------------
    def _component(self, component: Any, fragment: str) -> None:
        if component.component_name == LIVE_PROGRESS:
            data = json.loads(component.json)
            self.run_elements.add(data["id"])
            before = self.bars.get(data["id"])
            same = before is not None and before.drawn == data["now"]
            self.bars[data["id"]] = Bar(
                data["state"], component.id, fragment, data["now"], data["url"], data["wait"]
            )
            if not same:
                self._drawn_again(data["id"])
                self._follow_soon()
        elif component.component_name == LIVE_REFRESH:
            data = json.loads(component.json)
            self.run_elements.add("refresh")
            if self.refresher:
                self.refresher.cancel()
            self.refresh_fragment = fragment
            self.refresher = asyncio.create_task(self._refresh(data, component.id, fragment))

    # live_progress.py's rerunNext / drawnAgain / follow / followSoon
    def _rerun_next(self) -> None:
        if self.closed:
            return
        now = time.monotonic()
        if self.rerunning and now - self.rerunning[1] < ASK_AGAIN:
            return
        if self.rerunning and self.rerunning[0] in self.bars:
            self.due.insert(0, self.rerunning[0])  # lost: again
        self.rerunning = None
        while self.due and not self.rerunning:
            task_id = self.due.pop(0)
            bar = self.bars.get(task_id)
            if not bar:
                continue
            self.rerunning = (task_id, now)
            self.send_rerun(bar.fragment, trigger=(bar.widget, "changed"))
            asyncio.get_running_loop().call_later(ASK_AGAIN + 0.01, self._rerun_next)

    def _drawn_again(self, task_id: str) -> None:
        if self.rerunning and self.rerunning[0] == task_id:
            self.rerunning = None
            self._rerun_next()

    def _follow_soon(self, keep_same: bool = False) -> None:
        if not keep_same:
            self.ask_anew = True
        if self.follow_again:
            self.follow_again.cancel()
        self.follow_again = asyncio.get_running_loop().call_later(SOON, self._follow)

    def _follow(self) -> None:
        if self.closed:
            return
        same = self.asking is not None and self.asking == _asking_for(self._followed())
        anew, self.ask_anew = self.ask_anew, False
        if self.keeps_same_request and same and not anew:
            return  # a bar gone: the held request under way asks about the same
        if self.follower:
            self.follower.cancel()
        self.follower = asyncio.create_task(self._held())

    def _followed(self) -> list[tuple[str, Bar]]:
        waiting = self.rerunning[0] if self.rerunning else None
        return [
            (task_id, bar)
            for task_id, bar in self.bars.items()
            if task_id != waiting and task_id not in self.due
        ]

    async def _held(self) -> None:
        mine = asyncio.current_task()
        while True:
            followed = self._followed()
            if not followed:
                if not self.bars:
                    return
                await asyncio.sleep(0.5)
                continue
            url, wait = followed[0][1].url, followed[0][1].wait
            held = ASK_AGAIN if len(followed) < len(self.bars) else wait
            try:
                self.held_requests += 1
                query = self.asking = _asking_for(followed)
                try:
                    reply = await self.http.get(
                        f"{self.base}{url}?{query}&wait={held:g}",
                        headers={"Cookie": self.cookie},
                    )
                finally:
                    if self.follower is mine:
                        self.asking = None
                if reply.status_code != 200:
                    self.held_failed += 1
                    await asyncio.sleep(1)
                    continue
                for task_id in reply.json()["changed"]:
                    if task_id not in self.due and task_id != (
                        self.rerunning[0] if self.rerunning else None
                    ):
                        self.due.append(task_id)
                self._rerun_next()
            except httpx.HTTPError:
                self.held_failed += 1
                await asyncio.sleep(1)  # the studio is restarting: ask again

    # live_refresh.py's follower (the code before issue 19)
    async def _refresh(self, data: dict, widget: str, fragment: str) -> None:
        deadline = time.monotonic() + data["every_ms"] / 1000
        ids = quote(",".join(data["ids"]), safe="")
        while time.monotonic() < deadline:
            wait = f"{deadline - time.monotonic():.2f}"
            try:
                self.held_requests += 1
                reply = await self.http.get(
                    f"{self.base}{data['url']}?ids={ids}&wait={wait}",
                    headers={"Cookie": self.cookie},
                )
                if reply.status_code == 200 and reply.json().get("changed"):
                    break
                if reply.status_code != 200:
                    self.held_failed += 1
                    await asyncio.sleep(0.5)
            except httpx.HTTPError:
                self.held_failed += 1
                await asyncio.sleep(0.5)
        self.send_rerun(fragment, trigger=(widget, "due"))


def _asking_for(followed: Sequence[tuple[str, Bar]]) -> str:
    """live_progress.py's askingFor: a held request's query, the cards' ids and the
    states they were drawn in."""
    ids = ",".join(task_id for task_id, _ in followed)
    states = quote(",".join(bar.state for _, bar in followed), safe="")
    return f"ids={ids}&states={states}"


def keeps_same_request(root: Path) -> bool:
    """Whether the page script of the checkout at `root` keeps a held request that asks
    about the same videos in the same states (from 2026-12-02), so that its light pages
    do as its browser's do."""
    script = root / "lib" / "ui" / "live_progress.py"
    return not script.exists() or "askingFor" in script.read_text()


def _widget_state(kind: str, widget: Any, before: WidgetState | None) -> WidgetState | None:
    """The value the frontend keeps for a widget just drawn (None: it keeps none)."""
    state = WidgetState(id=widget.id)
    has = getattr(widget, "set_value", False)
    if kind in ("text_input", "text_area"):
        if has:
            state.string_value = widget.value
        elif before is not None:
            return before
        else:
            state.string_value = widget.default
    elif kind in ("selectbox", "radio"):
        if has:
            state.string_value = widget.raw_value
        elif before is not None:
            return before
        elif widget.HasField("default") and widget.options:
            state.string_value = widget.options[widget.default]
        else:
            return None
    elif kind == "checkbox":
        if before is not None and not has:
            return before
        state.bool_value = widget.value if has else widget.default
    elif kind == "multiselect":
        if has:
            state.string_array_value.data.extend(widget.raw_values)
        elif before is not None:
            return before
        else:
            state.string_array_value.data.extend(widget.options[i] for i in widget.default)
    elif kind == "button_group":
        if has:
            state.string_array_value.data.extend(widget.raw_values)
        elif before is not None:
            return before
        else:
            return None
    elif kind == "number_input":
        if before is not None and not has:
            return before
        value = widget.value if has else widget.default
        if widget.data_type == type(widget).INT:
            state.int_value = int(value)
        else:
            state.double_value = value
    else:
        return None  # buttons and the like: triggers, sent only when pressed
    return state


class LightClient:
    """Light pages on one asyncio loop in a thread of its own (the caller stays
    synchronous, beside Playwright's)."""

    def __init__(self, base: str, cookie_name: str, person: str, keeps_same_request: bool = True):
        self.base = base
        self.keeps_same_request = keeps_same_request
        self.cookie = f"{cookie_name}={quote(person)}"
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True, name="light")
        self.thread.start()
        self.http = self.call(self._client())

    async def _client(self) -> httpx.AsyncClient:
        # Each page's held request on its own connection, as each tab's would be.
        limits = httpx.Limits(max_connections=None, max_keepalive_connections=None)
        return httpx.AsyncClient(timeout=60, limits=limits)

    def call(self, coroutine: Coroutine, timeout: float = 300) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def open(self, count: int) -> list[LightPage]:
        """`count` pages on the default page (Create), opened one after the other."""

        async def opening() -> list[LightPage]:
            pages = []
            for _ in range(count):
                page = LightPage(self.base, self.cookie, self.http, self.keeps_same_request)
                await page.open()
                pages.append(page)
            return pages

        return self.call(opening())

    def go_to(self, pages: Sequence[LightPage], name: str, path: str) -> None:
        """Each page to `name`, as if clicked at once; back when each has run it."""

        async def going() -> None:
            await asyncio.gather(*(page.go_to(name, path) for page in pages))

        self.call(going())

    def close(self, pages: Sequence[LightPage]) -> None:
        async def closing() -> None:
            await asyncio.gather(*(page.close() for page in pages), return_exceptions=True)

        self.call(closing())

    def stop(self) -> None:
        self.call(self.http.aclose())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
