"""Staff sign-in and sign-out, throttled per account and per address."""
from __future__ import annotations

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.auth.forms import SignInForm
from app.auth.home import home_for
from app.auth.service import authenticate, sign_in, sign_out
from app.core.access import STAFF, public, roles_required
from app.core.routes import safe_next
from app.extensions import db, limiter

bp = Blueprint("auth", __name__, url_prefix="/staff")


def _username_key() -> str:
    return "sign-in:" + (request.form.get("username") or "").strip().lower()[:40]


def _failed(response) -> bool:
    """Only failed attempts count towards the throttle."""
    return response.status_code != 302


@bp.route("/sign-in", methods=["GET", "POST"])
@public
@limiter.limit(lambda: current_app.config["LIMIT_SIGN_IN_PER_ADDRESS"], methods=["POST"], deduct_when=_failed)
@limiter.limit(lambda: current_app.config["LIMIT_SIGN_IN_PER_ACCOUNT"], key_func=_username_key, methods=["POST"],
               deduct_when=_failed)
def sign_in_page():
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    form = SignInForm()
    if not form.validate_on_submit():
        return render_template("auth/sign_in.html", form=form)
    user = authenticate(form.username.data or "", form.password.data or "")
    if user is None:
        form.password.data = ""
        form.username.errors = [_("The username or password is wrong, or the account is not active.")]
        return render_template("auth/sign_in.html", form=form), 401
    sign_in(user, remember=bool(form.remember.data))
    return redirect(safe_next(request.args.get("next"), default="") or home_for(user))


@bp.post("/sign-out")
@roles_required(*STAFF)
def sign_out_page():
    sign_out(current_user._get_current_object())
    db.session.commit()
    return redirect(url_for("auth.sign_in_page"))


@bp.get("/")
@roles_required(*STAFF)
def home():
    return redirect(home_for(current_user))
