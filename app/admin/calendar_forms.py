"""Forms of the SLA calendars pages. They carry the fields and the CSRF token; `app.admin.calendars` judges
the values (field names match its input dataclasses, so each message lands at its field)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.widgets import DateInput

from app.core.forms import TextOnlyForm


class SeasonForm(TextOnlyForm):
    starts_on = StringField(_l("First day of heating"), widget=DateInput(),
                            description=_l("For example 2026-10-15."))
    ends_on = StringField(_l("Last day of heating"), widget=DateInput(),
                          description=_l("For example 2027-04-15."))


class DayForm(TextOnlyForm):
    day = StringField(_l("Date"), widget=DateInput(), description=_l("For example 2026-10-01."))
    kind = SelectField(_l("Kind"), coerce=str, validate_choice=False)
    name = StringField(_l("Name"), description=_l("For example 国庆节, or 国庆节调休 for a working day."))


class DayImportForm(TextOnlyForm):
    """The pasted lines and the options; an uploaded file is read from the request."""

    lines = TextAreaField(_l("Lines"))
    check_only = BooleanField(_l("Only check the lines, save nothing"), default=False)
