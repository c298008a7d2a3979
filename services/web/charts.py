"""Bar charts drawn on the server as accessible SVG, from the statistics API's tables.

Hand-drawn rather than through a charting library: the charts are horizontal bars (stacked
where a table's columns add up to its Total, side by side where they do not), which take a
hundred lines; altair with vl-convert would add a bundled JavaScript engine of about 100 MB to
the web image for them. Each chart is `role="img"` named by its `<title>` and `<desc>`, styled
only through classes in `static/app.css` (the strict CSP allows no inline style), and always
shown with its data table: suppressed numbers ([c]) are drawn as no bar, with a note.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup, escape

WIDTH = 640
LABEL_HEIGHT = 20  # the category's name, on its own line above its bars
BAR_HEIGHT = 18
GAP = 14
PLOT = 470  # the longest bar; the rest of the width holds its number
LEGEND_ROW = 22
SERIES_CLASSES = 8  # app.css defines .app-chart__series-0 to -7


@dataclass(frozen=True)
class Series:
    """One column of the table: its name and a value per category (None: not shown)."""

    label: str
    values: tuple[int | None, ...]


@dataclass(frozen=True)
class Chart:
    """What to draw: one group of bars per category, stacked or side by side."""

    ident: str
    title: str
    description: str
    categories: tuple[str, ...]
    series: tuple[Series, ...]
    stacked: bool


def chart_for(table: dict[str, Any]) -> Chart:
    """The chart of an API table: its rows but the total, its columns but the Total."""
    columns: list[str] = table["columns"]
    rows = [row for row in table["rows"] if not row["total"]]
    stacked = len(columns) > 1 and columns[-1] == "Total"
    shown = columns[:-1] if stacked else columns
    series = tuple(
        Series(name, tuple(_value(row["cells"][i]) for row in rows)) for i, name in enumerate(shown)
    )
    how = "stacked bars" if stacked else "bars side by side" if len(shown) > 1 else "bars"
    return Chart(
        ident=f"chart-{table['code'].lower()}",
        title=table["title"],
        description=f"Horizontal {how} of {len(rows)} {table['row_heading'].lower()}"
        f" categories ({', '.join(shown)}). The same numbers are in the table that follows;"
        " a category with a suppressed number [c] has no bar.",
        categories=tuple(row["label"] for row in rows),
        series=series,
        stacked=stacked,
    )


def _value(cell: dict[str, Any]) -> int | None:
    return None if cell.get("shorthand") else cell.get("value")


def render_svg(chart: Chart) -> Markup:
    """The chart as an inline SVG element."""
    legend = len(chart.series) > 1
    top = LEGEND_ROW * len(chart.series) + 8 if legend else 0
    bars_per = 1 if chart.stacked else len(chart.series)
    block = LABEL_HEIGHT + bars_per * BAR_HEIGHT + GAP
    height = top + block * len(chart.categories) + 4
    scale = _scale(chart)
    parts = [
        f'<svg class="app-chart" role="img" viewBox="0 0 {WIDTH} {height}" width="100%"'
        f' aria-labelledby="{chart.ident}-title {chart.ident}-desc"'
        ' xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{chart.ident}-title">{escape(chart.title)}</title>',
        f'<desc id="{chart.ident}-desc">{escape(chart.description)}</desc>',
    ]
    if legend:
        parts += _legend(chart.series)
    for i, category in enumerate(chart.categories):
        y = top + i * block
        parts.append(_text(0, y + 14, category))
        values = [s.values[i] for s in chart.series]
        parts += _bars(values, y + LABEL_HEIGHT, scale, chart.stacked)
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text in it is escaped above


def _scale(chart: Chart) -> float:
    if chart.stacked:
        sums = [
            sum(v or 0 for v in values)
            for values in zip(*(s.values for s in chart.series), strict=True)
        ]
    else:
        sums = [v or 0 for s in chart.series for v in s.values]
    return PLOT / max(sums, default=0) if any(sums) else 0.0


def _bars(values: Sequence[int | None], y: int, scale: float, stacked: bool) -> list[str]:
    if stacked and None in values:
        return [_text(0, y + 14, "[c] suppressed: see the table", muted=True)]
    parts: list[str] = []
    x = 0.0
    for n, value in enumerate(values):
        top = y if stacked else y + n * BAR_HEIGHT
        if value is None:
            parts.append(_text(0, top + 14, "[c]", muted=True))
            continue
        width = value * scale
        if width:
            parts.append(
                f'<rect class="app-chart__bar app-chart__series-{n % SERIES_CLASSES}"'
                f' x="{x:.1f}" y="{top}" width="{width:.1f}" height="{BAR_HEIGHT - 2}"/>'
            )
        if stacked:
            x += width
        else:
            parts.append(_text(width + 6, top + 14, f"{value:,}"))
    if stacked:
        parts.append(_text(x + 6, y + 14, f"{sum(v or 0 for v in values):,}"))
    return parts


def _legend(series: Sequence[Series]) -> list[str]:
    parts: list[str] = []
    for n, one in enumerate(series):
        y = n * LEGEND_ROW
        parts.append(
            f'<rect class="app-chart__bar app-chart__series-{n % SERIES_CLASSES}"'
            f' x="0" y="{y + 3}" width="14" height="14"/>'
        )
        parts.append(_text(22, y + 15, one.label))
    return parts


def _text(x: float, y: int, words: str, *, muted: bool = False) -> str:
    kind = "app-chart__text app-chart__text--muted" if muted else "app-chart__text"
    return f'<text class="{kind}" x="{x:.1f}" y="{y}">{escape(words)}</text>'
