"""Fixtures and helpers shared by the field tests (tests/conftest.py belongs to the whole suite).

Jobs are made in a request context of their own, closed again before the test goes on, so page
and browser tests need no `ctx` and read the database as the app left it.
"""
from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import datetime
from types import SimpleNamespace

import pytest
from PIL import Image
from sqlalchemy import select

from tests.conftest import csrf_token_of


def image_bytes(fmt: str = "JPEG", size: tuple[int, int] = (64, 48), color=(200, 30, 30), mode: str = "RGB",
                **save) -> bytes:
    """A small real picture made with Pillow."""
    out = io.BytesIO()
    Image.new(mode, size, color).save(out, fmt, **save)
    return out.getvalue()


@dataclass(frozen=True)
class MadeJob:
    id: int
    reference: str


@pytest.fixture
def uploads(app, tmp_path, monkeypatch):
    """Photos go to this test's own folder."""
    folder = tmp_path / "uploads"
    monkeypatch.setitem(app.config, "UPLOAD_FOLDER", str(folder))
    return folder / "photos"


@pytest.fixture
def new_job(app, complaint, network, now):
    """Factory: a committed ticket made through intake, assigned to `technician` (wang unless told),
    then taken through the lifecycle `steps` (e.g. ("acknowledge", "arrive")) by that technician."""
    from app.auth.models import User
    from app.extensions import db
    from app.intake.service import submit_complaint
    from app.tickets import lifecycle
    from app.tickets.lifecycle import Actor

    def make(*, technician: str = "wang", at: datetime | None = None, steps=(), **overrides) -> MadeJob:
        at = at or now
        with app.test_request_context():
            ticket = submit_complaint(complaint(**overrides), Actor.resident(), now=at)
            user = db.session.get(User, network[technician])
            if ticket.assignee_id != user.id:
                lifecycle.assign(ticket, user, Actor.system(), now=at, notify_resident=False)
            for step in steps:
                if step == "wait_for_resident":
                    lifecycle.wait_for_resident(ticket, Actor.staff(user), "nobody at home", now=at)
                elif step == "resolve":
                    lifecycle.resolve(ticket, Actor.staff(user), "air_bled", now=at)
                else:
                    getattr(lifecycle, step)(ticket, Actor.staff(user), now=at)
            db.session.commit()
            return MadeJob(ticket.id, ticket.reference)

    return make


def row(app, job: MadeJob) -> SimpleNamespace:
    """The ticket as the database has it now, with its photos."""
    from app.extensions import db
    from app.field.models import TicketPhoto
    from app.tickets.models import Ticket

    with app.app_context():
        ticket = db.session.get(Ticket, job.id)
        values = {c.key: getattr(ticket, c.key) for c in Ticket.__mapper__.column_attrs}
        photos = db.session.scalars(select(TicketPhoto).where(TicketPhoto.ticket_id == job.id)
                                    .order_by(TicketPhoto.id)).all()
        values["photos"] = [SimpleNamespace(**{c.key: getattr(p, c.key) for c in TicketPhoto.__mapper__.column_attrs})
                            for p in photos]
        return SimpleNamespace(**values)


# --- pages ------------------------------------------------------------------------------------

def job_page(client, job: MadeJob):
    return client.get(f"/field/jobs/{job.reference}")


def version_on(html: str) -> str | None:
    match = re.search(r'name="version"[^>]*value="(\d+)"', html) or re.search(r'value="(\d+)"[^>]*name="version"', html)
    return match.group(1) if match else None


def _version(client, job: MadeJob, html: str) -> str:
    """The version the page shows; for a page with no forms (not your job), the current one, as a forger would."""
    return version_on(html) or str(row(client.application, job).version)


def tap(client, job: MadeJob, action: str, **fields):
    """Take one step as the job page offers it (its CSRF token and the version it shows)."""
    html = job_page(client, job).get_data(as_text=True)
    data = {"csrf_token": csrf_token_of(html), "version": _version(client, job, html), **fields}
    return client.post(f"/field/jobs/{job.reference}/steps/{action}", data=data)


def wait(client, job: MadeJob, reason: str):
    html = job_page(client, job).get_data(as_text=True)
    return client.post(f"/field/jobs/{job.reference}/wait",
                       data={"csrf_token": csrf_token_of(html), "version": _version(client, job, html), "reason": reason})


def resolve(client, job: MadeJob, *, photos=(), csrf: bool = True, version: str | None = None, **fields):
    """Send the resolve form; photos are (bytes, file name[, content type]) tuples."""
    html = job_page(client, job).get_data(as_text=True)
    data = {"version": version or _version(client, job, html), "resolution_code": "air_bled", "measured_temp": "",
            "note": ""}
    if csrf:
        data["csrf_token"] = csrf_token_of(html)
    data.update(fields)
    data["photos"] = [(io.BytesIO(p[0]), *p[1:]) for p in photos]
    return client.post(f"/field/jobs/{job.reference}/resolve", data=data, content_type="multipart/form-data")
