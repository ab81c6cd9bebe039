"""Error pages in the visitor's language; a database outage is a clear 503, never a hang or a 500 trace."""
from __future__ import annotations

import logging

from flask import Flask, render_template
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError, OperationalError
from werkzeug.exceptions import HTTPException

from app.extensions import db

log = logging.getLogger(__name__)

MESSAGES = {
    400: (_l("Something was wrong with that request"), _l("Please go back and try again.")),
    401: (_l("Please sign in"), _l("This page is for staff who have signed in.")),
    403: (_l("Not allowed"), _l("You do not have access to this page.")),
    404: (_l("Page not found"), _l("Check the web address, or start again from the home page.")),
    405: (_l("Not allowed"), _l("This page cannot be used that way.")),
    413: (
        _l("That was too large"),
        _l("What you sent is larger than we accept. Please shorten it and try again."),
    ),
    429: (
        _l("Too many attempts"),
        _l("Please wait a while and try again. In an emergency, call the service hotline."),
    ),
    500: (_l("Something went wrong on our side"), _l("Please try again in a minute.")),
    503: (
        _l("The service is briefly unavailable"),
        _l("Please try again in a minute. In an emergency, call the service hotline."),
    ),
}


def render_error(code: int, detail: str | None = None):
    title, message = MESSAGES.get(code, MESSAGES[500])
    return render_template("errors/error.html", code=code, title=title, message=detail or message), code


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def _csrf(error: CSRFError):
        return render_error(
            400, str(_l("The form expired or was sent from elsewhere. Please go back, reload the page and send it again."))
        )

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException):
        if error.code is None or error.code < 400:
            return error
        return render_error(error.code)

    @app.errorhandler(OperationalError)
    @app.errorhandler(DBAPIError)
    def _database_down(error: Exception):
        log.error("database unavailable: %s", error)
        try:
            db.session.rollback()
        except Exception:  # the connection may be gone as well
            log.debug("rollback after a database error failed too", exc_info=True)
        return render_error(503)

    @app.errorhandler(Exception)
    def _unexpected(error: Exception):
        log.exception("unhandled error")
        try:
            db.session.rollback()
        except Exception:
            log.debug("rollback after an error failed too", exc_info=True)
        return render_error(500)
