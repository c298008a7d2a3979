"""The release as one CSV in long form: one line per published number."""

from __future__ import annotations

import csv
import io

from safeguard.statistics.tables import Release, Shorthand

MEDIA_TYPE = "text/csv"
HEADER = ("table", "title", "row_heading", "row", "column", "value")


def release_csv(release: Release) -> str:
    """Every number of every table, with [c] for a suppressed one."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    for table in release.tables:
        for row in table.rows:
            for column, cell in zip(table.columns, row.cells, strict=True):
                value = cell.shorthand or (
                    cell.value if cell.value is not None else Shorthand.NOT_AVAILABLE
                )
                writer.writerow(
                    (table.code, table.title, table.row_heading, row.label, column, value)
                )
    return out.getvalue()
