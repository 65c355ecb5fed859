"""Every text Los sends, once per language: ``nb.py`` (bokmål, first) and ``en.py``.

Keep them short (one SMS segment where possible), plain and kind, and never say why someone has
an appointment.
"""

from __future__ import annotations

from handlers.texts import en, nb

CATALOGUES: dict[str, dict[str, str]] = {"nb": nb.TEXTS, "en": en.TEXTS}
DEFAULT_LANGUAGE = "nb"


def t(language: str | None, key: str, **values: object) -> str:
    """The text ``key`` in ``language`` (bokmål when unknown), filled with ``values``."""
    catalogue = CATALOGUES.get(language or DEFAULT_LANGUAGE, nb.TEXTS)
    template = catalogue.get(key) or nb.TEXTS[key]
    return template.format(**values)
