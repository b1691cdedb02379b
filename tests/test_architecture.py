"""The layers' arrows: store and importers never pull in the screen library."""

import subprocess
import sys


def test_store_and_importers_do_not_import_textual():
    code = "import sys, store.db, store.lookup, store.demo, store.counter, importers; assert 'textual' not in sys.modules, sorted(m for m in sys.modules if m.startswith('textual'))"
    subprocess.run([sys.executable, "-c", code], check=True)


def _store_functions():
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parents[1] / "store"
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                yield path.relative_to(root.parent), node


def test_no_store_function_gives_rights_by_default():
    """The acting staff member is always named by the caller: no function in store/
    takes ``actor`` with a default, so a face that forgets it fails loudly instead of
    acting with the system's rights."""
    import ast

    defaulted = []
    for path, fn in _store_functions():
        a = fn.args
        positional = a.posonlyargs + a.args
        with_default = [x.arg for x in positional[len(positional) - len(a.defaults):]] if a.defaults else []
        with_default += [k.arg for k, d in zip(a.kwonlyargs, a.kw_defaults) if d is not None]
        if "actor" in with_default:
            defaulted.append(f"{path}:{fn.lineno} {fn.name}")
    assert defaulted == []


def test_the_system_actor_is_named_only_where_the_system_acts():
    """SYSTEM appears in store/ only where the system really acts: its definition and
    the first manager of a new database (the counter before anyone exists)."""
    import re
    from pathlib import Path

    allowed = {"store/access.py", "store/counter.py"}
    root = Path(__file__).resolve().parents[1]
    users = sorted(str(p.relative_to(root)) for p in (root / "store").rglob("*.py")
                   if re.search(r"\bSYSTEM\b", p.read_text(encoding="utf-8")))
    assert set(users) <= allowed, users
