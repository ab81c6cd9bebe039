"""Heatdesk: the complaint service desk of a district-heating utility."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Mapping

from flask import Flask

ROOT = Path(__file__).resolve().parent.parent


def _feature_route_modules():
    """Every feature's routes module: each declares its blueprint `bp` (and its NAV links)."""
    from app.admin import routes as admin
    from app.analytics import routes as analytics
    from app.auth import routes as auth
    from app.console import routes as console
    from app.core import routes as core
    from app.field import routes as field
    from app.intake import routes as intake
    from app.messaging import routes as messaging
    from app.reports import live_routes as live
    from app.reports import routes as reports
    from app.satisfaction import routes as survey
    from app.tickets import routes as tickets
    from app.webhooks import routes as sms_webhooks
    from app.webhooks import status_routes as twilio_status
    from app.webhooks import voice_routes as voice

    return [core, intake, auth, tickets, console, field, reports, admin, voice, messaging, twilio_status, sms_webhooks,
            survey, analytics, live]


def create_app(overrides: Mapping[str, Any] | None = None, env: Mapping[str, str] | None = None) -> Flask:
    """Build the app: read config, bind extensions, register blueprints, CLI and error handlers."""
    from app import cli, models  # noqa: F401  (models: every table registered before use)
    from app.auth import sessions
    from app.config import load_config
    from app.core import access, database, http_errors, security, templating
    from app.extensions import babel, csrf, db, limiter, login_manager, migrate
    from app.core.i18n import select_locale
    from app.jobs import queue

    app = Flask(
        __name__,
        instance_path=os.environ.get("HEATDESK_INSTANCE_PATH") or str(ROOT / "instance"),
        template_folder=str(ROOT / "templates"),
        static_folder="static",
    )
    app.config.from_mapping(load_config(os.environ if env is None else env, Path(app.instance_path)))
    if overrides:
        app.config.update(overrides)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    db.init_app(app)
    database.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    limiter.init_app(app)
    login_manager.init_app(app)
    sessions.init_app(app)
    queue.init_app(app)
    security.init_app(app)
    templating.init_app(app)
    http_errors.init_app(app)

    from app.core import navigation

    for module in _feature_route_modules():
        app.register_blueprint(module.bp)
        navigation.register(app, module)
    access.init_app(app)
    cli.init_app(app)
    return app
