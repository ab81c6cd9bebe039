"""Administration is for administrators: every admin route refuses other roles and anonymous visitors.

This module also holds the helpers the other admin page tests share (imported by name).
"""
from __future__ import annotations

import re
from contextlib import contextmanager

import pytest
from sqlalchemy import select

from app.extensions import db
from tests.conftest import csrf_token_of
from tests.test_resident_pages import Page


# --- shared helpers ---------------------------------------------------------------------------

@pytest.fixture
def admin(staff_client):
    """A test client signed in as the network's administrator."""
    return staff_client("admin")


@contextmanager
def database(app):
    """An app context to read (or prepare) the database outside any request."""
    with app.app_context():
        yield db.session
        db.session.remove()


def submit(client, path: str, data: dict, **kwargs):
    """Post a form the way a browser does: with the CSRF token the page gave."""
    token = csrf_token_of(client.get(path).get_data(as_text=True))
    return client.post(path, data={"csrf_token": token, **data}, **kwargs)


def token_for(client) -> str:
    """A CSRF token of this client's session (from a page anyone can open)."""
    return csrf_token_of(client.get("/report").get_data(as_text=True))


def reference_data(app) -> dict[str, list[tuple]]:
    """Every row an administrator can change, as plain values: equal snapshots mean nothing changed."""
    from app.auth.models import User
    from app.customers.models import Building, CustomerAccount, CustomerPhone, District, Substation
    from app.routing.models import Team, team_districts
    from app.sla.models import SlaPolicy
    from app.tickets.models import Category

    snapshot = {}
    with database(app) as session:
        for model in (District, Substation, Building, Team, User, Category, SlaPolicy, CustomerAccount,
                      CustomerPhone):
            columns = list(model.__table__.columns)
            snapshot[model.__tablename__] = [tuple(row) for row in session.execute(
                select(*columns).order_by(model.__table__.c.id))]
        snapshot["team_districts"] = sorted(tuple(r) for r in session.execute(select(team_districts)))
    return snapshot


def refused(call, *args, **kwargs) -> dict[str, str]:
    """The per-field messages of a refused service call."""
    from app.core.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as caught:
        call(*args, **kwargs)
    return {field: str(message) for field, message in caught.value.errors.items()}


def error_at(page: Page, field: str) -> str:
    """The message shown at a field (its <p class="error" id="FIELD-error">)."""
    assert f"{field}-error" in page.errors, f"no error at {field}; errors: {page.errors}"
    return page.errors[f"{field}-error"]


def assert_refused(app, client, path: str, data: dict, field: str, *, skip: tuple = ()) -> Page:
    """A bad form: 422, the message at its field, every typed value shown again, nothing changed."""
    before = reference_data(app)
    page = Page(submit(client, path, data))
    assert page.status == 422
    error_at(page, field)
    for name, value in data.items():
        if isinstance(value, str) and "password" not in name and name not in skip:
            assert page.values.get(name) == value, f"{name} not kept"
    assert reference_data(app) == before
    return page


def assert_saved(client, path: str, data: dict) -> Page:
    """A good form: saved, then back to a page that says so."""
    response = submit(client, path, data)
    assert response.status_code == 302, Page(response).errors
    page = Page(client.get(response.headers["Location"]))
    assert page.flashes and page.flashes[0][0] == "success"
    return page


# --- the routes -------------------------------------------------------------------------------

def admin_routes(app) -> list[tuple[str, str]]:
    """(method, path) of every admin route, with 1 for each id."""
    routes = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("admin."):
            continue
        path = re.sub(r"<int:\w+>", "1", rule.rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            routes.append((method, path))
    return routes


def test_every_admin_route_is_for_administrators_only(app):
    from app.core.access import rule_for

    endpoints = {rule.endpoint for rule in app.url_map.iter_rules() if rule.endpoint.startswith("admin.")}
    assert len(endpoints) >= 25
    assert {rule_for(app, e) for e in endpoints} == {("admin",)}


@pytest.mark.parametrize("username", ["agent", "wang", "zhao"])
def test_other_roles_get_403_on_every_admin_route(app, staff_client, username):
    client = staff_client(username)
    token = token_for(client)
    for method, path in admin_routes(app):
        data = {"csrf_token": token} if method == "POST" else None
        response = client.open(path, method=method, data=data)
        assert response.status_code == 403, (method, path)


def test_anonymous_visitors_are_sent_to_sign_in_from_every_admin_page(app, client, network):
    for method, path in admin_routes(app):
        if method != "GET":
            continue
        response = client.get(path)
        assert response.status_code == 302, path
        assert response.headers["Location"].startswith("/staff/sign-in?next="), path


def test_anonymous_posts_to_admin_routes_are_refused(app, client, network):
    token = token_for(client)
    for method, path in admin_routes(app):
        if method == "POST":
            assert client.post(path, data={"csrf_token": token}).status_code == 401, path


def test_the_administrator_lands_on_the_admin_overview_after_signing_in(app, client, network):
    from tests.conftest import STAFF_PASSWORD

    token = token_for(client)
    response = client.post("/staff/sign-in", data={"csrf_token": token, "username": "admin",
                                                    "password": STAFF_PASSWORD})
    assert response.headers["Location"] == "/admin/"


def test_the_staff_navigation_links_administrators_to_administration(admin):
    page = admin.get("/admin/").get_data(as_text=True)
    assert 'href="/admin/"' in page


def test_the_overview_counts_the_reference_data(admin):
    page = admin.get("/admin/").get_data(as_text=True)
    counts = dict(re.findall(r'data-count="(\w+)">(\d+)<', page))
    assert counts == {"districts": "2", "substations": "2", "buildings": "2", "teams": "2", "users": "7",
                      "categories": "7", "policies": "28", "accounts": "1"}


def test_the_overview_points_at_a_district_no_team_serves(app, admin, network):
    from app.customers.models import District

    with database(app) as session:
        session.add(District(code="donghe", name="东河区", name_en="Donghe"))
        session.commit()
    page = admin.get("/admin/").get_data(as_text=True)
    assert page.count('data-gap="district"') == 1


def test_the_overview_points_at_a_team_without_an_active_technician(app, admin, network):
    from app.auth.models import User

    with database(app) as session:
        for user in session.scalars(select(User).where(User.username.in_(["sun"]))):
            user.active = False
        session.commit()
    page = admin.get("/admin/").get_data(as_text=True)
    assert page.count('data-gap="team"') == 1 and "青山区维修班组" in page


def test_admin_pages_hold_no_inline_script_or_style(app, admin, network):
    for method, path in admin_routes(app):
        if method == "GET" and "template.csv" not in path:
            text = admin.get(path).get_data(as_text=True)
            assert "<script" not in text and " style=" not in text, path


def test_every_admin_list_and_form_opens_for_the_administrator(app, admin, network):
    for method, path in admin_routes(app):
        if method == "GET":
            assert admin.get(path).status_code in (200, 404), path  # 404: no record 1 of that kind


# --- sessions of deactivated users ------------------------------------------------------------

def _user_id(app, username: str) -> int:
    from app.auth.models import User

    with database(app) as session:
        return session.scalar(select(User.id).where(User.username == username))


@pytest.fixture
def reference(app, complaint, now):
    """The reference of a ticket in wang's team (made outside any request, so no session stays open)."""
    from app.intake.service import submit_complaint
    from app.tickets.lifecycle import Actor

    with database(app) as session:
        ticket = submit_complaint(complaint(), Actor.resident(), now=now)
        session.commit()
        return ticket.reference


def test_a_deactivated_users_open_session_is_refused_at_their_next_request(app, staff_client, admin, reference):
    technician = staff_client("wang")
    assert technician.get(f"/desk/tickets/{reference}").status_code == 200

    user_id = _user_id(app, "wang")
    token = csrf_token_of(admin.get(f"/admin/users/{user_id}").get_data(as_text=True))
    assert admin.post(f"/admin/users/{user_id}/deactivate", data={"csrf_token": token}).status_code == 302

    response = technician.get(f"/desk/tickets/{reference}")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/staff/sign-in")


def test_a_deactivated_administrator_is_signed_out_too(app, staff_client, admin):
    from app.admin.users import NewUserInput, create_user
    from tests.conftest import STAFF_PASSWORD

    with database(app) as session:
        create_user(NewUserInput(username="admin2", family_name="周", given_name="敏", role="admin",
                                 password=STAFF_PASSWORD, password_confirm=STAFF_PASSWORD))
        session.commit()
    other = staff_client("admin2")
    assert other.get("/admin/").status_code == 200
    user_id = _user_id(app, "admin2")
    token = csrf_token_of(admin.get(f"/admin/users/{user_id}").get_data(as_text=True))
    admin.post(f"/admin/users/{user_id}/deactivate", data={"csrf_token": token})
    assert other.get("/admin/").headers["Location"].startswith("/staff/sign-in")


def test_a_password_reset_ends_the_users_open_sessions(app, staff_client, admin, reference):
    technician = staff_client("wang")
    user_id = _user_id(app, "wang")
    token = csrf_token_of(admin.get(f"/admin/users/{user_id}").get_data(as_text=True))
    response = admin.post(f"/admin/users/{user_id}/password", data={
        "csrf_token": token, "password": "warm-radiator-2026", "password_confirm": "warm-radiator-2026"})
    assert response.status_code == 302
    assert technician.get(f"/desk/tickets/{reference}").headers["Location"].startswith("/staff/sign-in")


# --- odd input is never a server error --------------------------------------------------------

NEW_FORMS = ["/admin/districts/new", "/admin/substations/new", "/admin/buildings/new", "/admin/teams/new",
             "/admin/users/new", "/admin/categories/new", "/admin/sla-policies/new", "/admin/accounts/new"]
FIELDS = ["code", "name", "name_en", "district_id", "substation_id", "street_address", "district_ids", "username",
          "family_name", "given_name", "role", "team_id", "phone", "password", "password_confirm",
          "default_priority", "sort_order", "category_id", "priority", "respond_minutes", "on_site_minutes",
          "resolve_minutes", "calendar", "account_number", "building", "unit", "flat", "phones"]


@pytest.mark.parametrize("value", ["\x00", "x\x00y", "9" * 5000, "‮١٢٣", "-1"])
@pytest.mark.parametrize("path", NEW_FORMS)
def test_odd_values_in_any_admin_form_are_refused_cleanly(app, admin, path, value):
    before = reference_data(app)
    response = submit(admin, path, {name: value for name in FIELDS})
    assert response.status_code == 422
    assert reference_data(app) == before


def test_a_file_sent_in_place_of_a_text_field_counts_as_no_text(app, admin):
    import io

    token = csrf_token_of(admin.get("/admin/districts/new").get_data(as_text=True))
    response = admin.post("/admin/districts/new", content_type="multipart/form-data", data={
        "csrf_token": token, "code": (io.BytesIO(b"donghe"), "code.txt"), "name": "东河区", "name_en": "Donghe"})
    assert response.status_code == 422 and "code-error" in Page(response).errors


# --- lists cost the same few queries however long they are ------------------------------------

@contextmanager
def counted_queries(app):
    from sqlalchemy import event

    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def _grow_reference_data(app, n: int) -> None:
    """n more substations, buildings, accounts (with phones), users, teams and categories."""
    from app.auth.models import Role, User
    from app.customers.lookup import building_key
    from app.customers.models import Building, CustomerAccount, CustomerPhone, District, Substation
    from app.routing.models import Team
    from app.sla.models import Calendar, SlaPolicy
    from app.tickets.models import Category, Priority

    with database(app) as session:
        for i in range(n):
            district = District(code=f"d{i}", name=f"区{i}", name_en=f"D{i}")
            station = Substation(district=district, code=f"s{i}", name=f"站{i}")
            building = Building(substation=station, name=f"楼{i}号楼", key=building_key(f"楼{i}号楼"))
            account = CustomerAccount(account_number=f"BX{i:06d}", name=f"户{i}", building=building)
            account.phones.append(CustomerPhone(number=f"+86139000{i:05d}"))
            team = Team(name=f"班组{i}", districts=[district])
            user = User(username=f"user{i}", family_name="周", given_name=f"{i}", role=Role.TECHNICIAN, team=team,
                        password_hash="x")
            category = Category(code=f"c{i}", name=f"类{i}", name_en=f"C{i}", default_priority=Priority.LOW)
            policy = SlaPolicy(category=category, priority=Priority.LOW, respond_minutes=60, resolve_minutes=600,
                               calendar=Calendar.BUSINESS)
            session.add_all([account, user, policy])
        session.commit()


LISTS = ["/admin/", "/admin/districts", "/admin/substations", "/admin/buildings", "/admin/teams", "/admin/users",
         "/admin/categories", "/admin/sla-policies", "/admin/accounts"]


def test_no_list_asks_the_database_once_per_row(app, admin):
    def cost() -> dict[str, int]:
        result = {}
        for path in LISTS:
            with counted_queries(app) as statements:
                assert admin.get(path).status_code == 200
            result[path] = len(statements)
        return result

    few = cost()
    _grow_reference_data(app, 20)
    assert cost() == few
