"""Configuration read from environment variables.

Every setting has a safe default so that `make run` works with no environment at all:
SQLite under `instance/`, jobs run inline, no SMS provider. Production refuses to start
without a SECRET_KEY.
"""
from __future__ import annotations

import secrets
from datetime import time, timedelta
from pathlib import Path
from typing import Any, Mapping

ENVIRONMENTS = ("development", "testing", "production")


class ConfigError(RuntimeError):
    """The environment does not describe a runnable app."""


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}") from exc


def _positive(env: Mapping[str, str], name: str, default: float) -> float:
    """A number above zero (fractions allowed: 0.5 days); anything else refuses to start."""
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be a number, got {raw!r}") from exc
    if not value > 0 or value == float("inf"):
        raise ConfigError(f"{name} must be above zero, got {raw!r}")
    return value


def _pattern(env: Mapping[str, str], name: str, default: str, parse, example: str) -> str:
    """A value that must parse (a time of day, a month-day): checked at start, not at the first ticket."""
    raw = env.get(name) or default
    try:
        parse(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must look like {example}, got {raw!r}") from exc
    return raw


def month_day(text: str) -> tuple[int, int]:
    """"10-15" → (10, 15): a usual heating-season date; ValueError if it is no day of the year."""
    from datetime import date

    month, day = (int(part) for part in text.split("-"))
    date(2000, month, day)  # a leap year: 02-29 is a valid usual date
    return month, day


def _bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def _dev_secret_key(instance_path: Path) -> str:
    """A random key kept under instance/, so development sessions survive a restart."""
    key_file = instance_path / "dev-secret-key"
    if key_file.exists():
        return key_file.read_text().strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    key_file.write_text(key)
    key_file.chmod(0o600)
    return key


def database_options(url: str) -> dict[str, Any]:
    """Engine options: a pre-pinged, bounded pool on PostgreSQL; a patient SQLite."""
    if url.startswith("sqlite"):
        return {"connect_args": {"timeout": 30, "check_same_thread": False}}
    return {
        "pool_pre_ping": True,
        "pool_size": 10,
        "max_overflow": 10,
        "pool_timeout": 5,
        "pool_recycle": 1800,
        # JIT compiling costs report queries hundreds of ms for nothing at this size: off for the app
        "connect_args": {"connect_timeout": 5, "options": "-c jit=off"},
    }


def normalise_database_url(url: str) -> str:
    """Accept the common postgres:// spellings and use the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def load_config(env: Mapping[str, str], instance_path: Path) -> dict[str, Any]:
    """Build the Flask config mapping from an environment (os.environ in production)."""
    name = env.get("HEATDESK_ENV", "production").strip().lower()
    if name not in ENVIRONMENTS:
        raise ConfigError(f"HEATDESK_ENV must be one of {', '.join(ENVIRONMENTS)}, got {name!r}")

    secret_key = env.get("SECRET_KEY", "")
    if not secret_key:
        if name == "production":
            raise ConfigError("SECRET_KEY must be set outside development and tests")
        secret_key = "testing-only-secret" if name == "testing" else _dev_secret_key(instance_path)

    default_db = f"sqlite:///{instance_path / 'heatdesk.sqlite3'}"
    database_url = normalise_database_url(env.get("DATABASE_URL") or default_db)
    redis_url = env.get("REDIS_URL") or None

    return {
        "HEATDESK_ENV": name,
        "TESTING": name == "testing",
        "DEBUG": False,
        "SECRET_KEY": secret_key,
        # Tests hash many demo users: a cheap method there, the strong default everywhere else.
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000" if name == "testing" else "scrypt",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SQLALCHEMY_ENGINE_OPTIONS": database_options(database_url),
        "REDIS_URL": redis_url,
        "RQ_QUEUE_PREFIX": env.get("RQ_QUEUE_PREFIX", "heatdesk-"),
        "JOB_ID_PREFIX": env.get("JOB_ID_PREFIX", ""),
        # Requests
        "MAX_CONTENT_LENGTH": _int(env, "MAX_CONTENT_LENGTH", 1024 * 1024),
        "TRUSTED_PROXIES": _int(env, "TRUSTED_PROXIES", 0),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": _bool(env, "SESSION_COOKIE_SECURE", name == "production"),
        "WTF_CSRF_TIME_LIMIT": 4 * 3600,
        # Rate limits (Flask-Limiter); Redis storage when REDIS_URL is set.
        "RATELIMIT_ENABLED": _bool(env, "RATELIMIT_ENABLED", True),
        "RATELIMIT_STORAGE_URI": env.get("RATELIMIT_STORAGE_URI") or redis_url or "memory://",
        "RATELIMIT_KEY_PREFIX": env.get("RATELIMIT_KEY_PREFIX", "heatdesk"),
        "RATELIMIT_HEADERS_ENABLED": True,
        "LIMIT_COMPLAINT_PER_ADDRESS": env.get("LIMIT_COMPLAINT_PER_ADDRESS", "30/hour;100/day"),
        "LIMIT_COMPLAINT_PER_PHONE": env.get("LIMIT_COMPLAINT_PER_PHONE", "5/hour;10/day"),
        "LIMIT_TRACK_PER_ADDRESS": env.get("LIMIT_TRACK_PER_ADDRESS", "20/minute;200/day"),
        "LIMIT_SURVEY_PER_ADDRESS": env.get("LIMIT_SURVEY_PER_ADDRESS", "20/minute;200/day"),
        "LIMIT_SIGN_IN_PER_ADDRESS": env.get("LIMIT_SIGN_IN_PER_ADDRESS", "30/hour"),
        "LIMIT_SIGN_IN_PER_ACCOUNT": env.get("LIMIT_SIGN_IN_PER_ACCOUNT", "5/15 minutes"),
        # Staff sessions end after this long without a request, and in any case after the shift.
        "STAFF_IDLE_MINUTES": _int(env, "STAFF_IDLE_MINUTES", 120),
        "STAFF_SESSION_HOURS": _int(env, "STAFF_SESSION_HOURS", 12),
        "REMEMBER_COOKIE_DURATION": timedelta(days=_int(env, "REMEMBER_DAYS", 14)),
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": _bool(env, "SESSION_COOKIE_SECURE", name == "production"),
        # The console warns of possible duplicates: open tickets at the same building or substation
        # within this many hours, from this many on (a failed substation brings hundreds of calls).
        "DUPLICATE_WINDOW_HOURS": _int(env, "DUPLICATE_WINDOW_HOURS", 6),
        "DUPLICATE_THRESHOLD": _int(env, "DUPLICATE_THRESHOLD", 2),
        # The utility
        "COMPANY_NAME": env.get("COMPANY_NAME", "包头热力"),
        "COMPANY_NAME_EN": env.get("COMPANY_NAME_EN", "Baotou Heating"),
        "DEFAULT_REGION": env.get("DEFAULT_REGION", "CN").upper(),
        "TIMEZONE": env.get("TIMEZONE", "Asia/Shanghai"),
        "MIN_INDOOR_TEMPERATURE": _int(env, "MIN_INDOOR_TEMPERATURE", 18),
        # Languages
        "LANGUAGES": ("zh_Hans", "en"),
        "BABEL_DEFAULT_LOCALE": env.get("DEFAULT_LOCALE", "zh_Hans"),
        "BABEL_DEFAULT_TIMEZONE": env.get("TIMEZONE", "Asia/Shanghai"),
        "BABEL_TRANSLATION_DIRECTORIES": str(Path(__file__).parent / "translations"),
        # SMS provider (none in the demo: messages are recorded as not sent)
        "TWILIO_ACCOUNT_SID": env.get("TWILIO_ACCOUNT_SID") or None,
        "TWILIO_AUTH_TOKEN": env.get("TWILIO_AUTH_TOKEN") or None,
        "TWILIO_FROM_NUMBER": env.get("TWILIO_FROM_NUMBER") or None,
        "TWILIO_MESSAGING_SERVICE_SID": env.get("TWILIO_MESSAGING_SERVICE_SID") or None,
        # Webhook signatures are checked against this public base URL (what Twilio calls), so a
        # proxy in front of the app does not break them; unset: the request's own URL.
        "PUBLIC_BASE_URL": (env.get("PUBLIC_BASE_URL") or "").rstrip("/") or None,
        "CALL_CENTRE_NUMBER": env.get("CALL_CENTRE_NUMBER") or None,  # the IVR's <Dial> target
        "SMS_CONVERSATION_MINUTES": _int(env, "SMS_CONVERSATION_MINUTES", 30),
        # The satisfaction loop: a survey nobody answers closes as "no response" after SURVEY_DAYS;
        # a resident who says it is not right is called back by a supervisor within CALLBACK_HOURS.
        "SURVEY_DAYS": _positive(env, "SURVEY_DAYS", 3),
        "CALLBACK_HOURS": _positive(env, "CALLBACK_HOURS", 4),
        # SLA escalation: the assignee is warned at this share of a clock's time, the team supervisor
        # at the breach, and the duty manager (if a number is set) at the second share.
        "SLA_WARNING_PERCENT": _int(env, "SLA_WARNING_PERCENT", 80),
        "SLA_DUTY_MANAGER_PERCENT": _int(env, "SLA_DUTY_MANAGER_PERCENT", 150),
        "DUTY_MANAGER_PHONE": env.get("DUTY_MANAGER_PHONE") or None,
        # The calendars: working hours for billing and service questions; the usual heating season
        # (a year's own dates are set by administrators and take precedence)
        "BUSINESS_OPENS": _pattern(env, "BUSINESS_OPENS", "08:30", time.fromisoformat, "08:30"),
        "BUSINESS_CLOSES": _pattern(env, "BUSINESS_CLOSES", "17:30", time.fromisoformat, "17:30"),
        "HEATING_SEASON_STARTS": _pattern(env, "HEATING_SEASON_STARTS", "10-15", month_day, "10-15"),
        "HEATING_SEASON_ENDS": _pattern(env, "HEATING_SEASON_ENDS", "04-15", month_day, "04-15"),
    }
