"""The network an administrator keeps: districts, substations, buildings (services, then pages)."""
from __future__ import annotations

import pytest
from flask_babel import gettext as t
from sqlalchemy import select

from app.admin.network import (
    BuildingInput,
    DistrictInput,
    SubstationInput,
    create_building,
    create_district,
    create_substation,
    search_buildings,
    update_building,
    update_district,
    update_substation,
)
from app.customers.lookup import building_key, find_building
from app.customers.models import Building, District, Substation
from app.extensions import db
from tests.test_admin_access import admin, assert_refused, assert_saved, database, refused  # noqa: F401




@pytest.fixture
def kundulun(ctx, network) -> District:
    return db.session.get(District, network["kundulun"])


@pytest.fixture
def station(ctx, network) -> Substation:
    return db.session.get(Substation, network["substation"])


# === districts ================================================================================

def test_a_district_is_created_with_its_code_in_lower_case(ctx, network):
    district = create_district(DistrictInput(code=" DongHe ", name="东河区", name_en="Donghe"))
    assert (district.code, district.name, district.name_en) == ("donghe", "东河区", "Donghe")
    assert district.id is not None


def test_every_district_field_is_required(ctx, network):
    assert set(refused(create_district, DistrictInput())) == {"code", "name", "name_en"}


def test_a_district_code_allows_only_letters_digits_dash_and_underscore(ctx, network):
    assert "code" in refused(create_district, DistrictInput(code="东河", name="东河区", name_en="Donghe"))


def test_a_district_code_in_use_is_refused(ctx, network):
    errors = refused(create_district, DistrictInput(code="KUNDULUN", name="东河区", name_en="Donghe"))
    assert errors == {"code": t("This code is already in use.")}


def test_two_districts_cannot_share_a_name_in_either_language(ctx, network):
    assert "name" in refused(create_district, DistrictInput(code="x", name="昆都仑区", name_en="X"))
    assert "name_en" in refused(create_district, DistrictInput(code="x", name="X区", name_en="kundulun"))


def test_a_district_keeps_its_own_code_and_name_when_edited(ctx, kundulun):
    update_district(kundulun, DistrictInput(code="kundulun", name="昆都仑区", name_en="Kundulun District"))
    assert kundulun.name_en == "Kundulun District"


def test_a_refused_district_edit_changes_nothing(ctx, kundulun):
    refused(update_district, kundulun, DistrictInput(code="qingshan", name="新名字", name_en="New"))
    assert (kundulun.code, kundulun.name, kundulun.name_en) == ("kundulun", "昆都仑区", "Kundulun")


def test_an_overlong_district_name_is_refused(ctx, network):
    errors = refused(create_district, DistrictInput(code="x", name="区" * 81, name_en="X"))
    assert errors["name"] == t("Please keep this under %(n)d characters.", n=80)


# === substations ==============================================================================

def test_a_substation_is_created_in_its_district(ctx, network):
    station = create_substation(SubstationInput(district_id=network["qingshan"], code="qs-2",
                                                        name="青山区2号换热站"))
    assert station.district.code == "qingshan"


def test_a_substation_needs_a_known_district(ctx, network):
    errors = refused(create_substation, SubstationInput(district_id=999, code="x-1", name="X"))
    assert errors == {"district_id": t("Please choose a district.")}


def test_substation_codes_are_unique_across_districts(ctx, network):
    errors = refused(create_substation, SubstationInput(district_id=network["qingshan"], code="kdl-1",
                                                                name="青山区2号换热站"))
    assert errors == {"code": t("This code is already in use.")}


def test_a_district_cannot_have_two_substations_of_one_name(ctx, network):
    errors = refused(create_substation, SubstationInput(district_id=network["kundulun"], code="kdl-9",
                                                                name="昆都仑区1号换热站"))
    assert "name" in errors


def test_a_substation_can_move_to_another_district(ctx, network, station):
    update_substation(station, SubstationInput(district_id=network["qingshan"], code="kdl-1",
                                                       name="昆都仑区1号换热站"))
    assert station.district_id == network["qingshan"]


def test_a_substation_cannot_move_where_its_buildings_are_already_listed(ctx, network, station):
    station_q = db.session.scalar(select(Substation).where(Substation.code == "qs-1"))
    create_building(BuildingInput(substation_id=station_q.id, name="阿尔丁小区3号楼"))
    errors = refused(update_substation, station, SubstationInput(district_id=network["qingshan"], code="kdl-1",
                                                                 name="昆都仑区1号换热站"))
    assert "阿尔丁小区3号楼" in errors["district_id"] and station.district_id == network["kundulun"]


# === buildings ================================================================================

def test_a_building_gets_the_key_intake_finds_it_by(ctx, network, station):
    building = create_building(BuildingInput(substation_id=station.id, name="阿尔丁小区5号楼",
                                                     street_address="包头市昆都仑区阿尔丁路35号"))
    assert building.key == building_key("阿尔丁小区5号楼")
    assert find_building(network["kundulun"], "阿尔丁5栋") is building


def test_the_same_building_twice_at_one_substation_is_refused_with_the_existing_name(ctx, network, station):
    errors = refused(create_building, BuildingInput(substation_id=station.id, name="阿尔丁3栋"))
    assert errors == {"name": t("This building is already listed as “%(name)s” at %(substation)s.",
                                name="阿尔丁小区3号楼", substation="昆都仑区1号换热站")}


def test_the_same_building_at_another_substation_of_the_district_is_refused(ctx, network):
    other = create_substation(SubstationInput(district_id=network["kundulun"], code="kdl-2", name="2号站"))
    errors = refused(create_building, BuildingInput(substation_id=other.id, name="阿尔丁小区3#"))
    assert "阿尔丁小区3号楼" in errors["name"]


def test_a_building_of_the_same_name_in_another_district_is_fine(ctx, network):
    station_q = db.session.scalar(select(Substation).where(Substation.code == "qs-1"))
    building = create_building(BuildingInput(substation_id=station_q.id, name="阿尔丁小区3号楼"))
    assert building.id is not None


def test_a_building_name_without_a_key_is_refused(ctx, network, station):
    assert "name" in refused(create_building, BuildingInput(substation_id=station.id, name="小区"))


def test_a_building_needs_a_substation(ctx, network):
    errors = refused(create_building, BuildingInput(substation_id=None, name="新楼1号楼"))
    assert errors == {"substation_id": t("Please choose a substation.")}


def test_renaming_a_building_renews_its_key(ctx, network):
    building = db.session.get(Building, network["building"])
    update_building(building, BuildingInput(substation_id=building.substation_id, name="阿尔丁小区33号楼"))
    assert building.key == building_key("阿尔丁小区33号楼")


def test_editing_a_building_without_renaming_it_is_no_clash(ctx, network):
    building = db.session.get(Building, network["building"])
    update_building(building, BuildingInput(substation_id=building.substation_id, name=building.name,
                                                    street_address="阿尔丁大街1号"))
    assert building.street_address == "阿尔丁大街1号"


def test_buildings_are_found_by_any_way_of_writing_their_name(ctx, network):
    assert [b.name for b in search_buildings("阿尔丁3栋").items] == ["阿尔丁小区3号楼"]
    assert [b.name for b in search_buildings("富强").items] == ["富强小区1号楼"]


def test_buildings_can_be_limited_to_one_district(ctx, network):
    assert search_buildings("", network["qingshan"]).total == 1


def test_the_building_list_comes_a_page_at_a_time(ctx, network, station):
    for n in range(60):
        db.session.add(Building(substation=station, name=f"新楼{n}号楼", key=building_key(f"新楼{n}号楼")))
    db.session.flush()
    first, last = search_buildings("", page=1), search_buildings("", page=99)
    assert (first.total, len(first.items), first.pages) == (62, 50, 2)
    assert (last.page, len(last.items)) == (2, 12)


# === pages ====================================================================================

def test_the_district_list_shows_each_district_and_its_team(admin):
    page = admin.get("/admin/districts").get_data(as_text=True)
    assert 'data-district="kundulun"' in page and "昆都仑区维修班组" in page


def test_a_district_is_added_through_the_form(app, admin):
    page = assert_saved(admin, "/admin/districts/new", {"code": "donghe", "name": "东河区", "name_en": "Donghe"})
    assert 'data-district="donghe"' in page.text


@pytest.mark.parametrize("bad, field", [
    ({"code": "东河"}, "code"), ({"code": "kundulun"}, "code"), ({"name": ""}, "name"),
    ({"name_en": "Qingshan"}, "name_en"),
])
def test_a_bad_new_district_is_refused_at_its_field(app, admin, bad, field):
    assert_refused(app, admin, "/admin/districts/new", {"code": "donghe", "name": "东河区", "name_en": "Donghe", **bad},
                   field)


def test_a_district_is_edited_through_the_form(app, admin, network):
    assert_saved(admin, f"/admin/districts/{network['kundulun']}",
                 {"code": "kundulun", "name": "昆都仑区", "name_en": "Kundulun District"})
    with database(app) as session:
        assert session.get(District, network["kundulun"]).name_en == "Kundulun District"


def test_a_bad_district_edit_is_refused_at_its_field(app, admin, network):
    assert_refused(app, admin, f"/admin/districts/{network['kundulun']}",
                   {"code": "qingshan", "name": "昆都仑区", "name_en": "Kundulun"}, "code")


def test_the_edit_form_starts_with_the_districts_values(admin, network):
    from tests.test_resident_pages import Page

    page = Page(admin.get(f"/admin/districts/{network['kundulun']}"))
    assert (page.values["code"], page.values["name"], page.values["name_en"]) == ("kundulun", "昆都仑区", "Kundulun")


def test_an_unknown_district_is_404(admin, network):
    assert admin.get("/admin/districts/999").status_code == 404


def test_a_substation_is_added_through_the_form(admin, network):
    page = assert_saved(admin, "/admin/substations/new",
                        {"district_id": str(network["qingshan"]), "code": "qs-2", "name": "青山区2号换热站"})
    assert 'data-substation="qs-2"' in page.text


@pytest.mark.parametrize("bad, field", [({"district_id": ""}, "district_id"), ({"code": "kdl-1"}, "code"),
                                        ({"name": ""}, "name")])
def test_a_bad_new_substation_is_refused_at_its_field(app, admin, network, bad, field):
    data = {"district_id": str(network["qingshan"]), "code": "qs-2", "name": "青山区2号换热站", **bad}
    assert_refused(app, admin, "/admin/substations/new", data, field)


def test_a_bad_substation_edit_is_refused_at_its_field(app, admin, network):
    data = {"district_id": str(network["kundulun"]), "code": "qs-1", "name": "昆都仑区1号换热站"}
    assert_refused(app, admin, f"/admin/substations/{network['substation']}", data, "code")


def test_a_substation_is_edited_through_the_form(app, admin, network):
    assert_saved(admin, f"/admin/substations/{network['substation']}",
                 {"district_id": str(network["kundulun"]), "code": "kdl-1", "name": "昆都仑区一号换热站"})
    with database(app) as session:
        assert session.get(Substation, network["substation"]).name == "昆都仑区一号换热站"


def test_a_building_is_added_through_the_form(app, admin, network):
    page = assert_saved(admin, "/admin/buildings/new",
                        {"substation_id": str(network["substation"]), "name": "阿尔丁小区5号楼", "street_address": ""})
    assert f'data-building="{building_key("阿尔丁小区5号楼")}"' in page.text


def test_a_duplicate_building_is_refused_with_a_clear_message(app, admin, network):
    page = assert_refused(app, admin, "/admin/buildings/new",
                          {"substation_id": str(network["substation"]), "name": "阿尔丁3栋", "street_address": "x"},
                          "name")
    assert "阿尔丁小区3号楼" in page.errors["name-error"]


def test_a_bad_building_edit_is_refused_at_its_field(app, admin, network):
    data = {"substation_id": "", "name": "阿尔丁小区3号楼", "street_address": ""}
    assert_refused(app, admin, f"/admin/buildings/{network['building']}", data, "substation_id")


def test_a_building_is_edited_through_the_form(app, admin, network):
    assert_saved(admin, f"/admin/buildings/{network['building']}",
                 {"substation_id": str(network["substation"]), "name": "阿尔丁小区3号楼", "street_address": "阿尔丁路7号"})
    with database(app) as session:
        assert session.get(Building, network["building"]).street_address == "阿尔丁路7号"


def test_the_building_list_searches_by_name(admin, network):
    page = admin.get("/admin/buildings?q=富强").get_data(as_text=True)
    assert "富强小区1号楼" in page and "阿尔丁小区3号楼" not in page


def test_odd_list_parameters_are_no_error(admin, network):
    for path in ("/admin/buildings?page=-3&district=abc", "/admin/buildings?page=99999999999&q=%25_",
                 "/admin/accounts?page=x&q=%C3"):
        assert admin.get(path).status_code == 200, path
    assert admin.get("/admin/accounts?q=%00").status_code == 400  # NUL is refused everywhere, clearly
