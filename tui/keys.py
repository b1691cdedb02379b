"""Key bindings in the user's language, and the widgets the counter screens share.

Screens declare ``BINDINGS`` with i18n keys as descriptions ("key.open"); the
footer, the help screen and the command palette then read the words through
:func:`localize`. One list per screen feeds all three.
"""

from __future__ import annotations

from dataclasses import replace

from rich.cells import cell_len
from rich.text import Text
from textual.binding import Binding, BindingsMap
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import Footer as TextualFooter
from textual.widgets import Header as TextualHeader
from textual.widgets import Input
from textual.widgets._footer import FooterKey

from tui.i18n import STRINGS, t


def word(description: str) -> str:
    return t(description) if description in STRINGS else description


def localize(node) -> None:
    """Word a node's bindings in the current language (call in ``__init__``).

    Textual copies the class's bindings per instance, so rewording the copy
    leaves the class (and an app in the other language) untouched."""
    bindings: BindingsMap = node._bindings
    for key, items in bindings.key_to_bindings.items():
        bindings.key_to_bindings[key] = [
            replace(b, description=word(b.description), tooltip=word(b.tooltip) if b.tooltip else b.tooltip)
            for b in items
        ]


def own_bindings(node, *, footer_only: bool = False) -> list[Binding]:
    """The bindings this project declared on a node (not Textual's inherited ones),
    in the user's words, those without a description left out."""
    declared = {
        (b.key if isinstance(b, Binding) else b[0], b.action if isinstance(b, Binding) else b[1])
        for cls in type(node).__mro__ if cls.__module__.startswith("tui.")
        for b in cls.__dict__.get("BINDINGS", [])
    }
    out = []
    for key, binding in node._bindings:
        if not binding.description or (footer_only and not binding.show):
            continue
        if any(binding.action == action and key in (k.strip() for k in keys.split(",")) for keys, action in declared):
            out.append(binding)
    return out


def key_rows(app, node) -> list[tuple[str, str]]:
    """(keys, what) for a help screen: keys doing the same thing share a row ("↑ ↓")."""
    rows: dict[str, list[str]] = {}
    for binding in own_bindings(node):
        if binding.action == "command_palette":
            continue  # the help screen words the palette itself
        keys = rows.setdefault(binding.description, [])
        shown = binding.key_display or app.get_key_display(binding)
        if shown not in keys:
            keys.append(shown)
    return [(" ".join(keys), what) for what, keys in rows.items()]


class Header(TextualHeader):
    """Textual's header, let go with its screen. It watches the app's title and
    sub-title, and Textual drops such a watcher only when the watched value next
    changes (textual#6666): every profile opened kept its header, and the ~1,000
    objects hanging from it, for the life of the app, each full garbage collection
    walking more of them (50 profiles: ~50,000 objects)."""

    def _on_mount(self, event) -> None:
        """Textual's own, except that a title change reaching a header whose parts are
        already gone (its screen closing, as when a counter signs out on idle) is let
        go instead of ending the app with NoMatches."""
        from textual.css.query import NoMatches
        from textual.dom import NoScreen
        from textual.widget import Widget
        from textual.widgets._header import HeaderTitle

        async def set_title() -> None:
            try:
                self.query_one(HeaderTitle).update(self.format_title())
            except (NoMatches, NoScreen):  # the header is leaving
                pass

        self.watch(self.app, "title", set_title)
        self.watch(self.app, "sub_title", set_title)
        self.watch(self.screen, "title", set_title)
        self.watch(self.screen, "sub_title", set_title)
        Widget._on_mount(self, event)
        event.prevent_default()  # Textual's Header._on_mount would watch the same again, unguarded

    def on_unmount(self) -> None:
        try:
            watchers = getattr(self.app, "__watchers", {})
        except Exception:  # no app any more: nothing holds the header
            return
        for name in ("title", "sub_title"):
            if name in watchers:
                watchers[name][:] = [(node, callback) for node, callback in watchers[name] if node is not self]


class Footer(TextualFooter):
    """Textual's footer, the same keys for less work when a screen opens (the
    profile's budget from Enter to painted is 100 ms).

    - The keys are there in the first paint: Textual's footer composes empty and
      recomposes once its screen has told it its bindings, a second layout and paint.
    - It recomposes only when the keys it shows changed, and once for changes that
      arrive together (the screen mounted, its focus set, the screen resumed); a
      footer whose screen is not on top waits for its screen's resume.
    - A key is made with its ``compact`` style already set: Textual's FooterKey starts
      compact and is then bound to the footer's (not compact), each change restyling
      the key; two full restyles per key were about a fifth of opening a profile (profiled). (The
      palette's key stays compact, as Textual leaves it.)
    """

    _recompose_queued = False
    _shown: tuple | None = None

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.set_reactive(TextualFooter._bindings_ready, True)

    def _keys(self) -> tuple:
        """What compose shows: the footer's bindings, in order, enabled or not."""
        return tuple((b.key, b.description, b.action, enabled, tooltip)
                     for _, b, enabled, tooltip in self.screen.active_bindings.values() if b.show)

    def compose(self):
        self._shown = self._keys()
        for widget in super().compose():
            # Textual binds every key but the palette's (compact always) to the footer's style.
            if isinstance(widget, FooterKey) and not widget.has_class("-command-palette"):
                widget.set_reactive(FooterKey.compact, self.compact)
                widget.set_class(self.compact, "-compact", update=False)
            yield widget

    def bindings_changed(self, screen) -> None:
        if not screen.app.app_focus or self._recompose_queued:
            return
        if self.is_attached and screen is self.screen:
            self._recompose_queued = True
            self.call_after_refresh(self._recompose_once)

    async def _recompose_once(self) -> None:
        self._recompose_queued = False
        if self.is_attached and self.screen is self.app.screen and self._keys() != self._shown:
            await self.recompose()


class TextInput(Input):
    """An Input whose cursor does not blink when the app says so (snapshots)."""

    def on_mount(self) -> None:
        if not getattr(self.app, "blink", True):
            self.cursor_blink = False


class ChoiceRow(Widget, can_focus=True):
    """One choice out of a few, in a row: ←/→ move, the chosen one highlighted.

    ``options`` are (value, words). ``numbered`` shows "1 words" for digit keys
    bound by the screen."""

    BINDINGS = [
        Binding("left", "move(-1)", show=False),
        Binding("right", "move(1)", show=False),
        Binding("space", "move(1)", show=False),
    ]
    DEFAULT_CSS = """
    ChoiceRow { height: 1; width: 1fr; }
    """

    selected: reactive[str | None] = reactive(None)

    class Changed(Message):
        def __init__(self, row: ChoiceRow, value: str | None) -> None:
            super().__init__()
            self.row = row
            self.value = value

        @property
        def control(self) -> ChoiceRow:
            return self.row

    def __init__(self, options: list[tuple[str, str]], *, selected: str | None = None, numbered: bool = False,
                 id: str | None = None, wrap: bool = False) -> None:
        """``wrap``: the choices go on as many lines as they need (give the row
        ``height: auto``) rather than being cut at a narrow terminal."""
        super().__init__(id=id)
        self.options = options
        self.numbered = numbered
        self.wrap = wrap
        self.set_reactive(ChoiceRow.selected, selected)

    def set_options(self, options: list[tuple[str, str]], selected: str | None = None) -> None:
        self.options = options
        self.selected = selected
        self.refresh()

    def render(self) -> Text:
        text = Text(no_wrap=True, overflow="ellipsis")
        focus = self.has_focus
        width, used = self.size.width, 0
        for i, (value, words) in enumerate(self.options):
            label = f" {i + 1} {words} " if self.numbered else f" {words} "
            if self.wrap and used and width and used + cell_len(label) > width:
                text.append("\n")  # a choice is never cut in two: it starts the next line
                used = 0
            if value == self.selected:
                text.append(label, style=self.get_component_rich_style("choice--on" if focus else "choice--on-blur"))
            else:
                text.append(label)
            text.append(" ")
            used += cell_len(label) + 1
        return text

    COMPONENT_CLASSES = {"choice--on", "choice--on-blur"}

    def action_move(self, step: int) -> None:
        if not self.options:
            return
        values = [v for v, _ in self.options]
        if self.selected not in values:
            index = 0 if step > 0 else len(values) - 1
        else:
            index = (values.index(self.selected) + step) % len(values)
        self.selected = values[index]

    def watch_selected(self, value: str | None) -> None:
        self.post_message(self.Changed(self, value))

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()
