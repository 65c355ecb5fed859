"""The staff app's words: ``nb.py`` (bokmål, the default) and ``en.py``, one place per language."""

from __future__ import annotations

from bot.web.texts import en, nb

CATALOGUES: dict[str, dict[str, str]] = {"nb": nb.TEXTS, "en": en.TEXTS}


def ui(language: str | None, key: str, **values: object) -> str:
    """The words for ``key`` in the staff user's language (bokmål when unknown)."""
    template = CATALOGUES.get(language or "nb", nb.TEXTS).get(key) or nb.TEXTS.get(key, key)
    return template.format(**values) if values else template
