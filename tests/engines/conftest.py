from tests.engines.surya_fixtures import recognition_server, surya_model_dir

__all__ = ["recognition_server", "surya_model_dir"]
