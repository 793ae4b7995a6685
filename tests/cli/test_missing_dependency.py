"""A missing optional engine (Pythia, FastJet, ASE, ...) is one clear line naming the extra to install."""

import pickle

import pytest

import physnn.cli.app as cli


@pytest.mark.parametrize("module, extra", [("fastjet", "hep"), ("ase", "materials"), ("skimage", "cells"),
                                           ("pythia8", "hep"), ("stardist", "cells-data")])
def test_message_names_the_extra(module, extra):
    msg = cli.missing_dependency_message(module)
    assert f"pip install 'physnn[{extra}]'" in msg and "scripts/demo.sh" in msg


def test_unknown_module_names_itself():
    assert "pip install not_a_physnn_dependency " in cli.missing_dependency_message("not_a_physnn_dependency")


@pytest.mark.parametrize("through_a_worker", [False, True])
def test_the_command_line_says_it_in_one_line(monkeypatch, capsys, tmp_path, through_a_worker):
    """Raised in the command (or in a lecture worker process, whose exception arrives pickled): exit 2."""
    exc = ModuleNotFoundError("No module named 'fastjet'", name="fastjet")
    if through_a_worker:
        exc = pickle.loads(pickle.dumps(exc))

    def fail(*args, **kwargs):
        raise exc

    monkeypatch.setattr("physnn.lecture.report.run_lecture", fail)
    rc = cli.main(["lecture", "--quick", "--sections", "12", "--out", str(tmp_path / "lec")])
    err = capsys.readouterr().err
    assert rc == 2
    assert err.startswith("physnn: error: this needs the package 'fastjet'") and "physnn[hep]" in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert not (tmp_path / "lec").exists()
