"""Bot processes under measurement: start, wait until they poll, read CPU time and memory, stop.

Both bots run as separate processes (the fake API and the simulated users live in the bench
process), so what is measured is the bot's own work. Memory and CPU come from ``/proc`` (psutil
is not a dependency).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from dataclasses import dataclass
from pathlib import Path

from bench.fakeapi import BenchApi

__all__ = ["ROOT", "BotProcess", "Memory", "python", "read_memory"]

ROOT = Path(__file__).resolve().parent.parent
_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Memory:
    """Resident memory of a process, in MiB: now (VmRSS) and its peak (VmHWM)."""

    rss_mb: float
    peak_mb: float


def read_memory(pid: int) -> Memory:
    """Read VmRSS and VmHWM of ``pid`` from ``/proc/<pid>/status``."""
    values: dict[str, float] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, rest = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            values[name] = int(rest.split()[0]) / 1024  # kB -> MiB
    return Memory(values["VmRSS"], values["VmHWM"])


class BotProcess:
    """One bot in a subprocess, pointed at a `BenchApi`.

    Args:
        name: for messages ("baseline", "sdgbot").
        argv: the command, run with the repository as working directory.
        env: extra environment variables (token, API URL, database URL).
        log: where its stdout and stderr go.
    """

    def __init__(self, name: str, argv: list[str], env: dict[str, str], log: Path) -> None:
        self.name = name
        self.argv = argv
        self.env = env
        self.log = log
        self.proc: asyncio.subprocess.Process | None = None

    @property
    def pid(self) -> int:
        """The process id (the bot must be started)."""
        if self.proc is None:
            raise RuntimeError(f"{self.name} is not running")
        return self.proc.pid

    async def start(self, api: BenchApi, timeout: float = 60.0) -> None:
        """Start the process and wait until it long-polls ``api``.

        Raises:
            RuntimeError: the process exited or did not poll in time (its log is quoted).
        """
        env = {**os.environ, "PYTHONPATH": str(ROOT), "PTB_TIMEDELTA": "true", **self.env}
        polls = api.polls()
        with self.log.open("ab") as out:
            self.proc = await asyncio.create_subprocess_exec(
                *self.argv, cwd=ROOT, env=env, stdout=out, stderr=out
            )
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while api.polls() == polls:
            if self.proc.returncode is not None or loop.time() > deadline:
                await self.stop()
                raise RuntimeError(f"{self.name} did not start:\n{self.tail()}")
            await asyncio.sleep(0.05)

    def cpu_seconds(self) -> float:
        """User plus system CPU time the process has used so far."""
        fields = Path(f"/proc/{self.pid}/stat").read_text().rpartition(")")[2].split()
        return (int(fields[11]) + int(fields[12])) / _TICKS  # utime, stime

    def memory(self) -> Memory:
        """The process's resident memory now and at its peak."""
        return read_memory(self.pid)

    async def stop(self, api: BenchApi | None = None, timeout: float = 15.0) -> None:
        """SIGTERM (a clean shutdown, like systemd), SIGKILL if it hangs.

        With ``api``, its long polls are released at once: a stopping bot waits for the
        ``getUpdates`` in flight, which would otherwise hold it for the whole poll timeout.
        The fake then answers every later poll at once, so use it for nothing else after.
        """
        proc = self.proc
        if proc is None or proc.returncode is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(signal.SIGTERM)
        if api is not None:
            await asyncio.sleep(0.1)  # the bot sees the signal before its poll returns empty
            api.updates.close()
        try:
            await asyncio.wait_for(proc.wait(), timeout)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            await proc.wait()

    def tail(self, lines: int = 20) -> str:
        """The end of the process's log, for error messages."""
        if not self.log.exists():
            return "(no output)"
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


def python() -> str:
    """The interpreter running the bench (the project's virtualenv)."""
    return sys.executable
