"""The web layer's defences: headers, CSRF, size and rate limits, access rules, clear error pages."""
from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import event
from sqlalchemy.exc import OperationalError

from app.core.access import rule_for
from app.extensions import db
from app.tickets.models import Status
from tests.test_resident_pages import (  # noqa: F401  (fixtures used by name)
    ACCEPT,
    HTML_LANG,
    Page,
    assert_nothing_saved,
    complaint_form,
    csrf_token,
    database,
    file_complaint,
    filed,
    resolved,
    saved_counts,
    ticket_of,
    translated,
    track,
)

PAGES = [
    "/", "/report", "/track", "/report/received", "/track/1234567890", "/lang/en?next=/",
    "/healthz", "/no-such-page", "/static/css/heatdesk.css",
]


def assert_clear_page(app, response, code: int, title: str, message: str | None = None,
                      lang: str = "zh_Hans") -> Page:
    """The site's own error page: the status, its title and message in the visitor's language."""
    page = Page(response)
    assert page.status == code
    assert response.mimetype == "text/html"
    assert page.lang == HTML_LANG[lang]
    assert page.h1 == translated(app, title, lang)
    if message is not None:
        assert translated(app, message, lang) in page.text
    assert "Traceback" not in page.text
    return page


def csp(response) -> dict[str, list[str]]:
    directives = [d.split() for d in response.headers["Content-Security-Policy"].split(";") if d.strip()]
    return {d[0]: d[1:] for d in directives}


# === headers ==================================================================================

@pytest.mark.parametrize("path", PAGES)
def test_every_response_carries_the_security_headers(client, network, path):
    response = client.get(path)
    policy = csp(response)
    scripts = policy.get("script-src", policy["default-src"])
    assert "'unsafe-inline'" not in scripts and "'unsafe-eval'" not in scripts
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["object-src"] == ["'none'"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("path", ["/", "/report", "/track", "/no-such-page"])
def test_pages_hold_no_inline_script_or_style_the_policy_would_block(client, network, path):
    text = client.get(path).get_data(as_text=True)
    assert "<script" not in text and " style=" not in text and "<style" not in text
    assert not re.search(r"<[^>]*\son[a-z]+\s*=", text)  # no onclick= and the like


def test_the_confirmation_and_status_pages_are_never_cached(client, filed):
    reference = filed()
    for path in ("/report/received", f"/track/{reference}"):
        response = client.get(path)
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == "no-store"


def test_hsts_is_sent_over_https(client):
    response = client.get("/", base_url="https://heatdesk.test")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_hsts_is_not_sent_over_plain_http(client):
    assert "Strict-Transport-Security" not in client.get("/").headers


def test_the_session_cookie_is_out_of_reach_of_scripts_and_other_sites(client):
    cookie = client.get("/report").headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


# === CSRF =====================================================================================

CSRF_REFUSED = ("Something was wrong with that request",
                "The form expired or was sent from elsewhere. Please go back, reload the page and send it again.")


@pytest.fixture
def token_of_another_browser(app):
    return csrf_token(app.test_client(), "/report")


@pytest.mark.parametrize("token", ["missing", "bad", "another-browser"])
def test_a_complaint_without_this_browsers_csrf_token_is_refused(client, app, complaint_form,
                                                                 token_of_another_browser, token):
    client.get("/report")  # the browser has a session and a token of its own
    data = complaint_form()
    if token != "missing":
        data["csrf_token"] = {"bad": "not-a-token", "another-browser": token_of_another_browser}[token]
    assert_clear_page(app, client.post("/report", data=data), 400, *CSRF_REFUSED)
    assert_nothing_saved(app)


def test_tracking_without_a_csrf_token_is_refused(client, app, filed):
    reference = filed()
    other = app.test_client()
    response = other.post("/track", data={"reference": reference, "phone": "13800138000"})
    assert_clear_page(app, response, 400, *CSRF_REFUSED)
    assert other.get(f"/track/{reference}").status_code == 302  # nothing was unlocked


def test_a_rating_without_a_csrf_token_is_refused(client, app, resolved):
    response = client.post(f"/track/{resolved}/rate", data={"score": "1"})
    assert_clear_page(app, response, 400, *CSRF_REFUSED)
    with database(app):
        assert ticket_of(resolved).status is Status.RESOLVED


# === size and rate limits =====================================================================

def test_a_body_over_the_size_limit_gets_a_clear_413(client, app, complaint_form):
    too_long = "冷" * (app.config["MAX_CONTENT_LENGTH"] // 3 + 1)  # three bytes each in UTF-8
    response = file_complaint(client, complaint_form(description=too_long))
    assert_clear_page(app, response, 413, "That was too large",
                      "What you sent is larger than we accept. Please shorten it and try again.")
    assert_nothing_saved(app)


@pytest.fixture
def limits(app, monkeypatch):
    """Set rate limits for one test; the views read them at request time. Restored afterwards."""
    names = ("LIMIT_COMPLAINT_PER_ADDRESS", "LIMIT_COMPLAINT_PER_PHONE", "LIMIT_TRACK_PER_ADDRESS")
    saved = {name: app.config[name] for name in names}
    yield app.config.update
    app.config.update(saved)


TOO_MANY = ("Too many attempts", "Please wait a while and try again. In an emergency, call the service hotline.")
PHONES = ["138 0013 8000", "139 1234 5678", "137 0000 1111", "136 2222 3333"]


def test_one_address_is_limited_whatever_phone_it_gives(client, app, complaint_form, limits):
    limits(LIMIT_COMPLAINT_PER_ADDRESS="3/hour", LIMIT_COMPLAINT_PER_PHONE="100/hour")
    for phone in PHONES[:3]:
        assert file_complaint(client, complaint_form(phone=phone)).status_code == 302
    response = file_complaint(client, complaint_form(phone=PHONES[3]))
    assert_clear_page(app, response, 429, *TOO_MANY)
    assert saved_counts(app)[0] == 3


def test_another_address_is_not_held_back_by_the_first(client, app, complaint_form, limits):
    limits(LIMIT_COMPLAINT_PER_ADDRESS="1/hour", LIMIT_COMPLAINT_PER_PHONE="100/hour")
    assert file_complaint(client, complaint_form(phone=PHONES[0])).status_code == 302
    elsewhere = {"REMOTE_ADDR": "203.0.113.9"}
    assert file_complaint(client, complaint_form(phone=PHONES[1]), environ_base=elsewhere).status_code == 302


def test_one_phone_is_limited_whatever_address_or_format_it_comes_with(client, app, complaint_form, limits):
    limits(LIMIT_COMPLAINT_PER_ADDRESS="100/hour", LIMIT_COMPLAINT_PER_PHONE="2/hour")
    formats = ["138 0013 8000", "+86 138-0013-8000", "13800138000"]
    for i, phone in enumerate(formats[:2]):
        response = file_complaint(client, complaint_form(phone=phone), environ_base={"REMOTE_ADDR": f"203.0.113.{i}"})
        assert response.status_code == 302
    response = file_complaint(client, complaint_form(phone=formats[2]), environ_base={"REMOTE_ADDR": "198.51.100.7"})
    assert_clear_page(app, response, 429, *TOO_MANY)
    assert saved_counts(app)[0] == 2


def test_a_resident_correcting_mistakes_is_not_locked_out_by_the_phone_limit(client, complaint_form, limits):
    limits(LIMIT_COMPLAINT_PER_ADDRESS="100/hour", LIMIT_COMPLAINT_PER_PHONE="2/hour")
    for _ in range(3):
        assert file_complaint(client, complaint_form(name="")).status_code == 422
    assert file_complaint(client, complaint_form()).status_code == 302


def test_nobody_can_lock_a_phone_number_out_with_refused_forms(client, app, complaint_form, limits):
    limits(LIMIT_COMPLAINT_PER_ADDRESS="100/hour", LIMIT_COMPLAINT_PER_PHONE="2/hour")
    for i in range(3):  # someone else's phone number, on forms that are never accepted
        file_complaint(client, complaint_form(category=""), environ_base={"REMOTE_ADDR": f"203.0.113.{i}"})
    victim = app.test_client()
    assert file_complaint(victim, complaint_form(), environ_base={"REMOTE_ADDR": "198.51.100.7"}).status_code == 302


def test_residents_who_leave_the_phone_empty_do_not_share_one_limit(client, complaint_form, limits):
    limits(LIMIT_COMPLAINT_PER_ADDRESS="100/hour", LIMIT_COMPLAINT_PER_PHONE="2/hour")
    for i in range(3):
        response = file_complaint(client, complaint_form(phone=""), environ_base={"REMOTE_ADDR": f"203.0.113.{i}"})
        assert response.status_code == 422


def test_reading_the_form_is_not_rate_limited(client, network, limits):
    limits(LIMIT_COMPLAINT_PER_ADDRESS="1/hour")
    assert {client.get("/report").status_code for _ in range(3)} == {200}


def test_tracking_is_limited_per_address(client, app, filed, limits):
    reference = filed()
    limits(LIMIT_TRACK_PER_ADDRESS="2/minute")
    for _ in range(2):
        assert track(client, reference, "139 1234 5678").status_code == 404
    assert_clear_page(app, track(client, reference, "138 0013 8000"), 429, *TOO_MANY)


# === access rules =============================================================================

def test_every_route_declares_who_may_use_it(app):
    missing = [rule.rule for rule in app.url_map.iter_rules() if rule_for(app, rule.endpoint) is None]
    assert missing == []


# === error pages ==============================================================================

@pytest.mark.parametrize("lang", ["zh_Hans", "en"])
def test_an_unknown_address_gets_the_not_found_page_in_the_visitors_language(client, app, lang):
    response = client.get("/no/such/page", headers={"Accept-Language": ACCEPT[lang]})
    assert_clear_page(app, response, 404, "Page not found",
                      "Check the web address, or start again from the home page.", lang)


def test_a_wrong_method_gets_a_clear_405(client, app):
    assert_clear_page(app, client.put("/report"), 405, "Not allowed")


class Outage:
    """Every statement fails as if the database server had gone away, until `end()`."""

    def __init__(self, engine):
        self.engine = engine
        event.listen(engine, "before_cursor_execute", self._refuse)

    @staticmethod
    def _refuse(*_args, **_kwargs):
        raise OperationalError("SELECT …", {}, ConnectionRefusedError("connection refused"))

    def end(self) -> None:
        if event.contains(self.engine, "before_cursor_execute", self._refuse):
            event.remove(self.engine, "before_cursor_execute", self._refuse)


@pytest.fixture
def database_down(app):
    with app.app_context():
        outage = Outage(db.engine)
    yield outage
    outage.end()


DOWN = ("The service is briefly unavailable",
        "Please try again in a minute. In an emergency, call the service hotline.")


@pytest.mark.parametrize("path", ["/report", "/healthz"])
def test_a_database_failure_shows_a_clear_503(client, app, network, database_down, path):
    assert_clear_page(app, client.get(path), 503, *DOWN)


def test_a_complaint_sent_while_the_database_is_down_gets_a_clear_503(client, app, complaint_form, request):
    token = csrf_token(client, "/report")
    request.getfixturevalue("database_down")
    assert_clear_page(app, client.post("/report", data={"csrf_token": token, **complaint_form()}), 503, *DOWN)


def test_the_site_works_again_once_the_database_is_back(client, network, database_down):
    assert client.get("/report").status_code == 503
    database_down.end()
    assert client.get("/report").status_code == 200


# --- bad input is never a 500 -----------------------------------------------------------------

def _post_form(body: bytes, content_type: str = "application/x-www-form-urlencoded"):
    def send(client, token):
        return client.post("/report", data=b"csrf_token=" + token.encode() + b"&" + body, content_type=content_type)
    return send


ODD_REQUESTS = {
    "5000-char reference": lambda c, t: c.get("/track/" + "9" * 5000),
    "5000-char reference, rating": lambda c, t: c.post("/track/" + "9" * 5000 + "/rate",
                                                         data={"csrf_token": t, "score": "5"}),
    "odd characters in the reference": lambda c, t: c.get("/track/%E2%80%AE%00%FF..%2F"),
    "5000-char reference in the query": lambda c, t: c.get("/track?reference=" + "9" * 5000),
    "NUL in the query": lambda c, t: c.get("/report?x=%00&reference=%00"),
    "NUL in the tracking query": lambda c, t: c.get("/track?reference=%00"),
    "NUL in the language switch": lambda c, t: c.get("/lang/en?next=/%00"),
    "NUL as the language": lambda c, t: c.get("/lang/%00?next=/"),
    "raw non-UTF-8 bytes in the form": _post_form(b"name=\xff\xfe\xfd&phone=13800138000&category=no_heat"),
    "escaped non-UTF-8 bytes in the form": _post_form(b"name=%ff%fe&phone=%c0%af&building=%ed%a0%80&category=%ff"),
    "a form as text/plain": _post_form(b"name=x", content_type="text/plain"),
    "a file where a field should be": lambda c, t: c.post("/report", content_type="multipart/form-data", data={
        "csrf_token": t, "phone": "13800138000", "category": "no_heat",
        **{field: (io.BytesIO(b"\x00\xff"), "x.bin") for field in ("name", "building", "description")}}),
    "a file where the reference should be": lambda c, t: c.post("/track", content_type="multipart/form-data", data={
        "csrf_token": t, "phone": "13800138000", "reference": (io.BytesIO(b"1234567890"), "ref.txt")}),
    "a 5000-char tracking attempt": lambda c, t: c.post("/track", data={
        "csrf_token": t, "reference": "１" * 5000, "phone": "+" * 5000}),
    "a garbled Accept-Language": lambda c, t: c.get("/report", headers={"Accept-Language": "zh;q=abc,,;;en-"}),
}


@pytest.mark.parametrize("send", ODD_REQUESTS.values(), ids=ODD_REQUESTS.keys())
def test_odd_requests_are_never_a_server_error(client, app, network, send):
    token = csrf_token(client, "/report")
    response = send(client, token)
    assert response.status_code < 500
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    if response.status_code >= 400:
        assert "Traceback" not in response.get_data(as_text=True)


def test_raw_non_utf8_bytes_are_refused_with_the_clear_page_and_save_nothing(client, app, network):
    send = ODD_REQUESTS["raw non-UTF-8 bytes in the form"]
    assert_clear_page(app, send(client, csrf_token(client, "/report")), 400, "Something was wrong with that request")
    assert_nothing_saved(app)


def test_a_file_sent_in_place_of_a_text_field_counts_as_no_text(client, app, complaint_form):
    form = complaint_form(name=(io.BytesIO("张桂兰".encode()), "name.txt"))
    page = Page(file_complaint(client, form, content_type="multipart/form-data"))
    assert page.status == 422 and set(page.errors) == {"name-error"}
    assert_nothing_saved(app)


def test_a_file_sent_in_place_of_the_score_counts_as_no_score(client, app, resolved):
    token = csrf_token(client, f"/track/{resolved}")
    response = client.post(f"/track/{resolved}/rate", content_type="multipart/form-data",
                           data={"csrf_token": token, "score": (io.BytesIO(b"5"), "score.txt")})
    assert Page(response).errors.keys() == {"score-error"}
    with database(app):
        assert ticket_of(resolved).status is Status.RESOLVED


def test_a_nul_byte_in_any_query_parameter_is_a_clear_400(client):
    response = client.get("/track?reference=%00123")
    assert response.status_code == 400
    assert "<h1>" in response.get_data(as_text=True)
