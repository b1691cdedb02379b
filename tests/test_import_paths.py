"""What a clerk types into the import box, as files."""

from __future__ import annotations

from importers.paths import complete_path, expand_paths


def test_files_folders_globs_and_what_matched_nothing(tmp_path):
    (tmp_path / "a b").mkdir()
    for name in ("工单.xlsx", "车辆.xls", ".hidden", "~$工单.xlsx"):
        (tmp_path / "a b" / name).write_bytes(b"x")
    (tmp_path / "a b" / "sub").mkdir()
    files, missing = expand_paths('"a b" "a b/*.xlsx" nothing*.csv gone.xls', cwd=tmp_path)
    assert [f.name for f in files] == ["工单.xlsx", "车辆.xls"]  # each once, no hidden or Excel lock files
    assert missing == ["nothing*.csv", "gone.xls"]
    assert expand_paths("", cwd=tmp_path) == ([], [])
    assert expand_paths('"unclosed', cwd=tmp_path)[1] == ["unclosed"]


def test_completion_goes_as_far_as_it_is_unambiguous(tmp_path):
    (tmp_path / "exports").mkdir()
    (tmp_path / "exports" / "工单11.xlsx").write_bytes(b"x")
    (tmp_path / "exports" / "工单12.xlsx").write_bytes(b"x")
    assert complete_path("ex", cwd=tmp_path) == "exports/"
    assert complete_path("exports/工", cwd=tmp_path) == "exports/工单1"
    assert complete_path("exports/工单1", cwd=tmp_path) is None  # two ways on: nothing to add
    assert complete_path("first.xls exports/工单12", cwd=tmp_path) == "first.xls exports/工单12.xlsx"
    assert complete_path("zz", cwd=tmp_path) is None
