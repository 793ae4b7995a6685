"""Jet files: exact round trips in every format, TTree (not RNTuple), clear errors."""

from __future__ import annotations

import numpy as np
import pytest

from physnn.errors import PhysnnError
from physnn.hep.jetio import (
    CONSTITUENT_COLUMNS,
    JET_COLUMNS,
    SCALAR_COLUMNS,
    read_jet_metadata,
    read_jets,
    write_jets,
)

N_JETS, WIDTH = 7, 5


def _jets(seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    jets = {c: rng.normal(size=N_JETS) for c in SCALAR_COLUMNS}
    n_const = np.array([0, 1, 3, 5, 9, 4, 12], dtype=np.int32)  # < N, = N and > N
    jets["n_constituents"] = n_const
    jets["label"] = rng.integers(0, 2, N_JETS).astype(np.int32)
    mask = np.arange(WIDTH)[None, :] < np.minimum(n_const, WIDTH)[:, None]
    for c in CONSTITUENT_COLUMNS:
        jets[c] = np.where(mask, rng.normal(size=(N_JETS, WIDTH)), 0.0).astype(np.float32)
    return jets


@pytest.mark.parametrize("suffix", [".npz", ".parquet", ".root"])
def test_round_trip_is_exact(tmp_path, suffix):
    if suffix == ".parquet":
        pytest.importorskip("pyarrow")
    if suffix == ".root":
        pytest.importorskip("uproot")
    jets = _jets()
    path = write_jets(jets, tmp_path / f"jets{suffix}", metadata={"seed": 5, "signal": "top"})
    back = read_jets(path)
    assert list(back) == list(JET_COLUMNS)
    for c in JET_COLUMNS:
        assert back[c].dtype == jets[c].dtype, c
        np.testing.assert_array_equal(back[c], jets[c], err_msg=c)
    meta = read_jet_metadata(path)
    assert meta["seed"] == 5 and meta["n_constituents_stored"] == WIDTH
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no temporary files left behind


def test_root_file_holds_a_ttree_with_jagged_constituents(tmp_path):
    uproot = pytest.importorskip("uproot")
    jets = _jets()
    path = write_jets(jets, tmp_path / "jets.root")
    with uproot.open(path) as f:
        assert f.classnames()["jets;1"] == "TTree"  # not an RNTuple
        t = f["jets"]
        counts = t["npart"].array(library="np")
        assert counts.tolist() == np.minimum(jets["n_constituents"], WIDTH).tolist()
        pt = t["part_pt"].array(library="ak")
        assert [len(x) for x in pt] == counts.tolist()


def test_bad_extension_missing_column_bad_shape(tmp_path):
    jets = _jets()
    with pytest.raises(PhysnnError, match=r"\.npz.*\.parquet.*\.root|\.npz, \.parquet"):
        write_jets(jets, tmp_path / "jets.csv")
    partial = {k: v for k, v in jets.items() if k != "tau32"}
    with pytest.raises(PhysnnError, match="'tau32'"):
        write_jets(partial, tmp_path / "jets.npz")
    bad = dict(jets, part_deta=jets["part_deta"][:, :3])
    with pytest.raises(PhysnnError, match="part_deta"):
        write_jets(bad, tmp_path / "jets.npz")
    assert not list(tmp_path.iterdir())


def test_read_errors_name_what_is_there(tmp_path):
    with pytest.raises(PhysnnError, match="does not exist"):
        read_jets(tmp_path / "none.parquet")
    pytest.importorskip("uproot")
    path = write_jets(_jets(), tmp_path / "jets.root")
    with pytest.raises(PhysnnError, match="no TTree 'events'.*'jets'"):
        read_jets(path, tree="events")
    np.savez(tmp_path / "other.npz", x=np.ones(3))
    with pytest.raises(PhysnnError, match="column 'pt'"):
        read_jets(tmp_path / "other.npz")
