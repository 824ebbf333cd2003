"""CPU seconds used by process trees, read from /proc (Linux), for the benches' load report."""
import os

_TICKS = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> tuple[int, float] | None:
    """(parent pid, user+system seconds of the process and its reaped children), or None if gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    # after the command: state ppid ... utime(12) stime(13) cutime(14) cstime(15), counted from 0 here
    return int(fields[1]), sum(int(v) for v in fields[11:15]) / _TICKS


def tree_cpu_seconds(root: int) -> float:
    """CPU seconds of `root` and every living descendant (children that ended are in their parent's
    cutime/cstime once reaped)."""
    stats = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            found = _stat(int(name))
            if found is not None:
                stats[int(name)] = found
    children = {}
    for pid, (ppid, _cpu) in stats.items():
        children.setdefault(ppid, []).append(pid)
    total, todo = 0.0, [root]
    while todo:
        pid = todo.pop()
        if pid in stats:
            total += stats[pid][1]
            todo += children.get(pid, [])
    return total


def self_cpu_seconds() -> float:
    times = os.times()
    return times.user + times.system


def postmaster_pid(data_directory: str) -> int | None:
    """The PostgreSQL server's pid, from its postmaster.pid (readable when run as root or as postgres)."""
    try:
        with open(os.path.join(data_directory, "postmaster.pid")) as f:
            return int(f.readline())
    except (OSError, ValueError):
        return None


def machine_cpu_seconds() -> tuple[float, float]:
    """(busy, idle) CPU seconds of the whole machine since boot, all CPUs summed (/proc/stat)."""
    with open("/proc/stat") as f:
        values = [int(v) for v in f.readline().split()[1:]]
    idle = values[3] + (values[4] if len(values) > 4 else 0)  # idle + iowait
    busy = sum(values[:8]) - idle  # user nice system idle iowait irq softirq steal
    return busy / _TICKS, idle / _TICKS
