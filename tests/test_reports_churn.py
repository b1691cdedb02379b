"""The churn report and the class mix, each cut checked against counts worked out
by hand. Today (and as of) is 2026-11-22."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime

import pytest
from openpyxl import load_workbook
from sqlmodel import select
from typer.testing import CliRunner

from store.bulk import bulk_insert
from store.db import read_session, write_session
from store.models import Adoption, Customer, Staff, Store, Vehicle, Visit
from store.reports.churn import churn_report, class_mix_report
from store.settings import set_setting
from tui.cli import app
from tests.cli_helpers import cli_args

AS_OF = date(2026, 11, 22)
runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, cli_args(args))


# --- a small park of two stores -------------------------------------------------
#  n  store model region  purchase    visits (date, SA)                 class     age warranty sa
#  1  A01  轩逸  天河    2026-11-21  -                                  general    1  in   -
#  2  A01  轩逸  天河    2025-11-22  08-22 王伟                          general    2  in   王伟
#  3  A01  天籁  番禺    2025-11-23  05-22 李娜                          at_risk    1  in   李娜
#  4  A01  天籁  番禺    2020-01-10  05-21 王伟                          churned    7  out  王伟
#  5  A01  轩逸  (白云)  2022-03-01  4 in 12 months, last today 李娜     loyal      5  in (warranty_end 2027-03-01)
#  6  A01  轩逸  天河    2023-11-22  -                                  churned    4  out (36 months end today)
#  7  A01  奇骏  天河    2024-01-01  sold 2026-10-01: not in the park
#  8  A01  奇骏  天河    2026-12-01  bought after the date: not in the park
#  9  B01  轩逸  天河    2021-06-01  09-01 王伟, adopted to 张敏           general    6  out  张敏
# 10  B01  奇骏  增城    2024-06-01  06-01 张敏 (adoption to 王伟 ended)   at_risk    3  in   张敏
# 11  A01  逍客  天河    (none)      02-01 王伟                          churned    -  -    王伟


@pytest.fixture
def small_park(engine):
    with write_session(engine) as s:
        a = Store(code="A01", name="甲店")
        b = Store(code="B01", name="乙店")
        s.add_all([a, b])
        s.flush()
        zhang = Staff(store_id=b.id, code="SA9", name="张敏")
        wang = Staff(store_id=b.id, code="SA8", name="王伟")
        s.add_all([zhang, wang])
        s.flush()
        ro = iter(range(1000))

        def car(store, model, region, purchase, visits=(), cust_region=None, **kw):
            c = Customer(store_id=store.id, name="车主", region=cust_region)
            s.add(c)
            s.flush()
            v = Vehicle(store_id=store.id, customer_id=c.id, model=model, region=region, purchase_date=purchase, **kw)
            s.add(v)
            s.flush()
            for day, sa in visits:
                s.add(Visit(store_id=store.id, vehicle_id=v.id, ro_number=f"R{next(ro)}", date_in=day, sa_name=sa,
                            total_fen=30_000))
                s.flush()
            return v

        car(a, "轩逸", "天河", date(2026, 11, 21))
        car(a, "轩逸", "天河", date(2025, 11, 22), [(date(2026, 8, 22), "王伟")])
        car(a, "天籁", "番禺", date(2025, 11, 23), [(date(2026, 5, 22), "李娜")])
        car(a, "天籁", "番禺", date(2020, 1, 10), [(date(2026, 5, 21), "王伟")])
        car(a, "轩逸", None, date(2022, 3, 1), [(date(2026, 1, 5), "王伟"), (date(2026, 4, 1), "王伟"),
                                                (date(2026, 8, 1), "王伟"), (AS_OF, "王伟"), (AS_OF, "李娜")],
            cust_region="白云", warranty_end=date(2027, 3, 1))
        car(a, "轩逸", "天河", date(2023, 11, 22))
        car(a, "奇骏", "天河", date(2024, 1, 1), [(date(2026, 9, 1), "王伟")], sold_on=date(2026, 10, 1))
        car(a, "奇骏", "天河", date(2026, 12, 1))
        v9 = car(b, "轩逸", "天河", date(2021, 6, 1), [(date(2026, 9, 1), "王伟")])
        v10 = car(b, "奇骏", "增城", date(2024, 6, 1), [(date(2026, 6, 1), "张敏")])
        car(a, "逍客", "天河", None, [(date(2026, 2, 1), "王伟")])
        # A cancelled repair order is no return.
        s.add(Visit(store_id=a.id, vehicle_id=v10.id, ro_number="CANCELLED", date_in=date(2026, 11, 1),
                    status="cancelled"))
        s.add(Adoption(store_id=b.id, vehicle_id=v9.id, staff_id=zhang.id, started_on=date(2026, 10, 1)))
        s.add(Adoption(store_id=b.id, vehicle_id=v10.id, staff_id=wang.id, started_on=date(2026, 1, 1),
                       ended_on=date(2026, 10, 1)))
    return engine


def counts(engine, by, **kw):
    with read_session(engine) as s:
        report = churn_report(s, as_of=AS_OF, by=by, **kw)
    return [tuple(r[c] for c in report.columns) for r in report.rows]


def test_total_row(small_park):
    assert counts(small_park, []) == [(9, 3, 2, 33.33, 22.22, 55.56)]


def test_by_warranty(small_park):
    assert counts(small_park, ["warranty"]) == [
        ("in", 5, 0, 2, 0.0, 40.0, 40.0),
        ("out", 3, 2, 0, 66.67, 0.0, 66.67),
        (None, 1, 1, 0, 100.0, 0.0, 100.0),
    ]


def test_by_vehicle_age(small_park):
    got = [r[:4] for r in counts(small_park, ["vehicle_age"])]
    assert got == [(1, 2, 0, 1), (2, 1, 0, 0), (3, 1, 0, 1), (4, 1, 1, 0), (5, 1, 0, 0), (6, 1, 0, 0), (7, 1, 1, 0),
                   (None, 1, 1, 0)]


def test_by_region_falls_back_to_the_owner(small_park):
    got = {r[0]: r[1:4] for r in counts(small_park, ["region"])}
    assert got == {"天河": (5, 2, 0), "番禺": (2, 1, 1), "白云": (1, 0, 0), "增城": (1, 0, 1)}


def test_by_model(small_park):
    got = {r[0]: r[1:4] for r in counts(small_park, ["model"])}
    assert got == {"轩逸": (5, 1, 0), "天籁": (2, 1, 1), "奇骏": (1, 0, 1), "逍客": (1, 1, 0)}


def test_by_sa_adoption_first_then_last_visit(small_park):
    got = [r[:4] for r in counts(small_park, ["sa"])]
    assert got == [("张敏", 2, 0, 1), ("李娜", 2, 0, 1), ("王伟", 3, 2, 0), (None, 2, 1, 0)]


def test_by_store_and_one_store_only(small_park):
    assert [r[:4] for r in counts(small_park, ["store"])] == [("A01", 7, 3, 1), ("B01", 2, 0, 1)]
    with read_session(small_park) as s:
        b = s.exec(select(Store).where(Store.code == "B01")).one()
    assert counts(small_park, [], store_ids=[b.id]) == [(2, 0, 1, 0.0, 50.0, 50.0)]


def test_by_class(small_park):
    assert [r[:4] for r in counts(small_park, ["class"])] == [
        ("loyal", 1, 0, 0), ("general", 3, 0, 0), ("at_risk", 2, 0, 2), ("churned", 3, 3, 0)]


def test_by_two_dimensions(small_park):
    assert [r[:5] for r in counts(small_park, ["store", "warranty"])] == [
        ("A01", "in", 4, 0, 1), ("A01", "out", 2, 2, 0), ("A01", None, 1, 1, 0),
        ("B01", "in", 1, 0, 1), ("B01", "out", 1, 0, 0)]


def test_each_store_its_own_rules(small_park):
    with write_session(small_park) as s:
        b = s.exec(select(Store).where(Store.code == "B01")).one()
        set_setting(s, "class_active_months", 2, store_id=b.id)  # vehicle 9 (last visit 2026-09-01) slips
        set_setting(s, "warranty_months_by_model", {"奇骏": 24}, store_id=b.id)  # vehicle 10 leaves warranty
    got = [r[:5] for r in counts(small_park, ["store", "warranty"])]
    assert got[-1] == ("B01", "out", 2, 0, 2)
    assert ("B01", "in") not in [g[:2] for g in got]


def test_class_mix_against_the_healthy_mix(small_park):
    with read_session(small_park) as s:
        report = class_mix_report(s, as_of=AS_OF)
    assert report.columns == ["class", "vehicles", "share", "healthy_share", "gap"]
    assert [tuple(r.values()) for r in report.rows] == [
        ("loyal", 1, 11.11, 50.0, -38.89),
        ("general", 3, 33.33, 30.0, 3.33),
        ("at_risk", 2, 22.22, 15.0, 7.22),
        ("churned", 3, 33.33, 5.0, 28.33),
    ]


def test_class_mix_by_store(small_park):
    with read_session(small_park) as s:
        report = class_mix_report(s, as_of=AS_OF, by=["store"])
    got = {(r["store"], r["class"]): r["vehicles"] for r in report.rows}
    assert got == {("A01", "loyal"): 1, ("A01", "general"): 2, ("A01", "at_risk"): 1, ("A01", "churned"): 3,
                   ("B01", "loyal"): 0, ("B01", "general"): 1, ("B01", "at_risk"): 1, ("B01", "churned"): 0}


# --- DOMAIN.md's table, figure for figure -------------------------------------------


def build_case_study_store(engine) -> None:
    """The adoption case study's store: 997 vehicles in warranty (97 churned, 162 at
    risk), 1870 out of warranty (937 churned, 287 at risk); the rest came back within
    3 months. Warranty comes from all three sources: an end date, a model's length
    and the store's; some vehicles sit on each border."""
    with engine.begin() as conn:
        store_id = conn.execute(Store.__table__.insert().values(code="CS01", name="案例店")).inserted_primary_key[0]
    with write_session(engine) as s:
        set_setting(s, "warranty_months_by_model", {"楼兰": 24}, store_id=store_id)
    vehicles, visits = [], []
    vid = 0

    def add(n, *, purchase, last_visit, model="轩逸", warranty_end=None, sold_on=None):
        nonlocal vid
        for _ in range(n):
            vid += 1
            vehicles.append({"id": vid, "store_id": store_id, "model": model, "purchase_date": purchase,
                             "warranty_end": warranty_end, "sold_on": sold_on, "plate": f"粤C{vid:05d}",
                             "created_at": datetime(2026, 1, 1), "updated_at": datetime(2026, 1, 1)})
            if last_visit:
                visits.append({"store_id": store_id, "vehicle_id": vid, "ro_number": f"CS{vid}", "date_in": last_visit,
                               "total_fen": 50_000, "labour_fen": 0, "parts_fen": 0, "oil_fen": 0,
                               "accessories_fen": 0, "repair_type": "maintenance", "status": "settled"})

    churned, at_risk, active = date(2026, 5, 21), date(2026, 5, 22), date(2026, 8, 22)
    # In warranty: 997 = 97 churned + 162 at risk + 738 returned.
    add(50, purchase=date(2024, 6, 1), last_visit=churned)
    add(47, purchase=date(2023, 11, 23), last_visit=churned)  # 36 months end tomorrow: still in
    add(100, purchase=date(2024, 6, 1), last_visit=at_risk)
    add(62, purchase=date(2022, 1, 1), last_visit=date(2026, 7, 1), warranty_end=AS_OF)  # extended, ends today
    add(700, purchase=date(2025, 3, 1), last_visit=active)
    add(38, purchase=date(2026, 11, 21), last_visit=None)  # bought yesterday, never back yet: general
    # Out of warranty: 1870 = 937 churned + 287 at risk + 646 returned.
    add(900, purchase=date(2020, 5, 1), last_visit=date(2025, 12, 1))
    add(37, purchase=date(2019, 5, 1), last_visit=None)  # never came back
    add(200, purchase=date(2023, 11, 22), last_visit=at_risk)  # 36 months end today: out
    add(87, purchase=date(2024, 6, 1), last_visit=date(2026, 6, 30), model="楼兰")  # 24 months for this model
    add(646, purchase=date(2021, 1, 1), last_visit=AS_OF, warranty_end=date(2026, 11, 21))
    # Not in the park on the day: sold, or bought later.
    add(25, purchase=date(2022, 1, 1), last_visit=churned, sold_on=date(2026, 11, 1))
    add(5, purchase=date(2026, 12, 1), last_visit=None)
    cancelled = [{"store_id": store_id, "vehicle_id": 1, "ro_number": "CX1", "date_in": date(2026, 11, 1),
                  "total_fen": 0, "labour_fen": 0, "parts_fen": 0, "oil_fen": 0, "accessories_fen": 0,
                  "repair_type": "repair", "status": "cancelled"}]
    with engine.begin() as conn:
        customers = [{"id": v["id"], "store_id": store_id, "name": "车主", "do_not_contact": False,
                      "created_at": datetime(2026, 1, 1), "updated_at": datetime(2026, 1, 1)} for v in vehicles]
        bulk_insert(conn, Customer.__table__, customers)
        for v in vehicles:
            v["customer_id"] = v["id"]
        bulk_insert(conn, Vehicle.__table__, vehicles)
        bulk_insert(conn, Visit.__table__, visits + cancelled)
        from store.bulk import fix_sequences

        fix_sequences(conn, [Customer.__table__, Vehicle.__table__, Visit.__table__])


def test_domain_churn_table_figure_for_figure(engine, db_url):
    build_case_study_store(engine)
    result = run("report", "churn", "--as-of", "2026-11-22", "--by", "warranty", "--format", "csv", "--db", db_url)
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "warranty,vehicles,churned,at_risk,churn_rate,at_risk_rate,max_churn_rate",
        "in,997,97,162,9.73,16.25,25.98",
        "out,1870,937,287,50.11,15.35,65.45",
    ]
    as_json = run("report", "churn", "--as-of", "2026-11-22", "--by", "warranty", "--format", "json", "--db", db_url)
    rows = json.loads(as_json.output)
    assert rows[0] == {"warranty": "in", "vehicles": 997, "churned": 97, "at_risk": 162, "churn_rate": 9.73,
                       "at_risk_rate": 16.25, "max_churn_rate": 25.98}
    total = run("report", "churn", "--as-of", "2026-11-22", "--format", "json", "--db", db_url)
    assert json.loads(total.output) == [{"vehicles": 2867, "churned": 1034, "at_risk": 449, "churn_rate": 36.07,
                                         "at_risk_rate": 15.66, "max_churn_rate": 51.73}]


def test_cli_table_xlsx_and_bad_input(small_park, db_url, tmp_path):
    table = run("report", "churn", "--as-of", "2026-11-22", "--by", "store", "--db", db_url)
    assert table.exit_code == 0, table.output
    assert "A01" in table.output and "合计" in table.output and "33.33" in table.output
    out = tmp_path / "churn.xlsx"
    result = run("report", "churn", "--by", "store", "--format", "xlsx", "--out", str(out), "--db", db_url)
    assert result.exit_code == 0, result.output
    ws = load_workbook(out).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0] == ("门店", "车辆数", "流失", "将流失", "流失率%", "准流失率%", "最大可能流失率%")
    assert rows[1] == ("A01", 7, 3, 1, 42.86, 14.29, 57.14)
    assert rows[-1][:2] == ("合计", 9)
    csv_out = tmp_path / "classes.csv"
    result = run("report", "classes", "--by", "store", "--format", "csv", "--out", str(csv_out), "--db", db_url)
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(csv_out.read_text(encoding="utf-8-sig"))))
    assert rows[0] == ["store", "class", "vehicles", "share", "healthy_share", "gap"]
    assert rows[1] == ["A01", "loyal", "1", "14.29", "50.00", "-35.71"]
    bad = run("report", "churn", "--by", "colour", "--db", db_url)
    assert bad.exit_code == 1 and "unknown dimension colour" in bad.output
    assert run("report", "churn", "--format", "xlsx", "--db", db_url).exit_code == 1
    assert run("report", "classes", "--by", "class", "--db", db_url).exit_code != 0
    assert run("report", "churn", "--as-of", "2026-02-30", "--db", db_url).exit_code == 1


def test_domain_churn_table_from_an_import_of_dms_exports(engine, db_url, tmp_path):
    """The same store as a manager has it: a vehicle roster and a repair-order export
    from the DMS, imported with ``dealerdesk import``, then the churn report."""
    build = []  # (count, purchase, warranty_end, model, last visit)
    churned, at_risk, active = "2026-05-21", "2026-05-22", "2026-08-22"
    build += [(97, "2024-06-01", "", "轩逸", churned), (162, "2024-06-01", "", "轩逸", at_risk),
              (700, "2025-03-01", "", "天籁", active), (38, "2026-11-21", "", "奇骏", None)]
    build += [(900, "2020-05-01", "", "轩逸", "2025-12-01"), (37, "2019-05-01", "", "轩逸", None),
              (200, "2023-11-22", "", "天籁", at_risk), (87, "2024-06-01", "", "楼兰", "2026-06-30"),
              (646, "2021-01-01", "2026-11-21", "奇骏", "2026-11-22")]
    roster = [["车牌号", "车型", "车主", "手机", "购车日期", "保修到期日"]]
    orders = [["工单号", "车牌号", "进厂日期", "维修类型", "结算金额", "服务顾问"]]
    n = 0
    for count, purchase, warranty_end, model, last in build:
        for _ in range(count):
            n += 1
            plate = f"粤C{n:05d}"
            roster.append([plate, model, "车主", f"139{n:08d}", purchase, warranty_end])
            if last:
                orders.append([f"RO{n:06d}", plate, last, "定期保养", "500.00", "王伟"])
    cars = tmp_path / "车辆档案.csv"
    cars.write_text("\n".join(",".join(r) for r in roster) + "\n", encoding="utf-8-sig")
    ros = tmp_path / "结算单.csv"
    ros.write_text("\n".join(",".join(r) for r in orders) + "\n", encoding="gbk")
    with write_session(engine) as s:
        store = Store(code="CS01", name="案例店")
        s.add(store)
        s.flush()
        set_setting(s, "warranty_months_by_model", {"楼兰": 24}, store_id=store.id)
    imported = run("import", str(cars), str(ros), "--db", db_url)
    assert imported.exit_code == 0, imported.output
    result = run("report", "churn", "--as-of", "2026-11-22", "--by", "warranty", "--format", "csv", "--db", db_url)
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "warranty,vehicles,churned,at_risk,churn_rate,at_risk_rate,max_churn_rate",
        "in,997,97,162,9.73,16.25,25.98",
        "out,1870,937,287,50.11,15.35,65.45",
    ]


# --- the last-return path (SQLite) against the full per-vehicle facts ----------------
#  Cars on every border of the churn rule, counted once by hand and then by every path:
#  on SQLite churn reads only each car's last return (store.classes.last_return_facts),
#  on Postgres it counts in place (store.reports.pushdown); both must give the figures
#  of the full facts (store.classes.vehicle_facts) for every cut.
#  purchase    visits (date, SA, status)                          as of 2026-11-22
#  2020-03-01  08-22 王伟                                          active: exactly 3 months
#  2020-03-01  08-21 李娜                                          at risk: a day more
#  2020-03-01  05-22 王伟                                          at risk: exactly 6 months
#  2020-03-01  05-21 李娜                                          churned: a day more
#  2026-08-22  -                                                  active: bought exactly 3 months ago, never back
#  2026-05-22  -                                                  at risk: bought exactly 6 months ago
#  2026-05-21  -                                                  churned: bought 6 months and a day ago
#  2024-02-29  11-01 王伟 cancelled, 05-01 李娜                    churned: a cancelled RO is no return
#  2024-02-29  only 11-10 cancelled                               churned from its purchase
#  2023-06-10  12-01 王伟 (after the date), 04-01 李娜              churned: a visit after as-of is not seen
#  2026-12-01  10-01 王伟 (before the sale)                         active, in the park by its visit
#  (none)      09-30 李娜                                          active, no warranty, no age
#  (none)      12-05 王伟 (after the date)                          not in the park
#  2021-01-01  11-22 王伟, 11-22 李娜 (two ROs today)               active, SA 李娜 (the later RO)
#  2021-01-01  09-01 王伟, sold 2026-11-22                          not in the park: sold on the day
#  2021-01-01  09-01 王伟, sold 2026-11-23                          active: sold after the date
#  2023-11-22  03-01 张敏, adopted to 王伟                         churned, SA 王伟; out: 36 months end today
#  2023-11-23  07-01 李娜, warranty_end 2026-11-21                  at risk, out (its end date, not 36 months)


@pytest.fixture
def border_park(engine):
    with write_session(engine) as s:
        a = Store(code="A01", name="甲店")
        b = Store(code="B01", name="乙店")
        s.add_all([a, b])
        s.flush()
        wang = Staff(store_id=b.id, code="SA8", name="王伟")
        s.add(wang)
        s.flush()
        ro = iter(range(1000))

        def car(store, purchase, visits=(), model="轩逸", region="天河", **kw):
            v = Vehicle(store_id=store.id, model=model, region=region, purchase_date=purchase, **kw)
            s.add(v)
            s.flush()
            for day, sa, *status in visits:
                s.add(Visit(store_id=store.id, vehicle_id=v.id, ro_number=f"R{next(ro)}", date_in=day, sa_name=sa,
                            total_fen=30_000, status=status[0] if status else "settled"))
                s.flush()
            return v

        old = date(2020, 3, 1)
        car(a, old, [(date(2026, 8, 22), "王伟")])
        car(a, old, [(date(2026, 8, 21), "李娜")], model="天籁")
        car(a, old, [(date(2026, 5, 22), "王伟")], region="番禺")
        car(b, old, [(date(2026, 5, 21), "李娜")])
        car(a, date(2026, 8, 22))
        car(b, date(2026, 5, 22), model="奇骏")
        car(a, date(2026, 5, 21))
        car(a, date(2024, 2, 29), [(date(2026, 11, 1), "王伟", "cancelled"), (date(2026, 5, 1), "李娜")])
        car(b, date(2024, 2, 29), [(date(2026, 11, 10), "王伟", "cancelled")], region=None)
        car(a, date(2023, 6, 10), [(date(2026, 12, 1), "王伟"), (date(2026, 4, 1), "李娜")])
        car(a, date(2026, 12, 1), [(date(2026, 10, 1), "王伟")])
        car(b, None, [(date(2026, 9, 30), "李娜")], model="逍客")
        car(a, None, [(date(2026, 12, 5), "王伟")])
        car(a, date(2021, 1, 1), [(AS_OF, "王伟"), (AS_OF, "李娜")])
        car(a, date(2021, 1, 1), [(date(2026, 9, 1), "王伟")], sold_on=AS_OF)
        car(b, date(2021, 1, 1), [(date(2026, 9, 1), "王伟")], sold_on=date(2026, 11, 23))
        adopted = car(b, date(2023, 11, 22), [(date(2026, 3, 1), "张敏")])
        car(a, date(2023, 11, 23), [(date(2026, 7, 1), "李娜")], warranty_end=date(2026, 11, 21))
        s.add(Adoption(store_id=b.id, vehicle_id=adopted.id, staff_id=wang.id, started_on=date(2026, 10, 1)))
    return engine


def _all_paths(engine, monkeypatch, by, **kw):
    from store.reports import churn

    got = []
    for fast in (True, False):
        monkeypatch.setattr(churn, "FAST_SQLITE", fast)
        monkeypatch.setattr(churn, "PUSHDOWN", fast)
        got.append(counts(engine, by, **kw))
    return got


def test_border_park_by_hand(border_park, monkeypatch):
    fast, full = _all_paths(border_park, monkeypatch, [])
    # 16 in the park: 6 returned within 3 months, 4 at risk, 6 churned.
    assert fast == full == [(16, 6, 4, 37.5, 25.0, 62.5)]
    fast, full = _all_paths(border_park, monkeypatch, ["sa"])
    assert fast == full
    assert {r[0]: r[1:4] for r in fast} == {"李娜": (7, 3, 2), "王伟": (5, 1, 1), None: (4, 2, 1)}
    fast, full = _all_paths(border_park, monkeypatch, ["warranty"])
    assert fast == full
    assert [r[:4] for r in fast] == [("in", 6, 3, 1), ("out", 9, 3, 3), (None, 1, 0, 0)]


@pytest.mark.parametrize("by", [[d] for d in ("warranty", "region", "vehicle_age", "model", "sa", "store", "class")]
                         + [["store", "warranty"], ["model", "vehicle_age"], ["sa", "region"]])
def test_every_cut_the_same_on_every_path(border_park, monkeypatch, by):
    fast, full = _all_paths(border_park, monkeypatch, by)
    assert fast == full
    assert sum(r[len(by)] for r in fast) == 16


def test_one_store_the_same_on_every_path(border_park, monkeypatch):
    with read_session(border_park) as s:
        b = s.exec(select(Store).where(Store.code == "B01")).one()
    for by in ([], ["warranty"], ["sa"], ["vehicle_age"]):
        fast, full = _all_paths(border_park, monkeypatch, by, store_ids=[b.id])
        assert fast == full
    assert counts(border_park, [], store_ids=[b.id]) == [(6, 3, 1, 50.0, 16.67, 66.67)]


def test_store_rules_the_same_on_every_path(border_park, monkeypatch):
    with write_session(border_park) as s:
        b = s.exec(select(Store).where(Store.code == "B01")).one()
        set_setting(s, "class_churn_months", 12, store_id=b.id)  # its cars back 05-21 and 03-01: at risk there
        set_setting(s, "warranty_months_by_model", {"奇骏": 120}, store_id=b.id)
    for by in ([], ["store", "warranty"]):
        fast, full = _all_paths(border_park, monkeypatch, by)
        assert fast == full
    assert counts(border_park, [])[0][:3] == (16, 4, 6)
