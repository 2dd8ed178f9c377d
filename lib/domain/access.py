"""Who may do what: the three roles, the person acting (`Actor`) and the checks every
action makes on the server (lib/engine, lib/history, lib/team), whatever the page shows.

Viewers see everything but spend nothing; members make, cancel and retry their own
videos; admins act on anyone's, set budgets and roles, and read the audit log."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    MEMBER = "member"
    VIEWER = "viewer"


ROLE_WORDS = {
    Role.ADMIN: "Admin",
    Role.MEMBER: "Member",
    Role.VIEWER: "Viewer",
}


class NotAllowed(Exception):
    """An action this person's role does not allow. The message is for them."""

    def __init__(self, message: str, action: str = ""):
        super().__init__(message)
        self.action = action


@dataclass(frozen=True)
class Actor:
    """The person acting: their account's id (None: not in the store yet, resolved by
    name when their first video is recorded), the name shown, their e-mail when a sign-in
    gave one, and their role."""

    account_id: str | None
    name: str
    role: Role = Role.MEMBER
    email: str | None = None
    verified: bool = False  # the name or e-mail came from a sign-in, not typed

    @classmethod
    def member(cls, name: str) -> Actor:
        """A person known only by name (open mode, tests, benchmarks): a member."""
        return cls(None, name, Role.MEMBER)

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def can_spend(self) -> bool:
        return self.role in (Role.ADMIN, Role.MEMBER)

    def owns(self, owner_id: str | None, owner_name: str) -> bool:
        """Whether a video with this owner is this person's own."""
        if owner_id is not None and self.account_id is not None:
            return owner_id == self.account_id
        return owner_name == self.name


VIEWER_CANNOT_SPEND = (
    "Viewers can watch every video but cannot make or try videos again. "
    "Ask an admin to make you a member."
)
# The cookie where a browser remembers the name typed in open mode (the sidebar writes
# it, lib/ui/identity.py; the HTTP routes read it to say who downloaded, unverified).
NAME_COOKIE = "imagine_studio_name"
NOT_YOURS = "You can only cancel or retry your own videos; an admin can act on anyone's."
ADMINS_ONLY = "Only admins can open this page."


def check_can_spend(actor: Actor | None, action: str = "video.create") -> Actor:
    """Refuse nobody, and viewers, at any action that spends money."""
    if actor is None:
        raise NotAllowed("Sign in first: the studio needs to know who is acting.", action)
    if not actor.can_spend:
        raise NotAllowed(VIEWER_CANNOT_SPEND, action)
    return actor


def check_acts_on(
    actor: Actor | None,
    owner_id: str | None,
    owner_name: str,
    action: str,
    refusal: str = NOT_YOURS,
) -> Actor:
    """A member acts on their own videos only; an admin on anyone's; a viewer on none."""
    actor = check_can_spend(actor, action)
    if actor.is_admin or actor.owns(owner_id, owner_name):
        return actor
    raise NotAllowed(refusal, action)


def check_admin(
    actor: Actor | None, action: str = "admin.open", refusal: str = ADMINS_ONLY
) -> Actor:
    if actor is None or not actor.is_admin:
        raise NotAllowed(refusal, action)
    return actor


# ----- sign-in ----------------------------------------------------------------------
def issued_at(value: object) -> datetime | None:
    """A sign-in's `iat` claim (seconds since 1970) as a UTC time; None if it is not one."""
    try:
        return datetime.fromtimestamp(int(value), UTC)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def session_revoked(issued: datetime | None, signed_out_at: datetime | None) -> bool:
    """A sign-in session from before the account's last sign-out (or of unknown age,
    once there was one) is refused: Streamlit's cookie is not kept on any server, so
    without this a copy of it would outlive the sign-out."""
    if signed_out_at is None:
        return False
    return issued is None or issued <= signed_out_at


class SignIn(StrEnum):
    """How the studio knows who someone is (STUDIO_SIGN_IN): exactly one at a time."""

    OIDC = "oidc"  # Streamlit's st.login with an OpenID Connect provider
    HEADER = "header"  # a trusted header set by an authenticating proxy
    OPEN = "open"  # a typed name, not verified (demo mode, or switched on)
    NONE = "none"  # a real key and no sign-in configured: nobody can spend


def allowed_email(email: str | None, allow_list: tuple[str, ...]) -> bool:
    """Whether an e-mail passes the allow-list: an entry is an address
    (ana@example.com) or a domain (example.com or @example.com). Empty: everyone."""
    if not allow_list:
        return True
    address = (email or "").strip().lower()
    if "@" not in address:
        return False
    domain = address.rsplit("@", 1)[1]
    for entry in (e.strip().lower() for e in allow_list):
        if "@" in entry.lstrip("@"):  # an address
            if entry == address:
                return True
        elif entry.lstrip("@") == domain:  # a domain
            return True
    return False


def role_from_settings(
    email: str | None,
    groups: list[str] | tuple[str, ...],
    admin_emails: tuple[str, ...],
    admin_groups: tuple[str, ...],
    viewer_groups: tuple[str, ...] = (),
) -> Role | None:
    """The role the settings give (admins by e-mail or group claim, viewers by group);
    None: the role kept in the store decides."""
    address = (email or "").strip().lower()
    if address and address in {e.strip().lower() for e in admin_emails}:
        return Role.ADMIN
    if set(groups) & set(admin_groups):
        return Role.ADMIN
    if set(groups) & set(viewer_groups):
        return Role.VIEWER
    return None


# ----- review (issue 17) ------------------------------------------------------------
NOT_YOURS_TO_SEND = "You can only send your own videos to review; an admin can send anyone's."
ONLY_ADMINS_REVIEW = (
    "Only admins can approve a video or ask for changes. Send it to review and an admin "
    "will look at it."
)


def check_can_send_to_review(
    actor: Actor | None, owner_id: str | None, owner_name: str, action: str = "review.send"
) -> Actor:
    """The maker (a member or admin) sends their own videos; an admin anyone's."""
    return check_acts_on(actor, owner_id, owner_name, action, NOT_YOURS_TO_SEND)


def check_can_approve(actor: Actor | None, action: str = "review.approve") -> Actor:
    """Approving and asking for changes: the admin role only."""
    return check_admin(actor, action, ONLY_ADMINS_REVIEW)
