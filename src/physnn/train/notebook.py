"""Progress bars in Jupyter: an HTML bar redrawn in place through IPython's display handles.

Rich's live display needs ``ipywidgets`` in a notebook; this needs nothing but
the IPython kernel the notebook already runs on.  :class:`~physnn.train.ProgressBar`
uses it by itself when it runs inside Jupyter (where stderr is not a terminal), so
``fit`` shows its progress in the notebook as it does in a terminal.

    >>> in_notebook()          # a plain interpreter or pytest is not a notebook
    False
    >>> bar = NotebookProgress("training", total=4)
    >>> bar.update(2, info="loss 0.5")
    >>> print(bar)
    training  2/4  loss 0.5
    >>> "<progress value='2' max='4'" in bar._repr_html_()
    True
"""

from __future__ import annotations

import html
import sys
import time

__all__ = ["in_notebook", "NotebookProgress"]


def in_notebook() -> bool:
    """True inside a Jupyter kernel (notebook, lab, qtconsole, Colab); False in a terminal or a script.

    IPython is never imported here: if the process has not imported it, it is not a notebook.
    """
    ipython_module = sys.modules.get("IPython")
    if ipython_module is None:
        return False
    shell = ipython_module.get_ipython()
    if shell is None:
        return False
    return type(shell).__name__ == "ZMQInteractiveShell" or "google.colab" in str(type(shell))


def _clock(seconds: float) -> str:
    s = int(round(seconds))
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"


class NotebookProgress:
    """One progress bar shown in a notebook cell's output and updated in place.

    Parameters
    ----------
    description : str
        The bar's label.
    total : int
        Steps to the end (epochs for :func:`~physnn.train.fit`).
    completed : int
        Steps already done (a resumed run starts part-way).
    min_interval : float
        Seconds between two redraws (the last step always redraws).
    """

    def __init__(self, description: str, total: int, completed: int = 0, *, min_interval: float = 0.1) -> None:
        self.description = description
        self.total = max(int(total), 0)
        self.completed = int(completed)
        self.info = ""
        self.min_interval = min_interval
        self._start = time.perf_counter()
        self._shown = float("-inf")
        self._handle = None

    # -- drawing -----------------------------------------------------------
    def _times(self) -> str:
        elapsed = time.perf_counter() - self._start
        done = self.completed
        left = ""
        if 0 < done < self.total:
            left = f", {_clock(elapsed / done * (self.total - done))} left"
        return f"{_clock(elapsed)} elapsed{left}"

    def __repr__(self) -> str:
        info = f"  {self.info}" if self.info else ""
        return f"{self.description}  {self.completed}/{self.total}{info}"

    def _repr_html_(self) -> str:
        info = f" &nbsp;{html.escape(self.info)}" if self.info else ""
        return (
            "<div style='font-family:monospace'>"
            f"<b>{html.escape(self.description)}</b> "
            f"<progress value='{self.completed}' max='{max(self.total, 1)}' style='width:30ex'></progress> "
            f"{self.completed}/{self.total}{info} &nbsp;<span style='color:grey'>{self._times()}</span></div>"
        )

    def _show(self, force: bool) -> None:
        now = time.perf_counter()
        if not force and now - self._shown < self.min_interval:
            return
        self._shown = now
        try:
            from IPython.display import display
        except ImportError:  # not in a kernel after all: stay silent
            return
        if self._handle is None:
            self._handle = display(self, display_id=True)
        else:
            self._handle.update(self)

    # -- use ---------------------------------------------------------------
    def start(self) -> None:
        """Show the bar in the current cell's output."""
        self._start = time.perf_counter()
        self._show(force=True)

    def update(self, completed: int, info: str = "") -> None:
        """Move to ``completed`` steps with the text ``info`` beside the bar (redrawn at most every ``min_interval``)."""
        self.completed, self.info = int(completed), info
        if self._handle is not None:
            self._show(force=self.completed >= self.total)

    def stop(self) -> None:
        """Draw the final state."""
        if self._handle is not None:
            self._show(force=True)
