from __future__ import annotations

import pytest
from django.test import RequestFactory
from pytest_django import Settings
from waffle.testutils import override_flag, override_switch

from maintenance_waffle.context_processors import maintenance_mode


@pytest.mark.django_db
@pytest.mark.parametrize("value", [True, False])
def test_the_request_state_set_by_the_middleware_wins(rf: RequestFactory, value: bool) -> None:
    request = rf.get("/")
    request.maintenance_mode = value  # type: ignore[attr-defined]
    # The site-wide state says the opposite; the request's own state is what counts.
    with override_switch("maintenance_mode", active=not value):
        assert maintenance_mode(request) == {
            "maintenance_mode": value,
            "maintenance_read_only": False,
        }


@pytest.mark.django_db
@pytest.mark.parametrize("switch", [True, False])
def test_without_the_middleware_the_site_wide_state(rf: RequestFactory, switch: bool) -> None:
    with override_switch("maintenance_mode", active=switch):
        assert maintenance_mode(rf.get("/")) == {
            "maintenance_mode": switch,
            "maintenance_read_only": False,
        }


@pytest.mark.django_db
@pytest.mark.parametrize("setting", [True, False])
def test_without_the_middleware_the_setting_override(
    settings: Settings, rf: RequestFactory, setting: bool
) -> None:
    settings.MAINTENANCE_MODE = setting
    with override_switch("maintenance_mode", active=not setting):
        assert maintenance_mode(rf.get("/")) == {
            "maintenance_mode": setting,
            "maintenance_read_only": False,
        }


@pytest.mark.django_db
def test_a_targeted_flag_does_not_make_the_site_wide_state_true(rf: RequestFactory) -> None:
    with override_flag("maintenance_mode", active=True):
        assert maintenance_mode(rf.get("/")) == {
            "maintenance_mode": False,
            "maintenance_read_only": False,
        }
