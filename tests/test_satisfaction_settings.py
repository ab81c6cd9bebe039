"""SURVEY_DAYS and CALLBACK_HOURS: defaults, fractions, and a clear refusal of anything not above zero."""
from __future__ import annotations

import pytest

from app.config import ConfigError, load_config

DEV = {"HEATDESK_ENV": "development"}


def test_surveys_wait_three_days_and_call_backs_are_due_in_four_hours_by_default(tmp_path):
    config = load_config(DEV, tmp_path)

    assert (config["SURVEY_DAYS"], config["CALLBACK_HOURS"]) == (3, 4)


def test_fractions_are_accepted(tmp_path):
    config = load_config({**DEV, "SURVEY_DAYS": "1.5", "CALLBACK_HOURS": "0.5"}, tmp_path)

    assert (config["SURVEY_DAYS"], config["CALLBACK_HOURS"]) == (1.5, 0.5)


@pytest.mark.parametrize("name", ["SURVEY_DAYS", "CALLBACK_HOURS"])
@pytest.mark.parametrize("raw", ["0", "-1", "three", "nan", "inf"])
def test_a_setting_not_above_zero_is_refused_by_name(tmp_path, name, raw):
    with pytest.raises(ConfigError, match=name):
        load_config({**DEV, name: raw}, tmp_path)
