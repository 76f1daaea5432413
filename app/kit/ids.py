"""Time-ordered identifiers (UUID version 7, RFC 9562).

Version 7 ids sort by creation time, so primary-key indexes stay append-only and a message id
doubles as its position in a conversation. Within one process the ids are strictly increasing
(the 12-bit rand_a field carries a counter when two ids share a millisecond).
"""

from __future__ import annotations

import os
import threading
import time
import uuid

_lock = threading.Lock()
_pool = b""
_pool_at = 0


def _random10() -> bytes:
    """Ten bytes from the OS's CSPRNG, read 4 KiB at a time (one system call per ~400 ids)."""
    global _pool, _pool_at
    with _lock:
        if _pool_at + 10 > len(_pool):
            _pool, _pool_at = os.urandom(4096), 0
        chunk = _pool[_pool_at : _pool_at + 10]
        _pool_at += 10
        return chunk


def _reset_pool() -> None:
    global _pool, _pool_at
    _pool, _pool_at = b"", 0  # a forked child must not reuse its parent's random bytes


os.register_at_fork(after_in_child=_reset_pool)
_last_ms = 0
_counter = 0


def uuid7() -> uuid.UUID:
    global _last_ms, _counter
    rand = int.from_bytes(_random10(), "big")  # 16 bits for the counter, 64 below
    with _lock:
        ms = time.time_ns() // 1_000_000
        if ms > _last_ms:
            _last_ms = ms
            _counter = (rand >> 64) & 0x07FF  # leave room to count up
        else:
            _counter += 1
            if _counter > 0x0FFF:  # counter exhausted: borrow the next millisecond
                _last_ms += 1
                _counter = 0
        ms = _last_ms
        counter = _counter
    rand_b = rand & 0x3FFFFFFFFFFFFFFF
    value = (ms & 0xFFFFFFFFFFFF) << 80 | 0x7 << 76 | counter << 64 | 0b10 << 62 | rand_b
    return uuid.UUID(int=value)
