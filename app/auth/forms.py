"""Sign-in form."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, PasswordField, StringField

from app.core.forms import TextOnlyForm


class SignInForm(TextOnlyForm):
    username = StringField(_l("Username"))
    password = PasswordField(_l("Password"))
    remember = BooleanField(_l("Keep me signed in on this device"), default=False)
