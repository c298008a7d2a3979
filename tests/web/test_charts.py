"""The server-drawn SVG charts: accessible names, bars in proportion, suppressed numbers drawn
as no bar, no inline style (the CSP forbids it), and labels escaped."""

from __future__ import annotations

import re
from typing import Any
from xml.etree import ElementTree as ET

from services.web.charts import PLOT, chart_for, render_svg

SVG = "{http://www.w3.org/2000/svg}"


def _cell(value: int | None) -> dict[str, Any]:
    return {"value": value, "shorthand": "[c]" if value is None else None}


def _table(columns: list[str], rows: list[tuple[str, list[int | None]]]) -> dict[str, Any]:
    body = [
        {"label": label, "total": False, "cells": [_cell(v) for v in values]}
        for label, values in rows
    ]
    body.append({"label": "Total", "total": True, "cells": [_cell(999) for _ in columns]})
    return {
        "code": "Table_9",
        "title": "Referrals by <sector>",
        "row_heading": "Sector",
        "columns": columns,
        "rows": body,
    }


def _parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # noqa: S314 - our own output, no entities


def _bars(svg: ET.Element) -> list[float]:
    return [float(r.get("width", "0")) for r in svg.iter(f"{SVG}rect")]


def test_a_chart_is_an_image_named_by_its_title_and_description() -> None:
    svg_text = render_svg(chart_for(_table(["Number of referrals"], [("Education", [30])])))
    svg = _parse(svg_text)
    assert svg.get("role") == "img"
    title = svg.find(f"{SVG}title")
    desc = svg.find(f"{SVG}desc")
    assert title is not None and title.text == "Referrals by <sector>"
    assert desc is not None and "table that follows" in (desc.text or "")
    assert svg.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
    assert "&lt;sector&gt;" in svg_text  # escaped, not markup
    assert "style" not in svg_text


def test_bars_are_in_proportion_and_the_total_row_is_not_drawn() -> None:
    chart = chart_for(_table(["Number of referrals"], [("Education", [3000]), ("Police", [1500])]))
    assert chart.categories == ("Education", "Police")
    svg = _parse(render_svg(chart))
    assert _bars(svg) == [PLOT, PLOT / 2]
    # Numbers as the tables print them.
    assert [t.text for t in svg.iter(f"{SVG}text")][1::2] == ["3,000", "1,500"]


def test_stacked_bars_add_up_and_a_suppressed_row_has_no_bar() -> None:
    table = _table(
        ["Adopted", "Not adopted", "Total"],
        [("Islamist", [10, 30]), ("Other", [None, 2]), ("Extreme right-wing", [0, 20])],
    )
    chart = chart_for(table)
    assert chart.stacked and [s.label for s in chart.series] == ["Adopted", "Not adopted"]
    svg_text = render_svg(chart)
    svg = _parse(svg_text)
    # Legend squares (two), then Islamist's two segments, then extreme right-wing's one.
    assert _bars(svg)[2:] == [PLOT / 4, PLOT * 3 / 4, PLOT / 2]
    words = [t.text for t in svg.iter(f"{SVG}text")]
    assert "[c] suppressed: see the table" in words and "40" in words
    assert "2" not in words  # the shown half of a suppressed row is not drawn either


def test_columns_that_do_not_add_up_are_side_by_side() -> None:
    table = _table(
        ["Discussed at a Channel panel", "Adopted as a Channel case"], [("11-15", [8, 4])]
    )
    chart = chart_for(table)
    assert not chart.stacked
    svg = _parse(render_svg(chart))
    ys = [r.get("y") for r in svg.iter(f"{SVG}rect")][2:]
    assert len(set(ys)) == 2  # one bar under the other
    assert re.search(r"side by side", chart.description)
