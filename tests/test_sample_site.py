"""The sample site that `make demo` serves: set up from scratch and clicked through."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

VISIT = """
import json, django
django.setup()
from django.test import Client
from maintenance_waffle.core import set_maintenance_mode

anonymous, admin = Client(HTTP_HOST="localhost"), Client(HTTP_HOST="localhost")
assert admin.login(username="admin", password="admin-pass-123")
paths = ["/", "/notes/", "/about/", "/healthz", "/status/", "/api/ping", "/admin/login/"]
result = {"off": {p: anonymous.get(p).status_code for p in paths}}
set_maintenance_mode(True, reason="Demo")
result["on"] = {p: anonymous.get(p).status_code for p in paths}
result["admin"] = admin.get("/").status_code
result["json"] = anonymous.get("/", headers={"accept": "application/json"}).json()["detail"]
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


def test_demo_set_up_and_pages(environment: dict[str, str]) -> None:
    manage = str(ROOT / "sample_site" / "manage.py")
    run(environment, manage, "check", "--fail-level", "WARNING")
    run(environment, manage, "migrate", "--noinput", "--verbosity", "0")
    printed = run(environment, manage, "load_demo")
    run(environment, manage, "load_demo")  # safe to run twice

    assert "admin-pass-123" in printed
    result = json.loads(run(environment, "-c", VISIT))
    assert set(result["off"].values()) == {200}
    assert result["on"] == {
        "/": 503,
        "/notes/": 503,
        "/about/": 503,
        "/healthz": 200,
        "/status/": 200,
        "/api/ping": 503,
        "/admin/login/": 200,
    }
    assert result["admin"] == 200
    assert result["json"] == "Demo"
