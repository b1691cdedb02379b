"""The catalog of screens reachable from anywhere: one list feeds the app's keys,
the command palette and the help screen. Add a screen with one entry."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module


@dataclass(frozen=True)
class ScreenEntry:
    name: str  # stable id, e.g. "import"
    zh: str
    en: str
    target: str  # "module:ClassName"; the class takes no required arguments
    key: str | None = None  # app-wide key, e.g. "f5"

    def load(self):
        module, _, cls = self.target.partition(":")
        return getattr(import_module(module), cls)


SCREENS: list[ScreenEntry] = [
    ScreenEntry("lookup", "查找车辆", "Lookup", "tui.screens.lookup:LookupScreen", "f1"),
    ScreenEntry("followups", "我的跟进", "My follow-ups", "tui.screens.followups:FollowUpsScreen", "f2"),
    ScreenEntry("complaints", "投诉", "Complaints", "tui.screens.complaints:ComplaintsScreen", "f3"),
    ScreenEntry("events", "会员活动", "Club events", "tui.screens.events:EventsScreen", "f4"),
    ScreenEntry("import", "导入数据", "Import", "tui.screens.importer:ImportScreen", "f6"),
    ScreenEntry("calls", "今日回访", "Today's calls", "tui.screens.calls:CallsScreen", "f7"),
    ScreenEntry("adoption", "客户领养", "Adoption", "tui.screens.adoption:AdoptionScreen", "f8"),
    ScreenEntry("reports", "报表", "Reports", "tui.screens.reports:ReportsScreen", "f9"),
]
