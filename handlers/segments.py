"""How many SMS a text costs: GSM-7 (160 characters, 153 per part) or UCS-2 (70, 67 per part).

æøåÆØÅ are in the GSM-7 basic alphabet; the extension characters (``^{}\\[~]|€`` and form feed)
take two septets each; anything else (an emoji, a Polish ł) makes the whole text UCS-2, where a
character outside the Basic Multilingual Plane (most emoji) takes two 16-bit units.
"""

from __future__ import annotations

from dataclasses import dataclass

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")

SINGLE = {"GSM-7": 160, "UCS-2": 70}
PART = {"GSM-7": 153, "UCS-2": 67}


@dataclass(frozen=True)
class SegmentCount:
    encoding: str  # "GSM-7" | "UCS-2"
    characters: int  # what a person counts
    units: int  # septets (GSM-7) or 16-bit code units (UCS-2)
    segments: int
    per_segment: int  # room in each segment at this length

    def as_dict(self) -> dict[str, object]:
        return {
            "encoding": self.encoding,
            "characters": self.characters,
            "units": self.units,
            "segments": self.segments,
            "per_segment": self.per_segment,
        }


def is_gsm7(text: str) -> bool:
    return all(c in GSM7_BASIC or c in GSM7_EXTENSION for c in text)


def _unit_sizes(text: str, encoding: str) -> list[int]:
    if encoding == "GSM-7":
        return [2 if c in GSM7_EXTENSION else 1 for c in text]
    return [2 if ord(c) > 0xFFFF else 1 for c in text]


def count_segments(text: str) -> SegmentCount:
    """The encoding a phone would use and the number of SMS parts the text is split into.

    A character never straddles two parts (an escape pair or a surrogate pair stays whole).
    """
    encoding = "GSM-7" if is_gsm7(text) else "UCS-2"
    sizes = _unit_sizes(text, encoding)
    units = sum(sizes)
    if units <= SINGLE[encoding]:
        return SegmentCount(encoding, len(text), units, 1 if text else 0, SINGLE[encoding])
    room = PART[encoding]
    parts, used = 1, 0
    for size in sizes:
        if used + size > room:
            parts, used = parts + 1, 0
        used += size
    return SegmentCount(encoding, len(text), units, parts, room)
