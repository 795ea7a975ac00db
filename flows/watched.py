"""Run a command until it exits or the process that started us does, however that one ends.

`python -m flows.watched COMMAND...` with a pipe as standard input: when the pipe closes (the
parent exited, was killed, or closed it to stop us) the command gets SIGTERM. Servers started
this way never outlive the `sitrep` command or the test run that started them. Stdlib only, so
it starts in milliseconds.
"""

from __future__ import annotations

import subprocess
import sys
import threading


def watch(command: list[str]) -> int:
    """Run `command`; SIGTERM it when standard input closes; its exit code."""
    child = subprocess.Popen(command, stdin=subprocess.DEVNULL)

    def stop_on_eof() -> None:
        sys.stdin.buffer.read()  # returns when the write end is closed
        child.terminate()

    threading.Thread(target=stop_on_eof, name="parent-watch", daemon=True).start()
    return child.wait()


def watched(command: list[str]) -> list[str]:
    """The command line that runs `command` under this watcher (give it stdin=PIPE)."""
    return [sys.executable, "-m", "flows.watched", *command]


if __name__ == "__main__":
    sys.exit(watch(sys.argv[1:]))
