from __future__ import annotations

import logging
from typing import Any

import pytest
from django.test import Client, RequestFactory
from pytest_django import Settings
from waffle.testutils import override_switch

from maintenance_waffle.logging import RequireNotMaintenanceMode503


def make_record(**attributes: Any) -> logging.LogRecord:
    record = logging.LogRecord(
        "django.request", logging.ERROR, __file__, 1, "Service Unavailable: /", None, None
    )
    record.__dict__.update(attributes)
    return record


def keeps(record: logging.LogRecord) -> bool:
    return bool(RequireNotMaintenanceMode503().filter(record))


def test_a_record_without_status_code_passes() -> None:
    assert keeps(make_record()) is True


@pytest.mark.django_db
def test_other_errors_pass_while_maintenance_is_on() -> None:
    with override_switch("maintenance_mode", active=True):
        assert keeps(make_record(status_code=500)) is True
        assert keeps(make_record(status_code=404)) is True


@pytest.mark.parametrize("switch", [True, False])
@pytest.mark.django_db
def test_503_of_a_request_in_maintenance_is_dropped(rf: RequestFactory, switch: bool) -> None:
    # A force_maintenance_mode_on view, or the targeted flag: the switch does not matter.
    request = rf.get("/")
    request.maintenance_mode = True  # type: ignore[attr-defined]
    with override_switch("maintenance_mode", active=switch):
        assert keeps(make_record(status_code=503, request=request)) is False


@pytest.mark.django_db
def test_503_without_a_request_follows_the_site_wide_state() -> None:
    with override_switch("maintenance_mode", active=True):
        assert keeps(make_record(status_code=503)) is False
    with override_switch("maintenance_mode", active=False):
        assert keeps(make_record(status_code=503)) is True


@pytest.mark.django_db
def test_503_of_a_request_not_in_maintenance_follows_the_site_wide_state(
    rf: RequestFactory,
) -> None:
    request = rf.get("/")
    request.maintenance_mode = False  # type: ignore[attr-defined]
    with override_switch("maintenance_mode", active=False):
        assert keeps(make_record(status_code=503, request=request)) is True
    with override_switch("maintenance_mode", active=True):
        assert keeps(make_record(status_code=503, request=request)) is False


@pytest.mark.django_db
def test_a_custom_status_code_is_dropped_while_on(settings: Settings) -> None:
    with override_switch("maintenance_mode", active=True):
        assert keeps(make_record(status_code=429)) is True
        settings.MAINTENANCE_MODE_STATUS_CODE = 429
        assert keeps(make_record(status_code=429)) is False
        assert keeps(make_record(status_code=503)) is False
    with override_switch("maintenance_mode", active=False):
        assert keeps(make_record(status_code=429)) is True


class Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.mark.django_db
def test_django_logs_the_503_and_the_filter_drops_it(
    client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    handler = Collect()
    handler.addFilter(RequireNotMaintenanceMode503())
    logger = logging.getLogger("django.request")
    logger.addHandler(handler)
    try:
        with override_switch("maintenance_mode", active=True):
            assert client.get("/").status_code == 503
        # Django's own log record is still there (for other handlers) ...
        [logged] = [r for r in caplog.records if r.name == "django.request"]
        assert logged.levelno == logging.ERROR
        assert logged.status_code == 503  # type: ignore[attr-defined]
        # ... but the filtered handler never saw it.
        assert handler.records == []
        # Other errors still get through the filter.
        assert client.get("/no-such-page/").status_code == 404
        assert [r.status_code for r in handler.records] == [404]  # type: ignore[attr-defined]
    finally:
        logger.removeHandler(handler)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("attributes", "method", "kept"),
    [
        ({"maintenance_area": "checkout"}, "get", False),
        ({"maintenance_read_only": True}, "post", False),
        # A 503 of a safe request in read-only mode is the view's own: kept.
        ({"maintenance_read_only": True}, "get", True),
        ({"maintenance_read_only": False, "maintenance_area": None}, "post", True),
    ],
)
def test_503_of_read_only_mode_and_areas(
    rf: RequestFactory, attributes: dict[str, Any], method: str, kept: bool
) -> None:
    request = getattr(rf, method)("/")
    request.maintenance_mode = False
    request.__dict__.update(attributes)

    assert keeps(make_record(status_code=503, request=request)) is kept


@pytest.mark.django_db
def test_django_logs_read_only_and_area_503s_and_the_filter_drops_them(
    client: Client, settings: Settings
) -> None:
    from maintenance_waffle.core import set_maintenance_mode, set_read_only

    settings.MAINTENANCE_WAFFLE_AREAS = {"checkout": [r"^/page/"]}
    handler = Collect()
    handler.addFilter(RequireNotMaintenanceMode503())
    logger = logging.getLogger("django.request")
    logger.addHandler(handler)
    try:
        set_read_only(True)
        set_maintenance_mode(True, area="checkout")
        assert client.post("/").status_code == 503
        assert client.get("/page/").status_code == 503
        assert handler.records == []
    finally:
        logger.removeHandler(handler)
