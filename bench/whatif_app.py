"""What-if build of the real app, for the benchmark only: the app unchanged, plus monkeypatches
that imitate the fixes suggested in bench/README.md, so their effect can be measured in the same
run. Nothing here is meant to be copied as is; the real fixes belong in app code.

    HEATDESK_WHATIF=refresh,choices,savepoint,team,preping gunicorn --pythonpath bench whatif_app:app

Patches (each removes database round trips from one POST /report):
  refresh   the reference is read before the commit, so no re-SELECT of the expired ticket after it
            (imitated with expire_on_commit=False)                                      -4 round trips
  choices   district/category choices cached per process and language                  -2 queries
  savepoint insert the ticket without a SAVEPOINT (a reference collision, p ≈ n/9e9,
            is retried by re-running the whole request instead)                         -2 round trips
  team      district → team id cached per process (teams change by admin action)        -1 query
  preping   pool_pre_ping off (one ';' per pool checkout)                                -1 round trip
"""
from __future__ import annotations

import os
import sys
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(os.environ.get("HEATDESK_APP_ROOT") or Path(__file__).resolve().parent.parent)
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from app import create_app  # noqa: E402
from app.config import database_options, normalise_database_url  # noqa: E402
from app.extensions import db  # noqa: E402
from app.intake import routes, service  # noqa: E402

PATCHES = {p.strip() for p in os.environ.get("HEATDESK_WHATIF", "").split(",") if p.strip()}
KNOWN = {"refresh", "choices", "savepoint", "team", "preping"}
if PATCHES - KNOWN:
    raise SystemExit(f"unknown HEATDESK_WHATIF patches: {sorted(PATCHES - KNOWN)}")

overrides = {}
if "preping" in PATCHES:
    url = normalise_database_url(os.environ.get("DATABASE_URL", ""))
    overrides["SQLALCHEMY_ENGINE_OPTIONS"] = {**database_options(url), "pool_pre_ping": False}

if "refresh" in PATCHES:
    db.session.session_factory.kw["expire_on_commit"] = False

if "choices" in PATCHES:
    _original_choices = routes._complaint_choices
    _choice_cache: dict[str, tuple[list, list]] = {}

    def _cached_choices(form) -> None:
        locale = routes.current_language()
        if locale not in _choice_cache:
            _original_choices(form)
            _choice_cache[locale] = (list(form.district.choices), list(form.category.choices))
        districts, categories = _choice_cache[locale]
        form.district.choices = list(districts)
        form.category.choices = list(categories)

    routes._complaint_choices = _cached_choices

if "savepoint" in PATCHES:
    def _insert_plain(ticket) -> None:
        ticket.reference = service.new_reference()
        db.session.add(ticket)
        db.session.flush()

    service._insert_with_unique_reference = _insert_plain

if "team" in PATCHES:
    _original_team = service.team_for_district
    _team_cache: dict[int | None, int | None] = {}

    def _cached_team(district_id):
        if district_id not in _team_cache:
            team = _original_team(district_id)
            _team_cache[district_id] = team.id if team is not None else None
        team_id = _team_cache[district_id]
        return SimpleNamespace(id=team_id) if team_id is not None else None

    service.team_for_district = _cached_team

app = create_app(overrides)
app.config["BENCH_WHATIF"] = sorted(PATCHES)
