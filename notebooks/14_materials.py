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
# # 14 — Materials science: alloy properties from simulation data
#
# Simulate (ASE's EMT on FCC alloys), describe (composition, SOAP), learn (a per-atom network on the common
# loop), measure (error against the simplest baselines). (Your own structures:
# `physnn materials train structures.extxyz`, see the application guide.)

# %%
import os

QUICK = os.environ.get("PHYSNN_QUICK") == "1"   # small sizes (the test suite sets PHYSNN_QUICK=1)

# %% [markdown]
# ## The code to try

# %%
import tempfile

from physnn.materials.generate import generate
from physnn.materials.train import train_materials

out = tempfile.mkdtemp()
# EMT: an E-V fit and a relaxation per structure (quick mode: 10 structures, loosely relaxed)
data = generate("B", 10 if QUICK else 400, seed=0, workers=1, out=f"{out}/cuau.npz",
                fmax=0.05 if QUICK else 0.01, steps=60 if QUICK else 500)
res = train_materials(data, epochs=40 if QUICK else 800, out=f"{out}/run")
print(res.table())          # MAE, R² vs label std, predict-the-mean, ridge baselines, speed-up

# %% [markdown]
# ## The measured figure
# Predicted against simulated values on the held-out structures.

# %%
import matplotlib.pyplot as plt
import numpy as np

t = res.targets[0]
true, pred = np.asarray(res.y_test)[:, 0], np.asarray(res.predictions["network"])[:, 0]
fig, ax = plt.subplots(figsize=(4.5, 4.5))
ax.plot(true, pred, "o", alpha=0.6)
ax.plot([true.min(), true.max()], [true.min(), true.max()], "k--", lw=1)
ax.set(xlabel=f"EMT {t}", ylabel=f"network {t}", title=f"{len(true)} held-out structures")
plt.show()
