"""Every report as a manager's workbook and in the other formats, through the
command line: sheets, values, formats, widths and native charts (with the cell
ranges their series read), opened with openpyxl; one workbook through LibreOffice
where it is installed. The month is the one in tests/report_helpers.py."""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
import zipfile

import pytest
from openpyxl import load_workbook
from openpyxl.chart import BarChart, LineChart, PieChart
from typer.testing import CliRunner

from store.reports import ChartSpec, ReportTable
from store.reports.workbook import display_width, sheet_title
from tests.report_helpers import make_month
from tui.cli import app
from tests.cli_helpers import cli_args

runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, cli_args(args))


@pytest.fixture
def month_db(sqlite_engine):
    shop = make_month(sqlite_engine)
    return sqlite_engine.url.render_as_string(hide_password=False), shop


def charts(ws) -> list[tuple[str, list[str], list[str]]]:
    """(kind, series value ranges, category ranges) of each chart on a sheet."""
    out = []
    for ch in ws._charts:
        cats = [(s.cat.strRef or s.cat.numRef).f for s in ch.series]
        out.append((type(ch).__name__, [s.val.numRef.f for s in ch.series], cats))
    return out


def values(ws) -> list[tuple]:
    return list(ws.iter_rows(values_only=True))


def test_members_workbook(month_db, tmp_path):
    db, _ = month_db
    out = tmp_path / "members.xlsx"
    result = run("report", "members", "--month", "2026-10", "--store", "S01", "--format", "xlsx", "--out", str(out),
                 "--db", db)
    assert result.exit_code == 0, result.output
    wb = load_workbook(out)
    assert wb.sheetnames == ["概要", "新会员分类", "推荐", "客单", "趋势", "满意度", "说明"]
    summary = wb["概要"]
    assert summary.freeze_panes == "A2"
    assert summary["A1"].value == "代码" and summary["C1"].value == "数值"
    rows = {r[0]: r[2] for r in values(summary)[1:]}
    assert rows["new_members"] == 4 and rows["renewal_rate"] == 50 and rows["insurance_renewal_rate"] == 50
    assert rows["member_spend_per_vehicle"] == 4166.67
    # One column of mixed figures: each cell formatted as what it is.
    formats = {r[0].value: r[2].number_format for r in summary.iter_rows(min_row=2)}
    assert (formats["new_members"], formats["renewal_rate"], formats["member_spend_per_vehicle"]) == (
        "#,##0", "0.00", "#,##0.00")
    assert summary["B2"].value == "新入会" and summary["D2"].value == "人"
    # Column B's widest text, "非会员单车产值": 7 wide characters (2 cells each) and 2 of
    # margin; len() would say 7 and cut it in half.
    assert summary.column_dimensions["B"].width == 7 * 2 + 2

    by_class = wb["新会员分类"]
    assert values(by_class)[1:] == [("loyal", "忠诚客户", 1, 25), ("general", "一般客户", 1, 25),
                                    ("at_risk", "将流失客户", 1, 25), ("churned", "流失客户", 0, 0),
                                    ("unknown", "未知", 1, 25), ("合计", None, 4, 100)]
    assert by_class["D2"].number_format == '0.00"%"' and by_class["C2"].number_format == "#,##0"
    assert charts(by_class) == [("PieChart", ["'新会员分类'!$C$2:$C$6"], ["'新会员分类'!$B$2:$B$6"])]

    staff = wb["推荐"]
    assert [r[2] for r in values(staff)[1:]] == ["李娜", "王伟", "黄磊", None]
    assert values(staff)[-1][0] == "合计" and values(staff)[-1][3:] == (6, 5, 3, 0, 60, 3)
    (bar,) = staff._charts
    assert isinstance(bar, BarChart) and bar.type == "bar"
    assert charts(staff)[0][1] == ["'推荐'!$E$2:$E$4", "'推荐'!$F$2:$F$4", "'推荐'!$I$2:$I$4"]
    assert [s.tx.v for s in bar.series] == ["推荐客户", "入会", "邀约预约"]

    spend = wb["客单"]
    assert spend["F2"].value == 4166.67 and spend["F2"].number_format == "#,##0.00"
    trend = wb["趋势"]
    assert [r[0] for r in values(trend)[1:]][:2] == ["2025-11", "2025-12"] and values(trend)[-1][0] == "2026-10"
    assert charts(trend) == [
        ("LineChart", ["'趋势'!$C$2:$C$13"], ["'趋势'!$A$2:$A$13"]),
        ("BarChart", ["'趋势'!$B$2:$B$13", "'趋势'!$E$2:$E$13"], ["'趋势'!$A$2:$A$13"] * 2),
    ]
    notes = [r[0] for r in values(wb["说明"])]
    assert notes[0] == "会员成效月报 2026-10" and "insurance_renewal_rate" not in notes
    # Each header's name beside the column's code, the name CSV and JSON give it.
    assert ("列名", "代码") in values(wb["说明"]) and ("成交率%", "conversion") in values(wb["说明"])


def test_costs_workbook_and_the_other_formats(month_db, tmp_path):
    db, _ = month_db
    out = tmp_path / "costs.xlsx"
    result = run("report", "costs", "--month", "2026-10", "--store", "S01", "--format", "xlsx", "--out", str(out),
                 "--db", db)
    assert result.exit_code == 0, result.output
    wb = load_workbook(out)
    assert wb.sheetnames == ["余额", "收支明细", "部门", "趋势", "说明"]
    assert values(wb["余额"])[1] == ("2026-10", 1200, 2500, 1008, 2692)
    lines = wb["收支明细"]
    assert values(lines)[-1][0] == "合计" and values(lines)[-1][4:] == (2500, 1008)
    assert values(lines)[1][1:4] == ("收入", "fees", "会费收入")
    # The chart of costs leaves out the two income lines above them.
    assert charts(lines) == [("BarChart", ["'收支明细'!$F$4:$F$14"], ["'收支明细'!$D$4:$D$14"])]
    assert charts(wb["部门"])[0][0] == "PieChart"
    trend = wb["趋势"]
    kinds = [type(c).__name__ for c in trend._charts]
    assert kinds == ["LineChart", "BarChart"] and trend._charts[1].grouping == "stacked"
    assert values(trend)[-1] == ("2026-10", 1200, 2500, 1008, 2692, 318, 430, 260)

    csv_out = run("report", "costs", "--month", "2026-10", "--store", "S01", "--format", "csv", "--sheet", "balance",
                  "--db", db)
    assert csv_out.output.splitlines() == ["month,opening,income,costs,closing",
                                          "2026-10,1200.00,2500.00,1008.00,2692.00"]
    whole = run("report", "costs", "--month", "2026-10", "--store", "S01", "--format", "csv", "--db", db).output
    titles = [row[0] for row in csv.reader(io.StringIO(whole)) if len(row) == 1]
    assert [t.split(":")[0] for t in titles] == ["balance", "lines", "departments", "trend"]
    doc = json.loads(run("report", "members", "--month", "2026-10", "--store", "S01", "--format", "json",
                         "--db", db).output)
    assert list(doc["sheets"]) == ["summary", "new_by_class", "staff", "spend", "trend", "satisfaction"]
    kpi = {r["key"]: r["value"] for r in doc["sheets"]["summary"]["rows"]}
    assert kpi["member_spend_per_vehicle"] == "4166.67" and kpi["conversion"] == 60.0  # money: an exact string
    table = run("report", "members", "--month", "2026-10", "--store", "S01", "--db", db)
    assert table.exit_code == 0 and "新会员分类" in table.output and "4,166.67" in table.output
    assert run("report", "costs", "--month", "2026-13", "--db", db).exit_code == 1
    bad = run("report", "members", "--sheet", "nope", "--format", "csv", "--db", db)
    assert bad.exit_code == 1 and "no sheet 'nope'" in bad.output


def test_churn_classes_and_calls_workbooks(month_db, tmp_path):
    db, _ = month_db
    churn = tmp_path / "churn.xlsx"
    assert run("report", "churn", "--as-of", "2026-10-31", "--store", "S01", "--format", "xlsx", "--out", str(churn),
               "--db", db).exit_code == 0
    wb = load_workbook(churn)
    assert wb.sheetnames == ["流失 总计", "流失 保修", "流失 车型", "流失 车龄(年)", "流失 区域", "流失 服务顾问", "说明"]
    assert values(wb["流失 总计"])[0][:3] == ("车辆数", "流失", "将流失")
    for title in ("流失 车型", "流失 车龄(年)"):
        ws = wb[title]
        n = ws.max_row - 1  # the rows above the total
        (chart,) = ws._charts
        assert isinstance(chart, BarChart) and chart.grouping == "stacked"
        assert [s.val.numRef.f for s in chart.series] == [f"'{title}'!$E$2:$E${n}", f"'{title}'!$F$2:$F${n}"]
    ages = [r[0] for r in values(wb["流失 车龄(年)"])[1:-1]]
    assert ages == sorted(ages) and ages[0] == 1

    classes = tmp_path / "classes.xlsx"
    assert run("report", "classes", "--as-of", "2026-10-31", "--by", "model", "--format", "xlsx", "--out",
               str(classes), "--db", db).exit_code == 0
    wb = load_workbook(classes)
    assert wb.sheetnames == ["客户分类 车型", "分类占比 车型", "客户分类 总计", "说明"]
    assert isinstance(wb["客户分类 总计"]._charts[0], PieChart)
    shares = wb["分类占比 车型"]
    assert shares._charts[0].grouping == "stacked" and shares._charts[0].type == "bar"

    calls = tmp_path / "calls.xlsx"
    assert run("report", "calls", "--from", "2026-10-01", "--to", "2026-10-31", "--store", "S01", "--format", "xlsx",
               "--out", str(calls), "--db", db).exit_code == 0
    wb = load_workbook(calls)
    assert wb.sheetnames == ["回访 总计", "回访 服务顾问", "推荐", "说明"]
    per_sa = wb["回访 服务顾问"]
    assert [s.val.numRef.f for s in per_sa._charts[0].series][1] == "'回访 服务顾问'!$E$2:$E$3"  # booked
    assert {r[0]: r[4] for r in values(per_sa)[1:-1]} == {"王伟": 1, "李娜": 2}
    assert [r[2] for r in values(wb["推荐"])[1:-1]] == ["李娜", "王伟", "黄磊"]


def test_libreoffice_opens_a_workbook_with_its_charts(month_db, tmp_path):
    office = shutil.which("soffice") or shutil.which("libreoffice")
    if not office:
        pytest.skip("LibreOffice is not installed (apt-get install libreoffice-calc-nogui to run this)")
    db, _ = month_db
    src = tmp_path / "members.xlsx"
    assert run("report", "members", "--month", "2026-10", "--store", "S01", "--format", "xlsx", "--out", str(src),
               "--db", db).exit_code == 0
    out = tmp_path / "lo"
    subprocess.run([office, "--headless", "--norestore", f"-env:UserInstallation=file://{tmp_path / 'profile'}",
                    "--convert-to", "ods", "--outdir", str(out), str(src)],
                   check=True, capture_output=True, timeout=180)
    with zipfile.ZipFile(out / "members.ods") as ods:
        names = ods.namelist()
        content = ods.read("content.xml").decode()
        chart_parts = [n for n in names if n.endswith("/content.xml") and n.startswith("Object")]
        charts_xml = [ods.read(n).decode() for n in chart_parts]
    # Calc read every chart (5 across the sheets) with its data ranges.
    assert len([x for x in charts_xml if "<chart:chart" in x]) == 5
    assert "新会员分类" in content and "4166.67" in content
    assert any("推荐客户" in x for x in charts_xml)


def test_widths_count_wide_characters_twice_and_sheet_names_obey_excel():
    assert display_width("轩逸") == 4 and display_width("A12345") == 6 and display_width("粤Ａ１") == 6
    taken: set[str] = set()
    assert sheet_title("a/b:c*d?[e]", taken) == "a b c d  e"
    assert sheet_title("x" * 40, taken) == "x" * 31 and sheet_title("x" * 40, taken) == "x" * 29 + " 2"


def test_a_single_table_still_writes_one_sheet(tmp_path):
    from store.reports.workbook import write_workbook

    table = ReportTable("t", ["model", "vehicles", "rate"], [{"model": "轩逸", "vehicles": 3, "rate": 12.5}],
                        percent_columns=("rate",), charts=[ChartSpec("line", "x", "model", ["vehicles"])])
    wb = load_workbook(write_workbook(table, tmp_path / "t.xlsx"))
    ws = wb.active
    assert ws.title == "报表" and ws["C2"].number_format == '0.00"%"' and isinstance(ws._charts[0], LineChart)
