"""The reference pages made from the code, so that they cannot drift from it, and the
Sphinx extension that writes them.

- ``reference/settings.md``: every setting of ``conf.SETTINGS`` with its type, default
  and meaning, then the settings that no longer apply (``conf.RENAMED_SETTINGS``,
  ``conf.IGNORED_SETTINGS``).
- ``reference/checks.md``: every system-check ID, with the message and hint the checks
  give for an example configuration (``EXAMPLES``), run when the page is made.
- ``reference/command.md``: ``manage.py maintenance_mode``, from its argument parser.

The pages are committed. Sphinx rewrites them when it starts (only those whose text
changed, so that an incremental build stays quiet); from the repository root,
``python docs/_ext/mw_reference.py --check`` says which page is stale (exit status 1)
and ``--write`` rewrites them.

Links to these pages. With ``myst_heading_anchors = 3``, MyST makes a heading's anchor
from its text: lower-cased, punctuation other than ``_`` and ``-`` dropped, spaces turned
into ``-``. So ``## `MAINTENANCE_MODE_RETRY_AFTER``` is
``reference/settings.md#maintenance_mode_retry_after``, and
``## `maintenance_waffle.E001``` is ``reference/checks.md#maintenance_wafflee001``. Each
setting and check also has an explicit target named exactly as written, which any page
can link to without a path: ``[Retry-After](#MAINTENANCE_MODE_RETRY_AFTER)``,
``[E001](#maintenance_waffle.E001)``, or ``{ref}`maintenance_waffle.E001```.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from maintenance_waffle.checks import AUTHENTICATION_MIDDLEWARE, MIDDLEWARE

if TYPE_CHECKING:
    from django.core.checks import CheckMessage
    from sphinx.application import Sphinx

DOCS = Path(__file__).resolve().parent.parent
ROOT = DOCS.parent
SETTINGS_PAGE = "reference/settings.md"
CHECKS_PAGE = "reference/checks.md"
COMMAND_PAGE = "reference/command.md"
#: The first lines of every page made here (a MyST comment).
GENERATED = (
    "% Generated from the code by docs/_ext/mw_reference.py: do not edit. Run make docs\n"
    "% (or python docs/_ext/mw_reference.py --write) to regenerate.\n"
)
#: Where the usage line of the command wraps.
WIDTH = 88
#: The line length of the project's formatter, which formats the pages' Python blocks.
LINE_LENGTH = 100

SESSION_MIDDLEWARE = "django.contrib.sessions.middleware.SessionMiddleware"


def generate() -> dict[str, str]:
    """Every reference page, by path relative to ``docs/``. Django must be set up."""
    return {
        SETTINGS_PAGE: settings_page(),
        CHECKS_PAGE: checks_page(),
        COMMAND_PAGE: command_page(),
    }


def _target(name: str) -> str:
    """A MyST target, so that ``[text](#name)`` reaches the heading that follows."""
    return f"({name})=\n"


def _check_link(id_: str) -> str:
    from maintenance_waffle.conf import check_id

    return f"[{id_}](#{check_id(id_)})"


# Settings -----------------------------------------------------------------------------------

SETTINGS_INTRO = """\
All settings are optional. Settings named `MAINTENANCE_MODE_*` mean what they mean in
django-maintenance-mode, except where noted. Invalid values are reported by the
[system checks](checks.md).

Settings are honoured however they are set: in the settings module, with
`override_settings` (or pytest-django's `settings` fixture), or assigned directly on
`django.conf.settings` while the process runs (`settings.MAINTENANCE_MODE = True`, as
suites written for django-maintenance-mode do): the next request and the next API call
see the new value. They are parsed once and parsed again only when a value changed; to
stay that cheap, a request that nothing can put into maintenance checks only
`MAINTENANCE_MODE`, so the waffle names (`MAINTENANCE_WAFFLE_SWITCH`, `_FLAG`,
`_EXEMPT_FLAG`) assigned at run time are followed within
`MAINTENANCE_WAFFLE_REFRESH_INTERVAL`.
"""

NO_LONGER_APPLY = """\
The state lives in waffle's tables, so django-maintenance-mode's storage settings are
ignored, with a system-check warning ([`maintenance_waffle.W002`](#maintenance_waffle.W002))
that says so. Remove them after moving over. A setting django-maintenance-mode renamed
is an error under its old name
([`maintenance_waffle.E014`](#maintenance_waffle.E014)): it would have no effect.
"""


def settings_page() -> str:
    """``reference/settings.md``: ``conf.SETTINGS`` in order, then those that no longer
    apply."""
    from maintenance_waffle import conf

    parts = [GENERATED, "\n# Settings\n\n", SETTINGS_INTRO]
    for setting in conf.SETTINGS:
        parts.append(
            f"\n{_target(setting.name)}## `{setting.name}`\n\n"
            f"**Type:** `{setting.type}` · **Default:** `{python_literal(setting.default)}`\n\n"
            f"{setting.doc}\n"
        )
    parts.append(f"\n## Settings that no longer apply\n\n{NO_LONGER_APPLY}")
    for name, why in conf.IGNORED_SETTINGS.items():
        parts.append(f"\n{_target(name)}### `{name}`\n\nIgnored ({_check_link('W002')}). {why}\n")
    for old, new in conf.RENAMED_SETTINGS.items():
        parts.append(
            f"\n{_target(old)}### `{old}`\n\n"
            f"Renamed to [`{new}`](#{new}) by django-maintenance-mode: the old name has no "
            f"effect, and is an error ({_check_link('E014')}).\n"
        )
    return "".join(parts)


# System checks ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Example:
    """A configuration that gives exactly one check message, of ``id``.

    ``override`` and ``remove`` go to ``override_settings`` and ``modify_settings``. The
    page shows ``note`` (Markdown), then the overridden settings as Python but those named
    in ``unshown``.
    """

    id: str
    override: Mapping[str, Any] = field(default_factory=dict)
    remove: Mapping[str, Sequence[str]] = field(default_factory=dict)
    note: str = ""
    unshown: tuple[str, ...] = ()

    def run(self) -> list[CheckMessage]:
        """What every check of this app says about the configuration."""
        from django.test import modify_settings, override_settings

        from maintenance_waffle.checks import check_areas, check_installation, check_settings

        removed = {name: {"remove": list(entries)} for name, entries in self.remove.items()}
        with override_settings(**self.override), modify_settings(**removed):
            return [
                message
                for check in (check_installation, check_settings, check_areas)
                for message in check()
            ]

    def configuration(self) -> str:
        """The configuration as the page shows it (Markdown)."""
        shown = {name: value for name, value in self.override.items() if name not in self.unshown}
        lines = "".join(_assignment(name, value) for name, value in shown.items())
        code = f"```python\n{lines}```" if lines else ""
        return "\n\n".join(part for part in (self.note, code) if part)


def python_literal(value: Any) -> str:
    """``repr(value)`` as the project's formatter writes it: strings in double quotes."""
    if isinstance(value, str):
        text = repr(value)
        return f'"{text[1:-1]}"' if text.startswith("'") and '"' not in value else text
    if isinstance(value, list):
        return f"[{', '.join(map(python_literal, value))}]"
    if isinstance(value, dict):
        return (
            "{"
            + ", ".join(f"{python_literal(k)}: {python_literal(v)}" for k, v in value.items())
            + "}"
        )
    return repr(value)


def _assignment(name: str, value: Any) -> str:
    """``NAME = value``, a list or dict one item per line when the line would be too
    long, as ``ruff format`` leaves the Python blocks of Markdown pages."""
    line = f"{name} = {python_literal(value)}\n"
    if len(line) <= LINE_LENGTH + 1 or not isinstance(value, (list, dict)):
        return line
    if isinstance(value, list):
        items = [python_literal(item) for item in value]
        return f"{name} = [\n" + "".join(f"    {item},\n" for item in items) + "]\n"
    items = [f"{python_literal(key)}: {python_literal(item)}" for key, item in value.items()]
    return f"{name} = {{\n" + "".join(f"    {item},\n" for item in items) + "}\n"


class _AdminAndOnOffUrls:
    """The URLconf of the W004 example: the admin site and the on/off URLs where the
    installation instructions put them, whatever the project building the docs has."""

    @property
    def urlpatterns(self) -> list[Any]:
        from django.contrib import admin
        from django.urls import include, path

        return [
            path("admin/", admin.site.urls),
            path("maintenance-mode/", include("maintenance_waffle.urls")),
        ]


#: One configuration per check ID, in ID order: the page shows what the checks say of it.
EXAMPLES: tuple[Example, ...] = (
    Example(
        "E001",
        remove={"INSTALLED_APPS": ["waffle"]},
        note='`INSTALLED_APPS` without `"waffle"`.',
    ),
    Example("E002", {"MIDDLEWARE": [SESSION_MIDDLEWARE, MIDDLEWARE, AUTHENTICATION_MIDDLEWARE]}),
    Example("E003", {"MAINTENANCE_MODE": "False"}),
    Example("E004", {"MAINTENANCE_MODE_IGNORE_STAFF": "True"}),
    Example("E005", {"MAINTENANCE_MODE_STATUS_CODE": 999}),
    Example("E006", {"MAINTENANCE_MODE_RETRY_AFTER": -60}),
    Example("E007", {"MAINTENANCE_MODE_RESPONSE_TYPE": "xml"}),
    Example("E008", {"MAINTENANCE_MODE_TEMPLATE": ""}),
    Example("E009", {"MAINTENANCE_WAFFLE_SWITCH": ""}),
    Example("E010", {"MAINTENANCE_WAFFLE_FLAG": "down", "MAINTENANCE_WAFFLE_EXEMPT_FLAG": "down"}),
    Example("E011", {"MAINTENANCE_WAFFLE_REFRESH_INTERVAL": -1}),
    # The comma of a one-element tuple forgotten.
    Example("E012", {"MAINTENANCE_MODE_IGNORE_URLS": r"^/healthz$"}),
    Example("E013", {"MAINTENANCE_MODE_IGNORE_URLS": [r"^/static/("]}),
    Example("E014", {"MAINTENANCE_MODE_IGNORE_TEST": True}),
    Example("E015", {"MAINTENANCE_MODE_GET_CLIENT_IP_ADDRESS": "myproject.utils.client_ip"}),
    Example("E016", {"MAINTENANCE_MODE_REDIRECT_URL": False}),
    Example("E017", {"MAINTENANCE_WAFFLE_MEMBERSHIP_CACHE_SIZE": 1e4}),
    Example("E018", {"MAINTENANCE_WAFFLE_AREAS": {"Checkout": [r"^/checkout/"]}}),
    Example("W001", {"MIDDLEWARE": [SESSION_MIDDLEWARE, AUTHENTICATION_MIDDLEWARE]}),
    Example("W002", {"MAINTENANCE_MODE_STATE_BACKEND": "maintenance_mode.backends.CacheBackend"}),
    Example(
        "W004",
        {
            "MAINTENANCE_WAFFLE_AREAS": {"back-office": [r"^/admin/"]},
            "ROOT_URLCONF": _AdminAndOnOffUrls(),
        },
        note="With the admin site at `/admin/`:",
        unshown=("ROOT_URLCONF",),
    ),
)

CHECKS_INTRO = """\
Settings are validated by `manage.py check` (and `runserver`, `migrate`, …). A server
such as gunicorn does not run checks: there, an invalid value (an error below) is logged
once, at WARNING, and its default is used instead, and maintenance still applies.
Warnings are left to `manage.py check` and never logged at run time.

Each check below shows an example configuration and what `manage.py check` says of it,
obtained by running the checks on that configuration when this page was made.
"""


def check_message(example: Example) -> CheckMessage:
    """The one message ``example`` gives; ValueError unless it gives exactly its ID."""
    from maintenance_waffle.conf import check_id

    messages = example.run()
    ids = [message.id for message in messages]
    if ids != [check_id(example.id)]:
        raise ValueError(f"The example of {example.id} gives {ids}, not exactly its ID.")
    return messages[0]


def checks_page() -> str:
    """``reference/checks.md``: each ID's level, meaning, example, message and hint."""
    from django.core.checks import ERROR

    from maintenance_waffle.conf import CHECK_SUMMARIES, check_id

    missing = set(CHECK_SUMMARIES) ^ {example.id for example in EXAMPLES}
    if missing:
        raise ValueError(f"Check IDs without both a summary and an example: {sorted(missing)}")
    examples = sorted(EXAMPLES, key=lambda example: example.id)
    messages = [check_message(example) for example in examples]
    levels = ["Error" if message.level >= ERROR else "Warning" for message in messages]

    parts = [GENERATED, "\n# System checks\n\n", CHECKS_INTRO, "\n| ID | Level | Meaning |\n"]
    parts.append("|---|---|---|\n")
    for example, level in zip(examples, levels, strict=True):
        full = check_id(example.id)
        parts.append(f"| [`{full}`](#{full}) | {level} | {CHECK_SUMMARIES[example.id]} |\n")
    for example, message, level in zip(examples, messages, levels, strict=True):
        full = check_id(example.id)
        printed = str(message).expandtabs(8)
        parts.append(
            f"\n{_target(full)}## `{full}`\n\n"
            f"**{level}.** {CHECK_SUMMARIES[example.id]}\n\n"
            f"For example:\n\n{example.configuration()}\n\n"
            f"`manage.py check` says:\n\n```text\n{printed}\n```\n"
        )
    return "".join(parts)


# The command --------------------------------------------------------------------------------

COMMAND_OUTRO = """\
The command also takes the options every Django command takes (`--verbosity`,
`--settings`, …): see `python manage.py help maintenance_mode`.
"""


def _escape(text: str) -> str:
    """Plain text as Markdown: the characters that would start markup, escaped."""
    for character in "\\`*[]<>":
        text = text.replace(character, "\\" + character)
    return text


def _invocation(action: argparse.Action) -> str:
    """How an option is written: ``--bypass-ttl DURATION``; a positional, its name."""
    if not action.option_strings:
        return str(action.metavar or action.dest)
    if action.nargs == 0:
        return action.option_strings[0]
    return f"{action.option_strings[0]} {action.metavar or action.dest.upper()}"


def _usage(prog: str, parser: argparse.ArgumentParser, actions: list[argparse.Action]) -> str:
    """The usage line of ``actions``, wrapped as argparse does (made here so that it does
    not change with the Python version)."""
    groups = {
        id(action): group
        for group in parser._mutually_exclusive_groups
        for action in group._group_actions
    }
    parts: list[str] = []
    done: set[int] = set()
    for action in actions:
        if not action.option_strings:
            continue
        group = groups.get(id(action))
        if group is None:
            parts.append(f"[{_invocation(action)}]")
        elif id(group) not in done:
            done.add(id(group))
            members = [member for member in group._group_actions if member in actions]
            parts.append(f"[{' | '.join(_invocation(member) for member in members)}]")
    parts += [_invocation(action) for action in actions if not action.option_strings]
    indent = " " * (len(prog) + 1)
    lines = [prog]
    for part in parts:
        if len(lines[-1]) + 1 + len(part) > WIDTH:
            lines.append(indent + part)
        else:
            lines[-1] += " " + part
    return "\n".join(lines)


def _exclusions(parser: argparse.ArgumentParser, action: argparse.Action) -> list[str]:
    return [
        member.option_strings[0]
        for group in parser._mutually_exclusive_groups
        if action in group._group_actions
        for member in group._group_actions
        if member is not action
    ]


def _describe(parser: argparse.ArgumentParser, action: argparse.Action) -> str:
    """A definition-list entry: the option, its help, its default, what excludes it."""
    sentences = []
    if action.help:
        sentences.append(_escape(parser._get_formatter()._expand_help(action)) + ".")
    if action.nargs != 0 and action.default is not None and action.option_strings:
        sentences.append(f"Default: `{action.default!r}`.")
    others = _exclusions(parser, action)
    if others:
        sentences.append(f"Not with {', '.join(f'`{other}`' for other in others)}.")
    return f"`{_invocation(action)}`\n: {' '.join(sentences)}\n"


def command_page() -> str:
    """``reference/command.md``: the usage, the positional argument and every option of
    ``manage.py maintenance_mode`` in the parser's order, Django's common options left to
    Django's documentation."""
    from django.core.management.base import BaseCommand

    from maintenance_waffle.management.commands.maintenance_mode import Command

    parser = Command().create_parser("manage.py", "maintenance_mode")
    common = {action.dest for action in BaseCommand().create_parser("manage.py", "x")._actions}
    actions = [action for action in parser._actions if action.dest not in common]
    positionals = [action for action in actions if not action.option_strings]
    options = [action for action in actions if action.option_strings]

    parts = [
        GENERATED,
        "\n# The `maintenance_mode` command\n\n",
        f"{_escape(parser.description or '')}.\n\n",
        f"```text\n{_usage(parser.prog, parser, actions)}\n```\n",
        "\n## Arguments\n\n",
        *(_describe(parser, action) for action in positionals),
        "\n## Options\n\n",
        "\n".join(_describe(parser, action) for action in options),
        "\n",
        COMMAND_OUTRO,
    ]
    return "".join(parts)


# Writing the pages --------------------------------------------------------------------------


def stale(pages: Mapping[str, str], docs: Path = DOCS) -> list[str]:
    """The paths of ``pages`` whose file under ``docs`` is missing or differs."""
    return [
        path
        for path, text in pages.items()
        if not (docs / path).is_file() or (docs / path).read_text(encoding="utf-8") != text
    ]


def write(pages: Mapping[str, str], docs: Path = DOCS) -> list[str]:
    """Write the stale ``pages`` under ``docs`` (only those: Sphinx rebuilds what
    changed) and return their paths."""
    changed = stale(pages, docs)
    for path in changed:
        target = docs / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(pages[path], encoding="utf-8")
    return changed


def _write_pages(app: Sphinx) -> None:
    write(generate(), Path(app.srcdir))


def _untyped_fixtures(app: Sphinx, domain: str, objtype: str, content: Any) -> None:
    """Drop the parameters and return type autodoc lists for a pytest fixture: a test asks
    for it by name and never calls it, so those of the function behind it would mislead.
    After autodoc's own handler (priority 500), which adds them."""
    if domain != "py":
        return
    try:
        from _pytest.fixtures import getfixturemarker
    except ImportError:  # no pytest, no fixtures
        return
    signature = content.parent[0]
    module = sys.modules.get(signature.get("module") or "")
    if getfixturemarker(getattr(module, signature.get("fullname") or "", None)) is None:
        return
    for node in [node for node in content.children if node.tagname == "field_list"]:
        content.remove(node)


def setup(app: Sphinx) -> dict[str, Any]:
    """The Sphinx extension: write the stale reference pages before the build reads the
    sources (docs/conf.py sets Django up first), and show pytest fixtures untyped."""
    app.connect("builder-inited", _write_pages)
    app.connect("object-description-transform", _untyped_fixtures, priority=600)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}


def _set_up_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sample_site.settings")
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def main(argv: Iterable[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="The reference pages made from the code.")
    action = parser.add_mutually_exclusive_group(required=True)
    action.add_argument("--check", action="store_true", help="exit 1 if a page is stale")
    action.add_argument("--write", action="store_true", help="rewrite the stale pages")
    arguments = parser.parse_args(None if argv is None else list(argv))
    _set_up_django()
    pages = generate()
    if arguments.check:
        paths = stale(pages)
        for path in paths:
            print(f"docs/{path} is stale: run make docs to regenerate it.", file=sys.stderr)
        return 1 if paths else 0
    for path in write(pages):
        print(f"wrote docs/{path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
