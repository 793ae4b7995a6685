"""Generating data sets on a cluster: shards written as parts, merged into the one-machine file; Dask."""

import json

import numpy as np
import pytest

from physnn.errors import PhysnnError

# 60 samples make two chunks of 50 (the Burgers chunk), solved on a coarse grid: well under a second
BASE = ["fluids", "generate", "burgers", "--n", "60", "--grid", "32", "--seed", "3", "-q"]


def _same_file(a, b):
    """Every array bit for bit and the meta, apart from what measures time and the list of parts."""
    from physnn.fluids.data import PROVENANCE_META, load_dataset

    x, y = load_dataset(a), load_dataset(b)
    assert sorted(x) == sorted(y)
    for k in x:
        if k != "meta":
            assert x[k].dtype == y[k].dtype and np.array_equal(x[k], y[k]), k
    strip = set(PROVENANCE_META) | {"merged_from"}
    assert {k: v for k, v in x["meta"].items() if k not in strip} == \
        {k: v for k, v in y["meta"].items() if k not in strip}
    return x, y


def test_shards_merge_into_the_one_machine_file(tmp_path, capsys):
    """`fluids generate --shard K/N` tasks each write a part; `fluids merge` joins them into the file one
    run without --shard writes (same arrays, same order, same meta but the timing and merged_from)."""
    from physnn.cli.app import main

    one = tmp_path / "one.npz"
    assert main([*BASE, "--out", str(one)]) == 0
    out = tmp_path / "b.npz"
    for k in ("2/2", "1/2"):  # the order the tasks run in does not matter
        assert main([*BASE, "--out", str(out), "--shard", k]) == 0 and not out.exists()
        assert f"shard {k}: 1 chunk(s) solved into {tmp_path / f'b.part-{k[0]}-of-2.npz'}" in capsys.readouterr().out
    assert not (tmp_path / "b.npz.chunks").exists()  # each shard removes its own chunks once its part is written
    parts = sorted(tmp_path.glob("b.part-*.npz"))
    assert main(["fluids", "merge", *map(str, parts), "--out", str(out)]) == 0
    assert f"wrote 60 burgers samples from 2 parts to {out}" in capsys.readouterr().out
    x, merged = _same_file(one, out)
    assert "merged_from" not in x["meta"]
    assert [p["shard"] for p in merged["meta"]["merged_from"]] == [[1, 2], [2, 2]]
    assert all(p["host"] and p["path"].endswith(".npz") for p in merged["meta"]["merged_from"])
    # a part holds its chunk's solutions: the second chunk is samples 50..59
    from physnn.fluids.data import burgers_dataset

    part = burgers_dataset(60, grid=32, seed=3, cache_dir=None, out=tmp_path / "c.npz", shard=(2, 2))
    np.testing.assert_array_equal(part["u"], x["u"][50:])
    np.testing.assert_array_equal(part["a"], x["a"][50:])
    with pytest.raises(PhysnnError, match="shard 3/3 has no chunks: 60 samples make 2 chunk"):
        burgers_dataset(60, grid=32, seed=3, cache_dir=None, out=tmp_path / "d.npz", shard=(3, 3))
    with pytest.raises(PhysnnError, match="writes its part beside the output; give out="):
        burgers_dataset(60, grid=32, seed=3, cache_dir=None, shard=(1, 2))


def test_ns_shards_merge_and_a_killed_run_resumes(tmp_path, monkeypatch):
    """Navier-Stokes the same way; a run whose chunks are in OUT.chunks/ solves nothing again."""
    import physnn.fluids.data as fdata

    kw = dict(s=8, steps=1, seed=2, chunk=1, cache_dir=None)
    one = fdata.ns_dataset(3, out=tmp_path / "one.npz", **kw)
    for k in (1, 2, 3):
        fdata.ns_dataset(3, out=tmp_path / "ns.npz", shard=(k, 3), **kw)
    fdata.merge_datasets(sorted(tmp_path.glob("ns.part-*.npz")), tmp_path / "ns.npz")
    _same_file(tmp_path / "one.npz", tmp_path / "ns.npz")
    # a killed run: chunks kept in a chunk folder are reused, nothing is solved
    store = tmp_path / "store"
    fdata.ns_dataset(3, chunk_dir=store, **kw)
    monkeypatch.setattr(fdata, "_solve_chunk", lambda *a: (_ for _ in ()).throw(AssertionError("solved again")))
    again = fdata.ns_dataset(3, chunk_dir=store, **kw)
    np.testing.assert_array_equal(again["w"], one["w"])


def test_merge_refuses_missing_repeated_and_foreign_parts(tmp_path, capsys):
    """Each way a set of parts can be wrong is one line on stderr, exit 2, naming the file or shard."""
    from physnn.cli.app import main

    for k in ("1/2", "2/2"):
        assert main([*BASE, "--out", str(tmp_path / "b.npz"), "--shard", k]) == 0
    assert main([*BASE[:-3], "--seed", "4", "-q", "--out", str(tmp_path / "s4.npz"), "--shard", "2/2"]) == 0
    assert main([*BASE, "--out", str(tmp_path / "t.npz"), "--shard", "1/3"]) == 0
    p1, p2 = tmp_path / "b.part-1-of-2.npz", tmp_path / "b.part-2-of-2.npz"
    capsys.readouterr()
    other = tmp_path / "plain.npz"
    np.savez(other, x=np.zeros(3))
    cases = [
        ([p1], r"shard\(s\) 2/2 missing \(1 of 2 parts given\); run `physnn fluids generate --shard K/2`"),
        ([p1, p2, p1], r"shard 1/2 is given twice"),
        ([p1, tmp_path / "s4.part-2-of-2.npz"], r"come from different runs \(seed=3 vs 4\)"),
        ([p1, tmp_path / "t.part-1-of-3.npz"], r"is a shard of 2 but .* one of 3"),
        ([p1, other], r"plain.npz' is not a part written by `physnn fluids generate --shard K/N`"),
        ([p1, tmp_path / "gone.npz"], r"part .*gone.npz' does not exist"),
    ]
    for parts, msg in cases:
        assert main(["fluids", "merge", *map(str, parts), "--out", str(tmp_path / "m.npz")]) == 2
        err = capsys.readouterr().err
        assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
        import re

        assert re.search(msg, err), (msg, err)
        assert not (tmp_path / "m.npz").exists()
    assert main(["fluids", "merge", str(p1), str(p2), "--out", str(tmp_path / "m.h5")]) == 2
    assert "--out must end in .npz" in capsys.readouterr().err


def test_dask_local_cluster_gives_the_file_of_two_workers(tmp_path, capsys):
    """`--dask local:2`: a LocalCluster of two worker processes (one thread each) solves the chunks;
    the file equals the one `--workers 2` writes."""
    pytest.importorskip("distributed")
    from physnn.cli.app import main

    assert main([*BASE, "--workers", "2", "--out", str(tmp_path / "w2.npz")]) == 0
    assert main([*BASE, "--dask", "local:2", "--out", str(tmp_path / "dk.npz")]) == 0
    _same_file(tmp_path / "w2.npz", tmp_path / "dk.npz")
    with np.load(tmp_path / "dk.npz") as z:
        assert json.loads(str(z["meta"]))["n"] == 60


def test_unreachable_scheduler_is_one_line_and_exit_2(tmp_path, capsys, monkeypatch):
    import physnn.parallel as par
    from physnn.cli.app import main

    monkeypatch.setattr(par, "CONNECT_TIMEOUT_S", 0.5)
    pytest.importorskip("distributed")
    assert main([*BASE, "--dask", "tcp://127.0.0.1:9", "--out", str(tmp_path / "x.npz")]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "cannot reach the Dask scheduler at tcp://127.0.0.1:9" in err
    assert main([*BASE, "--dask", "not an address", "--out", str(tmp_path / "x.npz")]) == 2
    assert "is not a scheduler address" in capsys.readouterr().err
    assert not (tmp_path / "x.npz").exists()
