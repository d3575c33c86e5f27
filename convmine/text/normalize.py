"""Character-level text normalisation: traditional → simplified Chinese, full-width → half-width.

The mapping is strictly one character to one character, so ``normalize(text)[i]`` corresponds to
``text[i]`` and evidence spans found on normalised text stay valid on the original text. Phrase-level
conversion (which can change the length) is deliberately not used.

Punctuation: full-width letters, digits, the ideographic space and full-width ASCII symbols
(``％ ＋ － ． ／ ＠ ～`` …) become ASCII; Chinese sentence punctuation (``，。、；：？！（）“”《》``)
is kept as it is, so patterns written with Chinese punctuation keep matching.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

from convmine.errors import ConvmineError

# Full-width forms that are Chinese sentence punctuation: kept, not folded to ASCII.
KEPT_PUNCTUATION = "，；：？！（）"


def normalize(text: str) -> str:
    """Return ``text`` in simplified Chinese with half-width letters/digits; same length as ``text``."""
    return text.translate(_table())


@cache
def _table() -> dict[int, str]:
    table = _traditional_to_simplified()
    for code in range(0xFF01, 0xFF5F):  # full-width ASCII block ！ … ～
        char = chr(code)
        if char not in KEPT_PUNCTUATION:
            table[code] = chr(code - 0xFEE0)
    table[0x3000] = " "  # ideographic space
    table[0x00A0] = " "  # no-break space
    return table


def _traditional_to_simplified() -> dict[int, str]:
    """One simplified character per traditional one, from OpenCC's character dictionary."""
    try:
        source = resources.files("opencc").joinpath("dictionary", "TSCharacters.txt")
        lines = source.read_text(encoding="utf-8").splitlines()
    except (ModuleNotFoundError, FileNotFoundError) as exc:
        raise ConvmineError(
            "OpenCC's character dictionary (TSCharacters.txt) was not found; "
            "reinstall the dependency: pip install --force-reinstall opencc-python-reimplemented"
        ) from exc
    table: dict[int, str] = {}
    for line in lines:
        traditional, _, candidates = line.partition("\t")
        simplified = candidates.split(" ", 1)[0]
        if len(traditional) == 1 and len(simplified) == 1 and traditional != simplified:
            table[ord(traditional)] = simplified
    for code, simplified in table.items():  # resolve chains (薴 → 苧 → 苎) so normalising is idempotent
        table[code] = table.get(ord(simplified), simplified)
    return table
