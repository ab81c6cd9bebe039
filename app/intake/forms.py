"""Resident web forms. They carry the fields and the CSRF token; the services judge the values."""
from __future__ import annotations

from flask import request
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.datastructures import CombinedMultiDict
from wtforms.fields.choices import SelectChoice
from wtforms import BooleanField, RadioField, SelectField, StringField, TextAreaField


class TextOnlyForm(FlaskForm):
    """A form of text fields only. Flask-WTF would mix uploaded files into the form data, and a
    file sent under a field's name would then reach the services as an object instead of text."""

    class Meta:
        def wrap_formdata(self, form, formdata):
            formdata = super().wrap_formdata(form, formdata)
            return request.form if isinstance(formdata, CombinedMultiDict) else formdata


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
