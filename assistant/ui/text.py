"""Safe text for Streamlit: corpus passages and clinician input are data, never markup."""

from __future__ import annotations

import html
import re

# CommonMark lets any ASCII punctuation be backslash-escaped; escaping all of it also disarms
# Streamlit's extras ($...$ LaTeX, :color[...] directives) in passages such as "t(11;14)" or "$".
_MARKDOWN_SPECIAL = re.compile(r"([!-/:-@\[-`{-~])")
_SPACES = re.compile(r"\s+")


def escape_markdown(text: str, *, keep_lines: bool = False) -> str:
    """Text shown literally by ``st.markdown``; newlines become spaces unless ``keep_lines``."""
    if keep_lines:
        return "  \n".join(escape_markdown(line) for line in text.splitlines())
    return _MARKDOWN_SPECIAL.sub(r"\\\1", _SPACES.sub(" ", text))


def highlighted_html(text: str, span: tuple[int, int] | None) -> str:
    """The passage as printed, HTML-escaped, with the supporting sentence wrapped in ``<mark>``.

    A span outside the text (a stale citation) is ignored rather than highlighting the wrong words.
    """
    if span is None or not (0 <= span[0] < span[1] <= len(text)):
        return html.escape(text)
    start, end = span
    return (
        html.escape(text[:start])
        + f"<mark>{html.escape(text[start:end])}</mark>"
        + html.escape(text[end:])
    )
