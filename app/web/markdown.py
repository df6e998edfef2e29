"""Markdown for statements and hints: CommonMark with raw HTML escaped, code blocks highlighted.

Statements come from admins and packages, so the renderer is the sanitiser: raw HTML is never passed
through (markdown-it's `html` option is off, so `<script>` arrives as text), and link targets are checked
by markdown-it's validateLink, which refuses javascript:, vbscript:, file: and non-image data: URLs.
"""

from functools import lru_cache

from markdown_it import MarkdownIt
from markupsafe import Markup, escape
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import get_lexer_by_name
from pygments.util import ClassNotFound

_FORMATTER = HtmlFormatter(nowrap=True)


def _highlight(code, language, _attrs):
    try:
        lexer = get_lexer_by_name(language or "python")
    except ClassNotFound:
        return ""  # markdown-it escapes the code itself
    return highlight(code, lexer, _FORMATTER)


_MD = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False,
                                "highlight": _highlight}).enable("table").enable("strikethrough")


def render_markdown(text):
    """Safe HTML for Markdown text."""
    return Markup(_MD.render(text or ""))


def render_code(code, language="python"):
    """Highlighted HTML for a block of source code."""
    return Markup(f"<pre><code>{_highlight(code, language, None) or escape(code)}</code></pre>")


@lru_cache(maxsize=1)
def highlight_css():
    """The colours of highlighted code (Pygments classes inside any <pre>). xcode's: every colour of it
    has a contrast of at least 4.5:1 on the pages' code background (#f6f8fa), where friendly's comments
    and numbers fell short (axe: color-contrast)."""
    return HtmlFormatter(style="xcode").get_style_defs("pre")
