"""Serving the maintenance page while Django itself is down (a deploy, a crash): the
packaged page rendered once into a static file, and an nginx snippet that serves it.

``manage.py maintenance_mode render`` and ``nginx`` are thin over these functions.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.template.loader import get_template
from django.utils import translation

from maintenance_waffle.conf import Config
from maintenance_waffle.decision import ends_at, reason_in_force
from maintenance_waffle.responses import PACKAGED_TEMPLATE, page_texts
from maintenance_waffle.state import Snapshot

#: The flag file's name when none is given: next to the page.
FLAG_FILE = "maintenance.on"
#: Characters that nginx's configuration cannot hold in a quoted string: "$" starts a
#: variable there and cannot be escaped.
_NGINX_UNSAFE = frozenset('"$\\') | frozenset(chr(code) for code in range(32))


def check_language(code: str | None) -> str:
    """The language to render the page in: ``code``, one of settings.LANGUAGES, or
    settings.LANGUAGE_CODE when None; ValueError naming an unknown code and the
    available ones."""
    if code is None:
        return str(settings.LANGUAGE_CODE)
    available = [str(language) for language, _ in settings.LANGUAGES]
    if code not in available:
        raise ValueError(
            f"Unknown language {code!r}: settings.LANGUAGES has {', '.join(available)}."
        )
    return code


def current(snapshot: Snapshot, config: Config) -> tuple[str, datetime | None]:
    """The site-wide maintenance's reason and expected end, as its 503 page shows them:
    the reason given when it was turned on, else that of the window holding it on, and
    that window's end."""
    return reason_in_force(snapshot, config), ends_at(snapshot, config)


def render_page(language: str, reason: str, end: datetime | None, retry_after: str | None) -> str:
    """The packaged maintenance page in ``language``, rendered without a request: one
    self-contained document (inline style, no assets, no nonce) for a web server to
    serve as a static file."""
    with translation.override(language):
        context = {
            "csp_nonce": None,
            "maintenance_texts": page_texts(),
            "maintenance_read_only": False,
            "maintenance_area": None,
            "maintenance_reason": reason,
            "maintenance_ends_at": end,
            "retry_after": retry_after,
            # Seconds only: the page reloads itself after them (an HTTP-date does not).
            "retry_seconds": retry_after if retry_after and retry_after.isdecimal() else None,
        }
        return str(get_template(PACKAGED_TEMPLATE).render(context))


def write_atomically(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file in the same directory and
    ``os.replace``, so that a web server serving ``path`` never reads half a page.

    The file gets the mode of the file it replaces, else 0644 (the web server's workers
    run as another account). On OSError nothing is left behind, not even the temporary
    file, and ``path`` is as it was.
    """
    try:
        mode = path.stat().st_mode & 0o7777
    except OSError:
        mode = 0o644
    descriptor, temporary = tempfile.mkstemp(
        dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"
    )
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def _quote(value: str, what: str) -> str:
    """``value`` as a quoted string of nginx's configuration."""
    if _NGINX_UNSAFE.intersection(value):
        raise ValueError(
            f"{what} {value!r} cannot be written in nginx's configuration "
            '(it contains ", $, \\ or a control character).'
        )
    return f'"{value}"'


def nginx_config(page: str, flag_file: str | None, retry_after: str | None) -> str:
    """The snippet of ``nginx_snippet`` for the paths given on the command line:
    ``page`` must be a file (ValueError naming it otherwise); the flag file is
    ``maintenance.on`` next to it unless given. Relative paths are made absolute, as
    nginx would read them from its own prefix."""
    page_path = Path(os.path.abspath(page))
    if not page_path.is_file():
        raise ValueError(
            f"The maintenance page {page} is not a file; write it first with "
            "'manage.py maintenance_mode render --output PATH'."
        )
    flag_path = (
        page_path.parent / FLAG_FILE if flag_file is None else Path(os.path.abspath(flag_file))
    )
    return nginx_snippet(page_path, flag_path, retry_after)


def nginx_snippet(page: Path, flag_file: Path, retry_after: str | None) -> str:
    """An nginx snippet, to include in a ``server {}`` block, that answers 502, 503 and
    504 (the upstream is down or slow) with ``page`` as a 503, and every request with it
    while ``flag_file`` exists. ``page`` and ``flag_file`` should be absolute."""
    uri = f"/{page.name}"
    quoted_uri = _quote(uri, "The page's name")
    root = _quote(str(page.parent), "The page's directory")
    flag = _quote(str(flag_file), "The flag file")
    retry = ""
    if retry_after:
        retry = f"    add_header Retry-After {_quote(retry_after, 'The Retry-After')} always;\n"
    return f"""\
# Maintenance page of maintenance_waffle, served by nginx while Django is down.
#
# Include this file inside your site's server {{}} block and keep your own
# locations, e.g.:
#
#     server {{
#         listen 443 ssl;
#         server_name example.com;
#         include /etc/nginx/snippets/maintenance.conf;
#         location / {{ proxy_pass http://your_gunicorn; }}  # your own upstream
#     }}
#
# Then check and reload: nginx -t && nginx -s reload (or systemctl reload nginx).
#
# - When gunicorn is down or too slow (nginx's own 502, 503 or 504), visitors get
#   {page} with status 503.
#   Render it again after changing the reason or the language:
#       python manage.py maintenance_mode render --output {page}
# - While {flag_file} exists, every request gets the page
#   and nothing reaches Django:
#       touch {flag_file}   # down (before stopping or migrating)
#       rm {flag_file}      # back
# - Django's own 503 (maintenance_mode on) passes through unchanged, unless
#   proxy_intercept_errors is on; an error_page in one of your locations replaces this one
#   there.
# - The URI {uri} is internal: a request for it from outside gets 404.
# - add_header in the location below means that location does not inherit the server's
#   add_header lines (e.g. Strict-Transport-Security): repeat them there if needed.

error_page 502 503 504 =503 {quoted_uri};

set $maintenance_waffle_down "";
if (-f {flag}) {{
    set $maintenance_waffle_down 1;
}}
# error_page's redirect passes here again: let it reach the page.
if ($uri = {quoted_uri}) {{
    set $maintenance_waffle_down "";
}}
if ($maintenance_waffle_down) {{
    return 503;
}}

location = {quoted_uri} {{
    internal;
    root {root};
    # The page whatever its file's extension, as UTF-8 HTML.
    types {{ }}
    default_type text/html;
    charset utf-8;
{retry}    add_header Cache-Control "no-store" always;
}}
"""
