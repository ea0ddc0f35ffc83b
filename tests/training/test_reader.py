"""Smoke test of the training command: a few steps on a tiny sample, resume, export."""

import gzip
import json

from qa.training import reader as train
from qa.squad import load_squad


def tiny_squad(path):
    paragraphs = []
    for i in range(6):
        ctx = (f"Station {i} was opened in {1900 + i} by engineer Ada Number{i}. "
               f"It serves {100 * (i + 1)} passengers a day and has {i + 2} platforms.")
        qas = [
            {"id": f"s-{i}-0", "question": f"Who opened station {i}?",
             "answers": [{"text": f"Ada Number{i}", "answer_start": ctx.index("Ada")}]},
            {"id": f"s-{i}-1", "question": f"How many platforms does station {i} have?",
             "answers": [{"text": f"{i + 2}", "answer_start": ctx.index(f"{i + 2} platforms")}]},
        ]
        paragraphs.append({"context": ctx, "qas": qas})
    data = {"version": "1.1", "data": [{"title": "A", "paragraphs": paragraphs[:3]},
                                        {"title": "B", "paragraphs": paragraphs[3:]}]}
    with gzip.open(path, "wt") as fh:
        json.dump(data, fh)
    return path


def test_squad_loader_reads_gzip(tmp_path):
    arts = load_squad(tiny_squad(tmp_path / "t.json.gz"))
    assert [a.title for a in arts] == ["A", "B"]
    q = arts[0].paragraphs[0].questions[0]
    ctx = arts[0].paragraphs[0].context
    assert ctx[q.answers[0].start:].startswith(q.answers[0].text)


def test_train_resume_and_export(tmp_path):
    data = tiny_squad(tmp_path / "t.json.gz")
    args = ["--data", str(data), "--out", str(tmp_path / "run"), "--batch-size", "4",
            "--epochs", "0.5", "--holdout-every", "2", "--holdout-questions", "4", "--threads", "1",
            "--export", str(tmp_path / "model")]
    assert train.main(args) == 0
    ckpt = tmp_path / "run" / "checkpoint.pt"
    assert ckpt.exists()
    history = json.loads((tmp_path / "run" / "history.json").read_text())
    assert history[-1]["step"] >= 1 and 0 <= history[-1]["f1"] <= 100
    # a second run with the same command resumes and has nothing left to do
    assert train.main(args) == 0
    assert json.loads((tmp_path / "run" / "history.json").read_text())[-1]["step"] == history[-1]["step"]

    from transformers import AutoModelForQuestionAnswering

    model = AutoModelForQuestionAnswering.from_pretrained(tmp_path / "model")
    assert model.config.model_type == "bert"
    assert (tmp_path / "model" / "training.json").exists()


def test_lr_schedule_warms_up_then_decays():
    cfg = train.TrainConfig(data="x", lr=1.0, warmup=0.1)
    lrs = [train.lr_at(cfg, s, 100) for s in range(100)]
    assert lrs[0] < lrs[9] == 1.0 and lrs[50] < 1.0 and lrs[-1] < 0.05
