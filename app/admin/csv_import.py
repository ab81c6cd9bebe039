"""Import customer accounts from a CSV export of the billing system.

Good rows are written in the caller's one transaction; each bad row is skipped and reported with
its line number and the reason. A file that cannot be read at all (not text, too large, too many
rows, a missing column) is refused whole, before anything is written.

An account number that already exists is updated from the file (when `update_existing`, the
default): the billing system is where accounts are kept, so importing its export again must bring
the desk up to date rather than fail on every row already known. Phones given in the file replace
the account's phones; an empty phones cell keeps the phones the desk already has. A number that
appears twice in one file is ambiguous: the first row counts, the later ones are reported.
"""
from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field

from flask_babel import LazyString, lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager, selectinload

from app.admin.accounts import (
    ACCOUNT_NUMBER,
    BAD_ACCOUNT_NUMBER,
    normalise_account_number,
    parse_phones,
    phone_problem,
    set_phones,
)
from app.core.errors import DomainError
from app.core.i18n import current_language
from app.core.text import clean_text, has_control_characters
from app.customers.lookup import building_key, tidy_unit
from app.customers.models import Building, CustomerAccount, District, Substation
from app.extensions import db

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 10_000
_CHUNK = 500  # account numbers per IN (…) query

COLUMNS = ("account_number", "name", "district", "substation", "building", "unit", "flat", "phones")
REQUIRED = ("account_number", "name", "district", "building")
# Header names people use, English and Chinese; matched after folding case, width and spaces.
ALIASES = {
    "account_number": ("account_number", "account number", "account", "account no", "用户编号", "供热户号",
                       "户号"),
    "name": ("name", "account holder", "holder", "姓名", "户名", "户主", "用户名称"),
    "district": ("district", "区", "所属区", "行政区"),
    "substation": ("substation", "station", "换热站", "热力站"),
    "building": ("building", "楼", "楼栋", "楼号", "小区楼号"),
    "unit": ("unit", "单元"),
    "flat": ("flat", "room", "室", "房号", "门牌号"),
    "phones": ("phones", "phone", "phone numbers", "电话", "手机", "联系电话", "手机号"),
}
TEMPLATE_ROWS = (
    COLUMNS,
    ("BT00012345", "张桂兰", "昆都仑区", "", "阿尔丁小区3号楼", "2", "301", "13800138000;0472-5123456"),
)

_EXCEL_SIGNATURES = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_LIMITS = {"name": 80, "unit": 16, "flat": 16, "building": 120, "phones": 300}


class ImportRefused(DomainError):
    """The file as a whole cannot be imported; nothing was written."""


class FileTooLarge(ImportRefused):
    """Over the size limit (HTTP says 413)."""


@dataclass
class RowProblem:
    line: int
    account_number: str
    reasons: list[LazyString | str]

    @property
    def message(self) -> str:
        return " ".join(str(r) for r in self.reasons)


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    problems: list[RowProblem] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    encoding: str = "UTF-8"

    @property
    def skipped(self) -> int:
        return len(self.problems)


@dataclass
class _Row:
    line: int
    values: dict[str, str]


def template_csv() -> bytes:
    """The header and one example row, UTF-8 with a BOM so that Excel opens the Chinese correctly."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerows(TEMPLATE_ROWS)
    return out.getvalue().encode("utf-8-sig")


def import_accounts(data: bytes, *, update_existing: bool = True, max_rows: int = MAX_ROWS,
                    max_bytes: int = MAX_BYTES) -> ImportReport:
    """Create (and update) accounts from CSV bytes; raises ImportRefused for a file it cannot use."""
    text, encoding = decode(data, max_bytes)
    rows, ignored = _read(text, max_rows)
    report = ImportReport(ignored_columns=ignored, encoding=encoding)
    lookup = _Lookup(rows)
    first_line: dict[str, int] = {}
    for row in rows:
        reasons, clean = _check(row, lookup, first_line, update_existing)
        if reasons:
            report.problems.append(RowProblem(row.line, row.values.get("account_number", "")[:32], reasons))
            continue
        first_line[clean["account_number"]] = row.line
        _save(clean, lookup, report)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError as error:
        raise ImportRefused(_l("Someone changed customer accounts while the file was imported. Nothing was "
                               "imported: please try again.")) from error
    return report


# --- reading the file -------------------------------------------------------------------------

def decode(data: bytes, max_bytes: int = MAX_BYTES, not_text=None) -> tuple[str, str]:
    """The file's text and the encoding it was in: UTF-8 (with or without BOM), else GB18030.
    `not_text` is what to say of a file that is no text (it names what the file should hold)."""
    if len(data) > max_bytes:
        raise FileTooLarge(_l("The file is larger than %(n)d MB: split it into smaller files.",
                               n=max_bytes // (1024 * 1024) or 1))
    if not data.strip():
        raise ImportRefused(_l("The file is empty."))
    if data.startswith(_EXCEL_SIGNATURES):
        raise ImportRefused(_l("This is an Excel workbook, not a CSV file. In Excel choose Save As, then "
                               "“CSV UTF-8 (comma delimited)”, and upload that file."))
    if data.startswith(_UTF16_BOMS):
        raise ImportRefused(_l("This file is saved as Unicode text (UTF-16). In Excel choose Save As, then "
                               "“CSV UTF-8 (comma delimited)”, and upload that file."))
    not_text = not_text or _l("This is not a CSV text file. Upload the accounts as CSV (UTF-8 or GB18030), "
                              "one account a line.")
    if b"\x00" in data:
        raise ImportRefused(not_text)
    try:
        text, encoding = data.decode("utf-8-sig"), "UTF-8"
    except UnicodeDecodeError:
        try:
            text, encoding = data.decode("gb18030"), "GB18030"
        except UnicodeDecodeError:
            raise ImportRefused(not_text) from None
    if len(_CONTROL.findall(text)) > max(10, len(text) // 100):
        raise ImportRefused(not_text)  # a stray control character is a bad row; many make no text at all
    return text, encoding


def _header_name(cell: str) -> str | None:
    folded = re.sub(r"[\s_]+", " ", unicodedata.normalize("NFKC", cell or "")).strip().lower()
    for column, names in ALIASES.items():
        if folded in names or folded.replace(" ", "_") in names:
            return column
    return None


def _read(text: str, max_rows: int) -> tuple[list[_Row], list[str]]:
    """The data rows (each with the line it starts on) and the header cells that name no column."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    columns: dict[int, str] | None = None
    ignored: list[str] = []
    rows: list[_Row] = []
    while True:
        line = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error:
            raise ImportRefused(_l("Line %(line)d cannot be read as CSV: check its quotation marks.",
                                   line=line)) from None
        if not any(cell.strip() for cell in cells):
            continue
        if columns is None:
            columns = {}
            for i, cell in enumerate(cells):
                column = _header_name(cell)
                if column is not None and column not in columns.values():
                    columns[i] = column
                elif cell.strip():
                    ignored.append(clean_text(cell)[:40])
            missing = [c for c in REQUIRED if c not in columns.values()]
            if missing:
                raise ImportRefused(_l("The first line must name the columns; missing: %(missing)s. For "
                                       "example: %(header)s", missing=", ".join(missing), header=",".join(COLUMNS)))
            continue
        if len(rows) >= max_rows:
            raise ImportRefused(_l("The file has more than %(n)d accounts: split it into smaller files.",
                                   n=max_rows))
        rows.append(_Row(line, {columns[i]: cell for i, cell in enumerate(cells) if i in columns}))
    if columns is None:
        raise ImportRefused(_l("The file is empty."))
    return rows, ignored


# --- checking rows ----------------------------------------------------------------------------

class _Lookup:
    """Everything the rows refer to, read with a handful of queries instead of one per row."""

    def __init__(self, rows: list[_Row]) -> None:
        self.districts: dict[str, District] = {}
        for district in db.session.scalars(select(District)):
            for name in (district.code, district.name, district.name_en):
                self.districts.setdefault(_fold(name), district)
        named = {d.id for d in (self.district(r.values.get("district", "")) for r in rows) if d is not None}
        self.buildings: dict[tuple[int, str], list[Building]] = defaultdict(list)
        for building in db.session.scalars(
                select(Building).join(Building.substation).where(Substation.district_id.in_(named))
                .options(contains_eager(Building.substation))):
            self.buildings[(building.substation.district_id, building.key)].append(building)
        numbers = sorted({normalise_account_number(r.values.get("account_number")) for r in rows} - {""})
        self.accounts: dict[str, CustomerAccount] = {}
        for start in range(0, len(numbers), _CHUNK):
            for account in db.session.scalars(
                    select(CustomerAccount).options(selectinload(CustomerAccount.phones))
                    .where(CustomerAccount.account_number.in_(numbers[start:start + _CHUNK]))):
                self.accounts[account.account_number] = account

    def district(self, text: str) -> District | None:
        return self.districts.get(_fold(text))

    def building(self, district: District, substation_text: str, text: str) -> list[Building]:
        matches = self.buildings.get((district.id, building_key(text)), [])
        if substation_text and len(matches) > 1:
            wanted = _fold(substation_text)
            matches = [b for b in matches if wanted in (_fold(b.substation.code), _fold(b.substation.name))]
        return matches


def _fold(text: str | None) -> str:
    return unicodedata.normalize("NFKC", text or "").strip().casefold()


def _check(row: _Row, lookup: _Lookup, first_line: dict[str, int],
           update_existing: bool) -> tuple[list, dict]:
    """The reasons a row is refused (empty if none) and its clean values."""
    reasons: list = []
    raw = row.values
    if any(has_control_characters(v) for v in raw.values()):
        return [_l("The row contains characters that are not allowed.")], {}
    cells = {c: clean_text(raw.get(c, "")) for c in COLUMNS}
    for column, limit in _LIMITS.items():
        if len(cells[column]) > limit:
            reasons.append(_l("“%(column)s” is longer than %(n)d characters.", column=column, n=limit))

    number = normalise_account_number(cells["account_number"])
    if not number:
        reasons.append(_l("The account number is missing."))
    elif not ACCOUNT_NUMBER.match(number):
        reasons.append(BAD_ACCOUNT_NUMBER)
    elif number in first_line:
        reasons.append(_l("This account number is already on line %(line)d of the file.", line=first_line[number]))
    elif number in lookup.accounts and not update_existing:
        reasons.append(_l("This account already exists; it was left as it is."))
    if not cells["name"]:
        reasons.append(_l("The name is missing."))

    building = None
    district = lookup.district(cells["district"])
    if not cells["district"]:
        reasons.append(_l("The district is missing."))
    elif district is None:
        reasons.append(_l("Unknown district “%(district)s”.", district=cells["district"][:40]))
    if not cells["building"]:
        reasons.append(_l("The building is missing."))
    elif district is not None:
        matches = lookup.building(district, cells["substation"], cells["building"])
        name = district.display_name(current_language())
        if not matches:
            reasons.append(_l("No building “%(building)s” is listed in %(district)s.",
                              building=cells["building"][:60], district=name))
        elif len(matches) > 1:
            reasons.append(_l("Several buildings in %(district)s match “%(building)s”: add a substation column.",
                              building=cells["building"][:60], district=name))
        else:
            building = matches[0]

    phones, invalid = parse_phones(cells["phones"])
    problem = phone_problem(phones, invalid)
    if problem is not None:
        reasons.append(problem)
    if number and number not in first_line and reasons:
        first_line.setdefault(number, row.line)  # a later row with this number is still a duplicate
    return reasons, {
        "account_number": number, "name": cells["name"], "building": building,
        "unit": tidy_unit(cells["unit"]), "flat": tidy_unit(cells["flat"]), "phones": phones,
    }


def _save(clean: dict, lookup: _Lookup, report: ImportReport) -> None:
    account = lookup.accounts.get(clean["account_number"])
    if account is None:
        account = CustomerAccount(account_number=clean["account_number"])
        db.session.add(account)
        lookup.accounts[account.account_number] = account
        _fill(account, clean)
        report.created += 1
    elif _fill(account, clean):
        report.updated += 1
    else:
        report.unchanged += 1


def _fill(account: CustomerAccount, clean: dict) -> bool:
    """Set the row's values on the account; True if anything changed."""
    changed = False
    if account.building_id is None or account.building_id != clean["building"].id:
        account.building = clean["building"]
        changed = True
    for attr in ("name", "unit", "flat"):
        if getattr(account, attr) != clean[attr]:
            setattr(account, attr, clean[attr])
            changed = True
    if clean["phones"]:
        changed = set_phones(account, clean["phones"]) or changed
    return changed
