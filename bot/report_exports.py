"""The yearly report as CSV and as an XLSX workbook (one sheet per section).

Exports always apply the "<5" rule: a count of 1-4 people, or an average of fewer than 5
answers, is written as "<5" (handlers/yearly_report.py decides which figures those are).
"""

from __future__ import annotations

import csv
import io
from datetime import date

from openpyxl import Workbook
from openpyxl.styles import Font

from handlers.yearly_report import Figure, shown

Report = dict[str, list[Figure]]


def csv_text(report: Report, first: date, end: date, site: str) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["section", "figure", "value"])
    writer.writerow(["period", "from", first.isoformat()])
    writer.writerow(["period", "to (exclusive)", end.isoformat()])
    writer.writerow(["period", "site", site])
    for section, figures in report.items():
        for figure in figures:
            value = shown(figure, masked=True)
            writer.writerow([section, figure.key, "" if value is None else value])
    return out.getvalue()


def xlsx_bytes(report: Report, first: date, end: date, site: str) -> bytes:
    book = Workbook()
    cover = book.active
    assert cover is not None
    cover.title = "report"
    cover.append(["Los", "yearly report"])
    cover.append(["site", site])
    cover.append(["from", first.isoformat()])
    cover.append(["to (exclusive)", end.isoformat()])
    cover.append(["rule", "numbers of people under 5 are shown as <5"])
    cover["A1"].font = Font(bold=True)
    for section, figures in report.items():
        sheet = book.create_sheet(section[:31])
        sheet.append(["figure", "value"])
        sheet["A1"].font = Font(bold=True)
        sheet["B1"].font = Font(bold=True)
        for figure in figures:
            sheet.append([figure.key, shown(figure, masked=True)])
        sheet.column_dimensions["A"].width = 44
        sheet.column_dimensions["B"].width = 14
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
