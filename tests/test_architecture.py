"""The layers' arrows: store and importers never pull in the screen library."""

import subprocess
import sys


def test_store_and_importers_do_not_import_textual():
    code = "import sys, store.db, store.lookup, store.demo, store.counter, importers; assert 'textual' not in sys.modules, sorted(m for m in sys.modules if m.startswith('textual'))"
    subprocess.run([sys.executable, "-c", code], check=True)
