"""The web survey a resident opens from the link in the "resolved" text: `/s/<token>`. No sign-in:
the signed link is the key, and it opens only the survey of the resolution it was sent for."""
from __future__ import annotations

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm.exc import StaleDataError

from app.core.access import public
from app.core.errors import IllegalTransition, ValidationFailed
from app.core.i18n import current_language
from app.extensions import db, limiter
from app.intake.forms import SCORE_CHOICES
from app.satisfaction.cli import close_unanswered_command
from app.satisfaction.forms import SurveyForm
from app.satisfaction.survey import Survey, SurveyExpired, SurveyNotFound, SurveyState, answer, find_survey

bp = Blueprint("survey", __name__)  # also the CLI group: `flask survey close-unanswered`
bp.cli.add_command(close_unanswered_command)

NOT_FOUND = (_l("Survey link not found"),
             _l("This survey link is not valid. Please open the whole link from our text message, "
                "or call the service hotline."))
GONE = (_l("This survey is closed"),
        _l("This link is from an earlier repair, or the survey has closed. If the heating is still "
           "not right, please report it again or call the service hotline."))


@bp.route("/s/<token>", methods=["GET", "POST"])
@public
@limiter.limit(lambda: current_app.config["LIMIT_SURVEY_PER_ADDRESS"])
def page(token: str):
    try:
        survey = find_survey(token)
    except SurveyNotFound:
        return _unavailable(NOT_FOUND, 404)
    except SurveyExpired:
        return _unavailable(GONE, 410)
    if survey.state is SurveyState.GONE:
        return _unavailable(GONE, 410)
    if survey.state is SurveyState.ANSWERED:
        return render_template("satisfaction/thanks.html", survey=survey)
    form = SurveyForm()
    if request.method == "GET":
        return _survey_page(survey, form)
    if not form.validate_on_submit():
        return _survey_page(survey, form, 400)
    try:
        answer(survey, score=form.score.data, not_fixed=form.not_fixed.data == "1",
               comment=form.comment.data or "")
        db.session.commit()
    except ValidationFailed as error:
        db.session.rollback()
        for name, message in error.errors.items():
            field = getattr(form, name, None)
            if field is not None:
                field.errors = [str(message)]
        return _survey_page(survey, form, 422)
    except (IllegalTransition, StaleDataError):  # answered a moment ago (a second tab, or by SMS)
        db.session.rollback()
    return redirect(url_for("survey.page", token=token))


def _survey_page(survey: Survey, form: SurveyForm, status: int = 200):
    return render_template("satisfaction/survey.html", survey=survey, form=form, score_choices=SCORE_CHOICES,
                           technician=survey.technician(current_language())), status


def _unavailable(texts, status: int):
    title, message = texts
    return render_template("satisfaction/unavailable.html", title=title, message=message, code=status), status
