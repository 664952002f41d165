"""Group targeting without loading the groups: a user's groups are asked for once per
user and change stamp, and remembered in a bounded memory."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client, override_settings
from model_bakery import baker

from maintenance_waffle.conf import get_config
from maintenance_waffle.state import Membership, state
from tests.rows import set_flag, table_gone, targeted_flag

pytestmark = pytest.mark.django_db


@pytest.fixture
def beta() -> Group:
    """A group the targeted flag puts into maintenance."""
    group: Group = baker.make(Group, name="beta")
    flag = set_flag(targeted_flag(), everyone=None)
    flag.groups.add(group)
    return group


def member(group: Group) -> User:
    user: User = baker.make(User)
    user.groups.add(group)
    return user


def test_a_member_is_asked_for_once_then_remembered(
    beta: Group, client: Client, django_assert_num_queries: Any
) -> None:
    user = member(beta)
    client.force_login(user)
    assert client.get("/").status_code == 503  # the state read, the user's groups

    # Django's session and user, and nothing of ours.
    with django_assert_num_queries(2):
        assert client.get("/").status_code == 503


def test_a_request_of_a_member_costs_one_query_of_ours(
    beta: Group, client: Client, django_assert_num_queries: Any
) -> None:
    client.force_login(member(beta))
    state.get(get_config())

    # Django's session and user, and the member's groups.
    with django_assert_num_queries(3):
        assert client.get("/").status_code == 503


def test_non_members_and_anonymous_visitors_are_served(beta: Group, client: Client) -> None:
    client.force_login(baker.make(User))
    assert client.get("/").status_code == 200
    client.logout()
    assert client.get("/").status_code == 200


def test_joining_the_group_is_honoured_at_the_next_refresh(beta: Group, client: Client) -> None:
    user = baker.make(User)
    client.force_login(user)
    assert client.get("/").status_code == 200

    user.groups.add(beta)

    assert client.get("/").status_code == 503


def test_only_the_flags_groups_are_asked_for(django_assert_num_queries: Any) -> None:
    wanted, other = baker.make(Group, _quantity=2)
    user = member(wanted)
    user.groups.add(other)
    groups = Membership(frozenset({wanted.pk}), "default", 10)

    assert groups(user.pk) == {wanted.pk}
    with django_assert_num_queries(0):
        assert groups(user.pk) == {wanted.pk}
        assert Membership(frozenset(), "default", 10)(user.pk) == frozenset()


def test_the_memory_is_bounded_least_recently_asked_first(
    beta: Group, django_assert_num_queries: Any
) -> None:
    first, second, third = (member(beta) for _ in range(3))
    groups = Membership(frozenset({beta.pk}), "default", 2)
    groups(first.pk)
    groups(second.pk)
    groups(first.pk)  # now the most recent

    groups(third.pk)

    assert len(groups) == 2
    with django_assert_num_queries(0):
        groups(first.pk)
        groups(third.pk)
    with django_assert_num_queries(1):
        groups(second.pk)


@override_settings(MAINTENANCE_WAFFLE_MEMBERSHIP_CACHE_SIZE=0)
def test_a_size_of_zero_asks_every_time(beta: Group, django_assert_num_queries: Any) -> None:
    user = member(beta)
    rule = state.get(get_config()).flag
    assert rule is not None

    with django_assert_num_queries(2):
        assert rule.members(user.pk) == {beta.pk}
        assert rule.members(user.pk) == {beta.pk}


def test_a_failure_to_ask_is_logged_and_counts_as_no_group(
    beta: Group, caplog: pytest.LogCaptureFixture
) -> None:
    user = member(beta)
    groups = Membership(frozenset({beta.pk}), "default", 10)

    with table_gone("auth_user_groups"), caplog.at_level(logging.WARNING):
        assert groups(user.pk) == frozenset()

    assert "Could not read a user's groups" in caplog.text
    assert groups(user.pk) == {beta.pk}  # asked again, not remembered as none


def test_a_user_model_without_groups_has_none(settings: Any) -> None:
    settings.AUTH_USER_MODEL = "waffle.Switch"  # a model with no groups field

    assert Membership(frozenset({1}), "default", 10)(1) == frozenset()
