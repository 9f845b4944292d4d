"""The one place report templates are loaded: HTML with autoescaping (all user text is
escaped), Markdown without (its own escaping is `markdown_text`)."""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

from scenarios.currency import DEFAULT_CURRENCY, format_money
from scenarios.durations import minutes_text as minutes

__all__ = ["html_templates", "markdown_templates", "markdown_text", "minutes", "one_decimal", "money", "money_in", "signed",
           "render"]

_TEMPLATES = Path(__file__).resolve().parent / "templates"
html_templates = Environment(loader=FileSystemLoader(_TEMPLATES), autoescape=select_autoescape(["html", "j2"]))
markdown_templates = Environment(loader=FileSystemLoader(_TEMPLATES), autoescape=False, keep_trailing_newline=True)


def one_decimal(value) -> str:
    return "-" if value is None else f"{value:.1f}"


def money(value, currency: str | None = DEFAULT_CURRENCY, **how) -> str:
    """An amount with its currency, `USD 3.4 M` (scenarios.currency.format_money)."""
    return format_money(value, currency, **how)


def money_in(currency: str | None):
    """`money` for one artifact's currency, for a template's context."""
    return lambda value, **how: format_money(value, currency or DEFAULT_CURRENCY, **how)


def signed(value) -> str:
    return "-" if value is None else f"{value:+.1f}"


def markdown_text(text) -> str:
    """User text made safe for a Markdown table cell: no markup, no pipes, no raw HTML."""
    text = " ".join(str(text).split())
    for char in "\\`*_[]<>|#":
        text = text.replace(char, "\\" + char)
    return text


def render(name: str, context: dict, fmt: str) -> str | bytes:
    """Template `name` (`scorecard`, `aar`, `compare`) as md, html or pdf (bytes)."""
    if fmt == "md":
        return markdown_templates.get_template(f"{name}.md.j2").render(context)
    if fmt not in ("html", "pdf"):
        raise ValueError(f"unknown format {fmt!r} (formats: html, md, pdf)")
    html = html_templates.get_template(f"{name}.html.j2").render(context)
    if fmt == "pdf":
        from .pdf import html_to_pdf

        return html_to_pdf(html)
    return html
