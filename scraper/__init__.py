"""Per-recipe steps: fetch → extract → structure → enrich.

Nothing in this package imports Ray: every step is a plain function of its input model, so it can
be tested, profiled and reused without a cluster. Orchestration lives in `ray_import`.
"""

__version__ = "0.1.0"
