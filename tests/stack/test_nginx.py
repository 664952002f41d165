"""The nginx snippet of ``manage.py maintenance_mode nginx`` in a real nginx: ``nginx -t``
accepts it, and an nginx of our own on a loopback port serves the rendered page for an
upstream that is down, and for every request while the flag file exists.

Skipped where nginx is not installed (a failure with MAINTENANCE_WAFFLE_REQUIRE_SERVICES=1).
Needs neither PostgreSQL nor gunicorn: the upstream that is down is a closed port, and
the upstream that is up is a second server of the same nginx.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from maintenance_waffle import deploy
from tests.stack.services import (
    free_port,
    request,
    stop_session,
    tail,
    unavailable,
    wait_until,
)

pytestmark = pytest.mark.stack

#: Where distributions put nginx outside an unprivileged PATH.
NGINX_PATHS = ("/usr/sbin/nginx", "/usr/local/sbin/nginx", "/usr/local/nginx/sbin/nginx")
REASON = "Deploying version 2"

# The server block of a project: the snippet, then its own locations. "/" proxies to a
# closed port (gunicorn is down: nginx's own 502), "/up/" to a server that answers.
CONFIG = """\
{user}
worker_processes 1;
events {{ worker_connections 64; }}
http {{
    access_log off;
    client_body_temp_path {directory}/client_body;
    proxy_temp_path {directory}/proxy;
    fastcgi_temp_path {directory}/fastcgi;
    uwsgi_temp_path {directory}/uwsgi;
    scgi_temp_path {directory}/scgi;

    server {{
        listen 127.0.0.1:{port};
        include {snippet};
        location / {{ proxy_pass http://127.0.0.1:{closed}; }}
        location /up/ {{ proxy_pass http://127.0.0.1:{app}; }}
    }}

    # Stands for gunicorn when it is up: its pages, and Django's own 503.
    server {{
        listen 127.0.0.1:{app};
        location = /up/page {{ return 200 "the application\\n"; }}
        location = /up/maintenance {{ return 503 "Django's own maintenance page\\n"; }}
    }}
}}
"""


@pytest.fixture(autouse=True)
def _no_server_errors() -> None:
    """Replaces the stack's check of gunicorn's logs: no gunicorn here."""


def nginx_binary() -> str:
    found = shutil.which("nginx") or next(
        (path for path in NGINX_PATHS if os.access(path, os.X_OK)), None
    )
    if found is None:
        unavailable("nginx tests", f"nginx not found (PATH, {', '.join(NGINX_PATHS)})")
    return found


def nginx_accepts(block: str, directory: Path) -> None:
    """``nginx -t`` passes with ``block`` inside ``http {}`` (the docs' examples)."""
    config = directory / "nginx.conf"
    config.write_text(
        ("user root;\n" if os.geteuid() == 0 else "")
        + f"error_log {directory}/error.log;\npid {directory}/nginx.pid;\nevents {{}}\n"
        + f"http {{\naccess_log off;\n{block}\n}}\n"
    )
    result = subprocess.run(
        [nginx_binary(), "-p", f"{directory}/", "-c", str(config), "-t", "-e", "stderr"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0, block + result.stderr


@dataclass
class Nginx:
    binary: str
    directory: Path
    page: Path
    flag_file: Path
    port: int = 0
    process: subprocess.Popen[bytes] | None = None

    @property
    def log(self) -> Path:
        return self.directory / "error.log"

    def write_config(self, snippet: str) -> Path:
        """nginx.conf of a server including ``snippet``."""
        (self.directory / "snippet.conf").write_text(snippet)
        self.port = free_port()
        config = self.directory / "nginx.conf"
        config.write_text(
            CONFIG.format(
                # As root, workers would run as nobody, who cannot read pytest's
                # directories (0700); as anyone else the directive is ignored.
                user="user root;" if os.geteuid() == 0 else "",
                directory=self.directory,
                port=self.port,
                snippet=self.directory / "snippet.conf",
                closed=free_port(),  # nothing listens there
                app=free_port(),
            )
        )
        return config

    def command(self, config: Path, *options: str, directives: str = "") -> list[str]:
        return [
            self.binary,
            "-p",
            f"{self.directory}/",
            "-c",
            str(config),
            "-e",
            "stderr",
            "-g",
            f"pid {self.directory}/nginx.pid;{directives}",
            *options,
        ]

    def check(self, config: Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            self.command(config, "-t"), capture_output=True, text=True, timeout=30, check=False
        )

    def start(self, config: Path) -> None:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                self.command(config, directives=" daemon off;"),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        wait_until(self._listening, 20, f"nginx on port {self.port}")

    def _listening(self) -> bool | None:
        assert self.process is not None
        if self.process.poll() is not None:
            raise RuntimeError(f"nginx exited:\n{tail(self.log)}")
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                return True
        except OSError:
            return None

    def stop(self) -> None:
        stop_session(self.process)  # SIGTERM: nginx's fast shutdown
        self.process = None


def snippet_of(page: Path) -> str:
    """What ``manage.py maintenance_mode nginx --page page`` prints."""
    stdout = StringIO()
    call_command("maintenance_mode", "nginx", "--page", str(page), stdout=stdout)
    return stdout.getvalue()


@pytest.fixture(scope="module")
def nginx(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Nginx]:
    binary = nginx_binary()
    directory = tmp_path_factory.mktemp("nginx")
    site = directory / "maintenance"
    site.mkdir()
    page = site / "503.html"
    deploy.write_atomically(page, deploy.render_page("en", REASON, None, "3600"))
    server = Nginx(binary, directory, page, site / deploy.FLAG_FILE)
    config = server.write_config(snippet_of(page))
    server.start(config)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def flag_file(nginx: Nginx) -> Iterator[Path]:
    """The flag file, present for one test."""
    nginx.flag_file.touch()
    try:
        yield nginx.flag_file
    finally:
        nginx.flag_file.unlink()


def assert_maintenance_page(nginx: Nginx, method: str = "GET", path: str = "/") -> None:
    response = request(nginx.port, path, method=method, body=b"a=1" if method == "POST" else None)
    assert response.status == 503
    assert response.headers["retry-after"] == "3600"
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.body == (b"" if method == "HEAD" else nginx.page.read_bytes())


@pytest.mark.parametrize("retry_after", ["3600", "Wed, 21 Oct 2099 07:28:00 GMT", None])
def test_nginx_accepts_the_snippet(tmp_path, retry_after):
    page = tmp_path / "maintenance" / "503.html"
    page.parent.mkdir()
    page.write_text("<!doctype html>")
    server = Nginx(nginx_binary(), tmp_path, page, page.parent / deploy.FLAG_FILE)
    config = server.write_config(deploy.nginx_snippet(page, server.flag_file, retry_after))
    checked = server.check(config)
    assert checked.returncode == 0, checked.stderr
    assert "syntax is ok" in checked.stderr


@pytest.mark.parametrize("method", ["GET", "HEAD", "POST"])
def test_an_upstream_that_is_down_gets_the_page(nginx, method):
    # A POST too: nginx serves the page as for a GET, not a 405.
    assert_maintenance_page(nginx, method)


def test_the_page_is_the_rendered_one(nginx):
    body = request(nginx.port, "/").text
    assert body.startswith("<!doctype html>")
    assert f"{REASON}</p>" in body


def test_the_application_passes_through(nginx):
    page = request(nginx.port, "/up/page")
    assert (page.status, page.body) == (200, b"the application\n")
    assert "retry-after" not in page.headers


def test_djangos_own_maintenance_page_passes_through(nginx):
    # Its 503 says more (the reason, the end, JSON for API clients): nginx keeps it.
    maintenance = request(nginx.port, "/up/maintenance")
    assert (maintenance.status, maintenance.body) == (503, b"Django's own maintenance page\n")


def test_the_flag_file_puts_every_request_down(nginx, flag_file):
    assert_maintenance_page(nginx, path="/up/page")
    assert_maintenance_page(nginx, "POST", path="/up/page")


def test_removing_the_flag_file_brings_the_site_back(nginx):
    nginx.flag_file.touch()
    try:
        assert request(nginx.port, "/up/page").status == 503
    finally:
        nginx.flag_file.unlink()
    assert request(nginx.port, "/up/page").status == 200


def test_the_page_cannot_be_requested_directly(nginx):
    assert request(nginx.port, "/503.html").status == 404


def test_a_page_rendered_again_is_served_without_a_reload(nginx):
    before = nginx.page.read_text()
    try:
        deploy.write_atomically(nginx.page, deploy.render_page("de", "Neue Version", None, "3600"))
        body = request(nginx.port, "/").text
        assert '<html lang="de"' in body
        assert "Neue Version</p>" in body
    finally:
        deploy.write_atomically(nginx.page, before)
