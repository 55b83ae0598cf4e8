"""`python -m ray_import` is `ray-import`."""

from .cli import cli

cli()
