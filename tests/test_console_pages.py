"""The console and queue pages over HTTP, CSRF on: who may use them, good and bad input for every form,
and the second call for the same flat that is added to the open ticket instead of making another."""
from __future__ import annotations

import re
from contextlib import contextmanager
from html.parser import HTMLParser
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from app.console import queue
from app.core.i18n import format_when
from app.extensions import db
from app.intake.service import submit_complaint
from app.tickets import lifecycle
from app.tickets.lifecycle import Actor
from app.tickets.models import Channel, Ticket, TicketEvent
from app.tickets.references import format_reference
from tests.conftest import csrf_token_of

CONSOLE = "/desk/console/"
QUEUE = "/desk/console/queue"


class Page(HTMLParser):
    """What the agent sees: form values, field errors, which element has autofocus, ids, links."""

    def __init__(self, response):
        super().__init__(convert_charrefs=True)
        self.status = response.status_code
        self.text = response.get_data(as_text=True)
        self.values: dict[str, str | None] = {}  # "form id:field name" and the bare name → value
        self.errors: dict[str, str] = {}  # id of each .error paragraph → its text
        self.ids: dict[str, dict] = {}
        self.autofocus: list[str] = []
        self.links: list[str] = []
        self._form = ""
        self._select = None
        self._text_of = None  # ("error", id) or ("textarea", name) while inside one
        self._text: list[str] = []
        self.feed(self.text)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if a.get("id"):
            self.ids[a["id"]] = a
        if "autofocus" in a:
            self.autofocus.append(a.get("id") or a.get("name"))
        if tag == "form":
            self._form = a.get("id", "")
        elif tag == "a" and a.get("href"):
            self.links.append(a["href"])
        elif tag == "input" and a.get("name"):
            checkbox = a.get("type") == "checkbox"
            self._value(a["name"], ("y" if "checked" in a else None) if checkbox else a.get("value", ""))
        elif tag == "select":
            self._select = a.get("name")
            self._value(self._select, "")
        elif tag == "option" and self._select and "selected" in a:
            self._value(self._select, a.get("value"))
        elif tag == "textarea":
            self._text_of, self._text = ("textarea", a.get("name")), []
        elif tag == "p" and "error" in (a.get("class") or "").split():
            self._text_of, self._text = ("error", a.get("id", "")), []

    def handle_data(self, data):
        if self._text_of:
            self._text.append(data)

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "form":
            self._form = ""
        elif tag in ("textarea", "p") and self._text_of and self._text_of[0] == ("textarea" if tag == "textarea"
                                                                                  else "error"):
            kind, name = self._text_of
            text = "".join(self._text)
            if kind == "textarea":
                self._value(name, re.sub(r"^\r?\n", "", text))  # HTML drops one newline after <textarea>
            else:
                self.errors[name] = text.strip()
            self._text_of = None

    def _value(self, name, value):
        self.values.setdefault(name, value)
        if self._form:
            self.values[f"{self._form}:{name}"] = value

    def form(self, form_id: str) -> dict[str, str]:
        """The fields of one form as the browser would send them back."""
        prefix = form_id + ":"
        return {k[len(prefix):]: v for k, v in self.values.items() if k.startswith(prefix) and v is not None}


@contextmanager
def database(app):
    """A short app context of its own for reading or changing rows (none stays pushed during requests:
    Flask would share it with the test client's requests, and with it the signed-in user and CSRF token)."""
    with app.app_context():
        yield db.session
        db.session.commit()


@pytest.fixture
def count(app):
    def run(model) -> int:
        with database(app) as session:
            return session.scalar(select(func.count(model.id)))
    return run


@pytest.fixture
def filed(app, complaint):
    """Factory: a ticket filed through intake just now (the pages use the real clock); its id and reference."""

    def make(**overrides) -> SimpleNamespace:
        with database(app) as session:
            ticket = submit_complaint(complaint(**overrides), Actor.resident())
            session.flush()
            return SimpleNamespace(id=ticket.id, reference=ticket.reference)

    return make


def cancel(app, reference: str) -> None:
    with database(app) as session:
        lifecycle.cancel(session.scalar(select(Ticket).where(Ticket.reference == reference)), Actor.system(), "withdrawn")


@pytest.fixture
def agent(staff_client):
    return staff_client("agent")


@pytest.fixture
def call_form(agent, network):
    """The new-complaint form after a lookup by the resident's phone, filled in as the agent would."""

    def fill(client=None, lookup="138 0013 8000", **fields) -> dict:
        page = Page((client or agent).get(CONSOLE, query_string={"q": lookup}))
        data = page.form("call-form")
        data.update({"category": "no_heat", "indoor_temp": "14", "description": "暖气不热", **fields})
        return {k: v for k, v in data.items() if v is not None}

    return fill


# --- access -----------------------------------------------------------------------------------

@pytest.mark.parametrize("path", [CONSOLE, QUEUE])
def test_anonymous_visitors_are_sent_to_sign_in(client, network, path):
    response = client.get(path)
    assert response.status_code == 302 and "/staff/sign-in" in response.headers["Location"]


@pytest.mark.parametrize("username, console, queue_", [
    ("agent", 200, 200), ("admin", 200, 200), ("zhao", 403, 200), ("wang", 403, 403),
])
def test_who_may_take_calls_and_see_the_queue(staff_client, username, console, queue_):
    client = staff_client(username)
    assert client.get(CONSOLE).status_code == console
    assert client.get(QUEUE).status_code == queue_


def test_technicians_and_supervisors_may_not_file_calls_or_add_them(staff_client, filed, count):
    ticket = filed()
    before = (count(Ticket), count(TicketEvent))
    for username in ("wang", "zhao"):
        client = staff_client(username)
        token = csrf_token_of(client.get("/report").get_data(as_text=True))
        assert client.post("/desk/console/calls", data={"csrf_token": token}).status_code == 403
        assert client.post(f"/desk/console/tickets/{ticket.reference}/call",
                           data={"csrf_token": token}).status_code == 403
    assert (count(Ticket), count(TicketEvent)) == before


def test_an_agent_starts_the_day_on_the_queue(agent):
    response = agent.get("/staff/")
    assert response.status_code == 302 and response.headers["Location"].endswith(QUEUE)


def test_the_navigation_offers_the_queue_and_the_console_to_agents_and_only_the_queue_to_supervisors(staff_client):
    agent_links = Page(staff_client("agent").get(QUEUE)).links
    supervisor_links = Page(staff_client("zhao").get(QUEUE)).links
    assert QUEUE in agent_links and CONSOLE in agent_links
    assert QUEUE in supervisor_links and CONSOLE not in supervisor_links


# --- lookup ---------------------------------------------------------------------------------------

def test_the_empty_console_puts_the_cursor_in_the_lookup_field(agent):
    page = Page(agent.get(CONSOLE))
    assert page.status == 200 and page.autofocus == ["q"]
    assert page.ids["q"].get("accesskey") == "l"


def test_a_phone_lookup_shows_the_account_and_prefills_the_form(agent, network):
    page = Page(agent.get(CONSOLE, query_string={"q": "138 0013 8000"}))
    assert page.status == 200
    assert "BT00000001" in page.text and "昆都仑区1号换热站" in page.text and "阿尔丁小区3号楼" in page.text
    form = page.form("call-form")
    assert (form["name"], form["phone"], form["account_number"], form["district"], form["flat"]) == (
        "张桂兰", "138 0013 8000", "BT00000001", str(network["kundulun"]), "301")
    assert form["sms_consent"] == "y"
    assert page.autofocus == ["category"]  # the agent only has to say what is wrong
    assert "duplicates" not in page.ids


def test_an_unknown_caller_gets_the_form_with_the_number_and_the_cursor_on_the_name(agent):
    page = Page(agent.get(CONSOLE, query_string={"q": "13904710000"}))
    assert page.status == 200 and "not-found" in page.ids
    assert page.form("call-form")["phone"] == "139 0471 0000"
    assert page.autofocus == ["name"]


def test_an_address_lookup_finds_the_flat(agent, network):
    page = Page(agent.get(CONSOLE, query_string={"district": network["kundulun"], "building": "阿尔丁3栋",
                                                 "unit": "2", "flat": "301"}))
    assert page.status == 200 and page.form("call-form")["account_number"] == "BT00000001"


def test_a_bad_lookup_shows_the_error_at_its_field_and_keeps_what_was_typed(agent):
    page = Page(agent.get(CONSOLE, query_string={"building": "阿尔丁3栋", "flat": "301"}))
    assert page.status == 422
    assert "lookup-district-error" in page.errors
    assert page.form("lookup-form")["building"] == "阿尔丁3栋"
    assert page.form("lookup-form")["flat"] == "301"
    assert page.autofocus == ["lookup-district"]


# --- the new complaint ------------------------------------------------------------------------

def test_a_call_is_saved_and_read_back_with_the_reference_and_the_promised_times(agent, call_form, app):
    response = agent.post("/desk/console/calls", data=call_form())
    assert response.status_code == 302
    reference = response.headers["Location"].rsplit("/", 1)[-1]
    with database(app) as session:
        ticket = session.scalar(select(Ticket).where(Ticket.reference == reference))
        assert ticket.channel is Channel.PHONE and ticket.account.account_number == "BT00000001"
        assert ticket.events[0].actor.username == "agent"
        with app.test_request_context(headers={"Accept-Language": "zh-CN"}):
            promised = [format_when(d) for d in (ticket.respond_due_at, ticket.on_site_due_at, ticket.resolve_due_at)]
        technician = ticket.assignee.full_name
    page = Page(agent.get(response.headers["Location"]))
    assert page.status == 200
    assert format_reference(reference) in page.text
    assert all(when in page.text for when in promised)
    assert technician in page.text
    assert page.autofocus == ["next-call"]


def test_a_call_from_an_unplaced_address_reads_back_triage(agent, call_form, network):
    data = call_form(lookup="13904710000", name="王五", district=str(network["kundulun"]),
                     building="不存在小区9号楼", flat="1")
    response = agent.post("/desk/console/calls", data=data)
    assert response.status_code == 302
    page = Page(agent.get(response.headers["Location"]))
    assert "data-triage" in page.text


def test_bad_input_is_shown_at_the_fields_with_the_values_kept_and_nothing_saved(agent, call_form, count):
    data = call_form(phone="12345", category="", indoor_temp="hot", description="还是冷")
    page = Page(agent.post("/desk/console/calls", data=data))
    assert page.status == 422
    assert {"phone-error", "category-error", "indoor_temp-error"} <= set(page.errors)
    form = page.form("call-form")
    assert (form["phone"], form["indoor_temp"], form["name"]) == ("12345", "hot", "张桂兰")
    assert "还是冷" in page.text
    assert page.autofocus == ["phone"]
    assert count(Ticket) == 0


def test_a_call_without_its_csrf_token_is_refused_and_saves_nothing(agent, call_form, count):
    data = call_form()
    data.pop("csrf_token")
    assert agent.post("/desk/console/calls", data=data).status_code == 400
    assert count(Ticket) == 0


# --- the second call for the same flat --------------------------------------------------------

def test_a_second_call_for_the_same_flat_shows_the_duplicate_with_the_cursor_on_adding_the_call(agent, filed):
    first = filed()
    page = Page(agent.get(CONSOLE, query_string={"q": "13800138000"}))
    assert page.status == 200 and "duplicates" in page.ids
    assert f"note-{first.reference}" in page.ids
    assert page.autofocus == [f"note-{first.reference}"]
    assert page.form("call-form")["seen"] == f"t{first.id}"


def test_adding_the_call_to_the_open_ticket_makes_no_new_ticket(agent, filed, count, app):
    first = filed()
    events = count(TicketEvent)
    page = Page(agent.get(CONSOLE, query_string={"q": "13800138000"}))
    token = page.values["csrf_token"]
    response = agent.post(f"/desk/console/tickets/{first.reference}/call",
                          data={"csrf_token": token, "note": "第二次来电，仍然不热"})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/tickets/{first.reference}")
    assert count(Ticket) == 1 and count(TicketEvent) == events + 1
    with database(app) as session:
        call = session.scalar(select(TicketEvent).order_by(TicketEvent.id.desc()))
        assert (call.action, call.note, call.actor.username) == ("call", "第二次来电，仍然不热", "agent")
    assert format_reference(first.reference) in agent.get(response.headers["Location"]).get_data(as_text=True)


def test_saving_a_new_ticket_over_an_unseen_duplicate_shows_it_first(agent, filed, call_form, count):
    data = call_form()  # looked up before the first ticket existed: no warning seen
    first = filed()
    page = Page(agent.post("/desk/console/calls", data=data))
    assert page.status == 409 and "duplicates" in page.ids and f"note-{first.reference}" in page.ids
    assert count(Ticket) == 1
    resend = page.form("call-form")
    assert resend["seen"] == f"t{first.id}" and resend["description"] == "暖气不热"
    assert agent.post("/desk/console/calls", data=resend).status_code == 302  # "save a new ticket anyway"
    assert count(Ticket) == 2


def test_the_add_call_page_shows_the_ticket(agent, filed):
    ticket = filed()
    page = Page(agent.get(f"/desk/console/tickets/{ticket.reference}/call"))
    assert page.status == 200 and page.autofocus == ["note"]


def test_a_call_note_too_long_is_shown_at_its_field_and_saves_nothing(agent, filed, count):
    ticket = filed()
    events = count(TicketEvent)
    token = Page(agent.get(f"/desk/console/tickets/{ticket.reference}/call")).values["csrf_token"]
    page = Page(agent.post(f"/desk/console/tickets/{ticket.reference}/call",
                           data={"csrf_token": token, "note": "冷" * 2001}))
    assert page.status == 422 and "note-error" in page.errors
    assert page.values["note"] == "冷" * 2001
    assert count(TicketEvent) == events


def test_a_call_cannot_be_added_to_a_closed_ticket(agent, filed, count, app):
    ticket = filed()
    cancel(app, ticket.reference)
    events = count(TicketEvent)
    token = Page(agent.get(f"/desk/console/tickets/{ticket.reference}/call")).values["csrf_token"]
    page = Page(agent.post(f"/desk/console/tickets/{ticket.reference}/call", data={"csrf_token": token}))
    assert page.status == 409 and "error-summary" in page.text
    assert count(TicketEvent) == events


def test_adding_a_call_without_its_csrf_token_is_refused(agent, filed, count):
    ticket = filed()
    events = count(TicketEvent)
    assert agent.post(f"/desk/console/tickets/{ticket.reference}/call", data={"note": "x"}).status_code == 400
    assert count(TicketEvent) == events


def test_an_unknown_reference_answers_404(agent, network):
    assert agent.get("/desk/console/tickets/1234567890/call").status_code == 404
    assert agent.get("/desk/console/tickets/1234567890").status_code == 404


# --- the queue --------------------------------------------------------------------------------

def test_the_queue_lists_open_tickets_linking_to_the_ticket_page(agent, filed):
    ticket = filed()
    page = Page(agent.get(QUEUE))
    assert page.status == 200
    assert f"/desk/tickets/{ticket.reference}" in page.links
    assert page.form("queue-filters")["status"] == "open"


def test_the_queue_searches_chinese_names(agent, filed):
    ticket = filed()
    other = filed(name="李秀英", phone="139 0471 0000", flat="302")
    page = Page(agent.get(QUEUE, query_string={"q": "桂兰"}))
    assert f"/desk/tickets/{ticket.reference}" in page.links
    assert f"/desk/tickets/{other.reference}" not in page.links
    assert page.form("queue-filters")["q"] == "桂兰"


def test_bad_filters_are_shown_at_their_fields_with_the_values_kept(agent, network):
    page = Page(agent.get(QUEUE, query_string={"status": "bogus", "q": "阿尔丁", "team": "x"}))
    assert page.status == 422
    assert {"status-error", "team-error"} <= set(page.errors)
    assert page.form("queue-filters")["q"] == "阿尔丁"


def test_a_broken_page_link_says_so(agent, network):
    page = Page(agent.get(QUEUE, query_string={"after": "garbage"}))
    assert page.status == 422 and "error-summary" in page.text


def test_a_supervisor_of_another_team_does_not_see_the_ticket(staff_client, filed):
    ticket = filed()
    assert f"/desk/tickets/{ticket.reference}" not in Page(staff_client("qian").get(QUEUE)).links
    assert f"/desk/tickets/{ticket.reference}" in Page(staff_client("zhao").get(QUEUE)).links


def test_the_queue_pages_with_links_that_keep_the_filters(agent, filed, monkeypatch):
    monkeypatch.setattr(queue, "PAGE_SIZE", 2)
    oldest, middle, newest = filed(), filed(), filed()
    first = Page(agent.get(QUEUE, query_string={"q": "阿尔丁"}))
    assert f"/desk/tickets/{newest.reference}" in first.links and f"/desk/tickets/{oldest.reference}" not in first.links
    next_link = next(link for link in first.links if "after=" in link)
    assert "q=" in next_link
    second = Page(agent.get(next_link))
    assert f"/desk/tickets/{oldest.reference}" in second.links
    assert f"/desk/tickets/{newest.reference}" not in second.links
    back = Page(agent.get(next(link for link in second.links if "before=" in link)))
    assert f"/desk/tickets/{newest.reference}" in back.links and f"/desk/tickets/{middle.reference}" in back.links
