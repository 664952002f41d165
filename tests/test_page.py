"""The packaged maintenance page: languages, the expected end, reloading, accessibility."""

from __future__ import annotations

import ast
import gettext
import re
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.handlers.wsgi import WSGIRequest
from django.http import HttpResponse
from django.test import RequestFactory
from django.utils import dateformat, formats, timezone, translation
from django.utils.html import escape
from pytest_django import Settings

from maintenance_waffle import responses
from maintenance_waffle.conf import get_config
from maintenance_waffle.state import Window, make_snapshot

#: A strict policy: only the site's own files, and inline code with the request's nonce
#: (Django 6.0's CSP.SELF and CSP.NONCE).
STRICT_CSP = {
    "default-src": ["'self'"],
    "style-src": ["'self'", "<CSP_NONCE_SENTINEL>"],
    "script-src": ["'self'", "<CSP_NONCE_SENTINEL>"],
}

LOCALE = Path(responses.__file__).parent / "locale"
TRANSLATED = ("de", "fr", "es", "it")
HEADINGS = {
    "en": "We’ll be back soon",  # noqa: RUF001 - typographic apostrophe
    "de": "Wir sind bald wieder da",
    "fr": "Nous serons bientôt de retour",
    "es": "Volveremos pronto",
    "it": "Torneremo presto",
}
# The reload delay as the page's script computes it from data-seconds.
RELOAD_DELAY = 'Math.min(Math.max(Number(line.getAttribute("data-seconds")) || 0, 10), 300)'
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")


class Page(HTMLParser):
    """The start tags of an HTML page, with their attributes."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def all(self, tag: str) -> list[dict[str, str | None]]:
        return [attrs for name, attrs in self.tags if name == tag]


def visitor(rf: RequestFactory, method: str = "get") -> WSGIRequest:
    request: WSGIRequest = getattr(rf, method)("/")
    request.user = AnonymousUser()
    request.maintenance_mode = True  # type: ignore[attr-defined]
    return request


def running(left: timedelta = timedelta(minutes=45)) -> Window:
    """A window that started an hour ago and ends ``left`` from now (whole seconds)."""
    now = timezone.now().replace(microsecond=0)
    return Window(start=now - timedelta(hours=1), end=now + left, reason="Moving the database")


def build(request: WSGIRequest, *windows: Window) -> HttpResponse:
    """The response with the switch on, or for the running ``windows`` when given."""
    config = get_config()
    snapshot = make_snapshot(
        config, switch=not windows, reason="Upgrading the <database>", windows=windows
    )
    return responses.build(request, snapshot, config)


def page(rf: RequestFactory, *windows: Window) -> str:
    return build(visitor(rf), *windows).content.decode()


def po_path(language: str) -> Path:
    return LOCALE / language / "LC_MESSAGES" / "django.po"


def read_po(path: Path) -> list[dict[str, str]]:
    """The entries of a .po file as {"flags", "msgid", "msgstr" or "msgstr[n]", ...}."""
    entries = []
    for block in path.read_text(encoding="utf-8").split("\n\n"):
        entry = {"flags": ""}
        key = ""
        for line in block.splitlines():
            if line.startswith("#,"):
                entry["flags"] = line[2:]
            elif line.startswith('"'):
                entry[key] += ast.literal_eval(line)
            elif not line.startswith("#"):
                key, _, value = line.partition(" ")
                entry[key] = ast.literal_eval(value)
        entries.append(entry)
    return entries


def translations(entry: dict[str, str]) -> list[str]:
    return [text for key, text in entry.items() if key.startswith("msgstr")]


def english_texts(scope: str = "") -> dict[str, str]:
    """The page's sentences for the maintenance of ``scope``, in English."""
    kind = "area:" if scope.startswith("area:") else scope
    with translation.override("en"):
        texts = {**responses._TEXTS, **responses._SCOPE_TEXTS.get(kind, {})}
        return {key: str(text) for key, text in texts.items()}


def every_english_text() -> set[str]:
    """Every sentence the maintenance response may say: each scope's page and detail."""
    texts = {text for scope in SCOPES for text in english_texts(scope).values()}
    with translation.override("en"):
        return texts | {str(text) for text in responses._DETAILS.values()}


SCOPES = ("", "read-only", "area:checkout")


# Languages ---------------------------------------------------------------------------


@pytest.mark.parametrize(("language", "heading"), HEADINGS.items())
def test_the_page_in_each_language(rf: RequestFactory, language: str, heading: str) -> None:
    with translation.override(language):
        html = page(rf, running())
        texts = responses.page_texts()

    parsed = Page(html)
    assert parsed.all("html") == [{"lang": language, "dir": "ltr"}]
    assert f"<h1>{heading}</h1>" in html
    assert f"<title>{texts['title']}</title>" in html
    for key in ("lead", "reason", "ends", "later", "retry"):
        assert texts[key] in html
    # The script puts the delay in place of the placeholder, in every language.
    assert "%(time)s" in texts["retry"]
    if language != "en":
        assert HEADINGS["en"] not in html


@pytest.mark.parametrize("language", HEADINGS)
@pytest.mark.django_db
def test_the_page_follows_the_visitors_language(
    settings: Settings, http: Any, language: str
) -> None:
    settings.MAINTENANCE_MODE = True
    settings.LANGUAGES = [(code, code) for code in HEADINGS]

    response = http.get("/", headers={"accept-language": f"{language};q=0.9, ja;q=0.5"})

    assert response.status_code == 503
    html = response.content.decode()
    assert f'<html lang="{language}" dir="ltr">' in html
    assert HEADINGS[language] in html


@pytest.mark.parametrize("language", TRANSLATED)
def test_the_page_texts_come_from_the_catalogs(language: str) -> None:
    catalog = {entry["msgid"]: translations(entry)[0] for entry in read_po(po_path(language))}

    for scope in SCOPES:
        with translation.override(language):
            texts = responses.page_texts(scope)
        for key, msgid in english_texts(scope).items():
            assert texts[key] == escape(catalog[msgid]), (scope, key)


def test_the_texts_are_translated_once_per_language() -> None:
    responses.reset()
    with translation.override("de"):
        german = responses.page_texts()
        assert responses.page_texts() is german
    with translation.override("fr"):
        french = responses.page_texts()

    assert french is not german
    assert (german["heading"], german["language"]) == (HEADINGS["de"], "de")
    assert (french["heading"], french["language"]) == (HEADINGS["fr"], "fr")
    info = responses._texts.cache_info()
    assert (info.misses, info.hits) == (2, 1)
    responses.reset()
    assert responses._texts.cache_info().currsize == 0


def test_the_texts_are_escaped_once(monkeypatch: pytest.MonkeyPatch, rf: RequestFactory) -> None:
    monkeypatch.setitem(responses._TEXTS, "lead", "Fish & chips <soon>")
    responses.reset()
    try:
        html = page(rf)
    finally:
        monkeypatch.undo()
        responses.reset()

    assert "<p>Fish &amp; chips &lt;soon&gt;</p>" in html
    assert all(hasattr(text, "__html__") for text in responses.page_texts().values())


def test_right_to_left_languages_get_the_direction() -> None:
    with translation.override("ar"):
        texts = responses.page_texts()
    assert (texts["language"], texts["direction"]) == ("ar", "rtl")


def test_without_an_active_language_the_project_language_is_used() -> None:
    with translation.override(None):
        texts = responses.page_texts()
    assert (texts["language"], texts["direction"]) == ("en", "ltr")


# The expected end --------------------------------------------------------------------


@pytest.mark.parametrize("language", HEADINGS)
def test_the_end_is_rendered_in_the_project_time_zone_and_rewritten_in_the_visitors(
    rf: RequestFactory, language: str
) -> None:
    window = running()
    assert window.end is not None

    with translation.override(language), timezone.override("Europe/Berlin"):
        html = page(rf, window)
        end = timezone.localtime(window.end)
        fallback = formats.date_format(end, "DATETIME_FORMAT")

    # Without JavaScript: the end in the project's time zone, named (CET or CEST).
    zone = dateformat.format(end, "T")
    assert zone in ("CET", "CEST")
    assert f'<time datetime="{end.isoformat()}">{fallback} {zone}</time>' in html
    # With it: the same instant in the visitor's time zone and format.
    assert 'new Date(time.getAttribute("datetime"))' in html
    assert '.toLocaleString(locale, {dateStyle: "medium", timeStyle: "short"})' in html


def test_without_an_end_there_is_no_time_and_no_script_for_it(rf: RequestFactory) -> None:
    html = page(rf)

    assert "<time" not in html
    assert "toLocaleString" not in html
    assert "Upgrading the &lt;database&gt;" in html


# Reloading ---------------------------------------------------------------------------


def reload_line(html: str) -> list[dict[str, str | None]]:
    return [attrs for attrs in Page(html).all("p") if attrs.get("id") == "reload"]


@pytest.mark.parametrize("retry_after", [1, 120, 3600, "45"])
def test_the_page_reloads_itself_after_retry_after_seconds(
    settings: Settings, rf: RequestFactory, retry_after: int | str
) -> None:
    settings.MAINTENANCE_MODE_RETRY_AFTER = retry_after

    response = build(visitor(rf))
    html = response.content.decode()

    seconds = response["Retry-After"]
    assert seconds == str(retry_after)
    # Hidden until the script has put the delay in it: without JavaScript, no promise.
    assert reload_line(html) == [
        {"id": "reload", "role": "status", "data-seconds": seconds, "hidden": None}
    ]
    assert RELOAD_DELAY in html
    # A new GET of the same address, so that a 503 answering a POST is not resent.
    assert "location.replace(location.href)" in html
    assert "setTimeout(" in html


def test_in_a_window_the_page_reloads_when_the_window_ends(rf: RequestFactory) -> None:
    response = build(visitor(rf), running(left=timedelta(minutes=3)))

    seconds = response["Retry-After"]
    assert 170 < int(seconds) <= 180
    [line] = reload_line(response.content.decode())
    assert line["data-seconds"] == seconds


@pytest.mark.parametrize(
    "retry_after", [0, None, "Wed, 21 Oct 2026 07:28:00 GMT", "\N{SUPERSCRIPT TWO}"]
)
def test_without_retry_after_seconds_the_page_does_not_reload(
    settings: Settings, rf: RequestFactory, retry_after: int | str | None
) -> None:
    settings.MAINTENANCE_MODE_RETRY_AFTER = retry_after

    html = page(rf)

    assert reload_line(html) == []
    assert "location" not in html
    assert "setTimeout" not in html
    assert "<script" not in html
    assert "Please try again in a little while." in html


# Structure, accessibility, no external assets ---------------------------------------


def test_the_page_is_one_accessible_document(rf: RequestFactory) -> None:
    html = page(rf, running())
    parsed = Page(html)

    assert html.startswith("<!doctype html>\n<html ")
    assert len(parsed.all("main")) == 1
    assert len(parsed.all("h1")) == 1
    assert len(parsed.all("title")) == 1
    assert {"name": "viewport", "content": "width=device-width, initial-scale=1"} in parsed.all(
        "meta"
    )
    assert {"name": "color-scheme", "content": "light dark"} in parsed.all("meta")
    assert {"name": "robots", "content": "noindex"} in parsed.all("meta")
    # The template's notes stay on the server.
    assert "WCAG" not in html


def test_the_page_needs_nothing_else(rf: RequestFactory) -> None:
    html = page(rf, running())
    parsed = Page(html)

    assert not {"link", "img", "iframe", "object", "embed"} & {tag for tag, _ in parsed.tags}
    assert all("src" not in attrs and "href" not in attrs for _, attrs in parsed.tags)
    assert "url(" not in html
    assert "@import" not in html
    assert "//" not in html


def test_the_page_has_a_dark_scheme_and_respects_reduced_motion(rf: RequestFactory) -> None:
    html = page(rf)

    assert "@media (prefers-color-scheme: dark)" in html
    animated = re.findall(r"([^{}]+)\{[^{}]*animation: (?!none)", html)
    assert [selector.strip() for selector in animated] == [".badge::before"]
    assert "@media (prefers-reduced-motion: reduce) { .badge::before { animation: none; } }" in html


@pytest.mark.parametrize("language", TRANSLATED)
def test_head_gets_no_body_in_any_language(rf: RequestFactory, language: str) -> None:
    with translation.override(language):
        response = build(visitor(rf, method="head"), running())

    assert response.status_code == 503
    assert response.content == b""
    assert response["Content-Type"] == "text/html; charset=utf-8"
    assert int(response["Retry-After"]) > 0


# Catalogs ----------------------------------------------------------------------------


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_message_is_translated(language: str) -> None:
    header, *messages = read_po(po_path(language))

    assert header["msgid"] == ""
    assert f"Language: {language}\n" in header["msgstr"]
    assert "Plural-Forms: nplurals=" in header["msgstr"]
    assert "charset=UTF-8" in header["msgstr"]
    assert every_english_text() <= {entry["msgid"] for entry in messages}
    assert [entry["msgid"] for entry in [header, *messages] if "fuzzy" in entry["flags"]] == []
    assert [entry["msgid"] for entry in messages if not all(translations(entry))] == []


@pytest.mark.parametrize("language", TRANSLATED)
def test_translations_keep_the_placeholders(language: str) -> None:
    for entry in read_po(po_path(language)):
        expected = sorted(PLACEHOLDER.findall(entry["msgid"]))
        for text in translations(entry):
            assert sorted(PLACEHOLDER.findall(text)) == expected, entry["msgid"]


@pytest.mark.parametrize("language", TRANSLATED)
def test_the_compiled_catalogs_match_the_sources(language: str) -> None:
    path = po_path(language)
    with path.with_suffix(".mo").open("rb") as compiled:
        catalog = vars(gettext.GNUTranslations(compiled))["_catalog"]

    expected: dict[str | tuple[str, int], str] = {}
    for entry in read_po(path):
        # As gettext keys them: context and message joined by EOT; plural forms numbered.
        msgid = f"{entry['msgctxt']}\x04{entry['msgid']}" if "msgctxt" in entry else entry["msgid"]
        for key, text in entry.items():
            if key.startswith("msgstr"):
                expected[msgid if key == "msgstr" else (msgid, int(key[7:-1]))] = text
    # msgfmt leaves the header's POT-Creation-Date out.
    assert f"Language: {language}\n" in catalog.pop("")
    expected.pop("")
    assert catalog == expected


# Content Security Policy ---------------------------------------------------------------


def test_without_a_nonce_the_page_has_none(rf: RequestFactory) -> None:
    html = page(rf, running(left=timedelta(minutes=10)))

    assert "nonce" not in html
    assert " style=" not in html


def test_every_inline_style_and_script_carries_the_nonce(
    rf: RequestFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(responses, "_csp_nonce", lambda request: "r4nd0m")
    parsed = Page(page(rf, running(left=timedelta(minutes=10))))

    inline = parsed.all("style") + parsed.all("script")
    assert len(inline) == 3  # the style, the local end time, the reload
    assert {attrs.get("nonce") for attrs in inline} == {"r4nd0m"}
    assert all("style" not in attrs for _, attrs in parsed.tags)
