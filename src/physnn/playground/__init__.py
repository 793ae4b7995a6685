"""``physnn playground``: the lecture's ideas, interactive in the browser, on physnn's own engine.

TensorFlow Playground's controls and URL keys, trained on the server by
:func:`physnn.train.fit` (one session per browser tab), plus what its users
asked for: their own CSV data, points added by clicking, cross-entropy and
softmax, dropout and an activation per layer, momentum and Adam, a learning
rate that changes while it runs, schedules, accuracy / confusion matrix /
R², early stopping, and export as a physnn experiment (TOML, data,
safetensors).

Modules: :mod:`~physnn.playground.params` (the settings and URL keys),
:mod:`~physnn.playground.datasets`, :mod:`~physnn.playground.session` (one
tab's training), :mod:`~physnn.playground.export`,
:mod:`~physnn.playground.server` (Starlette + uvicorn).
"""

__all__ = ["create_app", "serve"]


def __getattr__(name: str):  # the server's packages are imported only when used
    if name in __all__:
        from physnn.playground import server

        return getattr(server, name)
    raise AttributeError(name)
