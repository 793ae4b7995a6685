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
# # 7 — SimpleNet
#
# The lecture's 10 → 64 → 32 → 1 ReLU network has 704 + 2,080 + 33 = 2,817 parameters (a
# `Linear(n_in, n_out)` holds $n_{in} n_{out}$ weights and $n_{out}$ biases). Counted from the tensors,
# then trained on a 10-feature regression task.

# %%
import os

QUICK = os.environ.get("PHYSNN_QUICK") == "1"   # small sizes (the test suite sets PHYSNN_QUICK=1)

# %% [markdown]
# ## The code to try

# %%
from physnn.data import simplenet_task, standardize
from physnn.nn import SimpleNet, summary
from physnn.train import fit

model = SimpleNet()
print(summary(model, (10,)))          # 704 + 2,080 + 33 = 2,817 parameters

parts, scaler = standardize(simplenet_task(600 if QUICK else 2000, seed=0).split(val=0.2, seed=0))
history = fit(model, parts.train, val=parts.val, loss="mse",
              optimizer="adam", lr=1e-3, epochs=15 if QUICK else 100, batch_size=32)
print("validation R²:", history["val_r2"][-1])

# %% [markdown]
# ## The measured figure
# Predicted against true values on the validation set (standardised units).

# %%
import matplotlib.pyplot as plt
import torch

with torch.no_grad():
    pred = model(torch.as_tensor(parts.val.X, dtype=torch.float32)).numpy().ravel()
true = parts.val.y.ravel()
fig, ax = plt.subplots(figsize=(4.5, 4.5))
ax.plot(true, pred, ".", alpha=0.5)
ax.plot([true.min(), true.max()], [true.min(), true.max()], "k--", lw=1)
ax.set(xlabel="true", ylabel="SimpleNet", title=f"validation R² = {history['val_r2'][-1]:.3f}")
plt.show()
