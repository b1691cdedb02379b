"""A renderable drawn once per width.

Textual draws a Static's content when it lays the screen out (to learn its height)
and again when it paints, and again for each region it repaints. For a Rich table
that is every cell through Rich's renderer each time: on the profile (visits, what
is due, pitches) the tables were re-rendered about a dozen times per opening, a
third of the time from Enter to the painted profile (profiled). Wrapped in
:class:`RenderedOnce`, a table is rendered once for each width it is asked for
and its lines reused; new content is a new wrapper, so nothing stale is shown."""

from __future__ import annotations

from rich.console import Console, ConsoleOptions, RenderableType, RenderResult
from rich.measure import Measurement
from rich.segment import Segment


class RenderedOnce:
    def __init__(self, renderable: RenderableType) -> None:
        self.renderable = renderable
        self._lines: dict[tuple, list[list[Segment]]] = {}
        self._measures: dict[tuple, Measurement] = {}

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        key = (options.max_width, options.min_width, options.height, options.justify, options.overflow,
               options.no_wrap, options.highlight, options.markup)
        lines = self._lines.get(key)
        if lines is None:
            lines = self._lines[key] = console.render_lines(self.renderable, options, pad=False)
        newline = Segment.line()
        for line in lines:
            yield from line
            yield newline

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        key = (options.max_width, options.min_width)
        measured = self._measures.get(key)
        if measured is None:
            measured = self._measures[key] = Measurement.get(console, options, self.renderable)
        return measured
