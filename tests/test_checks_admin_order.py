from __future__ import annotations

from django.test import override_settings

from maintenance_waffle.checks import check_installation
from tests.settings import INSTALLED_APPS


def ids() -> list[str]:
    return [str(message.id) for message in check_installation()]


def test_listed_before_the_admin_gives_no_warning() -> None:
    assert "maintenance_waffle.W003" not in ids()


def test_listed_after_the_admin_is_w003() -> None:
    after = [app for app in INSTALLED_APPS if app != "maintenance_waffle"] + ["maintenance_waffle"]
    with override_settings(INSTALLED_APPS=after):
        messages = check_installation()

    (warning,) = [message for message in messages if message.id == "maintenance_waffle.W003"]
    assert "django.contrib.admin" in warning.msg
    assert "maintenance_banner" in str(warning.hint)


def test_without_the_admin_no_warning() -> None:
    without = [app for app in INSTALLED_APPS if app != "django.contrib.admin"]
    with override_settings(INSTALLED_APPS=without):
        assert "maintenance_waffle.W003" not in ids()
