"""Roles, the allow-list, the roles the settings give, and budget amounts as typed."""

from __future__ import annotations

import pytest

from lib.domain.access import (
    Actor,
    NotAllowed,
    Role,
    allowed_email,
    check_acts_on,
    check_admin,
    check_can_spend,
    role_from_settings,
)
from lib.domain.budgets import BadAmount, parse_cap_usd, parse_warn_percent


def test_the_allow_list_takes_addresses_and_domains():
    allow = ("example.com", "@partner.example", "ana@elsewhere.example")
    assert allowed_email("Member@Example.com", allow)
    assert allowed_email("bo@partner.example", allow)
    assert allowed_email("ana@elsewhere.example", allow)
    assert not allowed_email("eve@elsewhere.example", allow)
    assert not allowed_email("eve@notexample.com", allow)
    assert not allowed_email("example.com", allow)  # not an address
    assert not allowed_email(None, allow)
    assert allowed_email("anyone@anywhere.example", ())


def test_settings_make_admins_by_email_or_group_and_viewers_by_group():
    admins, groups, viewers = ("boss@example.com",), ("studio-admins",), ("studio-viewers",)
    assert role_from_settings("BOSS@example.com", [], admins, groups, viewers) == Role.ADMIN
    assert role_from_settings("a@example.com", ["studio-admins"], admins, groups) == Role.ADMIN
    assert role_from_settings("v@example.com", ["studio-viewers"], admins, groups, viewers) == (
        Role.VIEWER
    )
    assert role_from_settings("m@example.com", ["marketing"], admins, groups, viewers) is None


def test_each_role_may_do_what_it_may_and_no_more():
    admin = Actor("a1", "Alex", Role.ADMIN)
    member = Actor("m1", "Mia", Role.MEMBER)
    viewer = Actor("v1", "Vic", Role.VIEWER)
    assert check_can_spend(member) is member and check_can_spend(admin) is admin
    for nobody_or_viewer in (None, viewer):
        with pytest.raises(NotAllowed):
            check_can_spend(nobody_or_viewer)
    assert check_acts_on(member, "m1", "Mia", "video.cancel") is member
    with pytest.raises(NotAllowed, match="only cancel or retry your own"):
        check_acts_on(member, "a1", "Alex", "video.cancel")
    assert check_acts_on(admin, "m1", "Mia", "video.cancel") is admin
    with pytest.raises(NotAllowed, match="Viewers"):
        check_acts_on(viewer, "v1", "Vic", "video.retry")
    assert check_admin(admin) is admin
    for other in (None, member, viewer):
        with pytest.raises(NotAllowed, match="Only admins"):
            check_admin(other)


@pytest.mark.parametrize(
    "typed, quota",
    [("10", 5_000_000), ("$12.50", 6_250_000), ("1,000", 500_000_000), ("0", 0), ("", None)],
)
def test_a_budget_is_read_in_dollars(typed, quota):
    assert parse_cap_usd(typed) == quota


@pytest.mark.parametrize(
    "typed, words",
    [
        ("-5", "cannot be negative"),
        ("ten", "amount in dollars"),
        ("NaN", "amount in dollars"),
        ("inf", "amount in dollars"),
        ("1e30", "at most $1,000,000"),
        ("=1+1", "amount in dollars"),
    ],
)
def test_a_budget_that_is_not_an_amount_is_refused_with_words(typed, words):
    with pytest.raises(BadAmount, match=words.replace("$", r"\$")):
        parse_cap_usd(typed)


def test_the_warning_threshold_falls_back_to_80_percent():
    assert parse_warn_percent("90") == 90
    assert parse_warn_percent("0") == parse_warn_percent("abc") == parse_warn_percent(None) == 80
