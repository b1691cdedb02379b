"""``python -m tui``: the counter app, as ``dealerdesk`` with no command starts it (the
database from ``DEALERDESK_DB``). ``dealerdesk serve`` runs this for each browser tab."""

from tui.cli import main

main([])
