"""What a server checks at start when it may not be alone (issue 15): demo mode never
shares its database, every server sharing a database has the same callback secret, and
a stop (SIGTERM) hands the server's tasks over at once."""

from __future__ import annotations

import hashlib
import logging
import signal
import threading
from datetime import UTC, datetime

from sqlalchemy.engine import make_url

from lib.config import StudioConfig
from lib.engine.runtime import Studio
from lib.store.presence import DatabaseClaim, DatabaseShared, alone_on

log = logging.getLogger("imagine_studio")
SECRET_FACT = "callback_secret_fingerprint"


class CannotStart(Exception):
    """A setting makes this server unsafe to run beside the others: the message says
    what to change."""


def claim_database(studio: Studio) -> DatabaseClaim:
    """Register this server on its database; refuse demo mode on a shared one."""
    config = studio.config
    where = _database_words(config)
    engine = studio.store.engine
    if alone_on(engine):
        # Nobody else is running: leases left behind are a crashed server's (this one's,
        # before a restart). Its tasks are taken back now, not when the leases run out.
        released = studio.store.release_every_lease()
        if released:
            log.info(
                "no other server is running: %d task(s) left by a stopped one resumed", released
            )
    try:
        return DatabaseClaim(engine, exclusive=config.uses_embedded)
    except DatabaseShared:
        pass
    if config.uses_embedded:
        raise CannotStart(
            f"Demo mode cannot share its database, and another studio server is using "
            f"{where} already. In demo mode each server makes its practice videos itself, "
            "so the others could not follow them. Set WAVE_API_KEY on every server to "
            "share a database, or give this server its own STUDIO_DATA_DIR."
        )
    raise CannotStart(
        f"A studio server in demo mode is using {where}, and demo mode cannot share its "
        "database. Stop it (or give it its own STUDIO_DATA_DIR) before starting this one."
    )


def check_callback_secret(studio: Studio) -> None:
    """Callbacks may reach any server, so all must have the same secret: loud when it
    comes from the data folder on a shared database, refused when it differs from the
    one the other servers use (only a fingerprint is kept in the database)."""
    config = studio.config
    if not config.shared_database:
        return  # one SQLite file: one machine, one data folder, one secret file
    mine = fingerprint(config.callback_secret)
    theirs = studio.store.cluster_fact(SECRET_FACT)
    if config.callback_secret_source == "data folder":
        log.warning(
            "%s\nThe callback secret comes from this server's data folder, but the database "
            "is shared: set STUDIO_CALLBACK_SECRET to the same value on every server, or "
            "callbacks that reach another server are refused.\n%s",
            "!" * 72,
            "!" * 72,
        )
        if theirs is not None and theirs != mine:
            raise CannotStart(
                "This server's callback secret (made in its data folder) differs from the "
                "one the other servers sharing the database use, so their callbacks would "
                "be refused here. Set STUDIO_CALLBACK_SECRET to the same value on every "
                "server (see docs/deploy.md)."
            )
    if theirs != mine:
        studio.store.set_cluster_fact(SECRET_FACT, mine, datetime.now(UTC))


def fingerprint(secret: str) -> str:
    """Enough to tell two secrets apart; nothing to learn the secret from."""
    return hashlib.sha256(f"imagine-studio callback secret|{secret}".encode()).hexdigest()[:16]


def hand_over_on_stop(studio: Studio) -> None:
    """On SIGTERM/SIGINT, release this server's tasks at once (another server takes them
    now, not when the leases run out), then let the web server stop as it does."""
    if threading.current_thread() is not threading.main_thread():
        log.warning("not the main thread: a stop will not hand this server's tasks over early")
        return  # signal handlers can only be set from the main thread
    for number in (signal.SIGTERM, signal.SIGINT):
        previous = signal.getsignal(number)

        def handler(signum, frame, previous=previous) -> None:
            log.info("signal %s: stopping; this server's tasks go to the others", signum)
            # Off the signal handler: it writes to the database.
            threading.Thread(target=studio.tracker.hand_over, name="hand-over").start()
            if callable(previous):
                previous(signum, frame)

        signal.signal(number, handler)


def _database_words(config: StudioConfig) -> str:
    url = make_url(config.database_url)
    if url.get_backend_name() == "sqlite":
        return f"the data folder's database ({url.database})"
    return f"the database {url.database!r} on {url.host}"
