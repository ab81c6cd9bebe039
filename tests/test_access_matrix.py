"""Every route has an access rule, and every role and an anonymous visitor get exactly what it says.

The list of routes comes from the app's URL map, so a new route is checked as soon as it exists,
and a route without a rule fails here (the app also refuses to serve it).
"""
from __future__ import annotations

import re

import pytest

from app.core.access import PUBLIC, rule_for
from tests.conftest import csrf_token_of

VISITORS = {"anonymous": None, "agent": "agent", "technician": "wang", "supervisor": "zhao", "admin": "admin"}
SAMPLE_VALUES = {"action": "note", "code": "en", "filename": "css/heatdesk.css", "path": "css/heatdesk.css"}


def all_routes(app):
    for rule in app.url_map.iter_rules():
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            yield rule, method


def test_every_route_declares_an_access_rule(app):
    missing = sorted({rule.endpoint for rule, _ in all_routes(app) if rule_for(app, rule.endpoint) is None})
    assert missing == []


@pytest.fixture
def url_for_rule(make_ticket):
    ticket = make_ticket()

    def build(rule) -> str:
        url = rule.rule
        for name in rule.arguments:
            value = ticket.reference if name == "reference" else SAMPLE_VALUES.get(name, "1")
            url = re.sub(r"<(?:[^:<>]+:)?%s>" % name, value, url)
        return url

    return build


@pytest.mark.parametrize("visitor", list(VISITORS))
def test_each_visitor_gets_what_each_rule_says(app, staff_client, url_for_rule, visitor):
    username = VISITORS[visitor]
    failures = []
    for rule, method in all_routes(app):
        access = rule_for(app, rule.endpoint)
        client = staff_client(username) if username else app.test_client()
        url = url_for_rule(rule)
        if method == "GET":
            response = client.get(url)
        else:
            token = csrf_token_of(client.get("/staff/sign-in" if not username else "/report").get_data(as_text=True))
            response = client.open(url, method=method, data={"csrf_token": token})
        status = response.status_code
        if access == PUBLIC and rule.rule.startswith("/twilio/"):
            allowed = status == 403  # public to Twilio only: an unsigned request is refused
        elif access == PUBLIC:  # (a failed sign-in answers 401: that is the form's answer, not a rule's)
            allowed = status != 403 and status < 500
        elif username is None:
            allowed = status == 401 or (status == 302 and "/staff/sign-in" in response.headers["Location"])
        elif visitor in access:
            allowed = status not in (401, 403) and status < 500
        else:
            allowed = status == 403
        if not allowed:
            failures.append(f"{method} {url} ({rule.endpoint}, rule {access}) as {visitor}: {status}")
    assert failures == []
