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
# # 13 — Fluid dynamics: a neural surrogate of a solver
#
# Simulate, learn, measure: a pseudo-spectral solver makes pairs $u_0 \to u(T)$ of viscous Burgers'
# equation; a Fourier neural operator learns the map, and its held-out relative L2 error is compared with
# physics baselines. (Your own fields: `physnn fluids train fields.h5 --input u0 --output uT`.)

# %%
import os

QUICK = os.environ.get("PHYSNN_QUICK") == "1"   # small sizes (the test suite sets PHYSNN_QUICK=1)

# %% [markdown]
# ## The code to try

# %%
from physnn.fluids.data import burgers_dataset
from physnn.fluids.train import train_burgers

if QUICK:
    data = burgers_dataset(48, nu=0.01, grid=256, seed=0, cache_dir=None)
    fno = train_burgers(data, model="fno", s=64, n_train=40, n_test=8, epochs=4, width=16, modes=8, layers=2)
else:
    data = burgers_dataset(1200, nu=0.01, grid=1024, seed=0)      # u0 ~ GRF, u(T=1) by the spectral solver
    fno = train_burgers(data, model="fno", s=256, n_train=1000, n_test=200, epochs=60)
print("FNO relative L2:", fno.test_rel_l2)
print("baselines:", fno.baselines)

# %% [markdown]
# ## The measured figure
# One held-out initial field, the solver's $u(T)$ and the FNO's prediction.

# %%
import matplotlib.pyplot as plt
import numpy as np

i = 0
xs = np.linspace(0, 1, fno.test_true.shape[-1], endpoint=False)
fig, ax = plt.subplots(figsize=(6, 4))
ax.plot(xs, np.ravel(fno.test_input[i])[: len(xs)], color="grey", lw=1, label="u0")
ax.plot(xs, np.ravel(fno.test_true[i]), "k", label="u(T), solver")
ax.plot(xs, np.ravel(fno.test_pred[i]), "C1--", label="u(T), FNO")
ax.set(xlabel="x", title=f"held-out relative L2 {fno.test_rel_l2:.3g}")
ax.legend()
plt.show()
