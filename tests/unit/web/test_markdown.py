"""Guidelines markdown renders to inert HTML."""

from __future__ import annotations

import pytest

from tuneloop.web.markdown import render_markdown


def test_markdown_renders_headings_lists_and_safe_links() -> None:
    html = render_markdown("# Title\n\n- one\n- [docs](https://example.org/a)")
    assert "<h1>Title</h1>" in html and "<li>one</li>" in html and 'href="https://example.org/a"' in html


@pytest.mark.parametrize(
    "payload",
    [
        "<script>alert(1)</script>",
        '<img src=x onerror="alert(1)">',
        "[click](javascript:alert(1))",
        "[click](JAVASCRIPT:alert(1))",
        "[x](vbscript:msgbox(1))",
        "![x](javascript:alert(1))",
        '<a href="javascript:alert(1)">a</a>',
    ],
)
def test_markdown_payloads_stay_text(payload: str) -> None:
    html = render_markdown(payload).lower()
    assert "<script" not in html and "<img src=x" not in html and 'href="javascript:' not in html
    assert (
        'href="vbscript:' not in html and 'src="javascript:' not in html and '<a href="javascript' not in html
    )
