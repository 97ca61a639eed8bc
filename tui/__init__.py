"""Terminal UI of the microservice security lab, built on Textual.

`run_app(path)` opens it; `LabApp` is the application class for tests and embedding.
"""

from tui.app import LabApp, run_app

__all__ = ["LabApp", "run_app"]
