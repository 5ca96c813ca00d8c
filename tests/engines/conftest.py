import pytest

from tests.engines.surya_fixtures import recognition_server, surya_model_dir

__all__ = ["recognition_server", "surya_model_dir"]


@pytest.fixture
def backend() -> str:
    """The engines are the subject here, not the backends: their HTTP tests run once, embedded."""
    return "embedded"
