"""Careless and hostile command lines: each ends with exit 2 and one line naming the flag and what is
allowed, before any data is loaded or any file written."""

import pytest

from ._helpers import TINY, cli, listing, one_line, run

# (arguments, words the one line must hold)
CASES = [
    (["--workers", "-1"], ["--workers -1", "allowed is an integer in [0, 64]"]),
    (["--workers", "100000"], ["--workers 100000", "[0, 64]"]),
    (["--workers", "two"], ["--workers", "invalid int value"]),
    (["--dropout", "1.5"], ["--dropout 1.5", "allowed is a finite number in [0, 1)"]),
    (["--dropout", "-0.1"], ["--dropout", "-0.1"]),
    (["--dropout", "nan"], ["--dropout", "nan"]),
    (["--clip-grad-norm", "nan"], ["--clip-grad-norm nan", "a finite number > 0"]),
    (["--clip-grad-norm", "0"], ["--clip-grad-norm 0.0", "a finite number > 0"]),
    (["--clip-grad-norm", "-1"], ["--clip-grad-norm", "-1"]),
    (["--clip-grad-norm", "inf"], ["--clip-grad-norm", "inf"]),
    (["--batch-size", "0"], ["--batch-size 0", "an integer >= 1"]),
    (["--batch-size", "-5"], ["--batch-size", "-5"]),
        (["--batch-size", "1.5"], ["--batch-size", "invalid int value"]),
    (["--epochs", "0"], ["--epochs 0", "an integer >= 1"]),
    (["--epochs", "-2"], ["--epochs", "-2"]),
    (["--epochs", "x"], ["--epochs", "invalid int value: 'x'"]),
    (["--max-steps", "0"], ["--max-steps 0", "an integer >= 1"]),
    (["--max-steps", "-3"], ["--max-steps", "-3"]),
    (["--val-fraction", "1"], ["--val-fraction 1.0", "[0, 1)"]),
    (["--val-fraction", "-0.5"], ["--val-fraction", "-0.5"]),
    (["--val-fraction", "nan"], ["--val-fraction", "nan"]),
    (["--subset", "0"], ["--subset 0", "an integer >= 1"]),
    (["--seed", "-1"], ["--seed", "-1"]),
    (["--seed", "99999999999999999999999"], ["--seed 99999999999999999999999", "an integer in [0, "]),
    (["--hidden", "0"], ["--hidden", "positive sizes"]),
    (["--hidden", "abc"], ["--hidden", "'abc'"]),
    (["--hidden", "1000000000"], ["--hidden '1000000000'", "sizes up to 65536"]),
    (["--hidden", "60000,60000"], ["--hidden", "at most 200000000 weights between hidden layers"]),
    (["--momentum", "-1"], ["--momentum", "-1"]),
    (["--momentum", "nan"], ["--momentum", "nan"]),
    (["--weight-decay", "inf"], ["--weight-decay", "inf"]),
    (["--early-stopping", "-1"], ["--early-stopping", "-1"]),
    (["--lr", "nan"], ["--lr", "nan"]),
    (["--lr", "-1"], ["--lr -1.0", "a finite number >= 0"]),
    (["--lr=-inf"], ["--lr -inf", "a finite number >= 0 or inf"]),  # +inf runs: test_faults
    (["--lr", "fast"], ["--lr", "invalid float value: 'fast'"]),
    (["--optimizer", "adamz"], ["--optimizer 'adamz'", "allowed is one of adadelta"]),
    (["--scheduler", "Nope"], ["--scheduler 'Nope'", "StepLR"]),
    (["--scheduler-interval", "hour"], ["--scheduler-interval", "invalid choice: 'hour'"]),
    (["--model", "rnn"], ["--model 'rnn'", "allowed is one of mlp"]),
    (["--dataset", "imagenet"], ["--dataset 'imagenet'", "allowed is one of mnist"]),
    (["--opt-arg", "betas"], ["--opt-arg 'betas'", "KEY=VALUE"]),
    (["--sched-arg", "=3"], ["--sched-arg '=3'", "KEY=VALUE"]),
    (["--optimizer", "sgd", "--opt-arg", "foo=1"], ["SGD has no argument foo"]),
    (["--dynamics-every", "0"], ["--dynamics-every"]),
    (["--bogus"], ["unrecognized arguments: --bogus"]),
    (["--config", "/nonexistent/run.toml"], ["/nonexistent/run.toml", "No such file"]),
    (["--config", "/"], ["/", "config file"]),
    (["--resume", "/nonexistent.safetensors"], ["/nonexistent.safetensors"]),
    (["--resume", "/"], ["/", "folder"]),
]


@pytest.mark.parametrize("args,words", CASES, ids=[" ".join(a) for a, _ in CASES])
def test_bad_flag_exits_2_with_one_line_before_writing(tmp_path, args, words):
    out = tmp_path / "r"
    r = cli("train", *TINY, "--out", out, *args)
    one_line(r, 2, *words)
    assert listing(out) == [], listing(out)


def test_max_steps_bounds_the_steps_taken(tmp_path):
    """``--max-steps 1`` takes exactly one step (``0`` is refused above rather than taking one)."""
    import gradstep as gs

    r = cli("train", *TINY, "--max-steps", "1", "--out", tmp_path / "r")
    assert r.code == 0, r.err
    assert gs.load(tmp_path / "r" / "last.safetensors")["trainer"]["global_step"] == 1


@pytest.mark.parametrize("argv,words", [
    (["evaluate", "/nonexistent/best.safetensors"], ["/nonexistent/best.safetensors"]),
    (["evaluate", "/"], ["/", "folder"]),
    (["evaluate"], ["required", "checkpoint"]),
    (["landscape", "--bogus"], ["unrecognized arguments: --bogus"]),
    (["nosuchcommand"], ["invalid choice: 'nosuchcommand'"]),
])
def test_other_commands_refuse_bad_input_in_one_line(argv, words):
    one_line(cli(*argv), 2, *words)


def test_help_lists_the_exit_codes():
    r = run("--help")  # argparse exits after printing the help: in a process of its own
    assert r.code == 0
    text = r.out
    for code, meaning in [("0", "success"), ("1", "failure while running"), ("2", "bad arguments"),
                          ("3", "diverged"), ("130", "SIGINT"), ("143", "SIGTERM")]:
        line = next((ln for ln in text.splitlines() if ln.strip().startswith(code)), "")
        assert meaning in line, f"exit code {code} is not explained in gradstep --help:\n{text}"
