"""Atomic writes: the file appears whole or not at all, with an ordinary file's mode."""

import os
import stat

import pytest

from physnn.files import atomic_path, write_text


def test_written_file_has_the_mode_open_would_give(tmp_path):
    write_text(tmp_path / "a.txt", "hello")
    mask = os.umask(0)
    os.umask(mask)
    mode = stat.S_IMODE(os.stat(tmp_path / "a.txt").st_mode)
    assert mode == 0o666 & ~mask  # not mkstemp's 0600


def test_failure_leaves_neither_target_nor_temporary(tmp_path):
    with pytest.raises(RuntimeError):
        with atomic_path(tmp_path / "b.bin") as tmp:
            tmp.write_bytes(b"partial")
            raise RuntimeError("crash while writing")
    assert list(tmp_path.iterdir()) == []


def test_old_content_survives_a_failed_rewrite(tmp_path):
    write_text(tmp_path / "c.txt", "old")
    with pytest.raises(RuntimeError):
        with atomic_path(tmp_path / "c.txt") as tmp:
            tmp.write_text("new, half")
            raise RuntimeError
    assert (tmp_path / "c.txt").read_text() == "old"
