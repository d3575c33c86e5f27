"""The taxonomy as validated data: label IDs, names, cardinality, time-to-live and vocabulary.

The default lives in the top-level ``taxonomy/`` folder (installed as ``convmine._taxonomy``).
A bank extends it with a file of its own that says ``extends: default`` (or a path) and adds
dimensions, labels or vocabulary; it may never rename or redefine the labels it inherits.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from convmine.errors import TaxonomyError

Cardinality = Literal["single", "multi"]
CATEGORIES = ("basic", "preference", "objection", "feedback")


def category_order(categories: Iterable[str]) -> list[str]:
    """The four categories in their order, then any other (a bank's own) in the order given."""
    return list(dict.fromkeys([*CATEGORIES, *categories]))


_ID = re.compile(r"^[a-z][a-z0-9_]*$")
_VALUE = re.compile(r"^[a-z0-9][a-z0-9_]*$")
_TTL = re.compile(r"^(\d+)([dwy])$")
VOCABULARY_FIELDS = ("keywords", "patterns", "exclude", "context_patterns", "examples")


def _check_regexes(values: list[str]) -> list[str]:
    for value in values:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"invalid regular expression {value!r}: {exc}") from None
    return values


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LabelSpec(_Model):
    id: str
    name: str = ""
    description: str = ""
    value_type: Literal["percent"] | None = None
    keywords: list[str] = Field(default_factory=list)
    patterns: list[str] = Field(default_factory=list)
    exclude: list[str] = Field(default_factory=list)
    context_patterns: list[str] = Field(default_factory=list)
    examples: list[str] = Field(default_factory=list)

    _regexes = field_validator("patterns", "exclude", "context_patterns")(_check_regexes)


class DimensionSpec(_Model):
    id: str
    name: str = ""
    description: str = ""
    cardinality: Cardinality | None = None
    ttl: str | None = None
    labels: list[LabelSpec] = Field(default_factory=list)

    @field_validator("ttl")
    @classmethod
    def _ttl(cls, value: str | None) -> str | None:
        if value is not None and not _TTL.match(value):
            raise ValueError(f"ttl {value!r} must look like '30d', '12w' or '1y' (or be null)")
        return value


class CategorySpec(_Model):
    id: str
    name: str
    description: str = ""


class TaxonomyFile(_Model):
    name: str
    version: str
    description: str = ""
    extends: str | None = None
    categories: list[CategorySpec] = Field(default_factory=list)
    dimensions: list[DimensionSpec] = Field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Label:
    """One label with everything a tagger, the store and a report need to know about it."""

    id: str
    name: str
    description: str
    category: str
    dimension: str
    dimension_name: str
    cardinality: Cardinality
    ttl: timedelta | None
    value_type: str | None
    keywords: tuple[str, ...]
    patterns: tuple[str, ...]
    exclude: tuple[str, ...]
    context_patterns: tuple[str, ...]
    examples: tuple[str, ...]

    @property
    def value(self) -> str:
        return self.id.rsplit(".", 1)[1]

    def summary(self) -> dict[str, object]:
        """The public description of the label (``taxonomy show --json``)."""
        return {
            "id": self.id,
            "name": self.name,
            "description": self.description,
            "category": self.category,
            "dimension": self.dimension,
            "dimension_name": self.dimension_name,
            "cardinality": self.cardinality,
            "ttl": _format_ttl(self.ttl),
            "value_type": self.value_type,
        }


def _parse_ttl(value: str | None) -> timedelta | None:
    if value is None:
        return None
    number, unit = _TTL.match(value).groups()  # type: ignore[union-attr]
    return timedelta(days=int(number) * {"d": 1, "w": 7, "y": 365}[unit])


def _format_ttl(value: timedelta | None) -> str | None:
    return None if value is None else f"{value.days}d"


class Taxonomy:
    """An immutable, validated set of labels with a version and a content hash."""

    def __init__(self, name: str, version: str, categories: dict[str, CategorySpec], labels: list[Label]):
        self.name = name
        self.version = version
        self.categories = categories
        self._labels = {label.id: label for label in labels}
        canonical = json.dumps(
            [[lab.id, lab.cardinality, _format_ttl(lab.ttl), lab.value_type] for lab in labels],
            ensure_ascii=False,
        )
        #: Hash of what a trained model depends on: the label set, cardinality, TTL and value types.
        self.hash = hashlib.sha256(canonical.encode()).hexdigest()[:16]

    def __repr__(self) -> str:
        return f"Taxonomy({self.name!r}, {self.version!r}, {len(self._labels)} labels, hash {self.hash})"

    def __iter__(self) -> Iterator[Label]:
        return iter(self._labels.values())

    def __len__(self) -> int:
        return len(self._labels)

    def __contains__(self, label_id: object) -> bool:
        return label_id in self._labels

    def __getitem__(self, label_id: str) -> Label:
        try:
            return self._labels[label_id]
        except KeyError:
            raise TaxonomyError(
                f"unknown label {label_id!r}{_did_you_mean(label_id, self._labels)}"
            ) from None

    @property
    def label_ids(self) -> list[str]:
        return list(self._labels)

    def dimensions(self) -> dict[str, list[Label]]:
        """Labels grouped by dimension ID, in taxonomy order."""
        groups: dict[str, list[Label]] = {}
        for label in self:
            groups.setdefault(label.dimension, []).append(label)
        return groups

    def single_choice(self) -> dict[str, str]:
        """Label ID → dimension ID, for the labels of ``single`` dimensions (one value at a time)."""
        return {label.id: label.dimension for label in self if label.cardinality == "single"}

    def parse_label(self, text: str) -> tuple[str, float | None]:
        """Split a labelled-data entry such as ``preference.return.target=3.5`` into ID and value."""
        label_id, sep, raw = text.partition("=")
        label = self[label_id.strip()]
        if not sep:
            return label.id, None
        if label.value_type is None:
            raise TaxonomyError(f"label {label.id!r} takes no value, got {text!r}")
        try:
            value = float(raw)
        except ValueError:
            value = math.nan
        if not math.isfinite(value):
            raise TaxonomyError(f"value of {label.id!r} must be a number, got {raw!r}")
        return label.id, value


def _did_you_mean(label_id: str, known: dict[str, Label]) -> str:
    import difflib

    close = difflib.get_close_matches(label_id, list(known), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _read_file(path: Path) -> TaxonomyFile:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise TaxonomyError(f"cannot read taxonomy file {path}: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise TaxonomyError(f"{path} is not valid YAML: {exc}") from None
    try:
        return TaxonomyFile.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors())
        raise TaxonomyError(f"{path} does not match the taxonomy schema: {problems}") from None


def default_taxonomy_path() -> Path:
    """Path of the bundled default taxonomy file."""
    return Path(str(resources.files("convmine._taxonomy") / "taxonomy.yaml"))


def _build(files: list[tuple[Path, TaxonomyFile]]) -> Taxonomy:
    """Merge a base file and its extensions (base first) into one validated taxonomy."""
    categories: dict[str, CategorySpec] = {}
    dims: dict[str, DimensionSpec] = {}
    labels: dict[str, tuple[str, LabelSpec]] = {}
    for path, spec in files:
        for cat in spec.categories:
            if not _ID.match(cat.id):
                raise TaxonomyError(f"{path}: category ID {cat.id!r} must be lower_snake_case")
            categories.setdefault(cat.id, cat)
        for dim in spec.dimensions:
            parts = dim.id.split(".")
            if len(parts) != 2 or not all(_ID.match(p) for p in parts):
                raise TaxonomyError(f"{path}: dimension ID {dim.id!r} must be 'category.dimension'")
            if parts[0] not in categories:
                raise TaxonomyError(f"{path}: dimension {dim.id!r} names unknown category {parts[0]!r}")
            known = dims.get(dim.id)
            if known is None:
                if dim.cardinality is None:
                    raise TaxonomyError(f"{path}: new dimension {dim.id!r} needs a cardinality")
                dims[dim.id] = dim.model_copy(update={"labels": []})
            elif dim.cardinality not in (None, known.cardinality) or (
                dim.ttl is not None and dim.ttl != known.ttl
            ):
                raise TaxonomyError(
                    f"{path}: {dim.id!r} changes the cardinality or TTL of an inherited dimension; "
                    "extensions may only add labels and vocabulary"
                )
            for lab in dim.labels:
                lparts = lab.id.split(".")
                if len(lparts) != 3 or ".".join(lparts[:2]) != dim.id or not _VALUE.match(lparts[2]):
                    raise TaxonomyError(f"{path}: label ID {lab.id!r} must be '{dim.id}.<value>'")
                if lab.id in labels:
                    base = labels[lab.id][1]
                    if files[0][0] == path:
                        raise TaxonomyError(f"{path}: label {lab.id!r} is defined twice")
                    if (
                        (lab.name and lab.name != base.name)
                        or (lab.description and lab.description != base.description)
                        or (lab.value_type not in (None, base.value_type))
                    ):
                        raise TaxonomyError(
                            f"{path}: {lab.id!r} renames or redefines an inherited label; "
                            "extensions may only add labels and vocabulary"
                        )
                    merged = {
                        f: getattr(base, f) + [v for v in getattr(lab, f) if v not in getattr(base, f)]
                        for f in VOCABULARY_FIELDS
                    }
                    labels[lab.id] = (dim.id, base.model_copy(update=merged))
                else:
                    if not lab.name:
                        raise TaxonomyError(f"{path}: new label {lab.id!r} needs a name")
                    labels[lab.id] = (dim.id, lab)
    result = []
    for label_id, (dim_id, lab) in labels.items():
        dim = dims[dim_id]
        result.append(
            Label(
                id=label_id,
                name=lab.name,
                description=lab.description,
                category=dim_id.split(".")[0],
                dimension=dim_id,
                dimension_name=dim.name,
                cardinality=dim.cardinality,  # type: ignore[arg-type]
                ttl=_parse_ttl(dim.ttl),
                value_type=lab.value_type,
                **{f: tuple(getattr(lab, f)) for f in VOCABULARY_FIELDS},
            )
        )
    for dim_id in dims:
        if not any(lab.dimension == dim_id for lab in result):
            raise TaxonomyError(f"dimension {dim_id!r} has no labels")
    base_name, base_version = files[0][1].name, files[0][1].version
    name, version = files[-1][1].name, files[-1][1].version
    if len(files) > 1:
        version = f"{base_name}@{base_version}+{name}@{version}"
    return Taxonomy(name, version, categories, result)


def load_taxonomy(path: str | Path | None = None) -> Taxonomy:
    """Load the default taxonomy, or a file that replaces or ``extends`` it."""
    if path is None:
        return _default()
    path = Path(path)
    chain: list[tuple[Path, TaxonomyFile]] = []
    seen: set[Path] = set()
    current: Path | None = path
    while current is not None:
        current = current.resolve()
        if current in seen:
            raise TaxonomyError(f"{path}: 'extends' loops back to {current}")
        seen.add(current)
        spec = _read_file(current)
        chain.insert(0, (current, spec))
        if spec.extends is None:
            current = None
        elif spec.extends == "default":
            current = default_taxonomy_path()
        else:
            current = current.parent / spec.extends
    return _build(chain)


@cache
def _default() -> Taxonomy:
    return load_taxonomy(default_taxonomy_path())
