"""Forms shared by every feature."""
from __future__ import annotations

from flask import request
from flask_wtf import FlaskForm
from werkzeug.datastructures import CombinedMultiDict


class TextOnlyForm(FlaskForm):
    """A form of text fields only. Flask-WTF would mix uploaded files into the form data, and a
    file sent under a field's name would then reach the services as an object instead of text."""

    class Meta:
        def wrap_formdata(self, form, formdata):
            formdata = super().wrap_formdata(form, formdata)
            return request.form if isinstance(formdata, CombinedMultiDict) else formdata
