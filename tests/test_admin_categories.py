"""Complaint categories and their SLA policies (the promise per category and priority)."""
from __future__ import annotations

import pytest
from flask_babel import gettext as t
from sqlalchemy import select

from app.admin.categories import (
    CategoryInput,
    PolicyInput,
    categories_without_default_policy,
    create_category,
    create_policy,
    update_category,
    update_policy,
)
from app.extensions import db
from app.sla.models import Calendar, SlaPolicy
from app.tickets.models import Category, Priority
from tests.test_admin_access import admin, assert_refused, assert_saved, database, refused  # noqa: F401
from tests.test_resident_pages import Page, translated




def category_input(**overrides) -> CategoryInput:
    values = dict(code="smell", name="异味", name_en="Smell", default_priority="normal", sort_order="8", active=True)
    values.update(overrides)
    return CategoryInput(**values)


def policy_input(category_id: int, **overrides) -> PolicyInput:
    values = dict(category_id=category_id, priority="normal", respond_minutes="60", on_site_minutes="",
                  resolve_minutes="1440", calendar="business")
    values.update(overrides)
    return PolicyInput(**values)


@pytest.fixture
def no_heat(ctx, network) -> Category:
    return db.session.get(Category, network["category_no_heat"])


@pytest.fixture
def smell(ctx, network) -> Category:
    return create_category(category_input())


# === categories ===============================================================================

def test_a_category_is_created_with_its_default_priority(ctx, network):
    category = create_category(category_input())
    assert (category.code, category.default_priority, category.sort_order, category.active) == (
        "smell", Priority.NORMAL, 8, True)


def test_a_category_code_in_use_is_refused(ctx, network):
    assert refused(create_category, category_input(code="no_heat")) == {"code": t("This code is already in use.")}


@pytest.mark.parametrize("field, value", [("default_priority", "urgent"), ("sort_order", "first"),
                                          ("sort_order", "-1"), ("name", ""), ("name_en", "")])
def test_bad_category_values_are_refused_at_their_field(ctx, network, field, value):
    assert set(refused(create_category, category_input(**{field: value}))) == {field}


def test_a_category_is_deactivated_not_deleted(ctx, no_heat):
    update_category(no_heat, category_input(code="ignored", name=no_heat.name, name_en=no_heat.name_en,
                                            default_priority="emergency", active=False))
    assert not no_heat.active and no_heat.code == "no_heat"


def test_a_category_can_be_reactivated(ctx, no_heat):
    update_category(no_heat, category_input(name="暖气不热", name_en="No heat", default_priority="emergency",
                                            active=False))
    update_category(no_heat, category_input(name="暖气不热", name_en="No heat", default_priority="emergency",
                                            active=True))
    assert no_heat.active


def test_a_new_category_without_a_policy_is_pointed_out(ctx, smell):
    assert [c.code for c in categories_without_default_policy()] == ["smell"]


# === SLA policies =============================================================================

def test_a_policy_is_created_for_a_category_and_priority(ctx, smell):
    policy = create_policy(policy_input(smell.id, on_site_minutes="240"))
    assert (policy.respond_minutes, policy.on_site_minutes, policy.resolve_minutes, policy.calendar) == (
        60, 240, 1440, Calendar.BUSINESS)
    assert categories_without_default_policy() == []


def test_the_on_site_target_is_optional(ctx, smell):
    assert create_policy(policy_input(smell.id)).on_site_minutes is None


def test_one_policy_per_category_and_priority(ctx, no_heat):
    errors = refused(create_policy, policy_input(no_heat.id, priority="emergency"))
    assert errors == {"priority": t("This category already has a policy at this priority: edit that one instead.")}


@pytest.mark.parametrize("field, value", [
    ("respond_minutes", "0"), ("respond_minutes", "-5"), ("respond_minutes", "half an hour"),
    ("resolve_minutes", ""), ("on_site_minutes", "0"), ("on_site_minutes", "1.5"), ("calendar", "lunar"),
    ("respond_minutes", "99999999"),
])
def test_targets_are_positive_whole_minutes_on_a_known_clock(ctx, smell, field, value):
    assert field in refused(create_policy, policy_input(smell.id, **{field: value}))


def test_responding_cannot_take_longer_than_resolving(ctx, smell):
    assert "respond_minutes" in refused(create_policy, policy_input(smell.id, respond_minutes="2000"))


def test_arriving_cannot_take_longer_than_resolving(ctx, smell):
    assert "on_site_minutes" in refused(create_policy, policy_input(smell.id, on_site_minutes="2000"))


def test_a_policy_needs_a_category(ctx, network):
    assert "category_id" in refused(create_policy, policy_input(None))


def test_a_policy_gets_new_targets_but_keeps_its_category_and_priority(ctx, no_heat):
    policy = db.session.scalar(select(SlaPolicy).where(SlaPolicy.category_id == no_heat.id,
                                                       SlaPolicy.priority == Priority.EMERGENCY))
    update_policy(policy, policy_input(999, priority="low", respond_minutes="20", on_site_minutes="90",
                                       resolve_minutes="720", calendar="continuous"))
    assert (policy.category_id, policy.priority, policy.respond_minutes) == (no_heat.id, Priority.EMERGENCY, 20)


def test_a_refused_policy_edit_changes_nothing(ctx, no_heat):
    policy = db.session.scalar(select(SlaPolicy).where(SlaPolicy.category_id == no_heat.id))
    before = (policy.respond_minutes, policy.resolve_minutes)
    refused(update_policy, policy, policy_input(no_heat.id, respond_minutes="10", resolve_minutes="0"))
    assert (policy.respond_minutes, policy.resolve_minutes) == before


# === pages ====================================================================================

CATEGORY = {"code": "smell", "name": "异味", "name_en": "Smell", "default_priority": "normal", "sort_order": "8",
            "active": "y"}


def test_the_category_list_marks_a_category_without_a_policy(app, admin):
    assert_saved(admin, "/admin/categories/new", CATEGORY)
    page = admin.get("/admin/categories").get_data(as_text=True)
    assert page.count("badge-at-risk") == 1 and 'data-category="smell"' in page


@pytest.mark.parametrize("bad, field", [({"code": "no_heat"}, "code"), ({"default_priority": ""}, "default_priority"),
                                        ({"sort_order": "x"}, "sort_order")])
def test_a_bad_new_category_is_refused_at_its_field(app, admin, bad, field):
    assert_refused(app, admin, "/admin/categories/new", {**CATEGORY, **bad}, field, skip=("active",))


def test_a_category_is_deactivated_through_the_form(app, admin, network):
    data = {k: v for k, v in CATEGORY.items() if k not in ("code", "active")}
    assert_saved(admin, f"/admin/categories/{network['category_other']}", data)
    with database(app) as session:
        assert not session.get(Category, network["category_other"]).active


def test_the_category_edit_form_shows_the_code_but_cannot_change_it(admin, network):
    page = Page(admin.get(f"/admin/categories/{network['category_no_heat']}"))
    assert "code" not in page.values and "no_heat" in page.text


def test_a_bad_category_edit_is_refused_at_its_field(app, admin, network):
    data = {"name": "", "name_en": "No heat", "default_priority": "emergency", "sort_order": "0", "active": "y"}
    assert_refused(app, admin, f"/admin/categories/{network['category_no_heat']}", data, "name", skip=("active",))


def test_the_policy_list_shows_targets_as_people_read_them(app, admin):
    page = admin.get("/admin/sla-policies").get_data(as_text=True)
    assert page.count("data-policy=") == 28
    assert translated(app, "%(n)d h", n=24) in page and translated(app, "%(n)d min", n=30) in page


POLICY = {"priority": "normal", "respond_minutes": "60", "on_site_minutes": "", "resolve_minutes": "1440",
          "calendar": "business"}


def test_a_policy_is_added_through_the_form(app, admin):
    assert_saved(admin, "/admin/categories/new", CATEGORY)
    with database(app) as session:
        smell = session.scalar(select(Category.id).where(Category.code == "smell"))
    page = assert_saved(admin, "/admin/sla-policies/new", {**POLICY, "category_id": str(smell)})
    assert 'data-policy="smell:normal"' in page.text


def test_a_duplicate_policy_is_refused_at_the_priority(app, admin, network):
    assert_refused(app, admin, "/admin/sla-policies/new",
                   {**POLICY, "category_id": str(network["category_no_heat"])}, "priority")


@pytest.mark.parametrize("bad, field", [({"respond_minutes": "0"}, "respond_minutes"),
                                        ({"resolve_minutes": "abc"}, "resolve_minutes"),
                                        ({"calendar": ""}, "calendar")])
def test_a_bad_policy_edit_is_refused_at_its_field(app, admin, network, bad, field):
    with database(app) as session:
        policy_id = session.scalar(select(SlaPolicy.id).where(SlaPolicy.category_id == network["category_no_heat"]))
    data = {k: v for k, v in {**POLICY, **bad}.items() if k != "priority"}
    assert_refused(app, admin, f"/admin/sla-policies/{policy_id}", data, field)


def test_a_policy_is_edited_through_the_form(app, admin, network):
    with database(app) as session:
        policy_id = session.scalar(select(SlaPolicy.id).where(SlaPolicy.category_id == network["category_no_heat"],
                                                              SlaPolicy.priority == Priority.EMERGENCY))
    assert_saved(admin, f"/admin/sla-policies/{policy_id}", {"respond_minutes": "20", "on_site_minutes": "90",
                                                              "resolve_minutes": "720", "calendar": "continuous"})
    with database(app) as session:
        assert session.get(SlaPolicy, policy_id).respond_minutes == 20
