"""CSV export of a report section, as Excel in China opens it.

UTF-8 with a byte-order mark (without it Excel reads the file as GBK and garbles the Chinese),
the header in the reader's language, numbers unformatted (87.5, not "87.5%"), and text cells that
a spreadsheet would run as a formula (=, +, -, @, or a tab or carriage return first) prefixed with
an apostrophe: a team or substation name typed by an administrator must never become a formula.
"""
from __future__ import annotations

import csv
import io
import re
from typing import Any

from app.analytics.sections import Section

BOM = "\ufeff"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """A value ready for a spreadsheet cell: None empty, numbers as they are, risky text neutralised."""
    if value is None:
        return ""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def section_csv(section: Section) -> bytes:
    """The section's table (header, rows, the total row last) as CSV bytes."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    table = section.table
    writer.writerow([safe_cell(str(column.label)) for column in table.columns])
    for row in table.rows:
        writer.writerow([safe_cell(value) for value in row])
    if table.total is not None:
        writer.writerow([safe_cell(value) for value in table.total])
    return (BOM + out.getvalue()).encode("utf-8")


def filename(report: str, section: str, first_day, last_day) -> str:
    """heatdesk-sla-by-team-2026-10-22-2026-11-20.csv: ASCII only, so every browser keeps it."""
    name = f"heatdesk-{report}-{section}-{first_day.isoformat()}-{last_day.isoformat()}.csv"
    return re.sub(r"[^A-Za-z0-9._-]", "-", name)
