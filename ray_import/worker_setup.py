"""What every Ray worker process of a run does once, before its first task (issue 15).

Ray runs `setup` in each worker it starts for the run (`worker_process_setup_hook`, wired in
runtime.py), never in the driver: a program that calls `run_import` keeps its own settings.
Stdlib only: every worker pays this module's imports at start.
"""

from __future__ import annotations

import gc

#: Python's cyclic GC thresholds in the workers. With the defaults (700, 10, 10) the collector
#: runs hundreds of times per recipe page (a soup is ~10^5 objects) and does ~23 full collections
#: per 224 corpus pages; at these, 3. Measured on the corpus, extract + enrich in one process:
#: 17.3 / 16.6 / 18.9 / 19.1 CPU s at the defaults, 15.1 / 14.6 / 16.6 / 17.2 at these (~12 %
#: less), for ~35 MB more peak RSS per worker (a soup's parent/child cycles wait a little longer
#: to be freed). `gc.freeze()` after the imports made no difference, so it is not done.
GC_THRESHOLDS = (10_000, 20, 20)


def setup() -> None:
    """Raise the GC thresholds of this worker process."""
    gc.set_threshold(*GC_THRESHOLDS)
