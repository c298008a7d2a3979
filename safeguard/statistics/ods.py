"""The release as an OpenDocument spreadsheet in the GSS accessible style.

One table per sheet, each starting at A1 with its title, then lines saying what the sheet holds
and which notes apply, then the table: one header row, no merged cells, no blank rows, the
shorthand [c] where a number is suppressed. A cover sheet, a contents table and the notes
table come first, as the Government Statistical Service's guidance on releasing statistics in
spreadsheets asks.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from odf.opendocument import OpenDocumentSpreadsheet
from odf.style import Style, TableColumnProperties, TextProperties
from odf.table import Table as Sheet
from odf.table import TableCell, TableColumn, TableRow
from odf.text import P

from safeguard.statistics.release import note_texts
from safeguard.statistics.tables import Release, Shorthand, Table

MEDIA_TYPE = "application/vnd.oasis.opendocument.spreadsheet"
Value = str | int


class _Styles:
    """The few styles the sheets use: a title, bold headers and readable column widths."""

    def __init__(self, doc: OpenDocumentSpreadsheet) -> None:
        self.title = _text_style(doc, "title", fontsize="14pt", fontweight="bold")
        self.header = _text_style(doc, "header", fontweight="bold")
        self.wide = Style(name="wide", family="table-column")
        self.wide.addElement(TableColumnProperties(columnwidth="9cm"))
        self.narrow = Style(name="narrow", family="table-column")
        self.narrow.addElement(TableColumnProperties(columnwidth="4.5cm"))
        doc.automaticstyles.addElement(self.wide)
        doc.automaticstyles.addElement(self.narrow)


def _text_style(doc: OpenDocumentSpreadsheet, name: str, **text: str) -> Style:
    style = Style(name=name, family="table-cell")
    style.addElement(TextProperties(**text))
    doc.styles.addElement(style)
    return style


def release_ods(release: Release) -> bytes:
    """The release's spreadsheet, as bytes."""
    doc = OpenDocumentSpreadsheet()
    styles = _Styles(doc)
    sheets = [_cover(release), _contents(release), _notes(release)]
    sheets += [_table_sheet(release, table) for table in release.tables]
    for name, lines, rows, width in sheets:
        doc.spreadsheet.addElement(_sheet(name, lines, rows, width, styles))
    out = io.BytesIO()
    doc.write(out)
    return out.getvalue()


Layout = tuple[str, list[str], list[list[Value]], int]


def _cover(release: Release) -> Layout:
    lines = [
        release.title,
        f"Period: {release.period}",
        f"Area: {release.scope}",
        "Source: case records of the Safeguard Prevent and Channel case system, made from its"
        " statistics read model.",
        f"Made: {release.made_at}" if release.made_at else "",
        f"Age groups: {release.extra.get('age_groups', '')}",
        "The tables are on the worksheets named in the Contents worksheet; notes referred to as"
        " [note 1] and so on are in the Notes worksheet.",
        "Shorthand: [c] means a number suppressed to protect confidentiality [note 2]; [x] means"
        " not available.",
    ]
    if release.suppressed_below is None:
        lines.append("No number in these tables is suppressed.")
    return ("Cover", [line for line in lines if line], [], 1)


def _contents(release: Release) -> Layout:
    rows: list[list[Value]] = [["Worksheet", "Table"]]
    rows += [[t.code, t.title] for t in release.tables]
    return ("Contents", ["Contents", "This worksheet contains one table."], rows, 2)


def _notes(release: Release) -> Layout:
    rows: list[list[Value]] = [["Note number", "Note text"]]
    rows += [[f"note {n}", text] for n, text in note_texts(release).items()]
    return ("Notes", ["Notes", "This worksheet contains one table."], rows, 2)


def _table_sheet(release: Release, table: Table) -> Layout:
    refs = " ".join(f"[note {n}]" for n in table.notes)
    lines = [
        table.title,
        f"This worksheet contains one table. Notes that apply: {refs} (Notes worksheet).",
    ]
    if any(cell.shorthand is Shorthand.SUPPRESSED for cell in table.cells()):
        lines.append("Some numbers are suppressed and shown as [c] [note 2].")
    rows: list[list[Value]] = [[table.row_heading, *table.columns]]
    rows += [[row.label, *(_value(c.shorthand, c.value) for c in row.cells)] for row in table.rows]
    return (table.code, lines, rows, len(table.columns) + 1)


def _value(shorthand: Shorthand | None, value: int | None) -> Value:
    return (
        str(shorthand)
        if shorthand
        else (value if value is not None else str(Shorthand.NOT_AVAILABLE))
    )


def _sheet(
    name: str, lines: Sequence[str], rows: list[list[Value]], width: int, styles: _Styles
) -> Sheet:
    sheet = Sheet(name=name)
    sheet.addElement(TableColumn(stylename=styles.wide))
    if width > 1:
        sheet.addElement(TableColumn(stylename=styles.narrow, numbercolumnsrepeated=width - 1))
    for n, line in enumerate(lines):
        sheet.addElement(_row([line], styles.title if n == 0 else None))
    for n, row in enumerate(rows):
        sheet.addElement(_row(row, styles.header if n == 0 else None))
    return sheet


def _row(values: Sequence[Value], style: Style | None) -> TableRow:
    row = TableRow()
    for value in values:
        kind = {"valuetype": "float", "value": value} if isinstance(value, int) else {}
        cell = TableCell(stylename=style, **kind) if style else TableCell(**kind)
        if not kind:
            cell.setAttribute("valuetype", "string")
        cell.addElement(P(text=str(value)))
        row.addElement(cell)
    return row
