"""Guidelines markdown to HTML that cannot run anything.

markdown-it-py with raw HTML off escapes any tag in the text, and its link check refuses
`javascript:`, `vbscript:`, `file:` and non-image `data:` URLs, which stay plain text.
"""

from __future__ import annotations

from markdown_it import MarkdownIt
from markupsafe import Markup

_renderer = MarkdownIt("commonmark", {"html": False, "linkify": False})


def render_markdown(text: str) -> Markup:
    return Markup(_renderer.render(text))
