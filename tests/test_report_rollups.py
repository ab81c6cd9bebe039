"""What the season-long reports read instead of recomputing: each step's time stored when the step
happens, and the customer accounts per substation counted when accounts change."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import create_engine, select, text

from app.admin.csv_import import import_accounts
from app.admin.network import BuildingInput, update_building
from app.analytics import queries
from app.analytics.account_counts import SubstationAccounts
from app.analytics.histogram import PRECISION
from app.auth.models import User
from app.customers.models import Building, CustomerAccount, Substation
from app.extensions import db
from app.tickets import lifecycle
from app.tickets.lifecycle import Actor
from tests.conftest import NOW
from tests.test_analytics_queries import report_filters


@pytest.fixture
def wang(ctx, network):
    return Actor.staff(db.session.get(User, network["wang"]))


@pytest.fixture
def ticket(make_ticket):
    """A no-heat ticket received at NOW, dispatched to wang by intake."""
    return make_ticket(at=NOW)


# --- step times ---------------------------------------------------------------------------------

def test_no_step_time_is_stored_before_the_step_happens(ticket):
    assert (ticket.respond_seconds, ticket.on_site_seconds, ticket.resolve_seconds) == (None, None, None)


def test_the_response_time_is_stored_when_the_technician_accepts(ticket, wang):
    lifecycle.acknowledge(ticket, wang, now=NOW + timedelta(minutes=10))

    assert (ticket.respond_seconds, ticket.on_site_seconds, ticket.resolve_seconds) == (600, None, None)


def test_step_times_are_whole_seconds_rounded_down(ticket, wang):
    lifecycle.acknowledge(ticket, wang, now=NOW + timedelta(minutes=10, seconds=59, microseconds=999_999))

    assert ticket.respond_seconds == 659


def test_arrival_and_resolution_store_their_own_times(ticket, wang):
    lifecycle.acknowledge(ticket, wang, now=NOW + timedelta(minutes=10))
    lifecycle.arrive(ticket, wang, now=NOW + timedelta(hours=1))
    lifecycle.resolve(ticket, wang, "air_bled", now=NOW + timedelta(hours=3))

    assert (ticket.respond_seconds, ticket.on_site_seconds, ticket.resolve_seconds) == (600, 3600, 10800)


def test_a_resolution_without_an_arrival_stores_no_arrival_time(ticket, wang):
    """The clock ends at resolution (its outcome is recorded), but nobody arrived: no time to count."""
    lifecycle.acknowledge(ticket, wang, now=NOW + timedelta(minutes=10))
    lifecycle.resolve(ticket, wang, "referred_to_billing", now=NOW + timedelta(hours=1))

    assert ticket.on_site_seconds is None and ticket.on_site_met is not None


def test_the_resolve_time_stays_the_first_resolutions_after_a_low_score_and_a_second_fix(ticket, wang, network):
    lifecycle.acknowledge(ticket, wang, now=NOW + timedelta(minutes=10))
    lifecycle.resolve(ticket, wang, "air_bled", now=NOW + timedelta(hours=3))
    lifecycle.rate(ticket, 1, "还是不热", now=NOW + timedelta(hours=5))
    assert ticket.resolved_at is None and ticket.resolve_seconds == 10800  # reopened, still counted

    technician = db.session.get(User, network["wang"])
    lifecycle.assign(ticket, technician, Actor.staff(db.session.get(User, network["zhao"])),
                     now=NOW + timedelta(hours=6))
    lifecycle.resolve(ticket, wang, "valve_adjusted", now=NOW + timedelta(hours=30))

    assert ticket.resolve_seconds == 10800


def test_a_second_acceptance_keeps_the_first_response_time(ticket, wang, network):
    lifecycle.acknowledge(ticket, wang, now=NOW + timedelta(minutes=10))
    lifecycle.assign(ticket, db.session.get(User, network["li"]), wang, now=NOW + timedelta(minutes=20))
    lifecycle.acknowledge(ticket, Actor.staff(db.session.get(User, network["li"])), now=NOW + timedelta(hours=2))

    assert ticket.respond_seconds == 600


def test_the_times_report_counts_a_reopened_ticket_at_its_first_resolution(ticket, wang, network):
    lifecycle.acknowledge(ticket, wang, now=NOW + timedelta(minutes=10))
    lifecycle.resolve(ticket, wang, "air_bled", now=NOW + timedelta(hours=3))
    lifecycle.reopen(ticket, Actor.resident(), "又不热了", now=NOW + timedelta(days=1))
    db.session.commit()

    report = queries.response_times(db.session.get(User, network["admin"]), report_filters())

    assert (report.total.resolve.count, report.total.resolve.median) == (1, pytest.approx(10800, rel=PRECISION))


# --- accounts per substation ----------------------------------------------------------------------

def counts() -> dict[str, int]:
    """Substation code → the stored count of its accounts."""
    rows = db.session.execute(select(Substation.code, SubstationAccounts.accounts)
                              .join(SubstationAccounts, SubstationAccounts.substation_id == Substation.id))
    return dict(rows.all())


def recounted() -> dict[str, int]:
    """The same counted now, from the accounts themselves."""
    rows = db.session.execute(select(Substation.code, db.func.count(CustomerAccount.id))
                              .join(Building, Building.substation_id == Substation.id)
                              .join(CustomerAccount, CustomerAccount.building_id == Building.id)
                              .group_by(Substation.code))
    return dict(rows.all())


IMPORTED = ("account_number,name,district,building,unit,flat,phones\r\n"
            "BT00000002,李秀英,昆都仑区,阿尔丁小区3号楼,2,302,13912345678\r\n"
            "BT00000003,王建华,qingshan,富强1号楼,1,101,13712345678\r\n"
            "BT00000004,赵丽,qingshan,富强1号楼,1,102,13712345679\r\n").encode()


def test_the_counts_include_the_accounts_there_were(ctx, network):
    assert counts() == {"kdl-1": 1}


def test_an_import_updates_the_counts_when_it_commits(ctx, network):
    import_accounts(IMPORTED)
    db.session.commit()

    assert counts() == recounted() == {"kdl-1": 2, "qs-1": 2}


def test_another_process_sees_the_new_counts_with_the_accounts_and_not_before(ctx, network):
    """Another process: its own engine (on SQLite without the app's write lock, so it can read meanwhile)."""
    import_accounts(IMPORTED)
    db.session.flush()
    query = text("SELECT accounts FROM substation_account_counts WHERE substation_id = :id")
    other = create_engine(db.engine.url)
    try:
        with other.connect() as conn:
            assert conn.execute(query, {"id": network["substation"]}).scalar() == 1
        db.session.commit()
        with other.connect() as conn:
            assert conn.execute(query, {"id": network["substation"]}).scalar() == 2
    finally:
        other.dispose()


def test_a_rolled_back_import_leaves_the_counts(ctx, network):
    import_accounts(IMPORTED)
    db.session.flush()
    db.session.rollback()

    assert counts() == {"kdl-1": 1}


def test_moving_a_building_to_another_substation_moves_its_accounts(ctx, network):
    station_2 = Substation(district_id=network["kundulun"], code="kdl-2", name="昆都仑区2号换热站")
    db.session.add(station_2)
    db.session.commit()
    building = db.session.get(Building, network["building"])

    update_building(building, BuildingInput(substation_id=station_2.id, name=building.name))
    db.session.commit()

    assert counts() == {"kdl-2": 1}


def test_deleting_an_account_lowers_the_count(ctx, network):
    import_accounts(IMPORTED)
    db.session.commit()
    db.session.delete(db.session.scalar(select(CustomerAccount).where(CustomerAccount.account_number == "BT00000004")))
    db.session.commit()

    assert counts() == recounted() == {"kdl-1": 2, "qs-1": 1}
