"""Choosing the answer threshold on a question set (``python -m qa.training.threshold``)."""

from __future__ import annotations

import json
import shutil

import pytest

from qa.answer.confidence import DEFAULT_PATH, Calibrator
from qa.training import threshold


def test_the_best_threshold_is_the_lowest_of_the_best_f1():
    rows = {0.1: {"f1": 50.0}, 0.2: {"f1": 70.0}, 0.3: {"f1": 70.0}, 0.5: {"f1": 40.0}}
    assert threshold.best_threshold(rows) == 0.2


def test_a_sweep_writes_the_best_threshold_and_keeps_the_fit(corpus, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("QA_DOCS_DIR", str(corpus))
    monkeypatch.setenv("QA_INDEX_DIR", str(tmp_path / "index"))
    questions = tmp_path / "q.jsonl"
    questions.write_text("\n".join(json.dumps(d) for d in [
        {"id": "1", "question": "Who founded the Corner Bakery?", "answers": ["Maria Lopez"], "split": "dev"},
        {"id": "2", "question": "On which day does the chess club meet?", "answers": ["Tuesdays"], "split": "dev"},
        {"id": "3", "question": "How tall is the library's clock tower?", "answers": [], "answerable": False,
         "split": "dev"},
        {"id": "4", "question": "Where did Tomas Ruiz train?", "answers": ["Lyon"], "split": "test"},
    ]) + "\n")
    cal_path = tmp_path / "calibration.json"
    shutil.copy(DEFAULT_PATH, cal_path)
    before = Calibrator.load(cal_path)

    assert threshold.main([str(questions), "--split", "dev", "--thresholds", "0.01,0.99",
                           "--calibration", str(cal_path), "--write"]) == 0
    out = capsys.readouterr().out
    assert "| 0.01 |" in out and "| 0.99 |" in out
    after = Calibrator.load(cal_path)
    # at 0.99 nearly everything is refused, at 0.01 both answerable questions are answered
    assert after.threshold == 0.01
    assert after.models == before.models and "chosen on q.jsonl split dev" in after.fitted_on


@pytest.mark.parametrize("grid", ["0.1,abc", "0,0.5", "1.5"])
def test_a_bad_grid_is_refused_with_a_message(grid, tmp_path, capsys):
    questions = tmp_path / "q.jsonl"
    questions.write_text("")
    with pytest.raises(SystemExit) as exc:
        threshold.main([str(questions), "--thresholds", grid])
    assert exc.value.code == 2 and "--thresholds" in capsys.readouterr().err
