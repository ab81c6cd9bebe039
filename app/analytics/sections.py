"""Report results as titled sections: a table and the chart drawn from the same numbers.

The page shows each section as a chart with an accessible table under it, and the CSV export
writes the same table; so the chart, the table and the file can never disagree. Values stay plain
numbers here (a percentage is 87.5, a time is minutes), rounded once; the template formats them.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping, Sequence

from flask_babel import lazy_gettext as _l

from app.analytics import queries
from app.analytics.filters import FilterOptions, ReportFilters
from app.analytics.histogram import PRECISION
from app.auth.models import User
from app.core.i18n import current_language

# How a column's values read: text, a count, a percentage, minutes, an average score, per 1,000.
TEXT, COUNT, PERCENT, MINUTES, SCORE, PER_THOUSAND = "text", "count", "percent", "minutes", "score", "per_thousand"


@dataclass(frozen=True)
class Column:
    key: str
    label: Any  # a lazy string: the header in the reader's language
    kind: str = COUNT


@dataclass(frozen=True)
class Table:
    columns: Sequence[Column]
    rows: list[list[Any]]
    total: list[Any] | None = None  # the row over every group, shown last


@dataclass(frozen=True)
class Section:
    """One table of a report, its chart, and how to name its export."""

    key: str  # unique within the report: the section's id on the page and its CSV's name
    title: Any
    table: Table
    chart: dict | None = None
    note: Any = None


@dataclass(frozen=True)
class Report:
    key: str
    title: Any
    counted: Any  # which tickets the report counts, stated on the page
    build: Callable[[User, ReportFilters, "Names"], list[Section]]
    summary: Callable[[list[Section]], list[tuple[Any, Any, str]]] | None = field(default=None)


def percent(ratio: float | None) -> float | None:
    return None if ratio is None else round(ratio * 100, 1)


def minutes(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 60, 1)


def rounded(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round(value, digits)


# --- names of the rows ------------------------------------------------------------------------------

class Names:
    """Row labels in the reader's language, and the order rows are listed in."""

    def __init__(self, options: FilterOptions, technicians: Mapping[int, str] | None = None):
        locale = current_language()
        self.teams = {t.id: t.display_name(locale) for t in options.all_teams}
        self.districts = {d.id: d.display_name(locale) for d in options.all_districts}
        self.categories = {c.id: c.display_name(locale) for c in options.categories}
        self.technicians = dict(technicians or {})

    def ordered(self, kind: str, keys: Iterable) -> list[tuple[Any, str]]:
        """(key, label) in the dimension's own order (teams and districts by id, categories as the
        admin sorted them, technicians by name); an unknown key (no team, say) last."""
        known, missing = {
            "team": (self.teams, _l("No team (triage)")),
            "district": (self.districts, _l("District not known")),
            "category": (self.categories, _l("Unknown category")),
            "technician": (self.technicians, _l("No technician")),
        }[kind]
        order = list(known)
        if kind == "technician":
            order.sort(key=lambda k: known[k])
        keys = set(keys)
        listed = [(k, known[k]) for k in order if k in keys]
        unknown = keys - set(known)
        listed += [(k, f"#{k}") for k in sorted(k for k in unknown if k is not None)]
        if None in unknown:
            listed.append((None, str(missing)))
        return listed


# --- 1. SLA compliance -----------------------------------------------------------------------------

CLOCK_LABELS = {"respond": _l("Respond"), "on_site": _l("On site"), "resolve": _l("Resolve")}
DIMENSIONS = {"team": _l("Team"), "district": _l("District"), "category": _l("Problem"),
              "technician": _l("Technician"), "month": _l("Month")}


def _sla_table(kind: str, groups: Mapping, total: queries.SlaCounts, names: Names) -> Table:
    columns = [Column(kind, DIMENSIONS[kind], TEXT), Column("tickets", _l("Tickets received"))]
    for clock, label in CLOCK_LABELS.items():
        columns += [Column(f"{clock}_met", _l("%(clock)s: met", clock=label)),
                    Column(f"{clock}_missed", _l("%(clock)s: missed", clock=label)),
                    Column(f"{clock}_pct", _l("%(clock)s: compliance (%%)", clock=label), PERCENT)]

    def cells(counts: queries.SlaCounts) -> list:
        row: list = [counts.tickets]
        for clock in CLOCK_LABELS:
            outcome = getattr(counts, clock)
            row += [outcome.met, outcome.missed, percent(outcome.compliance)]
        return row

    rows = [[label, *cells(groups[key])] for key, label in names.ordered(kind, groups)]
    return Table(columns, rows, [str(_l("All")), *cells(total)])


def _sla_chart(table: Table) -> dict:
    return _chart("bar", table, [f"{clock}_pct" for clock in CLOCK_LABELS], unit="%", max_value=100,
                  series_labels=list(CLOCK_LABELS.values()))


def sla_sections(user: User, filters: ReportFilters, names: Names) -> list[Section]:
    report = queries.sla_compliance(user, filters)
    sections = []
    for kind, groups, title in (("team", report.by_team, _l("SLA compliance by team")),
                                ("district", report.by_district, _l("SLA compliance by district")),
                                ("category", report.by_category, _l("SLA compliance by problem"))):
        table = _sla_table(kind, groups, report.total, names)
        sections.append(Section(f"by-{kind}", title, table, _sla_chart(table) if table.rows else None))
    return sections


# --- 2. Times ---------------------------------------------------------------------------------------

STEP_LABELS = {"respond": _l("Respond"), "on_site": _l("Arrive"), "resolve": _l("Resolve")}


def times_sections(user: User, filters: ReportFilters, names: Names) -> list[Section]:
    report = queries.response_times(user, filters)
    columns = [Column("category", DIMENSIONS["category"], TEXT)]
    for step, label in STEP_LABELS.items():
        columns += [Column(f"{step}_count", _l("%(step)s: tickets", step=label)),
                    Column(f"{step}_median", _l("%(step)s: median (min)", step=label), MINUTES),
                    Column(f"{step}_p90", _l("%(step)s: 90th percentile (min)", step=label), MINUTES)]

    def cells(times: queries.StepTimes) -> list:
        row: list = []
        for step in STEP_LABELS:
            d = getattr(times, step)
            row += [d.count, minutes(d.median), minutes(d.p90)]
        return row

    rows = [[label, *cells(report.by_category[key])] for key, label in names.ordered("category", report.by_category)]
    table = Table(columns, rows, [str(_l("All")), *cells(report.total)])
    chart = None
    if rows:
        chart = _chart("bar", table, [f"{step}_median" for step in STEP_LABELS], unit=str(_l("min")), log=True,
                       series_labels=[_l("%(step)s: median", step=label) for label in STEP_LABELS.values()])
    return [Section("by-category", _l("Median and 90th-percentile times by problem"), table, chart,
                    note=_l("Times run from the moment the ticket was received, waiting for the resident "
                            "included, to the first response, arrival and resolution (a reopened ticket keeps "
                            "its first). Medians and 90th percentiles are read from the times counted in "
                            "narrow ranges: they are within %(precision)d %% of the exact value, and exact "
                            "under 100 seconds. The chart shows the medians on a logarithmic scale.",
                            precision=round(PRECISION * 100)))]


# --- 3. Satisfaction ------------------------------------------------------------------------------

def _scores_table(kind: str, rows_by_key: list[tuple[str, queries.Scores]], total: queries.Scores) -> Table:
    columns = [Column(kind, DIMENSIONS[kind], TEXT), Column("resolved", _l("Resolved (surveyed)")),
               Column("scored", _l("Scored")), Column("satisfied", _l("Scored 4–5")),
               Column("csat", _l("CSAT (%)"), PERCENT), Column("average", _l("Average score"), SCORE),
               Column("response_rate", _l("Response rate (%)"), PERCENT)]

    def cells(s: queries.Scores) -> list:
        return [s.resolved, s.scored, s.satisfied, percent(s.csat), rounded(s.average), percent(s.response_rate)]

    return Table(columns, [[label, *cells(s)] for label, s in rows_by_key], [str(_l("All")), *cells(total)])


def satisfaction_sections(user: User, filters: ReportFilters, names: Names) -> list[Section]:
    report = queries.satisfaction(user, filters)
    names.technicians = dict(queries.technician_names(report.by_technician))
    sections = []
    month_table = _scores_table("month", list(report.by_month.items()), report.total)
    sections.append(Section("by-month", _l("Satisfaction by month of resolution"), month_table,
                            _chart("line", month_table, ["csat", "response_rate"], unit="%", max_value=100)
                            if report.total.resolved else None))
    for kind, groups, title in (
            ("technician", report.by_technician, _l("Satisfaction by technician")),
            ("team", report.by_team, _l("Satisfaction by team")),
            ("district", report.by_district, _l("Satisfaction by district")),
            ("category", report.by_category, _l("Satisfaction by problem"))):
        table = _scores_table(kind, [(label, groups[key]) for key, label in names.ordered(kind, groups)],
                              report.total)
        sections.append(Section(f"by-{kind}", title, table,
                                _chart("bar", table, ["csat"], unit="%", max_value=100) if table.rows else None))
    return sections


def satisfaction_summary(sections: list[Section]) -> list[tuple[Any, Any, str]]:
    total = dict(zip((c.key for c in sections[0].table.columns), sections[0].table.total or []))
    return [(_l("CSAT"), total.get("csat"), PERCENT), (_l("Average score"), total.get("average"), SCORE),
            (_l("Response rate"), total.get("response_rate"), PERCENT)]


# --- 4. Reopens -------------------------------------------------------------------------------------

def reopen_sections(user: User, filters: ReportFilters, names: Names) -> list[Section]:
    report = queries.reopen_rates(user, filters)
    sections = []
    for kind, groups, title in (("team", report.by_team, _l("Reopened tickets by team")),
                                ("district", report.by_district, _l("Reopened tickets by district")),
                                ("category", report.by_category, _l("Reopened tickets by problem"))):
        columns = [Column(kind, DIMENSIONS[kind], TEXT), Column("resolved", _l("Resolved")),
                   Column("reopened", _l("Reopened")), Column("rate", _l("Reopen rate (%)"), PERCENT)]

        def cells(r: queries.Reopens) -> list:
            return [r.resolved, r.reopened, percent(r.rate)]

        table = Table(columns, [[label, *cells(groups[key])] for key, label in names.ordered(kind, groups)],
                      [str(_l("All")), *cells(report.total)])
        sections.append(Section(f"by-{kind}", title, table,
                                _chart("bar", table, ["rate"], unit="%") if table.rows else None))
    return sections


def reopen_summary(sections: list[Section]) -> list[tuple[Any, Any, str]]:
    total = dict(zip((c.key for c in sections[0].table.columns), sections[0].table.total or []))
    return [(_l("Resolved"), total.get("resolved"), COUNT), (_l("Reopened"), total.get("reopened"), COUNT),
            (_l("Reopen rate"), total.get("rate"), PERCENT)]


# --- 5. Substations -------------------------------------------------------------------------------

CHART_SUBSTATIONS = 20  # the chart shows the worst 20; the table lists them all


def substation_sections(user: User, filters: ReportFilters, names: Names) -> list[Section]:
    rows = queries.complaints_per_thousand(user, filters)
    columns = [Column("substation", _l("Substation"), TEXT), Column("district", DIMENSIONS["district"], TEXT),
               Column("accounts", _l("Customer accounts")), Column("tickets", _l("Complaints")),
               Column("per_thousand", _l("Complaints per 1,000 accounts"), PER_THOUSAND)]
    body = [[r.name, names.districts.get(r.district_id, ""), r.accounts, r.tickets, rounded(r.per_thousand)]
            for r in rows]
    accounts, tickets = sum(r.accounts for r in rows), sum(r.tickets for r in rows)
    # The overall rate counts only substations with accounts on record, as each row's rate does.
    rated = sum(r.tickets for r in rows if r.accounts)
    total = [str(_l("All")), "", accounts, tickets, rounded(rated / accounts * 1000) if accounts else None]
    table = Table(columns, body, total)
    chart = None
    if any(r.tickets for r in rows):
        top = Table(columns, [row for row in body if row[4] is not None][:CHART_SUBSTATIONS])
        chart = _chart("hbar", top, ["per_thousand"], unit="‰")
    if filters.category_id is not None:
        note = _l("Complaints of the chosen problem only.")
    elif filters.all_categories:
        note = _l("Complaints of every problem.")
    else:
        note = _l("Only “no heat” and “low temperature” complaints, which show substations that under-heat.")
    return [Section("by-substation", _l("Complaints per 1,000 accounts by substation, worst first"), table, chart,
                    note=note)]


# --- charts ---------------------------------------------------------------------------------------

def _chart(kind: str, table: Table, keys: list[str], unit: str = "", max_value: float | None = None,
           log: bool = False, series_labels: list | None = None) -> dict:
    """What analytics.js needs to draw a chart of some of a table's columns against its first column."""
    positions = {c.key: i for i, c in enumerate(table.columns)}
    labels = series_labels or [table.columns[positions[k]].label for k in keys]
    return {
        "kind": kind,
        "labels": [row[0] for row in table.rows],
        "series": [{"label": str(label), "data": [row[positions[k]] for row in table.rows]}
                   for k, label in zip(keys, labels)],
        "unit": unit,
        "max": max_value,
        "log": log,
    }


# --- the reports ------------------------------------------------------------------------------------

REPORTS: dict[str, Report] = {
    "sla": Report("sla", _l("SLA compliance"), _l("Tickets received in the period, by their stored clock "
                                                  "outcomes; clocks not ended yet or without a promise are left out."),
                  sla_sections),
    "times": Report("times", _l("Response times"), _l("Tickets received in the period."), times_sections),
    "satisfaction": Report("satisfaction", _l("Satisfaction"),
                           _l("Resolutions in the period: each sent the resident a survey, so a ticket resolved twice "
                              "counts twice, with each score it got (a low score that reopened it included). CSAT is "
                              "the share of scores 4–5 among the answers."),
                           satisfaction_sections, satisfaction_summary),
    "reopens": Report("reopens", _l("Reopened tickets"),
                      _l("Resolutions in the period, and how many of them were followed by a reopen (a low score, "
                         "or a reopen by the resident or staff, at any time since). A ticket reopened and resolved "
                         "again counts each resolution."),
                      reopen_sections, reopen_summary),
    "substations": Report("substations", _l("Complaints per substation"),
                          _l("Tickets received in the period with a known substation, per 1,000 customer accounts "
                             "in the substation's buildings."), substation_sections),
}
