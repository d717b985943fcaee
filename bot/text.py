"""Plain-text helpers shared by every layer: accent folding for comparing what people type.

This module is deliberately low (stdlib only) so that the pure flow engine, the scheduler, the
service and the channels all compare words the same way.
"""

from __future__ import annotations

import unicodedata

_LIGATURES = str.maketrans({"œ": "oe", "æ": "ae", "ß": "ss", "ø": "o", "ł": "l", "đ": "d"})


def fold(text: str) -> str:
    """Lower case without accents or ligatures, every other character kept: "Œuvre Ñ" → "oeuvre n".

    Used wherever typed words are compared (options, keywords, municipality names, glossary
    terms). Spaces and punctuation are kept, so callers can still split words or apply regexes;
    strip or collapse them yourself when needed.
    """
    # NFKD first: compatibility letters ("𝘈", "Ⅸ") only get a lower case once decomposed.
    text = unicodedata.normalize("NFKD", text).casefold().translate(_LIGATURES)
    text = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in text if not unicodedata.combining(ch))


__all__ = ["fold"]
