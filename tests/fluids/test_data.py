"""Generating data sets on a cluster: shards of chunks, then one run that assembles them."""

import numpy as np
import pytest

from physnn.errors import PhysnnError


def test_shards_and_resume_give_the_one_machine_data_set(tmp_path, capsys):
    """`fluids generate --shard K/N` tasks solve their chunks into OUT.chunks/; the same command without
    --shard writes OUT from them (nothing solved again) — equal to a one-process run."""
    from physnn.cli.app import main
    from physnn.fluids.data import burgers_dataset, load_dataset

    one = burgers_dataset(60, grid=64, seed=3, cache_dir=None)
    out = tmp_path / "b.npz"
    base = ["fluids", "generate", "burgers", "--n", "60", "--grid", "64", "--seed", "3", "--out", str(out), "-q"]
    for k in ("2/2", "1/2"):
        assert main([*base, "--shard", k]) == 0 and not out.exists()
        assert f"shard {k}: 1 chunk(s) solved into" in capsys.readouterr().out
    assert main(base) == 0
    got = load_dataset(out)
    np.testing.assert_array_equal(got["a"], one["a"])
    np.testing.assert_array_equal(got["u"], one["u"])
    assert not (tmp_path / "b.npz.chunks").exists()  # removed once OUT is written
    part = burgers_dataset(60, grid=64, seed=3, cache_dir=None, chunk_dir=tmp_path / "c", shard=(2, 2))
    np.testing.assert_array_equal(part["u"], one["u"][50:])  # chunks of 50: the second holds samples 50..59
    np.testing.assert_array_equal(part["a"], one["a"][50:])
    with pytest.raises(PhysnnError, match="shard 3/3 has no chunks: 60 samples make 2 chunk"):
        burgers_dataset(60, grid=64, seed=3, cache_dir=None, chunk_dir=tmp_path / "d", shard=(3, 3))
