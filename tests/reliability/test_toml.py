"""TOML configuration files written carelessly or with malice: exit 2, one line naming the file or
the key, nothing written."""

import pytest

from ._helpers import TINY, cli, listing, one_line

CASES = [
    ('quiet = "no"\n', ["--quiet", "true or false", "'no'"]),
    ('epochs = "one"\n', ["--epochs", "an integer", "'one'"]),
    ("epochs = 1.5\n", ["--epochs", "an integer", "1.5"]),
    ("batch_size = true\n", ["--batch-size", "an integer", "True"]),
    ('hidden = "abc"\n', ["--hidden", "'abc'"]),
    ("hidden = [0]\n", ["--hidden", "positive"]),
    ("hidden = [1000000000]\n", ["--hidden", "65536"]),
    ('hidden = [{a = 1}]\n', ["--hidden"]),
    ("dropout = 2.0\n", ["--dropout", "2.0"]),
    ('lr = "fast"\n', ["--lr 'fast'", "a finite number"]),
    ("lr = nan\n", ["--lr", "nan"]),
    ("clip_grad_norm = nan\n", ["--clip-grad-norm", "nan"]),
    ("momentum = inf\n", ["--momentum", "inf"]),
    ("workers = -1\n", ["--workers", "-1"]),
    ('seed = "x"\n', ["--seed", "'x'"]),
    ("val_fraction = 1\n", ["--val-fraction 1", "[0, 1)"]),
    ('opt_args = "x"\n', ["--opt-args 'x'", "a table"]),
    ("sched_args = [1]\n", ["--sched-args [1]", "a table"]),
    ("out = 123\n", ["--out", "123"]),
    ("resume = 5\n", ["--resume", "5"]),
    ("dataset = 5\n", ["--dataset 5", "a data set name"]),
    ('scheduler_interval = "hour"\n', ["--scheduler-interval", "'hour'"]),
    ("max_steps = 0\n", ["--max-steps", "0"]),
    ("early_stopping = -2\n", ["--early-stopping", "-2"]),
    ("dynamics = 1\n", ["--dynamics", "true or false"]),
    ("learning_rate = 0.1\n", ["unknown option(s) learning_rate"]),
    ("epochs = \n", ["not valid TOML"]),
    ("[section\n", ["not valid TOML"]),
    ("a = " + "[" * 100_000 + "]" * 100_000 + "\n", ["nests its values too deeply"]),
]


@pytest.mark.parametrize("text,words", CASES, ids=[c[0].strip()[:40] for c in CASES])
def test_bad_toml_value_exits_2_in_one_line(tmp_path, text, words):
    toml = tmp_path / "run.toml"
    toml.write_text(text)
    out = tmp_path / "r"
    one_line(cli("train", *TINY, "--config", toml, "--out", out), 2, *words)  # (a TOML error names the file)
    assert listing(out) == []


@pytest.mark.parametrize("blob,words", [
    (b"epochs = 1\n\xff\xfe lr = 0.1\n", ["not UTF-8", "run.toml"]),
    (b"\x00\x01\x02\x03", ["run.toml"]),
])
def test_toml_that_is_not_text_exits_2(tmp_path, blob, words):
    toml = tmp_path / "run.toml"
    toml.write_bytes(blob)
    one_line(cli("train", *TINY, "--config", toml, "--out", tmp_path / "r"), 2, *words)
    assert listing(tmp_path / "r") == []


def test_a_flag_overrides_a_bad_toml_value_only_after_the_file_is_checked(tmp_path):
    """The file is validated as a whole: a wrong type in it is reported even if a flag sets the key."""
    toml = tmp_path / "run.toml"
    toml.write_text('quiet = "no"\n')
    one_line(cli("train", *TINY, "--config", toml, "--quiet", "--out", tmp_path / "r"), 2, "--quiet")
