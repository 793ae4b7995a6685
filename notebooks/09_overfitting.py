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
# # 9 — Overfitting and the bias–variance trade-off
#
# A network with far more weights than data points memorises the noise: the training loss keeps falling
# while the validation loss turns and rises — the lecture's telltale sign. 15 noisy points of the
# cubic $4x^3 - 3x$, 45 held out.

# %%
import os

QUICK = os.environ.get("PHYSNN_QUICK") == "1"   # small sizes (the test suite sets PHYSNN_QUICK=1)

# %% [markdown]
# ## The code to try

# %%
from physnn.data import polynomial
from physnn.nn import MLP
from physnn.train import fit

data = polynomial(n=60, degree=3, noise=0.3, seed=0).split(val=0.75, seed=0)  # 15 train, 45 val
model = MLP(1, [128, 128], 1, activation="tanh", seed=0)
print(f"model {model.spec}: {sum(p.numel() for p in model.parameters())} parameters "
      f"for {len(data.train)} training points")
h = fit(model, data.train, val=data.val, lr=1e-3, epochs=600 if QUICK else 3000, batch_size=None)
turn = h.best_epoch
print(f"turn at epoch {turn}: val {h['val_loss'][turn]:.3f}; "
      f"at the end val {h['val_loss'][-1]:.3f}, train {h['loss'][-1]:.4f}")

# %% [markdown]
# ## The measured figure
# Training and validation loss per epoch; the dashed line marks the lowest validation loss.

# %%
h
