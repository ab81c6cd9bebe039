"""The survey service: one survey text per resolution, links bound to their resolution, answers
through the lifecycle, the call-back task, and the no-response auto-close. No HTTP here."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.auth.models import User
from app.core.errors import ValidationFailed
from app.extensions import db
from app.messaging import notify
from app.messaging.models import PhoneOptOut
from app.satisfaction import survey
from app.satisfaction.links import MAX_AGE, token_for
from app.satisfaction.survey import SurveyExpired, SurveyNotFound, SurveyState, find_survey
from app.tickets import lifecycle
from app.tickets.lifecycle import Actor
from app.tickets.models import ActorKind, Closure, Status, Ticket, TicketEvent
from app.tickets.references import format_reference
from tests.conftest import RESIDENT_PHONE
from tests.satisfaction_fixtures import (  # noqa: F401  (fixtures)
    SUPERVISOR_PHONE,
    link_in,
    outbox,
    resolve,
    resolved_at,
    resolved_ticket,
    supervisor_phones,
)


def token_of(ticket) -> str:
    [*_, latest] = outbox("survey", ticket.id)
    return link_in(latest.body)[1]


def staff_reopen_and_resolve_again(ticket, at):
    """The desk reopens the ticket (the resident phoned), a technician goes again and resolves it."""
    zhao = Actor.staff(db.session.scalar(select(User).where(User.username == "zhao")))
    lifecycle.reopen(ticket, zhao, "用户来电说又不热了", now=at)
    lifecycle.assign(ticket, ticket.assignee, zhao, now=at + timedelta(minutes=5))
    resolve(ticket, at + timedelta(hours=2))
    db.session.commit()


# --- the survey text ---------------------------------------------------------------------------

def test_resolving_sends_the_resident_one_survey_text_whose_link_opens_that_survey(resolved_ticket):
    [text] = outbox("survey", resolved_ticket.id)
    assert text.to_number == RESIDENT_PHONE
    assert "1-5" in text.body

    opened = find_survey(link_in(text.body)[1])

    assert opened.ticket.id == resolved_ticket.id and opened.state is SurveyState.OPEN


def test_asking_again_for_the_same_resolution_sends_no_second_survey(resolved_ticket):
    notify.resolved_please_rate(resolved_ticket)  # a retried job, a re-sent request
    db.session.commit()

    assert len(outbox("survey", resolved_ticket.id)) == 1


def test_a_resident_without_consent_to_texts_gets_no_survey_text(make_ticket, resolved_at):
    ticket = make_ticket(sms_consent=False)
    resolve(ticket, resolved_at)
    db.session.commit()

    assert outbox("survey", ticket.id) == []


def test_the_link_starts_with_the_public_base_url_when_one_is_set(app, make_ticket, resolved_at, monkeypatch):
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", "https://heat.example.cn")
    ticket = make_ticket()
    resolve(ticket, resolved_at)
    db.session.commit()

    [text] = outbox("survey", ticket.id)
    assert f"https://heat.example.cn{link_in(text.body)[0]}" in text.body


def test_a_new_resolution_after_a_reopen_gets_its_own_survey_text(resolved_ticket, resolved_at):
    staff_reopen_and_resolve_again(resolved_ticket, resolved_at + timedelta(days=1))

    first, second = outbox("survey", resolved_ticket.id)
    assert link_in(first.body)[1] != link_in(second.body)[1]
    assert find_survey(link_in(second.body)[1]).state is SurveyState.OPEN


def test_a_link_from_before_a_reopen_no_longer_opens_the_survey(resolved_ticket, resolved_at):
    old = token_of(resolved_ticket)
    staff_reopen_and_resolve_again(resolved_ticket, resolved_at + timedelta(days=1))

    assert find_survey(old).state is SurveyState.GONE


@pytest.mark.parametrize("mangle", [lambda t: t[:-1], lambda t: t.replace(".", "x", 1), lambda t: "A" + t,
                                    lambda t: "", lambda t: "x" * 300])
def test_a_cut_or_forged_link_is_not_found(resolved_ticket, mangle):
    with pytest.raises(SurveyNotFound):
        find_survey(mangle(token_of(resolved_ticket)))


def test_a_link_signed_with_another_key_is_not_found(app, resolved_ticket, monkeypatch):
    monkeypatch.setitem(app.config, "SECRET_KEY", "someone-elses-key")
    forged = token_for(resolved_ticket)
    monkeypatch.undo()

    with pytest.raises(SurveyNotFound):
        find_survey(forged)


def test_a_link_older_than_its_lifetime_has_expired(resolved_ticket, monkeypatch):
    import time

    signed_at = time.time() - MAX_AGE.total_seconds() - 60
    monkeypatch.setattr("itsdangerous.timed.time.time", lambda: signed_at)
    old = token_for(resolved_ticket)
    monkeypatch.undo()

    with pytest.raises(SurveyExpired):
        find_survey(old)


# --- answers -----------------------------------------------------------------------------------

def test_a_score_of_5_closes_the_ticket_as_rated(resolved_ticket, resolved_at):
    survey.answer(find_survey(token_of(resolved_ticket)), score="5", not_fixed=False, comment="师傅很负责",
                  now=resolved_at + timedelta(hours=2))
    db.session.commit()

    assert resolved_ticket.status is Status.CLOSED and resolved_ticket.closure is Closure.RATED
    assert (resolved_ticket.satisfaction_score, resolved_ticket.satisfaction_comment) == (5, "师傅很负责")
    assert resolved_ticket.callback_due_at is None


def test_an_answered_survey_says_so_and_takes_no_second_answer(resolved_ticket):
    token = token_of(resolved_ticket)
    survey.answer(find_survey(token), score="5", not_fixed=False, comment="")
    db.session.commit()

    answered = find_survey(token)

    assert answered.state is SurveyState.ANSWERED and not answered.reopened
    with pytest.raises(lifecycle.IllegalTransition):
        survey.answer(answered, score="1", not_fixed=False, comment="")


@pytest.mark.parametrize("score", ["0", "6", "", "five", "12", None])
def test_a_bad_score_is_refused_and_changes_nothing(resolved_ticket, score):
    with pytest.raises(ValidationFailed) as refused:
        survey.answer(find_survey(token_of(resolved_ticket)), score=score, not_fixed=False, comment="")

    assert set(refused.value.errors) == {"score"}
    db.session.rollback()
    assert resolved_ticket.status is Status.RESOLVED and resolved_ticket.satisfaction_score is None


def test_not_fixed_reopens_the_ticket_with_the_residents_words(resolved_ticket, resolved_at):
    survey.answer(find_survey(token_of(resolved_ticket)), score=None, not_fixed=True, comment="还是只有十五度",
                  now=resolved_at + timedelta(hours=2))
    db.session.commit()

    event = resolved_ticket.events[-1]
    assert resolved_ticket.status is Status.REOPENED
    assert (event.action, event.actor_kind, event.note) == ("reopen", ActorKind.RESIDENT, "还是只有十五度")


def test_not_fixed_without_words_still_records_a_reason_for_staff(resolved_ticket):
    survey.answer(find_survey(token_of(resolved_ticket)), score=None, not_fixed=True, comment="  ")
    db.session.commit()

    assert resolved_ticket.status is Status.REOPENED and resolved_ticket.events[-1].note.strip()


# --- the call-back task ------------------------------------------------------------------------

def test_a_low_score_sets_the_call_back_due_time_and_texts_the_teams_supervisor(
        resolved_ticket, resolved_at, supervisor_phones):
    answered_at = resolved_at + timedelta(hours=3)
    survey.answer(find_survey(token_of(resolved_ticket)), score="1", not_fixed=False, comment="还是不热",
                  now=answered_at)
    db.session.commit()

    assert resolved_ticket.status is Status.REOPENED
    assert resolved_ticket.callback_due_at == answered_at + timedelta(hours=4)
    [text] = outbox("callback")
    assert text.to_number == SUPERVISOR_PHONE  # zhao's team, not qian's
    assert text.ticket_id == resolved_ticket.id
    assert format_reference(resolved_ticket.reference) in text.body and "138 0013 8000" in text.body


def test_not_fixed_also_asks_for_a_call_back(resolved_ticket, resolved_at, supervisor_phones):
    survey.answer(find_survey(token_of(resolved_ticket)), score=None, not_fixed=True, comment="",
                  now=resolved_at)
    db.session.commit()

    assert resolved_ticket.callback_due_at == resolved_at + timedelta(hours=4)
    assert [m.to_number for m in outbox("callback")] == [SUPERVISOR_PHONE]


def test_the_call_back_is_due_after_callback_hours_round_the_clock(app, resolved_ticket, resolved_at, monkeypatch):
    monkeypatch.setitem(app.config, "CALLBACK_HOURS", 2.5)
    night = resolved_at.replace(hour=16)  # 00:00 in Baotou
    lifecycle.rate(resolved_ticket, 2, "", Actor.resident(), now=night)

    assert resolved_ticket.callback_due_at == night + timedelta(hours=2.5)


def test_an_opted_out_supervisor_gets_no_call_back_text(resolved_ticket, supervisor_phones):
    db.session.add(PhoneOptOut(number=SUPERVISOR_PHONE, opted_out=True, source="keyword"))
    db.session.commit()
    lifecycle.rate(resolved_ticket, 1, "", Actor.resident())
    db.session.commit()

    assert outbox("callback") == [] and resolved_ticket.callback_due_at is not None


def test_a_reopen_by_staff_is_no_call_back(resolved_ticket, network, supervisor_phones):
    lifecycle.reopen(resolved_ticket, Actor.staff(db.session.get(User, network["agent"])), "用户来电")
    db.session.commit()

    assert resolved_ticket.callback_due_at is None and outbox("callback") == []


def test_closing_after_the_call_back_clears_its_due_time(resolved_ticket, network):
    lifecycle.rate(resolved_ticket, 1, "", Actor.resident())
    lifecycle.close_after_callback(resolved_ticket, Actor.staff(db.session.get(User, network["zhao"])),
                                   "已回访，用户同意等待换热站检修")
    db.session.commit()

    assert resolved_ticket.status is Status.CLOSED and resolved_ticket.callback_due_at is None


def test_the_board_lists_a_not_fixed_ticket_for_a_call_back(resolved_ticket):
    from app.reports.board import awaits_callback

    lifecycle.reopen(resolved_ticket, Actor.resident(), "没修好")

    assert resolved_ticket.satisfaction_score is None and awaits_callback(resolved_ticket)


# --- no response: the auto-close ---------------------------------------------------------------

def closed_without_response() -> list[TicketEvent]:
    return list(db.session.scalars(select(TicketEvent).where(TicketEvent.action == "close_without_response")))


def test_an_unanswered_survey_stays_open_until_survey_days_have_passed(resolved_ticket, resolved_at):
    assert survey.close_unanswered(resolved_at + timedelta(days=3) - timedelta(seconds=1)) == 0
    assert resolved_ticket.status is Status.RESOLVED


def test_after_survey_days_the_ticket_closes_as_no_response_by_the_system(resolved_ticket, resolved_at):
    assert survey.close_unanswered(resolved_at + timedelta(days=3)) == 1
    db.session.commit()

    assert resolved_ticket.status is Status.CLOSED and resolved_ticket.closure is Closure.NO_RESPONSE
    [event] = closed_without_response()
    assert event.actor_kind is ActorKind.SYSTEM and event.created_at == resolved_at + timedelta(days=3)


def test_running_the_auto_close_twice_closes_each_ticket_once(resolved_ticket, resolved_at):
    later = resolved_at + timedelta(days=4)
    survey.close_unanswered(later)
    db.session.commit()

    assert survey.close_unanswered(later + timedelta(minutes=1)) == 0
    assert len(closed_without_response()) == 1


def test_the_survey_days_setting_decides_when(app, resolved_ticket, resolved_at, monkeypatch):
    monkeypatch.setitem(app.config, "SURVEY_DAYS", 0.5)

    assert survey.close_unanswered(resolved_at + timedelta(hours=12)) == 1


def test_each_run_closes_at_most_one_batch_the_oldest_first(make_ticket, resolved_at):
    first, second = make_ticket(), make_ticket(phone="139 0013 9000", name="李秀英", flat="302")
    resolve(first, resolved_at)
    resolve(second, resolved_at + timedelta(minutes=1))
    db.session.commit()

    assert survey.close_unanswered(resolved_at + timedelta(days=5), limit=1) == 1
    assert (first.status, second.status) == (Status.CLOSED, Status.RESOLVED)


def test_a_rated_or_reopened_ticket_is_never_auto_closed(resolved_ticket, resolved_at):
    lifecycle.rate(resolved_ticket, 1, "", Actor.resident(), now=resolved_at + timedelta(hours=1))
    db.session.commit()

    assert survey.close_unanswered(resolved_at + timedelta(days=30)) == 0


def test_the_worker_runs_the_auto_close_every_tick(resolved_ticket, resolved_at):
    from app.jobs.periodic import PERIODIC, run_periodic

    assert "app.satisfaction.survey.close_unanswered" in PERIODIC
    run_periodic(resolved_at + timedelta(days=3, minutes=1))

    db.session.expire_all()
    assert db.session.get(Ticket, resolved_ticket.id).closure is Closure.NO_RESPONSE


# --- the command line --------------------------------------------------------------------------

def test_the_command_closes_unanswered_surveys_as_of_the_given_now(app, resolved_ticket, resolved_at):
    runner = app.test_cli_runner()
    early = runner.invoke(args=["survey", "close-unanswered", "--now", (resolved_at + timedelta(days=2)).isoformat()])
    due = runner.invoke(args=["survey", "close-unanswered", "--now", (resolved_at + timedelta(days=3)).isoformat()])

    assert (early.exit_code, due.exit_code) == (0, 0)
    assert early.output.startswith("0 ") and due.output.startswith("1 ")
    db.session.expire_all()
    assert db.session.get(Ticket, resolved_ticket.id).status is Status.CLOSED


@pytest.mark.parametrize("bad", ["yesterday", "2026-11-25T10:00"])
def test_the_command_refuses_a_now_it_cannot_place_in_time(app, resolved_ticket, bad):
    result = app.test_cli_runner().invoke(args=["survey", "close-unanswered", "--now", bad])

    assert result.exit_code != 0 and "--now" in result.output


# --- the texts' length (Chinese: UCS-2, 70 units a segment; these pass once the zh catalog has them) ----

def test_the_chinese_survey_text_with_its_link_fits_two_segments(app, make_ticket, resolved_at, monkeypatch):
    from app.messaging.segments import segment_count

    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", "https://heat.example.cn")
    ticket = make_ticket(language="zh_Hans")
    resolve(ticket, resolved_at)
    db.session.commit()

    [text] = outbox("survey", ticket.id)
    assert text.body.startswith("【包头热力】工单") and link_in(text.body)
    assert segment_count(text.body) == text.segments <= 2


def test_the_chinese_call_back_text_fits_one_segment(resolved_ticket, supervisor_phones):
    from app.messaging.segments import segment_count

    lifecycle.rate(resolved_ticket, 1, "", Actor.resident())
    db.session.commit()

    [text] = outbox("callback")
    assert text.body.startswith("【包头热力】") and "工单" in text.body
    assert segment_count(text.body) == 1


def test_the_english_survey_text_stays_gsm7_within_two_segments(app, make_ticket, resolved_at, monkeypatch):
    from app.messaging.segments import is_gsm7

    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", "https://heat.example.cn")
    ticket = make_ticket(language="en")
    resolve(ticket, resolved_at)
    db.session.commit()

    [text] = outbox("survey", ticket.id)
    assert text.body.startswith("[Baotou Heating] ") and link_in(text.body)
    assert is_gsm7(text.body) and text.segments <= 2
