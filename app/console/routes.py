"""Agent console routes."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("console", __name__, url_prefix="/desk/console")

# (endpoint, label, roles): the staff navigation links this feature contributes.
NAV: list = []
