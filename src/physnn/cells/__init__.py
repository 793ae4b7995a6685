"""Computational biology: cell nuclei in fluorescence microscopy — segmentation, classification, tracking.

* :mod:`physnn.cells.synth` — a synthetic fluorescence microscope (star-convex textured nuclei, PSF,
  Poisson + read noise, uint16) with exact instance masks, phenotypes and time-lapses with lineages;
* :mod:`physnn.cells.io` — TIFF/PNG images and masks, validation, the real DSB2018 test image
  shipped in the stardist wheel;
* :mod:`physnn.cells.metrics` — Hungarian IoU matching, AP@τ = TP/(TP+FP+FN), F1, mean IoU, Dice;
* :mod:`physnn.cells.segment` — a 3-class U-Net (background / interior / boundary) + seeded watershed,
  trained on the common loop; nuclei of any size (:func:`~physnn.cells.segment.segment_image`); the
  Otsu + watershed baseline;
* :mod:`physnn.cells.scale` — the nucleus diameter estimated from an image; resizing to the training scale;
* :mod:`physnn.cells.pretrained` — the U-Net that ships with physnn (synthetic data only), and the one
  command that rebuilds it: ``python -m physnn.cells.pretrained --out src/physnn/cells/pretrained``;
* :mod:`physnn.cells.classify` — phenotype crops, a ConvNet vs hand-crafted features + logistic regression;
* :mod:`physnn.cells.track` — frame-to-frame linking with divisions, the user's time-lapse (multi-page TIFF or
  a folder of frames), Cell Tracking Challenge export, detection / link recall, TRA/SEG;
* :mod:`physnn.cells.runs` — segmentation runs on disk (synthetic training, fine-tuning on the user's
  annotated images) and ``RUN_KIND`` for ``physnn predict`` / ``export`` / ``show``;
  :mod:`physnn.cells.figures` — their figures.

The submodules import torch / scikit-image when used; importing :mod:`physnn.cells` itself is light.
"""
