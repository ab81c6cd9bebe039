"""Fill a PostgreSQL database with a city-sized network and a million tickets, for the page benchmark.

    nice -n 10 .venv/bin/python bench/generate_tickets.py --tickets 1000000 --open 100000 \\
        --database-url postgresql://postgres@127.0.0.1:5432/heatdesk_bench [--recreate]

What it makes (see bench/README.md, "Staff pages and the SLA sweep at 1,000,000 tickets"):

1. The database, if missing (`--recreate` drops it first), migrated to head (`flask db upgrade`) and
   seeded with the demo (`flask demo seed`: categories, SLA policies, heating seasons, holidays, teams).
2. A city: ~81 substations, ~3,000 buildings, ~300,000 customer accounts with phones, ~85 technicians,
   9 supervisors and 24 agents, spread over the demo's six districts by size.
3. `--tickets` tickets over the heating seasons 2024-25 and 2025-26, the current season so far
   (`--no-current-season` leaves it out) and a few off-season days, with their events, escalations sent
   and pauses; the `--open` most recent, created over the last ~3 days, are still open. Every ticket is
   simulated step by step (intake, dispatch, accept, on the way, on site, waiting, resolve, survey,
   reopen, call-back, cancel, transfer, repeat calls) with the app's own due-time arithmetic
   (`app.sla.due`), so that due times, met/missed outcomes and the escalations the sweep would have
   sent agree with one another and with the check constraints.
4. One transaction of COPYs: the plain indexes and foreign keys of the big tables are dropped first
   and created again (same definitions, read from the catalogue) before the commit; then ANALYZE.
   The resolution rows (one per resolve event, with its score and reopen) are made from the copied
   events by the same SQL as migration 5a7e1c0d9b21's backfill; the report rollups (resolution_days,
   resolution_months, received_days, step_time_months) are counted again by their migrations' backfill SQL.
5. The SLA marks of the open tickets, with the app's code: `app.sla.service.refresh_all_marks()`
   (what `flask sla refresh-marks` runs), timed.

Figures are printed; nothing is asserted. Randomness is seeded (`--seed`); the clock is the real one.
"""
from __future__ import annotations

import argparse
import bisect
import importlib.util
import json
import math
import os
import random
import sys
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/heatdesk_bench"
DEFAULT_SEASONS = "2024-10-15:2025-04-15,2025-10-15:2026-04-15"
UTC = timezone.utc
OPEN_WINDOW = timedelta(hours=72)  # open tickets are created over the last three days

# --- the city -------------------------------------------------------------------------------------

# District share of the city (accounts, substations, staff); a district not listed gets an even share.
DISTRICT_SHARE = {"kundulun": 0.34, "qingshan": 0.27, "donghe": 0.20, "jiuyuan": 0.12, "shiguai": 0.04,
                  "baiyun": 0.03}
TECHNICIANS_PER_SHARE = 85  # ≈ 29 in Kundulun, 3 in Bayan Obo
AGENTS = 24
COMPOUND_WORDS = ("阳光", "富力", "万达", "锦绣", "和平", "金辉", "华府", "绿都", "世纪", "新城", "龙湖", "星河",
                  "御景", "钢城", "北方", "明珠", "春华", "丽景", "融创", "恒大", "碧桂", "凯旋", "紫云", "银河",
                  "松石", "枫林", "滨河", "康居", "安泰", "天骄", "草原", "鹿城", "包钢", "稀土", "黄河", "昆河",
                  "文化", "民族", "赛汗", "呼得", "光明", "团结", "胜利", "建设", "电力", "铁路", "机械", "二冶")
COMPOUND_SUFFIXES = ("花园", "家园", "嘉园", "新村", "苑", "小区", "雅居", "公寓")
ROADS = ("钢铁大街", "阿尔丁大街", "民族东路", "青年路", "幸福路", "建设路", "团结大街", "黄河大街", "友谊大街",
         "文化路", "少先路", "呼得木林大街", "巴彦塔拉大街", "工业路", "白云路", "矿山路")
FAMILY_NAMES = "王李张刘陈杨赵黄周吴徐孙马胡朱郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾萧田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
GIVEN_NAMES = ("建国", "志强", "秀英", "桂兰", "海涛", "丽娟", "永红", "国华", "春梅", "晓东", "文博", "淑珍", "玉兰",
               "建华", "志刚", "丽华", "军", "伟", "芳", "敏", "静", "磊", "洋", "艳", "勇", "杰", "娟", "涛", "明",
               "超", "霞", "平", "刚", "桂英", "宝山", "巴特尔", "其其格", "乌兰", "斯琴", "额尔敦")

# --- complaints -----------------------------------------------------------------------------------

CATEGORY_MIX = {  # in season, at the start of a season, out of season
    "season": {"no_heat": .42, "low_temperature": .33, "leak": .05, "radiator_noise": .08, "billing": .06,
               "service": .04, "other": .02},
    "start": {"no_heat": .55, "low_temperature": .18, "leak": .06, "radiator_noise": .14, "billing": .04,
              "service": .02, "other": .01},
    "off": {"no_heat": .04, "low_temperature": .02, "leak": .28, "radiator_noise": .03, "billing": .35,
            "service": .18, "other": .10},
}
CHANNELS = (("phone", .46), ("web", .27), ("sms", .15), ("voice", .09), ("api", .03))
PRIORITIES = ("emergency", "high", "normal", "low")
DESCRIPTIONS = {
    "no_heat": ("暖气片完全不热", "家里暖气一点都不热，有老人", "整个单元都不热", "暖气冰凉，家里有小孩",
                "从昨晚开始暖气不热了", "楼上楼下都热，就我家不热"),
    "low_temperature": ("室温只有十几度", "暖气不够热，屋里冷", "温度上不去，晚上更冷", "卧室温度偏低",
                        "暖气温乎乎的，室温不达标"),
    "leak": ("暖气管漏水", "暖气片接口滴水", "楼道里暖气管爆了，水很大", "阀门漏水，地板都湿了"),
    "radiator_noise": ("暖气有异响，需要放气", "暖气片里有水流声", "暖气咣咣响", "上半截热下半截凉，可能有气"),
    "billing": ("缴费后显示未缴", "供暖费金额不对", "想办理停供", "发票开错了"),
    "service": ("维修师傅没有按约定时间来", "客服电话一直打不通", "对上次维修不满意"),
    "other": ("咨询供暖开始时间", "想了解换热站检修安排", "其他问题"),
}
RESOLUTIONS = {
    "no_heat": (("valve_adjusted", .38), ("air_bled", .22), ("substation_fault", .22), ("meets_standard", .05),
                ("other", .13)),
    "low_temperature": (("meets_standard", .45), ("valve_adjusted", .25), ("air_bled", .2), ("other", .1)),
    "leak": (("leak_repaired", .85), ("other", .15)),
    "radiator_noise": (("air_bled", .8), ("valve_adjusted", .1), ("other", .1)),
    "billing": (("referred_to_billing", .7), ("other", .3)),
    "service": (("other", .8), ("referred_to_billing", .2)),
    "other": (("other", .8), ("referred_to_billing", .2)),
}
HEATING_CODES = {"no_heat", "low_temperature", "radiator_noise"}
SCORES_GOOD = ((5, .58), (4, .27), (3, .09), (2, .04), (1, .02))  # every clock met
SCORES_LATE = ((5, .30), (4, .30), (3, .20), (2, .12), (1, .08))  # a clock missed
LOW_COMMENTS = ("还是不热", "师傅来了也没解决", "等了太久", "温度还是不达标", "态度不好")
GOOD_COMMENTS = ("师傅很负责", "处理很及时，谢谢", "满意", "")
WAIT_NOTES = ("家中无人，已约明天上午", "用户不在家，约好晚上再来", "需要物业开门，等待物业", "用户要求改天上门")
CANCEL_NOTES = ("用户来电告知已恢复供热，撤销报修", "重复报修，已合并", "用户自行处理好了")
CALL_NOTES = ("用户再次来电催促", "用户询问师傅什么时候到", "用户来电说还是不热", "")
TECH_NOTES = ("需要带备用阀门", "单元门禁坏了，需联系物业", "已联系换热站值班员", "楼道管井需要钥匙")
REOPEN_NOTES = ("用户反映修完第二天又不热了", "用户说问题没有解决")
CALLBACK_NOTES = ("已回访，用户认为等待时间太长，已致歉", "已回访，用户仍不满意，记录意见转班组改进",
                  "已回访，解释了室温达标标准，用户表示理解")
TRANSFER_NOTES = ("该楼栋由邻区班组负责", "地址核实后转交所属班组")
TRIAGE_NOTES = ("已核实地址，转所属班组",)

# --- small helpers --------------------------------------------------------------------------------


def log(message: str) -> None:
    print(f"[generate {time.strftime('%H:%M:%S')}] {message}", flush=True)


def weighted(rng: random.Random, pairs):
    """One value from ((value, weight), …)."""
    roll = rng.random() * sum(w for _, w in pairs)
    for value, weight in pairs:
        roll -= weight
        if roll <= 0:
            return value
    return pairs[-1][0]


def lognormal(rng: random.Random, median: float, sigma: float) -> float:
    return median * math.exp(rng.gauss(0.0, sigma))


def copy_text(value) -> str:
    """One value in PostgreSQL COPY text format."""
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, str):
        if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
            return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
        return value
    return str(value)


def copy_rows(cursor: psycopg.Cursor, table: str, columns: tuple[str, ...], rows, chunk: int = 20000) -> int:
    """COPY rows (tuples in `columns` order) into `table`; returns how many."""
    count = 0
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        buffer = []
        for row in rows:
            buffer.append("\t".join([copy_text(v) for v in row]))
            count += 1
            if len(buffer) >= chunk:
                copy.write(("\n".join(buffer) + "\n").encode())
                buffer.clear()
        if buffer:
            copy.write(("\n".join(buffer) + "\n").encode())
    return count


# --- the SLA calendar, with a fast path through the app's own arithmetic ---------------------------

class SlaCalendar:
    """add_minutes / minutes_between of app.sla.due, with the common case (round the clock in season,
    or a continuous calendar) done by plain arithmetic, and everything else by the app's functions."""

    def __init__(self, hours, first: date, last: date) -> None:
        from app.sla.due import add_minutes, minutes_between
        from app.sla.models import Calendar

        self.hours = hours
        self._add, self._between = add_minutes, minutes_between
        self.CONTINUOUS, self.SEASON, self.BUSINESS = Calendar.CONTINUOUS, Calendar.HEATING_SEASON, Calendar.BUSINESS
        self.zone = hours.zone
        day, self.in_season = first, set()
        while day <= last:
            if hours.in_heating_season(day):
                self.in_season.add(day)
            day += timedelta(days=1)
        self.fast = 0
        self.slow = 0

    def _round_the_clock(self, calendar, start: datetime, end: datetime) -> bool:
        if calendar is self.CONTINUOUS:
            return True
        if calendar is not self.SEASON or end - start > timedelta(days=60):
            return False
        return (start.astimezone(self.zone).date() in self.in_season
                and end.astimezone(self.zone).date() in self.in_season)

    def add(self, start: datetime, minutes: float, calendar) -> datetime:
        minutes = max(0, int(math.ceil(minutes)))
        plain = start + timedelta(minutes=minutes)
        if self._round_the_clock(calendar, start, plain):
            self.fast += 1
            return plain
        self.slow += 1
        return self._add(start, minutes, calendar, self.hours)

    def between(self, start: datetime, end: datetime, calendar) -> int:
        if end <= start:
            return 0
        if self._round_the_clock(calendar, start, end):
            self.fast += 1
            return int((end - start).total_seconds() // 60)
        self.slow += 1
        return self._between(start, end, calendar, self.hours)


# --- reference data -------------------------------------------------------------------------------

@dataclass
class Policy:
    id: int
    respond: int
    on_site: int | None
    resolve: int
    calendar: object


@dataclass
class City:
    categories: dict[str, int]  # code → id
    default_priority: dict[str, str]
    policies: dict[tuple[int, str], Policy]
    team_of_district: dict[int, int]
    technicians: dict[int, list[int]]  # team → user ids
    supervisors: dict[int, list[int]]
    agents: list[int]
    substations: list[tuple[int, int]]  # (id, district id)
    substation_weights: list[float]  # cumulative: complaints per substation (accounts × how bad it is)
    accounts_at: dict[int, list[tuple]]  # substation → [(account id, building id, unit, flat, name, phone)]
    buildings: dict[int, tuple[int, int, str]]  # building → (substation, district, name)
    buildings_at: dict[int, list[int]]  # substation → building ids


# --- the network at city scale --------------------------------------------------------------------

def scale_network(cur: psycopg.Cursor, rng: random.Random, args, now: datetime) -> dict[str, int]:
    """Add substations, buildings, accounts, phones and staff until the city has the asked size."""
    from app.customers.lookup import building_key

    made = {"substations": 0, "buildings": 0, "accounts": 0, "phones": 0, "users": 0}
    districts = cur.execute("SELECT id, code, name FROM districts ORDER BY id").fetchall()
    share = {d_id: DISTRICT_SHARE.get(code, 1 / len(districts)) for d_id, code, _ in districts}
    total_share = sum(share.values())
    share = {k: v / total_share for k, v in share.items()}
    stamp = datetime(2024, 9, 1, tzinfo=UTC)

    # Substations
    next_id = cur.execute("SELECT coalesce(max(id), 0) + 1 FROM substations").fetchone()[0]
    rows = []
    for d_id, code, name in districts:
        have = cur.execute("SELECT count(*) FROM substations WHERE district_id = %s", (d_id,)).fetchone()[0]
        want = max(1, round(args.substations * share[d_id]))
        for number in range(have + 1, want + 1):
            rows.append((next_id, d_id, f"{code}-{number}", f"{name}{number}号换热站"))
            next_id += 1
    made["substations"] = copy_rows(cur, "substations", ("id", "district_id", "code", "name"), rows)

    # Buildings: each substation serves one to three compounds, named uniquely within the district.
    stations = cur.execute("SELECT s.id, s.district_id, d.name FROM substations s JOIN districts d "
                           "ON d.id = s.district_id ORDER BY s.id").fetchall()
    existing = dict(cur.execute("SELECT substation_id, count(*) FROM buildings GROUP BY substation_id").fetchall())
    per_district = {}
    for s_id, d_id, _ in stations:
        per_district.setdefault(d_id, []).append(s_id)
    used_keys: dict[int, set[str]] = {}  # a key names one building per district, or lookups find none
    for d_id, key in cur.execute("SELECT s.district_id, b.key FROM buildings b JOIN substations s "
                                 "ON s.id = b.substation_id").fetchall():
        used_keys.setdefault(d_id, set()).add(key)
    next_id = cur.execute("SELECT coalesce(max(id), 0) + 1 FROM buildings").fetchone()[0]
    rows = []
    for d_id, station_ids in per_district.items():
        district_name = next(name for i, _, name in districts if i == d_id)
        names = [w + s for s in COMPOUND_SUFFIXES for w in COMPOUND_WORDS]
        rng.shuffle(names)
        names_left = iter(names)
        want_each = args.buildings * share[d_id] / len(station_ids)
        for s_id in station_ids:
            want = max(2, round(lognormal(rng, want_each, 0.3)))
            to_make = want - existing.get(s_id, 0)
            while to_make > 0:
                compound = next(names_left)
                size = min(to_make, rng.randint(8, 30))
                keys = [building_key(f"{compound}{number}号楼") for number in range(1, size + 1)]
                taken = used_keys.setdefault(d_id, set())
                if taken.intersection(keys):  # 阳光小区 and 阳光家园 share a key: skip the second
                    continue
                taken.update(keys)
                road = rng.choice(ROADS)
                for number, key in enumerate(keys, start=1):
                    rows.append((next_id, s_id, f"{compound}{number}号楼",
                                 f"包头市{district_name}{road}{rng.randint(1, 400)}号", key))
                    next_id += 1
                to_make -= size
    made["buildings"] = copy_rows(cur, "buildings", ("id", "substation_id", "name", "street_address", "key"), rows)

    # Accounts: one per flat; a building has units × floors × 2 flats.
    have_accounts = cur.execute("SELECT count(*) FROM customer_accounts").fetchone()[0]
    buildings = cur.execute("SELECT b.id FROM buildings b WHERE NOT EXISTS "
                            "(SELECT 1 FROM customer_accounts a WHERE a.building_id = b.id) ORDER BY b.id").fetchall()
    per_building = max(1.0, (args.accounts - have_accounts) / max(1, len(buildings)))
    serial = cur.execute("SELECT coalesce(max(substring(account_number from 3)::int), 0) FROM customer_accounts "
                         "WHERE account_number ~ '^BT[0-9]+$'").fetchone()[0]
    account_id = cur.execute("SELECT coalesce(max(id), 0) + 1 FROM customer_accounts").fetchone()[0]
    phone_id = cur.execute("SELECT coalesce(max(id), 0) + 1 FROM customer_phones").fetchone()[0]
    accounts, phones = [], []
    for (b_id,) in buildings:
        floors = rng.choice((6, 6, 6, 7, 7, 11, 18, 24))
        units = max(1, round(lognormal(rng, per_building, 0.35) / (floors * 2)))
        for unit in range(1, units + 1):
            for floor in range(1, floors + 1):
                for door in (1, 2):
                    serial += 1
                    name = rng.choice(FAMILY_NAMES) + rng.choice(GIVEN_NAMES)
                    accounts.append((account_id, f"BT{serial:08d}", name, b_id, str(unit), f"{floor}{door:02d}",
                                     stamp, stamp))
                    phones.append((phone_id, account_id, f"+86138{serial:08d}"))
                    phone_id += 1
                    if rng.random() < 0.08:  # a second number: a son or daughter who calls for them
                        phones.append((phone_id, account_id, f"+86186{serial:08d}"))
                        phone_id += 1
                    account_id += 1
    made["accounts"] = copy_rows(cur, "customer_accounts", ("id", "account_number", "name", "building_id", "unit",
                                                            "flat", "created_at", "updated_at"), accounts)
    made["phones"] = copy_rows(cur, "customer_phones", ("id", "account_id", "number"), phones)
    # Accounts per substation, as app.analytics.account_counts keeps them (COPY goes around the app).
    cur.execute("DELETE FROM substation_account_counts")
    cur.execute("INSERT INTO substation_account_counts (substation_id, accounts) SELECT b.substation_id, count(*) "
                "FROM buildings b JOIN customer_accounts a ON a.building_id = b.id GROUP BY b.substation_id")

    # Staff: technicians by district size, a second supervisor in the big teams, agents.
    password_hash = cur.execute("SELECT password_hash FROM users WHERE username = 'admin'").fetchone()[0]
    teams = dict(cur.execute("SELECT district_id, team_id FROM team_districts").fetchall())
    user_id = cur.execute("SELECT coalesce(max(id), 0) + 1 FROM users").fetchone()[0]
    usernames = {u for (u,) in cur.execute("SELECT username FROM users").fetchall()}
    rows = []

    def add_user(prefix: str, role: str, team_id: int | None) -> None:
        nonlocal user_id
        number = 1
        while f"{prefix}{number}" in usernames:
            number += 1
        username = f"{prefix}{number}"
        usernames.add(username)
        rows.append((user_id, username, password_hash, rng.choice(FAMILY_NAMES), rng.choice(GIVEN_NAMES), role,
                     team_id, f"+86139{50000000 + user_id:08d}", True, 1, stamp, stamp))
        user_id += 1

    for d_id, team_id in teams.items():
        have = dict(cur.execute("SELECT role, count(*) FROM users WHERE team_id = %s GROUP BY role",
                                (team_id,)).fetchall())
        for _ in range(max(0, round(TECHNICIANS_PER_SHARE * share[d_id]) - have.get("technician", 0))):
            add_user("tech", "technician", team_id)
        for _ in range(max(0, (2 if share[d_id] >= 0.15 else 1) - have.get("supervisor", 0))):
            add_user("super", "supervisor", team_id)
    have_agents = cur.execute("SELECT count(*) FROM users WHERE role = 'agent'").fetchone()[0]
    for _ in range(max(0, AGENTS - have_agents)):
        add_user("agent", "agent", None)
    made["users"] = copy_rows(cur, "users", ("id", "username", "password_hash", "family_name", "given_name", "role",
                                             "team_id", "phone", "active", "session_version", "created_at",
                                             "updated_at"), rows)
    return made


def load_city(cur: psycopg.Cursor, rng: random.Random, calendar_of) -> City:
    categories, default_priority = {}, {}
    for c_id, code, prio in cur.execute("SELECT id, code, default_priority FROM categories"):
        categories[code], default_priority[code] = c_id, prio
    policies = {}
    for p_id, c_id, prio, respond, on_site, resolve, cal in cur.execute(
            "SELECT id, category_id, priority, respond_minutes, on_site_minutes, resolve_minutes, calendar "
            "FROM sla_policies"):
        policies[(c_id, prio)] = Policy(p_id, respond, on_site, resolve, calendar_of(cal))
    team_of_district = dict(cur.execute("SELECT district_id, team_id FROM team_districts").fetchall())
    technicians, supervisors, agents = {}, {}, []
    for u_id, role, team_id in cur.execute("SELECT id, role, team_id FROM users WHERE active ORDER BY id"):
        if role == "technician" and team_id:
            technicians.setdefault(team_id, []).append(u_id)
        elif role == "supervisor" and team_id:
            supervisors.setdefault(team_id, []).append(u_id)
        elif role == "agent":
            agents.append(u_id)
    substations = cur.execute("SELECT id, district_id FROM substations ORDER BY id").fetchall()
    buildings, buildings_at = {}, {}
    for b_id, s_id, d_id, name in cur.execute(
            "SELECT b.id, b.substation_id, s.district_id, b.name FROM buildings b "
            "JOIN substations s ON s.id = b.substation_id"):
        buildings[b_id] = (s_id, d_id, name)
        buildings_at.setdefault(s_id, []).append(b_id)
    accounts_at = {}
    for a_id, b_id, unit, flat, name, phone in cur.execute(
            "SELECT a.id, a.building_id, a.unit, a.flat, a.name, "
            "(SELECT min(p.number) FROM customer_phones p WHERE p.account_id = a.id) FROM customer_accounts a"):
        accounts_at.setdefault(buildings[b_id][0], []).append((a_id, b_id, unit, flat, name, phone))
    # Some substations are worse than others: complaints ∝ accounts × a lognormal "badness".
    weights, running = [], 0.0
    for s_id, _ in substations:
        running += len(accounts_at.get(s_id, ())) * lognormal(rng, 1.0, 0.55)
        weights.append(running)
    return City(categories, default_priority, policies, team_of_district, technicians, supervisors, agents,
                substations, weights, accounts_at, buildings, buildings_at)


# --- when complaints arrive -----------------------------------------------------------------------

HOUR_WEIGHTS = (1, .6, .4, .3, .3, .5, 1.5, 3.2, 4.2, 4.0, 3.4, 3.0, 2.6, 2.6, 2.8, 2.9, 3.0, 3.2, 3.8, 4.2,
                4.0, 3.2, 2.2, 1.5)  # local hours: mornings and evenings at home are when the cold is felt


@dataclass
class Period:
    first: date
    last: date  # inclusive


def parse_seasons(text_value: str) -> list[Period]:
    periods = []
    for part in text_value.split(","):
        start, _, end = part.strip().partition(":")
        periods.append(Period(date.fromisoformat(start), date.fromisoformat(end)))
    return periods


def day_weights(seasons: list[Period], first: date, last: date) -> tuple[list[date], list[float], dict]:
    """Every day from first to last with its share of complaints, and its phase (start, season, off)."""
    days, weights, phase = [], [], {}
    day = first
    while day <= last:
        season = next((s for s in seasons if s.first <= day <= s.last), None)
        if season is None:
            weight, kind = 0.03, "off"
        else:
            into = (day - season.first).days
            # colder in December and January (peak ~10 January), a rush in the first ten days
            mid = season.first + timedelta(days=87)
            cold = math.cos(math.pi * (day - mid).days / 182) ** 2
            weight = 0.6 + 1.1 * cold + (1.4 if into < 10 else 0)
            kind = "start" if into < 14 else "season"
        days.append(day)
        weights.append(weight)
        phase[day] = kind
        day += timedelta(days=1)
    return days, weights, phase


def creation_times(rng: random.Random, count: int, days: list[date], weights: list[float], zone,
                   not_after: datetime) -> list[datetime]:
    """`count` creation moments: a day by its weight, an hour by HOUR_WEIGHTS, a second at random."""
    cumulative, total = [], 0.0
    for w in weights:
        total += w
        cumulative.append(total)
    hours_cum, running = [], 0.0
    for w in HOUR_WEIGHTS:
        running += w
        hours_cum.append(running)
    result = []
    while len(result) < count:
        day = days[bisect.bisect_left(cumulative, rng.random() * total)]
        hour = bisect.bisect_left(hours_cum, rng.random() * running)
        local = datetime(day.year, day.month, day.day, hour, tzinfo=zone) + timedelta(seconds=rng.random() * 3600)
        moment = local.astimezone(UTC)
        if moment < not_after:
            result.append(moment)
    return result


# --- one ticket, step by step ---------------------------------------------------------------------

S_WORKING = ("assigned", "acknowledged", "en_route", "on_site")


@dataclass
class Outage:
    substation: int
    start: datetime
    fixed: datetime


@dataclass
class Sim:
    """A ticket being simulated: its row values, its events and what the SLA sweep would have sent."""

    id: int
    created: datetime
    category: str
    priority: str
    policy: Policy
    team: int | None
    status: str = "new"
    assignee: int | None = None
    # (at, order, actor kind, actor id, action, from, to, note, public, data)
    events: list = field(default_factory=list)
    done: dict = field(default_factory=lambda: {"respond": None, "on_site": None, "resolve": None})
    ended: dict = field(default_factory=dict)  # clock → moment it ended (its step, or at resolution)
    pauses: list = field(default_factory=list)  # [started, ended or None]
    resolved_at: datetime | None = None
    closed_at: datetime | None = None
    closure: str | None = None
    score: int | None = None
    comment: str | None = None
    resolution: str | None = None
    measured: float | None = None
    status_before_wait: str | None = None
    callback_due: datetime | None = None
    terminal: datetime | None = None  # resolved (first time), cancelled: clocks stop running
    reopened: list = field(default_factory=list)  # [reopened at, closed or resolved again (None: still open)]

    def event(self, at: datetime, kind: str, actor: int | None, action: str, to: str | None = None, note: str = "",
              public: bool = True, data: dict | None = None) -> None:
        self.events.append((at, len(self.events), kind, actor, action, self.status if to else None, to, note, public,
                            json.dumps(data or {}, ensure_ascii=False)))
        if to:
            self.status = to


class TicketFactory:
    """Simulates tickets with the app's rules (lifecycle.ALLOWED_FROM, sla.service) and yields rows."""

    def __init__(self, rng: random.Random, city: City, cal: SlaCalendar, now: datetime, config) -> None:
        self.rng, self.city, self.cal, self.now = rng, city, cal, now
        self.warn_percent = config["SLA_WARNING_PERCENT"]
        self.duty_percent = config["SLA_DUTY_MANAGER_PERCENT"] if config.get("DUTY_MANAGER_PHONE") else None
        self.callback_hours = config.get("CALLBACK_HOURS", 4)
        self.escalations = 0
        self.pause_rows = 0

    # -- who and where
    def place(self, substation: int | None = None):
        """(account row or None, building, substation, district) of a complaint."""
        rng, city = self.rng, self.city
        if substation is None:
            index = bisect.bisect_left(city.substation_weights, rng.random() * city.substation_weights[-1])
            substation = city.substations[min(index, len(city.substations) - 1)][0]
        accounts = city.accounts_at.get(substation)
        if accounts and rng.random() < 0.9:
            account = rng.choice(accounts)
            return account, account[1], substation, city.buildings[account[1]][1]
        building = rng.choice(city.buildings_at[substation])
        return None, building, substation, city.buildings[building][1]

    def new_ticket(self, ticket_id: int, created: datetime, phase: str, outage: Outage | None,
                   want: str, backlog: float) -> tuple[Sim, tuple]:
        """Simulate one ticket; `want` is "closed" (old), "open" or one of the open states forced."""
        rng, city = self.rng, self.city
        category = "no_heat" if outage else weighted(rng, tuple(CATEGORY_MIX[phase].items()))
        priority = city.default_priority[category]
        roll = rng.random()
        if roll < 0.07 and priority != "emergency":
            priority = PRIORITIES[PRIORITIES.index(priority) - 1]  # an old person alone, an infant
        elif roll > 0.97 and priority != "low":
            priority = PRIORITIES[PRIORITIES.index(priority) + 1]
        policy = city.policies[(city.categories[category], priority)]
        account, building, substation, district = self.place(outage.substation if outage else None)
        triage = want == "triage" or (want == "closed" and rng.random() < 0.015)
        team = None if triage else city.team_of_district[district]
        sim = Sim(ticket_id, created, category, priority, policy, team)
        channel = weighted(rng, CHANNELS)
        if account is not None:
            name, phone, unit, flat = account[4], account[5], account[2], account[3]
            address = city.buildings[building][2]
        else:
            name = rng.choice(FAMILY_NAMES) + rng.choice(("先生", "女士")) if rng.random() < 0.5 else \
                rng.choice(FAMILY_NAMES) + rng.choice(GIVEN_NAMES)
            phone = f"+86{rng.choice((137, 139, 150, 151, 158, 159, 182, 187, 188))}{rng.randrange(10**8):08d}"
            unit, flat = str(rng.randint(1, 4)), f"{rng.randint(1, 18)}{rng.randint(1, 2):02d}"
            address = city.buildings[building][2]
        if triage:  # the address could not be placed: only the district is known
            address = f"{rng.choice(COMPOUND_WORDS)}新区{rng.randint(1, 40)}号楼"
            account, building, substation = None, None, None
        creator = {"phone": ("staff", rng.choice(city.agents)), "api": ("system", None)}.get(
            channel, ("resident", None))
        sim.event(created, creator[0], creator[1], "create", to="new", data={"channel": channel})
        self.lifecycle(sim, want, backlog, outage)
        indoor = None
        if category == "no_heat" and rng.random() < 0.7:
            indoor = round(min(17.5, max(4.0, rng.gauss(12.5, 2.5))), 1)
        elif category == "low_temperature" and rng.random() < 0.8:
            indoor = round(min(17.9, max(10.0, rng.gauss(15.8, 1.2))), 1)
        row_place = (account[0] if account else None, district, substation, building, address, unit, flat)
        return sim, (channel, name, phone, rng.random() < 0.85 or channel == "sms",
                     "en" if rng.random() < 0.02 else "zh_Hans", indoor, rng.choice(DESCRIPTIONS[category]),
                     row_place)

    # -- the work
    def lifecycle(self, sim: Sim, want: str, backlog: float, outage: Outage | None) -> None:
        rng, city, cal, policy = self.rng, self.city, self.cal, sim.policy
        created = sim.created
        cap = self.now - timedelta(minutes=1)
        heating = policy.on_site is not None
        techs = city.technicians.get(sim.team or 0) or [None]
        if sim.team is None:  # triage: an agent places it with the district's team, which dispatches it
            if want == "triage":
                self.extras(sim, created, cap, open_ticket=True)
                return
            district_team = rng.choice(list(city.team_of_district.values()))
            at = created + timedelta(minutes=lognormal(rng, 15, 0.7))
            sim.event(at, "staff", rng.choice(city.agents), "transfer", to="transferred", note=TRIAGE_NOTES[0],
                      public=False, data={"team_id": district_team, "previous_team_id": None})
            sim.team = district_team
            techs = city.technicians.get(district_team) or [None]
            start = at + timedelta(minutes=lognormal(rng, 8, 0.6))
            self.assign(sim, start, rng.choice(techs), rng.choice(city.supervisors.get(district_team, [None])))
        else:
            start = created
            self.assign(sim, created, rng.choice(techs), None)
        if want == "transferred":  # handed to a neighbouring team, not dispatched there yet
            other = rng.choice([t for t in city.technicians if t != sim.team])
            at = created + timedelta(minutes=lognormal(rng, 25, 0.8))
            if at < cap:
                sim.event(at, "staff", rng.choice(city.supervisors.get(sim.team, [None])), "transfer",
                          to="transferred", note=rng.choice(TRANSFER_NOTES), public=False,
                          data={"team_id": other, "previous_team_id": sim.team})
                sim.team, sim.assignee = other, None
            self.extras(sim, created, cap, open_ticket=True)
            return

        # The plan: when each step would happen, in the clock's calendar where the SLA counts.
        f = backlog
        ack = cal.add(created, max(1, policy.respond * lognormal(rng, 0.4, 0.75) * f), policy.calendar)
        ack = max(ack, sim.events[-1][0] + timedelta(minutes=1))
        roll = rng.random()
        if roll < 0.04:  # the supervisor moves it to another technician before it is accepted
            moved = sim.events[-1][0] + (ack - sim.events[-1][0]) * rng.uniform(0.2, 0.8)
            self.assign(sim, moved, rng.choice(techs), rng.choice(city.supervisors.get(sim.team, [None])))
        elif roll < 0.05 and want == "closed" and sim.events[-1][4] != "transfer":
            # an old ticket that went to the neighbouring team
            other = rng.choice([t for t in city.technicians if t != sim.team])
            at = sim.events[-1][0] + (ack - sim.events[-1][0]) * 0.5
            sim.event(at, "staff", rng.choice(city.supervisors.get(sim.team, [None])), "transfer", to="transferred",
                      note=TRANSFER_NOTES[0], public=False, data={"team_id": other, "previous_team_id": sim.team})
            sim.team, sim.assignee = other, None
            techs = city.technicians.get(other) or [None]
            self.assign(sim, at + timedelta(minutes=lognormal(rng, 10, 0.5)), rng.choice(techs),
                        rng.choice(city.supervisors.get(other, [None])))
            ack = max(ack, sim.events[-1][0] + timedelta(minutes=2))
        steps = [("acknowledge", ack)]
        if heating and outage is None:
            depart = ack + timedelta(minutes=lognormal(rng, 8, 0.6))
            arrive = max(depart + timedelta(minutes=3),
                         cal.add(created, policy.on_site * lognormal(rng, 0.5, 0.6) * f, policy.calendar))
            steps += [("depart", depart), ("arrive", arrive)]
            work_from = arrive
        else:
            work_from = ack
        if outage is not None:
            resolve = max(outage.fixed + timedelta(minutes=lognormal(rng, 20, 0.8)), ack + timedelta(minutes=5))
        else:
            resolve = max(work_from + timedelta(minutes=lognormal(rng, 35, 0.8)),
                          cal.add(created, policy.resolve * lognormal(rng, 0.12 if heating else 0.3, 1.0) * f,
                                  policy.calendar))
        wait = None
        if rng.random() < (0.05 if want == "closed" else 0.0) or want == "waiting":
            # the resident was not home: the clocks stand still until the resume
            after = steps[-1][1] if want == "closed" else steps[0][1]
            paused = after + timedelta(minutes=lognormal(rng, 20, 0.6))
            wait = (paused, paused + timedelta(minutes=lognormal(rng, 8 * 60, 0.7)))
            if want == "closed":
                resolve = max(resolve, wait[1] + timedelta(minutes=lognormal(rng, 40, 0.6)))
        # An old ticket's work (a call-back's too, with time for the score) happened before now: squeeze.
        latest = {"closed": cap, "callback": cap - timedelta(hours=3)}.get(want)
        if latest is not None and resolve > latest:
            base = sim.events[-1][0]
            squeeze = (latest - base) / (resolve - base)
            steps = [(name, base + (at - base) * squeeze) for name, at in steps]
            if wait:
                wait = (base + (wait[0] - base) * squeeze, base + (wait[1] - base) * squeeze)
            resolve = latest
        # Play the plan; an open ticket stops before its resolution (or where "now" is).
        open_target = want not in ("closed", "callback")
        if want == "open":
            # A backlog of this size waits for technicians: about half not yet accepted, the rest accepted
            # and queued; a technician is on the way to or at one flat at a time.
            roll = rng.random()
            keep = ({"acknowledge", "depart"} if roll < 0.001 else {"acknowledge", "depart", "arrive"}
                    if roll < 0.0025 else {"acknowledge"} if roll < 0.52 else set())
            steps = [s for s in steps if s[0] in keep]
        if want == "cancelled":
            at = created + timedelta(minutes=lognormal(rng, 40, 0.8))
            steps = [s for s in steps if s[1] < at]
        for name, at in steps:
            if open_target and at >= cap:
                break
            if wait and want == "waiting" and at > wait[0]:
                break
            self.step(sim, name, at)
        if want == "cancelled":
            at = min(cap, max(sim.events[-1][0] + timedelta(minutes=1), created + timedelta(minutes=40)))
            if sim.status in ("new", "assigned", "acknowledged", "en_route", "on_site", "transferred", "reopened"):
                sim.event(at, "staff", rng.choice(city.agents), "cancel", to="cancelled",
                          note=rng.choice(CANCEL_NOTES))
                sim.terminal = at
            self.extras(sim, created, at, open_ticket=False)
            return
        if wait and sim.status in S_WORKING and (want == "waiting" or wait[1] < resolve):
            if wait[0] < cap:
                self.pause(sim, wait[0], None if want == "waiting" else wait[1])
        if open_target:
            self.extras(sim, created, cap, open_ticket=True)
            return
        # Resolution and the survey.
        self.resolve(sim, resolve, outage)
        self.survey(sim, resolve, cap, want)
        self.extras(sim, created, sim.resolved_at or resolve, open_ticket=False)

    def assign(self, sim: Sim, at: datetime, technician: int | None, by: int | None) -> None:
        if technician is None:
            return
        previous = sim.assignee
        sim.event(at, "staff" if by else "system", by, "assign", to="assigned",
                  data={"assignee_id": technician, "previous_assignee_id": previous})
        sim.assignee = technician

    def step(self, sim: Sim, name: str, at: datetime) -> None:
        if name == "acknowledge" and sim.status == "assigned":
            sim.event(at, "staff", sim.assignee, "acknowledge", to="acknowledged")
            if sim.done["respond"] is None:
                sim.done["respond"] = at
                sim.ended.setdefault("respond", at)
        elif name == "depart" and sim.status == "acknowledged":
            sim.event(at, "staff", sim.assignee, "depart", to="en_route")
        elif name == "arrive" and sim.status in ("acknowledged", "en_route"):
            sim.event(at, "staff", sim.assignee, "arrive", to="on_site")
            if sim.done["on_site"] is None:
                sim.done["on_site"] = at
                sim.ended.setdefault("on_site", at)

    def pause(self, sim: Sim, paused: datetime, resumed: datetime | None) -> None:
        before = sim.status
        sim.event(paused, "staff", sim.assignee, "wait_for_resident", to="waiting", note=self.rng.choice(WAIT_NOTES))
        sim.pauses.append([paused, resumed])
        if resumed is None:
            sim.status_before_wait = before
            return
        sim.event(resumed, "staff", sim.assignee, "resume", to=before)

    def resolve(self, sim: Sim, at: datetime, outage: Outage | None) -> None:
        rng = self.rng
        if sim.status == "waiting":
            return
        if sim.status not in S_WORKING:
            return
        code = "substation_fault" if outage else weighted(rng, RESOLUTIONS[sim.category])
        measured = None
        if code == "meets_standard":
            measured = round(min(23.0, max(18.0, rng.gauss(19.2, 0.8))), 1)
        elif sim.category in HEATING_CODES and rng.random() < 0.6:
            measured = round(min(25.0, max(16.0, rng.gauss(19.5, 1.2))), 1)
        sim.resolution, sim.measured = code, measured
        for clock in ("respond", "on_site", "resolve"):
            sim.ended.setdefault(clock, at)
        sim.event(at, "staff", sim.assignee, "resolve", to="resolved",
                  data={"resolution_code": code, "measured_temp": None if measured is None else f"{measured:.1f}"})
        sim.resolved_at = at
        sim.done["resolve"] = at
        sim.terminal = sim.terminal or at

    def survey(self, sim: Sim, resolved: datetime, cap: datetime, want: str) -> None:
        """The resident's score closes the loop; 1–2 reopens it for the supervisor's call-back."""
        rng, city = self.rng, self.city
        if sim.status != "resolved":
            return
        late = any(self.clock_missed(sim, c) for c in ("respond", "on_site", "resolve"))
        roll = rng.random()
        supervisor = rng.choice(city.supervisors.get(sim.team, [None]))
        if want == "callback":
            roll = 0.0  # forced: a low score, the call-back still to do
        if roll < 0.68:
            at = resolved + timedelta(minutes=lognormal(rng, 300, 0.9))
            if want == "callback":
                at = min(at, cap - timedelta(minutes=1))
            score = rng.choice((1, 2)) if want == "callback" else weighted(rng, SCORES_LATE if late else SCORES_GOOD)
            if at >= cap or (want != "callback" and score <= 2
                             and at + timedelta(hours=self.callback_hours * 3) >= cap):
                return  # not answered yet: stays resolved
            comment = rng.choice(LOW_COMMENTS) if score <= 2 else rng.choice(GOOD_COMMENTS)
            sim.score, sim.comment = score, comment or None
            if score >= 3:
                sim.event(at, "resident", None, "rate", to="closed", note=comment, data={"score": score})
                sim.closure, sim.closed_at = "rated", at
                return
            sim.event(at, "resident", None, "rate", to="reopened", note=comment, data={"score": score})
            sim.resolved_at = None
            sim.reopened.append([at, None])
            sim.callback_due = at + timedelta(hours=self.callback_hours)
            if want == "callback":
                return
            done = at + timedelta(minutes=lognormal(rng, 180, 0.8))
            if done >= cap:
                done = cap
            sim.event(done, "staff", supervisor, "close_after_callback", to="closed", note=rng.choice(CALLBACK_NOTES),
                      public=False)
            sim.closure, sim.closed_at, sim.callback_due = "callback", done, None
            sim.reopened[-1][1] = done
        elif roll < 0.98:
            at = resolved + timedelta(days=3, minutes=rng.random() * 60)
            if at >= cap:
                return
            sim.event(at, "system", None, "close_without_response", to="closed")
            sim.closure, sim.closed_at = "no_response", at
        else:  # "not fixed": reopened by the resident and worked again
            at = resolved + timedelta(minutes=lognormal(rng, 600, 0.7))
            second = at + timedelta(hours=12)
            if second >= cap:
                return
            sim.event(at, "resident", None, "reopen", to="reopened", note=rng.choice(REOPEN_NOTES))
            sim.resolved_at = None
            sim.reopened.append([at, None])
            techs = city.technicians.get(sim.team) or [None]
            t = at + timedelta(minutes=rng.uniform(10, 60))  # at most five hours: well before `second`
            self.assign(sim, t, rng.choice(techs), supervisor)
            t += timedelta(minutes=rng.uniform(5, 40))
            self.step(sim, "acknowledge", t)
            if sim.policy.on_site is not None:
                t += timedelta(minutes=rng.uniform(5, 20))
                self.step(sim, "depart", t)
                t += timedelta(minutes=rng.uniform(15, 60))
                self.step(sim, "arrive", t)
            t += timedelta(minutes=rng.uniform(20, 120))
            self.resolve(sim, t, None)
            sim.reopened[-1][1] = t
            score = weighted(rng, SCORES_GOOD)
            rated = sim.resolved_at + timedelta(minutes=lognormal(rng, 240, 0.8))
            if score >= 3 and rated < cap:
                sim.event(rated, "resident", None, "rate", to="closed", data={"score": score})
                sim.score, sim.closure, sim.closed_at = score, "rated", rated

    def extras(self, sim: Sim, start: datetime, end: datetime, open_ticket: bool) -> None:
        """Repeat calls from the resident and the technicians' internal notes (no change of state)."""
        rng = self.rng
        if end <= start:
            return
        calls = 0
        if rng.random() < (0.15 if open_ticket else 0.08):
            calls = 1 + int(rng.expovariate(0.9))
        for _ in range(calls):
            at = start + (end - start) * rng.random()
            sim.event(at, "staff", rng.choice(self.city.agents), "call", note=rng.choice(CALL_NOTES), public=False,
                      data={"channel": "phone"})
        if sim.assignee and rng.random() < 0.1:
            at = start + (end - start) * rng.uniform(0.3, 1.0)
            sim.event(at, "staff", sim.assignee, "note", note=rng.choice(TECH_NOTES), public=False)
        if sim.id % 50_000 == 0:  # a flat that calls every day: a long trail for the ticket page
            for _ in range(rng.randint(40, 90)):
                at = start + (end - start) * rng.random()
                if rng.random() < 0.7:
                    sim.event(at, "staff", rng.choice(self.city.agents), "call", note=rng.choice(CALL_NOTES),
                              public=False, data={"channel": "phone"})
                else:
                    sim.event(at, "staff", sim.assignee or rng.choice(self.city.agents), "note",
                              note=rng.choice(TECH_NOTES), public=False)

    # -- the clocks, as app.sla.service keeps them
    def clock_missed(self, sim: Sim, clock: str) -> bool:
        due = self.dues(sim).get(clock)
        end = sim.ended.get(clock)
        return due is not None and end is not None and end > due

    def dues(self, sim: Sim) -> dict[str, datetime]:
        """Due times from intake (apply_policy), each running clock moved on by every finished pause."""
        if hasattr(sim, "_dues"):
            return sim._dues
        p, cal = sim.policy, self.cal
        dues = {"respond": cal.add(sim.created, p.respond, p.calendar),
                "resolve": cal.add(sim.created, p.resolve, p.calendar)}
        if p.on_site:
            dues["on_site"] = cal.add(sim.created, p.on_site, p.calendar)
        for paused, resumed in sim.pauses:
            if resumed is None:
                continue
            for clock, due in list(dues.items()):
                done = sim.done.get(clock)
                if due <= paused or (done is not None and done <= paused):
                    continue
                left = cal.between(paused, due, p.calendar)
                dues[clock] = cal.add(resumed, left, p.calendar)
        sim._dues = dues
        return dues

    def finish(self, sim: Sim) -> tuple[dict, list, list]:
        """Outcomes (met/missed), the escalations the sweep would have sent, and the pause rows."""
        dues = self.dues(sim)
        p, cal = sim.policy, self.cal
        met: dict[str, bool | None] = {}
        sent = []
        now = self.now
        for clock in ("respond", "on_site", "resolve"):
            due = dues.get(clock)
            if due is None:
                met[clock] = None
                continue
            end = sim.ended.get(clock)
            stop = min(x for x in (end, sim.terminal, now) if x is not None)
            allowed = cal.between(sim.created, due, p.calendar)
            levels = [("breach", due)]
            if allowed > 0:
                warn = min(due, cal.add(sim.created, math.ceil(allowed * self.warn_percent / 100), p.calendar))
                levels.insert(0, ("warning", warn))
                if self.duty_percent:
                    levels.append(("duty_manager",
                                   due + timedelta(minutes=math.ceil(allowed * (self.duty_percent - 100) / 100))))
            breached = False
            for level, at in levels:
                fire = at + timedelta(seconds=self.rng.random() * 60)  # the sweep runs every minute
                for paused, resumed in sim.pauses:  # the sweep skips a ticket while it waits
                    if paused <= fire and (resumed is None or fire < resumed):
                        fire = None if resumed is None else resumed + timedelta(seconds=self.rng.random() * 60)
                        break
                if fire is None or fire >= stop:
                    continue
                sent.append((fire, clock, level))
                if level == "breach":
                    breached = True
            if end is not None:
                met[clock] = False if breached else end <= due
            else:
                met[clock] = False if breached else None
            if met[clock] is False and sim.reopened:
                # Reopened: a missed clock whose step is not done runs again (resolve always: the reopen
                # clears resolved_at), and the sweep sends the levels it had not sent yet.
                done_at = sim.done.get(clock)
                have = {lv for _, c, lv in sent if c == clock}
                for opened, closed in sim.reopened:
                    if clock != "resolve" and done_at is not None and done_at <= opened:
                        continue
                    until = min(x for x in (closed, now) if x is not None)
                    for level, at in levels:
                        fire = max(at, opened) + timedelta(seconds=self.rng.random() * 60)
                        if level not in have and fire < until:
                            sent.append((fire, clock, level))
                            have.add(level)
        for fire, clock, level in sent:
            sim.event(fire, "system", None, "escalate", public=False, data={"clock": clock, "level": level})
        self.escalations += len(sent)
        self.pause_rows += len(sim.pauses)
        return met, sent, sim.pauses


TICKET_COLUMNS = ("id", "reference", "status", "channel", "category_id", "priority", "language", "name", "phone",
                  "sms_consent", "account_id", "district_id", "substation_id", "building_id", "address_text", "unit",
                  "flat", "indoor_temp", "description", "team_id", "assignee_id", "sla_policy_id", "respond_due_at",
                  "on_site_due_at", "resolve_due_at", "responded_at", "on_site_at", "resolved_at", "closed_at",
                  "sla_paused_at", "status_before_wait", "resolution_code", "satisfaction_score",
                  "satisfaction_comment", "closure", "version", "created_at", "updated_at", "measured_temp",
                  "respond_met", "on_site_met", "resolve_met", "callback_due_at", "respond_seconds",
                  "on_site_seconds", "resolve_seconds")
EVENT_COLUMNS = ("id", "ticket_id", "created_at", "actor_kind", "actor_id", "action", "from_status", "to_status",
                 "note", "public", "data")


# --- loading: indexes and foreign keys off during the COPY, back on before the commit ---------------

BIG_TABLES = ("tickets", "ticket_events", "sla_escalations", "sla_pauses", "resolutions")


def drop_load_slowers(cur: psycopg.Cursor) -> tuple[list[str], list[str]]:
    """Drop the plain indexes and the foreign keys of the big tables; return the statements that
    recreate them exactly (from the catalogue). Primary keys, unique and check constraints stay."""
    indexes = cur.execute(
        "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
        "WHERE i.indrelid = ANY(%s::regclass[]) AND NOT EXISTS "
        "(SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)", (list(BIG_TABLES),)).fetchall()
    fks = cur.execute(
        "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE contype = 'f' AND conrelid = ANY(%s::regclass[])", (list(BIG_TABLES),)).fetchall()
    for table, name, _ in fks:
        cur.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    for name, _ in indexes:
        cur.execute(f"DROP INDEX {name}")
    return [d for _, d in indexes], [f'ALTER TABLE {t} ADD CONSTRAINT "{n}" {d}' for t, n, d in fks]


def migration_module(revision: str):
    """The migration file of `revision`, loaded as a module: the generator runs its backfill SQL."""
    path = next((ROOT / "migrations" / "versions").glob(f"{revision}_*.py"))
    spec = importlib.util.spec_from_file_location(f"migration_{revision}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def backfill_resolutions(cur: psycopg.Cursor, first_ticket_id: int) -> int:
    """One row per resolution of the generated tickets, made from their events by the migration's own
    SQL (5a7e1c0d9b21), as `flask db upgrade` did for the tickets already there."""
    migration = migration_module("5a7e1c0d9b21")
    cur.execute("SET LOCAL work_mem = '256MB'")
    cur.execute(migration.backfill_sql("postgresql", where=f"AND ticket_id >= {int(first_ticket_id)}"))
    return cur.rowcount


def backfill_rollup(cur: psycopg.Cursor, zone: ZoneInfo, table: str, revision: str) -> int:
    """A rollup table of the reports counted again from the tickets (or resolutions, or their days) by
    its migration's own SQL: the demo's rows were counted as its tickets were made, the generated ones
    were COPYed."""
    migration = migration_module(revision)
    cur.execute(f"DELETE FROM {table}")
    if table == "resolution_months":  # added up from resolution_days, whose days are the company's already
        cur.execute(migration.backfill_sql())
    else:
        cur.execute(migration.backfill_sql("%(zone)s"), {"zone": zone.key})
    return cur.rowcount


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--open", type=int, default=100_000, help="the most recent tickets still open")
    parser.add_argument("--accounts", type=int, default=300_000)
    parser.add_argument("--buildings", type=int, default=3_000)
    parser.add_argument("--substations", type=int, default=81)
    parser.add_argument("--seasons", default=DEFAULT_SEASONS, help="first:last day of each past heating season")
    parser.add_argument("--no-current-season", action="store_true",
                        help="leave out the season running now (only the open tickets fall in it then)")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--batch", type=int, default=50_000, help="tickets per COPY round")
    parser.add_argument("--recreate", action="store_true", help="drop the database first if it exists")
    parser.add_argument("--skip-marks", action="store_true", help="do not compute the SLA marks afterwards")
    parser.add_argument("--verify", type=int, default=2000, help="tickets checked against the app's SLA code (0: none)")
    args = parser.parse_args()
    if args.open > args.tickets:
        parser.error("--open cannot exceed --tickets")

    started = time.perf_counter()
    url = make_url(args.database_url.replace("postgresql://", "postgresql+psycopg://", 1))
    prepare_database(url, args.recreate)
    database_url = url.render_as_string(hide_password=False)
    instance = Path(os.environ.get("HEATDESK_INSTANCE_PATH") or "/tmp/heatdesk-bench-instance")
    os.environ.setdefault("HEATDESK_INSTANCE_PATH", str(instance))

    from flask_migrate import upgrade

    from app import create_app
    from app.core.time import utcnow
    from app.demo.seed import seed
    from app.extensions import db
    from app.sla.models import Calendar
    from app.sla.service import working_hours

    app = create_app(env={"HEATDESK_ENV": "development", "SECRET_KEY": "bench", "DATABASE_URL": database_url,
                          "RATELIMIT_ENABLED": "false", "HEATDESK_INSTANCE_PATH": str(instance)})
    timings: dict[str, float] = {}
    with app.app_context():
        t = time.perf_counter()
        upgrade()
        if seed():
            db.session.commit()
            log("demo seed created")
        timings["migrate + seed"] = time.perf_counter() - t
        hours = working_hours()
        config = dict(app.config)
        db.session.remove()

    now = utcnow().replace(microsecond=0)
    rng = random.Random(args.seed)
    pg = psycopg.connect(url.set(drivername="postgresql").render_as_string(hide_password=False))
    cur = pg.cursor()
    existing = cur.execute("SELECT count(*) FROM tickets").fetchone()[0]
    if existing > 1000:
        sys.exit(f"{existing} tickets are already there: use --recreate to start again")
    cur.execute("SET maintenance_work_mem = '512MB'")
    cur.execute("SET synchronous_commit = off")

    with app.app_context():
        t = time.perf_counter()
        made = scale_network(cur, rng, args, now)
        timings["network"] = time.perf_counter() - t
        log(f"network: +{made['substations']} substations, +{made['buildings']} buildings, "
            f"+{made['accounts']} accounts, +{made['phones']} phones, +{made['users']} staff "
            f"({timings['network']:.1f} s)")

        seasons = parse_seasons(args.seasons)
        zone = hours.zone
        today = now.astimezone(zone).date()
        if not args.no_current_season:
            for first, last in hours.seasons:
                if first <= today <= last and all(s.first != first for s in seasons):
                    seasons.append(Period(first, today))
        first_day = min(s.first for s in seasons) - timedelta(days=30)
        cal = SlaCalendar(hours, first_day - timedelta(days=5), today + timedelta(days=400))
        calendar_of = {c.value: c for c in Calendar}.get
        city = load_city(cur, rng, calendar_of)
        factory = TicketFactory(rng, city, cal, now, config)

        # When: the closed tickets over the seasons up to the open window, the open ones in it.
        t = time.perf_counter()
        open_from = now - OPEN_WINDOW
        days, weights, phase = day_weights(seasons, first_day, today)
        n_closed = args.tickets - args.open
        n_outage = int(n_closed * 0.05)
        plain = creation_times(rng, n_closed - n_outage, days, weights, zone, open_from)
        outages, burst = make_outages(rng, city, days, weights, phase, zone, open_from, n_outage)
        closed_times = sorted([(c, None) for c in plain] + burst, key=lambda x: x[0])
        open_times = sorted(open_moments(rng, city, now, args.open), key=lambda x: x[0])
        timings["timeline"] = time.perf_counter() - t

        first_id = cur.execute("SELECT coalesce(max(id), 0) + 1 FROM tickets").fetchone()[0]
        references = set(r for (r,) in cur.execute("SELECT reference FROM tickets"))
        fresh = rng.sample(range(10**9, 10**10), args.tickets + len(references) + 10)
        fresh = [str(r) for r in fresh if str(r) not in references][:args.tickets]
        event_id = cur.execute("SELECT coalesce(max(id), 0) + 1 FROM ticket_events").fetchone()[0]
        escalation_id = cur.execute("SELECT coalesce(max(id), 0) + 1 FROM sla_escalations").fetchone()[0]
        pause_id = cur.execute("SELECT coalesce(max(id), 0) + 1 FROM sla_pauses").fetchone()[0]

        t = time.perf_counter()
        recreate_indexes, recreate_fks = drop_load_slowers(cur)
        counts = {"tickets": 0, "events": 0, "escalations": 0, "pauses": 0}
        statuses: dict[str, int] = {}
        plan = [(created, outage, "cancelled" if rng.random() < 0.02 else "closed")
                for created, outage in closed_times]
        plan += [(created, outage, want) for created, outage, want in open_times]
        simulate_seconds = copy_seconds = 0.0
        for start in range(0, len(plan), args.batch):
            t_sim = time.perf_counter()
            tickets, events, escalations, pauses = [], [], [], []
            for offset, (created, outage, want) in enumerate(plan[start:start + args.batch]):
                ticket_id = first_id + start + offset
                ph = phase.get(created.astimezone(zone).date(), "season")
                backlog = 1.0 if want in ("closed", "cancelled", "callback") else 2.5
                sim, extra = factory.new_ticket(ticket_id, created, ph, outage, want, backlog)
                met, sent, pause_list = factory.finish(sim)
                for fire, clock, level in sent:
                    escalations.append((escalation_id, ticket_id, clock, level, fire))
                    escalation_id += 1
                for paused, resumed in pause_list:
                    pauses.append((pause_id, ticket_id, paused, resumed))
                    pause_id += 1
                events.extend((e, ticket_id) for e in sim.events)
                tickets.append(ticket_row(sim, extra, fresh[start + offset], met, factory, city))
                statuses[sim.status] = statuses.get(sim.status, 0) + 1
            events.sort(key=lambda e: (e[0][0], e[1], e[0][1]))
            event_rows = []
            for ev, ticket_id in events:
                at, _, kind, actor, action, from_s, to_s, note, public, data = ev
                event_rows.append((event_id, ticket_id, at, kind, actor, action, from_s, to_s, note, public, data))
                event_id += 1
            simulate_seconds += time.perf_counter() - t_sim
            t_copy = time.perf_counter()
            counts["tickets"] += copy_rows(cur, "tickets", TICKET_COLUMNS, tickets)
            counts["events"] += copy_rows(cur, "ticket_events", EVENT_COLUMNS, event_rows)
            counts["escalations"] += copy_rows(cur, "sla_escalations", ("id", "ticket_id", "clock", "level",
                                                                        "created_at"), escalations)
            counts["pauses"] += copy_rows(cur, "sla_pauses", ("id", "ticket_id", "started_at", "ended_at"), pauses)
            copy_seconds += time.perf_counter() - t_copy
            log(f"{counts['tickets']:>9,} tickets, {counts['events']:>10,} events, "
                f"{counts['escalations']:>9,} escalations ({time.perf_counter() - t:.0f} s)")
        timings["simulate (Python)"] = simulate_seconds
        timings["COPY"] = copy_seconds
        t = time.perf_counter()
        counts["resolutions"] = backfill_resolutions(cur, first_id)
        timings["resolutions (backfill)"] = time.perf_counter() - t
        log(f"{counts['resolutions']:,} resolutions from the events ({timings['resolutions (backfill)']:.0f} s)")
        for table, revision in (("resolution_days", "8e4f1a2b3c54"), ("resolution_months", "9d4e5f6a7b98"),
                                ("received_days", "9a1b2c3d4e65"), ("step_time_months", "9b2c3d4e5f76")):
            t = time.perf_counter()
            counts[table] = backfill_rollup(cur, zone, table, revision)
            timings[table] = time.perf_counter() - t

        t = time.perf_counter()
        for table, column in (("tickets", "id"), ("ticket_events", "id"), ("sla_escalations", "id"),
                              ("sla_pauses", "id"), ("users", "id"), ("substations", "id"), ("buildings", "id"),
                              ("customer_accounts", "id"), ("customer_phones", "id")):
            cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', '{column}'), "
                        f"(SELECT coalesce(max({column}), 1) FROM {table}))")
        for statement in recreate_indexes:
            cur.execute(statement)
        timings["indexes"] = time.perf_counter() - t
        t = time.perf_counter()
        for statement in recreate_fks:
            cur.execute(statement)
        timings["foreign keys"] = time.perf_counter() - t
        cur.execute(f"COMMENT ON DATABASE \"{url.database}\" IS "
                    f"'heatdesk bench: generate_tickets.py at {now.isoformat()}, {args.tickets} tickets, "
                    f"{args.open} open, seed {args.seed}'")
        t = time.perf_counter()
        pg.commit()
        timings["commit"] = time.perf_counter() - t
        pg.autocommit = True
        t = time.perf_counter()
        cur.execute("VACUUM (ANALYZE)")
        timings["VACUUM ANALYZE"] = time.perf_counter() - t
        pg.close()

    if not args.skip_marks:
        from app.sla.service import refresh_all_marks

        with app.app_context():
            t = time.perf_counter()
            refreshed = refresh_all_marks()
            db.session.commit()
            timings["SLA marks (refresh_all_marks)"] = time.perf_counter() - t
            log(f"SLA marks of {refreshed:,} open tickets refreshed in "
                f"{timings['SLA marks (refresh_all_marks)']:.1f} s")
            db.session.remove()
        with psycopg.connect(url.set(drivername="postgresql").render_as_string(hide_password=False),
                             autocommit=True) as conn:
            conn.execute("VACUUM (ANALYZE) tickets")  # the marks rewrote the open rows: clear the dead ones
    if args.verify:
        with app.app_context():
            t = time.perf_counter()
            verify(args.verify, now, rng)
            timings["verify"] = time.perf_counter() - t

    total = time.perf_counter() - started
    summary(url, now, args, counts, statuses, timings, total, cal, outages)


def verify(sample: int, now: datetime, rng: random.Random) -> None:
    """Check a sample against the app's own code: due times (app.sla.service.recompute_due, which
    replays the pauses), escalation rows no earlier than their level (level_times), and no open
    ticket with a level due at generation time but not sent (app.sla.escalation.levels_due)."""
    from sqlalchemy import select

    from app.extensions import db
    from app.sla import service
    from app.sla.models import SlaEscalation
    from app.tickets.models import OPEN_STATUSES, Ticket

    try:
        from app.sla.escalation import levels_due
    except ImportError:  # the escalation module changed: check the rest
        levels_due = None
    top = db.session.scalar(select(db.func.max(Ticket.id)))
    ids = rng.sample(range(1, top + 1), min(sample, top))
    wrong_due = early = unsent = 0
    for ticket_id in ids:
        ticket = db.session.get(Ticket, ticket_id)
        if ticket is None:
            continue
        sent = {}
        for clock, level, at in db.session.execute(
                select(SlaEscalation.clock, SlaEscalation.level, SlaEscalation.created_at)
                .where(SlaEscalation.ticket_id == ticket_id)):
            sent[(clock, level)] = at
        for (clock, level), at in sent.items():
            if at < service.level_times(ticket, clock).get(level, at + timedelta(seconds=1)):
                early += 1
        # a level that fell due in the minute before generation is the sweep's next tick: allowed
        if levels_due and ticket.status in OPEN_STATUSES and ticket.sla_paused_at is None \
                and levels_due(ticket, now - timedelta(minutes=1), set(sent)):
            unsent += 1
        saved = (ticket.respond_due_at, ticket.on_site_due_at, ticket.resolve_due_at)
        with db.session.no_autoflush:
            service.recompute_due(ticket, ticket.sla_policy)
        if (ticket.respond_due_at, ticket.on_site_due_at, ticket.resolve_due_at) != saved:
            wrong_due += 1
        db.session.rollback()
    log(f"verified {len(ids):,} random tickets with the app's SLA code: {wrong_due} due-time differences, "
        f"{early} escalations before their level, {unsent} open tickets with a level left unsent")


def ticket_row(sim: Sim, extra: tuple, reference: str, met: dict, factory: TicketFactory, city: City) -> tuple:
    channel, name, phone, consent, language, indoor, description, place = extra
    account, district, substation, building, address, unit, flat = place
    dues = factory.dues(sim)
    paused = next((p for p, r in sim.pauses if r is None), None) if sim.status == "waiting" else None
    updated = max(e[0] for e in sim.events)
    return (sim.id, reference, sim.status, channel, city.categories[sim.category], sim.priority, language, name, phone,
            consent, account, district, substation, building, address, unit, flat,
            None if indoor is None else f"{indoor:.1f}", description, sim.team,
            sim.assignee if sim.status not in ("new", "transferred") else None, sim.policy.id,
            dues.get("respond"), dues.get("on_site"), dues.get("resolve"), sim.done["respond"], sim.done["on_site"],
            sim.resolved_at, sim.closed_at, paused, sim.status_before_wait if paused else None, sim.resolution,
            sim.score, sim.comment, sim.closure, len(sim.events) + 1, sim.created, updated,
            None if sim.measured is None else f"{sim.measured:.1f}", met["respond"], met["on_site"], met["resolve"],
            sim.callback_due if sim.status == "reopened" else None, seconds_since(sim.created, sim.done["respond"]),
            seconds_since(sim.created, sim.done["on_site"]), seconds_since(sim.created, sim.ended.get("resolve")))


def seconds_since(created: datetime, end: datetime | None) -> int | None:
    """A step's time as app.sla.service.record_step_time stores it (the resolve clock ends at the first resolution)."""
    return None if end is None else max(0, (end - created) // timedelta(seconds=1))


def make_outages(rng: random.Random, city: City, days, weights, phase, zone, before: datetime, count: int):
    """Substation failures: a few hundred calls from behind one substation within hours, fixed together."""
    outages, moments = [], []
    season_days = [(d, w) for d, w in zip(days, weights) if phase[d] != "off"]
    while len(moments) < count:
        day, _ = weighted(rng, [((d, w), w) for d, w in season_days[::3]])
        local = datetime(day.year, day.month, day.day, rng.randint(0, 23), tzinfo=zone)
        start = local.astimezone(UTC)
        fixed = start + timedelta(hours=rng.uniform(2, 10))
        if fixed >= before - timedelta(hours=2):
            continue
        index = bisect.bisect_left(city.substation_weights, rng.random() * city.substation_weights[-1])
        outage = Outage(city.substations[min(index, len(city.substations) - 1)][0], start, fixed)
        outages.append(outage)
        size = min(count - len(moments), max(20, int(lognormal(rng, 150, 0.6))))
        for _ in range(size):
            moments.append((start + (fixed - start) * rng.random() ** 1.5, outage))
    return outages, moments


def open_moments(rng: random.Random, city: City, now: datetime, count: int):
    """Open tickets over the last three days, busier towards now (a cold spell), with two substations
    failing right now; the state each one is to be found in."""
    result = []
    live = []
    for hours_ago in (5, 2):
        index = bisect.bisect_left(city.substation_weights, rng.random() * city.substation_weights[-1])
        start = now - timedelta(hours=hours_ago)
        live.append(Outage(city.substations[min(index, len(city.substations) - 1)][0], start,
                           now + timedelta(hours=3)))
    n_live = min(count // 20, 3000)
    for i in range(n_live):
        outage = live[i % 2]
        result.append((outage.start + (now - outage.start) * rng.random(), outage, "open"))
    forced = (("triage", .01), ("transferred", .015), ("waiting", .07), ("callback", .02))
    while len(result) < count:
        created = now - OPEN_WINDOW * rng.random() ** 1.35 - timedelta(minutes=1)
        roll, want = rng.random(), "open"
        for state, share in forced:
            if roll < share:
                want = state
                break
            roll -= share
        if want == "callback" and now - created < timedelta(hours=20):
            want = "open"
        result.append((created, None, want))
    return result


def prepare_database(url, recreate: bool) -> None:
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": url.database})
        if exists and recreate:
            conn.execute(text(f'DROP DATABASE "{url.database}" WITH (FORCE)'))
            exists = False
        if not exists:
            conn.execute(text(f'CREATE DATABASE "{url.database}" TEMPLATE template0 ENCODING \'UTF8\''))
            log(f"database {url.database} created")
    admin.dispose()


def summary(url, now, args, counts, statuses, timings, total, cal, outages) -> None:
    with psycopg.connect(url.set(drivername="postgresql").render_as_string(hide_password=False)) as conn:
        q = lambda sql: conn.execute(sql).fetchall()  # noqa: E731
        sizes = q("SELECT relname, pg_size_pretty(pg_total_relation_size(oid)) FROM pg_class "
                  "WHERE relname IN ('tickets', 'ticket_events', 'sla_escalations', 'customer_accounts') ORDER BY 1")
        network = q("SELECT (SELECT count(*) FROM districts), (SELECT count(*) FROM substations), "
                    "(SELECT count(*) FROM buildings), (SELECT count(*) FROM customer_accounts), "
                    "(SELECT count(*) FROM customer_phones), (SELECT count(*) FROM users)")[0]
        channels = q("SELECT channel, count(*) FROM tickets GROUP BY 1 ORDER BY 2 DESC")
        categories = q("SELECT c.code, count(*) FROM tickets t JOIN categories c ON c.id = t.category_id "
                       "GROUP BY 1 ORDER BY 2 DESC")
        outcome = q("SELECT round(100.0 * avg(respond_met::int), 1), round(100.0 * avg(on_site_met::int), 1), "
                    "round(100.0 * avg(resolve_met::int), 1) FROM tickets")[0]
        scores = q("SELECT satisfaction_score, count(*) FROM tickets WHERE satisfaction_score IS NOT NULL "
                   "GROUP BY 1 ORDER BY 1")
        closures = q("SELECT closure, count(*) FROM tickets WHERE closure IS NOT NULL GROUP BY 1 ORDER BY 2 DESC")
        marks = q("SELECT count(*) FILTER (WHERE sla_next_check_at IS NOT NULL), "
                  "count(*) FILTER (WHERE sla_next_check_at <= now()), count(*) FILTER (WHERE sla_breach_at < now()), "
                  "count(*) FILTER (WHERE sla_warn_at <= now() AND sla_breach_at > now()) FROM tickets")[0]
        span = q("SELECT min(created_at), max(created_at) FROM tickets")[0]
    print()
    print(f"Generated into {url.database} at {now.isoformat()} (seed {args.seed}); tickets {span[0]:%Y-%m-%d} → "
          f"{span[1]:%Y-%m-%d %H:%M} UTC")
    print(f"  network: {network[0]} districts, {network[1]} substations, {network[2]} buildings, "
          f"{network[3]:,} accounts, {network[4]:,} phones, {network[5]} staff users")
    print(f"  tickets {counts['tickets']:,}  events {counts['events']:,} "
          f"({counts['events'] / max(1, counts['tickets']):.1f} per ticket)  escalations {counts['escalations']:,}  "
          f"pauses {counts['pauses']:,}  substation outages {len(outages)}")
    print("  status: " + ", ".join(f"{k} {v:,}" for k, v in sorted(statuses.items(), key=lambda x: -x[1])))
    print("  channel: " + ", ".join(f"{k} {v:,}" for k, v in channels))
    print("  category: " + ", ".join(f"{k} {v:,}" for k, v in categories))
    print(f"  clocks met: respond {outcome[0]} %, on site {outcome[1]} %, resolve {outcome[2]} % (of clocks ended)")
    print("  scores: " + ", ".join(f"{k}: {v:,}" for k, v in scores) + "; closure: "
          + ", ".join(f"{k} {v:,}" for k, v in closures))
    print(f"  open marks: {marks[0]:,} with a next check ({marks[1]:,} due now), {marks[2]:,} past a due time, "
          f"{marks[3]:,} past the warning point")
    print(f"  due-time arithmetic: {cal.fast:,} plain, {cal.slow:,} through app.sla.due")
    print("  sizes: " + ", ".join(f"{k} {v}" for k, v in sizes))
    print("  time: " + ", ".join(f"{k} {v:.1f} s" for k, v in timings.items()) + f"; total {total:.0f} s "
          f"({total / 60:.1f} min)")


if __name__ == "__main__":
    main()
