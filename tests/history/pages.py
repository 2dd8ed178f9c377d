"""Driving History under AppTest, and reading what it shows."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from streamlit.runtime.scriptrunner_utils.script_requests import RerunData
from streamlit.testing.v1 import AppTest, local_script_runner

from lib.engine.runtime import set_current
from lib.ui.live_progress import COMPONENT
from tests.studio_harness import STUDIO, RunningStudio, running_studio


def history(who: str | None = "Ana", **query: str) -> AppTest:
    at = AppTest.from_file(STUDIO, default_timeout=30)
    at.switch_page("views/history.py")
    if who:
        at.session_state["who"] = who
    for name, value in query.items():
        at.query_params[name] = value
    return run(at)


def run(at: AppTest) -> AppTest:
    at.run()
    assert not at.exception, at.exception
    return at


def shown(at: AppTest) -> list[str]:
    """The task ids of the cards on screen, in order (each card has "use these settings")."""
    keys = [b.key or "" for b in at.button]
    return [key.removeprefix("reuse-") for key in keys if key.startswith("reuse-")]


def texts(elements) -> list[str]:
    return [e.value for e in elements]


def status_lines(at: AppTest) -> list[str]:
    """The bold status line of each finished card."""
    return [m.value.strip("*") for m in at.markdown]


def html_of(at: AppTest) -> str:
    return "\n".join(texts(at.html))


def on_page(at: AppTest) -> str:
    """The file of the page the last run finished on."""
    return at._registered_pages[at._finished_page_script_hash]["script_path"]


def linked_page(at: AppTest, link) -> str:
    """The file of the page a st.page_link leads to."""
    return at._registered_pages[link.proto.page_script_hash]["script_path"]


def studio_with(tmp_path: Path, **wave_changes):
    """A running studio with other embedded-API settings, as the pages' current()."""

    class Started:
        def __enter__(self) -> RunningStudio:
            self.context = running_studio(tmp_path / "studio", wave_changes=wave_changes)
            running = self.context.__enter__()
            set_current(running.studio)
            return running

        def __exit__(self, *exc) -> None:
            set_current(None)
            self.context.__exit__(*exc)

    return Started()


@dataclass(frozen=True)
class Bar:
    """A live progress bar as the page first draws it (lib/ui/live_progress.py)."""

    task_id: str
    state: str
    value: int
    text: str
    data: dict


def bars(at: AppTest) -> list[Bar]:
    """The live progress bars on screen, in order."""
    found = [e.proto for e in at.get("bidi_component")]
    found = [json.loads(p.json) for p in found if p.component_name == COMPONENT]
    return [Bar(d["id"], d["state"], d["bar"]["percent"], d["bar"]["words"], d) for d in found]


def fragments(at: AppTest) -> list[str]:
    """The ids of the fragments the last full run drew, in order."""
    return list(at._fragment_storage._fragments)


def rerun_fragment(at: AppTest, fragment_id: str, monkeypatch) -> AppTest:
    """Run one fragment alone, as the browser asks when an element in it calls for a rerun
    (AppTest itself only runs the whole page). What the run draws is all `at` then shows."""
    with monkeypatch.context() as patch:
        rerun = partial(RerunData, fragment_id=fragment_id, fragment_id_queue=[fragment_id])
        patch.setattr(local_script_runner, "RerunData", rerun)
        return run(at)
