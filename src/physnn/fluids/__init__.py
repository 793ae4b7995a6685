"""Fluid dynamics: neural surrogates of spectral flow solvers — simulate, learn, measure.

* :mod:`physnn.fluids.burgers` — 1-D viscous Burgers on the periodic unit
  interval: pseudo-spectral, integrating-factor RK4, 2/3 de-aliasing, CFL
  step; the FNO paper's Gaussian random initial fields; an exact Cole–Hopf
  solution for checks.
* :mod:`physnn.fluids.navier_stokes` — 2-D incompressible Navier–Stokes in
  vorticity form on the torus with the FNO paper's forcing and initial field,
  batched over trajectories.
* :mod:`physnn.fluids.data` — seeded, cached data sets (``.npz``), made in
  parallel processes if asked; :class:`~physnn.fluids.data.FieldFile` reads a
  user's own HDF5/NPZ arrays by name.
* :mod:`physnn.fluids.train` — FNO / MLP / ResNet surrogates trained on the
  common loop (:func:`physnn.train.fit`) with a relative-L2 objective;
  baselines, speed-up against the solver, figures.
* :mod:`physnn.fluids.runs` — fluids runs through ``physnn predict`` (the
  user's HDF5/NPZ arrays → ``pred_<output>``), ``physnn export`` (ONNX, the
  Fourier layers as matrix products) and ``physnn show``.

The Fourier layers themselves live in :mod:`physnn.nn.spectral`.  Submodules
are imported on demand (``from physnn.fluids.burgers import solve_burgers``);
this package imports nothing heavy.
"""

__all__ = ["burgers", "navier_stokes", "data", "train", "runs"]
