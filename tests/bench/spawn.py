"""Start the tools of one bench run at once, wait for all, print their figures as JSON.

Run as its own small process by runner.run_processes: Linux keeps a process's RSS high-water
mark across exec, so a tool forked straight from the bench (the households, the role's code,
matplotlib) would report the bench's size as part of its own peak.

    python spawn.py ARGVS_JSON LOG_PATH [START_AT]

START_AT: a CLOCK_MONOTONIC reading to start the tools at (a timer's elapse), not at once.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time


def main(argvs: list[list[str]], log_path: str, start_at: float | None = None) -> dict[str, object]:
    with open(log_path, "w", encoding="utf-8") as log:
        if start_at is not None:
            time.sleep(max(0.0, start_at - time.monotonic()))
        started = time.monotonic()
        processes = [subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=log) for argv in argvs]
        codes: list[int] = []
        peak = 0
        for process in processes:
            _, status, usage = os.wait4(process.pid, 0)
            codes.append(os.waitstatus_to_exitcode(status))
            peak += usage.ru_maxrss
        wall = time.monotonic() - started
    return {"started": started, "codes": codes, "peak": peak, "wall": wall}


if __name__ == "__main__":
    print(json.dumps(main(json.loads(sys.argv[1]), sys.argv[2], float(sys.argv[3]) if len(sys.argv) > 3 else None)))
