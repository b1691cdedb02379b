"""Every kind of plate goes in from a DMS export in the spelling the export has, is
stored in its one canonical form, and is found at the counter by any fragment of
it (a serial's O and I typed for 0 and 1 included); on both backends."""

from __future__ import annotations

from sqlalchemy import select

from importers.pipeline import import_file
from store.access import SYSTEM
from store.db import read_session, write_session
from store.lookup import lookup
from store.models import Vehicle
from tests.factories import add_store
from tests.import_files import VISIT_HEADER, delimited_bytes, visit, write_bytes

# (as the export spells it, as stored)
PLATES = [
    ("京O12345", "京O12345"), ("京AA12345", "京AA12345"), ("粤BC01234", "粤BC01234"), ("浙AG12345", "浙AG12345"),
    ("川AK10086", "川AK10086"), ("224578使", "使224578"), ("使014579", "使014579"), ("琼X1234应急", "琼X1234应急"),
    ("VA12345", "VA12345"), ("WJ粤12345", "WJ粤12345"), ("民航12345", "民航12345"), ("临粤A56789", "粤A56789临"),
    ("粵B1O345", "粤B10345"), ("粤C\u200b24680", "粤C24680"), ("粤Z1234港", "粤Z1234港"),
]


def test_every_kind_goes_in_canonical_and_is_found_by_a_fragment(engine, tmp_path):
    with write_session(engine) as s:
        store_id = add_store(s).id
    rows = [VISIT_HEADER] + [visit(f"RO{i}", typed, name=f"客户{i}", phone=f"1380000{i:04d}")
                             for i, (typed, _) in enumerate(PLATES)]
    path = write_bytes(tmp_path / "ro.csv", delimited_bytes(rows))
    result = import_file(engine, path, actor=SYSTEM, store_id=store_id)
    assert result.rejected == [], result.rejected
    with read_session(engine) as s:
        stored = set(s.execute(select(Vehicle.plate)).scalars())
        assert stored == {canonical for _, canonical in PLATES}
        for typed, canonical in PLATES:
            for fragment in (canonical[-4:], canonical[-5:], typed):
                found = [m.plate for m in lookup(s, fragment, actor=SYSTEM)]
                assert canonical in found, (typed, fragment, found)
            whole = [m.plate for m in lookup(s, typed, actor=SYSTEM)]
            assert whole[0] == canonical, (typed, whole)  # the whole plate, however spelled, first
        # A serial's O and I typed at the counter for 0 and 1.
        assert [m.plate for m in lookup(s, "B1O34", actor=SYSTEM)] == ["粤B10345"]
        assert "京O12345" in [m.plate for m in lookup(s, "O1234", actor=SYSTEM)]  # the office letter O is a letter
