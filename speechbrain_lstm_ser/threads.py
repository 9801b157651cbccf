"""How many threads PyTorch uses, chosen so that a busy machine does not collapse.

PyTorch runs its operations on as many threads as the machine has cores,
and the OpenMP runtime it ships with (GNU ``libgomp``) keeps waiting threads
spinning for a few milliseconds. When another process is busy on one of the
cores, every parallel operation then waits for a thread that is not running
while its partner burns the other core: on 2 cores with one busy process,
``sb-lstm-ser predict`` took 155 s for 569 short files instead of 15 s.

:func:`configure_threads` (called by ``sb-lstm-ser``, the inference
interfaces' ``from_hparams`` and the recipes) avoids that:

1. **The user's choice wins**: an explicit ``threads`` argument
   (``--threads N``, ``num_threads: N`` in a recipe's YAML), else a thread
   count set earlier in the process (an explicit request, or
   ``torch.set_num_threads`` with a count that differs from PyTorch's
   default), else ``OMP_NUM_THREADS`` in the environment.
2. **Otherwise ("auto")**: the cores this process may use
   (``os.sched_getaffinity``, capped by a cgroup CPU quota) minus the cores
   other processes keep busy right now (measured over 0.1 s from
   ``/proc/stat``; the 1-minute load average where there is no
   ``/proc/stat``), minus the cores left to the data loader's workers when
   they augment (``augment_in_loader``, one per worker), rounded to the
   nearest integer, never below 1.
3. **Waiting threads sleep** (``OMP_WAIT_POLICY=PASSIVE``) unless the user
   set ``OMP_WAIT_POLICY`` or ``GOMP_SPINCOUNT``. The OpenMP runtime reads
   this once, when PyTorch is imported: it takes effect only if
   :func:`configure_threads` runs before ``import torch``, as it does in
   ``sb-lstm-ser``. In a process that already imported PyTorch, only the
   thread count changes.

``GOMP_SPINCOUNT=300000`` with ``OMP_WAIT_POLICY`` unset is libgomp's own
default written out: it restores the old spinning behaviour (used by
``python -m bench.threads`` for the "old default" row).

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

import logging
import math
import os
import sys
import time
from collections.abc import Mapping
from typing import NamedTuple

__all__ = [
    "AUTO",
    "ThreadChoice",
    "available_cores",
    "busy_cores",
    "choose_num_threads",
    "configure_threads",
    "parse_threads",
]

logger = logging.getLogger(__name__)

#: The value that asks for the automatic choice.
AUTO = "auto"

#: Environment variables through which the user sets the OpenMP wait policy.
WAIT_POLICY_ENV = ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT")


class ThreadChoice(NamedTuple):
    """A thread count and where it came from.

    Arguments
    ---------
    num_threads : int
        Intra-op threads for PyTorch.
    source : str
        ``"argument"``, ``"OMP_NUM_THREADS"``, ``"torch.set_num_threads"``
        or ``"auto"``.
    detail : str
        Why, in words (for logs and the benchmark).
    """

    num_threads: int
    source: str
    detail: str


#: What this module last applied: a later "auto" keeps an explicit request
#: and may revise an automatic choice; a different count was set by someone
#: else (``torch.set_num_threads``) and is kept.
_applied: ThreadChoice | None = None


def parse_threads(value: str | int) -> int | str:
    """A thread request as given on a command line or in a YAML.

    Arguments
    ---------
    value : str or int
        ``"auto"``, or a positive integer (possibly as text).

    Returns
    -------
    int or str
        The integer, or :data:`AUTO`.

    Raises
    ------
    ValueError
        For anything else, naming the value.

    Example
    -------
    >>> parse_threads("2"), parse_threads(" Auto ")
    (2, 'auto')
    >>> parse_threads("0")
    Traceback (most recent call last):
    ...
    ValueError: threads must be a positive integer or 'auto', got '0'
    """
    if isinstance(value, str) and value.strip().lower() == AUTO:
        return AUTO
    try:
        number = int(value.strip() if isinstance(value, str) else value)
    except (TypeError, ValueError):
        number = 0
    if number < 1 or isinstance(value, (bool, float)):
        raise ValueError(f"threads must be a positive integer or 'auto', got {value!r}")
    return number


def available_cores(cpu_max: str | os.PathLike = "/sys/fs/cgroup/cpu.max") -> int:
    """The cores this process may run on.

    The CPU affinity mask (``os.sched_getaffinity``, e.g. set by ``taskset``,
    a container's cpuset or a job scheduler), capped by a cgroup v2 CPU
    quota (``cpu_max``, rounded up); ``os.cpu_count()`` where there is no
    affinity mask (macOS, Windows).

    Arguments
    ---------
    cpu_max : str or os.PathLike
        The cgroup v2 quota file (``<quota> <period>`` or ``max <period>``).

    Returns
    -------
    int
        At least 1.

    Example
    -------
    >>> available_cores() >= 1
    True
    """
    if hasattr(os, "sched_getaffinity"):
        cores = len(os.sched_getaffinity(0))
    else:
        cores = os.cpu_count() or 1
    try:
        with open(cpu_max, encoding="ascii") as handle:
            quota, period = handle.read().split()[:2]
        if quota != "max":
            cores = min(cores, math.ceil(int(quota) / int(period)))
    except (OSError, ValueError):
        pass
    return max(1, cores)


def _cpu_times(cpus: set[int] | None) -> dict[str, tuple[int, int]]:
    """Per-CPU (busy, total) clock ticks from ``/proc/stat``."""
    times = {}
    with open("/proc/stat", encoding="ascii") as handle:
        for line in handle:
            name, *fields = line.split()
            if not name.startswith("cpu") or name == "cpu":
                continue
            if cpus is not None and int(name[3:]) not in cpus:
                continue
            ticks = [int(x) for x in fields[:8]]  # user ... steal (no guest)
            idle = ticks[3] + ticks[4]  # idle + iowait
            times[name] = (sum(ticks) - idle, sum(ticks))
    return times


def busy_cores(interval: float = 0.1) -> float:
    """How many of this process's cores other processes keep busy now.

    Samples ``/proc/stat`` over ``interval`` seconds (the CPUs of the
    affinity mask only) and subtracts this process's own CPU time over the
    same interval. Under a cgroup CPU quota smaller than the mask (a
    container on a large host), the busy share of the mask is applied to
    the quota. Without ``/proc/stat``: the 1-minute load average, or 0.

    Arguments
    ---------
    interval : float
        Seconds to sample (the call sleeps that long).

    Returns
    -------
    float
        Busy cores, e.g. 1.0 when one other process spins.

    Example
    -------
    >>> busy_cores(0.01) >= 0
    True
    """
    cpus = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else None
    try:
        before, own_before = _cpu_times(cpus), _own_cpu_seconds()
        time.sleep(interval)
        after, own_after = _cpu_times(cpus), _own_cpu_seconds()
    except (OSError, ValueError):
        try:
            return max(0.0, os.getloadavg()[0])
        except (OSError, AttributeError):
            return 0.0
    busy, sampled = 0.0, 0
    for name, (busy_after, total_after) in after.items():
        elapsed = total_after - before.get(name, (0, total_after))[1]
        if elapsed > 0:
            busy += (busy_after - before[name][0]) / elapsed
            sampled += 1
    if not sampled:
        return 0.0
    busy = max(0.0, busy - (own_after - own_before) / interval)
    return busy * min(1.0, available_cores() / sampled)


def _own_cpu_seconds() -> float:
    times = os.times()
    return times.user + times.system


def _default_threads() -> int:
    """PyTorch's own thread count without ``OMP_NUM_THREADS``: one per core."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def choose_num_threads(
    requested: int | str = AUTO,
    environ: Mapping[str, str] | None = None,
    cores: int | None = None,
    busy: float | None = None,
    current: int | None = None,
    reserved: int = 0,
) -> ThreadChoice:
    """The intra-op thread count to use (the rules are in the module's docstring).

    Arguments
    ---------
    requested : int or str
        A positive integer, or ``"auto"`` for the automatic choice.
    environ : mapping, optional
        The environment (default: ``os.environ``).
    cores : int, optional
        Cores available (default: :func:`available_cores`).
    busy : float, optional
        Cores busy with other processes (default: :func:`busy_cores`,
        which sleeps 0.1 s; measured only when needed).
    current : int, optional
        ``torch.get_num_threads()`` when PyTorch is already imported, to
        keep a count set earlier (:func:`configure_threads` passes it; None:
        PyTorch not imported).
    reserved : int
        Cores the automatic choice leaves to this process's data-loader
        workers (busy ones: they augment).

    Returns
    -------
    ThreadChoice

    Example
    -------
    >>> choose_num_threads(3).num_threads
    3
    >>> choose_num_threads(environ={"OMP_NUM_THREADS": "1"}).source
    'OMP_NUM_THREADS'
    >>> choose_num_threads(environ={}, cores=2, busy=1.0)
    ThreadChoice(num_threads=1, source='auto', detail='2 cores, 1.0 busy with other processes')
    >>> choose_num_threads(environ={}, cores=4, busy=0.3).num_threads
    4
    >>> choose_num_threads(environ={}, cores=2, busy=0.0, reserved=2)
    ThreadChoice(num_threads=1, source='auto', detail='2 cores, 0.0 busy with other processes, 2 for loader workers')
    """  # noqa: E501
    requested = parse_threads(requested)
    if requested != AUTO:
        return ThreadChoice(requested, "argument", "requested")
    environ = os.environ if environ is None else environ
    env_threads = None
    if environ.get("OMP_NUM_THREADS", "").strip():
        try:  # OpenMP takes the first of a comma-separated list
            env_threads = parse_threads(environ["OMP_NUM_THREADS"].split(",")[0])
        except ValueError:
            pass  # not a count OpenMP understands either: choose
        env_threads = None if env_threads == AUTO else env_threads
    cores = available_cores() if cores is None else cores
    if current is not None and _applied and current == _applied.num_threads:
        if _applied.source != AUTO:  # an earlier request or setting stands
            return ThreadChoice(current, _applied.source, "set earlier")
    elif current is not None and current != (env_threads or _default_threads()):
        return ThreadChoice(current, "torch.set_num_threads", "set earlier")
    if env_threads is not None:
        return ThreadChoice(env_threads, "OMP_NUM_THREADS", "set in the environment")
    busy = busy_cores() if busy is None else busy
    threads = max(1, min(cores, math.floor(cores - busy - reserved + 0.5)))
    detail = f"{cores} cores, {busy:.1f} busy with other processes"
    if reserved:
        detail += f", {reserved} for loader workers"
    return ThreadChoice(threads, AUTO, detail)


def configure_threads(requested: int | str = AUTO, reserved: int = 0) -> ThreadChoice:
    """Chooses the thread count and applies it to PyTorch (and its OpenMP).

    Call it first thing, before PyTorch is imported, to also make waiting
    threads sleep instead of spin (``OMP_WAIT_POLICY=PASSIVE``, unless the
    user set ``OMP_WAIT_POLICY`` or ``GOMP_SPINCOUNT``); later calls change
    the thread count only.

    Arguments
    ---------
    requested : int or str
        A positive integer, or ``"auto"`` (see :func:`choose_num_threads`).
    reserved : int
        Cores ``auto`` leaves to busy data-loader workers.

    Returns
    -------
    ThreadChoice
        What was applied.

    Example
    -------
    >>> import torch
    >>> before = torch.get_num_threads()
    >>> configure_threads(1).num_threads, torch.get_num_threads()
    (1, 1)
    >>> _ = configure_threads(before)
    """
    global _applied
    if "torch" not in sys.modules and not any(k in os.environ for k in WAIT_POLICY_ENV):
        os.environ["OMP_WAIT_POLICY"] = "PASSIVE"  # read when libgomp loads
    loaded = sys.modules.get("torch")
    current = None if loaded is None else loaded.get_num_threads()
    choice = choose_num_threads(requested, current=current, reserved=reserved)
    import torch

    if torch.get_num_threads() != choice.num_threads:
        torch.set_num_threads(choice.num_threads)
    _applied = choice
    logger.info(
        "%d thread(s) (%s: %s)", choice.num_threads, choice.source, choice.detail
    )
    return choice
