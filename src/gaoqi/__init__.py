"""Gaoqi (高企培育平台): the high-tech enterprise cultivation platform."""

import os

__version__ = "0.1.0"

# Polars' allocator (its own jemalloc) is built to hand freed pages back to the system at once; a re-evaluation
# frees and allocates a slice's frames sixteen times a run, and faulted the pages in again each time: 8-12 s of
# system CPU in the daily run at 4,000,000 firms, 4.2-5.6 s with jemalloc's own default delay of 10 s (max RSS
# 1.54 -> 1.59-1.73 GB; docs/SCALING.md, session 12). Read when Polars loads, so set here, before any import of it;
# an operator's setting wins.
os.environ.setdefault("_RJEM_MALLOC_CONF", "dirty_decay_ms:10000")
