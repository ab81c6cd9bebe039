"""Administration routes."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

# (endpoint, label, roles): the staff navigation links this feature contributes.
NAV: list = []
