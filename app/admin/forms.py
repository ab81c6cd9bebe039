"""Administration forms. They carry the fields and the CSRF token; the services judge the values.

Field names match the services' input dataclasses, so a service's error lands on its field.
"""
from __future__ import annotations

import dataclasses
import typing

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.widgets import CheckboxInput, ListWidget

from app.core.forms import TextOnlyForm


def _select(label, **kwargs) -> SelectField:
    return SelectField(label, coerce=str, validate_choice=False, **kwargs)


class DistrictForm(TextOnlyForm):
    code = StringField(_l("Code"), description=_l("Short and stable, for example kundulun."))
    name = StringField(_l("Name (Chinese)"), description=_l("For example 昆都仑区."))
    name_en = StringField(_l("Name (English)"), description=_l("For example Kundulun."))


class SubstationForm(TextOnlyForm):
    district_id = _select(_l("District"))
    code = StringField(_l("Code"), description=_l("Short and stable, for example kdl-1."))
    name = StringField(_l("Name"), description=_l("For example 昆都仑区1号换热站."))


class BuildingForm(TextOnlyForm):
    substation_id = _select(_l("Substation"))
    name = StringField(_l("Compound and building"), description=_l(
        "As residents write it, for example 阿尔丁小区3号楼. Intake recognises 阿尔丁3栋 and 阿尔丁小区3# as the "
        "same building."))
    street_address = StringField(_l("Street address (optional)"))


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class TeamForm(TextOnlyForm):
    name = StringField(_l("Name (Chinese)"), description=_l("For example 昆都仑区维修班组."))
    name_en = StringField(_l("Name (English, optional)"))
    district_ids = MultiCheckboxField(_l("Districts served"), coerce=str, validate_choice=False,
                                      description=_l("A district is served by exactly one team."))
    move_districts = BooleanField(_l("Move these districts to this team"), description=_l(
        "Tick to take a district from the team that serves it now."))


class UserForm(TextOnlyForm):
    family_name = StringField(_l("Family name"))
    given_name = StringField(_l("Given name"))
    role = _select(_l("Role"))
    team_id = _select(_l("Team"), description=_l("Technicians and supervisors only."))
    phone = StringField(_l("Phone (optional)"))


class NewUserForm(UserForm):
    username = StringField(_l("Username"), description=_l("Lower-case letters and digits, for example wangjg."))
    password = PasswordField(_l("Password"), description=_l(
        "At least 8 characters, not a common password, not containing the username."))
    password_confirm = PasswordField(_l("Password again"))


class PasswordForm(TextOnlyForm):
    password = PasswordField(_l("New password"), description=_l(
        "At least 8 characters, not a common password, not containing the username. Their sessions end."))
    password_confirm = PasswordField(_l("New password again"))


class CategoryForm(TextOnlyForm):
    code = StringField(_l("Code"), description=_l("Short and stable, for example no_heat. It cannot be changed later."))
    name = StringField(_l("Name (Chinese)"))
    name_en = StringField(_l("Name (English)"))
    default_priority = _select(_l("Default priority"))
    sort_order = StringField(_l("Sort order"), default="0", description=_l("Smaller numbers come first."))
    active = BooleanField(_l("Active (residents and agents can choose it)"), default=True)


class PolicyForm(TextOnlyForm):
    category_id = _select(_l("Category"))
    priority = _select(_l("Priority"))
    respond_minutes = StringField(_l("Respond within (minutes)"), description=_l("For example 30."))
    on_site_minutes = StringField(_l("On site within (minutes, optional)"), description=_l(
        "For example 120. Leave empty when no visit is promised."))
    resolve_minutes = StringField(_l("Resolve within (minutes)"), description=_l("For example 1440 (24 hours)."))
    calendar = _select(_l("Clock"), description=_l(
        "“Heating season” follows the seasons set under SLA calendars; working hours follow the holidays and "
        "weekend working days set there."))


class AccountForm(TextOnlyForm):
    account_number = StringField(_l("Account number"),
                                 description=_l("As on the heating bill, for example BT00012345."))
    name = StringField(_l("Account holder"))
    district_id = _select(_l("District"))
    building = StringField(_l("Compound and building"), description=_l("For example 阿尔丁小区3号楼."))
    unit = StringField(_l("Unit"))
    flat = StringField(_l("Flat"))
    phones = TextAreaField(_l("Phones"), description=_l("One or more, separated by ; or new lines."))


class ImportForm(FlaskForm):
    """Only for rendering: the upload is read straight from the request (see routes.import_accounts)."""

    update_existing = BooleanField(_l("Update accounts that already exist"), default=True)
    check_only = BooleanField(_l("Only check the file, save nothing"), default=False)


def input_from(form: FlaskForm, cls: type) -> typing.Any:
    """The service input dataclass `cls` filled from the form's fields of the same names."""
    hints = typing.get_type_hints(cls)
    values: dict[str, typing.Any] = {}
    for f in dataclasses.fields(cls):
        raw = form[f.name].data if f.name in form else None
        hint = hints[f.name]
        if hint is bool:
            values[f.name] = bool(raw)
        elif hint == int | None:
            values[f.name] = as_id(raw)
        elif hint == list[int]:
            values[f.name] = [as_id(v) or 0 for v in (raw or []) if isinstance(v, str)]
        else:
            values[f.name] = raw if isinstance(raw, str) else ""
    return cls(**values)


def as_id(value: typing.Any) -> int | None:
    """A chosen id; None for no choice; 0 (which matches nothing) for anything malformed."""
    if not value or not isinstance(value, str):
        return None
    return int(value) if value.isdigit() and len(value) < 10 else 0
