"""Readers and writers: round-trips for every format and each error case."""

from __future__ import annotations

import sys

import awkward as ak
import h5py
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import uproot

from physnn.data import ArrayData, gaussians, read_data, write_data
from physnn.data.io import FORMATS, read_csv, read_hdf5, read_npz, read_root
from physnn.errors import PhysnnError

SUFFIX = {"csv": ".csv", "tsv": ".tsv", "txt": ".txt", "npz": ".npz", "parquet": ".parquet",
          "hdf5": ".h5", "root": ".root"}


def labelled() -> ArrayData:
    """Awkward float32 values (not short decimals) and 3 integer classes."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(25, 3)) * [1.0, 1e-4, 1e6]
    return ArrayData(X, np.arange(25) % 3, feature_names=["pt", "eta", "energy"],
                     target_names=["label"], name="events")


def regression() -> ArrayData:
    rng = np.random.default_rng(1)
    return ArrayData(rng.normal(size=(10, 2)), rng.normal(size=(10, 2)),
                     feature_names=["a", "b"], target_names=["t0", "t1"])


# ---------------------------------------------------------------- round trips
@pytest.mark.parametrize("fmt", FORMATS)
def test_round_trip_labels(tmp_path, fmt):
    d = labelled()
    path = write_data(d, tmp_path / f"events{SUFFIX[fmt]}")
    back = read_data(path, target="label")
    assert back.feature_names == d.feature_names and back.target_names == ["label"]
    assert back.X.dtype == np.float32 and np.array_equal(back.X, d.X)
    assert back.y.dtype == np.int64 and np.array_equal(back.y, d.y)
    assert back.name == "events"


@pytest.mark.parametrize("fmt", FORMATS)
def test_round_trip_float_targets_and_unlabelled(tmp_path, fmt):
    d = regression()
    path = write_data(d, tmp_path / "reg.dat", format=fmt)  # format beats the suffix
    back = read_data(path, target=["t0", "t1"], format=fmt)
    assert np.array_equal(back.X, d.X) and np.array_equal(back.y, d.y)
    assert back.y.shape == (10, 2)
    unlabelled = read_data(path, format=fmt)  # no target: every column is a feature
    assert unlabelled.y is None and unlabelled.feature_names == ["a", "b", "t0", "t1"]


def test_feature_selection_and_order(tmp_path):
    path = write_data(labelled(), tmp_path / "e.parquet")
    d = read_data(path, features=["energy", "pt"], target="label")
    assert d.feature_names == ["energy", "pt"]
    assert np.array_equal(d.X, labelled().X[:, [2, 0]])
    one = read_data(path, features="eta")
    assert one.X.shape == (25, 1) and one.y is None


def test_write_is_atomic_and_leaves_old_file_on_failure(tmp_path, monkeypatch):
    path = write_data(labelled(), tmp_path / "e.parquet")
    before = path.read_bytes()

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(pq, "write_table", broken)
    with pytest.raises(OSError, match="disk full"):
        write_data(regression(), path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["e.parquet"]  # no temporary left


def test_root_file_holds_a_ttree(tmp_path):
    path = write_data(labelled(), tmp_path / "e.root")
    with uproot.open(path) as f:
        assert f.classnames() == {"data;1": "TTree"}
    write_data(labelled(), tmp_path / "t.root", tree="Events")
    assert read_root(tmp_path / "t.root", target="label").n_samples == 25


def test_hdf5_group_key(tmp_path):
    write_data(labelled(), tmp_path / "g.h5", key="run1/events")
    d = read_data(tmp_path / "g.h5", key="run1/events", target="label")
    assert np.array_equal(d.X, labelled().X)
    with pytest.raises(PhysnnError, match="'key' must be one of '/', 'run1', 'run1/events'"):
        read_hdf5(tmp_path / "g.h5", key="run2")
    with pytest.raises(PhysnnError, match="holds no datasets"):
        read_hdf5(tmp_path / "g.h5")


# ------------------------------------------------------------ X / y layouts
def test_npz_xy_layout_with_names(tmp_path):
    X = np.arange(12.0).reshape(4, 3)
    y = np.array([1.0, 0.0, 1.0, 1.0])
    np.savez(tmp_path / "xy.npz", X=X, y=y, feature_names=np.array(["u", "v", "w"]),
             target_names=np.array(["signal"]))
    d = read_npz(tmp_path / "xy.npz")  # target=None -> the stored y
    assert d.feature_names == ["u", "v", "w"] and d.target_names == ["signal"]
    assert np.array_equal(d.X, X) and d.y.ravel().tolist() == y.tolist()
    assert read_npz(tmp_path / "xy.npz", target=[]).y is None
    sel = read_npz(tmp_path / "xy.npz", features=["w"], target="u")
    assert sel.X.ravel().tolist() == [2.0, 5.0, 8.0, 11.0]


def test_npz_xy_layout_default_names(tmp_path):
    np.savez(tmp_path / "plain.npz", X=np.ones((3, 2)), y=np.ones((3, 2)))
    d = read_npz(tmp_path / "plain.npz")
    assert d.feature_names == ["x0", "x1"] and d.target_names == ["y0", "y1"]


def test_hdf5_xy_layout(tmp_path):
    with h5py.File(tmp_path / "xy.h5", "w") as f:
        f["X"] = np.eye(3)
        f["y"] = np.array([0, 1, 2])
        f["feature_names"] = np.array([b"a", b"b", b"c"])
    d = read_hdf5(tmp_path / "xy.h5")
    assert d.feature_names == ["a", "b", "c"] and d.n_classes == 3


# ---------------------------------------------------------------- text files
def test_csv_skips_text_columns_comments_and_reads_missing_as_error(tmp_path):
    p = tmp_path / "runs.csv"
    p.write_text("# made by hand\nrun,pt,label\nA,1.5,1\n\nB,2.5,0\n")
    d = read_csv(p, target="label")
    assert d.feature_names == ["pt"] and d.X.ravel().tolist() == [1.5, 2.5]
    assert d.y.tolist() == [1, 0]


def test_whitespace_txt_and_tsv(tmp_path):
    (tmp_path / "a.txt").write_text("x   y\n1  2\n3\t4\n")
    d = read_data(tmp_path / "a.txt", target="y")
    assert d.X.ravel().tolist() == [1.0, 3.0] and d.y.tolist() == [2, 4]
    (tmp_path / "b.tsv").write_text("x\ty\n1.0\t2.0\n")
    assert read_data(tmp_path / "b.tsv", target="y").y.tolist() == [[2.0]]
    (tmp_path / "c.txt").write_text("x,y\n1,2\n")  # a .txt with commas is sniffed
    assert read_data(tmp_path / "c.txt").feature_names == ["x", "y"]


def test_csv_non_numeric_value_names_column_row_and_value(tmp_path):
    p = tmp_path / "bad.csv"
    p.write_text("pt,eta\n1.0,0.5\n2.0,oops\n")
    with pytest.raises(PhysnnError, match=r"column 'eta' holds 'oops' in row 2 \(line 3\)"):
        read_data(p)
    # a column that starts as text is a text column: skipped unless named
    p.write_text("name,pt\nmu,1.0\ne,2.0\n")
    assert read_data(p).feature_names == ["pt"]
    with pytest.raises(PhysnnError, match="column 'name' holds 'mu' in row 1"):
        read_data(p, features=["name", "pt"])


def test_csv_malformed(tmp_path):
    p = tmp_path / "ragged.csv"
    p.write_text("a,b\n1,2\n3\n")
    with pytest.raises(PhysnnError, match="line 3 has 1 fields but the header has 2"):
        read_data(p)
    p.write_text("a,a\n1,2\n")
    with pytest.raises(PhysnnError, match="more than once"):
        read_data(p)
    p.write_text("# only a comment\n\n")
    with pytest.raises(PhysnnError, match="no header row"):
        read_data(p)
    p.write_text("a,b\n")
    with pytest.raises(PhysnnError, match="no data rows"):
        read_data(p)


def test_txt_writer_refuses_names_with_spaces(tmp_path):
    d = ArrayData(np.zeros((2, 1)), feature_names=["transverse momentum"])
    with pytest.raises(PhysnnError, match="whitespace"):
        write_data(d, tmp_path / "a.txt")
    back = read_data(write_data(d, tmp_path / "a.csv"))  # csv quotes as needed
    assert back.feature_names == ["transverse momentum"]


# ------------------------------------------------------------ error messages
def test_missing_column_lists_available(tmp_path):
    path = write_data(labelled(), tmp_path / "e.npz")
    with pytest.raises(PhysnnError, match="column 'et' named in 'features'.*available columns: "
                                          "'pt', 'eta', 'energy', 'label'.*Did you mean 'eta'"):
        read_data(path, features=["pt", "et"], target="label")
    with pytest.raises(PhysnnError, match="column 'lable' named in 'target'"):
        read_data(path, target="lable")


@pytest.mark.parametrize("fmt", ["csv", "npz", "parquet", "hdf5", "root"])
def test_nan_names_the_column(tmp_path, fmt):
    X = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    d = ArrayData(X, feature_names=["pt", "eta"])
    path = write_data(d, tmp_path / f"n{SUFFIX[fmt]}")
    # put a NaN into column 'eta', row 1, in each format's own way
    if fmt == "csv":
        path.write_text("pt,eta\n1,2\n3,\n5,6\n")
    elif fmt == "npz":
        np.savez(path, pt=X[:, 0], eta=np.array([2.0, np.nan, 6.0]))
    elif fmt == "parquet":
        pq.write_table(pa.table({"pt": X[:, 0], "eta": pa.array([2.0, None, 6.0])}), path)
    elif fmt == "hdf5":
        with h5py.File(path, "w") as f:
            f["pt"], f["eta"] = X[:, 0], np.array([2.0, np.nan, 6.0])
    else:
        with uproot.recreate(path) as f:
            f.mktree("t", {"pt": np.float64, "eta": np.float64})
            f["t"].extend({"pt": X[:, 0], "eta": np.array([2.0, np.inf, 6.0])})
    with pytest.raises(PhysnnError, match=r"'eta' holds .* \(first at index 1\)"):
        read_data(path)


def test_wrong_format_name_and_unknown_suffix(tmp_path):
    path = write_data(labelled(), tmp_path / "e.csv")
    with pytest.raises(PhysnnError, match="'format' must be one of 'csv', 'tsv'.*got 'cvs'"):
        read_data(path, format="cvs")
    with pytest.raises(PhysnnError, match="suffix '.xyz'.*Pass format="):
        read_data(tmp_path / "e.xyz")
    with pytest.raises(PhysnnError, match="'format' must be one of"):
        write_data(labelled(), tmp_path / "e.out", format="excel")


def test_missing_and_empty_files(tmp_path):
    with pytest.raises(PhysnnError, match="data file .*nope.csv' does not exist"):
        read_data(tmp_path / "nope.csv")
    for suffix in (".csv", ".npz", ".parquet", ".h5", ".root"):
        empty = tmp_path / f"empty{suffix}"
        empty.write_bytes(b"")
        with pytest.raises(PhysnnError, match="empty"):
            read_data(empty)
    with pytest.raises(PhysnnError, match="is a directory"):
        read_data(tmp_path, format="csv")


def test_corrupt_binary_files(tmp_path):
    """Text under a binary suffix says what the file holds; right magic, broken body: 'could not read'."""
    for suffix, what, magic in ((".npz", "NumPy .npz archive", b"PK\x03\x04"), (".parquet", "Parquet", b"PAR1"),
                                (".h5", "HDF5", b"\x89HDF\r\n\x1a\n"), (".root", "ROOT", b"root")):
        p = tmp_path / f"junk{suffix}"
        p.write_bytes(b"this is not a binary file" * 10)
        with pytest.raises(PhysnnError, match=f"is not an? {what} file: it holds a UTF-8 text file"
                           if suffix != ".npz" else f"is not a {what}: it holds a UTF-8 text file"):
            read_data(p)
        p.write_bytes(magic + bytes(range(256)) * 4)
        with pytest.raises(PhysnnError, match=f"could not read the file as .?{what.split()[-2] if suffix == '.npz' else what}"):
            read_data(p)


def test_binary_and_non_utf8_text_files(tmp_path):
    p = tmp_path / "random.csv"
    p.write_bytes(np.random.default_rng(0).integers(0, 256, 4096, dtype=np.uint8).tobytes())
    with pytest.raises(PhysnnError, match="is not a UTF-8 text file: it holds binary data"):
        read_data(p)
    p = tmp_path / "table.h5.csv"
    write_data(labelled(), tmp_path / "real.h5")
    p.write_bytes((tmp_path / "real.h5").read_bytes())
    with pytest.raises(PhysnnError, match="it holds an HDF5 file"):
        read_data(p)
    # Latin-1 beyond the sniffed head: still one clear error, never a decode traceback
    p = tmp_path / "late.csv"
    p.write_bytes(b"a,b\n" + b"1,2\n" * 40000 + "3,caf\u00e9\n".encode("latin-1"))
    with pytest.raises(PhysnnError, match="not UTF-8 text.*iconv"):
        read_data(p)


def test_features_overlapping_target_refused(tmp_path):
    path = write_data(labelled(), tmp_path / "e.csv")
    with pytest.raises(PhysnnError, match="both as features and as target"):
        read_data(path, features=["pt", "label"], target="label")


def test_tree_and_key_only_where_they_apply(tmp_path):
    path = write_data(labelled(), tmp_path / "e.csv")
    with pytest.raises(PhysnnError, match="tree='t' applies to ROOT files only"):
        read_data(path, tree="t")
    with pytest.raises(PhysnnError, match="key='k' applies to HDF5 files only"):
        read_data(path, key="k")


@pytest.mark.parametrize(
    ("suffix", "modules"),
    [(".parquet", ["pyarrow", "pyarrow.parquet"]), (".h5", ["h5py"]), (".root", ["uproot"])],
)
def test_missing_extra_says_how_to_install(tmp_path, monkeypatch, suffix, modules):
    path = write_data(labelled(), tmp_path / f"e{suffix}")
    for m in modules:
        monkeypatch.setitem(sys.modules, m, None)  # makes `import m` raise ImportError
    with pytest.raises(PhysnnError, match=r"pip install 'physnn\[io\]'"):
        read_data(path, target="label")
    with pytest.raises(PhysnnError, match=r"pip install 'physnn\[io\]'"):
        write_data(labelled(), tmp_path / f"f{suffix}")


# ----------------------------------------------------------------------- ROOT
def jagged_root(path):
    with uproot.recreate(path) as f:
        f.mktree("Events", {"met": np.float32, "Jet_pt": "var * float64",
                            "pos": ("f8", (3,))})
        f["Events"].extend({
            "met": np.array([10.0, 20.0, 30.0], np.float32),
            "Jet_pt": ak.Array([[50.0], [], [40.0, 30.0]]),
            "pos": np.ones((3, 3)),
        })
        f.mktree("Runs", {"run": np.int32})
        f["Runs"].extend({"run": np.array([1], np.int32)})


def test_root_tree_choice_and_jagged_branches(tmp_path):
    path = tmp_path / "nano.root"
    jagged_root(path)
    with pytest.raises(PhysnnError, match="'tree' must be one of 'Events', 'Runs'; got None"):
        read_root(path)
    d = read_root(path, tree="Events")  # jagged and fixed-size branches are skipped
    # uproot adds the counter branch nJet_pt for the jagged one: a flat integer
    assert d.feature_names == ["met", "nJet_pt"]
    assert d.X.tolist() == [[10.0, 1.0], [20.0, 0.0], [30.0, 2.0]]
    with pytest.raises(PhysnnError, match="'Jet_pt' is jagged.*not flat.*physnn.hep"):
        read_root(path, tree="Events", features=["met", "Jet_pt"])
    with pytest.raises(PhysnnError, match="'pos' has type 'double\\[3\\]'"):
        read_root(path, tree="Events", features=["pos"])
    with pytest.raises(PhysnnError, match="'tree' must be one of.*got 'Event'. Did you mean"):
        read_root(path, tree="Event")


def test_root_without_ttree(tmp_path):
    path = tmp_path / "nt.root"
    with uproot.recreate(path) as f:
        f["hist"] = np.histogram([1.0, 2.0])
    with pytest.raises(PhysnnError, match="holds no TTree or RNTuple"):
        read_root(path)


def test_root_rntuple_reads_like_a_ttree(tmp_path):
    """An RNTuple (ROOT's successor of TTree; what uproot >= 5.7 writes for file[key] = {...}) reads the same."""
    path = tmp_path / "events.root"
    cols = {"met": np.array([10.0, 20.0, 30.0]), "nj": np.array([1, 0, 2], np.int32),
            "w": np.array([0.5, 1.0, 1.5], np.float32), "label": np.array([1, 0, 1], np.int64)}
    with uproot.recreate(path) as f:
        f.mkrntuple("Events", {**cols, "Jet_pt": ak.Array([[50.0], [], [40.0, 30.0]]),
                               "pos": np.ones((3, 3))})
    with uproot.open(path) as f:
        assert f.classnames()["Events;1"] == "ROOT::RNTuple"  # the condition under test
    d = read_root(path, target="label")  # the only table: no tree= needed; jagged and array fields skipped
    assert d.feature_names == ["met", "nj", "w"] and d.target_names == ["label"]
    np.testing.assert_allclose(d.X, np.stack([cols["met"], cols["nj"], cols["w"]], 1))
    np.testing.assert_array_equal(d.y.ravel(), [1, 0, 1])
    assert read_data(path, features=["w"], target="label", tree="Events").X.ravel().tolist() == [0.5, 1.0, 1.5]
    with pytest.raises(PhysnnError, match="'Jet_pt' is jagged .*'std::vector<double>'.*physnn.hep"):
        read_root(path, features=["met", "Jet_pt"], target="label")
    with pytest.raises(PhysnnError, match="'pos' has type 'std::array<double,3>', not one number per entry"):
        read_root(path, features=["pos"], target="label")


# ------------------------------------------------------------- other columns
def test_parquet_string_and_list_columns(tmp_path):
    path = tmp_path / "mixed.parquet"
    pq.write_table(pa.table({"name": ["a", "b"], "pt": [1.0, 2.0],
                             "hits": pa.array([[1, 2], [3]]), "ok": [True, False]}), path)
    d = read_data(path, target="ok")
    assert d.feature_names == ["pt"] and d.y.ravel().tolist() == [1.0, 0.0]
    with pytest.raises(PhysnnError, match="'hits' is a list column"):
        read_data(path, features=["hits"])
    with pytest.raises(PhysnnError, match="'name' holds string values, not numbers"):
        read_data(path, features=["name"])


def test_npz_column_layout_problems(tmp_path):
    path = tmp_path / "c.npz"
    np.savez(path, a=np.ones(3), b=np.ones(4), img=np.ones((3, 2)), s=np.array(["x", "y", "z"]))
    assert read_npz(path, features=["a"]).n_samples == 3
    with pytest.raises(PhysnnError, match="'b' has 4 rows but column 'a' has 3"):
        read_npz(path, features=["a", "b"])
    with pytest.raises(PhysnnError, match="'img' is an array of shape \\(3, 2\\)"):
        read_npz(path, features=["img"])
    with pytest.raises(PhysnnError, match="no numeric column is left"):
        read_npz(path, target=["a", "b"])


def test_int_multiclass_gaussians_through_hdf5(tmp_path):
    d = gaussians(60, centers=4, seed=3)
    back = read_data(write_data(d, tmp_path / "g.hdf5"), target="label")
    assert back.n_classes == 4 and np.array_equal(back.y, d.y)
