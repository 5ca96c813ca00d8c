"""An engine module whose library is not installed, as RapidOCR's is without its extra."""

from __future__ import annotations

import ablage_test_library_that_is_not_installed  # noqa: F401


class Engine:
    pass
