"""A failing or killed process ends the whole job within a bounded time, naming the rank."""

import json
import os
import signal
import time

from . import launch

BOUND = 60  # seconds for the job to end once a rank has failed; it takes about 1 s here


def test_an_exception_on_one_rank_aborts_the_job_and_names_it():
    t0 = time.monotonic()
    r = launch.run(2, "fail.py", "raise", timeout=BOUND)
    assert r.returncode != 0
    assert "gradstep: rank 1 of 2" in r.stderr and "failed, ending all 2 processes" in r.stderr
    assert "RuntimeError: injected failure on purpose" in r.stderr
    assert time.monotonic() - t0 < BOUND


def _start_and_kill(sig):
    """Start a long run, kill rank 1 with ``sig`` once it trains; (returncode, output, pids, seconds)."""
    p = launch.popen(2, "fail.py", "wait")
    try:
        pids = {d["rank"]: d["pid"] for d in json.loads(p.stdout.readline())}
        assert p.stdout.readline().strip() == "training"
        t0 = time.monotonic()
        os.kill(pids[1], sig)
        out, err = p.communicate(timeout=BOUND)
        return p.returncode, out + err, pids, time.monotonic() - t0
    finally:
        if p.poll() is None:  # pragma: no cover - only when the job failed to end
            p.kill()
            p.communicate()


def test_killing_a_rank_with_sigterm_ends_the_job_naming_the_rank():
    code, output, pids, seconds = _start_and_kill(signal.SIGTERM)
    assert code != 0 and seconds < BOUND
    assert f"rank 1 of 2 (pid {pids[1]} on" in output and "received SIGTERM" in output


def test_killing_a_rank_with_sigkill_ends_the_job():
    # SIGKILL leaves the process no chance to speak: the launcher reports its pid, which the list
    # of processes printed at the start (the CLI's first line) maps to rank 1.
    code, output, pids, seconds = _start_and_kill(signal.SIGKILL)
    assert code != 0 and seconds < BOUND
    assert f"PID {pids[1]}" in output  # the launcher's "BAD TERMINATION" report
