"""The technician's forms. They carry the fields and the CSRF token; the services judge the values.

Photos are not a form field: TextOnlyForm never mixes files into the text, and the route hands
`request.files` to the photo service, which trusts nothing about them.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, SelectField, StringField, TextAreaField

from app.core.forms import TextOnlyForm


class WaitForm(TextOnlyForm):
    version = HiddenField()
    reason = TextAreaField(_l("Why wait? (for example: nobody at home)"))


class ResolveForm(TextOnlyForm):
    version = HiddenField()
    resolution_code = SelectField(_l("How was it resolved?"), coerce=str, validate_choice=False)
    measured_temp = StringField(_l("Indoor temperature measured (°C)"))
    note = TextAreaField(_l("Notes"))
