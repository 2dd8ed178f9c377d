"""Money per approved video (issue 17): per campaign, the spend of every take (failed and
rejected ones included) over the approved count, reconciled with the store's own rows,
and the Costs page's tab that shows it."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from streamlit.testing.v1 import AppTest

from lib.costs.approved import per_approved
from lib.domain.access import Actor, Role
from lib.domain.money import quota_to_usd, round_usd
from lib.domain.statuses import TERMINAL_STATUSES
from lib.review.states import change_review
from lib.store.team import name_login
from tests.factories import PRICE, make, reply
from tests.studio_harness import STUDIO


def takes(store):
    boss = store.account_for(name_login("Bea"), "Bea", Role.ADMIN, datetime.now(UTC))
    admin = Actor(boss.id, "Bea", Role.ADMIN)
    good = [make(store, "archived", campaign="Spring") for _ in range(3)]
    make(store, "failed", campaign="Spring")  # cost nothing
    charged = make(store, "queued", campaign="Spring")  # refused by the rules, charged
    error = {"code": "content_policy_violation", "message": "blocked"}
    reply(store, charged, "failed", at=datetime.now(UTC), cost=5000, error=error)
    make(store, "archived", campaign="Autumn")
    change_review(store, admin, good[:2], "approved")
    change_review(store, admin, good[2:], "changes", "too dark")
    return good


def test_cost_per_approved_video_reconciles_with_the_store(studio):
    studio.studio.tracker.stop()
    store = studio.studio.store
    takes(store)
    rows = {row.campaign: row for row in per_approved(store)}
    spring = rows["Spring"]
    in_store = [t for t in store.tasks() if t.campaign == "Spring"]
    assert all(t.status in TERMINAL_STATUSES for t in in_store)
    assert spring.spend_quota == sum(t.cost_quota or 0 for t in in_store) == 3 * PRICE + 5000
    assert (spring.takes, spring.approved) == (5, 2)
    assert spring.per_approved_usd == quota_to_usd(3 * PRICE + 5000) / 2
    assert rows["Autumn"].approved == 0 and rows["Autumn"].per_approved_usd is None

    at = AppTest.from_file(STUDIO, default_timeout=30)
    at.switch_page("views/costs.py")
    at.session_state["who"] = "Ana"
    at.run()
    assert not at.exception, at.exception
    assert "Per approved video" in [tab.label for tab in at.tabs]
    shown = next(d.value for d in at.dataframe if "Per approved video" in d.value.columns)
    spring_row = shown[shown["Campaign"] == "Spring"].iloc[0]
    expected = round_usd(quota_to_usd(3 * PRICE + 5000) / 2)
    assert Decimal(str(spring_row["Per approved video"])) == expected
    assert int(spring_row["Approved"]) == 2
