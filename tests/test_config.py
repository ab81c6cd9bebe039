"""Configuration comes from the environment with safe defaults."""
from __future__ import annotations

import pytest

from app.config import ConfigError, load_config


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        load_config({}, tmp_path)


def test_the_default_environment_is_production(tmp_path):
    config = load_config({"SECRET_KEY": "s" * 40}, tmp_path)
    assert config["HEATDESK_ENV"] == "production"
    assert config["SESSION_COOKIE_SECURE"] is True


def test_development_keeps_a_generated_secret_key_under_instance(tmp_path):
    first = load_config({"HEATDESK_ENV": "development"}, tmp_path)["SECRET_KEY"]
    second = load_config({"HEATDESK_ENV": "development"}, tmp_path)["SECRET_KEY"]
    assert first == second and len(first) >= 40
    assert (tmp_path / "dev-secret-key").stat().st_mode & 0o077 == 0


def test_the_default_database_is_sqlite_under_instance_and_jobs_run_inline(tmp_path):
    config = load_config({"HEATDESK_ENV": "development"}, tmp_path)
    assert config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'heatdesk.sqlite3'}"
    assert config["REDIS_URL"] is None
    assert config["RATELIMIT_STORAGE_URI"] == "memory://"


@pytest.mark.parametrize("url", ["postgres://u@h/db", "postgresql://u@h/db"])
def test_postgres_urls_use_psycopg_3_with_a_pre_pinged_pool(tmp_path, url):
    config = load_config({"HEATDESK_ENV": "development", "DATABASE_URL": url}, tmp_path)
    assert config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@h/db"
    assert config["SQLALCHEMY_ENGINE_OPTIONS"]["pool_pre_ping"] is True
    assert config["SQLALCHEMY_ENGINE_OPTIONS"]["connect_args"]["connect_timeout"] == 5


def test_rate_limits_are_kept_in_redis_when_redis_is_configured(tmp_path):
    config = load_config({"HEATDESK_ENV": "development", "REDIS_URL": "redis://r:6379/2"}, tmp_path)
    assert config["RATELIMIT_STORAGE_URI"] == "redis://r:6379/2"


@pytest.mark.parametrize(("env", "message"), [({"HEATDESK_ENV": "staging"}, "HEATDESK_ENV"),
                                              ({"HEATDESK_ENV": "development", "MAX_CONTENT_LENGTH": "lots"},
                                               "MAX_CONTENT_LENGTH"),
                                              ({"HEATDESK_ENV": "development", "BUSINESS_OPENS": "8.30am"},
                                               "BUSINESS_OPENS"),
                                              ({"HEATDESK_ENV": "development", "HEATING_SEASON_STARTS": "10-32"},
                                               "HEATING_SEASON_STARTS")])
def test_a_bad_setting_is_named(tmp_path, env, message):
    with pytest.raises(ConfigError, match=message):
        load_config(env, tmp_path)


def test_a_request_body_is_limited_by_default(tmp_path):
    assert load_config({"HEATDESK_ENV": "development"}, tmp_path)["MAX_CONTENT_LENGTH"] == 1024 * 1024
