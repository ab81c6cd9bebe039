"""The worker's periodic work, declared in one list. The outbox relay's minute tick runs it.

Each entry is a service function taking `now`; the runner commits after each one and a failure in
one never stops the others (the next tick tries again). An entry may commit as it goes (the SLA
catch-up commits after each round of tickets): a failure then rolls back only the round it was in.
"""
from __future__ import annotations

import logging
from datetime import datetime

from app.core.time import utcnow
from app.extensions import db

log = logging.getLogger(__name__)

PERIODIC = (
    "app.sla.escalation.catch_up",  # SLA warnings and escalations, overdue call-backs: each once, committed per round
    "app.webhooks.sms.expire_conversations",  # unanswered SMS conversations become triage tickets
    "app.satisfaction.survey.close_unanswered",  # surveys nobody answered in SURVEY_DAYS close as "no response"
)


def run_periodic(now: datetime | None = None) -> None:
    now = now or utcnow()
    for path in PERIODIC:
        module_name, _, name = path.rpartition(".")
        try:
            getattr(__import__(module_name, fromlist=[name]), name)(now)
            db.session.commit()
        except Exception:  # logged; the next tick runs it again
            db.session.rollback()
            log.exception("periodic job %s failed", path)
