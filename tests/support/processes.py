"""Starting and always stopping child processes (by pid, even when a test fails)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


class Processes:
    """Tracks the processes a test started; ``stop_all`` kills whatever is still running."""

    def __init__(self) -> None:
        self.procs: list[subprocess.Popen] = []

    def start(
        self, args: list[str], env: dict[str, str], log: Path | None = None
    ) -> subprocess.Popen:
        full_env = {**os.environ, **env}
        out = open(log, "ab") if log else subprocess.DEVNULL  # noqa: SIM115
        proc = subprocess.Popen(
            args,
            env=full_env,
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.procs.append(proc)
        return proc

    def python(self, module_args: list[str], env: dict[str, str], log: Path | None = None):
        return self.start([sys.executable, *module_args], env, log)

    def consumer(
        self,
        env: dict[str, str],
        workers: int = 2,
        log: Path | None = None,
        periodic: bool = False,
    ):
        """A standalone ``huey_consumer tasks.huey`` process (periodic tasks off unless
        ``periodic``)."""
        args = ["-m", "huey.bin.huey_consumer", "tasks.huey", "-w", str(workers)]
        args += ["-k", "thread", "-d", "0.05", "-m", "0.2", "-g", "TERM"]
        return self.python(args if periodic else [*args, "-n"], env, log)

    @staticmethod
    def kill(proc: subprocess.Popen, sig: int = signal.SIGKILL) -> None:
        if proc.poll() is None:
            try:
                os.killpg(proc.pid, sig)
            except ProcessLookupError:
                return
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(5)

    def stop_all(self) -> None:
        for proc in self.procs:
            self.kill(proc, signal.SIGKILL)
        self.procs.clear()
