"""The intake service: one function creates complaints for every channel."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.core.errors import ValidationFailed
from app.extensions import db
from app.intake.service import submit_complaint
from app.messaging.models import OutboxMessage
from app.tickets.lifecycle import Actor
from app.tickets.models import Channel, Priority, Status, Ticket, TicketEvent


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_a_complaint_at_a_known_address_is_routed_to_the_district_team_and_a_technician(make_ticket, network):
    ticket = make_ticket()
    assert ticket.team_id == network["team"]
    assert ticket.assignee_id in (network["wang"], network["li"])
    assert ticket.status is Status.ASSIGNED
    assert ticket.account_id == network["account"]
    assert ticket.substation_id == network["substation"]
    assert ticket.district_id == network["kundulun"]


def test_the_phone_is_stored_in_e164(make_ticket):
    assert make_ticket(phone="138-0013-8000").phone == "+8613800138000"
    assert make_ticket(phone="+86 138 0013 8000").phone == "+8613800138000"
    assert make_ticket(phone="0086 13800138000").phone == "+8613800138000"


def test_the_account_number_alone_finds_the_flat(make_ticket, network):
    ticket = make_ticket(account_number="bt00000001", district_id=None, building="", unit="", flat="")
    assert ticket.account_id == network["account"]
    assert ticket.building_id == network["building"]
    assert (ticket.unit, ticket.flat) == ("2", "301")


def test_an_address_written_another_way_finds_the_same_building(make_ticket, network):
    ticket = make_ticket(building="阿尔丁 3栋", unit="2单元", flat="301室")
    assert ticket.building_id == network["building"]
    assert ticket.account_id == network["account"]


def test_full_width_digits_in_the_building_are_understood(make_ticket, network):
    assert make_ticket(building="阿尔丁小区３号楼").building_id == network["building"]


def test_an_address_that_cannot_be_resolved_goes_to_triage_and_is_never_dropped(make_ticket, network):
    ticket = make_ticket(building="不存在小区88号楼", phone="13900001111")
    assert ticket.id is not None
    assert ticket.team_id is None and ticket.assignee_id is None
    assert ticket.status is Status.NEW
    assert ticket.in_triage
    assert ticket.address_text == "不存在小区88号楼"
    assert ticket.district_id == network["kundulun"]


def test_the_sla_due_times_come_from_the_policy_for_the_category_and_priority(make_ticket, now):
    ticket = make_ticket(at=now)
    assert ticket.priority is Priority.EMERGENCY
    assert ticket.respond_due_at == now + timedelta(minutes=30)
    assert ticket.on_site_due_at == now + timedelta(hours=2)
    assert ticket.resolve_due_at == now + timedelta(hours=24)


def test_billing_has_no_on_site_clock_and_counts_working_hours(make_ticket, now):
    ticket = make_ticket(at=now, category="billing")  # Friday 10:00 local
    assert ticket.on_site_due_at is None
    assert ticket.respond_due_at == now + timedelta(days=3)  # one working day: Monday 10:00


def test_the_first_events_say_received_and_dispatched(make_ticket):
    ticket = make_ticket()
    assert [(e.action, e.to_status, e.public) for e in ticket.events] == [
        ("create", Status.NEW, True), ("assign", Status.ASSIGNED, True),
    ]
    assert ticket.events[0].actor_kind.value == "resident"
    assert ticket.events[1].actor_kind.value == "system"


def test_one_confirmation_sms_is_written_to_the_outbox_in_the_same_transaction(make_ticket):
    ticket = make_ticket()
    kinds = db.session.scalars(select(OutboxMessage.kind).where(OutboxMessage.ticket_id == ticket.id)).all()
    assert kinds == ["received"]
    received = db.session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "received"))
    assert received.to_number == "+8613800138000"
    assert received.body.startswith("【包头热力】")
    assert received.segments == 1


def test_no_sms_without_consent(make_ticket):
    make_ticket(sms_consent=False)
    assert count(OutboxMessage) == 0


@pytest.mark.parametrize("phone", ["+1 202 555 0143", "+44 20 7946 0958", "010 6552 9988"])
def test_no_sms_to_numbers_outside_the_region_or_landlines(make_ticket, phone):
    ticket = make_ticket(phone=phone)
    assert ticket.id is not None
    assert count(OutboxMessage) == 0


def test_the_confirmation_is_written_in_the_residents_language(make_ticket):
    make_ticket(language="en")
    bodies = db.session.scalars(select(OutboxMessage.body)).all()
    assert any("reference" in body for body in bodies)


def test_references_are_ten_digits_and_not_sequential(make_ticket):
    references = [make_ticket(phone=f"1390000{n:04d}").reference for n in range(6)]
    assert all(len(r) == 10 and r.isdigit() and r[0] != "0" for r in references)
    assert len(set(references)) == 6
    assert sorted(references) != references or sorted(references, reverse=True) != references


def test_a_reference_collision_is_retried_with_a_fresh_reference(make_ticket, monkeypatch):
    first = make_ticket()
    fresh = iter([first.reference, first.reference, "5555555555"])
    monkeypatch.setattr("app.intake.service.new_reference", lambda: next(fresh))
    second = make_ticket(phone="13900001111")
    assert second.reference == "5555555555"
    assert count(Ticket) == 2


@pytest.mark.parametrize(
    ("field", "overrides"),
    [
        ("name", {"name": ""}),
        ("name", {"name": "名" * 61}),
        ("name", {"name": "bad\x00name"}),
        ("phone", {"phone": ""}),
        ("phone", {"phone": "12345"}),
        ("phone", {"phone": "not a number"}),
        ("phone", {"phone": "1" * 40}),
        ("category", {"category": ""}),
        ("category", {"category": "earthquake"}),
        ("indoor_temp", {"indoor_temp": "warm"}),
        ("indoor_temp", {"indoor_temp": "-10.1"}),
        ("indoor_temp", {"indoor_temp": "40.5"}),
        ("indoor_temp", {"indoor_temp": "NaN"}),
        ("indoor_temp", {"indoor_temp": "Infinity"}),
        ("description", {"description": "字" * 2001}),
        ("account_number", {"account_number": "BT99999999"}),
        ("district", {"district_id": 0}),
        ("district", {"district_id": None, "building": ""}),
        ("building", {"building": ""}),
        ("building", {"building": "楼" * 101}),
        ("unit", {"unit": "1" * 17}),
        ("flat", {"flat": "1" * 17}),
    ],
)
def test_bad_input_names_the_field_and_saves_nothing(ctx, complaint, field, overrides):
    with pytest.raises(ValidationFailed) as refused:
        submit_complaint(complaint(**overrides), Actor.resident())
    db.session.rollback()
    assert field in refused.value.errors
    assert count(Ticket) == count(TicketEvent) == count(OutboxMessage) == 0


def test_all_bad_fields_are_reported_together(ctx, complaint):
    with pytest.raises(ValidationFailed) as refused:
        submit_complaint(complaint(name="", phone="x", category="?"), Actor.resident())
    assert {"name", "phone", "category"} <= set(refused.value.errors)


def test_text_is_normalised_to_nfc_and_stripped_of_control_characters(make_ticket):
    ticket = make_ticket(name="Ame\u0301lie\u200b", description="暖气\x07不热\r\n\r\n\r\n\r\n请尽快")
    assert ticket.name == "Amélie"
    assert ticket.description == "暖气不热\n\n请尽快"


def test_the_temperature_is_kept_to_one_decimal(make_ticket):
    assert make_ticket(indoor_temp="14.56").indoor_temp == Decimal("14.6")
    assert make_ticket(indoor_temp="16℃", phone="13900001111").indoor_temp == Decimal("16.0")


def test_chinese_text_is_stored_and_read_back_exactly(make_ticket):
    text = "3号楼2单元301室，暖气片上热下凉，家里有80岁老人 🙏"
    ticket = make_ticket(description=text)
    ticket_id = ticket.id
    db.session.expire_all()
    assert db.session.get(Ticket, ticket_id).description == text


def test_a_failure_after_the_insert_leaves_neither_ticket_nor_outbox_row(ctx, complaint, monkeypatch):
    def explode(ticket):
        raise RuntimeError("the SMS text could not be built")

    monkeypatch.setattr("app.messaging.notify.received", explode)
    with pytest.raises(RuntimeError):
        submit_complaint(complaint(), Actor.resident())
        db.session.commit()
    db.session.rollback()
    assert count(Ticket) == count(TicketEvent) == count(OutboxMessage) == 0


@pytest.mark.parametrize("channel", list(Channel))
def test_every_channel_uses_the_same_service(make_ticket, channel):
    ticket = make_ticket(channel=channel)
    assert ticket.channel is channel
    assert ticket.events[0].data == {"channel": channel.value}


def test_chinese_text_can_be_searched(make_ticket):
    make_ticket(description="暖气片上热下凉，需要放气")
    make_ticket(description="楼道漏水", phone="13900001111")
    found = db.session.scalars(select(Ticket.description).where(Ticket.description.contains("放气"))).all()
    assert found == ["暖气片上热下凉，需要放气"]


def test_an_english_confirmation_has_an_ascii_signature_and_fits_one_segment(make_ticket):
    make_ticket(language="en")
    message = db.session.scalar(select(OutboxMessage))
    assert message.body.startswith("[Baotou Heating] ")
    assert message.segments == 1


def test_sms_and_voice_complaints_without_an_address_go_to_triage(make_ticket):
    ticket = make_ticket(channel=Channel.VOICE, district_id=None, building="", unit="", flat="",
                         account_number="", phone="13912340000", address_optional=True,
                         extra={"recording_url": "https://api.twilio.com/rec/RE1"})
    assert ticket.in_triage and ticket.district_id is None
    assert ticket.events[0].data == {"recording_url": "https://api.twilio.com/rec/RE1", "channel": "voice"}


def test_the_web_form_still_needs_an_address(ctx, complaint):
    with pytest.raises(ValidationFailed) as refused:
        submit_complaint(complaint(district_id=None, building="", account_number=""), Actor.resident())
    assert {"district", "building"} <= set(refused.value.errors)
