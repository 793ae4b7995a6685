r"""Pythia 8 for the jet generator: the sample's settings, the process, seeds and Pythia's output.

:class:`JetConfig` is everything that defines a jet sample except its size and
seed; :func:`pythia_settings` turns it into Pythia's ``readString`` lines:

* **Hard process** (pp at √s = 13 TeV by default, 14 TeV as in the top-tagging
  reference sample, Kasieczka et al., SciPost Phys. 7 (2019) 014): ``"top"`` —
  :math:`gg, q\bar q \to t\bar t` with both W bosons forced to decay
  hadronically (``24:onMode = off``, ``24:onIfAny = 1 2 3 4 5``); ``"w"`` —
  :math:`f\bar f \to W^+W^-`, both W hadronic; ``"qcd"`` — all :math:`2 \to 2`
  QCD processes (``HardQCD:all``).  Parton showers, multiparton interactions
  (``mpi=False`` switches them off), hadronisation and decays as Pythia's
  defaults.
* **Hard-scale window** :math:`\hat p_T \in` ``pthat_range``
  (``PhaseSpace:pTHatMin/Max``), the first pre-filter: events that cannot give
  a jet in the pT window are never generated.  The default is the jet window
  widened by 150 GeV on each side, (400, 800) GeV for 550–650 GeV jets.  It
  biases the sample against events whose jet was pushed into the window by
  initial-state radiation recoil (from :math:`\hat p_T` below the window); a
  wider window costs many more events per jet.  The generator records
  :math:`\hat p_T` of every accepted jet (``stats["pthat_quantiles"]``), so a
  pile-up at the lower edge shows when the window is too tight.  The measured
  bias and cost: ``benchmarks/README.md`` (hep section).
* **Seeds**: chunk ``i`` of a sample with ``seed`` runs its own Pythia with
  ``Random:seed = chunk_seed(seed, i)`` (:func:`chunk_seed`).

:func:`open_pythia` reads the lines and initialises Pythia, turning a refused
line or a failed ``init()`` into a :class:`~physnn.errors.PhysnnError` with
Pythia's own message; :func:`stdout_to` sends what Pythia (C++) prints to a
log file instead of the user's terminal.

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
import os
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from physnn.errors import PhysnnError, check_choice, check_int, check_range

__all__ = [
    "SIGNALS",
    "JetConfig",
    "chunk_seed",
    "pythia_settings",
    "open_pythia",
    "stdout_to",
    "engine_versions",
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
        payload = {"config": self.to_dict(), "seed": int(seed), "versions": engine_versions(), "format": 1}
        return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:16]



def _pair(name: str, value: Any) -> tuple[float, float]:
    try:
        lo, hi = value
        return (check_range(name, lo, owner=_OWNER), check_range(name, hi, owner=_OWNER))
    except (TypeError, ValueError) as exc:
        if isinstance(exc, PhysnnError):
            raise
        raise PhysnnError(f"{_OWNER}: {name!r} must be a pair (low, high) of numbers in GeV; got {value!r}.") from None


def engine_versions() -> dict[str, str]:
    """Versions of Pythia (``pythia8mc``), FastJet and physnn: they name the chunk cache and go into the file."""
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
def stdout_to(path: str | os.PathLike) -> Iterator[None]:
    """Send what C/C++ code writes to file descriptor 1 (Pythia's ``cout``, FastJet's banner) to ``path``.

    ``path`` is appended to (``os.devnull`` discards).  A context manager; Python's own
    ``sys.stdout`` is flushed first, so nothing printed before is lost or reordered.
    """
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
            with stdout_to(cap):
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
