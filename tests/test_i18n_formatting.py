"""Due times are written out by hand for speed; Babel's own patterns are the specification."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from flask_babel import force_locale, format_datetime
from hypothesis import given, settings
from hypothesis import strategies as st

from app.core.i18n import format_when

PATTERNS = {"zh_Hans": "M月d日 HH:mm", "en": "d MMM HH:mm"}
moments = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(timezone.utc))


@pytest.mark.parametrize("language", PATTERNS)
@settings(max_examples=200, deadline=None)
@given(moment=moments)
def test_a_due_time_reads_as_babel_writes_it_in_the_company_zone(app, language, moment):
    with app.test_request_context(), force_locale(language):
        assert format_when(moment) == format_datetime(moment, PATTERNS[language])


@pytest.mark.parametrize(("language", "expected"), [("zh_Hans", "1月1日 07:59"), ("en", "1 Jan 07:59")])
def test_the_last_minute_of_a_utc_year_is_new_years_morning_in_shanghai(app, language, expected):
    with app.test_request_context(), force_locale(language):
        assert format_when(datetime(2026, 12, 31, 23, 59, tzinfo=timezone.utc)) == expected


def test_no_time_is_an_empty_text(app):
    with app.test_request_context():
        assert format_when(None) == ""
