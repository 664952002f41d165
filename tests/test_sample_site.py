"""The sample site that `make demo` serves: set up from scratch and clicked through."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent

VISIT = """
import json, django
django.setup()
from django.test import Client
from maintenance_waffle.core import set_maintenance_mode, set_read_only

anonymous, admin = Client(HTTP_HOST="localhost"), Client(HTTP_HOST="localhost")
assert admin.login(username="admin", password="admin-pass-123")
paths = ["/", "/notes/", "/about/", "/guestbook/", "/checkout/", "/healthz", "/status/",
         "/api/ping", "/admin/login/"]
problem = {"accept": "application/problem+json"}
message = {"name": "Ada", "message": "Hello"}
result = {"off": {p: anonymous.get(p).status_code for p in paths}}
result["sent"] = anonymous.post("/guestbook/", message).status_code
set_maintenance_mode(True, reason="Demo")
result["on"] = {p: anonymous.get(p).status_code for p in paths}
result["admin"] = admin.get("/").status_code
result["json"] = anonymous.get("/", headers={"accept": "application/json"}).json()["detail"]
print(json.dumps(result))
"""

# Read-only mode, then the area "checkout" (MAINTENANCE_WAFFLE_AREAS in the settings).
SCOPES = """
import json, django
django.setup()
from django.test import Client
from maintenance_waffle.core import set_maintenance_mode, set_read_only

anonymous, admin = Client(HTTP_HOST="localhost"), Client(HTTP_HOST="localhost")
assert admin.login(username="admin", password="admin-pass-123")
problem = {"accept": "application/problem+json"}
message = {"name": "Ada", "message": "Hello"}
from waffle.models import Switch
home = anonymous.get("/").content.decode()
result = {
    "banner_before": "Changes are paused" in anonymous.get("/guestbook/").content.decode(),
    "switches": sorted(Switch.objects.filter(active=False).values_list("name", flat=True)),
    "home": [name in home for name in ("maintenance_mode_read_only", "maintenance_mode:checkout")],
}

set_read_only(True, reason="Moving the database")
page = anonymous.get("/guestbook/")
result["read_only"] = {
    "get": page.status_code,
    "banner": "Changes are paused for maintenance" in page.content.decode(),
    "post": anonymous.post("/guestbook/", message).status_code,
    "problem": anonymous.post("/guestbook/", message, headers=problem).json(),
    "login": Client(HTTP_HOST="localhost").post(
        "/accounts/login/", {"username": "alice", "password": "alice-pass-123"}
    ).status_code,
    "admin_post": admin.post("/guestbook/", message).status_code,
    "checkout": anonymous.get("/checkout/").status_code,
}
set_read_only(False)
result["banner_off"] = "Changes are paused" in anonymous.get("/guestbook/").content.decode()

set_maintenance_mode(True, area="checkout", reason="New payment provider")
response = anonymous.get("/checkout/", headers=problem)
result["area"] = {
    "checkout": anonymous.get("/checkout/").status_code,
    "problem_status": response.status_code,
    "problem": response.json(),
    "paths": {p: anonymous.get(p).status_code for p in ["/", "/guestbook/", "/about/"]},
    "post": anonymous.post("/guestbook/", message).status_code,
    "admin": admin.get("/checkout/").status_code,
}
print(json.dumps(result))
"""


@pytest.fixture
def environment(tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "sample_site.settings",
        "SAMPLE_DB_NAME": str(tmp_path / "demo.sqlite3"),
        "PYTHONPATH": str(ROOT),
    }


def run(env: dict[str, str], *args: str) -> str:
    completed = subprocess.run(
        [sys.executable, *args],
        env=env,
        cwd=ROOT,
        check=True,
        timeout=120,
        capture_output=True,
        text=True,
    )
    return completed.stdout


def visit(env: dict[str, str], script: str) -> dict[str, Any]:
    """The script's result: the last line it prints (error mail, if any, comes before)."""
    result: dict[str, Any] = json.loads(run(env, "-c", script).splitlines()[-1])
    return result


def test_demo_set_up_and_pages(environment: dict[str, str]) -> None:
    manage = str(ROOT / "sample_site" / "manage.py")
    run(environment, manage, "check", "--fail-level", "WARNING")
    run(environment, manage, "migrate", "--noinput", "--verbosity", "0")
    printed = run(environment, manage, "load_demo")
    run(environment, manage, "load_demo")  # safe to run twice

    assert "admin-pass-123" in printed
    result = visit(environment, VISIT)
    assert set(result["off"].values()) == {200}
    assert result["sent"] == 302  # thanked, nothing kept
    assert result["on"] == {
        "/": 503,
        "/notes/": 503,
        "/about/": 503,
        "/guestbook/": 503,
        "/checkout/": 503,
        "/healthz": 200,
        "/status/": 200,
        "/api/ping": 503,
        "/admin/login/": 200,
    }
    assert result["admin"] == 200
    assert result["json"] == "Demo"


def test_demo_read_only_mode_and_area(environment: dict[str, str]) -> None:
    manage = str(ROOT / "sample_site" / "manage.py")
    run(environment, manage, "migrate", "--noinput", "--verbosity", "0")
    run(environment, manage, "load_demo", "--verbosity", "0")

    result = visit(environment, SCOPES)

    assert result["banner_before"] is False
    # Created off by migrate, for the waffle admin; the home page names them.
    assert result["switches"] == [
        "maintenance_mode",
        "maintenance_mode:checkout",
        "maintenance_mode_read_only",
    ]
    assert result["home"] == [True, True]
    read_only = result["read_only"]
    assert read_only["get"] == 200
    assert read_only["banner"] is True
    assert read_only["post"] == 503
    assert read_only["problem"]["read_only"] is True
    assert read_only["problem"]["detail"] == "Moving the database"
    assert read_only["login"] == 302  # MAINTENANCE_WAFFLE_READ_ONLY_ALLOWED_URLS
    assert read_only["admin_post"] == 302  # exempt superuser
    assert read_only["checkout"] == 200
    assert result["banner_off"] is False

    area = result["area"]
    assert area["checkout"] == 503
    assert area["problem_status"] == 503
    assert area["problem"]["area"] == "checkout"
    assert area["problem"]["detail"] == "New payment provider"
    assert area["paths"] == {"/": 200, "/guestbook/": 200, "/about/": 200}
    assert area["post"] == 302
    assert area["admin"] == 200
