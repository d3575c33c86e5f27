"""The copy of a taxonomy a store keeps, so that reading its tags needs no taxonomy file.

A copy is JSON holding the taxonomy's name, version, categories and every label with all its fields
(vocabulary included), in taxonomy order, keyed by a digest of its text. Reading it back gives a
taxonomy with the same labels, order and hash; a copy whose digest is wrong (damaged) or that does
not fit this convmine's labels is refused with a :class:`~convmine.errors.StoreError`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from datetime import timedelta

from convmine.errors import StoreError
from convmine.taxonomy import VOCABULARY_FIELDS, CategorySpec, Label, Taxonomy


def taxonomy_copy(taxonomy: Taxonomy) -> str:
    """The taxonomy as JSON text; the same taxonomy always gives the same text."""
    labels = [
        {**dataclasses.asdict(label), "ttl": label.ttl.total_seconds() if label.ttl else None}
        for label in taxonomy
    ]
    document = {
        "name": taxonomy.name,
        "version": taxonomy.version,
        "categories": [category.model_dump() for category in taxonomy.categories.values()],
        "labels": labels,
    }
    return json.dumps(document, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def copy_digest(copy: str) -> str:
    """A key for a copy: taxonomies with the same labels (and so the same hash) can differ in vocabulary."""
    return hashlib.sha256(copy.encode()).hexdigest()[:16]


def taxonomy_from_copy(copy: str, digest: str) -> Taxonomy:
    """The taxonomy a copy holds; raises :class:`StoreError` if the copy is not the one ``digest`` names."""
    if copy_digest(copy) != digest:
        raise StoreError(
            f"the store's copy of taxonomy {digest} is damaged (its digest is {copy_digest(copy)}); "
            "pass the taxonomy file with --taxonomy FILE"
        )
    try:
        document = json.loads(copy)
        labels = [
            Label(
                **{
                    **fields,
                    "ttl": None if fields["ttl"] is None else timedelta(seconds=fields["ttl"]),
                    **{name: tuple(fields[name]) for name in VOCABULARY_FIELDS},
                }
            )
            for fields in document["labels"]
        ]
        categories = {spec["id"]: CategorySpec(**spec) for spec in document["categories"]}
        return Taxonomy(document["name"], document["version"], categories, labels)
    except (ValueError, TypeError, KeyError) as exc:  # JSON, pydantic and missing/unknown fields
        raise StoreError(
            f"the store's copy of taxonomy {digest} cannot be read ({type(exc).__name__}: {exc}); it may "
            "come from another convmine version: pass the taxonomy file with --taxonomy FILE"
        ) from None
