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
# # 5 — Backpropagation made visible
#
# Backpropagation applies the chain rule from the output back to the input. Its gradients are checked
# here against central finite differences $(L(\theta+\varepsilon) - L(\theta-\varepsilon))/2\varepsilon$
# for every weight matrix and bias of a small network, in float64.

# %%
import os

QUICK = os.environ.get("PHYSNN_QUICK") == "1"   # small sizes (the test suite sets PHYSNN_QUICK=1)

# %% [markdown]
# ## The code to try

# %%
import torch
import physnn
from physnn.nn import MLP

torch.manual_seed(0)
model = MLP(3, [5, 4], 2, activation=["tanh", "sigmoid"], seed=0)
x, y = torch.randn(16, 3), torch.randn(16, 2)
result = physnn.gradcheck(model, x, y, loss="mse")   # autograd vs (L(θ+ε) − L(θ−ε)) / 2ε
print(result)                                        # one row per W⁽ˡ⁾, b⁽ˡ⁾
assert result.passed(tol=1e-6)

# %% [markdown]
# ## The measured figure
# The relative error of autograd's gradient against finite differences, per parameter tensor.

# %%
import matplotlib.pyplot as plt

fig, ax = plt.subplots(figsize=(6, 3.5))
ax.bar([r.name for r in result.rows], [max(r.rel_error, 1e-18) for r in result.rows])
ax.set(yscale="log", ylabel="relative error", title=f"gradcheck: worst {result.max_rel_error:.1e}")
plt.show()
