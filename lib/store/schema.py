"""The studio's tables. Changes go through a new Alembic migration in `migrations/`
(tests check the migrations and these models agree), so existing rows are never lost."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from lib.domain.kits import KIT_NAME
from lib.domain.recipes import RECIPE_TITLE
from lib.domain.statuses import ArchiveState
from lib.domain.text_fields import CAMPAIGN, PERSON, SERVICE_ERROR_CODE, SERVICE_TASK_ID

# Stable constraint names, so that migrations can refer to them on every database.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator):
    """Stored as UTC, always read back as an aware UTC datetime (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored: give a UTC time")
        return value.astimezone(UTC).replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Task(Base):
    """One video: what was asked, by whom, what it cost, where it is now."""

    __tablename__ = "tasks"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # the studio's own id
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    wave_task_id: Mapped[str | None] = mapped_column(
        String(SERVICE_TASK_ID.max_length), unique=True
    )
    # submitting -> queued -> processing -> completed | failed | cancelled
    # (indexed first in ix_tasks_status_costs, below)
    status: Mapped[str] = mapped_column(String(16))
    progress: Mapped[int] = mapped_column(Integer, default=0)

    # What was asked (the request as sent, without callback details), and by whom.
    request: Mapped[dict[str, Any]] = mapped_column(JSON)
    model: Mapped[str] = mapped_column(String(64))
    mode: Mapped[str] = mapped_column(String(16))  # "text" or "image"
    prompt: Mapped[str] = mapped_column(Text, default="")
    aspect_ratio: Mapped[str | None] = mapped_column(String(8))
    resolution: Mapped[str] = mapped_column(String(8))
    duration: Mapped[int] = mapped_column(Integer)
    # Their lengths are the rules' (lib/domain/text_fields.py): what the form accepts fits.
    person: Mapped[str] = mapped_column(String(PERSON.max_length), index=True)
    campaign: Mapped[str] = mapped_column(String(CAMPAIGN.max_length), default="", index=True)
    # The account that made it (issue 16); `person` keeps the name shown, as it was then.
    account_id: Mapped[str | None] = mapped_column(ForeignKey("accounts.id"))

    # Money, in quota (500,000 = $1).
    estimate_quota: Mapped[int] = mapped_column(BigInteger)
    pre_consumed_quota: Mapped[int | None] = mapped_column(BigInteger)
    cost_quota: Mapped[int | None] = mapped_column(BigInteger)  # settled
    refunded_quota: Mapped[int | None] = mapped_column(BigInteger)
    # What the service's reply said of the money (`settled`, `refunded`); None before it
    # said, and for videos recorded before services sent it.
    billing_status: Mapped[str | None] = mapped_column(String(16))

    error_code: Mapped[str | None] = mapped_column(String(SERVICE_ERROR_CODE.max_length))
    error_message: Mapped[str | None] = mapped_column(Text)

    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    # The provider's link, and our own copy of the video.
    provider_video_url: Mapped[str | None] = mapped_column(Text)
    provider_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # none -> pending -> archived | link_expired | failed
    archive_state: Mapped[str] = mapped_column(String(16), default=ArchiveState.NONE)
    archive_attempts: Mapped[int] = mapped_column(Integer, default=0)
    archive_error: Mapped[str | None] = mapped_column(Text)
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    video_file: Mapped[str | None] = mapped_column(String(255))
    poster_file: Mapped[str | None] = mapped_column(String(255))
    video_bytes: Mapped[int | None] = mapped_column(BigInteger)
    video_width: Mapped[int | None] = mapped_column(Integer)
    video_height: Mapped[int | None] = mapped_column(Integer)
    video_seconds: Mapped[float | None] = mapped_column(Float)

    # The tracker's bookkeeping: when to look next, and who is looking (lease).
    tracking: Mapped[bool] = mapped_column(Boolean, default=True)
    next_check_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    api_calls: Mapped[int] = mapped_column(Integer, default=0)
    # The batch this take belongs to (issue 18's variations; lib/store/batches.py).
    batch_id: Mapped[str | None] = mapped_column(String(32), index=True)

    # Issue 18: the brand kit used, by id and by its name then (a later rename or delete
    # does not rewrite history), and the recipe the form was started from.
    kit_id: Mapped[str | None] = mapped_column(String(32))
    kit_name: Mapped[str] = mapped_column(String(KIT_NAME.max_length), default="")
    recipe_id: Mapped[str | None] = mapped_column(String(32), index=True)

    images: Mapped[list[TaskImage]] = relationship(
        back_populates="task", order_by="TaskImage.position", cascade="all, delete-orphan"
    )
    events: Mapped[list[TaskEvent]] = relationship(
        back_populates="task", order_by="TaskEvent.id", cascade="all, delete-orphan"
    )

    __table_args__ = (
        Index("ix_tasks_tracking_next_check_at", "tracking", "next_check_at"),
        # Status then time: "the newest finished videos" and History's status filter read
        # it in order. The other columns make it cover the Costs page: its sums are read
        # from this index alone, never from the wide rows (prompts, requests).
        Index(
            "ix_tasks_status_costs",
            "status",
            "created_at",
            "wave_task_id",
            "person",
            "campaign",
            "resolution",
            "duration",
            "estimate_quota",
            "pre_consumed_quota",
            "cost_quota",
            "refunded_quota",
            "model",
        ),
    )


class Asset(Base):
    """An uploaded reference image, cleaned and stored once by its SHA-256."""

    __tablename__ = "assets"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    ext: Mapped[str] = mapped_column(String(8))
    mime: Mapped[str] = mapped_column(String(32))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    original_name: Mapped[str] = mapped_column(String(255))
    uploaded_by: Mapped[str] = mapped_column(String(PERSON.max_length))
    account_id: Mapped[str | None] = mapped_column(ForeignKey("accounts.id"))  # issue 16
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    @property
    def file_name(self) -> str:
        return f"{self.sha256}.{self.ext}"


class TaskImage(Base):
    """A reference image of a task, in order: an uploaded asset or a pasted link."""

    __tablename__ = "task_images"

    task_id: Mapped[str] = mapped_column(
        ForeignKey("tasks.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    url: Mapped[str] = mapped_column(Text)
    asset_sha256: Mapped[str | None] = mapped_column(ForeignKey("assets.sha256"))

    task: Mapped[Task] = relationship(back_populates="images")
    # The checked picture (its size: the shape an image-to-video card takes while made).
    asset: Mapped[Asset | None] = relationship()


class TaskEvent(Base):
    """The status history of a task: what changed, when, and who said so."""

    __tablename__ = "task_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    task_id: Mapped[str] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(16))
    progress: Mapped[int] = mapped_column(Integer, default=0)
    # studio (the form), service (a GET or submit reply), callback (a hint), archive
    source: Mapped[str] = mapped_column(String(16))
    detail: Mapped[str | None] = mapped_column(Text)

    task: Mapped[Task] = relationship(back_populates="events")


# ----- the team (issue 16): accounts, budgets, the audit log -----------------------------
class Account(Base):
    """A person: a stable id, how they sign in (`login`), their e-mail and name, their
    role and whether they may sign in."""

    __tablename__ = "accounts"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    # "email:<address>" (sign-in or proxy), "header:<value>", "name:<typed name>"
    login: Mapped[str] = mapped_column(String(320), unique=True)
    email: Mapped[str | None] = mapped_column(String(320))
    name: Mapped[str] = mapped_column(String(PERSON.max_length))
    role: Mapped[str] = mapped_column(String(16))  # lib.domain.access.Role
    status: Mapped[str] = mapped_column(String(16), default="active")  # or "disabled"
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_sign_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Sessions (sign-in cookies) issued before this are refused: "sign out everywhere".
    signed_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Budget(Base):
    """A monthly cap: for the team, one person, each person (default) or one campaign."""

    __tablename__ = "budgets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    scope: Mapped[str] = mapped_column(String(16))  # lib.domain.budgets.Scope
    target: Mapped[str] = mapped_column(String(CAMPAIGN.max_length), default="")
    cap_quota: Mapped[int] = mapped_column(BigInteger)
    set_by: Mapped[str] = mapped_column(String(PERSON.max_length))
    set_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (UniqueConstraint("scope", "target", name="uq_budgets_scope_target"),)


class BudgetPass(Base):
    """An admin lets one video of this person through the caps; used by the next one."""

    __tablename__ = "budget_passes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    granted_by: Mapped[str] = mapped_column(String(PERSON.max_length))
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    task_id: Mapped[str | None] = mapped_column(String(32))


class AuditEvent(Base):
    """Who did (or tried) what, when: sign-ins, videos, budgets, roles, refusals."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    actor_id: Mapped[str | None] = mapped_column(String(32))
    actor_name: Mapped[str] = mapped_column(String(PERSON.max_length), default="")
    action: Mapped[str] = mapped_column(String(40), index=True)
    outcome: Mapped[str] = mapped_column(String(16))  # "done" or "refused"
    target: Mapped[str] = mapped_column(String(320), default="")
    detail: Mapped[str] = mapped_column(Text, default="")


class RecentSubmission(Base):
    """A click on Create, kept a few seconds: the same person sending the same settings
    again (a double click, a reload, a second tab on another server) gets the same
    idempotency key. In the store, so that every server sharing it agrees."""

    __tablename__ = "recent_submissions"

    digest: Mapped[str] = mapped_column(String(64), primary_key=True)  # person + request
    idempotency_key: Mapped[str] = mapped_column(String(64))
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class ClusterFact(Base):
    """What every server sharing the database must agree on, by name (e.g. a fingerprint
    of the callback secret): a server whose own value differs is told at start."""

    __tablename__ = "cluster_facts"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(255))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


# ----- review (issue 17): states, comments, favourites, review links ---------------------
class Review(Base):
    """A video's review state now (no row: a draft), who set it and when; every change
    is also in the audit log."""

    __tablename__ = "reviews"

    task_id: Mapped[str] = mapped_column(
        ForeignKey("tasks.id", ondelete="CASCADE"), primary_key=True
    )
    state: Mapped[str] = mapped_column(String(16), index=True)  # lib.domain.review.ReviewState
    reason: Mapped[str] = mapped_column(Text, default="")
    by_id: Mapped[str | None] = mapped_column(String(32))  # an account; None for a guest
    by_name: Mapped[str] = mapped_column(String(PERSON.max_length))
    by_guest: Mapped[bool] = mapped_column(Boolean, default=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime())


class Comment(Base):
    """A comment on a video: plain text, by an account or a guest of a review link, at a
    moment of the video when it starts with one ("0:04 the logo is cut")."""

    __tablename__ = "comments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    task_id: Mapped[str] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[str | None] = mapped_column(String(32))  # None for a guest
    author_name: Mapped[str] = mapped_column(String(PERSON.max_length))
    by_guest: Mapped[bool] = mapped_column(Boolean, default=False)
    text: Mapped[str] = mapped_column(Text)
    at_seconds: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class TaskParent(Base):
    """Where a video came from: a retry of a failed one (issue 17); variations and
    restyles (issue 18) join with their own `kind`."""

    __tablename__ = "task_parents"

    task_id: Mapped[str] = mapped_column(
        ForeignKey("tasks.id", ondelete="CASCADE"), primary_key=True
    )
    parent_id: Mapped[str] = mapped_column(String(32), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # "retry"


class ReviewLink(Base):
    """A review link for people without an account: only the SHA-256 of its token is
    kept (the link itself is shown once, to its sharer). It shares one video, a selection
    (`task_ids`) or a whole campaign, until it expires or is withdrawn."""

    __tablename__ = "review_links"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    scope: Mapped[str] = mapped_column(String(16))  # "video", "selection" or "campaign"
    campaign: Mapped[str] = mapped_column(String(CAMPAIGN.max_length), default="")
    task_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    title: Mapped[str] = mapped_column(String(200), default="")
    allow_comments: Mapped[bool] = mapped_column(Boolean, default=True)
    allow_approval: Mapped[bool] = mapped_column(Boolean, default=False)
    show_prompts: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by_id: Mapped[str | None] = mapped_column(String(32))
    created_by_name: Mapped[str] = mapped_column(String(PERSON.max_length))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    opens: Mapped[int] = mapped_column(Integer, default=0)
    last_opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Favourite(Base):
    """A video one person marked as a favourite (each person has their own)."""

    __tablename__ = "favourites"

    account_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    task_id: Mapped[str] = mapped_column(
        ForeignKey("tasks.id", ondelete="CASCADE"), primary_key=True
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime())


class HiddenVideo(Base):
    """A video hidden from History by its maker or an admin (still counted in Costs);
    an admin restores it by removing the row."""

    __tablename__ = "hidden_videos"

    task_id: Mapped[str] = mapped_column(
        ForeignKey("tasks.id", ondelete="CASCADE"), primary_key=True
    )
    by_id: Mapped[str | None] = mapped_column(String(32))
    by_name: Mapped[str] = mapped_column(String(PERSON.max_length))
    at: Mapped[datetime] = mapped_column(UTCDateTime())


# ----- running monthly spend (issue 16's budgets, kept rather than summed) ----------------
class MonthSpend(Base):
    """What a scope has spent in a calendar month (UTC): settled charges plus money held
    for videos still being made, moved in the same transactions as the tasks' money
    (lib/store/month_spend.py), so that the budget check reads a row, not a month."""

    __tablename__ = "month_spend"

    month: Mapped[str] = mapped_column(String(7), primary_key=True)  # "2026-12"
    scope: Mapped[str] = mapped_column(String(16), primary_key=True)  # team|person|campaign
    # "" (team), an account id (person), a campaign's name (campaign)
    target: Mapped[str] = mapped_column(String(CAMPAIGN.max_length), primary_key=True)
    spent_quota: Mapped[int] = mapped_column(BigInteger, default=0)


# ----- brand kits and the shared prompt library (issue 18) -------------------------------
class KitRow(Base):
    """A brand kit (lib/domain/kits.py): set by admins, picked on Create."""

    __tablename__ = "kits"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(KIT_NAME.max_length), unique=True)
    before_words: Mapped[str] = mapped_column(Text, default="")
    after_words: Mapped[str] = mapped_column(Text, default="")
    banned: Mapped[list[str]] = mapped_column(JSON, default=list)
    model: Mapped[str | None] = mapped_column(String(64))
    aspect_ratio: Mapped[str | None] = mapped_column(String(8))
    resolution: Mapped[str | None] = mapped_column(String(8))
    duration: Mapped[int | None] = mapped_column(Integer)
    pictures: Mapped[list[str]] = mapped_column(JSON, default=list)  # asset sha256s
    updated_by: Mapped[str] = mapped_column(String(PERSON.max_length), default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Recipe(Base):
    """A saved Create form: prompt and settings, pictures and kit, a title and tags."""

    __tablename__ = "recipes"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    title: Mapped[str] = mapped_column(String(RECIPE_TITLE.max_length))
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    # mode, prompt, model, aspect_ratio, resolution, duration, campaign
    settings: Mapped[dict[str, Any]] = mapped_column(JSON)
    pictures: Mapped[list[str]] = mapped_column(JSON, default=list)  # asset sha256s
    kit_id: Mapped[str | None] = mapped_column(String(32))
    author_id: Mapped[str | None] = mapped_column(String(32))
    author_name: Mapped[str] = mapped_column(String(PERSON.max_length))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


# ----- batches (issue 18): many takes from one press on Create ---------------------------
class Batch(Base):
    """One press of "Make N takes": its takes are tasks with this `batch_id`, stored in
    the same transaction as this row (all or none), each with its own idempotency key."""

    __tablename__ = "batches"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    # The press's key: the same press again (a double click, a reload) finds this batch.
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(Text)  # the first take's prompt, for "12 takes of …"
    person: Mapped[str] = mapped_column(String(PERSON.max_length))
    account_id: Mapped[str | None] = mapped_column(String(32))
    campaign: Mapped[str] = mapped_column(String(CAMPAIGN.max_length), default="")
    takes: Mapped[int] = mapped_column(Integer)
    estimate_quota: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
