"""Computational biology: cell nuclei in fluorescence microscopy — segmentation, classification, tracking.

* :mod:`physnn.cells.synth` — a synthetic fluorescence microscope (star-convex textured nuclei, PSF,
  Poisson + read noise, uint16) with exact instance masks, phenotypes and time-lapses with lineages;
* :mod:`physnn.cells.io` — TIFF/PNG images and masks, validation, the real DSB2018 test image
  shipped in the stardist wheel;
* :mod:`physnn.cells.metrics` — Hungarian IoU matching, AP@τ = TP/(TP+FP+FN), F1, mean IoU, Dice;
* :mod:`physnn.cells.segment` — a 3-class U-Net (background / interior / boundary) + seeded watershed,
  trained on the common loop; the Otsu + watershed baseline;
* :mod:`physnn.cells.classify` — phenotype crops, a ConvNet vs hand-crafted features + logistic regression;
* :mod:`physnn.cells.track` — frame-to-frame linking with divisions, Cell Tracking Challenge export, TRA/SEG;
* :mod:`physnn.cells.runs` — a segmentation run on disk; :mod:`physnn.cells.figures` — its figures.

The submodules import torch / scikit-image when used; importing :mod:`physnn.cells` itself is light.
"""
