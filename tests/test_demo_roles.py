"""Each demo sign-in lands on a page where that role has work to do."""
from __future__ import annotations

import pytest

from app.demo.seed import demo_sign_ins, seed
from app.extensions import db
from tests.conftest import csrf_token_of


@pytest.fixture
def demo(app):
    with app.app_context():
        seed()
        db.session.commit()


@pytest.mark.parametrize(("role", "username", "password"), demo_sign_ins())
def test_every_demo_role_signs_in_to_a_page_with_its_work(app, demo, role, username, password):
    client = app.test_client()
    token = csrf_token_of(client.get("/staff/sign-in").get_data(as_text=True))
    response = client.post("/staff/sign-in", data={"csrf_token": token, "username": username, "password": password})
    assert response.status_code == 302
    home = client.get(response.headers["Location"])
    assert home.status_code == 200
    page = home.get_data(as_text=True)
    if role != "admin":
        assert "/desk/tickets/" in page or "/field/jobs/" in page, f"{username} sees no ticket"
