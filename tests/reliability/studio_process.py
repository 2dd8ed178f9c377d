"""The crash test's studio: `streamlit run app.py`, plus people pressing "Create".

    python -m tests.reliability.studio_process REQUESTS.json -- [streamlit run options]

Streamlit's own command line runs app.py exactly as `streamlit run app.py` does: its
lifespan builds the Studio from the environment (WAVE_API_KEY, WAVE_BASE_URL,
STUDIO_DATA_DIR, ...) and starts the one tracker. Beside it, a few threads send every
request of the JSON list through the Create page's own code (`submit_draft`, each with its
own idempotency key) as soon as the studio is up. A key the studio already holds is not
sent again (it returns the first task), so starting this again after a crash sends only
what was never stored: what a person would do by pressing the button again.

One thing differs from production: the provider here is plain http on this machine, and
the studio downloads videos only over https from the API's domain (see test_config.py
and the reliability tests of the media policy), so this process also allows the
provider's own origin.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

SUBMITTERS = 5  # people pressing the button at the same moment


def allow_the_local_provider() -> None:
    import lib.engine.runtime
    from lib.engine.archive import MediaUrlPolicy

    parts = urlsplit(os.environ["WAVE_BASE_URL"])
    origin = f"{parts.scheme}://{parts.netloc}"
    lib.engine.runtime.media_policy = lambda _config: MediaUrlPolicy(
        hosts=(), local_origins=(origin,)
    )


def press_create(requests_file: Path) -> None:
    """Wait for the studio's lifespan to finish starting, then send every request."""
    from lib.create.draft import Draft
    from lib.create.submit import submit_draft
    from lib.engine.runtime import current

    wanted = json.loads(requests_file.read_text())
    while True:
        try:
            studio = current()
            break
        except RuntimeError:
            time.sleep(0.05)

    def send(item: dict) -> None:
        draft = Draft(**item["draft"])
        try:
            result = submit_draft(studio, draft, item["person"], item["key"])
            print(f"create {item['key']}: {result}", flush=True)
        except Exception as exc:  # printed for the test's log; the test judges the outcome
            print(f"create {item['key']} raised {exc!r}", flush=True)

    with ThreadPoolExecutor(SUBMITTERS, thread_name_prefix="create") as pool:
        list(pool.map(send, wanted))
    print("create: every request handled", flush=True)


def main() -> None:
    requests_file = Path(sys.argv[1])
    streamlit_options = sys.argv[3:] if sys.argv[2:3] == ["--"] else sys.argv[2:]
    allow_the_local_provider()
    threading.Thread(target=press_create, args=(requests_file,), daemon=True).start()
    from streamlit.web import cli

    cli.main(["run", "app.py", *streamlit_options], prog_name="streamlit")


if __name__ == "__main__":
    main()
