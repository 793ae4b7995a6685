"""physnn.data.stream: chunks of Parquet and ROOT files, split, moments, shuffle buffers, sharding."""

from __future__ import annotations

import numpy as np
import pytest

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

from physnn.data import write_data  # noqa: E402
from physnn.data.arrays import ArrayData  # noqa: E402
from physnn.data.stream import TableStream, batches_per_reader, epoch_assignment  # noqa: E402
from physnn.errors import PhysnnError  # noqa: E402


def _parquet(path, n=1000, group=100, seed=0):
    rng = np.random.default_rng(seed)
    cols = {"rid": np.arange(n, dtype=np.float64), "a": rng.normal(3.0, 2.0, n).astype(np.float32),
            "b": rng.uniform(-5, 1, n), "y": rng.normal(size=n)}
    pq.write_table(pa.table(cols), path, row_group_size=group)
    return cols


def _rows(stream, chunks, **kw):
    """The row ids ('rid', the first feature) a reader yields, batch by batch."""
    return [x[:, 0].astype(int) for x, _ in stream.reader(chunks, **kw)]


def test_chunks_are_the_row_groups_and_read_back_exactly(tmp_path):
    cols = _parquet(tmp_path / "t.parquet", n=1000, group=130)
    s = TableStream(tmp_path / "t.parquet", features=["rid", "a", "b"], target="y")
    assert [c.rows for c in s.chunks] == [130] * 7 + [90]
    X = np.concatenate([s.read(c)[0] for c in s.chunks])
    y = np.concatenate([s.read(c)[1] for c in s.chunks])
    np.testing.assert_array_equal(X[:, 0], cols["rid"])
    np.testing.assert_array_equal(X[:, 1], cols["a"])
    np.testing.assert_allclose(y[:, 0], cols["y"])
    assert X.dtype == np.float32 and X.shape == (1000, 3)


def test_default_features_are_the_numeric_columns_but_the_target(tmp_path):
    _parquet(tmp_path / "t.parquet")
    assert TableStream(tmp_path / "t.parquet", target="y").feature_names == ["rid", "a", "b"]


def test_split_is_by_whole_chunks_seeded_and_disjoint(tmp_path):
    _parquet(tmp_path / "t.parquet", n=2000, group=100)
    s = TableStream(tmp_path / "t.parquet", target="y")
    tr, va, te = s.split(val=0.2, test=0.1, seed=3)
    assert (len(tr), len(va), len(te)) == (14, 4, 2)
    ids = [(c.file, c.part) for c in tr + va + te]
    assert len(set(ids)) == 20
    assert s.split(val=0.2, test=0.1, seed=3) == (tr, va, te)
    assert s.split(val=0.2, test=0.1, seed=4) != (tr, va, te)


def test_one_epoch_reads_every_row_once_over_ranks_and_workers(tmp_path):
    _parquet(tmp_path / "t.parquet", n=1000, group=70)
    s = TableStream(tmp_path / "t.parquet", features=["rid", "a"], target="y")
    order = np.random.default_rng(0).permutation(len(s.chunks))
    seen = []
    for rank in range(2):
        for chunk_ids in epoch_assignment(len(s.chunks), order, rank, 2, 3):
            seen += [r for b in _rows(s, [s.chunks[i] for i in chunk_ids], batch_size=32, buffer_chunks=2) for r in b]
    assert sorted(seen) == list(range(1000))


def test_shuffle_buffer_mixes_chunks_and_keeps_batches_full(tmp_path):
    _parquet(tmp_path / "t.parquet", n=1000, group=100)
    s = TableStream(tmp_path / "t.parquet", features=["rid", "a"], target="y")
    batches = _rows(s, s.chunks, batch_size=64, buffer_chunks=4, seed=1)
    assert [len(b) for b in batches[:-1]] == [64] * (len(batches) - 1)
    assert len(batches) == batches_per_reader(1000, 64)
    first = batches[0] // 100  # the chunk each row came from
    assert len(set(first.tolist())) == 4  # one buffer = 4 row groups, mixed
    assert sorted(np.concatenate(batches).tolist()) == list(range(1000))
    # shuffle=False: file order
    plain = np.concatenate(_rows(s, s.chunks, batch_size=64, shuffle=False))
    np.testing.assert_array_equal(plain, np.arange(1000))


def test_moments_match_numpy_over_all_rows_and_sample_stops_early(tmp_path):
    cols = _parquet(tmp_path / "t.parquet", n=3000, group=250)
    s = TableStream(tmp_path / "t.parquet", features=["a", "b"], target="y")
    mean, var, n = s.moments(s.chunks, sample_rows=None)
    ref = np.column_stack([cols["a"].astype(np.float32), cols["b"].astype(np.float32)]).astype(np.float64)
    assert n == 3000
    np.testing.assert_allclose(mean, ref.mean(0), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(var, ref.var(0), rtol=1e-9)
    _, _, n_sample = s.moments(s.chunks, sample_rows=600, seed=0)
    assert n_sample == 750  # three whole chunks


def test_root_files_stream_by_entry_ranges(tmp_path):
    pytest.importorskip("uproot")
    rng = np.random.default_rng(0)
    X = rng.normal(size=(500, 2)).astype(np.float32)
    write_data(ArrayData(X, rng.normal(size=500), feature_names=["u", "v"], target_names=["t"]), tmp_path / "e.root")
    s = TableStream(tmp_path / "e.root", target="t", chunk_rows=120)
    assert [c.rows for c in s.chunks] == [120, 120, 120, 120, 20]
    got = np.concatenate([s.read(c)[0] for c in s.chunks])
    np.testing.assert_array_equal(got, X)


def test_several_parquet_files_in_a_folder(tmp_path):
    (tmp_path / "d").mkdir()
    _parquet(tmp_path / "d" / "p1.parquet", n=300, group=100, seed=1)
    _parquet(tmp_path / "d" / "p2.parquet", n=200, group=100, seed=2)
    s = TableStream(tmp_path / "d", target="y")
    assert s.n_rows == 500 and len(s.chunks) == 5 and sorted({c.file for c in s.chunks}) == [0, 1]


def test_bad_input_is_named(tmp_path):
    _parquet(tmp_path / "t.parquet")
    with pytest.raises(PhysnnError, match="'nope'"):
        TableStream(tmp_path / "t.parquet", target="nope")
    with pytest.raises(PhysnnError, match="only Parquet"):
        (tmp_path / "t.csv").write_text("a,y\n1,2\n")
        TableStream(tmp_path / "t.csv", target="y")
    with pytest.raises(PhysnnError, match="not found|does not exist|No such"):
        TableStream(tmp_path / "missing.parquet", target="y")
    with pytest.raises(PhysnnError, match="cannot be split"):
        TableStream(tmp_path / "t.parquet", target="y").split(val=0.5, test=0.5 - 1e-9)
    # a NaN in the 3rd row group is found when that chunk is read, naming the column and the group
    a = np.ones(300)
    a[250] = np.nan
    pq.write_table(pa.table({"a": a, "y": np.zeros(300)}), tmp_path / "nan.parquet", row_group_size=100)
    s = TableStream(tmp_path / "nan.parquet", target="y")
    s.read(s.chunks[0])
    with pytest.raises(PhysnnError, match=r"'a'.*row group 2"):
        s.read(s.chunks[2])
    # a string column cannot be a feature
    pq.write_table(pa.table({"s": ["x"] * 10, "y": np.zeros(10)}), tmp_path / "str.parquet")
    with pytest.raises(PhysnnError, match="'s' is not a flat numeric"):
        TableStream(tmp_path / "str.parquet", features=["s"], target="y")


def test_a_standardizer_is_applied_in_float32_like_its_transform(tmp_path):
    from physnn.data.arrays import Standardizer

    _parquet(tmp_path / "t.parquet", n=500, group=100)
    s = TableStream(tmp_path / "t.parquet", features=["a", "b"], target="y")
    X = np.concatenate([s.read(c)[0] for c in s.chunks])
    std = Standardizer().fit(X)
    got = np.concatenate([x for x, _ in s.reader(s.chunks, batch_size=50, shuffle=False, transform=std.transform)])
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, std.transform(X), rtol=1e-5, atol=1e-5)
    blocks = [len(x) for x, _ in s.reader(s.chunks, batch_size=50, buffer_chunks=2, per_yield=3)]
    assert blocks == [150, 50, 150, 50, 100] and sum(blocks) == 500
