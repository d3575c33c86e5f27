"""Text processing applied to every turn: normalisation, numbers and yields, personal-number masking,
clauses."""

from convmine.text.clauses import clauses
from convmine.text.normalize import normalize
from convmine.text.numbers import NumberMatch, find_numbers, find_rates, parse_number
from convmine.text.pii import Masker, MaskStyle, PiiKind, PiiMatch, is_resident_id, luhn_valid, mask

__all__ = [
    "MaskStyle",
    "Masker",
    "NumberMatch",
    "PiiKind",
    "PiiMatch",
    "clauses",
    "find_numbers",
    "find_rates",
    "is_resident_id",
    "luhn_valid",
    "mask",
    "normalize",
    "parse_number",
]
