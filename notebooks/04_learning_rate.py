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
# # 4 — Gradient descent and the learning rate
#
# On a quadratic loss with Hessian $H$, one gradient step multiplies the error along each eigenvector by
# $1 - \eta\lambda_i$: too small a rate crawls, and any $\eta > 2/\lambda_{max}$ diverges.
# The threshold is computed from the data, then tested by training.

# %%
import os

QUICK = os.environ.get("PHYSNN_QUICK") == "1"   # small sizes (the test suite sets PHYSNN_QUICK=1)

# %% [markdown]
# ## The code to try

# %%
from physnn.lecture.learning_rate import divergence_threshold, regression_problem
from physnn.nn import MLP
from physnn.train import fit

X, y = regression_problem(seed=0)          # y = 2 x1 - 0.5 x2 + 1 + noise
print("2/lambda_max =", divergence_threshold(X))
histories = {}
for lr in (0.001, 0.05, 0.2):              # too small, right, too large
    h = fit(MLP(2, [], 1, seed=0), (X, y), optimizer="sgd", lr=lr,
            epochs=100 if QUICK else 200, batch_size=None, progress=False)
    histories[lr] = h
    print(lr, h.stop_reason.value, h["loss"][-1])

# %% [markdown]
# ## The measured figure
# The loss per epoch at each rate (the run at 0.2 stops when the loss becomes infinite: physnn's `fit`
# says so in `h.message`).

# %%
import matplotlib.pyplot as plt

fig, ax = plt.subplots(figsize=(6, 4))
for lr, h in histories.items():
    ax.semilogy(h["epoch"], h["loss"], label=f"lr = {lr}: {h.stop_reason.value}")
ax.set(xlabel="epoch", ylabel="training loss (MSE)")
ax.legend()
plt.show()
print(histories[0.2].message)
