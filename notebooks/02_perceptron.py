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
# # 2 — The perceptron and XOR
#
# Rosenblatt's perceptron learns AND and OR but not XOR: one neuron draws one straight line, and no line
# separates XOR's classes. One hidden layer (a 2-4-1 MLP) solves it.

# %%
import os

QUICK = os.environ.get("PHYSNN_QUICK") == "1"   # small sizes (the test suite sets PHYSNN_QUICK=1)

# %% [markdown]
# ## The code to try

# %%
import torch
from physnn.data import xor
from physnn.nn import MLP, Perceptron
from physnn.train import fit

d = xor()                                            # the 4 corners, y = [0, 1, 1, 0]
p = Perceptron(seed=0).fit(d.X, d.y)                 # Rosenblatt's rule
print("perceptron:", p.score(d.X, d.y), "converged:", p.converged_)

single = MLP(2, [], 1, out_activation="sigmoid", init="torch", seed=0)   # Linear(2, 1) + Sigmoid
fit(single, d, loss="bce", optimizer="sgd", lr=0.1, epochs=100, batch_size=None, progress=False)

mlp = MLP(2, [4], 1, activation="tanh", seed=0)      # 2-4-1, logits out
fit(mlp, d, loss="bce_with_logits", optimizer="adam", lr=0.05, epochs=300, batch_size=None, progress=False)
X = torch.tensor(d.X, dtype=torch.float32)
with torch.no_grad():
    print("single layer:", (single(X) > 0.5).int().ravel().tolist())
    print("2-4-1 MLP:   ", (mlp(X) > 0).int().ravel().tolist(), "target", d.y.ravel().astype(int).tolist())

# %% [markdown]
# ## The measured figure
# The decision boundary of each trained model over the XOR square: a straight line for one layer, a
# closed band for the MLP.

# %%
import matplotlib.pyplot as plt
from physnn.viz.plots import plot_decision_boundary

fig, axes = plt.subplots(1, 2, figsize=(9, 4))
plot_decision_boundary(single, d.X, d.y, ax=axes[0], resolution=60 if QUICK else 200, title="Linear(2, 1) + sigmoid")
plot_decision_boundary(mlp, d.X, d.y, ax=axes[1], to_score=torch.sigmoid, resolution=60 if QUICK else 200,
                       title="2-4-1 MLP")
plt.show()
