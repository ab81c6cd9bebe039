"""Security headers on every response, and trust in proxy headers only when configured."""
from __future__ import annotations

from flask import Flask, Response, abort, request
from werkzeug.middleware.proxy_fix import ProxyFix

CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def _headers(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
    if request.is_secure:
        response.headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
    if request.endpoint != "static" and not response.cache_control.private:
        # Pages carry residents' data and one-time form tokens: never keep them in a cache. A view
        # that serves something one signed-in viewer may keep (a photo) marks it private itself.
        response.headers["Cache-Control"] = "no-store"
    return response


def _refuse_nul_in_query() -> None:
    """A NUL byte in the query string is never legitimate (PostgreSQL would refuse it anyway)."""
    if any("\x00" in key or "\x00" in value for key, value in request.args.items(multi=True)):
        abort(400)


def init_app(app: Flask) -> None:
    app.before_request(_refuse_nul_in_query)
    hops = app.config.get("TRUSTED_PROXIES", 0)
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops)
    app.after_request(_headers)
