"""The resident pages over HTTP: file a complaint, see it received, track it, rate it.

Every request goes through the real app with CSRF on: each POST carries the token its page gave.
"""
from __future__ import annotations

import re
import unicodedata
from contextlib import contextmanager
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from flask_babel import gettext
from sqlalchemy import func, select

from app.core.i18n import format_when
from app.extensions import db
from app.messaging.models import OutboxMessage
from app.tickets import lifecycle
from app.tickets.lifecycle import Actor
from app.tickets.models import Status, Ticket

ACCEPT = {"zh_Hans": "zh-CN,zh;q=0.9", "en": "en-US,en;q=0.8"}
HTML_LANG = {"zh_Hans": "zh-Hans", "en": "en"}


# --- reading pages ----------------------------------------------------------------------------

class Page(HTMLParser):
    """What a resident sees on one response: form values, field errors, flashes, timeline, reference."""

    def __init__(self, response):
        super().__init__(convert_charrefs=True)
        self.status = response.status_code
        self.text = response.get_data(as_text=True)
        self.lang = None
        self.h1 = ""
        self.reference = None
        self.values: dict[str, str | None] = {}  # field name → value as the form will send it back
        self.errors: dict[str, str] = {}  # id of each .error paragraph → its text
        self.flashes: list[tuple[str, str]] = []  # (category, text)
        self.timeline: list[str] = []
        self.attrs: dict[str, dict[str, str | None]] = {}  # element id → its attributes
        self._select: str | None = None
        self._into: tuple | None = None  # where the text of the open element goes
        self._text: list[str] = []
        self.feed(self.text)
        self.close()

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        classes = (a.get("class") or "").split()
        if a.get("id"):
            self.attrs[a["id"]] = a
        if "data-reference" in a:
            self.reference = a["data-reference"]
        if tag == "html":
            self.lang = a.get("lang")
        elif tag == "input" and a.get("name"):
            if a.get("type") in ("checkbox", "radio"):
                if "checked" in a:
                    self.values[a["name"]] = a.get("value")
                else:
                    self.values.setdefault(a["name"], None)
            else:
                self.values[a["name"]] = a.get("value", "")
        elif tag == "select":
            self._select = a.get("name")
            self.values[self._select] = ""
        elif tag == "option" and self._select and "selected" in a:
            self.values[self._select] = a.get("value")
        elif tag == "textarea":
            self._open(("value", a.get("name")))
        elif tag == "p" and "error" in classes:
            self._open(("error", a.get("id", "")))
        elif tag == "p" and "flash" in classes:
            self._open(("flash", classes[-1].removeprefix("flash-")))
        elif tag == "span" and "what" in classes:
            self._open(("timeline",))
        elif tag == "h1":
            self._open(("h1",))

    def _open(self, into):
        self._into, self._text = into, []

    def handle_data(self, data):
        if self._into:
            self._text.append(data)

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        if not self._into or tag not in ("textarea", "p", "span", "h1"):
            return
        text, into, self._into = "".join(self._text), self._into, None
        if into[0] == "value":
            self.values[into[1]] = re.sub(r"^\r?\n", "", text)  # HTML drops one newline after <textarea>
        elif into[0] == "error":
            self.errors[into[1]] = text.strip()
        elif into[0] == "flash":
            self.flashes.append((into[1], text.strip()))
        elif into[0] == "timeline":
            self.timeline.append(text.strip())
        else:
            self.h1 = text.strip()

    @property
    def csrf_token(self) -> str:
        return self.values["csrf_token"]


def translated(app, msgid: str, lang: str = "zh_Hans", **params) -> str:
    """A message as the app shows it in `lang` (so these tests keep passing once it is translated)."""
    with app.test_request_context(headers={"Accept-Language": ACCEPT[lang]}):
        return gettext(msgid, **params)


def shown_time(app, moment, lang: str = "zh_Hans") -> str:
    with app.test_request_context(headers={"Accept-Language": ACCEPT[lang]}):
        return format_when(moment)


def assert_same_site_path(location: str) -> None:
    parts = urlsplit(location)
    assert not parts.scheme and not parts.netloc
    assert location.startswith("/") and not location.startswith("//") and "\\" not in location


# --- sending forms ----------------------------------------------------------------------------

def csrf_token(client, path: str, **kwargs) -> str:
    """The token the page at `path` puts in its form (and the session it belongs to)."""
    return Page(client.get(path, **kwargs)).csrf_token


def submit(client, path: str, data: dict, *, token_from: str | None = None, **kwargs):
    """POST `data` to `path` as a browser would: with the CSRF token of the page the form came from."""
    token = csrf_token(client, token_from or path, headers=kwargs.get("headers"))
    return client.post(path, data={"csrf_token": token, **data}, **kwargs)


@pytest.fixture
def complaint_form(network):
    """The complaint form as a resident fills it in correctly; override any field."""

    def fill(**overrides) -> dict:
        data = {
            "name": "张桂兰", "phone": "138 0013 8000", "account_number": "",
            "district": str(network["kundulun"]), "building": "阿尔丁小区3号楼", "unit": "2", "flat": "301",
            "category": "no_heat", "indoor_temp": "14.5", "description": "暖气片冰凉", "sms_consent": "y",
        }
        data.update(overrides)
        return {name: value for name, value in data.items() if value is not None}

    return fill


def file_complaint(client, data: dict, **kwargs):
    return submit(client, "/report", data, **kwargs)


def reference_of_last_complaint(client) -> str:
    page = Page(client.get("/report/received"))
    assert page.status == 200 and page.reference
    return page.reference


@pytest.fixture
def filed(client, complaint_form):
    """Files a valid complaint from `client` (which then tracks it) and returns its reference."""

    def file(**overrides) -> str:
        response = file_complaint(client, complaint_form(**overrides))
        assert response.status_code == 302, Page(response).errors
        return reference_of_last_complaint(client)

    return file


def track(client, reference: str, phone: str, **kwargs):
    return submit(client, "/track", {"reference": reference, "phone": phone}, **kwargs)


# --- the database, as staff and the tests see it ----------------------------------------------

@contextmanager
def database(app):
    """A short app context for reading or changing rows, committed at the end like a staff screen."""
    with app.app_context():
        yield db.session
        db.session.commit()


def ticket_of(reference: str) -> Ticket:
    return db.session.scalar(select(Ticket).where(Ticket.reference == reference))


def saved_counts(app) -> tuple[int, int]:
    """(tickets, outbox messages) in the database."""
    with database(app) as session:
        return (session.scalar(select(func.count(Ticket.id))),
                session.scalar(select(func.count(OutboxMessage.id))))


def assert_nothing_saved(app) -> None:
    assert saved_counts(app) == (0, 0)


def staff_resolve(app, reference: str) -> None:
    """The assigned technician works the ticket through to resolved, as the staff pages would."""
    with database(app):
        ticket = ticket_of(reference)
        technician = Actor.staff(ticket.assignee)
        lifecycle.acknowledge(ticket, technician)
        lifecycle.depart(ticket, technician)
        lifecycle.arrive(ticket, technician)
        lifecycle.resolve(ticket, technician, "valve_adjusted")


@pytest.fixture
def resolved(app, filed):
    """A resolved ticket, tracked by `client`; returns its reference."""
    reference = filed()
    staff_resolve(app, reference)
    return reference


# === the complaint form =======================================================================

@pytest.mark.parametrize("lang, district, category", [
    ("zh_Hans", "昆都仑区", "暖气不热"),
    ("en", "Kundulun", "No heat"),
])
def test_the_form_speaks_the_browsers_language(client, app, network, lang, district, category):
    page = Page(client.get("/report", headers={"Accept-Language": ACCEPT[lang]}))
    assert page.status == 200
    assert page.lang == HTML_LANG[lang]
    assert page.h1 == translated(app, "Report a problem", lang)
    assert f">{district}</option>" in page.text and f">{category}</option>" in page.text


def test_a_visitor_without_a_language_preference_gets_chinese(client, network):
    assert Page(client.get("/report")).lang == "zh-Hans"


@pytest.mark.parametrize("chosen, browser", [("en", "zh_Hans"), ("zh_Hans", "en")])
def test_the_language_switch_wins_over_the_browser_language(client, network, chosen, browser):
    switch = client.get(f"/lang/{chosen}?next=/report")
    assert switch.status_code == 302 and switch.headers["Location"] == "/report"
    page = Page(client.get("/report", headers={"Accept-Language": ACCEPT[browser]}))
    assert page.lang == HTML_LANG[chosen]


def test_a_lang_cookie_wins_over_the_browser_language(client, network):
    client.set_cookie("lang", "en", domain="heatdesk.test")
    assert Page(client.get("/report", headers={"Accept-Language": ACCEPT["zh_Hans"]})).lang == "en"


@pytest.mark.parametrize("target", [
    "https://evil.example/", "//evil.example/", "/\\evil.example", "\\\\evil.example", "/\t/evil.example",
    "javascript:alert(1)", "evil.example", "https:evil.example",
])
def test_the_language_switch_never_redirects_off_site(client, target):
    response = client.get("/lang/en", query_string={"next": target})
    assert response.status_code == 302
    assert_same_site_path(response.headers["Location"])
    assert "evil.example" not in response.headers["Location"]


def test_the_language_switch_returns_to_the_page_it_came_from(client):
    response = client.get("/lang/en", query_string={"next": "/track?reference=123"})
    assert response.headers["Location"] == "/track?reference=123"


def test_an_unknown_language_is_not_found(client):
    assert client.get("/lang/fr?next=/").status_code == 404


# --- a valid complaint -------------------------------------------------------------------------

def test_a_valid_complaint_creates_one_ticket_and_goes_to_the_confirmation(client, app, complaint_form):
    response = file_complaint(client, complaint_form())
    assert response.status_code == 302 and response.headers["Location"] == "/report/received"
    page = Page(client.get("/report/received"))
    with database(app) as session:
        tickets = session.scalars(select(Ticket)).all()
        assert [t.reference for t in tickets] == [page.reference]


def test_the_confirmation_shows_the_reference_and_the_promised_times(client, app, filed):
    reference = filed()
    page = Page(client.get("/report/received"))
    assert page.reference == reference
    assert f"{reference[:3]} {reference[3:6]} {reference[6:]}" in page.text  # grouped for reading aloud
    with database(app):
        ticket = ticket_of(reference)
        promised = [ticket.respond_due_at, ticket.on_site_due_at, ticket.resolve_due_at]
    assert all(promised)
    for moment in promised:
        assert shown_time(app, moment) in page.text


def test_the_confirmation_is_in_the_language_the_complaint_was_made_in(client, app, complaint_form):
    file_complaint(client, complaint_form(), headers={"Accept-Language": ACCEPT["en"]})
    page = Page(client.get("/report/received", headers={"Accept-Language": ACCEPT["en"]}))
    assert page.lang == "en"
    with database(app):
        ticket = ticket_of(page.reference)
        assert ticket.language == "en"
        assert shown_time(app, ticket.on_site_due_at, "en") in page.text


@pytest.mark.parametrize("typed", ["BT00000001", "bt00000001", " ＢＴ00000001 "])
def test_an_account_number_alone_is_enough_to_place_the_complaint(client, app, network, complaint_form, typed):
    form = complaint_form(account_number=typed, district="", building="", unit="", flat="",
                          phone="139 1234 5678")
    assert file_complaint(client, form).status_code == 302
    with database(app):
        ticket = ticket_of(reference_of_last_complaint(client))
        assert ticket.account_id == network["account"]
        assert ticket.building_id == network["building"]
        assert (ticket.unit, ticket.flat) == ("2", "301")
        assert ticket.team_id == network["team"]


def test_an_unknown_building_still_makes_a_ticket_for_an_agent_to_place(client, app, complaint_form):
    form = complaint_form(building="不存在小区99号楼", phone="139 1234 5678")
    assert file_complaint(client, form).status_code == 302
    page = Page(client.get("/report/received"))
    with database(app):
        ticket = ticket_of(page.reference)
        assert ticket.team_id is None and ticket.building_id is None and ticket.assignee_id is None
        assert ticket.status is Status.NEW
        assert ticket.address_text == "不存在小区99号楼"
    assert translated(app, "We could not place your address automatically. An agent will check it and "
                           "pass your complaint to the right service team.") in page.text


def test_the_confirmation_without_a_complaint_in_this_session_goes_to_the_form(client):
    response = client.get("/report/received")
    assert response.status_code == 302 and response.headers["Location"] == "/report"


# --- bad input --------------------------------------------------------------------------------

LONG = 5000
BAD_INPUT = [
    ("name", ""), ("name", "王" * 61), ("name", "张\x00桂兰"), ("name", "张\x1b[31m桂兰"), ("name", "张桂兰\x7f"),
    ("name", "x" * LONG),
    ("phone", ""), ("phone", "call me"), ("phone", "1" * 33), ("phone", "12345"), ("phone", "9" * LONG),
    ("account_number", "BT99999999"), ("account_number", "B" * LONG),
    ("district", "999999"), ("district", "abc"), ("district", "-1"), ("district", "1" * LONG),
    ("building", ""), ("building", "楼" * 101), ("building", "楼" * LONG),
    ("unit", "1" * 17), ("unit", "单" * LONG), ("flat", "3" * 17), ("flat", "室" * LONG),
    ("category", ""), ("category", "volcano"), ("category", "c" * LONG),
    ("indoor_temp", "warm"), ("indoor_temp", "-10.1"), ("indoor_temp", "40.1"), ("indoor_temp", "NaN"),
    ("indoor_temp", "inf"), ("indoor_temp", "-Infinity"), ("indoor_temp", "sNaN"), ("indoor_temp", "1e9"),
    ("indoor_temp", "9" * LONG),
    ("description", "冷" * 2001), ("description", "冷\x00"), ("description", "冷" * LONG),
]
SELECTS = {"district", "category"}


def _case_id(case):
    field, value = case
    shown = value if len(value) <= 12 else f"{value[:3]}…×{len(value)}"
    return f"{field}={shown!r}"


@pytest.mark.parametrize("field, value", BAD_INPUT, ids=[_case_id(c) for c in BAD_INPUT])
def test_bad_input_is_refused_at_its_field_keeping_what_was_typed(client, app, complaint_form, field, value):
    form = complaint_form(**{field: value})
    page = Page(file_complaint(client, form))
    assert page.status == 422
    assert set(page.errors) == {f"{field}-error"} and page.errors[f"{field}-error"]
    kept = {name: page.values.get(name) for name in form if name != field}
    assert kept == {name: typed for name, typed in form.items() if name != field}
    if field not in SELECTS:
        assert page.values[field] == value
    assert_nothing_saved(app)


def test_the_building_is_required_only_without_an_account_number(client, app, complaint_form):
    form = complaint_form(account_number="BT00000001", district="", building="")
    assert file_complaint(client, form).status_code == 302


def test_a_refused_form_says_nothing_was_sent_and_ties_each_error_to_its_input(client, app, complaint_form):
    page = Page(file_complaint(client, complaint_form(name="", indoor_temp="hot")))
    assert translated(app, "Please correct the fields marked below. Nothing has been sent yet.") in page.text
    assert page.errors["name-error"] == translated(app, "Please tell us your name.")
    for field in ("name", "indoor_temp"):
        assert page.attrs[field]["aria-invalid"] == "true"
        assert f"{field}-error" in page.attrs[field]["aria-describedby"].split()
    assert "aria-invalid" not in page.attrs["phone"]
    assert page.attrs["phone"]["aria-describedby"] == "phone-hint"
    assert "aria-describedby" not in page.attrs["unit"]


def test_a_fresh_form_marks_no_field_invalid(client, network):
    page = Page(client.get("/report"))
    assert not page.errors
    assert "None" not in {value for attrs in page.attrs.values() for value in attrs.values()}


# --- text hygiene -----------------------------------------------------------------------------

def test_names_and_addresses_are_stored_in_nfc(client, app, complaint_form):
    decomposed = unicodedata.normalize("NFD", "Renée Müller")
    file_complaint(client, complaint_form(name=decomposed, building="不存在小区9号楼 Café"))
    with database(app):
        ticket = ticket_of(reference_of_last_complaint(client))
        assert ticket.name == "Renée Müller" and unicodedata.is_normalized("NFC", ticket.name)
        assert ticket.address_text == "不存在小区9号楼 Café"


def test_chinese_compatibility_ideographs_are_stored_in_nfc(client, app, complaint_form):
    file_complaint(client, complaint_form(description="室温只有\uf9d1度"))  # U+F9D1 is a compatibility 六
    with database(app):
        assert ticket_of(reference_of_last_complaint(client)).description == "室温只有\u516d度"


CHINESE_DESCRIPTION = "暖气片冰凉，室温只有14℃。\n家里有八十岁的老人——请尽快派人！（３号楼２单元）"


def test_a_chinese_description_is_stored_exactly(client, app, complaint_form):
    file_complaint(client, complaint_form(description=CHINESE_DESCRIPTION))
    with database(app):
        assert ticket_of(reference_of_last_complaint(client)).description == CHINESE_DESCRIPTION


def test_a_chinese_description_is_shown_back_exactly_when_the_form_is_refused(client, complaint_form):
    page = Page(file_complaint(client, complaint_form(phone="", description=CHINESE_DESCRIPTION)))
    assert page.status == 422
    assert page.values["description"] == CHINESE_DESCRIPTION


def test_invisible_and_control_characters_are_removed_from_the_description(client, app, complaint_form):
    file_complaint(client, complaint_form(description="暖气\x07片\u200b冰凉\u202e\r\n第二行"))
    with database(app):
        assert ticket_of(reference_of_last_complaint(client)).description == "暖气片冰凉\n第二行"


def test_bidi_overrides_and_extra_spaces_are_removed_from_a_name(client, app, complaint_form):
    file_complaint(client, complaint_form(name="  张\u202e桂兰\u200b \t "))
    with database(app):
        assert ticket_of(reference_of_last_complaint(client)).name == "张桂兰"


# === tracking =================================================================================

@pytest.fixture
def other_browser(app):
    """A browser that has not filed the complaint: it must prove the phone number first."""
    return app.test_client()


def test_the_reference_and_phone_open_the_status_page(app, filed, other_browser):
    reference = filed()
    response = track(other_browser, reference, "138 0013 8000")
    assert response.status_code == 302 and response.headers["Location"] == f"/track/{reference}"
    page = Page(other_browser.get(f"/track/{reference}"))
    assert page.status == 200
    assert page.timeline == [translated(app, "Received"), translated(app, "Dispatched")]


@pytest.mark.parametrize("typed", [
    lambda r: f"{r[:3]} {r[3:6]} {r[6:]}",
    lambda r: f"{r[:3]}-{r[3:6]}-{r[6:]}",
    lambda r: r.translate({ord(d): 0xFF10 + int(d) for d in "0123456789"}),  # full-width digits
    lambda r: f"  {r}  ",
], ids=["spaces", "dashes", "full-width", "padded"])
def test_the_reference_may_be_typed_as_people_write_it(filed, other_browser, typed):
    reference = filed()
    response = track(other_browser, typed(reference), "13800138000")
    assert response.headers["Location"] == f"/track/{reference}"


@pytest.mark.parametrize("phone", ["+86 138-0013-8000", "13800138000", "0086 138 0013 8000", "+8613800138000"])
def test_the_phone_may_be_typed_in_another_format_than_at_filing(filed, other_browser, phone):
    reference = filed(phone="138 0013 8000")
    assert track(other_browser, reference, phone).headers["Location"] == f"/track/{reference}"


def test_a_wrong_reference_and_a_wrong_phone_get_the_same_answer(filed, other_browser):
    reference = filed()
    unknown = "1234567890" if reference != "1234567890" else "1234567891"
    answers = [
        Page(track(other_browser, unknown, "138 0013 8000")),  # no such ticket
        Page(track(other_browser, "12-34", "138 0013 8000")),  # not a reference at all
        Page(track(other_browser, reference, "139 1234 5678")),  # the ticket, someone else's phone
        Page(track(other_browser, reference, "not a phone")),
    ]
    assert {page.status for page in answers} == {404}
    assert len({tuple(page.errors.items()) for page in answers}) == 1
    assert list(answers[0].errors) == ["reference-error"]


def test_a_failed_attempt_opens_nothing(filed, other_browser):
    reference = filed()
    track(other_browser, reference, "139 1234 5678")
    assert other_browser.get(f"/track/{reference}").status_code == 302


def test_a_reference_alone_does_not_open_the_status_page(filed, other_browser):
    reference = filed()
    response = other_browser.get(f"/track/{reference}")
    assert response.status_code == 302 and response.headers["Location"] == f"/track?reference={reference}"
    page = Page(other_browser.get(response.headers["Location"]))
    assert page.values["reference"] == reference and page.values["phone"] == ""


def test_the_browser_that_filed_the_complaint_may_see_its_status(client, filed):
    reference = filed()
    assert client.get(f"/track/{reference}").status_code == 200


@pytest.mark.parametrize("lang", ["zh_Hans", "en"])
def test_the_technician_is_named_as_residents_say_it(client, app, filed, lang):
    reference = filed()
    with database(app):
        technician = ticket_of(reference).assignee
        family, given = technician.family_name, technician.given_name
    expected = {"zh_Hans": f"{family}师傅", "en": given}[lang]
    page = Page(client.get(f"/track/{reference}", headers={"Accept-Language": ACCEPT[lang]}))
    assert f"<dd>{expected}</dd>" in page.text
    if lang == "zh_Hans":
        assert expected in ("王师傅", "李师傅")
    assert family + given not in page.text  # never the full name


def test_no_technician_is_named_before_one_is_assigned(client, app, filed):
    reference = filed(building="不存在小区99号楼")
    page = Page(client.get(f"/track/{reference}"))
    assert translated(app, "Technician") not in page.text
    assert "师傅" not in page.text


def test_the_status_page_shows_when_the_visit_is_due(client, app, filed):
    reference = filed()
    with database(app):
        due = ticket_of(reference).on_site_due_at
    page = Page(client.get(f"/track/{reference}"))
    assert f"<dd>{shown_time(app, due)}</dd>" in page.text


def test_internal_events_never_appear_on_the_status_page(client, app, filed, network):
    reference = filed()
    with database(app):
        ticket = ticket_of(reference)
        supervisor = Actor.staff(ticket.assignee)
        lifecycle.record(ticket, supervisor, "note", note="内部备注：住户情绪激动", public=False)
    page = Page(client.get(f"/track/{reference}"))
    assert "内部备注" not in page.text
    assert page.timeline == [translated(app, "Received"), translated(app, "Dispatched")]


# === rating ===================================================================================

def rate(client, reference: str, token_from: str | None = None, **fields):
    """Send the rating form of the status page (`token_from` for a page that shows no form)."""
    return submit(client, f"/track/{reference}/rate", fields, token_from=token_from or f"/track/{reference}")


def test_an_unresolved_ticket_offers_no_rating(client, filed):
    page = Page(client.get(f"/track/{filed()}"))
    assert "score" not in page.values


def test_an_unresolved_ticket_cannot_be_rated(client, app, filed):
    reference = filed()
    response = rate(client, reference, token_from="/track", score="5")
    assert response.status_code == 302
    page = Page(client.get(response.headers["Location"]))
    assert [category for category, _ in page.flashes] == ["error"]
    with database(app):
        ticket = ticket_of(reference)
        assert ticket.status is Status.ASSIGNED and ticket.satisfaction_score is None


def test_a_resolved_ticket_asks_for_a_score(client, resolved):
    page = Page(client.get(f"/track/{resolved}"))
    assert "score" in page.values and page.values["score"] is None


def test_a_score_of_5_closes_the_ticket_with_thanks(client, app, resolved):
    response = rate(client, resolved, score="5", comment="师傅很负责")
    assert response.status_code == 302 and response.headers["Location"] == f"/track/{resolved}"
    page = Page(client.get(response.headers["Location"]))
    assert page.flashes == [("success", translated(app, "Thank you for your feedback. Your complaint is now closed."))]
    assert "score" not in page.values  # no second rating offered
    with database(app):
        ticket = ticket_of(resolved)
        assert ticket.status is Status.CLOSED
        assert (ticket.satisfaction_score, ticket.satisfaction_comment) == (5, "师傅很负责")


@pytest.mark.parametrize("score", ["1", "2"])
def test_a_low_score_reopens_the_ticket_for_a_call_back(client, app, resolved, score):
    page = Page(client.get(rate(client, resolved, score=score).headers["Location"]))
    assert page.flashes == [("info", translated(
        app, "Thank you. We are sorry it is not right yet: a supervisor will call you back."))]
    with database(app):
        ticket = ticket_of(resolved)
        assert ticket.status is Status.REOPENED and ticket.satisfaction_score == int(score)


@pytest.mark.parametrize("score", ["0", "6", "x", "55", "-1", " 5", None], ids=repr)
def test_an_invalid_score_is_refused_at_the_field_and_changes_nothing(client, app, resolved, score):
    before = saved_counts(app)
    page = Page(rate(client, resolved, **({"score": score} if score is not None else {})))
    assert page.status == 422
    assert page.errors == {"score-error": translated(app, "Choose a score from 1 to 5.")}
    assert saved_counts(app) == before
    with database(app):
        ticket = ticket_of(resolved)
        assert ticket.status is Status.RESOLVED and ticket.satisfaction_score is None


def test_a_comment_over_2000_characters_is_refused_at_its_field(client, app, resolved):
    page = Page(rate(client, resolved, score="4", comment="好" * 2001))
    assert page.status == 422 and set(page.errors) == {"comment-error"}
    assert page.values["comment"] == "好" * 2001 and page.values["score"] == "4"
    with database(app):
        assert ticket_of(resolved).status is Status.RESOLVED


def test_rating_twice_gives_a_clear_message(client, app, resolved):
    rate(client, resolved, score="5")
    response = rate(client, resolved, token_from="/track", score="1")  # e.g. from a second tab
    assert response.status_code == 302
    page = Page(client.get(response.headers["Location"]))
    assert page.status == 200
    assert [category for category, _ in page.flashes] == ["error"]
    with database(app):
        ticket = ticket_of(resolved)
        assert ticket.status is Status.CLOSED and ticket.satisfaction_score == 5


def test_rating_needs_the_phone_proved_in_this_browser(app, resolved, other_browser):
    token = csrf_token(other_browser, "/track")
    response = other_browser.post(f"/track/{resolved}/rate", data={"csrf_token": token, "score": "1"})
    assert response.status_code == 302 and response.headers["Location"].startswith("/track?")
    with database(app):
        assert ticket_of(resolved).status is Status.RESOLVED


# === the SMS side effect ======================================================================

def outbox(app) -> list[tuple[str, str]]:
    with database(app) as session:
        return [(m.kind, m.to_number) for m in session.scalars(select(OutboxMessage))]


def test_a_consenting_mainland_mobile_gets_one_received_text(client, app, filed):
    filed(phone="138 0013 8000", sms_consent="y")
    assert [m for m in outbox(app) if m[0] == "received"] == [("received", "+8613800138000")]


@pytest.mark.parametrize("overrides", [
    {"phone": "+1 202 555 0143"},  # abroad: a public form must not text anywhere in the world
    {"sms_consent": None},  # the box left unticked
], ids=["foreign-number", "no-consent"])
def test_no_text_is_queued_without_consent_or_for_a_foreign_number(client, app, filed, overrides):
    filed(**overrides)
    assert saved_counts(app) == (1, 0)


def test_a_foreign_number_is_told_to_check_progress_online(client, app, filed):
    filed(phone="+1 202 555 0143")
    page = Page(client.get("/report/received"))
    assert translated(app, "We can only send text messages to mobile numbers in our region; "
                           "please check progress on this site.") in page.text
