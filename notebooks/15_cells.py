# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 15 — Computational biology: CNNs and cells
#
# A convolution shares its weights across the image, so a U-Net segments images of any size. physnn ships
# a U-Net trained on synthetic nuclei only; it is scored here by AP at IoU 0.5 (Hungarian matching) beside
# the classical Otsu + watershed pipeline. (Your own images: `physnn cells segment IMAGE.tif --out masks/`.)

# %%
import os

QUICK = os.environ.get("PHYSNN_QUICK") == "1"   # small sizes (the test suite sets PHYSNN_QUICK=1)

# %% [markdown]
# ## The code to try

# %%
from physnn.cells.metrics import matching
from physnn.cells.segment import load_model, otsu_watershed, segment_image
from physnn.cells.synth import generate

s = generate(128 if QUICK else 256, preset="hard", seed=10000)   # dense, dim nuclei with their true masks
model = load_model()                                                # the bundled U-Net
unet = segment_image(model, s.image, tta=not QUICK)
classic = otsu_watershed(s.image)
print("AP@0.5  U-Net:", matching(s.labels, unet, 0.5).ap, "  Otsu + watershed:", matching(s.labels, classic, 0.5).ap)

# %% [markdown]
# ## The measured figure

# %%
import matplotlib.pyplot as plt

fig, axes = plt.subplots(1, 4, figsize=(13, 3.4))
for ax, img, title in zip(axes, (s.image, s.labels, unet, classic),
                          ("image", "truth", "bundled U-Net", "Otsu + watershed")):
    ax.imshow(img, cmap="gray" if title == "image" else "nipy_spectral", interpolation="nearest")
    ax.set(title=title, xticks=[], yticks=[])
plt.show()
