"""What the screen tests share."""

from __future__ import annotations

import asyncio


async def wait_for(pilot, condition, timeout: float = 15.0) -> None:
    """Wait on a condition, not a sleep: fail after ``timeout`` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError("condition not met in time")
        await pilot.pause(0.02)
