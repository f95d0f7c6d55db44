"""Plain words for rule-layer values, read from data/display.yaml (display only, never a decision)."""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

DISPLAY_FILE = Path(__file__).parent / "data" / "display.yaml"
NOT_STATED = "not stated"


@lru_cache(maxsize=1)
def display_config() -> dict[str, Any]:
    return yaml.safe_load(DISPLAY_FILE.read_text(encoding="utf-8"))


def value_words(value: Any) -> str:
    """A profile value in plain words ("exposed, not refractory", "yes", "not stated")."""
    if value is None:
        return NOT_STATED
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (set, frozenset, list, tuple)):
        return ", ".join(sorted(map(str, value))) or "none"
    return display_config()["value_words"].get(value, str(value)) if isinstance(value, str) else str(value)


def field_label(name: str) -> str:
    entry = display_config()["fields"].get(name)
    return entry["label"] if entry else name.replace("_", " ")


def tier_words(tier: str) -> str:
    return display_config()["tiers"].get(tier, tier.replace("_", " "))


def tier_order() -> list[str]:
    return list(display_config()["tiers"])


def source_name(doc: str, docs: Mapping[str, Any]) -> str:
    """'IMWG recommendations (Moreau et al.), 2021' for a doc id (the id itself if unknown)."""
    meta = docs.get(doc)
    return f"{meta.short_title}, {meta.year_label}" if meta else doc


def short_cite(doc: str, line: int | None, docs: Mapping[str, Any]) -> str:
    """Compact source for the branch card: 'IMWG 2021, l. 96' (year label from the corpus metadata)."""
    meta = docs.get(doc)
    name = display_config()["cite_names"].get(doc, doc)
    year = f" {meta.year_label}" if meta else ""
    return f"{name}{year}, l. {line}" if line else f"{name}{year}"
