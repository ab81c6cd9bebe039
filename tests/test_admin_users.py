"""Staff accounts: roles and teams, the password policy, deactivation, and what admins cannot do to themselves."""
from __future__ import annotations

import pytest
from flask_babel import gettext as t
from sqlalchemy import select

from app.admin.users import (
    NewUserInput,
    UserInput,
    create_user,
    deactivate_user,
    reactivate_user,
    reset_password,
    update_user,
)
from app.auth.models import Role, User
from app.auth.service import authenticate
from app.core.errors import DomainError
from app.extensions import db
from tests.conftest import STAFF_PASSWORD, csrf_token_of
from tests.test_admin_access import admin, assert_refused, assert_saved, database, reference_data, refused  # noqa: F401
from tests.test_resident_pages import Page, translated

GOOD_PASSWORD = "warm-radiator-2026"


def new_user(**overrides) -> NewUserInput:
    values = dict(username="zhoumin", family_name="周", given_name="敏", role="agent", team_id=None,
                  phone="", password=GOOD_PASSWORD, password_confirm=GOOD_PASSWORD)
    values.update(overrides)
    return NewUserInput(**values)


@pytest.fixture
def users(ctx, network) -> dict[str, User]:
    return {u.username: u for u in db.session.scalars(select(User))}


def profile(user: User, **overrides) -> UserInput:
    values = dict(family_name=user.family_name, given_name=user.given_name, role=user.role.value,
                  team_id=user.team_id, phone=user.phone or "")
    values.update(overrides)
    return UserInput(**values)


# === creating =================================================================================

def test_a_new_agent_can_sign_in_with_the_password_given(ctx, network):
    create_user(new_user(username="ZhouMin"))
    user = authenticate("zhoumin", GOOD_PASSWORD)
    assert user is not None and user.role is Role.AGENT and user.team is None


def test_a_technician_needs_a_team(ctx, network):
    errors = refused(create_user, new_user(role="technician"))
    assert errors == {"team_id": t("Technicians and supervisors belong to a team: please choose one.")}


def test_a_supervisor_is_made_with_a_team(ctx, network):
    user = create_user(new_user(role="supervisor", team_id=network["team_q"]))
    assert user.team_id == network["team_q"]


@pytest.mark.parametrize("role", ["agent", "admin"])
def test_agents_and_administrators_have_no_team(ctx, network, role):
    assert "team_id" in refused(create_user, new_user(role=role, team_id=network["team"]))


def test_a_taken_username_is_refused(ctx, network):
    assert refused(create_user, new_user(username="Wang")) == {"username": t("This username is already taken.")}


@pytest.mark.parametrize("username", ["w", "1abc", "wang jianguo", "王建国", "a" * 41])
def test_a_username_is_short_lower_case_latin(ctx, network, username):
    assert "username" in refused(create_user, new_user(username=username))


def test_an_unknown_role_is_refused(ctx, network):
    assert "role" in refused(create_user, new_user(role="root"))


def test_a_phone_is_kept_in_e164(ctx, network):
    assert create_user(new_user(phone="139 1234 5678")).phone == "+8613912345678"


def test_an_invalid_phone_is_refused(ctx, network):
    assert "phone" in refused(create_user, new_user(phone="12345"))


@pytest.mark.parametrize("password", ["short1!", "password123", "zhoumin-heating", "aaaaaaaaaaaa"])
def test_the_password_policy_applies_to_new_users(ctx, network, password):
    assert "password" in refused(create_user, new_user(password=password, password_confirm=password))


def test_the_password_must_be_typed_the_same_twice(ctx, network):
    errors = refused(create_user, new_user(password_confirm=GOOD_PASSWORD + "x"))
    assert set(errors) == {"password_confirm"}


def test_every_problem_of_a_new_user_is_reported_at_once(ctx, network):
    errors = refused(create_user, NewUserInput())
    assert {"username", "family_name", "given_name", "role", "password"} <= set(errors)


# === editing ==================================================================================

def test_a_technician_without_open_tickets_can_move_team(ctx, users, network):
    update_user(users["li"], profile(users["li"], team_id=network["team_q"]), by=users["admin"])
    assert users["li"].team_id == network["team_q"]


def test_a_technician_with_open_tickets_cannot_move_team(ctx, users, network, make_ticket):
    ticket = make_ticket()
    technician = ticket.assignee
    errors = refused(update_user, technician, profile(technician, team_id=network["team_q"]), by=users["admin"])
    assert "team_id" in errors and technician.team_id == network["team"]


def test_an_agent_can_become_a_supervisor_with_a_team(ctx, users, network):
    update_user(users["agent"], profile(users["agent"], role="supervisor", team_id=network["team"]), by=users["admin"])
    assert users["agent"].role is Role.SUPERVISOR


def test_an_administrator_cannot_demote_themself(ctx, users):
    me = users["admin"]
    errors = refused(update_user, me, profile(me, role="agent"), by=me)
    assert set(errors) == {"role"} and me.role is Role.ADMIN


def test_an_administrator_can_change_their_own_name(ctx, users):
    me = users["admin"]
    update_user(me, profile(me, given_name="理"), by=me)
    assert me.given_name == "理"


def test_an_administrator_can_demote_another_administrator(ctx, users):
    other = create_user(new_user(role="admin"))
    update_user(other, profile(other, role="agent"), by=users["admin"])
    assert other.role is Role.AGENT


def test_a_refused_edit_changes_nothing(ctx, users):
    wang = users["wang"]
    refused(update_user, wang, profile(wang, family_name="", role="agent"), by=users["admin"])
    assert (wang.family_name, wang.role) == ("王", Role.TECHNICIAN)


# === passwords and access =====================================================================

def test_a_password_reset_sets_the_new_password_and_ends_sessions(ctx, users):
    wang = users["wang"]
    version = wang.session_version
    reset_password(wang, GOOD_PASSWORD, GOOD_PASSWORD)
    assert wang.check_password(GOOD_PASSWORD) and wang.session_version == version + 1


@pytest.mark.parametrize("password", ["short", "password1", "wang-is-here-2026", "111111111"])
def test_a_password_reset_follows_the_policy(ctx, users, password):
    wang = users["wang"]
    errors = refused(reset_password, wang, password, password)
    assert "password" in errors and wang.check_password(STAFF_PASSWORD)


def test_deactivating_stops_sign_in_and_ends_sessions(ctx, users):
    wang = users["wang"]
    version = wang.session_version
    deactivate_user(wang, by=users["admin"])
    assert not wang.active and wang.session_version == version + 1
    assert authenticate("wang", STAFF_PASSWORD) is None


def test_deactivating_reports_the_open_tickets_left_behind(ctx, users, make_ticket):
    technician = make_ticket().assignee
    assert deactivate_user(technician, by=users["admin"]) == 1


def test_an_administrator_cannot_deactivate_themself(ctx, users):
    with pytest.raises(DomainError):
        deactivate_user(users["admin"], by=users["admin"])
    assert users["admin"].active


def test_a_reactivated_user_can_sign_in_again(ctx, users):
    deactivate_user(users["wang"], by=users["admin"])
    reactivate_user(users["wang"])
    assert authenticate("wang", STAFF_PASSWORD) is users["wang"]


# === pages ====================================================================================

def _id(app, username: str) -> int:
    with database(app) as session:
        return session.scalar(select(User.id).where(User.username == username))


NEW = {"username": "zhoumin", "family_name": "周", "given_name": "敏", "role": "agent", "team_id": "", "phone": "",
       "password": GOOD_PASSWORD, "password_confirm": GOOD_PASSWORD}


def test_the_user_list_shows_everyone_with_role_and_team(admin):
    page = admin.get("/admin/users").get_data(as_text=True)
    assert page.count("data-user=") == 7 and "昆都仑区维修班组" in page


def test_a_user_is_added_through_the_form(app, admin):
    page = assert_saved(admin, "/admin/users/new", NEW)
    assert page.values["family_name"] == "周"
    with database(app):
        assert authenticate("zhoumin", GOOD_PASSWORD) is not None


@pytest.mark.parametrize("bad, field", [
    ({"username": "wang"}, "username"), ({"role": "technician"}, "team_id"), ({"phone": "123"}, "phone"),
    ({"password": "password1", "password_confirm": "password1"}, "password"),
    ({"password_confirm": "something-else-2026"}, "password_confirm"), ({"family_name": ""}, "family_name"),
])
def test_a_bad_new_user_is_refused_at_its_field(app, admin, bad, field):
    assert_refused(app, admin, "/admin/users/new", {**NEW, **bad}, field)


def test_the_password_is_never_shown_again(app, admin):
    page = assert_refused(app, admin, "/admin/users/new", {**NEW, "username": "wang"}, "username")
    assert GOOD_PASSWORD not in page.text


def test_a_user_is_edited_through_the_form(app, admin, network):
    user_id = _id(app, "li")
    assert_saved(admin, f"/admin/users/{user_id}", {"family_name": "李", "given_name": "志刚", "role": "technician",
                                                   "team_id": str(network["team"]), "phone": "13912345678"})
    with database(app) as session:
        assert session.get(User, user_id).phone == "+8613912345678"


def test_an_administrator_demoting_themself_sees_why_at_the_role(app, admin):
    page = assert_refused(app, admin, f"/admin/users/{_id(app, 'admin')}",
                          {"family_name": "管", "given_name": "理员", "role": "agent", "team_id": "", "phone": ""},
                          "role")
    assert page.errors["role-error"] == translated(
        app, "You cannot take away your own administrator role: ask another administrator.")


def test_a_password_is_reset_through_the_form(app, admin):
    user_id = _id(app, "wang")
    token = csrf_token_of(admin.get(f"/admin/users/{user_id}").get_data(as_text=True))
    response = admin.post(f"/admin/users/{user_id}/password", data={
        "csrf_token": token, "password": GOOD_PASSWORD, "password_confirm": GOOD_PASSWORD})
    assert response.status_code == 302
    with database(app):
        assert authenticate("wang", GOOD_PASSWORD) is not None


def test_a_weak_password_reset_is_refused_at_the_field(app, admin):
    user_id = _id(app, "wang")
    before = reference_data(app)
    token = csrf_token_of(admin.get(f"/admin/users/{user_id}").get_data(as_text=True))
    page = Page(admin.post(f"/admin/users/{user_id}/password", data={
        "csrf_token": token, "password": "wang12345", "password_confirm": "wang12345"}))
    assert page.status == 422 and "password-error" in page.errors
    assert page.values["family_name"] == "王"  # the rest of the page is still the user's
    assert reference_data(app) == before


def test_an_administrator_resetting_their_own_password_stays_signed_in(app, admin):
    user_id = _id(app, "admin")
    token = csrf_token_of(admin.get(f"/admin/users/{user_id}").get_data(as_text=True))
    admin.post(f"/admin/users/{user_id}/password", data={
        "csrf_token": token, "password": GOOD_PASSWORD, "password_confirm": GOOD_PASSWORD})
    assert admin.get("/admin/").status_code == 200


def test_an_administrator_cannot_deactivate_themself_through_the_page(app, admin):
    user_id = _id(app, "admin")
    before = reference_data(app)
    token = csrf_token_of(admin.get(f"/admin/users/{user_id}").get_data(as_text=True))
    response = admin.post(f"/admin/users/{user_id}/deactivate", data={"csrf_token": token})
    assert response.status_code == 422
    assert translated(app, "You cannot deactivate your own account: ask another administrator.") in Page(response).text
    assert reference_data(app) == before


def test_a_user_is_deactivated_and_reactivated_through_the_page(app, admin):
    user_id = _id(app, "li")
    token = csrf_token_of(admin.get(f"/admin/users/{user_id}").get_data(as_text=True))
    admin.post(f"/admin/users/{user_id}/deactivate", data={"csrf_token": token})
    page = Page(admin.get(f"/admin/users/{user_id}"))
    assert 'data-status="deactivated"' in page.text
    admin.post(f"/admin/users/{user_id}/reactivate", data={"csrf_token": token})
    with database(app):
        assert authenticate("li", STAFF_PASSWORD) is not None
