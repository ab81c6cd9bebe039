"""Supervisor board routes."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("reports", __name__, url_prefix="/desk/board")

# (endpoint, label, roles): the staff navigation links this feature contributes.
NAV: list = []
