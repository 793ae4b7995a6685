"""Section 12 — the applications (placeholders until each part exists).

The lecture closes with physics-informed neural networks,
L = L_data + λ‖N(u_θ)‖², and four applications.  Each becomes a physnn
subpackage in its own piece of work; until it exists this section names it
honestly and runs no experiment, so the report shows no check for it.
"""

from __future__ import annotations

import importlib.util
import time

from physnn.lecture.base import SectionResult, markdown_table

NUMBER = 12
TITLE = "Applications in physics"

#: (lecture topic, physnn subpackage that will hold it, what it will measure)
PLANNED = [
    ("Particle physics: event classification and anomaly detection", "physnn.hep",
     "jets from Pythia 8 and FastJet; ROC AUC and background rejection; ROOT in, ONNX out"),
    ("Fluid dynamics: networks that approximate expensive simulations", "physnn.fluids",
     "surrogates of spectral solvers: error and speed-up against the solver"),
    ("Materials science: properties from atomic structure and simulation data", "physnn.materials",
     "ASE/EMT alloy energies, lattice constants and bulk moduli against ridge baselines"),
    ("Computational biology: cell segmentation, tracking, classification with CNNs", "physnn.cells",
     "synthetic microscopy images; IoU / accuracy of CNNs and U-Nets"),
]


def run(*, quick: bool = False, seed: int = 0) -> SectionResult:
    """List the lecture's closing topics and whether physnn implements each yet."""
    t0 = time.perf_counter()
    rows = []
    for topic, module, what in PLANNED:
        present = importlib.util.find_spec(module) is not None
        rows.append([topic, f"`{module}`", "available" if present else "planned", what])
    text = (
        "The lecture names four fields where networks already do real work. "
        "Each is a separate part of physnn with its own measured section; the table says which "
        "exist in this version. A section that does not exist yet makes **no claim** here — "
        "nothing is shown as passed that was not run."
    )
    return SectionResult(
        number=NUMBER,
        title=TITLE,
        claim=(
            "“Particle physics: event classification and anomaly detection in collider data … Fluid "
            "dynamics: networks can learn to approximate computationally expensive fluid simulations … "
            "Materials science: predicting material properties from atomic structure and simulation "
            "data … Computational biology: cell segmentation, tracking, and classification in "
            "microscopy images.”"
        ),
        text=text,
        tables=[markdown_table(["lecture topic", "physnn part", "status", "what it will measure"], rows)],
        seconds=time.perf_counter() - t0,
        data={"status": {m: r[2] for (_, m, _), r in zip(PLANNED, rows)}},
    )
