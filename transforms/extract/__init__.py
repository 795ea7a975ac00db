"""Displacement facts from article text: pure, rule-based, no network.

`extract(text, published)` returns `Fact`s, most salient first. Places come through a
`PlaceFinder` (the gazetteer index by default), so a statistical recogniser can be plugged in.
"""

from transforms.extract.facts import Fact, extract
from transforms.extract.places import PlaceFinder

__all__ = ["Fact", "PlaceFinder", "extract"]
