"""What schema comparisons (autogenerate, the migration test) leave out."""
from __future__ import annotations


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    """Dialect-specific indexes made by hand in migrations (trigram search, `trgm_*`) are not in the models."""
    return not (type_ == "index" and reflected and (name or "").startswith("trgm_"))
