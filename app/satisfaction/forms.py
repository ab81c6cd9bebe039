"""The web survey form: the score comes from the button tapped; the services judge every value."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import StringField, TextAreaField

from app.core.forms import TextOnlyForm


class SurveyForm(TextOnlyForm):
    score = StringField()  # the value of the score button tapped, "1" … "5"
    not_fixed = StringField()  # "1" when the "still not fixed" button was tapped
    comment = TextAreaField(_l("Anything else to tell us? (optional)"))
