"""physnn.parallel, the chunk runner of the three generators: cache, resume, shards, progress, parts, Dask addresses."""

from __future__ import annotations

import numpy as np
import pytest

from physnn.errors import PhysnnError
from physnn.parallel import ChunkCache, check_dask, part_path, read_parts, run_chunks, shard_chunks, write_part


def square(i: int, n: int) -> dict[str, np.ndarray]:
    """A chunk: n copies of i squared (module level, so a spawned worker can import it)."""
    return {"x": np.full(n, i * i)}


def counting(i: int, n: int, report=None) -> dict[str, np.ndarray]:
    for _ in range(n):
        report(1, events=2)
    return {"x": np.full(n, i)}


def test_chunks_are_cached_reused_and_the_same_in_two_processes(tmp_path, monkeypatch):
    jobs = {i: (i, 2) for i in range(3)}
    sizes = {i: 2 for i in range(3)}
    cache = ChunkCache(tmp_path / "c", {"seed": 1})
    seen = []
    one = run_chunks(square, jobs, sizes=sizes, cache=cache, progress=lambda done, total: seen.append((done, total)))
    assert [one.chunks[i]["x"].tolist() for i in range(3)] == [[0, 0], [1, 1], [4, 4]] and one.reused == []
    assert seen == [(2, 6), (4, 6), (6, 6)]
    assert cache.folder.parent == tmp_path / "c" and (cache.folder / "settings.json").is_file()
    # a second run finds every chunk; with other settings nothing is shared
    again = run_chunks(lambda *a: pytest.fail("made again"), jobs, sizes=sizes, cache=cache, progress=False)
    assert again.reused == [0, 1, 2]
    assert ChunkCache(tmp_path / "c", {"seed": 2}).load(0) is None
    two = run_chunks(square, jobs, sizes=sizes, workers=2, progress=False)
    for i in jobs:
        assert np.array_equal(two.chunks[i]["x"], one.chunks[i]["x"])
    # a shard removes only its own chunks: the other tasks may still be writing theirs
    cache.discard([1])
    assert cache.load(1) is None and cache.load(0) is not None
    cache.discard()  # every chunk; the folder goes, the base stays while another settings' folder is in it
    assert not cache.folder.exists() and (tmp_path / "c").is_dir()
    ChunkCache(tmp_path / "c", {"seed": 2}).discard()
    assert not (tmp_path / "c").exists()


def test_reports_move_the_bar_inside_a_chunk_also_from_workers():
    got = []
    for workers in (1, 2):
        got.clear()
        run = run_chunks(counting, {0: (0, 3), 1: (1, 2)}, sizes={0: 3, 1: 2}, workers=workers, reports=True,
                         progress=lambda done, total: got.append(done))
        assert run.chunks[1]["x"].tolist() == [1, 1]
        # in this process every report moves the bar; from workers a report that arrives after its chunk
        # finished adds nothing (the chunk's rest was added then): never past the total, never back
        assert got == [1, 2, 3, 4, 5] if workers == 1 else (got[-1] == 5 and got == sorted(set(got)))


def test_shards_and_addresses():
    assert shard_chunks(10, 3, None, owner="t", unit="jets") == [0, 1, 2, 3]
    assert shard_chunks(10, 3, "2/3", owner="t", unit="jets") == [1]
    with pytest.raises(PhysnnError, match=r"t: shard 5/5 has no chunks: 10 jets make 4 chunk\(s\) of 3; use at most 4"):
        shard_chunks(10, 3, (5, 5), owner="t", unit="jets")
    assert part_path("/d/qcd.parquet", (3, 10)).as_posix() == "/d/qcd.part-03-of-10.npz"
    assert check_dask("local") == ("local", None) and check_dask("tcp://10.0.0.1:8786") == ("tcp://10.0.0.1:8786", None)
    assert check_dask("node7:8786") == ("tcp://node7:8786", None)
    for bad, msg in (("local:0", "1 <= N <= 256"), ("http://x:80/path", "is not a scheduler address"),
                     ("", "must be a scheduler address")):
        with pytest.raises(PhysnnError, match=msg):
            check_dask(bad, owner="t")


def test_parts_round_trip_and_are_checked(tmp_path):
    settings = {"seed": 3, "n": 5}
    chunks = {i: {"x": np.arange(i, i + 2), "__stats__": np.array("{}")} for i in range(3)}
    for k in (1, 2):
        mine = [i for i in chunks if i % 2 == k - 1]
        write_part(part_path(tmp_path / "o.npz", (k, 2)), kind="demo", settings=settings, shard=(k, 2), n_chunks=3,
                   chunks={i: chunks[i] for i in mine}, provenance={"wall_s": 1.0})
    got = read_parts(sorted(tmp_path.glob("o.part-*.npz")), kind="demo", owner="t", command="demo")
    assert list(got.chunks) == [0, 1, 2] and got.settings == settings and got.n_shards == 2
    assert all(np.array_equal(got.chunks[i]["x"], chunks[i]["x"]) for i in chunks)
    assert str(got.chunks[0]["__stats__"]) == "{}"
    with pytest.raises(PhysnnError, match="give the part files written by `demo --shard K/N`"):
        read_parts([], kind="demo", owner="t", command="demo")
    with pytest.raises(PhysnnError, match="is a part of `demo` generation, not of hep"):
        read_parts([tmp_path / "o.part-1-of-2.npz"], kind="hep", owner="t", command="demo")
    # a part whose chunks are not its shard's (renamed or hand-made) is refused
    write_part(tmp_path / "bad.npz", kind="demo", settings=settings, shard=(2, 2), n_chunks=3,
               chunks={0: chunks[0]})
    with pytest.raises(PhysnnError, match=r"holds chunks \[0\], not those of shard 2/2 \(\[1\]\)"):
        read_parts([tmp_path / "o.part-1-of-2.npz", tmp_path / "bad.npz"], kind="demo", owner="t", command="demo")
