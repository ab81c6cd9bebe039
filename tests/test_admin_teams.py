"""Teams and the districts they serve: a district has exactly one team, moved only when asked."""
from __future__ import annotations

import pytest
from flask_babel import gettext as t
from sqlalchemy import select

from app.admin.teams import TeamInput, create_team, update_team
from app.customers.models import District
from app.extensions import db
from app.routing.assignment import team_for_district
from app.routing.models import Team
from tests.test_admin_access import admin, assert_refused, assert_saved, database, refused  # noqa: F401
from tests.test_resident_pages import Page




@pytest.fixture
def donghe(ctx, network) -> District:
    district = District(code="donghe", name="东河区", name_en="Donghe")
    db.session.add(district)
    db.session.flush()
    return district


@pytest.fixture
def team(ctx, network) -> Team:
    return db.session.get(Team, network["team"])


# === services =================================================================================

def test_a_new_team_serves_the_districts_no_one_else_serves(ctx, donghe):
    team = create_team(TeamInput(name="东河区维修班组", name_en="Donghe service team", district_ids=[donghe.id]))
    assert team_for_district(donghe.id) is team


def test_a_team_name_is_required_and_unique(ctx, network):
    assert "name" in refused(create_team, TeamInput(name=""))
    assert refused(create_team, TeamInput(name="昆都仑区维修班组")) == {"name": t("Another team already has this name.")}


def test_a_district_served_by_another_team_is_refused_naming_that_team(ctx, network):
    errors = refused(create_team, TeamInput(name="新班组", district_ids=[network["qingshan"]]))
    assert "青山区维修班组" in errors["district_ids"]
    assert team_for_district(network["qingshan"]).id == network["team_q"]


def test_a_district_is_moved_from_its_team_when_asked(ctx, network, team):
    update_team(team, TeamInput(name=team.name, name_en=team.name_en,
                                district_ids=[network["kundulun"], network["qingshan"]], move_districts=True))
    db.session.flush()
    assert team_for_district(network["qingshan"]) is team
    assert db.session.get(Team, network["team_q"]).districts == []


def test_a_team_keeps_its_own_districts_without_being_asked_to_move_them(ctx, network, team):
    update_team(team, TeamInput(name="昆都仑区一班", district_ids=[network["kundulun"]]))
    assert team.name == "昆都仑区一班" and [d.id for d in team.districts] == [network["kundulun"]]


def test_a_team_may_give_up_a_district(ctx, network, team):
    update_team(team, TeamInput(name=team.name, district_ids=[]))
    db.session.flush()
    assert team_for_district(network["kundulun"]) is None


def test_an_unknown_district_is_refused(ctx, network, team):
    assert "district_ids" in refused(update_team, team, TeamInput(name=team.name, district_ids=[999]))


def test_a_refused_team_edit_changes_nothing(ctx, network, team):
    refused(update_team, team, TeamInput(name="青山区维修班组", district_ids=[network["qingshan"]], move_districts=True))
    assert team.name == "昆都仑区维修班组" and [d.id for d in team.districts] == [network["kundulun"]]
    assert team_for_district(network["qingshan"]).id == network["team_q"]


# === pages ====================================================================================

def test_the_team_list_shows_districts_and_staff_counts(admin):
    page = admin.get("/admin/teams").get_data(as_text=True)
    assert "昆都仑区维修班组" in page and "青山区" in page


def test_a_team_is_added_through_the_form(app, admin, network):
    with database(app) as session:
        session.add(District(code="donghe", name="东河区", name_en="Donghe"))
        session.commit()
        donghe = session.scalar(select(District.id).where(District.code == "donghe"))
    assert_saved(admin, "/admin/teams/new", {"name": "东河区维修班组", "name_en": "", "district_ids": [str(donghe)]})
    with database(app):
        assert team_for_district(donghe).name == "东河区维修班组"


def test_taking_another_teams_district_without_moving_it_is_refused(app, admin, network):
    page = assert_refused(app, admin, f"/admin/teams/{network['team']}", {
        "name": "昆都仑区维修班组", "name_en": "Kundulun service team",
        "district_ids": [str(network["kundulun"]), str(network["qingshan"])]}, "district_ids")
    assert "青山区维修班组" in page.errors["district_ids-error"]
    assert {"checked"} <= set(page.attrs["district_ids-1"])  # the choice made is kept


def test_a_district_is_moved_between_teams_through_the_form(app, admin, network):
    assert_saved(admin, f"/admin/teams/{network['team']}", {
        "name": "昆都仑区维修班组", "name_en": "", "move_districts": "y",
        "district_ids": [str(network["kundulun"]), str(network["qingshan"])]})
    with database(app):
        assert team_for_district(network["qingshan"]).id == network["team"]


def test_the_team_form_names_the_team_serving_each_district(admin, network):
    page = Page(admin.get("/admin/teams/new"))
    assert "青山区维修班组" in page.text


def test_a_nameless_new_team_is_refused(app, admin, network):
    assert_refused(app, admin, "/admin/teams/new", {"name": " ", "name_en": "Nameless"}, "name", skip=("name",))
