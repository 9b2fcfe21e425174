"""HTML building blocks of the report: escaping, tables, figures and the page shell.

Every piece of text that comes from data goes through :func:`html.escape`; numbers are
formatted here. The page has no script and loads nothing: styles are inline and figures are
``data:`` URIs.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any


def esc(value: Any) -> str:
    """Escape any value as HTML text (quotes included).

    Example:
        >>> esc('<a href="x">')
        '&lt;a href=&quot;x&quot;&gt;'
    """
    return html.escape(str(value), quote=True)


def num(value: Any, digits: int = 2) -> str:
    """A number for a table cell: fixed digits, ``-`` for missing and ``nan`` for NaN.

    Example:
        >>> num(0.12345, 3), num(None), num(float("nan")), num(3)
        ('0.123', '-', 'nan', '3')
    """
    if value is None:
        return "-"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return str(value)
    try:
        value = float(value)
    except (TypeError, ValueError):
        return str(value)
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return f"{value:.{digits}f}"


def pval(value: float) -> str:
    """A p-value with three significant digits (``4.8e-68``, ``0.152``)."""
    return f"{value:.3g}"


@dataclass(frozen=True)
class Cell:
    """A table cell with a CSS class (e.g. ``zero`` for a zero-recall flag) or a title."""

    text: Any
    cls: str = ""
    title: str = ""


def table(
    header: Sequence[Any],
    rows: Sequence[Sequence[Any]],
    *,
    cls: str = "",
    attrs: Mapping[str, Any] | None = None,
    caption: str = "",
) -> str:
    """An HTML table; numeric columns are right-aligned. Cells may be :class:`Cell`.

    Example:
        >>> print(table(["a"], [["<b>"]]))
        <table><thead><tr><th>a</th></tr></thead><tbody><tr><td>&lt;b&gt;</td></tr></tbody></table>
    """
    extra = "".join(f' data-{esc(k)}="{esc(v)}"' for k, v in (attrs or {}).items())
    klass = f' class="{esc(cls)}"' if cls else ""
    parts = [f"<table{klass}{extra}>"]
    if caption:
        parts.append(f"<caption>{esc(caption)}</caption>")
    parts.append("<thead><tr>" + "".join(f"<th>{esc(h)}</th>" for h in header) + "</tr></thead>")
    parts.append("<tbody>")
    for row in rows:
        cells = []
        for value in row:
            cell = value if isinstance(value, Cell) else Cell(value)
            classes = " ".join(c for c in (cell.cls, "n" if _numeric(cell.text) else "") if c)
            a = f' class="{classes}"' if classes else ""
            if cell.title:
                a += f' title="{esc(cell.title)}"'
            cells.append(f"<td{a}>{esc(cell.text)}</td>")
        parts.append("<tr>" + "".join(cells) + "</tr>")
    parts.append("</tbody></table>")
    return "".join(parts)


def _numeric(text: Any) -> bool:
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        return True
    try:
        float(str(text).split(" ")[0])
    except ValueError:
        return False
    return True


def figure(uri: str, caption: str, *, alt: str | None = None) -> str:
    """An ``<img>`` of a ``data:`` URI with its caption (``class="fig"``, measured by tests)."""
    if not uri.startswith("data:image/"):
        raise ValueError("figures must be embedded data: URIs")
    return (
        f'<figure><img class="fig" src="{esc(uri)}" alt="{esc(alt or caption)}">'
        f"<figcaption>{esc(caption)}</figcaption></figure>"
    )


def note(text: str, *, cls: str = "note") -> str:
    """A paragraph of escaped text."""
    return f'<p class="{esc(cls)}">{esc(text)}</p>'


def section(sid: str, title: str, body: Sequence[str]) -> str:
    """``<section id=...>`` with an ``<h2>`` and already-built HTML parts."""
    return f'<section id="{esc(sid)}"><h2>{esc(title)}</h2>' + "".join(body) + "</section>"


CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;
margin:0 auto;max-width:1200px;padding:1em 2em;color:#222;line-height:1.4}
h1{font-size:1.6em;margin-bottom:.2em}h2{border-bottom:2px solid #ccc;padding-bottom:.2em;
margin-top:2em}h3{margin-top:1.4em}
table{border-collapse:collapse;margin:.6em 0;font-size:.88em}
th,td{border:1px solid #ddd;padding:.25em .55em;text-align:left;vertical-align:top}
th{background:#f3f3f3}td.n{text-align:right;font-variant-numeric:tabular-nums}
td.zero{background:#f8d0d0;color:#900;font-weight:600}td.best{background:#d8f0d8}
figure{margin:1em 0}img.fig{max-width:100%;height:auto;border:1px solid #eee}
figcaption{font-size:.85em;color:#555}p.note{color:#555;font-size:.9em}
p.warn{color:#900}nav a{margin-right:1em}code{background:#f4f4f4;padding:0 .2em}
.scroll{overflow-x:auto}pre{background:#f7f7f7;padding:.5em;overflow-x:auto;font-size:.8em}
"""


def page(title: str, nav: Sequence[tuple[str, str]], body: Sequence[str]) -> str:
    """The whole document: doctype, inline CSS, a table of contents and the sections."""
    links = "".join(f'<a href="#{esc(sid)}">{esc(name)}</a>' for sid, name in nav)
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(title)}</title><style>{CSS}</style></head>\n<body>"
        f"<h1>{esc(title)}</h1><nav>{links}</nav>\n" + "\n".join(body) + "\n</body></html>\n"
    )
