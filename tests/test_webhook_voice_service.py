"""The voice menu's service (app.webhooks.voice), without HTTP: who is calling, what they hear, what is made."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.conftest import RESIDENT_PHONE


@pytest.fixture
def caller(network, ctx):
    """Factory: the Caller behind a raw From number."""
    from app.webhooks import voice

    return voice.identify


def test_a_reference_is_read_digit_by_digit_in_its_groups():
    from app.webhooks.voice import spoken_reference

    assert spoken_reference("3841295706") == "3 8 4, 1 2 9, 5 7 0 6"


def test_a_registered_number_in_any_common_form_identifies_the_account(caller, network):
    found = caller("138 0013 8000")
    assert found.known and found.account.id == network["account"] and found.number == RESIDENT_PHONE


@pytest.mark.parametrize("raw", ["anonymous", "", "+266696687"])
def test_a_withheld_or_unparsable_number_is_an_unknown_caller_without_a_number(caller, raw):
    found = caller(raw)
    assert not found.known and found.number is None


def test_only_the_latest_open_outage_at_the_callers_substation_counts(caller, network, now):
    from app.customers.models import Outage
    from app.extensions import db
    from app.webhooks.voice import current_outage

    account = caller(RESIDENT_PHONE).account
    old = Outage(substation_id=network["substation"], started_at=now - timedelta(days=2),
                 ended_at=now - timedelta(days=1))
    db.session.add(old)
    db.session.flush()
    assert current_outage(account, now) is None
    live = Outage(substation_id=network["substation"], started_at=now - timedelta(hours=1))
    db.session.add(live)
    db.session.flush()
    assert current_outage(account, now) is live


def test_the_latest_ticket_is_the_newest_from_the_number(caller, make_ticket, now):
    from app.webhooks.voice import latest_ticket

    make_ticket()
    newest = make_ticket(at=now + timedelta(hours=2))
    assert latest_ticket(caller(RESIDENT_PHONE)).id == newest.id


def test_choosing_1_as_a_known_caller_makes_one_voice_ticket_without_committing(caller, now):
    from app.extensions import db
    from app.tickets.models import Channel, Ticket
    from app.webhooks.voice import choose

    _twiml, ticket = choose(caller(RESIDENT_PHONE), "1", "zh", 1, 0, now)
    assert ticket.channel is Channel.VOICE and ticket.category.code == "no_heat"
    db.session.rollback()
    assert db.session.scalars(select(Ticket)).all() == []


def test_choosing_1_as_an_unknown_caller_makes_nothing(caller, now):
    from app.webhooks.voice import choose

    twiml, ticket = choose(caller("+8613900139000"), "1", "zh", 1, 0, now)
    assert ticket is None and "<Gather" in str(twiml)


def test_a_call_looping_through_the_menu_is_put_through_to_an_agent(caller, now, app):
    from app.webhooks.voice import MAX_STEP, choose

    app.config["CALL_CENTRE_NUMBER"], saved = "+864715551234", app.config.get("CALL_CENTRE_NUMBER")
    try:
        twiml, _ticket = choose(caller(RESIDENT_PHONE), "9", "zh", MAX_STEP, 0, now)
    finally:
        app.config["CALL_CENTRE_NUMBER"] = saved
    assert "<Dial" in str(twiml)
