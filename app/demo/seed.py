"""Seed the demo once. A second run changes nothing, so what users entered is kept."""
from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import select

from app.auth.models import Role, User
from app.core.time import utcnow
from app.customers.lookup import building_key
from app.customers.models import Building, CustomerAccount, CustomerPhone, District, Substation
from app.extensions import db
from app.intake.service import ComplaintInput, submit_complaint
from app.routing.models import Team
from app.sla.models import Calendar, CalendarDay, DayKind, HeatingSeason, SlaPolicy
from app.tickets import lifecycle
from app.tickets.lifecycle import Actor
from app.tickets.models import Category, Channel, Priority, Ticket

DEMO_PASSWORD = "heatdesk-demo"

DISTRICTS = [
    ("kundulun", "昆都仑区", "Kundulun", ["阿尔丁", "钢铁大街", "友谊", "少先路"]),
    ("qingshan", "青山区", "Qingshan", ["青年路", "富强路", "幸福南路"]),
    ("donghe", "东河区", "Donghe", ["巴彦塔拉", "东站", "西脑包"]),
    ("jiuyuan", "九原区", "Jiuyuan", ["建华南路", "沙河"]),
    ("shiguai", "石拐区", "Shiguai", ["大发", "五当沟"]),
    ("baiyun", "白云鄂博矿区", "Bayan Obo", ["矿山路", "通阳道"]),
]

CATEGORIES = [
    ("no_heat", "暖气不热", "No heat", Priority.EMERGENCY, Calendar.HEATING_SEASON),
    ("low_temperature", "室温偏低", "Low temperature", Priority.HIGH, Calendar.HEATING_SEASON),
    ("leak", "漏水 / 爆管", "Leak or burst pipe", Priority.EMERGENCY, Calendar.CONTINUOUS),  # a burst pipe floods a flat in July too
    ("radiator_noise", "暖气有异响 / 需要放气", "Noise or air in radiators", Priority.NORMAL,
     Calendar.HEATING_SEASON),
    ("billing", "缴费 / 收费问题", "Billing", Priority.NORMAL, Calendar.BUSINESS),
    ("service", "服务投诉", "Service complaint", Priority.NORMAL, Calendar.BUSINESS),
    ("other", "其他", "Other", Priority.LOW, Calendar.BUSINESS),
]

# (respond, on site, resolve) in minutes of the category's calendar, per priority
CONTINUOUS_TARGETS = {
    Priority.EMERGENCY: (30, 120, 24 * 60),
    Priority.HIGH: (60, 240, 48 * 60),
    Priority.NORMAL: (120, 480, 72 * 60),
    Priority.LOW: (240, 24 * 60, 120 * 60),
}
LEAK_EMERGENCY = (30, 60, 12 * 60)
WORKING_DAY = 9 * 60  # 08:30–17:30
BUSINESS_TARGETS = {
    Priority.EMERGENCY: (120, None, 2 * WORKING_DAY),
    Priority.HIGH: (WORKING_DAY // 2, None, 3 * WORKING_DAY),
    Priority.NORMAL: (WORKING_DAY, None, 5 * WORKING_DAY),
    Priority.LOW: (2 * WORKING_DAY, None, 10 * WORKING_DAY),
}

# Baotou heats from 15 October to 15 April (first and last day of heating).
HEATING_SEASONS = [(date(2025, 10, 15), date(2026, 4, 15)), (date(2026, 10, 15), date(2027, 4, 15))]
# China's public holidays of 2026 as the State Council arranged them (国务院办公厅 notice of November 2025;
# check against the official text): (name, first day, last day), and the weekend days worked in exchange.
HOLIDAYS_2026 = [
    ("元旦", date(2026, 1, 1), date(2026, 1, 3)),
    ("春节", date(2026, 2, 15), date(2026, 2, 23)),
    ("清明节", date(2026, 4, 4), date(2026, 4, 6)),
    ("劳动节", date(2026, 5, 1), date(2026, 5, 5)),
    ("端午节", date(2026, 6, 19), date(2026, 6, 21)),
    ("中秋节", date(2026, 9, 25), date(2026, 9, 27)),
    ("国庆节", date(2026, 10, 1), date(2026, 10, 7)),
]
WORKDAYS_2026 = [
    ("元旦调休上班", date(2026, 1, 4)),
    ("春节调休上班", date(2026, 2, 14)),
    ("春节调休上班", date(2026, 2, 28)),
    ("劳动节调休上班", date(2026, 5, 9)),
    ("国庆节调休上班", date(2026, 9, 20)),
    ("国庆节调休上班", date(2026, 10, 10)),
]

FAMILY_NAMES = "王李张刘陈杨赵黄周吴徐孙马胡朱郭何高林罗"
GIVEN_NAMES = ["建国", "志强", "秀英", "桂兰", "海涛", "丽娟", "永红", "国华", "春梅", "晓东", "文博", "淑珍"]


def already_seeded() -> bool:
    return db.session.scalar(select(District.id).limit(1)) is not None


def seed(now: datetime | None = None, rng: random.Random | None = None) -> bool:
    """Create the demo if the database is empty; returns False (and changes nothing) otherwise."""
    if already_seeded():
        return False
    now = now or utcnow()
    rng = rng or random.Random(2026)
    _calendars()
    categories = _categories()
    districts = _network(rng)
    teams = _teams_and_staff(districts)
    _accounts(rng)
    db.session.flush()
    _tickets(now, rng, categories, teams)
    return True


def demo_sign_ins() -> list[tuple[str, str, str]]:
    """(role, username, password) for one demo user of each role."""
    return [(role, username, DEMO_PASSWORD) for role, username in
            (("agent", "agent1"), ("technician", "tech1"), ("supervisor", "super1"), ("admin", "admin"))]


def _categories() -> dict[str, Category]:
    result = {}
    for order, (code, name, name_en, priority, calendar) in enumerate(CATEGORIES):
        category = Category(code=code, name=name, name_en=name_en, default_priority=priority, sort_order=order)
        db.session.add(category)
        targets = BUSINESS_TARGETS if calendar is Calendar.BUSINESS else CONTINUOUS_TARGETS
        for level, (respond, on_site, resolve) in targets.items():
            if code == "leak" and level is Priority.EMERGENCY:
                respond, on_site, resolve = LEAK_EMERGENCY
            db.session.add(SlaPolicy(category=category, priority=level, respond_minutes=respond,
                                     on_site_minutes=on_site, resolve_minutes=resolve, calendar=calendar))
        result[code] = category
    return result


def _calendars() -> None:
    """The heating seasons and 2026's holidays, before any ticket: due times are computed from them."""
    for starts_on, ends_on in HEATING_SEASONS:
        db.session.add(HeatingSeason(starts_on=starts_on, ends_on=ends_on))
    for name, first, last in HOLIDAYS_2026:
        for offset in range((last - first).days + 1):
            db.session.add(CalendarDay(day=first + timedelta(days=offset), kind=DayKind.HOLIDAY, name=name))
    for name, day in WORKDAYS_2026:
        db.session.add(CalendarDay(day=day, kind=DayKind.WORKDAY, name=name))


def _network(rng: random.Random) -> list[District]:
    districts = []
    for code, name, name_en, compounds in DISTRICTS:
        district = District(code=code, name=name, name_en=name_en)
        db.session.add(district)
        for number in range(1, min(4, max(2, len(compounds))) + 1):
            station = Substation(district=district, code=f"{code}-{number}", name=f"{name}{number}号换热站")
            compound = compounds[(number - 1) % len(compounds)]
            for building_no in range(1, rng.randint(3, 5) + 1):
                building_name = f"{compound}小区{building_no + 10 * (number - 1)}号楼"
                db.session.add(Building(substation=station, name=building_name, key=building_key(building_name),
                                        street_address=f"包头市{name}{compound}路{building_no * 7}号"))
        districts.append(district)
    return districts


def _teams_and_staff(districts: list[District]) -> list[Team]:
    teams = []
    people = iter((f, g) for g in GIVEN_NAMES for f in FAMILY_NAMES)
    tech_no = super_no = 0
    for district in districts:
        team = Team(name=f"{district.name}维修班组", name_en=f"{district.name_en} service team", districts=[district])
        db.session.add(team)
        teams.append(team)
        super_no += 1
        _user(f"super{super_no}", Role.SUPERVISOR, next(people), team)
        for _ in range(2 if district.code in ("shiguai", "baiyun") else 3):
            tech_no += 1
            _user(f"tech{tech_no}", Role.TECHNICIAN, next(people), team)
    for n in (1, 2, 3):
        _user(f"agent{n}", Role.AGENT, next(people), None)
    _user("admin", Role.ADMIN, ("管", "理员"), None)
    return teams


def _user(username: str, role: Role, name: tuple[str, str], team: Team | None) -> User:
    number = int.from_bytes(username.encode()[:8].ljust(8, b"0"), "big") % 10**8  # stable across runs
    user = User(username=username, role=role, family_name=name[0], given_name=name[1], team=team,
                phone=f"+86139{number:08d}")
    user.set_password(DEMO_PASSWORD)
    db.session.add(user)
    return user


def _accounts(rng: random.Random) -> None:
    db.session.flush()
    serial = 0
    for building in db.session.scalars(select(Building).order_by(Building.id)):
        for unit in (1, 2):
            for flat in (101, 201, 301):
                serial += 1
                account = CustomerAccount(
                    account_number=f"BT{serial:08d}",
                    name=rng.choice(FAMILY_NAMES) + rng.choice(GIVEN_NAMES),
                    building=building, unit=str(unit), flat=str(flat),
                )
                account.phones.append(CustomerPhone(number=f"+86138{serial:08d}"))
                db.session.add(account)


def _tickets(now: datetime, rng: random.Random, categories: dict[str, Category], teams: list[Team]) -> None:
    accounts = db.session.scalars(select(CustomerAccount).order_by(CustomerAccount.id)).all()
    codes = list(categories)
    plan = [
        ("assigned", None), ("acknowledged", None), ("en_route", None), ("on_site", None),
        ("waiting", None), ("resolved", None), ("closed", 5), ("closed", 4), ("reopened", 2),
        ("transferred", None), ("cancelled", None), ("assigned", None), ("acknowledged", None),
    ]
    for index, (target, score) in enumerate(plan):
        account = accounts[(index * 7) % len(accounts)]
        opened = now - timedelta(minutes=20 + 40 * index)
        ticket = submit_complaint(
            ComplaintInput(
                channel=[Channel.WEB, Channel.PHONE, Channel.SMS][index % 3],
                name=account.name, phone=account.phones[0].number, category=codes[index % len(codes)],
                account_number=account.account_number, description="暖气片不热，家里有老人。",
                indoor_temp="15.5" if index % 2 else None, sms_consent=True,
            ),
            Actor.system(), now=opened,
        )
        _advance(ticket, target, score, opened, teams)
    # One the address of which could not be placed: it waits in the agents' triage queue.
    submit_complaint(
        ComplaintInput(channel=Channel.WEB, name="赵女士", phone="+8613800009999", category="no_heat",
                       district_id=teams[0].districts[0].id, building="新建小区99号楼", unit="1", flat="502",
                       description="新搬来的，暖气一直不热。", sms_consent=True),
        Actor.resident(), now=now - timedelta(minutes=5),
    )


def _advance(ticket: Ticket, target: str, score: int | None, opened: datetime, teams: list[Team]) -> None:
    staff = Actor.staff(ticket.assignee)
    step = opened
    steps = {
        "acknowledged": [lifecycle.acknowledge],
        "en_route": [lifecycle.acknowledge, lifecycle.depart],
        "on_site": [lifecycle.acknowledge, lifecycle.depart, lifecycle.arrive],
        "waiting": [lifecycle.acknowledge, lambda t, a, now: lifecycle.wait_for_resident(t, a, "家中无人，已约明天上午", now)],
        "resolved": [lifecycle.acknowledge, lifecycle.depart, lifecycle.arrive,
                     lambda t, a, now: lifecycle.resolve(t, a, "air_bled", "暖气片放气后温度正常", now)],
        "closed": [lifecycle.acknowledge, lifecycle.depart, lifecycle.arrive,
                   lambda t, a, now: lifecycle.resolve(t, a, "valve_adjusted", "调整阀门", now)],
        "reopened": [lifecycle.acknowledge, lifecycle.depart, lifecycle.arrive,
                     lambda t, a, now: lifecycle.resolve(t, a, "meets_standard", "入户测温18.5℃，室温达标", now,
                                                         measured_temp=Decimal("18.5"))],
    }
    for action in steps.get(target, []):
        step += timedelta(minutes=5)
        action(ticket, staff, now=step)
    if target in ("closed", "reopened"):
        lifecycle.rate(ticket, score, "" if score > 2 else "还是不热", Actor.resident(), now=step + timedelta(minutes=5))
    elif target == "transferred":
        other = next(t for t in teams if t.id != ticket.team_id)
        lifecycle.transfer(ticket, other, staff, "该楼栋由邻区班组负责", now=step + timedelta(minutes=5))
    elif target == "cancelled":
        lifecycle.cancel(ticket, staff, "用户来电告知已恢复供热，撤销报修", now=step + timedelta(minutes=5))
