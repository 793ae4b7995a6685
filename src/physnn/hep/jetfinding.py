r"""Jet finding for the generator: pre-filters, the leading anti-kt jet, truth matching, kinematics.

On each Pythia event (:func:`physnn.hep.generate.generate_chunk`):

1. **CellJet pre-filter** (:class:`CellFilter`, C++): Pythia's cone jet finder
   on 0.1 × 0.1 cells, cones of radius R + 0.6 (1.4 for R = 0.8), formed down
   to 0.6 × pT_min, must find *some* cone jet with :math:`p_{T,min} \le E_T \le
   2\,p_{T,max}` and :math:`|\eta| < \eta_{max} + 0.5`: a cone wider than the
   jet holds all of its constituents, and then its scalar E_T is at least the
   jet's vector pT.  It is the only approximate filter (a harder cone nearby
   can claim some of the jet's cells); it loses about 1 jet in 10,000
   (``benchmarks/README.md``, hep section, for the measurement and the cones
   tried before).
2. **SlowJet** (:func:`slowjet_finder`): anti-kt, R = 0.8, through Pythia's
   embedded fjcore (FastJet's own core) on *all* visible final-state
   particles.  Its jets, sorted by decreasing pT, are the ones FastJet finds on
   the same particles, so its leading jet must already pass the final cuts
   (pT window, :math:`|\eta| < \eta_{max}`, for signal the truth matching),
   loosened by :data:`SLOW_SLACK` for rounding only.
3. **The jet**: anti-kt, R = 0.8, E-scheme, on all visible final-state
   particles (neutrinos excluded).  The fast path
   (:func:`slowjet_leading_jet`) reads only the ~50–150 constituents of
   SlowJet's leading jet from the event record and checks that their
   four-momenta add up to SlowJet's jet (to :data:`SUBSET_RTOL` × E); if not,
   the event is clustered in full.  The reference path
   (:func:`full_event_jet`, ``prefilter=False``) clusters every event with the
   ``fastjet`` package — ``fastjet.JetDefinition(fastjet.antikt_algorithm,
   0.8)``, the two-argument form; the four-argument form ``(alg, R, E_scheme,
   Best)`` silently gives the pt-scheme in the Python bindings.  On both paths
   the jet's four-momentum is the sum of its constituents' in event-record
   order (:func:`collect_constituents`), so both give the same jets bit for
   bit (tested), and its pT, η, y, φ, m follow FastJet's conventions
   (:func:`jet_kinematics`, tested against ``PseudoJet``).
4. **Truth matching** (signal only): the jet must contain the hadronic top (W)
   and its decay quarks — b, q, q̄′ (q, q̄′) — all within :math:`\Delta R =
   \sqrt{\Delta y^2 + \Delta\phi^2} < R` of the jet axis
   (:func:`truth_partons`, :func:`matches_truth`: the top/W of the hard
   process at its last copy, its decay products at their first copy).

    >>> [round(v, 6) for v in jet_kinematics(3.0, 4.0, 0.0, 13.0)]
    [5.0, 0.0, 0.0, 0.927295, 12.0]
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Iterable
from typing import Any

from physnn.hep.pythia import JetConfig

__all__ = [
    "CellFilter",
    "slowjet_finder",
    "slowjet_leading_jet",
    "full_event_jet",
    "collect_constituents",
    "jet_kinematics",
    "truth_partons",
    "matches_truth",
    "SLOW_SLACK",
    "SUBSET_RTOL",
]

_CELL_WINDOW = (1.0, 2.0)  # a CellJet cone jet with E_T in [pT_min, 2 x pT_max] ...
_CELL_CONE_EXTRA = 0.6  # ... and cone radius R + 0.6 (1.4 for R = 0.8): see CellFilter
_CELL_SEED_ET = 0.6  # CellJet forms cone jets down to 0.6 x pT_min (they claim their cells; fewer passes)
_CELL_SEED_CELL = 5.0  # GeV: a cell starts a cone only above this (a 500 GeV jet has far hotter cells)
#: SlowJet's leading jet is FastJet's: the pre-filter applies the final cuts, loosened by this rounding slack only
SLOW_SLACK = 1e-9
#: SlowJet's constituents must add up to its jet to this x E (else the event is clustered in full)
SUBSET_RTOL = 1e-9
_MAX_RAP = 1e5  # FastJet's rapidity along the beam


class CellFilter:
    """Pre-filter 1: Pythia's cone jet finder ``CellJet`` must find a jet that could hold the anti-kt jet.

    A cone of radius R + 0.6 around the hottest cell of an anti-kt jet holds
    all of the jet's constituents, and then the cone's scalar E_T ≥ the jet's
    vector pT (Σ|p_T,i| ≥ |Σ p_T,i|).  So an event passes when *some* cone jet
    (0.1 × 0.1 cells) has E_T in [pT_min, 2 · pT_max] and |η| < η_max + 0.5.
    It is approximate where a harder cone nearby has claimed some of the jet's
    cells (CellJet gives each cell to one cone).  The cone radius and bound were
    chosen in a study of radii and bounds (``benchmarks/hep_generate.py
    --prefilter-study``; ``--prefilter-check`` counts the jets it loses): what
    it passes and loses, and the cones tried before, are in
    ``benchmarks/README.md`` (hep section).
    """

    def __init__(self, config: JetConfig, *, cone_extra: float = _CELL_CONE_EXTRA,
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


def slowjet_finder(config: JetConfig) -> Any:
    """Pythia's ``SlowJet`` set up as the generator's jet finder: anti-kt, R = ``config.radius``, fjcore.

    On ALL visible final-state particles: ``etaMax = 25`` is SlowJet's "no eta cut"
    (``select = 2``: visible, ``massSet = 2``: true masses), so its jets, sorted by
    decreasing pT, are FastJet's on the same input list; jets down to half the window's
    lower edge are kept.
    """
    import pythia8mc

    return pythia8mc.SlowJet(-1, config.radius, 0.5 * config.pt_range[0], 25.0, 2, 2, None, True, True)


def truth_partons(event: Any, signal: str) -> list[list[tuple[float, float]]]:
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


def matches_truth(jet_y: float, jet_phi: float, group: list[tuple[float, float]], radius: float) -> bool:
    for y, phi in group:
        dphi = (phi - jet_phi + math.pi) % (2 * math.pi) - math.pi
        if (y - jet_y) ** 2 + dphi**2 >= radius**2:
            return False
    return True


_P4 = tuple[float, float, float, float]


def full_event_jet(event: Any, fastjet: Any, jet_def: Any, pt_min: float) -> tuple[array, _P4] | None:
    """The reference path: FastJet on all visible final-state particles; the leading jet's constituents.

    Returns :func:`collect_constituents` of them in event-record order (the order of
    SlowJet's constituent lists), or None when FastJet finds no jet above ``pt_min``.
    """
    p4_list = [(p.px(), p.py(), p.pz(), p.e()) for p in event.particles() if p.isFinal() and p.isVisible()]
    pseudojet = fastjet.PseudoJet
    cs = fastjet.ClusterSequence([pseudojet(*v) for v in p4_list], jet_def)
    jets = fastjet.sorted_by_pt(cs.inclusive_jets(pt_min))
    if not jets:
        return None
    # an input particle's cluster_hist_index() is its position in p4_list, which is in event order
    return collect_constituents(p4_list[k] for k in sorted(c.cluster_hist_index() for c in jets[0].constituents()))


def slowjet_leading_jet(event: Any, slow: Any) -> tuple[array, _P4] | None:
    """The fast path: the constituents of SlowJet's leading jet, read from the event record.

    SlowJet (Pythia's embedded fjcore, FastJet's own core) has already run
    anti-kt on all visible final-state particles, so its leading jet *is*
    FastJet's (tested bit for bit against the ``fastjet`` package on the whole
    event); Python reads only its ~50-150 constituents, never the other
    ~1,200 particles.  Returns :func:`collect_constituents` of them (event indices
    increasing: event-record order), or None — the caller then clusters the
    full event — unless they add up to SlowJet's ``p(0)`` within
    ``SUBSET_RTOL`` × E (E-scheme: a jet is the sum of its constituents).
    """
    found = collect_constituents((p.px(), p.py(), p.pz(), p.e())
                                 for p in map(event.__getitem__, slow.constituents(0)))
    px, py, pz, e = found[1]
    ref = slow.p(0)
    tol = SUBSET_RTOL * ref.e()
    if not (abs(px - ref.px()) <= tol and abs(py - ref.py()) <= tol
            and abs(pz - ref.pz()) <= tol and abs(e - ref.e()) <= tol):
        return None
    return found


def collect_constituents(rows: Iterable[_P4]) -> tuple[array, _P4]:
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
