"""Technician mobile routes."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("field", __name__, url_prefix="/field")

# (endpoint, label, roles): the staff navigation links this feature contributes.
NAV: list = []
