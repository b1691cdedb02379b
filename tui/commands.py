"""The command palette (ctrl+p) 命令面板: jump to a plate or a customer (the same
lookup as the home screen, run off the event loop), to a screen of the catalog
(tui/registry.py), or run an action of the screen you are on (its bindings)."""

from __future__ import annotations

import asyncio
from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

from store.plates import fold
from tui.i18n import language, t
from tui.keys import own_bindings
from tui.registry import SCREENS


class VehicleCommands(Provider):
    """Plates and customers: any part of a plate, phone last 4, VIN last 6, a name or its pinyin."""

    async def search(self, query: str) -> Hits:
        query = query.strip()
        if len(query) < 2:
            return
        try:
            matches = await asyncio.to_thread(self.app.counter.lookup, query, limit=8)
        except Exception as exc:  # a database error is a message, not a crash
            self.app.notify(t("error.db", e=str(exc)), severity="error")
            return
        folded = fold(query).upper()
        for rank, m in enumerate(matches):
            by_plate = bool(m.plate) and folded in m.plate.upper()
            words = (t("cmd.vehicle", plate=m.plate or "", owner=m.owner or "", model=m.model or "") if by_plate
                     else t("cmd.customer", owner=m.owner or "", plate=m.plate or ""))
            yield Hit(1.0 - rank / 100, words, partial(self.app.open_vehicle, m.vehicle_id), text=words,
                      help=m.phone or None)
        yield Hit(0.5, t("cmd.lookup", q=query), partial(self.app.lookup_query, query))


class ScreenCommands(Provider):
    """The screens anyone can open from anywhere."""

    def _entries(self):
        for entry in SCREENS:
            name = entry.en if language() == "en" else entry.zh
            yield entry, t("cmd.screen", name=name), f"{entry.zh} {entry.en} {entry.name}"

    async def discover(self) -> Hits:
        for entry, words, _ in self._entries():
            yield DiscoveryHit(words, partial(self.app.open_screen, entry.name), help=entry.key)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for entry, words, haystack in self._entries():
            score = max(matcher.match(words), matcher.match(haystack))
            if score > 0:
                yield Hit(score, matcher.highlight(words), partial(self.app.open_screen, entry.name), text=words,
                          help=entry.key)


class ActionCommands(Provider):
    """What the keys of the current screen (and the app) do, by name."""

    def _actions(self):
        screen = self.screen
        seen = set()
        for node in (screen, self.app):
            for binding in own_bindings(node, footer_only=True):
                if binding.action in seen or binding.action == "command_palette":
                    continue
                seen.add(binding.action)
                yield node, binding, t("cmd.action", name=binding.description)

    def _run(self, node, action: str) -> None:
        self.app.call_later(node.run_action, action)

    async def discover(self) -> Hits:
        for node, binding, words in self._actions():
            yield DiscoveryHit(words, partial(self._run, node, binding.action),
                               help=binding.key_display or self.app.get_key_display(binding))

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for node, binding, words in self._actions():
            score = matcher.match(words)
            if score > 0:
                yield Hit(score, matcher.highlight(words), partial(self._run, node, binding.action), text=words,
                          help=binding.key_display or self.app.get_key_display(binding))
