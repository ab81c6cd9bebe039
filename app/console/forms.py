"""Console forms. They carry the fields (and the CSRF token where they change something);
the services judge the values."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, HiddenField, SelectField, StringField, TextAreaField

from app.core.forms import TextOnlyForm


class _SearchForm(TextOnlyForm):
    """A GET form that only reads: no CSRF token in the address bar."""

    class Meta:
        csrf = False


class LookupForm(_SearchForm):
    q = StringField(_l("Phone or account number"))
    district = SelectField(_l("District"), coerce=str, validate_choice=False)
    building = StringField(_l("Compound and building"))
    unit = StringField(_l("Unit"))
    flat = StringField(_l("Flat"))


class CallForm(TextOnlyForm):
    """A phone complaint, typed by the agent while the resident talks."""

    name = StringField(_l("Caller's name"))
    phone = StringField(_l("Phone number"))
    sms_consent = BooleanField(_l("The caller agrees to SMS updates"))
    account_number = StringField(_l("Account number"))
    district = SelectField(_l("District"), coerce=str, validate_choice=False)
    building = StringField(_l("Compound and building"))
    unit = StringField(_l("Unit"))
    flat = StringField(_l("Flat"))
    category = SelectField(_l("Problem"), coerce=str, validate_choice=False)
    description = TextAreaField(_l("What the caller says"))
    indoor_temp = StringField(_l("Indoor temperature (°C)"))
    # The duplicate warnings the agent has already seen for this call (see duplicates.Duplicates.tokens).
    seen = HiddenField()


class AddCallForm(TextOnlyForm):
    """Another call about an open ticket: a note, no new ticket."""

    note = StringField(_l("Note about this call (optional)"))


class QueueForm(_SearchForm):
    q = StringField(_l("Search"))
    status = SelectField(_l("Status"), coerce=str, validate_choice=False)
    district = SelectField(_l("District"), coerce=str, validate_choice=False)
    team = SelectField(_l("Team"), coerce=str, validate_choice=False)
    category = SelectField(_l("Problem"), coerce=str, validate_choice=False)
    priority = SelectField(_l("Priority"), coerce=str, validate_choice=False)
    sla = SelectField(_l("Service commitment"), coerce=str, validate_choice=False)
    sort = SelectField(_l("Order"), coerce=str, validate_choice=False)
