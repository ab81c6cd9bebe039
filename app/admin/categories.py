"""Complaint categories and the SLA policy (the promise) for each category at each priority.

Categories are deactivated, never deleted (tickets keep theirs); policies are edited, never deleted
(tickets keep the due times they were given).
"""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import contains_eager

from app.admin.validation import Errors, flush_or_refuse
from app.extensions import db
from app.sla.models import Calendar, SlaPolicy
from app.tickets.models import Category, Priority

CODE_TAKEN = _l("This code is already in use.")
POLICY_TAKEN = _l("This category already has a policy at this priority: edit that one instead.")
MAX_MINUTES = 366 * 24 * 60  # a year: anything longer is a typing mistake
MAX_SORT_ORDER = 9999


# --- categories -------------------------------------------------------------------------------

@dataclass
class CategoryInput:
    code: str = ""
    name: str = ""
    name_en: str = ""
    default_priority: str = ""
    sort_order: str = "0"
    active: bool = True


def create_category(data: CategoryInput) -> Category:
    """A new kind of complaint; residents see it at once if active."""
    errors = Errors()
    code = errors.code("code", data.code)
    if code and "code" not in errors and db.session.scalar(select(Category.id).where(Category.code == code)):
        errors.add("code", CODE_TAKEN)
    category = Category(code=code)
    _apply(category, data, errors)
    db.session.add(category)
    flush_or_refuse("code", CODE_TAKEN)
    return category


def update_category(category: Category, data: CategoryInput) -> None:
    """Rename, reorder, change the default priority or (de)activate; the code stays as made."""
    _apply(category, data, Errors())
    db.session.flush()


def _apply(category: Category, data: CategoryInput, errors: Errors) -> None:
    name = errors.text("name", data.name, limit=80)
    name_en = errors.text("name_en", data.name_en, limit=80)
    priority = errors.choice("default_priority", data.default_priority, Priority, _l("Please choose a priority."))
    sort_order = errors.whole_number("sort_order", data.sort_order, low=0, high=MAX_SORT_ORDER, required=False)
    errors.raise_if_any()
    category.name, category.name_en, category.default_priority = name, name_en, priority
    category.sort_order, category.active = sort_order or 0, bool(data.active)


def all_categories() -> list[Category]:
    return list(db.session.scalars(select(Category).order_by(Category.sort_order, Category.id)))


def categories_without_default_policy() -> list[Category]:
    """Active categories whose default priority has no policy: their tickets would get no due times."""
    covered = select(SlaPolicy.id).where(SlaPolicy.category_id == Category.id,
                                         SlaPolicy.priority == Category.default_priority)
    return list(db.session.scalars(
        select(Category).where(Category.active.is_(True), ~covered.exists()).order_by(Category.sort_order)))


# --- SLA policies -----------------------------------------------------------------------------

@dataclass
class PolicyInput:
    category_id: int | None = None
    priority: str = ""
    respond_minutes: str = ""
    on_site_minutes: str = ""  # empty: no visit is promised
    resolve_minutes: str = ""
    calendar: str = ""


def create_policy(data: PolicyInput) -> SlaPolicy:
    """The promise for one category at one priority (one policy per pair)."""
    errors = Errors()
    category = db.session.get(Category, data.category_id) if data.category_id else None
    if category is None:
        errors.add("category_id", _l("Please choose a category."))
    priority = errors.choice("priority", data.priority, Priority, _l("Please choose a priority."))
    if category is not None and priority is not None and db.session.scalar(
            select(SlaPolicy.id).where(SlaPolicy.category_id == category.id, SlaPolicy.priority == priority)):
        errors.add("priority", POLICY_TAKEN)
    policy = SlaPolicy(category=category, priority=priority)
    _apply_targets(policy, data, errors)
    db.session.add(policy)
    flush_or_refuse("priority", POLICY_TAKEN)
    return policy


def update_policy(policy: SlaPolicy, data: PolicyInput) -> None:
    """New targets for new tickets; tickets already open keep the due times they were promised."""
    _apply_targets(policy, data, Errors())
    db.session.flush()


def _apply_targets(policy: SlaPolicy, data: PolicyInput, errors: Errors) -> None:
    respond = errors.whole_number("respond_minutes", data.respond_minutes, low=1, high=MAX_MINUTES)
    on_site = errors.whole_number("on_site_minutes", data.on_site_minutes, low=1, high=MAX_MINUTES, required=False)
    resolve = errors.whole_number("resolve_minutes", data.resolve_minutes, low=1, high=MAX_MINUTES)
    calendar = errors.choice("calendar", data.calendar, Calendar, _l("Please choose a calendar."))
    if respond and resolve and respond > resolve:
        errors.add("respond_minutes", _l("Responding cannot take longer than resolving."))
    if on_site and resolve and on_site > resolve:
        errors.add("on_site_minutes", _l("Arriving on site cannot take longer than resolving."))
    if on_site and respond and on_site < respond:
        errors.add("on_site_minutes", _l("Arriving on site cannot come before the response."))
    errors.raise_if_any()
    policy.respond_minutes, policy.on_site_minutes, policy.resolve_minutes = respond, on_site, resolve
    policy.calendar = calendar


def all_policies() -> list[SlaPolicy]:
    """Policies in the order of their categories, then by priority (emergency first)."""
    order = {p: i for i, p in enumerate(Priority)}
    policies = db.session.scalars(
        select(SlaPolicy).join(SlaPolicy.category).options(contains_eager(SlaPolicy.category))).all()
    return sorted(policies, key=lambda p: (p.category.sort_order, p.category_id, order[p.priority]))
