"""The report filter form: a GET form that only reads, so no CSRF token in the address bar.
It carries and redisplays the values; `app.analytics.filters.parse_filters` judges them."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import SelectField, StringField

from app.core.forms import TextOnlyForm


class ReportFilterForm(TextOnlyForm):
    class Meta:
        csrf = False

    start = StringField(_l("First day"))
    end = StringField(_l("Last day"))
    team = SelectField(_l("Team"), coerce=str, validate_choice=False)
    district = SelectField(_l("District"), coerce=str, validate_choice=False)
    category = SelectField(_l("Problem"), coerce=str, validate_choice=False)
    categories = SelectField(_l("Problems counted"), coerce=str, validate_choice=False)
