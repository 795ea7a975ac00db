"""The spaCy pipeline: blank English, rule-based sentence splitting, nothing downloaded."""

from __future__ import annotations

from functools import cache

import spacy
from spacy.language import Language


@cache
def pipeline() -> Language:
    """A blank English pipeline with the sentencizer; a trained one can be swapped in here."""
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    return nlp
