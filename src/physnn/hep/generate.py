r"""Collider jets from a real event generator: Pythia 8 events, FastJet anti-kt jets.

:func:`generate_jets` produces labelled large-radius jets for top tagging and
W tagging, the way the top-tagging reference sample (Kasieczka et al., SciPost
Phys. 7 (2019) 014) was made, at generator level:

1. **Hard process** (Pythia 8, pp at √s = 13 TeV by default, 14 TeV as in the
   reference): ``"top"`` — :math:`gg, q\bar q \to t\bar t` with both W bosons
   forced to decay hadronically (``24:onMode = off``, ``24:onIfAny = 1 2 3 4 5``);
   ``"w"`` — :math:`f\bar f \to W^+W^-`, both W hadronic; ``"qcd"`` — all
   :math:`2 \to 2` QCD processes (``HardQCD:all``).  Parton showers,
   multiparton interactions (``mpi=False`` switches them off), hadronisation
   and decays as Pythia's defaults.
2. **Pre-filters, on the C++ side, before any Python touches a particle.**
   (a) a window on the hard scale, :math:`\hat p_T \in` ``pthat_range``
   (``PhaseSpace:pTHatMin/Max``): events that cannot give a 550–650 GeV jet
   are never generated.  The default window is the jet window widened by
   150 GeV on each side, (400, 800) GeV.  *Bias and cost, measured*
   (``benchmarks/hep_generate.py --pthat-study``, 80 jets each, 13 TeV,
   MPI on): of the jets a wide window (250, 1000) GeV accepts, 18.8 % (QCD)
   and 17.5 % (top) come from events with :math:`\hat p_T < 400` GeV — jets
   pushed into the 550–650 GeV window by initial-state radiation recoil —
   and none from :math:`\hat p_T > 800` GeV; the default loses those, so
   the sample under-represents events with hard extra radiation (mean QCD
   jet mass 99 vs 103 GeV, top 181 vs 179 GeV, within the statistics).
   The wide window costs 10× (QCD) and 6× (top) more events per jet and
   ~5–8× the CPU time.  Pick ``pthat_range`` (CLI ``--pthat-min/--pthat-max``)
   by that trade-off; the generator records :math:`\hat p_T` of every
   accepted jet (``stats["pthat_quantiles"]``), so a pile-up of jets at the
   lower edge shows when the window is too tight.  (b) Pythia's own jet
   finders, in C++, on the visible particles.  The cone finder ``CellJet``
   (0.1 × 0.1 cells, cones of radius R + 0.6 = 1.4, formed down to
   0.6 × pT_min; :class:`CellFilter`) must find *some* cone jet with
   :math:`p_{T,min} \le E_T \le 2\,p_{T,max}` and :math:`|\eta| <
   \eta_{max} + 0.5`: a cone wider than the jet holds all of its
   constituents, and then its scalar E_T is at least the jet's vector pT.
   It is the only approximate filter (a harder cone nearby can claim some
   of the jet's cells); measured on 60,000 QCD, 36,000 top and 20,000 W
   events (``benchmarks/hep_generate.py --prefilter-check`` and a study of
   cone radii and bounds, see :class:`CellFilter`): it passes 37–38 % of
   QCD, 41–42 % of top and 39 % of W events and loses 2 of 16,740 accepted
   jets (0.012 %).  Earlier versions: cones of R + 0.2 with a bound of
   0.9 × pT_min passed 50–56 % and lost 2 of the same 16,740; the leading
   cone of R = 0.8 in [0.85, 1.2] × the pT window passed 58 % of QCD events
   and lost 1–4 of ~1,330 QCD jets.
   Then ``SlowJet`` — anti-kt, R = 0.8, through Pythia's embedded fjcore
   (FastJet's own core) on *all* visible final-state particles (``etaMax =
   25``, SlowJet's "no cut"; ~0.55 ms, on the ~40 % of events CellJet
   passes) — is already the jet finder of
   step 3: its jets, sorted by decreasing pT, are the ones FastJet finds on
   the same particles, so its leading jet must pass the final cuts of step 4
   (pT window, :math:`|\eta| < \eta_{max}`, for signal the truth matching),
   loosened by 1e-9 for rounding only.  With ``prefilter=False`` every event
   is clustered in full by FastJet (the reference path) and the generator
   counts the accepted jets the pre-filters would have lost
   (``stats["prefilter_missed"]``); since the filters do not touch Pythia's
   random numbers, the same seed gives the same jets either way when nothing
   is missed — bit for bit (tested).
3. **Jets**: anti-kt, R = 0.8, E-scheme, on all visible final-state particles
   (neutrinos excluded) with the ``fastjet`` package —
   ``fastjet.JetDefinition(fastjet.antikt_algorithm, 0.8)``, the two-argument
   form; the four-argument form ``(alg, R, E_scheme, Best)`` silently gives
   the pt-scheme in the Python bindings.  That is the reference path
   (``prefilter=False``).  The fast path does not run the clustering twice:
   SlowJet's fjcore *is* FastJet's clustering code, so Python reads only the
   ~50–150 constituents of SlowJet's leading jet
   (``SlowJet.constituents(0)``), never the other ~1,200 particles of the
   event, and checks that their four-momenta add up to SlowJet's jet (to
   1e-9 × E); if not, the event is clustered in full by FastJet and counted
   in ``stats["full_clustering_fallbacks"]`` (0 in every sample tested so
   far).  On both paths the jet's four-momentum is the sum of its
   constituents' (E-scheme), added in event-record order, and its pT, η, y,
   φ, m follow FastJet's conventions (:func:`jet_kinematics`, tested against
   ``PseudoJet``).  Tested: the same jets, bit for bit, as clustering every
   event in full with the ``fastjet`` package.  (Until 2026-11 the fast path
   also reclustered the constituents with the ``fastjet`` package: 0.45 ms a
   jet, for the same jets.)
4. **Selection**: the *leading* jet of the event with
   ``pt_range[0] < pT < pt_range[1]`` and :math:`|\eta| <` ``eta_max``; at
   most one jet per event.  A signal jet must contain the hadronic top (W)
   and its decay quarks — b, q, q̄′ (q, q̄′) — all within
   :math:`\Delta R = \sqrt{\Delta y^2 + \Delta\phi^2} < R` of the jet axis
   (truth matching in the Pythia event record: the top/W of the hard process
   at its last copy, its decay products at their first copy).  Label 1 for
   signal, 0 for QCD.
5. **Per jet**: the columns of :mod:`physnn.hep.jetio` (pT, η, φ, mass,
   τ1…τ4, τ21, τ32, constituent count, label and the leading N constituents).

**Speed** (``benchmarks/hep_generate.py``: CPU seconds of the event loops of
one process, physnn and raw ``pythia.next()`` on the same events, alternating
which runs first after a warm-up): physnn processes 0.92–0.94 of raw Pythia's
events per second (QCD, acceptance 18 %: 0.943 ± 0.006 over 4 pairs of 300
jets, 0.926 ± 0.005 over 16 pairs of 75; top, acceptance 10 %: 0.916 ± 0.005
over 16 pairs of 75); jets per CPU second: see benchmarks/README.md.  What remains
on top of Pythia (~7 % of its time for QCD, ~9 % for top, whose events are
cheaper) is mostly the pre-filters' C++ jet finding, ~0.35 ms an event
(CellJet, ~0.1 ms, on every event; SlowJet, ~0.55 ms, on the ~40 % it
passes); then per accepted jet ~0.25 ms to read its constituents and
~0.4 ms for the substructure (N-subjettiness: one kt clustering through
FastJet's array interface, all four τ_N in one vectorised pass), which runs
after the event loop: right after each Pythia event, with the caches cold,
it took 0.77 ms.  Single pairs scatter by ±3 % on this shared machine, hence
the repeats.

**Parallel and reproducible.**  The sample is cut into chunks of
``chunk_size`` jets; chunk ``i`` runs its own Pythia with
``Random:seed`` derived from ``numpy.random.SeedSequence(seed,
spawn_key=(i,))``, so the output is bit-identical whatever ``workers``
(processes, started with ``spawn``, one thread each).  **Resumable**: with an
output file each finished chunk is kept in ``<out>.chunks/<config hash>/``;
a rerun with the same settings reuses them (and a larger ``n`` extends the
sample: chunk ``i`` is always the same jets).  The cache is removed after the
output is written unless ``keep_cache=True``.

    >>> cfg = JetConfig("top")
    >>> cfg.pthat_range, cfg.pt_range
    ((400.0, 800.0), (550.0, 650.0))
    >>> [s for s in pythia_settings(cfg, seed=7) if s.startswith(("Top:", "Random:seed"))]
    ['Random:seed = 7', 'Top:gg2ttbar = on', 'Top:qqbar2ttbar = on']
"""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import json
import math
import os
import shutil
import tempfile
import time
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from physnn.errors import PhysnnError, check_choice, check_int, check_range
from physnn.workers import one_thread_env

__all__ = [
    "SIGNALS",
    "JetConfig",
    "chunk_seed",
    "pythia_settings",
    "open_pythia",
    "generate_chunk",
    "generate_jets",
    "jet_kinematics",
]

SIGNALS: tuple[str, ...] = ("top", "w", "qcd")
"""The samples :func:`generate_jets` can make: top jets, W jets, QCD jets."""

_PROCESSES: dict[str, tuple[str, ...]] = {
    "top": ("Top:gg2ttbar = on", "Top:qqbar2ttbar = on", "24:onMode = off", "24:onIfAny = 1 2 3 4 5"),
    "w": ("WeakDoubleBoson:ffbar2WW = on", "24:onMode = off", "24:onIfAny = 1 2 3 4 5"),
    "qcd": ("HardQCD:all = on",),
}

_OWNER = "generate_jets"
_PYTHIA_SEED_MAX = 900_000_000  # Pythia's Random:seed range is [-1, 900000000]; 0 means "from the clock"
_CELL_WINDOW = (1.0, 2.0)  # a CellJet cone jet with E_T in [pT_min, 2 x pT_max] ...
_CELL_CONE_EXTRA = 0.6  # ... and cone radius R + 0.6 (1.4 for R = 0.8): see CellFilter
_CELL_SEED_ET = 0.6  # CellJet forms cone jets down to 0.6 x pT_min (they claim their cells; fewer passes)
_CELL_SEED_CELL = 5.0  # GeV: a cell starts a cone only above this (a 500 GeV jet has far hotter cells); ~1.5x faster
_SLOW_SLACK = 1e-9  # SlowJet's leading jet is FastJet's: the final cuts, loosened by rounding slack only
_MAX_EVENTS_WITHOUT_JET = 20_000  # give up (with a message) if a configuration yields no jet at all


@dataclass(frozen=True)
class JetConfig:
    """Everything that defines a jet sample except its size and seed (validated on creation).

    Fields: ``signal`` (``"top"``, ``"w"`` or ``"qcd"``), ``sqrt_s`` [GeV],
    ``mpi`` (multiparton interactions on/off), ``n_constituents`` (N stored
    per jet), ``pt_range`` [GeV] and ``eta_max`` of the leading jet,
    ``pthat_range`` (the hard-scale window; ``None`` → ``pt_range`` ± 150 GeV),
    ``radius`` (anti-kt R, also the truth-matching ΔR and the τ_N R0),
    ``prefilter`` (the CellJet + SlowJet pre-filters), ``settings`` (extra Pythia
    ``readString`` lines, applied last, e.g. ``("Tune:pp = 21",)``) and
    ``chunk_size`` (jets per reproducible chunk).

        >>> JetConfig("higgs")
        Traceback (most recent call last):
        ...
        physnn.errors.PhysnnError: generate_jets: 'signal' must be one of 'top', 'w', 'qcd'; got 'higgs'.
    """

    signal: str = "top"
    sqrt_s: float = 13000.0
    mpi: bool = True
    n_constituents: int = 100
    pt_range: tuple[float, float] = (550.0, 650.0)
    eta_max: float = 2.0
    pthat_range: tuple[float, float] | None = None
    radius: float = 0.8
    prefilter: bool = True
    settings: tuple[str, ...] = field(default_factory=tuple)
    chunk_size: int = 200

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "signal", check_choice("signal", self.signal, SIGNALS, owner=_OWNER))
        set_(self, "sqrt_s", check_range("sqrt_s", self.sqrt_s, low=1000.0, high=100000.0, owner=_OWNER))
        set_(self, "mpi", bool(self.mpi))
        set_(self, "n_constituents", check_int("n_constituents", self.n_constituents, low=1, high=10000, owner=_OWNER))
        lo, hi = _pair("pt_range", self.pt_range)
        if not 0 < lo < hi:
            raise PhysnnError(f"{_OWNER}: 'pt_range' must be (low, high) with 0 < low < high GeV; got {self.pt_range!r}.")
        set_(self, "pt_range", (lo, hi))
        set_(self, "eta_max", check_range("eta_max", self.eta_max, low=0.0, high=5.0, low_inclusive=False, owner=_OWNER))
        if self.pthat_range is None:
            ph = (max(lo - 150.0, 0.0), hi + 150.0)
        else:
            ph = _pair("pthat_range", self.pthat_range)
            if not (0 <= ph[0] < ph[1]):
                raise PhysnnError(
                    f"{_OWNER}: 'pthat_range' must be (low, high) with 0 <= low < high GeV; got {self.pthat_range!r}."
                )
        if 2 * ph[0] >= self.sqrt_s:
            raise PhysnnError(
                f"{_OWNER}: the hard-scale window starts at pTHat = {ph[0]:g} GeV, which needs more than "
                f"sqrt_s = {self.sqrt_s:g} GeV; lower 'pt_range'/'pthat_range' or raise 'sqrt_s'."
            )
        set_(self, "pthat_range", ph)
        set_(self, "radius", check_range("radius", self.radius, low=0.1, high=2.0, owner=_OWNER))
        set_(self, "prefilter", bool(self.prefilter))
        if isinstance(self.settings, str):
            set_(self, "settings", (self.settings,))
        set_(self, "settings", tuple(str(s) for s in self.settings))
        set_(self, "chunk_size", check_int("chunk_size", self.chunk_size, low=1, owner=_OWNER))

    def to_dict(self) -> dict[str, Any]:
        """The configuration as plain JSON-able values."""
        d = asdict(self)
        d["pt_range"] = list(self.pt_range)
        d["pthat_range"] = list(self.pthat_range)  # type: ignore[arg-type]
        d["settings"] = list(self.settings)
        return d

    def key(self, seed: int) -> str:
        """A short hash of the configuration, the seed and the engine versions (names the chunk cache)."""
        payload = {"config": self.to_dict(), "seed": int(seed), "versions": _versions(), "format": 1}
        return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:16]


def _pair(name: str, value: Any) -> tuple[float, float]:
    try:
        lo, hi = value
        return (check_range(name, lo, owner=_OWNER), check_range(name, hi, owner=_OWNER))
    except (TypeError, ValueError) as exc:
        if isinstance(exc, PhysnnError):
            raise
        raise PhysnnError(f"{_OWNER}: {name!r} must be a pair (low, high) of numbers in GeV; got {value!r}.") from None


def _versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for pkg in ("pythia8mc", "fastjet", "physnn"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:  # pragma: no cover
            out[pkg] = "unknown"
    return out


def chunk_seed(seed: int, index: int) -> int:
    """Pythia's ``Random:seed`` for chunk ``index`` of a sample with ``seed``: in [1, 900000000].

    Derived with ``numpy.random.SeedSequence(seed, spawn_key=(index,))``, so it
    depends only on the two integers — not on how many chunks or workers.

        >>> chunk_seed(1, 0), chunk_seed(1, 1)
        (343309921, 774859580)
    """
    state = np.random.SeedSequence(int(seed), spawn_key=(int(index),)).generate_state(1, np.uint64)[0]
    return int(state % _PYTHIA_SEED_MAX) + 1


def pythia_settings(config: JetConfig, seed: int) -> list[str]:
    """The Pythia ``readString`` lines for ``config`` with ``Random:seed = seed``, in order.

    Common settings first, then the process of ``config.signal``, then
    ``config.settings`` (so user lines override everything).

        >>> pythia_settings(JetConfig("qcd", mpi=False), 5)[-2:]
        ['PartonLevel:MPI = off', 'HardQCD:all = on']
    """
    lo, hi = config.pthat_range  # type: ignore[misc]
    return [
        f"Beams:eCM = {config.sqrt_s:g}",
        "Next:numberCount = 0",
        "Next:numberShowInfo = 0",
        "Next:numberShowProcess = 0",
        "Next:numberShowEvent = 0",
        "Random:setSeed = on",
        f"Random:seed = {int(seed)}",
        f"PhaseSpace:pTHatMin = {lo:g}",
        f"PhaseSpace:pTHatMax = {hi:g}",
        f"PartonLevel:MPI = {'on' if config.mpi else 'off'}",
        *_PROCESSES[config.signal],
        *config.settings,
    ]


# ----------------------------------------------------------------------------- Pythia's output
@contextlib.contextmanager
def _stdout_to(path: str | os.PathLike) -> Iterator[None]:
    """Send what C/C++ code writes to file descriptor 1 (Pythia's ``cout``) to ``path``."""
    import sys

    libc = ctypes.CDLL(None)
    with contextlib.suppress(Exception):
        sys.stdout.flush()
    libc.fflush(None)
    saved = os.dup(1)
    fd = os.open(os.fspath(path), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        os.dup2(fd, 1)
        yield
    finally:
        libc.fflush(None)
        os.dup2(saved, 1)
        os.close(saved)
        os.close(fd)


def _pythia_message(text: str) -> str:
    """Pythia's error and abort lines (with the line each one introduces) from its printout."""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    picked: list[str] = []
    for i, ln in enumerate(lines):
        if ln.startswith(("PYTHIA Error", "PYTHIA Abort")):
            picked.append(ln)
            if ln.endswith(":") and i + 1 < len(lines):  # the offending input follows on the next line
                picked.append(lines[i + 1])
    msg = " ".join(dict.fromkeys(picked))
    return msg[:600] if msg else "(Pythia printed no error message)"


def open_pythia(settings: Sequence[str], *, log: str | os.PathLike | None = None) -> Any:
    """A ``pythia8mc.Pythia`` with ``settings`` read and ``init()``-ed; errors as PhysnnError.

    A line Pythia refuses (``readString`` returns False) or a failed
    ``init()`` raises :class:`~physnn.errors.PhysnnError` carrying Pythia's own
    message.  What Pythia prints goes to ``log`` (appended) or is discarded.

        >>> open_pythia(["Beams:eCM = 13000", "Top:gg2ttbarr = on"])  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        physnn.errors.PhysnnError: generate_jets: Pythia rejected the setting 'Top:gg2ttbarr = on': PYTHIA Error: input string not found in settings databases:: Top:gg2ttbarr = on. ...
    """
    import pythia8mc

    with tempfile.TemporaryDirectory() as tmp:
        cap = Path(tmp) / "pythia.out"
        try:
            with _stdout_to(cap):
                pythia = pythia8mc.Pythia("", False)
                for line in settings:
                    if not pythia.readString(str(line)):
                        raise _Rejected(str(line))
                ok = pythia.init()
        except _Rejected as bad:
            raise PhysnnError(
                f"{_OWNER}: Pythia rejected the setting {bad.args[0]!r}: {_pythia_message(cap.read_text())}. "
                "Check the name and value against the Pythia 8 manual (Settings index), "
                "e.g. 'PhaseSpace:pTHatMin = 400'."
            ) from None
        finally:
            if log is not None and cap.exists():
                with open(log, "a", encoding="utf-8") as fh:
                    fh.write(cap.read_text(errors="replace"))
        if not ok:
            raise PhysnnError(
                f"{_OWNER}: Pythia's init() failed with these settings: {_pythia_message(cap.read_text())}. "
                "Fix or drop the offending setting."
            )
    return pythia


class _Rejected(Exception):
    pass


# ----------------------------------------------------------------------------- one chunk
_SCALARS = ("pt", "eta", "phi", "mass", "tau1", "tau2", "tau3", "tau4", "tau21", "tau32",
            "n_constituents", "label")
_STAT_KEYS = ("events", "failed", "prefilter_passed", "in_window", "truth_rejected", "accepted",
              "prefilter_missed", "full_clustering_fallbacks")
_SUBSET_RTOL = 1e-9  # SlowJet's constituents must add up to its jet to this x E (else full clustering)
_MAX_RAP = 1e5  # FastJet's rapidity along the beam


class CellFilter:
    """Pre-filter 1: Pythia's cone jet finder ``CellJet`` must find a jet that could hold the anti-kt jet.

    A cone of radius R + 0.6 around the hottest cell of an anti-kt jet holds
    all of the jet's constituents, and then the cone's scalar E_T ≥ the jet's
    vector pT (Σ|p_T,i| ≥ |Σ p_T,i|).  So an event passes when *some* cone jet
    (0.1 × 0.1 cells) has E_T in [pT_min, 2 · pT_max] and |η| < η_max + 0.5.
    It is approximate where a harder cone nearby has claimed some of the jet's
    cells (CellJet gives each cell to one cone).  Measured with
    ``benchmarks/hep_generate.py --prefilter-check`` and in a study of cone
    radii 1.0/1.2/1.4 and bounds 0.9–1.0 × pT_min on 60,000 QCD, 36,000 top
    and 20,000 W events (3, 3 and 2 seeds; the last seed of each tried only
    after the choice): it passes 37–38 % of QCD, 41–42 % of top and 39 % of W
    events and loses 2 of the 16,740 accepted jets (1 QCD, 1 top: 0.012 %),
    both next to a harder cone.  The earlier cones of R + 0.2 with a bound
    of 0.9 × pT_min passed 50–56 % and lost 2 (other) jets.
    """

    def __init__(self, config: "JetConfig", *, cone_extra: float = _CELL_CONE_EXTRA,
                 bound: float = _CELL_WINDOW[0]) -> None:
        import pythia8mc

        # cone_extra and bound (the lower E_T bound / pT_min) are the generator's; other values are for
        # studies (benchmarks/hep_generate.py --prefilter-study)
        self.lo, self.hi = bound * config.pt_range[0], _CELL_WINDOW[1] * config.pt_range[1]
        self.et_min = _CELL_SEED_ET * config.pt_range[0]
        self.cone = config.radius + cone_extra
        self.eta_cut = config.eta_max + 0.5
        cell_eta = config.eta_max + self.cone + 0.2  # all cells of a cone around a jet at |eta| < eta_max
        self.cell = pythia8mc.CellJet(cell_eta, int(round(2 * cell_eta / 0.1)), 64, 2)

    def cone_jets(self, event: Any) -> list[tuple[float, float]]:
        """``(E_T, η)`` of every cone jet of ``event``, by decreasing E_T (what :meth:`passes` tests)."""
        cell = self.cell
        cell.analyze(event, self.et_min, self.cone, _CELL_SEED_CELL)
        return [(cell.eT(j), cell.etaWeighted(j)) for j in range(cell.size())]

    def passes(self, event: Any) -> bool:
        cell = self.cell
        cell.analyze(event, self.et_min, self.cone, _CELL_SEED_CELL)
        lo, hi, eta_cut = self.lo, self.hi, self.eta_cut
        for j in range(cell.size()):  # cone jets by decreasing E_T
            et = cell.eT(j)
            if et < lo:
                return False
            if et <= hi and abs(cell.etaWeighted(j)) < eta_cut:
                return True
        return False


def _truth_partons(event: Any, signal: str) -> list[list[tuple[float, float]]]:
    """For each hadronic top (W) of the hard process: [(y, φ) of the top/W and of its decay quarks]."""
    want = 6 if signal == "top" else 24
    out = []
    for i in (5, 6):  # the two outgoing particles of the 2 -> 2 hard process
        p = event[i]
        if p.idAbs() != want:
            continue
        last = event[p.iBotCopyId()]
        group = [(last.y(), last.phi())]
        quarks = []
        if want == 6:
            w = None
            for d in last.daughterList():
                dp = event[d]
                if dp.idAbs() == 5:
                    quarks.append(dp)
                elif dp.idAbs() == 24:
                    w = event[dp.iBotCopyId()]
            if w is None or not quarks:
                continue
        else:
            w = last
        quarks += [event[d] for d in w.daughterList() if 1 <= event[d].idAbs() <= 5]
        if len(quarks) != (3 if want == 6 else 2):
            continue
        group += [(q.y(), q.phi()) for q in quarks]
        out.append(group)
    return out


def _matches(jet_y: float, jet_phi: float, group: list[tuple[float, float]], radius: float) -> bool:
    for y, phi in group:
        dphi = (phi - jet_phi + math.pi) % (2 * math.pi) - math.pi
        if (y - jet_y) ** 2 + dphi**2 >= radius**2:
            return False
    return True


_P4 = tuple[float, float, float, float]


def _full_event_jet(event: Any, fastjet: Any, jet_def: Any, pt_min: float) -> tuple[array, _P4] | None:
    """The reference path: FastJet on all visible final-state particles; the leading jet's constituents.

    Returns :func:`_constituents` of them in event-record order (the order of
    SlowJet's constituent lists), or None when FastJet finds no jet above ``pt_min``.
    """
    p4_list = [(p.px(), p.py(), p.pz(), p.e()) for p in event.particles() if p.isFinal() and p.isVisible()]
    pseudojet = fastjet.PseudoJet
    cs = fastjet.ClusterSequence([pseudojet(*v) for v in p4_list], jet_def)
    jets = fastjet.sorted_by_pt(cs.inclusive_jets(pt_min))
    if not jets:
        return None
    # an input particle's cluster_hist_index() is its position in p4_list, which is in event order
    return _constituents(p4_list[k] for k in sorted(c.cluster_hist_index() for c in jets[0].constituents()))


def _slowjet_leading_jet(event: Any, slow: Any) -> tuple[array, _P4] | None:
    """The fast path: the constituents of SlowJet's leading jet, read from the event record.

    SlowJet (Pythia's embedded fjcore, FastJet's own core) has already run
    anti-kt on all visible final-state particles, so its leading jet *is*
    FastJet's (tested bit for bit against the ``fastjet`` package on the whole
    event); Python reads only its ~50-150 constituents, never the other
    ~1,200 particles.  Returns :func:`_constituents` of them (event indices
    increasing: event-record order), or None — the caller then clusters the
    full event — unless they add up to SlowJet's ``p(0)`` within
    ``_SUBSET_RTOL`` × E (E-scheme: a jet is the sum of its constituents).
    """
    found = _constituents((p.px(), p.py(), p.pz(), p.e()) for p in map(event.__getitem__, slow.constituents(0)))
    px, py, pz, e = found[1]
    ref = slow.p(0)
    tol = _SUBSET_RTOL * ref.e()
    if not (abs(px - ref.px()) <= tol and abs(py - ref.py()) <= tol
            and abs(pz - ref.pz()) <= tol and abs(e - ref.e()) <= tol):
        return None
    return found


def _constituents(rows: Iterable[_P4]) -> tuple[array, _P4]:
    """Constituents ``(px, py, pz, E)`` → (flat ``array('d')`` of them, their sum Σ (px, py, pz, E)).

    The sum is E-scheme recombination, added in the order given (one order on
    both jet paths, so the same jets come out bit for bit).  A flat array
    rather than a list of tuples: it is one object that the garbage collector
    does not track, however many jets wait for their substructure.
    """
    buf = array("d")
    put = buf.extend
    px = py = pz = e = 0.0
    for row in rows:
        put(row)
        a, b, c, d = row
        px += a
        py += b
        pz += c
        e += d
    return buf, (px, py, pz, e)


def jet_kinematics(px: float, py: float, pz: float, e: float) -> tuple[float, float, float, float, float]:
    """``(pT, η, y, φ, m)`` of a four-momentum, FastJet's conventions.

    :math:`p_T = \\sqrt{p_x^2 + p_y^2}`, :math:`\\eta = \\operatorname{asinh}(p_z / p_T)`,
    :math:`y = \\tfrac12 \\ln\\frac{E + p_z}{E - p_z}`, :math:`\\phi = \\operatorname{atan2}(p_y, p_x)
    \\in (-\\pi, \\pi]` (FastJet's ``phi_std``) and :math:`m = \\sqrt{\\max(0, (E + p_z)(E - p_z) - p_T^2)}`
    (the same grouping as FastJet's ``m2``; 0 for a slightly space-like rounding).  η and y are
    ±1e5 (FastJet's ``MaxRap``) along the beam.

    >>> [round(v, 6) for v in jet_kinematics(3.0, 4.0, 0.0, 13.0)]
    [5.0, 0.0, 0.0, 0.927295, 12.0]
    """
    pt = math.hypot(px, py)
    eta = math.asinh(pz / pt) if pt > 0 else math.copysign(_MAX_RAP, pz)
    rap = 0.5 * math.log((e + pz) / (e - pz)) if e > abs(pz) else math.copysign(_MAX_RAP, pz)
    m2 = (e + pz) * (e - pz) - pt * pt
    return pt, eta, rap, math.atan2(py, px), math.sqrt(m2) if m2 > 0 else 0.0


def generate_chunk(
    config: JetConfig,
    seed: int,
    count: int,
    *,
    log: str | os.PathLike | None = None,
    report: Callable[[int, int], None] | None = None,
) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Generate ``count`` accepted jets with one Pythia instance seeded with ``seed``.

    Returns ``(jets, stats)``: ``jets`` has the columns of
    :mod:`physnn.hep.jetio` plus ``_pthat`` (the hard scale of each jet's
    event); ``stats`` counts events, pre-filter passes, window passes, truth
    rejections, full-event clusterings the fast jet path fell back to
    (``full_clustering_fallbacks``, expected 0) and CPU seconds (also per
    stage, ``stage_cpu_s``: setup, i.e. Pythia's initialisation, then
    pythia, prefilter, clustering, features).  ``report(new_jets, new_events)`` is called
    after each accepted jet (progress).  The result depends only on
    ``(config, seed, count)``; the first ``k`` jets of ``count`` are the jets of
    ``k``.
    """
    import fastjet
    import pythia8mc

    count = check_int("count", count, low=0, owner="generate_chunk")
    cpu0 = time.process_time()
    stats = {k: 0 for k in _STAT_KEYS}
    n_keep = config.n_constituents
    rows: dict[str, list] = {k: [] for k in _SCALARS}
    parts = np.zeros((count, 3, n_keep), dtype=np.float32)
    pthat: list[float] = []
    pending: list[tuple[array, float, float]] = []  # (constituents' p4, jet eta, jet phi) per accepted jet
    if count == 0:
        return _pack(rows, parts, pthat), _finish(stats, cpu0)

    pythia = open_pythia(pythia_settings(config, seed), log=log)
    lo, hi = config.pt_range
    radius = config.radius
    eta_max = config.eta_max
    cell = CellFilter(config)
    # Pythia's anti-kt (its embedded fjcore, i.e. FastJet's core) on ALL visible final-state particles:
    # etaMax = 25 is SlowJet's "no eta cut" (select = 2: visible, massSet = 2: true masses), so its jets,
    # sorted by decreasing pT, are FastJet's on the same input list
    slow = pythia8mc.SlowJet(-1, radius, 0.5 * lo, 25.0, 2, 2, None, True, True)
    slow_lo, slow_hi = (1 - _SLOW_SLACK) * lo, (1 + _SLOW_SLACK) * hi
    jet_def = fastjet.JetDefinition(fastjet.antikt_algorithm, radius)  # two arguments: E-scheme
    is_signal = config.signal != "qcd"
    event = pythia.event
    n_new_events = 0
    sink = os.devnull if log is None else log
    clock = time.process_time
    # setup: Pythia's initialisation and the jet finders' (once per chunk), then the per-event stages
    stage = {"setup": clock() - cpu0, "pythia": 0.0, "prefilter": 0.0, "clustering": 0.0, "features": 0.0}
    stats["stage_cpu_s"] = stage
    with _stdout_to(sink):
        while len(rows["pt"]) < count:
            stats["events"] += 1
            n_new_events += 1
            if stats["accepted"] == 0 and stats["events"] > _MAX_EVENTS_WITHOUT_JET:
                raise PhysnnError(
                    f"{_OWNER}: no jet passed the selection in {_MAX_EVENTS_WITHOUT_JET} events "
                    f"({stats['failed']} failed in Pythia, {stats['prefilter_passed']} passed the pre-filters, "
                    f"{stats['in_window']} had a leading jet in the window); check pt_range={config.pt_range}, "
                    f"pthat_range={config.pthat_range}, eta_max={config.eta_max:g} and the extra Pythia settings."
                )
            t0 = clock()
            ok = pythia.next()
            t1 = clock()
            stage["pythia"] += t1 - t0
            if not ok:
                stats["failed"] += 1
                continue
            # pre-filter 1: Pythia's cone jet finder on a 0.1 x 0.1 cell grid (cheap; see CellFilter)
            passed = cell.passes(event)
            # pre-filter 2: Pythia's own anti-kt leading jet (= FastJet's) in the window and, for signal,
            # truth-matched: the final cuts, which the FastJet jet below must pass again
            groups: list = []
            if passed or not config.prefilter:
                slow.analyze(event)
                passed = passed and slow.sizeJet() > 0 and slow_lo < slow.pT(0) < slow_hi \
                    and abs(slow.p(0).eta()) < eta_max + _SLOW_SLACK
                if is_signal and (passed or not config.prefilter):
                    groups = _truth_partons(event, config.signal)
                    if passed:
                        passed = any(_matches(slow.y(0), slow.phi(0), g, radius + _SLOW_SLACK) for g in groups)
            t2 = clock()
            stage["prefilter"] += t2 - t1
            if config.prefilter and not passed:
                continue
            stats["prefilter_passed"] += 1
            # the jet: anti-kt, E-scheme, on all visible final-state particles — SlowJet's leading jet (FastJet's
            # core) when the pre-filters ran, checked to add up; else FastJet on the full event (reference path)
            found = _slowjet_leading_jet(event, slow) if config.prefilter else None
            if found is None:
                if config.prefilter:
                    stats["full_clustering_fallbacks"] += 1
                found = _full_event_jet(event, fastjet, jet_def, 0.5 * lo)
            t3 = clock()
            stage["clustering"] += t3 - t2
            if found is None:
                continue
            p4, p4_sum = found
            jpt, jeta, jrap, jphi, jmass = jet_kinematics(*p4_sum)
            if not (lo < jpt < hi and abs(jeta) < eta_max):
                continue
            stats["in_window"] += 1
            if is_signal and not any(_matches(jrap, jphi, g, radius) for g in groups):
                stats["truth_rejected"] += 1
                continue
            if not passed:
                stats["prefilter_missed"] += 1
            for name, value in (
                ("pt", jpt), ("eta", jeta), ("phi", jphi), ("mass", jmass),
                ("n_constituents", len(p4) // 4), ("label", int(is_signal)),
            ):
                rows[name].append(value)
            pending.append((p4, jeta, jphi))  # substructure after the event loop (see below)
            pthat.append(pythia.infoPython().pTHat())
            stats["accepted"] += 1
            stage["features"] += clock() - t3
            if report is not None:
                report(1, n_new_events)
                n_new_events = 0
    if report is not None and n_new_events:
        report(0, n_new_events)
    # constituent pt, eta, phi sorted by decreasing pT, and tau_1..4 of the sorted constituents, in one pass
    # per jet — run here, after the event loop, where the code and its data stay in the CPU caches (inside
    # the loop, right after each Pythia event, the same work measured ~2x slower)
    t3 = clock()
    with _stdout_to(sink):  # FastJet prints its banner on first use: into Pythia's log, not the user's terminal
        _substructure(pending, rows, parts, n_keep, radius)
    stage["features"] += clock() - t3
    return _pack(rows, parts, pthat), _finish(stats, cpu0)


def _substructure(pending: list, rows: dict[str, list], parts: np.ndarray, n_keep: int, radius: float) -> None:
    """Per accepted jet: its leading ``n_keep`` constituents (pT, Δη, Δφ) into ``parts``, τ1…τ4, τ21, τ32."""
    from physnn.hep.nsubjettiness import jet_substructure, delta_phi

    for i, (p4, jeta, jphi) in enumerate(pending):
        p4 = np.frombuffer(p4, dtype=np.float64).reshape(-1, 4)
        kin, taus = jet_substructure(p4, 4, r0=radius)
        k = min(len(p4), n_keep)
        parts[i, 0, :k] = kin["pt"][:k]
        parts[i, 1, :k] = kin["eta"][:k] - jeta
        parts[i, 2, :k] = delta_phi(kin["phi"][:k], jphi)
        for name, value in (
            ("tau1", taus[0]), ("tau2", taus[1]), ("tau3", taus[2]), ("tau4", taus[3]),
            ("tau21", taus[1] / taus[0] if taus[0] > 0 else 0.0),
            ("tau32", taus[2] / taus[1] if taus[1] > 0 else 0.0),
        ):
            rows[name].append(value)


def _pack(rows: dict[str, list], parts: np.ndarray, pthat: list[float]) -> dict[str, np.ndarray]:
    out = {k: np.asarray(v, dtype=np.int32 if k in ("n_constituents", "label") else np.float64)
           for k, v in rows.items()}
    n = len(out["pt"])
    for j, name in enumerate(("part_pt", "part_deta", "part_dphi")):
        out[name] = np.ascontiguousarray(parts[:n, j, :])
    out["_pthat"] = np.asarray(pthat, dtype=np.float64)
    return out


def _finish(stats: dict[str, Any], cpu0: float) -> dict[str, Any]:
    stats["cpu_s"] = time.process_time() - cpu0
    return stats


# ----------------------------------------------------------------------------- chunks on disk
def _chunk_path(cache: Path, index: int) -> Path:
    return cache / f"chunk_{index:05d}.npz"


def _save_chunk(path: Path, jets: dict[str, np.ndarray], stats: dict[str, Any]) -> None:
    from physnn.files import atomic_write

    with atomic_write(path, "wb") as fh:
        np.savez(fh, **jets, __stats__=np.array(json.dumps(stats)))


def _load_chunk(path: Path, count: int) -> tuple[dict[str, np.ndarray], dict[str, Any]] | None:
    """A cached chunk's first ``count`` jets, or None if missing, short or unreadable."""
    try:
        with np.load(path, allow_pickle=False) as z:
            if z["pt"].shape[0] < count:
                return None
            jets = {k: z[k][:count] for k in z.files if k != "__stats__"}
            stats = json.loads(str(z["__stats__"]))
    except Exception:  # a damaged chunk is regenerated
        return None
    return jets, stats


def _run_chunk(config_dict: dict[str, Any], seed: int, index: int, count: int,
               cache: str | None) -> tuple[int, dict[str, np.ndarray], dict[str, Any]]:
    """Worker entry point: generate chunk ``index`` (and save it when there is a cache)."""
    config = _config_from_dict(config_dict)
    log = None if cache is None else str(Path(cache) / f"chunk_{index:05d}.log")
    report = None
    if _QUEUE is not None:
        def report(dj: int, de: int) -> None:
            _QUEUE.put((dj, de))
    jets, stats = generate_chunk(config, chunk_seed(seed, index), count, log=log, report=report)
    if cache is not None:
        _save_chunk(_chunk_path(Path(cache), index), jets, stats)
    return index, jets, stats


def _config_from_dict(d: dict[str, Any]) -> JetConfig:
    d = dict(d)
    d["pt_range"] = tuple(d["pt_range"])
    d["pthat_range"] = tuple(d["pthat_range"])
    d["settings"] = tuple(d["settings"])
    return JetConfig(**d)


_QUEUE: Any = None


def _worker_init(queue: Any) -> None:
    global _QUEUE
    _QUEUE = queue




class _Progress:
    """A rich progress bar on stderr with jets/s and the acceptance; a no-op when disabled."""

    def __init__(self, enabled: bool | Callable[[int, int], None], total: int, done: int, label: str) -> None:
        self.callback = enabled if callable(enabled) else None
        self.enabled = bool(enabled) and self.callback is None
        self.total = total
        self.done = done
        self.jets = 0
        self.events = 0
        self.t0 = time.perf_counter()
        self._last = 0.0
        if not self.enabled:
            return
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

        self.bar = Progress(
            TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
            TextColumn("{task.fields[rate]}"), TimeElapsedColumn(), TimeRemainingColumn(),
            console=Console(stderr=True), transient=False,
        )
        self.task = self.bar.add_task(label, total=total, completed=done, rate="")
        self.bar.start()

    def __call__(self, jets: int, events: int) -> None:
        self.jets += jets
        self.events += events
        if self.callback is not None and jets:
            self.callback(self.done + self.jets, self.total)
        if not self.enabled:
            return
        now = time.perf_counter()
        if now - self._last < 0.2 and jets == 0:
            return
        self._last = now
        dt = max(now - self.t0, 1e-9)
        acc = self.jets / self.events if self.events else 0.0
        self.bar.update(self.task, advance=jets,
                        rate=f"{self.jets / dt:6.1f} jets/s  {self.events / dt:6.0f} events/s  acceptance {acc:.1%}")

    def close(self) -> None:
        if self.enabled:
            self.bar.stop()


def generate_jets(
    signal: str = "top",
    n: int = 1000,
    seed: int = 0,
    *,
    workers: int = 1,
    sqrt_s: float = 13000.0,
    mpi: bool = True,
    n_constituents: int = 100,
    pt_range: tuple[float, float] = (550.0, 650.0),
    eta_max: float = 2.0,
    pthat_range: tuple[float, float] | None = None,
    prefilter: bool = True,
    settings: Sequence[str] = (),
    chunk_size: int = 200,
    out: str | os.PathLike | None = None,
    cache_dir: str | os.PathLike | None = None,
    keep_cache: bool = False,
    progress: bool | Callable[[int, int], None] = True,
    return_stats: bool = False,
) -> dict[str, np.ndarray] | tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Generate ``n`` labelled jets (Pythia 8 + FastJet anti-kt R=0.8); optionally write them to ``out``.

    See the module docstring for the physics and the pre-filters.  Returns
    ``{column: array}`` with the columns of :mod:`physnn.hep.jetio` — scalars
    of shape ``(n,)`` and constituents ``part_pt``, ``part_deta``,
    ``part_dphi`` of shape ``(n, n_constituents)`` zero-padded — and, with
    ``return_stats=True``, also a statistics dict (events generated,
    acceptance, jets/s, CPU seconds, pTHat quantiles of the accepted jets,
    chunks reused from the cache).

    ``workers`` processes generate chunks of ``chunk_size`` jets in parallel;
    the output is bit-identical for any ``workers``.  With ``out``
    (``.parquet``, ``.npz`` or ``.root``) finished chunks are cached in
    ``cache_dir`` (default ``<out>.chunks``) so an interrupted run resumes.
    ``progress`` shows a progress bar on stderr; a callable instead is called
    as ``progress(jets_done, n)`` after each accepted jet (no bar).

        >>> jets = generate_jets("qcd", n=2, seed=1, n_constituents=10, progress=False)
        >>> jets["part_pt"].shape, bool(((jets["pt"] > 550) & (jets["pt"] < 650)).all())
        ((2, 10), True)
    """
    config = JetConfig(signal=signal, sqrt_s=sqrt_s, mpi=mpi, n_constituents=n_constituents,
                       pt_range=pt_range, eta_max=eta_max, pthat_range=pthat_range,
                       prefilter=prefilter, settings=tuple(settings), chunk_size=chunk_size)
    n = check_int("n", n, low=1, owner=_OWNER)
    seed = check_int("seed", seed, low=0, high=2**63 - 1, owner=_OWNER)
    workers = check_int("workers", workers, low=1, high=256, owner=_OWNER)
    out_path = None
    if out is not None:
        from physnn.hep.jetio import jet_format

        out_path = Path(out)
        jet_format(out_path, owner=_OWNER)
    t0 = time.perf_counter()
    n_chunks = math.ceil(n / config.chunk_size)
    counts = [min(config.chunk_size, n - i * config.chunk_size) for i in range(n_chunks)]

    cache: Path | None = None
    if cache_dir is not None or out_path is not None:
        base = Path(cache_dir) if cache_dir is not None else out_path.with_name(out_path.name + ".chunks")  # type: ignore[union-attr]
        cache = base / config.key(seed)
        cache.mkdir(parents=True, exist_ok=True)
        from physnn.files import write_json

        write_json(cache / "config.json", {"config": config.to_dict(), "seed": seed, "versions": _versions()})

    results: dict[int, tuple[dict[str, np.ndarray], dict[str, Any]]] = {}
    if cache is not None:
        for i, c in enumerate(counts):
            got = _load_chunk(_chunk_path(cache, i), c)
            if got is not None:
                results[i] = got
    todo = [i for i in range(n_chunks) if i not in results]
    cached_jets = sum(counts[i] for i in results)
    bar = _Progress(progress, n, cached_jets, f"{config.signal} jets")
    try:
        if workers == 1 or len(todo) <= 1:
            for i in todo:
                _, jets_i, stats_i = _run_chunk_local(config, seed, i, counts[i], cache, bar)
                results[i] = (jets_i, stats_i)
        else:
            _run_pool(config, seed, todo, counts, cache, workers, bar, results)
    finally:
        bar.close()
    wall = time.perf_counter() - t0

    parts = [results[i][0] for i in range(n_chunks)]
    jets = {k: np.concatenate([p[k] for p in parts]) for k in parts[0] if k != "_pthat"}
    pthat = np.concatenate([p["_pthat"] for p in parts])
    stats = _summarise([results[i][1] for i in range(n_chunks)], [results[i][1] for i in todo],
                       pthat, wall, n, len(results) - len(todo), config)
    if out_path is not None:
        from physnn.hep.jetio import write_jets

        meta = {"generator": "physnn.hep.generate_jets", "config": config.to_dict(), "seed": seed, "n": n,
                "stats": stats, "versions": _versions(),
                "pythia_settings_chunk0": pythia_settings(config, chunk_seed(seed, 0))}
        write_jets(jets, out_path, metadata=meta)
        if cache is not None and not keep_cache:
            shutil.rmtree(cache, ignore_errors=True)
            with contextlib.suppress(OSError):
                cache.parent.rmdir()  # only if empty
    return (jets, stats) if return_stats else jets


def _run_chunk_local(config: JetConfig, seed: int, index: int, count: int, cache: Path | None,
                     bar: _Progress) -> tuple[int, dict[str, np.ndarray], dict[str, Any]]:
    log = None if cache is None else str(cache / f"chunk_{index:05d}.log")
    jets, stats = generate_chunk(config, chunk_seed(seed, index), count, log=log, report=bar)
    if cache is not None:
        _save_chunk(_chunk_path(cache, index), jets, stats)
    return index, jets, stats


def _run_pool(config: JetConfig, seed: int, todo: list[int], counts: list[int], cache: Path | None,
              workers: int, bar: _Progress, results: dict) -> None:
    import multiprocessing as mp
    import queue as queue_mod
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

    ctx = mp.get_context("spawn")
    q = ctx.Queue()

    def drain() -> None:
        while True:
            try:
                dj, de = q.get_nowait()
            except queue_mod.Empty:
                return
            bar(dj, de)

    with one_thread_env():
        ex = ProcessPoolExecutor(max_workers=min(workers, len(todo)), mp_context=ctx,
                                 initializer=_worker_init, initargs=(q,))
        try:
            pending = {ex.submit(_run_chunk, config.to_dict(), seed, i, counts[i],
                                 None if cache is None else str(cache)) for i in todo}
            while pending:
                done, pending = wait(pending, timeout=0.25, return_when=FIRST_COMPLETED)
                drain()
                for fut in done:
                    index, jets_i, stats_i = fut.result()
                    results[index] = (jets_i, stats_i)
            drain()
        except BaseException:
            ex.shutdown(wait=True, cancel_futures=True)
            raise
        else:
            ex.shutdown(wait=True)


def _summarise(all_stats: list[dict], new_stats: list[dict], pthat: np.ndarray, wall: float, n: int,
               reused: int, config: JetConfig) -> dict[str, Any]:
    tot = {k: int(sum(s.get(k, 0) for s in all_stats)) for k in _STAT_KEYS}
    new_jets = int(sum(s.get("accepted", 0) for s in new_stats))
    cpu = float(sum(s.get("cpu_s", 0.0) for s in new_stats))
    out: dict[str, Any] = dict(tot)
    out.update(
        jets=n,
        acceptance=tot["accepted"] / tot["events"] if tot["events"] else 0.0,
        chunks=len(all_stats),
        chunks_reused=reused,
        jets_generated_now=new_jets,
        wall_s=wall,
        cpu_s_workers=cpu,
        jets_per_s=new_jets / wall if wall > 0 and new_jets else 0.0,
        jets_per_cpu_s=new_jets / cpu if cpu > 0 else 0.0,
        stage_cpu_s={k: float(sum(s.get("stage_cpu_s", {}).get(k, 0.0) for s in new_stats))
                     for k in ("setup", "pythia", "prefilter", "clustering", "features")},
        pthat_window=list(config.pthat_range),  # type: ignore[arg-type]
        pthat_quantiles={f"q{q}": float(np.quantile(pthat, q / 100)) for q in (0, 1, 5, 50, 95, 99, 100)}
        if pthat.size else {},
    )
    if config.prefilter:
        out.pop("prefilter_missed")
    else:
        out.pop("full_clustering_fallbacks")  # every event is clustered in full
    return out
