"""notebooks/quickstart.ipynb runs top to bottom (executed with nbclient; stored without outputs)."""

from __future__ import annotations

from pathlib import Path

import pytest

NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "quickstart.ipynb"


def test_notebook_is_stored_without_outputs():
    import nbformat

    nb = nbformat.read(NOTEBOOK, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None


@pytest.mark.slow
def test_quickstart_notebook_runs(ray_session, monkeypatch, tmp_path):
    import nbformat
    from nbclient import NotebookClient

    # The kernel joins the session's Ray (ensure_ray reads RAY_ADDRESS) instead of starting and
    # stopping one of its own: the point here is the notebook's cells, not a local Ray's start.
    monkeypatch.setenv("RAY_ADDRESS", ray_session.get_runtime_context().gcs_address)
    nb = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(nb, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    outputs = [o for cell in nb.cells if cell.cell_type == "code" for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    text = "\n".join(str(o.get("data", {}).get("text/plain", "")) for o in outputs)
    assert "'imported': 52" in text  # every sample page, the five without structured data via the LLM
    assert sum("image/png" in o.get("data", {}) for o in outputs) == 2  # the two plots
