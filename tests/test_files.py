"""Atomic writes: the file appears whole or not at all, with an ordinary file's mode."""

import os
import stat
from pathlib import Path

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


def test_removed_on_error_removes_only_what_the_body_made(tmp_path):
    from physnn.files import removed_on_error

    new = tmp_path / "a" / "b" / "run"
    old = tmp_path / "kept"
    old.mkdir()
    (old / "mine.txt").write_text("x")
    with pytest.raises(RuntimeError):
        with removed_on_error(new, old, None):
            new.mkdir(parents=True)
            (new / "config.toml").write_text("x")
            (old / "theirs.txt").write_text("y")
            raise RuntimeError("late failure")
    assert not (tmp_path / "a").exists()  # the run and the parents made for it
    assert sorted(p.name for p in old.iterdir()) == ["mine.txt", "theirs.txt"]  # existed: untouched


def test_removed_on_error_keeps_a_parent_that_gained_other_content(tmp_path):
    from physnn.files import removed_on_error

    new = tmp_path / "runs" / "r"
    with pytest.raises(ValueError):
        with removed_on_error(new):
            new.mkdir(parents=True)
            (tmp_path / "runs" / "other").mkdir()  # someone else's run, made meanwhile
            raise ValueError("bad")
    assert sorted(p.name for p in (tmp_path / "runs").iterdir()) == ["other"]


def test_removed_on_error_keeps_outputs_on_success_and_on_interrupt(tmp_path):
    from physnn.files import removed_on_error

    with removed_on_error(tmp_path / "ok.txt"):
        (tmp_path / "ok.txt").write_text("done")
    with pytest.raises(KeyboardInterrupt):
        with removed_on_error(tmp_path / "run"):
            (tmp_path / "run").mkdir()
            (tmp_path / "run" / "checkpoint.pt").write_bytes(b"resume me")
            raise KeyboardInterrupt
    assert (tmp_path / "ok.txt").exists() and (tmp_path / "run" / "checkpoint.pt").exists()


def test_read_json_refuses_what_is_not_a_json_object(tmp_path):
    from physnn.errors import PhysnnError
    from physnn.files import read_json

    p = tmp_path / "state.json"
    p.write_text('{"format": "x"}')
    assert read_json(p) == {"format": "x"}
    for content, match in ((b"", "empty"), (b"\xff\xfe\x00junk", "not a UTF-8 text file"),
                           (b"{nope", "not valid JSON"), (b"[1, 2]", "JSON list, not an object")):
        p.write_bytes(content)
        with pytest.raises(PhysnnError, match=match):
            read_json(p, what="run state")


def test_sniff_file_tells_the_formats_apart_by_their_bytes(tmp_path):
    """Each real writer's output is recognised whatever the suffix; a cut multi-byte char is still text."""
    import numpy as np
    import torch
    from safetensors.torch import save_file

    from physnn.cells.io import write_tiff
    from physnn.data import toy, write_data
    from physnn.errors import sniff_file

    d = toy.xor()
    made = {}
    for fmt, suffix in (("parquet", ".parquet"), ("hdf5", ".h5"), ("npz", ".npz"), ("root", ".root"), ("text", ".csv")):
        made[fmt] = write_data(d, tmp_path / f"d{suffix}")
    made["tiff"] = write_tiff(tmp_path / "i.tif", np.zeros((4, 4), np.uint16))
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.imsave(tmp_path / "i.png", np.zeros((4, 4)))
    made["png"] = tmp_path / "i.png"
    save_file({"w": torch.zeros(2)}, tmp_path / "m.safetensors")
    made["safetensors"] = tmp_path / "m.safetensors"
    for kind, path in made.items():
        disguised = tmp_path / f"disguised_{kind}.bin"
        disguised.write_bytes(Path(path).read_bytes())
        assert sniff_file(disguised) == kind, kind
    big = tmp_path / "big.csv"
    big.write_bytes(b"a\n" + b"x" * (65536 - 3) + "é\n".encode())  # 'é' straddles the 64 KiB window
    assert sniff_file(big) == "text"
    (tmp_path / "e").write_bytes(b"")
    assert sniff_file(tmp_path / "e") == "empty"
    (tmp_path / "z").write_bytes(b"\x00\x01\x02\xff" * 100)
    assert sniff_file(tmp_path / "z") == "binary"


def test_check_input_file_says_what_the_file_is_and_what_was_expected(tmp_path):
    from physnn.errors import PhysnnError, check_input_file

    p = tmp_path / "x.npz"
    p.write_text("a,b\n1,2\n")
    with pytest.raises(PhysnnError, match=r"owner: data set '.*x.npz' is not a NumPy .npz archive: it holds a UTF-8 "
                                          r"text file\. Make one with gen\.$"):
        check_input_file(p, "npz", owner="owner", what="data set", hint="Make one with gen.")
    assert check_input_file(p, ("npz", "text")) == p
    with pytest.raises(PhysnnError, match="is a directory"):
        check_input_file(tmp_path, "text")
    with pytest.raises(ValueError, match="unknown kind"):
        check_input_file(p, "jpg")
