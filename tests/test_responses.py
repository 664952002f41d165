from __future__ import annotations

import json
import math
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.handlers.wsgi import WSGIRequest
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import clear_script_prefix, set_script_prefix
from django.utils import timezone
from pytest_django import Settings

from maintenance_waffle import responses
from maintenance_waffle.conf import get_config
from maintenance_waffle.responses import prefers_json
from maintenance_waffle.state import Window, make_snapshot

DEFAULT_DETAIL = "The site is down for maintenance. Please try again later."
PROBLEM_KEYS = {"type", "title", "status", "detail", "retry_after", "ends_at"}


def visitor(rf: RequestFactory, path: str = "/", method: str = "get", **extra: Any) -> WSGIRequest:
    """A request as the middleware hands it over: user loaded, maintenance_mode set."""
    request: WSGIRequest = getattr(rf, method)(path, **extra)
    request.user = AnonymousUser()
    request.maintenance_mode = True  # type: ignore[attr-defined]
    return request


def build(request: WSGIRequest, reason: str = "") -> HttpResponse:
    config = get_config()
    return responses.build(request, make_snapshot(config, switch=True, reason=reason), config)


def json_accepting(rf: RequestFactory, path: str = "/", method: str = "get") -> WSGIRequest:
    return visitor(rf, path, method, headers={"Accept": "application/json"})


# Content negotiation -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        ("", False),
        ("*/*", False),
        ("text/html", False),
        ("application/json", True),
        ("APPLICATION/JSON", True),
        ("application/json; charset=utf-8", True),
        ("application/problem+json", True),
        ("application/vnd.api+json", True),
        ("application/xml", False),
        ("application/*", False),
        ("text/html;q=0.9, application/json", True),
        ("application/json;q=0.5, text/html", False),
        ("text/*;q=0.5, application/json;q=0.4", False),
        ("application/json;q=0", False),
        ("application/json;q=0, text/html;q=0.1", False),
        ("*/*;q=0.1, application/json", True),
        # Equal q: the more specific range wins (RFC 9110, 12.5.1) ...
        ("application/*, application/json;q=1", True),
        ("*/*, application/json", True),
        ("*/*, application/*", False),
        # ... and between equally specific ranges, the first one listed.
        ("text/html, application/json", False),
        ("application/json, text/html", True),
        # An invalid q-value counts as 0: not acceptable.
        ("application/json;q=high", False),
        ("application/json;q=high, text/html;q=0.1", False),
        # Only 0 to 1 are q-values (RFC 9110, 12.4.2): "nan" and "inf" are not.
        ("application/json;q=nan, text/html", False),
        ("text/html, application/json;q=inf", False),
        # Entries without a "/" are not media ranges.
        ("garbage", False),
        ("garbage, application/json", True),
    ],
)
def test_prefers_json(accept: str, expected: bool) -> None:
    assert prefers_json(accept) is expected


# HTML ----------------------------------------------------------------------------------


def test_html_response(rf: RequestFactory) -> None:
    response = build(visitor(rf), reason="Upgrading the <database>")
    assert response.status_code == 503
    assert response["Content-Type"] == "text/html; charset=utf-8"
    assert response["Retry-After"] == "3600"
    cache_control = {part.strip() for part in response["Cache-Control"].split(",")}
    assert {"no-cache", "no-store", "max-age=0"} <= cache_control
    assert "Expires" in response
    # "auto" chose HTML from the Accept header, so caches must key on it.
    assert response["Vary"] == "Accept"
    body = response.content.decode()
    # The packaged page, with the reason (escaped).
    assert "Down for maintenance" in body
    assert "Upgrading the &lt;database&gt;" in body


def test_html_response_without_a_reason(rf: RequestFactory) -> None:
    body = build(visitor(rf)).content.decode()
    assert "Down for maintenance" in body
    assert "What we are doing" not in body


def test_html_response_uses_the_project_template_with_context_processors(
    settings: Settings, rf: RequestFactory
) -> None:
    settings.MAINTENANCE_MODE_TEMPLATE = "tests/503_custom.html"
    settings.MAINTENANCE_MODE_GET_CONTEXT = "tests.hooks.get_context"
    body = build(visitor(rf, "/some/page/"), reason="Moving servers").content.decode()
    assert "custom 503" in body
    assert "Down for maintenance" not in body
    assert "reason=Moving servers" in body
    assert "greeting=hello from get_context" in body
    assert "retry_after=3600" in body
    # From the context processors: the request, and maintenance_waffle's.
    assert "path=/some/page/" in body
    assert "maintenance_mode=True" in body


@pytest.fixture
def template_dir(settings: Settings, tmp_path: Path) -> Path:
    """A project template directory, read without Django's cached loader."""
    settings.TEMPLATES = [
        {
            "BACKEND": "django.template.backends.django.DjangoTemplates",
            "DIRS": [tmp_path],
            "OPTIONS": {
                "loaders": [
                    "django.template.loaders.filesystem.Loader",
                    "django.template.loaders.app_directories.Loader",
                ],
            },
        }
    ]
    return tmp_path


def test_a_project_503_template_replaces_the_packaged_one(
    template_dir: Path, rf: RequestFactory
) -> None:
    (template_dir / "503.html").write_text("project page: {{ maintenance_reason }}")
    assert build(visitor(rf), reason="disk").content == b"project page: disk"


def test_the_template_is_loaded_once_until_reset(template_dir: Path, rf: RequestFactory) -> None:
    page = template_dir / "503.html"
    page.write_text("version 1")
    assert build(visitor(rf)).content == b"version 1"
    page.write_text("version 2")
    assert build(visitor(rf)).content == b"version 1"
    responses.reset()
    assert build(visitor(rf)).content == b"version 2"


def test_the_template_is_reloaded_in_debug(
    settings: Settings, template_dir: Path, rf: RequestFactory
) -> None:
    settings.DEBUG = True
    page = template_dir / "503.html"
    page.write_text("version 1")
    assert build(visitor(rf)).content == b"version 1"
    page.write_text("version 2")
    assert build(visitor(rf)).content == b"version 2"


def test_html_response_type_is_not_negotiated(settings: Settings, rf: RequestFactory) -> None:
    settings.MAINTENANCE_MODE_RESPONSE_TYPE = "html"
    response = build(json_accepting(rf))
    assert response["Content-Type"] == "text/html; charset=utf-8"
    assert "Vary" not in response


# JSON ----------------------------------------------------------------------------------


def test_json_response_is_empty_by_default(settings: Settings, rf: RequestFactory) -> None:
    settings.MAINTENANCE_MODE_RESPONSE_TYPE = "json"
    response = build(visitor(rf), reason="ignored in plain JSON")
    assert response.status_code == 503
    assert response["Content-Type"] == "application/json"
    assert json.loads(response.content) == {}
    assert response["Retry-After"] == "3600"
    assert "no-store" in response["Cache-Control"]
    assert "Vary" not in response


def test_json_response_is_the_get_context_dict(settings: Settings, rf: RequestFactory) -> None:
    settings.MAINTENANCE_MODE_RESPONSE_TYPE = "json"
    settings.MAINTENANCE_MODE_GET_CONTEXT = "tests.hooks.get_context"
    assert json.loads(build(visitor(rf)).content) == {"greeting": "hello from get_context"}


def test_get_context_returning_a_non_dict_is_logged_and_ignored(
    settings: Settings, rf: RequestFactory, caplog: pytest.LogCaptureFixture
) -> None:
    settings.MAINTENANCE_MODE_RESPONSE_TYPE = "json"
    settings.MAINTENANCE_MODE_GET_CONTEXT = "tests.hooks.get_context_not_a_dict"
    response = build(visitor(rf))
    assert response.status_code == 503
    assert json.loads(response.content) == {}
    [record] = [r for r in caplog.records if r.name == "maintenance_waffle"]
    assert record.levelname == "ERROR"
    assert "MAINTENANCE_MODE_GET_CONTEXT" in record.getMessage()
    assert "not a dict" in record.getMessage()


# Problem details (RFC 9457) for clients asking for JSON ---------------------------------


def test_auto_answers_json_clients_with_problem_details(rf: RequestFactory) -> None:
    response = build(json_accepting(rf), reason="Upgrading the database")
    assert response.status_code == 503
    assert response["Content-Type"] == "application/problem+json"
    assert response["Vary"] == "Accept"
    assert response["Retry-After"] == "3600"
    assert "no-store" in response["Cache-Control"]
    assert json.loads(response.content) == {
        "type": "about:blank",
        "title": "Service Unavailable",
        "status": 503,
        "detail": "Upgrading the database",
        "retry_after": 3600,
        "ends_at": None,
    }


def test_problem_details_without_a_reason_give_a_default_detail(rf: RequestFactory) -> None:
    body = json.loads(build(json_accepting(rf)).content)
    assert set(body) == PROBLEM_KEYS
    assert body["detail"] == DEFAULT_DETAIL


def test_problem_details_include_get_context(settings: Settings, rf: RequestFactory) -> None:
    settings.MAINTENANCE_MODE_GET_CONTEXT = "tests.hooks.get_context"
    body = json.loads(build(json_accepting(rf)).content)
    assert set(body) == {*PROBLEM_KEYS, "greeting"}
    assert body["greeting"] == "hello from get_context"


def test_problem_details_status_always_matches_the_response(
    settings: Settings, rf: RequestFactory
) -> None:
    # RFC 9457, 3.1.2: the status member must be the status code of the response.
    settings.MAINTENANCE_MODE_GET_CONTEXT = "tests.hooks.get_context_with_status"
    response = build(json_accepting(rf))
    body = json.loads(response.content)
    assert body["status"] == response.status_code == 503
    assert body["component"] == "database"


# Response type functions ---------------------------------------------------------------


def test_response_type_function_by_path(settings: Settings, rf: RequestFactory) -> None:
    settings.MAINTENANCE_MODE_RESPONSE_TYPE = "tests.hooks.response_type"
    api = build(visitor(rf, "/api/items/"))
    assert api["Content-Type"] == "application/json"
    assert json.loads(api.content) == {}
    page = build(json_accepting(rf, "/shop/"))
    assert page["Content-Type"] == "text/html; charset=utf-8"
    assert "Vary" not in api
    assert "Vary" not in page


def test_response_type_function_with_a_bad_answer_falls_back_to_auto(
    settings: Settings, rf: RequestFactory, caplog: pytest.LogCaptureFixture
) -> None:
    settings.MAINTENANCE_MODE_RESPONSE_TYPE = "tests.hooks.response_type_xml"
    response = build(json_accepting(rf))
    assert response["Content-Type"] == "application/problem+json"
    assert response["Vary"] == "Accept"
    assert build(visitor(rf))["Content-Type"] == "text/html; charset=utf-8"
    messages = [r.getMessage() for r in caplog.records if r.name == "maintenance_waffle"]
    assert messages
    assert all("'xml'" in message and "'auto'" in message for message in messages)
    assert {r.levelname for r in caplog.records if r.name == "maintenance_waffle"} == {"ERROR"}


# Status and Retry-After ----------------------------------------------------------------


@pytest.mark.parametrize(("status", "title"), [(200, "OK"), (429, "Too Many Requests"), (599, "")])
def test_status_code_setting(
    settings: Settings, rf: RequestFactory, status: int, title: str
) -> None:
    settings.MAINTENANCE_MODE_STATUS_CODE = status
    assert build(visitor(rf)).status_code == status
    problem = build(json_accepting(rf))
    assert problem.status_code == status
    body = json.loads(problem.content)
    assert (body["status"], body["title"]) == (status, title)


@pytest.mark.parametrize("retry_after", [0, None])
def test_falsy_retry_after_sends_no_header(
    settings: Settings, rf: RequestFactory, retry_after: int | None
) -> None:
    settings.MAINTENANCE_MODE_RETRY_AFTER = retry_after
    assert "Retry-After" not in build(visitor(rf))
    problem = build(json_accepting(rf))
    assert "Retry-After" not in problem
    assert json.loads(problem.content)["retry_after"] is None


@pytest.mark.parametrize(
    ("retry_after", "seconds"),
    [
        ("Wed, 21 Oct 2026 07:28:00 GMT", None),
        ("120", 120),
        # str.isdigit() accepts "²", which int() rejects: not seconds, and not a 500.
        ("\N{SUPERSCRIPT TWO}", None),
    ],
)
def test_retry_after_string_is_passed_through(
    settings: Settings, rf: RequestFactory, retry_after: str, seconds: int | None
) -> None:
    settings.MAINTENANCE_MODE_RETRY_AFTER = retry_after
    assert build(visitor(rf))["Retry-After"] == retry_after
    problem = build(json_accepting(rf))
    assert problem["Retry-After"] == retry_after
    assert json.loads(problem.content)["retry_after"] == seconds


# HEAD ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("response_type", "accept", "content_type"),
    [
        ("html", "text/html", "text/html; charset=utf-8"),
        ("json", "application/json", "application/json"),
        ("auto", "application/json", "application/problem+json"),
        ("auto", "text/html", "text/html; charset=utf-8"),
    ],
)
def test_head_gets_headers_without_a_body(
    settings: Settings, rf: RequestFactory, response_type: str, accept: str, content_type: str
) -> None:
    settings.MAINTENANCE_MODE_RESPONSE_TYPE = response_type
    response = build(visitor(rf, method="head", headers={"Accept": accept}))
    assert response.status_code == 503
    assert response.content == b""
    assert response["Content-Type"] == content_type
    assert response["Retry-After"] == "3600"
    assert "no-store" in response["Cache-Control"]


# Redirects -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("redirect_url", "location"),
    [
        ("/maintenance/", "/maintenance/"),
        ("maintenance_page", "/maintenance/"),
        ("https://status.example.com/", "https://status.example.com/"),
    ],
)
def test_redirect_url(
    settings: Settings, rf: RequestFactory, redirect_url: str, location: str
) -> None:
    settings.MAINTENANCE_MODE_REDIRECT_URL = redirect_url
    for request in (visitor(rf), json_accepting(rf)):
        response = build(request)
        assert response.status_code == 302
        assert response["Location"] == location
        assert "Retry-After" not in response


def test_reset_forgets_resolved_redirect_urls(settings: Settings, rf: RequestFactory) -> None:
    settings.MAINTENANCE_MODE_REDIRECT_URL = "maintenance_page"
    assert build(visitor(rf))["Location"] == "/maintenance/"
    set_script_prefix("/prefix/")
    try:
        responses.reset()
        assert build(visitor(rf))["Location"] == "/prefix/maintenance/"
    finally:
        clear_script_prefix()
        responses.reset()


# Scheduled windows ---------------------------------------------------------------------

HALF_HOUR = timedelta(minutes=30)


def build_in(request: WSGIRequest, *windows: Window, switch: bool = False) -> HttpResponse:
    config = get_config()
    snapshot = make_snapshot(config, switch=switch, windows=windows)
    return responses.build(request, snapshot, config)


def running(reason: str = "Reindexing", left: timedelta = HALF_HOUR) -> Window:
    """A window that started an hour ago and ends ``left`` from now (whole seconds)."""
    now = timezone.now().replace(microsecond=0)
    return Window(start=now - timedelta(hours=1), end=now + left, reason=reason)


def seconds_left_at_most(window: Window, since: datetime) -> int:
    assert window.end is not None
    return math.ceil((window.end - since).total_seconds())


def test_retry_after_counts_down_to_the_windows_end(rf: RequestFactory) -> None:
    window = running()
    before = timezone.now()

    response = build_in(visitor(rf), window)

    assert response.status_code == 503
    retry_after = response["Retry-After"]
    assert retry_after.isdigit()
    assert 1 <= int(retry_after) <= seconds_left_at_most(window, before)
    # Not the configured 3600: the window ends in half an hour.
    assert int(retry_after) <= 1800


def test_problem_details_in_a_window(rf: RequestFactory) -> None:
    window = running("Moving to a bigger database")
    before = timezone.now()

    response = build_in(json_accepting(rf), window)

    body = json.loads(response.content)
    assert set(body) == PROBLEM_KEYS
    assert body["detail"] == "Moving to a bigger database"
    assert isinstance(body["retry_after"], int)
    assert 1 <= body["retry_after"] <= seconds_left_at_most(window, before)
    assert str(body["retry_after"]) == response["Retry-After"]
    assert window.end is not None
    assert body["ends_at"] == window.end.isoformat()
    assert datetime.fromisoformat(body["ends_at"]) == window.end


def test_html_page_in_a_window_shows_the_reason_and_the_expected_end(rf: RequestFactory) -> None:
    window = running("Moving to a bigger <database>")

    body = build_in(visitor(rf), window).content.decode()

    assert "Moving to a bigger &lt;database&gt;" in body
    assert window.end is not None
    assert "Expected back:" in body
    assert f'<time datetime="{timezone.localtime(window.end).isoformat()}">' in body


def test_html_page_shows_the_end_in_the_current_time_zone(rf: RequestFactory) -> None:
    window = running()
    assert window.end is not None

    with timezone.override("Asia/Kolkata"):
        body = build_in(visitor(rf), window).content.decode()

    expected = timezone.localtime(window.end, timezone.get_fixed_timezone(330)).isoformat()
    assert f'<time datetime="{expected}">' in body


def test_the_covering_window_that_ends_last_decides(rf: RequestFactory) -> None:
    short = running("short", left=timedelta(minutes=10))
    long = running("long", left=timedelta(hours=2))
    before = timezone.now()

    body = json.loads(build_in(json_accepting(rf), short, long).content)

    assert body["detail"] == "long"
    assert long.end is not None
    assert body["ends_at"] == long.end.isoformat()
    assert 600 < body["retry_after"] <= seconds_left_at_most(long, before)


def test_window_without_a_reason_gives_the_default_detail(rf: RequestFactory) -> None:
    body = json.loads(build_in(json_accepting(rf), running("")).content)

    assert body["detail"] == DEFAULT_DETAIL
    assert body["ends_at"] is not None


def test_window_without_an_end_uses_the_configured_retry_after(rf: RequestFactory) -> None:
    window = Window(start=timezone.now() - HALF_HOUR, end=None, reason="Until we are done")

    response = build_in(json_accepting(rf), window)

    assert response["Retry-After"] == "3600"
    body = json.loads(response.content)
    assert (body["retry_after"], body["ends_at"], body["detail"]) == (
        3600,
        None,
        "Until we are done",
    )
    html = build_in(visitor(rf), window).content.decode()
    assert "Until we are done" in html
    assert "Expected back" not in html


def test_a_future_window_changes_nothing(rf: RequestFactory) -> None:
    now = timezone.now()
    upcoming = Window(start=now + HALF_HOUR, end=now + 2 * HALF_HOUR, reason="later")

    response = build_in(json_accepting(rf), upcoming)

    assert response["Retry-After"] == "3600"
    body = json.loads(response.content)
    assert (body["retry_after"], body["ends_at"], body["detail"]) == (3600, None, DEFAULT_DETAIL)


@pytest.mark.parametrize("retry_after", [0, None])
def test_falsy_retry_after_sends_no_header_even_in_a_window(
    settings: Settings, rf: RequestFactory, retry_after: int | None
) -> None:
    settings.MAINTENANCE_MODE_RETRY_AFTER = retry_after
    window = running()

    response = build_in(json_accepting(rf), window)

    assert "Retry-After" not in response
    body = json.loads(response.content)
    assert body["retry_after"] is None
    assert window.end is not None
    assert body["ends_at"] == window.end.isoformat()
    assert "Retry-After" not in build_in(visitor(rf), window)


def test_with_the_switch_on_the_configured_retry_after_is_used(rf: RequestFactory) -> None:
    config = get_config()
    snapshot = make_snapshot(config, switch=True, reason="By hand", windows=(running(),))

    response = responses.build(json_accepting(rf), snapshot, config)

    assert response["Retry-After"] == "3600"
    body = json.loads(response.content)
    assert (body["retry_after"], body["ends_at"], body["detail"]) == (3600, None, "By hand")


def test_with_the_setting_true_the_configured_retry_after_is_used(
    settings: Settings, rf: RequestFactory
) -> None:
    settings.MAINTENANCE_MODE = True

    response = build_in(json_accepting(rf), running())

    assert response["Retry-After"] == "3600"
    body = json.loads(response.content)
    assert (body["retry_after"], body["ends_at"], body["detail"]) == (3600, None, DEFAULT_DETAIL)


def test_head_in_a_window_has_the_headers_only(rf: RequestFactory) -> None:
    window = running()
    before = timezone.now()

    response = build_in(visitor(rf, method="head"), window)

    assert response.content == b""
    assert 1 <= int(response["Retry-After"]) <= seconds_left_at_most(window, before)
