"""dealerdesk's domain and persistence: tables, sessions, migrations and the rules.

Nothing here imports Textual or the importers; the TUI and the CLI are two faces
on the functions of this package.
"""
