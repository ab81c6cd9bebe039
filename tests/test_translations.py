"""The message catalogs: every user-facing string is translated, correctly formed, and served.

Residents read Chinese by default and English on request, so both catalogs must be complete: a
string added to the code or a template without a translation fails here, not in front of a resident.
Translate it with `make extract-messages`, then fill both catalogs (the English msgstr is the msgid).

The pages are rendered from the compiled .mo files. `make test` compiles them first (its
`translations` prerequisite); when this module is run on its own, any .mo file that is missing or
older than its .po is compiled as the module loads, before the app can cache a stale catalog.
"""
from __future__ import annotations

import re
from datetime import datetime, timezone
from pathlib import Path
from types import SimpleNamespace

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "app" / "translations"
LOCALES = ("zh_Hans", "en")
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None}  # as `make extract-messages`

# Python-format placeholders: %(name)s, %(n)d, %(x).1f ...
PLACEHOLDER = re.compile(r"%\((\w+)\)[#0 +\-]*\d*(?:\.\d+)?([a-zA-Z])")


def _po_path(locale: str) -> Path:
    return TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po"


def _read_catalog(locale: str):
    with _po_path(locale).open("rb") as f:
        return read_po(f, locale=locale)


def _compile_stale_catalogs() -> None:
    for locale in LOCALES:
        po = _po_path(locale)
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            catalog = _read_catalog(locale)
            with mo.open("wb") as f:
                write_mo(f, catalog, use_fuzzy=False)


_compile_stale_catalogs()


def _entries(locale: str):
    """(msgid, msgstr) of every message, one pair per plural form (msgid_plural for forms after the first)."""
    for message in _read_catalog(locale):
        if not message.id:
            continue  # the header
        if message.pluralizable:
            ids, strings = message.id, message.string
            for index, string in enumerate(strings):
                yield ids[min(index, 1)], string, message
        else:
            yield message.id, message.string, message


def _extracted_msgids() -> set[str]:
    with (ROOT / "babel.cfg").open() as f:
        method_map, options_map = parse_mapping_cfg(f, "babel.cfg")
    found = set()
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=KEYWORDS
    ):
        found.add(message[0] if isinstance(message, tuple) else message)
    return found


def _placeholders(text: str) -> set[tuple[str, str]]:
    return set(PLACEHOLDER.findall(text))


# --- completeness -----------------------------------------------------------------------------

@pytest.mark.parametrize("locale", LOCALES)
def test_every_string_in_the_sources_is_in_the_catalog(locale):
    catalog = _read_catalog(locale)
    extracted = _extracted_msgids()
    assert extracted, "extraction found no strings: is babel.cfg still right?"

    missing = sorted(msgid for msgid in extracted if msgid not in catalog)

    assert missing == [], f"not in {locale}; run `make extract-messages` and translate: {missing}"


@pytest.mark.parametrize("locale", LOCALES)
def test_no_entry_is_fuzzy_or_untranslated(locale):
    catalog = _read_catalog(locale)

    fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
    empty = sorted({str(msgid) for msgid, string, _m in _entries(locale) if not string})

    assert fuzzy == [], f"fuzzy in {locale}: {fuzzy}"
    assert empty == [], f"untranslated in {locale}: {empty}"


@pytest.mark.parametrize("locale", LOCALES)
def test_translations_keep_the_placeholders_of_the_english(locale):
    wrong = [
        (msgid, string)
        for msgid, string, _m in _entries(locale)
        if string and _placeholders(string) != _placeholders(msgid)
    ]

    assert wrong == []


@pytest.mark.parametrize("locale", LOCALES)
def test_strings_with_placeholders_are_marked_python_format(locale):
    unmarked = [msgid for msgid, _s, message in _entries(locale)
                if _placeholders(msgid) and not message.python_format]

    assert unmarked == []


@pytest.mark.parametrize("locale", LOCALES)
def test_every_translation_formats_without_error(locale):
    """A stray '%' or a bad conversion would raise when the app fills the placeholders."""
    for msgid, string, _m in _entries(locale):
        values = {name: (1 if conversion in "dif" else "x") for name, conversion in _placeholders(msgid)}
        if values:
            string % values


def test_the_english_catalog_says_exactly_the_english_text():
    different = [(msgid, string) for msgid, string, _m in _entries("en") if string != msgid]

    assert different == []


# --- SMS --------------------------------------------------------------------------------------

# The longest a reference and a time render: "384 129 5706" and "11月20日 10:30" (two-digit month and day).
REFERENCE = "3841295706"
DUE = datetime(2026, 11, 20, 2, 30, tzinfo=timezone.utc)  # 11月20日 10:30 in Baotou


def _ticket(**overrides):
    values = dict(id=1, reference=REFERENCE, phone="+8613800138000", sms_consent=True,
                  language="zh_Hans", respond_due_at=DUE)
    values.update(overrides)
    return SimpleNamespace(**values)


def _composers():
    from app.messaging import notify

    return {
        "received, with a due time": (notify.received, {}),
        "received, no due time": (notify.received, {"respond_due_at": None}),
        "technician assigned": (notify.technician_assigned, {}),
        "technician on the way": (notify.technician_on_the_way, {}),
        # the survey text carries a signed link and may take two segments: tests/test_satisfaction_survey.py
        "closed": (notify.closed, {}),
    }


@pytest.fixture
def queued_sms(monkeypatch):
    """The SMS bodies the notify composers hand to the outbox."""
    from app.messaging import notify

    bodies: list[str] = []
    monkeypatch.setattr(notify, "queue_sms", lambda **kwargs: bodies.append(kwargs["body"]))
    return bodies


@pytest.mark.parametrize("kind", list(_composers()))
def test_chinese_sms_fits_in_one_segment(ctx, queued_sms, kind):
    from app.messaging.segments import segment_count

    compose, overrides = _composers()[kind]
    compose(_ticket(**overrides))
    [body] = queued_sms

    assert body.startswith("【包头热力】")
    assert "384 129 5706" in body
    assert "工单" in body  # the Chinese text, not the English fallback
    assert len(body.encode("utf-16-le")) // 2 <= 70, f"{len(body)} characters: {body}"
    assert segment_count(body) == 1


# --- pages ------------------------------------------------------------------------------------

def test_a_chinese_browser_gets_the_home_page_in_chinese(client):
    response = client.get("/", headers={"Accept-Language": "zh-CN,zh;q=0.9"})
    page = response.get_data(as_text=True)

    assert response.status_code == 200
    assert "报修" in page
    assert "Report a problem" not in page


def test_an_english_browser_gets_the_home_page_in_english(client):
    response = client.get("/", headers={"Accept-Language": "en"})
    page = response.get_data(as_text=True)

    assert response.status_code == 200
    assert "Report a problem" in page
    assert "报修" not in page
