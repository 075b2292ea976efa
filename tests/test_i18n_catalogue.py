"""The Vietnamese catalogue: the shipped .mo is compiled from the .po, and every message is translated."""

from __future__ import annotations

import gettext

from babel.messages.pofile import read_po

from emrtrack import i18n

PO = i18n.LOCALE_DIR / "vi" / "LC_MESSAGES" / "emrtrack.po"
MO = i18n.LOCALE_DIR / "vi" / "LC_MESSAGES" / "emrtrack.mo"


def test_mo_is_up_to_date_with_po():
    with PO.open("rb") as f:
        catalog = read_po(f, locale="vi")
    with MO.open("rb") as f:
        compiled = gettext.GNUTranslations(f)
    messages = [m for m in catalog if m.id]
    assert len(messages) > 30
    for m in messages:
        if isinstance(m.id, tuple):
            assert m.string[0], f"untranslated: {m.id[0]!r}"
            assert compiled.ngettext(m.id[0], m.id[1], 1) == m.string[0]
            assert compiled.ngettext(m.id[0], m.id[1], 5) == m.string[0]
        else:
            assert m.string, f"untranslated: {m.id!r}"
            assert compiled.gettext(m.id) == m.string, m.id
    # nothing in the .mo that the .po no longer holds
    ids = {m.id if isinstance(m.id, str) else m.id[0] for m in messages}
    assert {k if isinstance(k, str) else k[0] for k in compiled._catalog if k} <= ids


def test_placeholders_are_kept_in_every_translation():
    import re

    with PO.open("rb") as f:
        catalog = read_po(f, locale="vi")
    for m in catalog:
        if not m.id:
            continue
        source = m.id if isinstance(m.id, str) else m.id[1]
        target = m.string if isinstance(m.string, str) else m.string[0]
        assert sorted(re.findall(r"\{\w*\}", source)) == sorted(re.findall(r"\{\w*\}", target)), m.id


def test_language_resolution(monkeypatch):
    assert i18n.resolve(None) == "en"
    monkeypatch.setenv("LANG", "vi_VN.UTF-8")
    assert i18n.resolve(None) == "vi"
    assert i18n.resolve("en") == "en"
    monkeypatch.setenv("EMRTRACK_LANG", "en")
    assert i18n.resolve(None) == "en"
    monkeypatch.setenv("EMRTRACK_LANG", "vi")
    monkeypatch.setenv("LANG", "C.UTF-8")
    assert i18n.resolve(None) == "vi"
