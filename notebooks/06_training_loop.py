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
# # 6 — The training loop
#
# Forward pass, loss, backward pass, optimizer step — repeated. The lecture's loop (MSE, SGD at lr 0.01,
# 200 full-batch epochs, a line every 50) is one call to physnn's `fit`, here on a pendulum's torque
# $-\sin\theta$.

# %%
import os

QUICK = os.environ.get("PHYSNN_QUICK") == "1"   # small sizes (the test suite sets PHYSNN_QUICK=1)

# %% [markdown]
# ## The code to try

# %%
from physnn.lecture.training_loop import pendulum_data
from physnn.nn import MLP
from physnn.train import PrintLogger, fit

x, y = pendulum_data(seed=0)                  # torque -sin(theta) + noise
model = MLP(1, [16, 16], 1, activation="tanh", seed=0)
history = fit(model, (x, y), loss="mse", optimizer="sgd", lr=0.01,
              epochs=100 if QUICK else 200, batch_size=None,    # full batch, as the lecture's loop
              callbacks=[PrintLogger(50, keys=["loss"])])

# %% [markdown]
# ## The measured figure
# A `History` shows itself in a notebook: the stop reason, the best epoch and the loss curve.

# %%
history
