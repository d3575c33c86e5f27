"""convmine: bank call-centre conversations in, evidenced customer-profile tags out."""

from convmine.errors import ConvmineError
from convmine.schema import Call, Evidence, Prediction, Tag, TaggedCall, Turn, Utterance
from convmine.taxonomy import Taxonomy, load_taxonomy

__version__ = "0.1.0"

__all__ = [
    "Call",
    "ConvmineError",
    "Evidence",
    "Prediction",
    "Tag",
    "TaggedCall",
    "Taxonomy",
    "Turn",
    "Utterance",
    "__version__",
    "load_taxonomy",
]
