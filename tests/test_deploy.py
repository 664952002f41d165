"""``maintenance_mode render`` and ``maintenance_mode nginx``: the maintenance page as a
static file for a web server, and the nginx snippet serving it (tests/stack/test_nginx.py
runs the snippet through a real nginx)."""

from __future__ import annotations

import os
import re
from datetime import timedelta
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings
from django.utils import timezone

from maintenance_waffle import deploy
from maintenance_waffle.core import get_maintenance_mode, set_maintenance_mode
from maintenance_waffle.models import MaintenanceChange
from tests.rows import set_switch

pytestmark = pytest.mark.django_db


def run(*args: str, **options: Any) -> str:
    stdout = StringIO()
    call_command("maintenance_mode", *args, stdout=stdout, **options)
    return stdout.getvalue()


def render(path: Path, *args: str) -> str:
    """Render the page to ``path``; its text."""
    run("render", "--output", str(path), *args)
    return path.read_text(encoding="utf-8")


def entries(directory: Path) -> list[str]:
    return sorted(entry.name for entry in directory.iterdir())


# render ----------------------------------------------------------------------------------


def test_render_writes_one_complete_self_contained_page(tmp_path):
    set_switch(True, "Upgrading the database")
    page = tmp_path / "503.html"
    assert run("render", "--output", str(page)) == f"maintenance page written to {page}\n"
    text = page.read_text(encoding="utf-8")
    assert text.startswith('<!doctype html>\n<html lang="en" dir="ltr">')
    assert text.rstrip().endswith("</html>")
    assert "<title>Down for maintenance</title>" in text
    assert "<style>" in text
    assert "Upgrading the database</p>" in text
    # Nothing to fetch from a site that is down, nor from anywhere else.
    assert re.search(r"<link|<img|<iframe|\bsrc=|\bhref=|url\(|@import|https?:", text) is None
    assert "nonce" not in text
    assert "{%" not in text
    assert "{{" not in text
    assert entries(tmp_path) == ["503.html"]


def test_render_gives_the_end_and_reason_of_the_window_in_force(tmp_path):
    end = (timezone.now() + timedelta(hours=2)).replace(microsecond=0)
    set_maintenance_mode(True, end=end, reason="Moving to a new server")
    text = render(tmp_path / "503.html")
    assert "Moving to a new server</p>" in text
    assert f'<time datetime="{end.isoformat()}">' in text
    assert "Expected back:" in text


def test_render_when_maintenance_is_off_has_no_reason_and_no_end(tmp_path):
    text = render(tmp_path / "503.html")
    assert "ll be back soon</h1>" in text
    assert 'class="reason"' not in text
    assert "<time" not in text


def test_reason_option_replaces_the_current_reason(tmp_path):
    set_switch(True, "Upgrading the database")
    text = render(tmp_path / "503.html", "--reason", "Deploying <version 2>")
    assert "Deploying &lt;version 2&gt;</p>" in text
    assert "Upgrading the database" not in text


def test_empty_reason_option_leaves_the_reason_out(tmp_path):
    set_switch(True, "Upgrading the database")
    text = render(tmp_path / "503.html", "--reason", "")
    assert 'class="reason"' not in text


def test_render_in_another_language(tmp_path):
    text = render(tmp_path / "503.html", "--language", "de")
    assert '<html lang="de" dir="ltr">' in text
    assert "<title>Wartungsarbeiten</title>" in text


def test_render_changes_nothing(tmp_path):
    set_switch(True, "Upgrading the database")
    changes = MaintenanceChange.objects.count()
    render(tmp_path / "503.html")
    assert get_maintenance_mode() is True
    assert MaintenanceChange.objects.count() == changes


def test_render_reloads_after_retry_after_seconds(tmp_path):
    text = render(tmp_path / "503.html")
    assert 'data-seconds="3600"' in text


@override_settings(MAINTENANCE_MODE_RETRY_AFTER=None)
def test_render_without_retry_after_does_not_reload(tmp_path):
    text = render(tmp_path / "503.html")
    assert "data-seconds" not in text
    assert "<script" not in text


def test_unknown_language_names_it_and_the_available_ones(tmp_path):
    page = tmp_path / "503.html"
    with pytest.raises(CommandError) as excinfo:
        run("render", "--output", str(page), "--language", "fr")
    assert str(excinfo.value) == "Unknown language 'fr': settings.LANGUAGES has en, de."
    assert entries(tmp_path) == []


def test_render_replaces_an_existing_page_and_keeps_its_mode(tmp_path):
    page = tmp_path / "503.html"
    page.write_text("old page")
    page.chmod(0o640)
    text = render(page, "--reason", "New reason")
    assert "New reason" in text
    assert page.stat().st_mode & 0o7777 == 0o640
    assert entries(tmp_path) == ["503.html"]


def test_a_new_page_is_readable_by_the_web_server(tmp_path):
    page = tmp_path / "503.html"
    render(page)
    assert page.stat().st_mode & 0o7777 == 0o644


def test_missing_directory_is_a_command_error(tmp_path):
    page = tmp_path / "missing" / "503.html"
    with pytest.raises(CommandError) as excinfo:
        run("render", "--output", str(page))
    assert str(excinfo.value) == (
        f"Unable to write the maintenance page to {page}: No such file or directory"
    )
    assert entries(tmp_path) == []


def test_a_directory_as_output_is_a_command_error_and_leaves_nothing(tmp_path):
    directory = tmp_path / "503.html"
    directory.mkdir()
    with pytest.raises(CommandError) as excinfo:
        run("render", "--output", str(directory))
    assert str(excinfo.value) == (
        f"Unable to write the maintenance page to {directory}: Is a directory"
    )
    assert entries(tmp_path) == ["503.html"]
    assert entries(directory) == []


def test_a_failed_write_leaves_the_old_page_and_no_temporary_file(tmp_path):
    page = tmp_path / "503.html"
    page.write_text("old page")
    with pytest.raises(UnicodeEncodeError):
        deploy.write_atomically(page, "half \udc80 a page")
    assert page.read_text() == "old page"
    assert entries(tmp_path) == ["503.html"]


def test_render_to_standard_output(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    output = run("render", "--output", "-", "--reason", "On stdout")
    assert output.startswith("<!doctype html>")
    assert "On stdout</p>" in output
    assert entries(tmp_path) == []


def test_render_is_silent_at_verbosity_0(tmp_path):
    page = tmp_path / "503.html"
    assert run("render", "--output", str(page), verbosity=0) == ""
    assert page.is_file()


# nginx -----------------------------------------------------------------------------------


@pytest.fixture
def page(tmp_path: Path) -> Path:
    path = tmp_path / "site" / "maintenance.html"
    path.parent.mkdir()
    path.write_text("<!doctype html>")
    return path


def test_nginx_prints_a_snippet_serving_the_page(page):
    snippet = run("nginx", "--page", str(page))
    directory = page.parent
    assert snippet.startswith("# Maintenance page of maintenance_waffle")
    assert 'error_page 502 503 504 =503 "/maintenance.html";\n' in snippet
    assert f'if (-f "{directory}/maintenance.on") {{\n' in snippet
    assert "    return 503;\n" in snippet
    assert 'location = "/maintenance.html" {\n    internal;\n' in snippet
    assert f'    root "{directory}";\n' in snippet
    assert '    add_header Retry-After "3600" always;\n' in snippet
    assert '    add_header Cache-Control "no-store" always;\n' in snippet
    assert f"#       touch {directory}/maintenance.on" in snippet
    assert f"maintenance_mode render --output {page}\n" in snippet
    assert snippet.endswith("}\n")


def test_nginx_flag_file_option(page, tmp_path):
    flag = tmp_path / "down"
    snippet = run("nginx", "--page", str(page), "--flag-file", str(flag))
    assert f'if (-f "{flag}") {{\n' in snippet
    assert "maintenance.on" not in snippet


def test_nginx_makes_relative_paths_absolute(page, tmp_path, monkeypatch):
    monkeypatch.chdir(page.parent)
    snippet = run("nginx", "--page", "maintenance.html", "--flag-file", "../flag")
    assert f'    root "{page.parent}";\n' in snippet
    assert f'if (-f "{tmp_path / "flag"}") {{\n' in snippet


@override_settings(MAINTENANCE_MODE_RETRY_AFTER="Wed, 21 Oct 2099 07:28:00 GMT")
def test_nginx_sends_an_http_date_retry_after(page):
    snippet = run("nginx", "--page", str(page))
    assert '    add_header Retry-After "Wed, 21 Oct 2099 07:28:00 GMT" always;\n' in snippet


@override_settings(MAINTENANCE_MODE_RETRY_AFTER=None)
def test_nginx_without_retry_after(page):
    snippet = run("nginx", "--page", str(page))
    assert "Retry-After" not in snippet
    assert '    add_header Cache-Control "no-store" always;\n' in snippet


def test_nginx_missing_page_is_a_command_error(tmp_path):
    missing = str(tmp_path / "503.html")
    with pytest.raises(CommandError) as excinfo:
        run("nginx", "--page", missing)
    assert str(excinfo.value) == (
        f"The maintenance page {missing} is not a file; write it first with "
        "'manage.py maintenance_mode render --output PATH'."
    )


def test_nginx_directory_as_page_is_a_command_error(tmp_path):
    with pytest.raises(CommandError, match=f"^The maintenance page {tmp_path} is not a file;"):
        run("nginx", "--page", str(tmp_path))


def test_nginx_refuses_a_path_it_cannot_quote(tmp_path):
    directory = tmp_path / "$site"
    directory.mkdir()
    (directory / "503.html").write_text("<!doctype html>")
    with pytest.raises(CommandError) as excinfo:
        run("nginx", "--page", str(directory / "503.html"))
    assert str(excinfo.value) == (
        f"The page's directory {str(directory)!r} cannot be written in nginx's "
        'configuration (it contains ", $, \\ or a control character).'
    )


def test_nginx_changes_and_reads_nothing(page, django_assert_num_queries):
    with django_assert_num_queries(0):
        run("nginx", "--page", str(page))


# Options ---------------------------------------------------------------------------------


ONLY_RENDER = "--output / --language can only be used with 'render' state"
ONLY_NGINX = "--page / --flag-file can only be used with 'nginx' state"
ONLY_ON = "--start / --end options can only be used with 'on' state"
ONLY_ON_OFF = "--area / --read-only can only be used with 'on' or 'off' state"
NOT_FOR_DEPLOY = (
    "--interactive / --json / --bypass-ttl / --revoke-bypass / --base-url cannot "
    "be used with 'render' or 'nginx' state"
)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["render"], "'render' needs --output PATH"),
        (["render", "--language", "de"], "'render' needs --output PATH"),
        (["nginx"], "'nginx' needs --page PATH"),
        (["nginx", "--flag-file", "x"], "'nginx' needs --page PATH"),
        (["on", "--output", "x"], ONLY_RENDER),
        (["status", "--language", "de"], ONLY_RENDER),
        (["nginx", "--page", "x", "--output", "y"], ONLY_RENDER),
        (["off", "--page", "x"], ONLY_NGINX),
        (["render", "--output", "x", "--flag-file", "y"], ONLY_NGINX),
        (["nginx", "--page", "x", "--reason", "y"], "--reason can only be used with 'on' state"),
        (["render", "--output", "x", "--end", "2099-01-01"], ONLY_ON),
        (["render", "--output", "x", "--area", "checkout"], ONLY_ON_OFF),
        (["nginx", "--page", "x", "--read-only"], ONLY_ON_OFF),
        *(
            ([state, option, "x", *other], NOT_FOR_DEPLOY)
            for state, option in [("render", "--output"), ("nginx", "--page")]
            for other in [
                ["--json"],
                ["--interactive"],
                ["--bypass-ttl", "1h"],
                ["--revoke-bypass"],
                ["--base-url", "https://example.com"],
            ]
        ),
    ],
)
def test_options_of_other_states_are_command_errors(tmp_path, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(CommandError) as excinfo:
        run(*args)
    assert str(excinfo.value) == message
    assert entries(tmp_path) == []
    assert get_maintenance_mode() is False


def test_render_and_nginx_states_are_case_insensitive(tmp_path):
    page = tmp_path / "503.html"
    run("RENDER", "--output", str(page))
    assert 'location = "/503.html"' in run(" Nginx ", "--page", str(page))


def test_relative_output_is_written_in_the_current_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    run("render", "--output", "page.html")
    assert (tmp_path / "page.html").read_text(encoding="utf-8").startswith("<!doctype html>")
    assert os.listdir(tmp_path) == ["page.html"]
