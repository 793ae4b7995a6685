"""The lecture's notebooks (notebooks/*.py, jupytext percent format) run, in quick mode, in a real kernel.

Each notebook is converted with jupytext and executed by nbclient in a kernel of
this interpreter (its kernel spec written into a temporary directory, nothing
installed globally), with ``PHYSNN_QUICK=1``; any cell error fails the test.
Every notebook must show a figure it measured (an image output).  The whole set
runs in every suite (about 1.5 CPU minutes, spread over the test workers); the
training-loop notebook also checks the notebook progress bar and a ``History``
shown inline.  Also here: ``History``'s inline display and the notebook progress bar.

    python -m jupytext --to ipynb notebooks/*.py      # then open them in Jupyter
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.py"))
KERNEL = "physnn-notebook-test"


def _kernel_dir(tmp: Path) -> Path:
    """A Jupyter data directory holding a kernel spec for this very interpreter."""
    spec = tmp / "jupyter" / "kernels" / KERNEL
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "physnn test kernel", "language": "python",
    }))
    return tmp / "jupyter"


def execute(path: Path, tmp: Path, monkeypatch) -> object:
    """Convert ``path`` with jupytext, run it with nbclient in quick mode; the executed notebook."""
    jupytext = pytest.importorskip("jupytext")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    monkeypatch.setenv("JUPYTER_PATH", str(_kernel_dir(tmp)))
    monkeypatch.setenv("PHYSNN_QUICK", "1")
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        monkeypatch.setenv(var, "1")
    nb = jupytext.read(path)
    client = nbclient.NotebookClient(nb, kernel_name=KERNEL, timeout=300, allow_errors=False,
                                     resources={"metadata": {"path": str(tmp)}})
    client.execute()  # raises CellExecutionError on the first failing cell
    return nb


def outputs(nb, mime: str) -> list[str]:
    return [o["data"][mime] for c in nb.cells if c.cell_type == "code"
            for o in c.get("outputs", []) if mime in o.get("data", {})]


def test_every_section_has_a_notebook_of_the_same_shape():
    from physnn.lecture import SECTIONS

    jupytext = pytest.importorskip("jupytext")
    assert len(NOTEBOOKS) == len(SECTIONS)
    for number, path in zip(sorted(SECTIONS), NOTEBOOKS):
        assert path.name.startswith(f"{number:02d}_"), path.name
        nb = jupytext.read(path)
        kinds = [c.cell_type for c in nb.cells]
        assert kinds[0] == "markdown" and nb.cells[0].source.startswith(f"# {number} — "), path.name
        idea = [line for line in nb.cells[0].source.splitlines()[1:] if line.strip()]
        assert 2 <= len(idea) <= 4, f"{path.name}: the idea in 2-4 lines, got {len(idea)}"
        assert "QUICK = " in nb.cells[1].source, f"{path.name}: the second cell sets QUICK"
        titles = [c.source.splitlines()[0] for c in nb.cells if c.cell_type == "markdown"]
        assert "## The code to try" in titles and "## The measured figure" in titles, path.name
        assert kinds.count("code") >= 3, path.name
        # the public API only: no private names of physnn
        code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
        assert not re.search(r"from physnn[\w.]* import .*\b_\w", code), path.name
        assert "physnn" in code


def test_a_notebook_runs_in_a_kernel_and_shows_its_figure_and_progress(tmp_path, monkeypatch):
    nb = execute(ROOT / "notebooks" / "06_training_loop.py", tmp_path, monkeypatch)
    html = outputs(nb, "text/html")
    # fit's progress bar rendered in the notebook, updated in place to its last epoch
    assert any("<progress value='100' max='100'" in h for h in html), html
    # the History displayed inline: its summary table with the loss curve embedded
    shown = [h for h in html if h.startswith("<div><b>History</b>")]
    assert shown and "data:image/png;base64," in shown[0] and "epochs run" in shown[0]
    assert outputs(nb, "image/png"), "the History's loss curve as image/png"
    text = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    assert "Epoch 50: Loss" in text  # the lecture's PrintLogger lines


# every notebook, in quick mode, in the default suite (issue 18: the whole set executed in CI); the
# training-loop notebook is run by the test above
REST = [p for p in NOTEBOOKS if p.stem != "06_training_loop"]


@pytest.mark.parametrize("path", REST, ids=[p.stem for p in REST])
def test_notebook_runs_in_quick_mode(path, tmp_path, monkeypatch):
    nb = execute(path, tmp_path, monkeypatch)
    assert outputs(nb, "image/png"), f"{path.name} shows no measured figure"


# -- what a notebook displays: History inline, the HTML progress bar ------------------------------


def _history():
    from physnn.train import History

    h = History(monitor="val_loss")
    for epoch, (loss, val) in enumerate([(1.0, 1.1), (0.5, 0.7), (0.3, 0.8)]):
        h.append({"epoch": epoch, "loss": loss, "val_loss": val})
    return h


def test_history_shows_a_png_and_a_table_without_importing_viz_at_import():
    import subprocess

    code = ("import sys, physnn.train; from physnn.train import History; "
            "assert not any(m.startswith('physnn.viz') for m in sys.modules), 'viz imported'")
    subprocess.run([sys.executable, "-c", code], check=True)
    h = _history()
    png = h._repr_png_()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    html = h._repr_html_()
    assert "best val_loss" in html and "0.7 at epoch 1" in html and "last val_loss" in html
    import matplotlib.pyplot as plt

    assert not plt.get_fignums(), "showing a History leaves no pyplot figure behind"


def test_an_empty_history_shows_no_image():
    from physnn.train import History

    assert History()._repr_png_() is None
    assert "<img" not in History()._repr_html_()


def test_notebook_progress_is_redrawn_in_place(monkeypatch):
    """The bar is displayed once with a display id, then updated through that handle."""
    display_mod = pytest.importorskip("IPython.display")
    from physnn.train.notebook import NotebookProgress

    calls = []

    class Handle:
        def update(self, obj):
            calls.append(("update", obj._repr_html_()))

    def display(obj, display_id=False):
        calls.append(("display", obj._repr_html_()))
        assert display_id is True
        return Handle()

    monkeypatch.setattr(display_mod, "display", display)
    bar = NotebookProgress("fit", total=3, min_interval=1e9)  # only forced redraws
    bar.start()
    bar.update(1, info="loss 0.5")   # throttled
    bar.update(3, info="loss 0.1")   # the last step always redraws
    bar.stop()
    assert [c[0] for c in calls] == ["display", "update", "update"]
    assert "value='0' max='3'" in calls[0][1] and "value='3' max='3'" in calls[1][1] and "loss 0.1" in calls[1][1]
