"""The demo seed: a Baotou-like city with tickets in every state, created once."""
from __future__ import annotations

from sqlalchemy import func, select

from app.auth.models import Role, User
from app.customers.models import District
from app.demo.seed import seed
from app.extensions import db
from app.sla.models import SlaPolicy
from app.tickets.models import Category, Status, Ticket


def test_the_demo_has_every_district_and_a_ticket_in_every_state(ctx):
    assert seed() is True
    db.session.commit()
    names = set(db.session.scalars(select(District.name)))
    assert names == {"昆都仑区", "青山区", "东河区", "九原区", "石拐区", "白云鄂博矿区"}
    assert set(db.session.scalars(select(Ticket.status).distinct())) == set(Status)


def test_every_category_has_a_policy_for_every_priority(ctx):
    seed()
    categories = db.session.scalar(select(func.count(Category.id)))
    assert categories == 7
    assert db.session.scalar(select(func.count(SlaPolicy.id))) == categories * 4


def test_every_role_can_sign_in_to_the_demo(ctx):
    seed()
    from app.demo.seed import demo_sign_ins

    for role, username, password in demo_sign_ins():
        user = db.session.scalar(select(User).where(User.username == username))
        assert user.role == Role(role) and user.check_password(password)


def test_seeding_again_changes_nothing_and_keeps_what_users_entered(ctx):
    seed()
    db.session.commit()
    ticket = db.session.scalar(select(Ticket).order_by(Ticket.id))
    ticket.description = "用户后来补充的说明"
    db.session.commit()
    before = db.session.scalar(select(func.count(Ticket.id)))
    assert seed() is False
    db.session.commit()
    assert db.session.scalar(select(func.count(Ticket.id))) == before
    assert db.session.get(Ticket, ticket.id).description == "用户后来补充的说明"
