"""A resident opens the survey link from the "resolved" text on a 360×740 phone, taps a score, sees the thanks.

The page is located by ids, names and data attributes, never by its (translated) words.
"""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PHONE
from tests.conftest import RESIDENT_PHONE

pytestmark = pytest.mark.browser


@pytest.fixture
def survey_link(app, complaint, now):
    """Complaint in, technician resolves it; the path of the link in the survey text (nothing left open)."""
    from app.extensions import db
    from app.intake.service import submit_complaint
    from app.tickets.lifecycle import Actor
    from tests.satisfaction_fixtures import link_in, outbox, resolve

    with app.app_context():
        ticket = submit_complaint(complaint(), Actor.resident(), now=now)
        resolve(ticket, now.replace(hour=3))
        db.session.commit()
        [text] = outbox("survey", ticket.id)
        assert text.to_number == RESIDENT_PHONE
        path = link_in(text.body)[0]
        db.session.remove()
    return path, ticket.reference


def test_a_resident_opens_the_link_taps_a_score_and_sees_the_thanks(app, phone, survey_link, tmp_path):
    from app.extensions import db
    from app.tickets.models import Closure, Status, Ticket

    path, reference = survey_link
    phone.goto(path)
    expect(phone.locator("html")).to_have_attribute("lang", "zh-Hans")
    expect(phone.locator(".survey-reference")).to_have_attribute("data-reference", reference)
    assert phone.evaluate("window.innerWidth") == PHONE["width"]
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]  # no sideways scrolling
    buttons = phone.locator('button[name="score"]')
    expect(buttons).to_have_count(5)
    for index in range(5):  # every score is a large target, easy for an elderly thumb
        box = buttons.nth(index).bounding_box()
        assert box["height"] >= 44 and box["width"] >= 0.8 * PHONE["width"] - 64
    phone.screenshot(path=str(tmp_path / "survey.png"), full_page=True)

    buttons.and_(phone.locator('[value="5"]')).tap()

    thanks = phone.locator("#survey-thanks")
    expect(thanks).to_be_visible()
    expect(thanks).to_have_attribute("data-outcome", "closed")
    expect(phone.locator('button[name="score"]')).to_have_count(0)
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    phone.screenshot(path=str(tmp_path / "survey-thanks.png"), full_page=True)
    print(f"\nscreenshots: {tmp_path / 'survey.png'}\n             {tmp_path / 'survey-thanks.png'}")
    assert phone.problems == []  # no script errors, no CSP violations

    with app.app_context():
        from sqlalchemy import select

        ticket = db.session.scalar(select(Ticket).where(Ticket.reference == reference))
        assert (ticket.status, ticket.closure, ticket.satisfaction_score) == (Status.CLOSED, Closure.RATED, 5)
