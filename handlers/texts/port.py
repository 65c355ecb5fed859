"""``make texts``: keys still in ``nb.py``/``en.py`` into the PO catalogues, the template
(``locale/los.pot``) from English, every catalogue brought up to it, and all compiled to ``.mo``.

Run it after merging a branch that added texts the old way: ``python -m handlers.texts.port``.
A key new to English reaches the other languages untranslated (they say it in English until a
translator fills it in); a key whose English changed is marked fuzzy there, so it is checked.
"""

from __future__ import annotations

import re
import sys
from datetime import UTC, datetime
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

from handlers import texts
from handlers.texts import DOMAIN, LANGUAGES, NB_EN_ONLY, en, nb, po_path

# Whether a native speaker has reviewed each catalogue; the PO header and the README say so.
REVIEW_LINE = "Native speaker review:"
SOURCE_FILES = {"nb": Path(nb.__file__), "en": Path(en.__file__)}
EMPTY_DICT = "TEXTS: dict[str, str] = {}\n"
STABLE_DATE = datetime(2026, 1, 1, tzinfo=UTC)


def load(language: str) -> Catalog:
    path = po_path(language)
    if not path.exists():
        catalog = Catalog(locale=language, domain=DOMAIN, project="Los", fuzzy=False)
        catalog.header_comment = (
            f"# Los: texts to people, {LANGUAGES[language]} ({language}).\n"
            f"# {REVIEW_LINE} no (not yet reviewed by a native speaker)."
        )
        return catalog
    with path.open("rb") as handle:
        return read_po(handle, locale=language, domain=DOMAIN)


def save(language: str, catalog: Catalog) -> None:
    path = po_path(language)
    path.parent.mkdir(parents=True, exist_ok=True)
    catalog.fuzzy = False
    with path.open("wb") as handle:
        write_po(handle, catalog, width=100, omit_header=False, ignore_obsolete=True)
    with path.with_suffix(".mo").open("wb") as handle:
        write_mo(handle, catalog, use_fuzzy=False)


def flags_for(text: str) -> set[str]:
    return {"python-brace-format"} if re.search(r"\{\w+\}", text) else set()


def port_legacy(catalogs: dict[str, Catalog]) -> dict[str, set[str]]:
    """Keys in nb.py/en.py into nb.po/en.po (the dict wins); returns the ported keys per file."""
    ported: dict[str, set[str]] = {}
    for language, legacy in (("nb", nb.TEXTS), ("en", en.TEXTS)):
        catalog = catalogs[language]
        for key, text in legacy.items():
            catalog.add(key, text, flags=flags_for(text))
        ported[language] = set(legacy)
    return ported


def template(english: Catalog) -> Catalog:
    """The .pot: every key, with its English text as the translator's comment."""
    pot = Catalog(domain=DOMAIN, project="Los", fuzzy=False)
    pot.header_comment = "# Los: the template every language's catalogue is made from."
    for message in english:
        if message.id:
            text = str(message.string)
            pot.add(message.id, "", auto_comments=[f"English: {text}"], flags=flags_for(text))
    return pot


def bring_up(catalog: Catalog, pot: Catalog, english: Catalog, language: str) -> None:
    """Every key of the template, nothing else; a changed English text marks the entry fuzzy.
    Keys only bokmål and English have (``NB_EN_ONLY``) stay out of the other languages."""
    wanted = {m.id for m in pot if m.id and (language == "nb" or m.id not in NB_EN_ONLY)}
    for message in list(catalog):
        if message.id and message.id not in wanted:
            del catalog[message.id]
    for source in pot:
        if source.id not in wanted:
            continue
        english_text = str(english[source.id].string)
        comment = f"English: {english_text}"
        existing = catalog.get(source.id)
        if existing is None:
            catalog.add(source.id, "", auto_comments=[comment], flags=set(source.flags))
            continue
        if language != "nb" and existing.string and changed(existing.auto_comments, comment):
            existing.flags.add("fuzzy")
        existing.auto_comments = [comment]
        existing.flags |= set(source.flags)


def changed(comments: list[str], comment: str) -> bool:
    """Whether the English text a translation was made from differs from today's (the PO file
    wraps long comments, so white space does not count)."""
    return bool(comments) and "".join(" ".join(comments).split()) != "".join(comment.split())


def empty_legacy(ported: dict[str, set[str]]) -> None:
    """Once ported, the keys leave nb.py/en.py, so the catalogue is the one place they live."""
    for language, keys in ported.items():
        if not keys:
            continue
        path = SOURCE_FILES[language]
        source = path.read_text(encoding="utf-8")
        head = source.split("TEXTS:", 1)[0]
        path.write_text(head + EMPTY_DICT, encoding="utf-8")


def main() -> int:
    catalogs = {language: load(language) for language in LANGUAGES}
    ported = port_legacy(catalogs)
    english = catalogs["en"]
    pot = template(english)
    pot.creation_date = pot.revision_date = STABLE_DATE  # no churn in git
    with (texts.LOCALE_DIR / f"{DOMAIN}.pot").open("wb") as handle:
        write_po(handle, pot, width=100, omit_header=False)
    for language, catalog in catalogs.items():
        if language != "en":
            bring_up(catalog, pot, english, language)
        catalog.creation_date = catalog.revision_date = STABLE_DATE
        save(language, catalog)
    empty_legacy(ported)
    for language, keys in ported.items():
        if keys:
            print(f"{language}: ported {len(keys)} keys from {SOURCE_FILES[language].name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
