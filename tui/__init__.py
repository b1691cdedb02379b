"""The counter's faces: the Textual app and the ``dealerdesk`` command line."""
