"""Plumbing shared by the domains: database, errors, ids, time, logging, metrics, Redis."""

import os

if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    # prometheus-client's multiprocess values call os.getpid() on every update to notice a
    # fork: one system call per sample, several per request. Give them the pid cached once per
    # process (refreshed in a forked child) instead. Set before any metric exists.
    from prometheus_client import values as _values

    _pid = [os.getpid()]

    def _refresh_pid() -> None:
        _pid[0] = os.getpid()

    os.register_at_fork(after_in_child=_refresh_pid)
    _values.ValueClass = _values.MultiProcessValue(lambda: _pid[0])  # type: ignore[no-untyped-call]
