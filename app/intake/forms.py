"""Resident web forms. They carry the fields and the CSRF token; the services judge the values."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice

from app.core.forms import TextOnlyForm


class ComplaintForm(TextOnlyForm):
    name = StringField(_l("Your name"))
    phone = StringField(_l("Phone number"))
    account_number = StringField(_l("Account number (on your heating bill)"))
    district = SelectField(_l("District"), coerce=str, validate_choice=False)
    building = StringField(_l("Compound and building"))
    unit = StringField(_l("Unit"))
    flat = StringField(_l("Flat"))
    category = SelectField(_l("What is the problem?"), coerce=str, validate_choice=False)
    indoor_temp = StringField(_l("Indoor temperature (°C, optional)"))
    description = TextAreaField(_l("Describe the problem"))
    sms_consent = BooleanField(_l("Send me SMS updates about this complaint"), default=True)


class TrackForm(TextOnlyForm):
    reference = StringField(_l("Ticket reference"))
    phone = StringField(_l("Phone number you gave"))


SCORE_CHOICES = [
    SelectChoice("5", _l("5 – very satisfied")),
    SelectChoice("4", _l("4 – satisfied")),
    SelectChoice("3", _l("3 – neutral")),
    SelectChoice("2", _l("2 – dissatisfied")),
    SelectChoice("1", _l("1 – very dissatisfied")),
]


class RatingForm(TextOnlyForm):
    score = RadioField(_l("How satisfied are you?"), choices=SCORE_CHOICES, validate_choice=False)
    comment = TextAreaField(_l("Comment (optional)"))
