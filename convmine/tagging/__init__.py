"""Taggers: read customer turns, predict taxonomy labels with confidence and evidence spans."""

from convmine.tagging.base import Tagger

__all__ = ["Tagger"]
