from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import RequestFactory, override_settings
from waffle.models import Switch

from maintenance_waffle.core import (
    get_maintenance_mode,
    get_maintenance_response,
    maintenance_mode_off,
    maintenance_mode_on,
    need_maintenance_response,
    override_maintenance_mode,
    set_maintenance_mode,
)

pytestmark = pytest.mark.django_db


def switch() -> Switch:
    found: Switch = Switch.objects.get(name="maintenance_mode")
    return found


def test_set_and_get() -> None:
    assert get_maintenance_mode() is False

    set_maintenance_mode(True)
    assert get_maintenance_mode() is True
    assert switch().active

    set_maintenance_mode(False)
    assert get_maintenance_mode() is False
    assert not switch().active


def test_set_creates_a_missing_switch() -> None:
    Switch.objects.all().delete()

    set_maintenance_mode(True)

    assert switch().active


@override_settings(MAINTENANCE_MODE=True)
def test_setting_true_wins_over_the_switch() -> None:
    assert get_maintenance_mode() is True


@override_settings(MAINTENANCE_MODE=False)
def test_setting_false_wins_over_the_switch() -> None:
    Switch.objects.filter(name="maintenance_mode").update(active=True)

    assert get_maintenance_mode() is False


@pytest.mark.parametrize("value", [True, False])
def test_set_refuses_when_the_setting_decides(value: bool) -> None:
    with override_settings(MAINTENANCE_MODE=value), pytest.raises(ImproperlyConfigured) as info:
        set_maintenance_mode(not value)

    assert str(info.value) == "Maintenance mode cannot be set dynamically if defined in settings."
    assert not switch().active


@pytest.mark.parametrize("value", [1, 0, None, "true", "on"])
def test_set_refuses_non_booleans(value: object) -> None:
    with pytest.raises(TypeError, match=r"^value argument type is not boolean$"):
        set_maintenance_mode(value)  # type: ignore[arg-type]

    assert not switch().active


def test_reason_is_kept_in_the_switch_note() -> None:
    set_maintenance_mode(True, reason="Database upgrade")
    assert switch().note == "Database upgrade"

    # Turning off keeps the last reason; turning on again without one clears it.
    set_maintenance_mode(False)
    assert switch().note == "Database upgrade"
    set_maintenance_mode(True)
    assert switch().note == ""


def test_reason_must_be_text() -> None:
    with pytest.raises(TypeError, match=r"^reason argument type is not str$"):
        set_maintenance_mode(True, reason=42)  # type: ignore[arg-type]


@pytest.mark.parametrize("initial", [True, False])
@pytest.mark.parametrize("value", [True, False])
def test_override_as_context_manager(initial: bool, value: bool) -> None:
    set_maintenance_mode(initial, reason="before")

    with override_maintenance_mode(value):
        assert get_maintenance_mode() is value

    assert get_maintenance_mode() is initial
    assert switch().note == "before"


@pytest.mark.parametrize("initial", [True, False])
@pytest.mark.parametrize("value", [True, False])
def test_override_as_decorator(initial: bool, value: bool) -> None:
    set_maintenance_mode(initial)

    @override_maintenance_mode(value)
    def inside() -> bool:
        return get_maintenance_mode()

    assert inside() is value
    assert inside() is value
    assert get_maintenance_mode() is initial


def test_override_restores_after_an_exception() -> None:
    seen = []

    @maintenance_mode_on()
    def failing() -> None:
        seen.append(get_maintenance_mode())
        raise ZeroDivisionError

    with pytest.raises(ZeroDivisionError):
        failing()

    assert seen == [True]

    assert get_maintenance_mode() is False


def test_override_of_a_missing_switch_restores_off() -> None:
    Switch.objects.all().delete()

    with maintenance_mode_on():
        assert get_maintenance_mode()

    assert get_maintenance_mode() is False


def test_on_and_off_helpers_nest() -> None:
    with maintenance_mode_on():
        assert get_maintenance_mode()
        with maintenance_mode_off():
            assert not get_maintenance_mode()
        assert get_maintenance_mode()
    assert not get_maintenance_mode()


@override_settings(MAINTENANCE_MODE=True)
def test_override_refuses_when_the_setting_decides() -> None:
    with pytest.raises(ImproperlyConfigured):
        override_maintenance_mode(False).__enter__()


def test_need_and_get_maintenance_response(rf: RequestFactory) -> None:
    request = rf.get("/")
    assert need_maintenance_response(request) is False

    set_maintenance_mode(True)

    assert need_maintenance_response(request) is True
    response = get_maintenance_response(request)
    assert response.status_code == 503
