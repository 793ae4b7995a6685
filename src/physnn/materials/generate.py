r"""Alloy data from a real engine: random substitutional FCC alloys labelled with ASE's EMT.

Every structure is a 2×2×2 cubic FCC supercell (32 sites) whose sites are
occupied at random by 2-3 of Al, Ni, Cu, Pd, Ag, Pt, Au.  The labels are
physical properties computed with ASE's effective-medium-theory calculator
(:class:`ase.calculators.emt.EMT`):

* **mixing energy** per atom, relative to the pure elements, each at its own
  EMT equilibrium lattice constant (computed once, :func:`reference`):

  .. math:: E_\mathrm{mix} = \frac{1}{N}\Big(E(\text{alloy}) - \sum_{\text{el}} N_\text{el}\,\varepsilon_\text{el}\Big)

  — on the ideal lattice at Vegard's lattice constant
  :math:`a_V = \sum_\text{el} x_\text{el} a_\text{el}` (``e_mix_unrelaxed``),
  at the minimum of a Birch–Murnaghan fit over 7 volumes (``e_mix_eos``) and
  after a full relaxation of positions and cell (``e_mix_relaxed``, ASE
  ``UnitCellFilter`` + ``FIRE``);
* the **lattice constant** :math:`a = (4V/N)^{1/3}` of the E–V minimum
  (``a_eos``) and of the relaxed cell (``a_relaxed``);
* the **bulk modulus** :math:`B = V\,\partial^2E/\partial V^2` at the E–V
  minimum, in GPa (``bulk_modulus``).

Generation is parallel over processes with one BLAS thread each (or a Dask
cluster), seeded per structure (sample *i* is drawn from
``numpy.random.default_rng([seed, task, i])``, so the data set is bit-identical
whatever the number of workers), cached on disk chunk by chunk (an interrupted
run resumes), sharded over a cluster job array and merged
(:func:`generate`, :func:`merge`, run by :mod:`physnn.parallel`), and shows a
progress bar.
A failed relaxation or a NaN energy is recorded (``ok`` false, ``status`` says
why, labels NaN) and counted, never silently kept.

    >>> atoms = fcc_alloy(["Cu"] * 4)
    >>> abs(mixing_energy(atoms)) < 1e-12
    True
"""

from __future__ import annotations

import functools
import json
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from physnn.errors import PhysnnError, check_choice, check_int, check_range

__all__ = [
    "ELEMENTS",
    "LABELS",
    "TASKS",
    "Reference",
    "reference",
    "vegard",
    "fcc_alloy",
    "check_fcc",
    "mixing_energy",
    "eos_fit",
    "relax",
    "label_structure",
    "sample_symbols",
    "generate",
    "merge",
    "PROVENANCE_ARRAYS",
    "load_alloys",
    "to_atoms",
]

#: the elements EMT (ASE) parametrises as metals; alloys are drawn from these
ELEMENTS = ("Al", "Ni", "Cu", "Pd", "Ag", "Pt", "Au")
#: label name -> unit
LABELS = {
    "e_mix_unrelaxed": "eV/atom",
    "e_mix_eos": "eV/atom",
    "a_eos": "Å",
    "bulk_modulus": "GPa",
    "e_mix_relaxed": "eV/atom",
    "a_relaxed": "Å",
}
#: task -> what is sampled
TASKS = {
    "A": "2-3 random elements of ELEMENTS, random composition, random site occupation",
    "B": "fixed composition Cu16Au16, random orderings",
}
_TASK_ID = {"A": 0, "B": 1}
_FORMAT = 1  # bump when labels or sampling change: invalidates caches
_N_CELLS = 2  # 2x2x2 cubic cells -> 32 sites


def _owner_el(symbol: Any, owner: str) -> str:
    if not isinstance(symbol, str):
        raise PhysnnError(f"{owner}: element symbols must be strings like 'Cu'; got {symbol!r}.")
    # exact case: 'cu' is not an element symbol
    if symbol not in ELEMENTS:
        check_choice("element", symbol, ELEMENTS, owner=owner)  # raises with suggestions
        raise PhysnnError(
            f"{owner}: 'element' must be one of {', '.join(map(repr, ELEMENTS))} "
            f"(case-sensitive); got {symbol!r}."
        )
    return symbol


def _emt():
    from ase.calculators.emt import EMT

    return EMT()


@dataclass(frozen=True)
class Reference:
    """A pure element in EMT: equilibrium FCC lattice constant ``a`` (Å) and energy per atom (eV)."""

    element: str
    a: float
    energy: float


@functools.lru_cache(maxsize=None)
def reference(element: str) -> Reference:
    r"""The pure element's EMT equilibrium: :math:`a_0 = \arg\min_a E(a)/4` on the cubic FCC cell.

    The minimum is found with Brent's method (``scipy.optimize.minimize_scalar``,
    bounded to ±10 % around ASE's tabulated lattice constant, tolerance 1e-9 Å),
    independent of the Birch–Murnaghan fit it serves as a check for.

        >>> ref = reference("Cu")
        >>> 3.55 < ref.a < 3.62
        True
    """
    from ase.build import bulk
    from scipy.optimize import minimize_scalar

    element = _owner_el(element, "reference")
    a_tab = float(bulk(element, "fcc", cubic=True).cell[0, 0])
    base = bulk(element, "fcc", a=1.0, cubic=True)
    calc = _emt()

    def energy(a: float) -> float:
        at = base.copy()
        at.set_cell(base.cell * a, scale_atoms=True)
        at.calc = calc
        return float(at.get_potential_energy()) / len(at)

    res = minimize_scalar(energy, bounds=(0.9 * a_tab, 1.1 * a_tab), method="bounded",
                          options={"xatol": 1e-9})
    return Reference(element, float(res.x), float(energy(float(res.x))))


def _counts(symbols: Sequence[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for s in symbols:
        out[s] = out.get(s, 0) + 1
    return out


def vegard(symbols: Sequence[str]) -> float:
    r"""Vegard's law: the composition-weighted mean of the elements' lattice constants.

    .. math:: a_V = \sum_\text{el} x_\text{el}\, a_\text{el}

        >>> a = vegard(["Cu", "Au"])
        >>> abs(a - (reference("Cu").a + reference("Au").a) / 2) < 1e-12
        True
    """
    if len(symbols) == 0:
        raise PhysnnError("vegard: 'symbols' is empty; pass one element symbol per site.")
    counts = _counts([_owner_el(s, "vegard") for s in symbols])
    n = len(symbols)
    return float(sum(c / n * reference(el).a for el, c in counts.items()))


def _n_cells(n_sites: int, owner: str, what: str = "symbols") -> int:
    k = round((n_sites / 4) ** (1 / 3))
    if k < 1 or 4 * k**3 != n_sites:
        raise PhysnnError(
            f"{owner}: a cubic FCC supercell has 4·k³ sites (4, 32, 108, …); got {n_sites} "
            f"{what}. Pass 32 {what} for the 2×2×2 cell."
        )
    return k


def fcc_alloy(symbols: Sequence[str], a: float | None = None):
    """A cubic FCC supercell (k×k×k conventional cells, 4k³ sites) with the given occupation.

    Site *i* gets ``symbols[i]``; ``a`` defaults to :func:`vegard`.  Returns an
    :class:`ase.Atoms` with periodic boundaries and no calculator.

        >>> at = fcc_alloy(["Cu", "Au"] * 16)
        >>> len(at), round(float(at.cell[0, 0]) / 2, 4) == round(vegard(["Cu", "Au"]), 4)
        (32, True)
    """
    from ase.build import bulk

    symbols = [_owner_el(s, "fcc_alloy") for s in symbols]
    k = _n_cells(len(symbols), "fcc_alloy")
    a = vegard(symbols) if a is None else check_range("a", a, low=1.0, high=10.0, owner="fcc_alloy")
    atoms = bulk("Cu", "fcc", a=a, cubic=True).repeat((k, k, k))
    atoms.set_chemical_symbols(symbols)
    return atoms


def check_fcc(atoms: Any, *, owner: str = "check_fcc", tol: float = 1e-6) -> int:
    """Raise unless ``atoms`` is an ideal cubic FCC supercell of known elements; return k.

    Checks: periodic in x, y, z; a cubic cell (orthogonal, equal edges);
    4k³ sites; every site on the FCC lattice (fractional coordinates ×2k are
    integers whose sum is even); every element in :data:`ELEMENTS`.

        >>> from ase.build import bulk
        >>> check_fcc(bulk("Cu", "bcc", a=2.9, cubic=True))
        Traceback (most recent call last):
        ...
        physnn.errors.PhysnnError: check_fcc: a cubic FCC supercell has 4·k³ sites (4, 32, 108, …); got 2 atoms. Pass 32 atoms for the 2×2×2 cell.
    """
    if not hasattr(atoms, "get_chemical_symbols") or not hasattr(atoms, "cell"):
        raise PhysnnError(f"{owner}: expected an ase.Atoms; got {type(atoms).__name__}.")
    for s in atoms.get_chemical_symbols():
        _owner_el(s, owner)
    k = _n_cells(len(atoms), owner, "atoms")
    if not all(atoms.pbc):
        raise PhysnnError(f"{owner}: the cell must be periodic in x, y and z (atoms.pbc = True).")
    cell = np.asarray(atoms.cell, dtype=float)
    edge = float(np.linalg.norm(cell[0]))
    if not np.allclose(cell, edge * np.eye(3), atol=tol * max(edge, 1.0)):
        raise PhysnnError(
            f"{owner}: the cell is not cubic (got {np.round(cell, 4).tolist()}); "
            "substitutional FCC alloys live in a cubic supercell (ase.build.bulk(..., cubic=True).repeat)."
        )
    grid = atoms.get_scaled_positions(wrap=True) * 2 * k
    near = np.round(grid)
    if not np.allclose(grid, near, atol=1e-4) or np.any(near.sum(axis=1) % 2 != 0):
        raise PhysnnError(
            f"{owner}: not every atom sits on an FCC lattice site; build the structure with "
            "physnn.materials.fcc_alloy or displace atoms only after this check."
        )
    return k


def mixing_energy(atoms: Any, *, calculator: Callable[[], Any] = _emt) -> float:
    r"""EMT mixing energy per atom (eV): :math:`(E - \sum_\text{el} N_\text{el}\varepsilon_\text{el})/N`.

    ``atoms`` may carry a calculator already; otherwise ``calculator()`` is
    attached.  The pure element at its own equilibrium lattice constant gives 0.

        >>> abs(mixing_energy(fcc_alloy(["Au"] * 32, a=reference("Au").a))) < 1e-12
        True
    """
    if getattr(atoms, "calc", None) is None:
        atoms.calc = calculator()
    e = float(atoms.get_potential_energy())
    ref = sum(c * reference(el).energy for el, c in _counts(atoms.get_chemical_symbols()).items())
    return (e - ref) / len(atoms)


def eos_fit(atoms: Any, *, n_volumes: int = 7, strain: float = 0.02,
            calculator: Callable[[], Any] = _emt) -> tuple[float, float, float]:
    r"""Birch–Murnaghan fit of E(V) over ``n_volumes`` uniformly scaled copies.

    Lattice constants :math:`a(1+s)` for :math:`s` evenly in ``[-strain, strain]``,
    atoms fixed at their fractional positions; :class:`ase.eos.EquationOfState`
    (``eos="birchmurnaghan"``) gives :math:`V_0, E_0, B_0`.  Returns
    ``(a0 in Å, B0 in GPa, E_mix(V0) in eV/atom)`` with :math:`a_0 = (4V_0/N)^{1/3}`.

        >>> a0, B, e = eos_fit(fcc_alloy(["Cu"] * 4))
        >>> abs(a0 - reference("Cu").a) < 1e-4, abs(e) < 1e-5
        (True, True)
    """
    from ase.eos import EquationOfState
    from ase.units import GPa

    n_volumes = check_int("n_volumes", n_volumes, low=5, owner="eos_fit")
    strain = check_range("strain", strain, low=0, high=0.1, low_inclusive=False, owner="eos_fit")
    base = atoms.copy()
    calc = calculator()
    vols, ens = [], []
    for s in np.linspace(-strain, strain, n_volumes):
        at = base.copy()
        at.set_cell(base.cell * (1 + s), scale_atoms=True)
        at.calc = calc
        vols.append(at.get_volume())
        ens.append(float(at.get_potential_energy()))
    if not np.all(np.isfinite(ens)):
        raise FloatingPointError("NaN/Inf energy in the E-V scan")
    v0, e0, b0 = EquationOfState(vols, ens, eos="birchmurnaghan").fit()
    n = len(base)
    ref = sum(c * reference(el).energy for el, c in _counts(base.get_chemical_symbols()).items())
    return float((4 * v0 / n) ** (1 / 3)), float(b0 / GPa), float((e0 - ref) / n)


def relax(atoms: Any, *, fmax: float = 0.01, steps: int = 500,
          calculator: Callable[[], Any] = _emt) -> tuple[Any, bool, int]:
    """Relax positions and cell: ASE ``UnitCellFilter`` + ``FIRE`` until all forces < ``fmax`` (eV/Å).

    Returns ``(relaxed atoms, converged, steps taken)``; the input is not changed.
    (``FrechetCellFilter`` is ~10× slower on these cells.)
    """
    from ase.filters import UnitCellFilter
    from ase.optimize import FIRE

    at = atoms.copy()
    at.calc = calculator()
    opt = FIRE(UnitCellFilter(at), logfile=None)
    converged = bool(opt.run(fmax=fmax, steps=steps))
    return at, converged, int(opt.nsteps)


def label_structure(atoms: Any, *, fmax: float = 0.01, steps: int = 500,
                    calculator: Callable[[], Any] = _emt) -> dict[str, Any]:
    """All labels of :data:`LABELS` for one ideal FCC alloy, plus ``ok``, ``status`` and timings.

    A NaN/Inf energy, an unconverged relaxation or an exception inside the
    engine does not raise: ``ok`` is False, ``status`` says why and every label
    is NaN, so the caller records and skips the structure.  Bad input (not an
    ideal cubic FCC cell, unknown element) raises :class:`PhysnnError`.
    Timings (``t_single``, ``t_eos``, ``t_relax``) are CPU seconds of this process.
    """
    check_fcc(atoms, owner="label_structure")
    out: dict[str, Any] = {k: float("nan") for k in LABELS}
    out.update(ok=False, status="", t_single=float("nan"), t_eos=float("nan"), t_relax=float("nan"))
    clock = time.process_time
    try:
        at = atoms.copy()
        at.calc = calculator()
        t = clock()
        e_un = mixing_energy(at)
        out["t_single"] = clock() - t
        if not np.isfinite(e_un):
            out["status"] = "nan_energy"
            return out
        t = clock()
        a_eos, b, e_eos = eos_fit(atoms, calculator=calculator)
        out["t_eos"] = clock() - t
        t = clock()
        rel, converged, nsteps = relax(atoms, fmax=fmax, steps=steps, calculator=calculator)
        out["t_relax"] = clock() - t
        if not converged:
            out["status"] = f"not_converged ({nsteps} steps, fmax {fmax})"
            return out
        e_rel = mixing_energy(rel)
        a_rel = float((4 * rel.get_volume() / len(rel)) ** (1 / 3))
        vals = dict(e_mix_unrelaxed=e_un, e_mix_eos=e_eos, a_eos=a_eos, bulk_modulus=b,
                    e_mix_relaxed=e_rel, a_relaxed=a_rel)
        if not all(np.isfinite(v) for v in vals.values()):
            out["status"] = "nan_energy"
            return out
    except FloatingPointError:
        out["status"] = "nan_energy"
        return out
    except Exception as exc:  # an engine failure is data, not a crash  # noqa: BLE001
        out["status"] = f"error: {type(exc).__name__}: {exc}"[:200]
        return out
    out.update(vals, ok=True, status="ok")
    return out


def sample_symbols(task: str, index: int, seed: int) -> list[str]:
    """The site occupation of structure ``index`` of ``task`` — a pure function of (task, index, seed).

    Task A: 2 or 3 distinct elements; counts ``1 + Multinomial(32 - k, Dirichlet(1,…,1))``
    (every chosen element present); sites shuffled.  Task B: 16 Cu + 16 Au shuffled.

        >>> sample_symbols("B", 3, 0) == sample_symbols("B", 3, 0)
        True
        >>> sorted(set(sample_symbols("B", 3, 0)))
        ['Au', 'Cu']
    """
    task = check_choice("task", task, list(TASKS), owner="sample_symbols")
    rng = np.random.default_rng([int(seed), _TASK_ID[task], int(index)])
    n = 4 * _N_CELLS**3
    if task == "B":
        sym = np.array(["Cu"] * (n // 2) + ["Au"] * (n // 2))
    else:
        k = int(rng.choice([2, 3]))
        els = rng.choice(len(ELEMENTS), size=k, replace=False)
        counts = 1 + rng.multinomial(n - k, rng.dirichlet(np.ones(k)))
        sym = np.repeat(np.array(ELEMENTS)[els], counts)
    return [str(s) for s in rng.permutation(sym)]


# ----------------------------------------------------------------- chunks, shards, merging

def _work_chunk(task: str, seed: int, start: int, stop: int, fmax: float, steps: int) -> dict[str, np.ndarray]:
    """Worker entry point: structures ``start..stop-1`` with their labels (see :func:`generate`)."""
    rows = []
    numbers, cells, positions = [], [], []
    for i in range(start, stop):
        atoms = fcc_alloy(sample_symbols(task, i, seed))
        numbers.append(atoms.numbers.copy())
        cells.append(np.asarray(atoms.cell, dtype=float))
        positions.append(atoms.positions.copy())
        rows.append(label_structure(atoms, fmax=fmax, steps=steps))
    out = {k: np.array([r[k] for r in rows], dtype=float) for k in LABELS}
    for k in ("t_single", "t_eos", "t_relax"):
        out[k] = np.array([r[k] for r in rows], dtype=float)
    out["ok"] = np.array([r["ok"] for r in rows], dtype=bool)
    out["status"] = np.array([r["status"] for r in rows], dtype="U200")
    out["numbers"] = np.array(numbers, dtype=np.int16)
    out["cell"] = np.array(cells)
    out["positions"] = np.array(positions)
    out["index"] = np.arange(start, stop)
    return out


#: arrays that hold CPU seconds measured while labelling: they differ between any two runs, merged or not;
#: every other array and the metadata (apart from ``merged_from`` of a merged file) are the same
PROVENANCE_ARRAYS = ("t_single", "t_eos", "t_relax")


def _ranges(n: int, chunk: int) -> list[tuple[int, int]]:
    return [(s, min(s + chunk, n)) for s in range(0, n, chunk)]


def _assemble(chunks: list[dict[str, np.ndarray]], meta: dict[str, Any]) -> dict[str, np.ndarray]:
    """Join chunks in order into the data set with its ``meta`` (one-machine run and merge alike)."""
    data = {k: np.concatenate([p[k] for p in chunks]) for k in chunks[0] if k != "index"}
    n_failed = int((~data["ok"]).sum())
    n_here = len(data["ok"])
    meta = dict(meta, n=n_here, n_ok=n_here - n_failed, n_failed=n_failed, labels=LABELS)
    data["meta"] = np.array(json.dumps(meta))
    return data


def generate(
    task: str = "A",
    n: int = 500,
    *,
    seed: int = 0,
    workers: int = 1,
    out: str | os.PathLike | None = None,
    cache: str | os.PathLike | None = None,
    chunk: int = 8,
    fmax: float = 0.01,
    steps: int = 500,
    progress: bool | Callable[[int, int], None] | None = None,
    shard: tuple[int, int] | str | None = None,
    dask: str | None = None,
) -> dict[str, np.ndarray]:
    """Generate ``n`` labelled alloys of ``task`` and (optionally) write them to ``out`` (.npz).

    Parameters
    ----------
    task : ``"A"`` or ``"B"``
        See :data:`TASKS`.
    n : int
        Number of structures (failed ones included, flagged ``ok=False``).
    seed : int
        Structure *i* depends only on ``(seed, task, i)``: the result is
        bit-identical for any ``workers`` and across resumed runs.
    workers : int
        Processes (``spawn``), each with one BLAS thread; ``1`` runs in this
        process (also limited to one BLAS thread while it runs).  As with any
        ``multiprocessing`` spawn, a *script* that calls this with
        ``workers > 1`` must do so under ``if __name__ == "__main__":``.
    out : path, optional
        Output ``.npz`` (written atomically).  ``cache`` defaults to
        ``<out>.chunks/``: finished chunks of ``chunk`` structures are kept
        there, so a killed run resumes where it stopped.
    fmax, steps : relaxation convergence (eV/Å) and step limit.
    progress : show a progress bar (default: when stderr is a terminal); a callable
        instead is called as ``progress(structures_done, n)`` after each chunk (no bar).
    shard : ``(K, N)`` or ``"K/N"``, optional
        One task of a cluster job array: only the chunks ``K-1, K-1+N, ...`` are made and
        written to the part ``<out stem>.part-K-of-N.npz`` beside ``out`` (``out`` itself is not
        written); :func:`merge` then joins the ``N`` parts into ``out`` — what one machine
        makes.  Returns the shard's structures.
    dask : str, optional
        A Dask scheduler address or ``"local[:N]"``: the chunks run on its workers
        (:func:`physnn.parallel.run_chunks`); the result is the same.

    Returns
    -------
    dict of arrays: ``numbers`` (n, 32) atomic numbers, ``cell`` (n, 3, 3),
    ``positions`` (n, 32, 3) of the unrelaxed Vegard structure, one (n,) array
    per label of :data:`LABELS`, ``ok``, ``status``, CPU timings ``t_single``,
    ``t_eos``, ``t_relax`` (s), and ``meta`` (a JSON string).

        >>> d = generate("B", 1, seed=0, fmax=0.05, progress=False)
        >>> d["numbers"].shape, bool(d["ok"].all()), int(json.loads(str(d["meta"]))["n_failed"])
        ((1, 32), True, 0)
    """
    from physnn.parallel import ChunkCache, check_generation, part_path, run_chunks, shard_chunks, write_part

    owner = "materials.generate"
    task = check_choice("task", task, list(TASKS), owner=owner)
    n = check_int("n", n, low=1, owner=owner)
    seed = check_int("seed", seed, low=0, owner=owner)
    workers = check_int("workers", workers, low=1, high=256, owner=owner)
    chunk = check_int("chunk", chunk, low=1, owner=owner)
    fmax = check_range("fmax", fmax, low=0, low_inclusive=False, high=1.0, owner=owner)
    steps = check_int("steps", steps, low=1, owner=owner)
    out, shard = check_generation(out=out, shard=shard, dask=dask, owner=owner)  # before anything is written
    meta = {"task": task, "seed": seed, "fmax": fmax, "steps": steps, "format": _FORMAT,
            "chunk": chunk, "elements": list(ELEMENTS), "calculator": "ase.calculators.emt.EMT"}
    base = Path(cache) if cache is not None else (Path(str(out) + ".chunks") if out is not None else None)
    store = None if base is None else ChunkCache(base, meta)
    ranges = _ranges(n, chunk)
    mine = shard_chunks(n, chunk, shard, owner=owner, unit="structures")

    def accept(i: int, got: dict[str, np.ndarray]) -> dict[str, np.ndarray] | None:
        s, e = ranges[i]  # a cached chunk of a larger n starts with these structures
        if "index" not in got or got["index"][:1].tolist() != [s] or len(got["index"]) < e - s:
            return None
        return {k: v[: e - s] for k, v in got.items()}

    run = run_chunks(_work_chunk, {i: (task, seed, *ranges[i], fmax, steps) for i in mine},
                     sizes={i: e - s for i, (s, e) in enumerate(ranges)}, workers=workers, dask=dask, cache=store,
                     progress=progress, label=f"EMT task {task}", accept=accept, owner=owner,
                     info=lambda c, _: f"failed {int(c.get('failed', 0))}",
                     tally=lambda d: {"failed": int((~d["ok"]).sum())})
    if shard is not None:
        write_part(part_path(out, shard), kind="materials", settings=dict(meta, n=n), shard=shard,  # type: ignore[arg-type]
                   n_chunks=len(ranges), chunks=run.chunks, provenance={"wall_s": run.wall_s})
        if store is not None:
            store.discard(mine)
        return _assemble([run.chunks[i] for i in mine], dict(meta, shard=list(shard), of_n=n))
    data = _assemble([run.chunks[i] for i in mine], meta)
    if out is not None:
        from physnn.files import atomic_write

        with atomic_write(out, "wb") as fh:
            np.savez(fh, **data)
        if store is not None:
            store.discard()
    return data


def merge(parts: Sequence[str | os.PathLike], out: str | os.PathLike) -> dict[str, np.ndarray]:
    """Join the parts written by the ``N`` tasks of ``generate(..., shard=(K, N))`` into ``out`` (.npz).

    The file equals what one ``generate`` call with the same seed and settings writes: the same
    arrays in the same order and the same ``meta``, except the CPU timings
    (:data:`PROVENANCE_ARRAYS`, measured where each part ran) and ``meta["merged_from"]`` (one
    entry per part: shard, host, time, path).  A missing or repeated shard, or parts of other
    settings or seeds, are a :class:`PhysnnError` naming the files.  Returns the data set.
    """
    from physnn.files import atomic_write
    from physnn.parallel import read_parts

    owner = "materials merge"
    out = Path(out)
    if out.suffix != ".npz":
        raise PhysnnError(f"{owner}: --out must end in .npz; got {str(out)!r}.")
    got = read_parts(parts, kind="materials", owner=owner, command="physnn materials generate")
    meta = {k: v for k, v in got.settings.items() if k != "n"}
    data = _assemble(list(got.chunks.values()), dict(meta, merged_from=got.provenance))
    with atomic_write(out, "wb") as fh:
        np.savez(fh, **data)
    return data


def load_alloys(path: str | os.PathLike) -> dict[str, Any]:
    """Read a file written by :func:`generate`: a dict of arrays plus ``meta`` as a dict.

    Raises :class:`PhysnnError` for a missing, empty or unreadable file, one that
    is not an .npz archive, or an archive that is not an alloy data set (naming
    the missing arrays), and for non-finite cells or positions.
    """
    import zipfile

    from physnn.errors import check_finite, check_input_file

    how = ("make one with `physnn materials generate --out FILE.npz` (structures with energies, e.g. extended XYZ, "
           "are read by `physnn materials train FILE` and physnn.materials.read_structures).")
    p = check_input_file(path, "npz", owner="load_alloys", what="alloy data set",
                         hint=f"An alloy data set is an .npz archive; {how}")
    try:
        with np.load(p, allow_pickle=False) as z:
            d = {k: z[k] for k in z.files}
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as exc:
        raise PhysnnError(f"load_alloys: cannot read {str(p)!r} as .npz ({exc}); {how}") from None
    need = {"numbers", "cell", "positions", "ok", "meta", *LABELS}
    missing = sorted(need - set(d))
    if missing:
        raise PhysnnError(
            f"load_alloys: {str(p)!r} lacks {missing}; it was not written by `physnn materials generate`; {how}"
        )
    try:
        d["meta"] = json.loads(str(d["meta"]))
    except json.JSONDecodeError:
        d["meta"] = None
    if not isinstance(d["meta"], dict):
        raise PhysnnError(f"load_alloys: {str(p)!r} has a 'meta' entry that is not a JSON object; {how}")
    for k in ("cell", "positions"):
        check_finite(k, d[k], owner=f"load_alloys({p.name})")
    return d


def to_atoms(data: dict[str, Any], index: Sequence[int] | None = None) -> list[Any]:
    """The unrelaxed structures of a data set as a list of :class:`ase.Atoms` (the models' input)."""
    from ase import Atoms

    idx = range(len(data["numbers"])) if index is None else index
    return [Atoms(numbers=data["numbers"][i], cell=data["cell"][i], positions=data["positions"][i], pbc=True)
            for i in idx]
