from __future__ import annotations

import pytest
from ablage.evaluation import cer, word_f1
from ablage.settings import Settings
from pydantic import ValidationError


def test_cer_and_word_f1() -> None:
    assert cer("Grüße aus München", "Grüße  aus\nMünchen") == 0.0
    assert cer("Grusse", "Grüße") == pytest.approx(3 / 5)
    score = word_f1("b a a x", "a a b c")
    assert (score.precision, score.recall) == (0.75, 0.75)
    assert word_f1("", "a").f1 == 0.0


def test_settings_from_environment(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.setenv("ALLOWED_EXTENSIONS", "PDF, png")
    monkeypatch.setenv("LANGUAGES", "de")
    monkeypatch.setenv("MAX_UPLOAD_SIZE", "1024")
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    monkeypatch.setenv("LOG_LEVEL", "debug")
    settings = Settings()
    assert settings.upload.allowed_extensions == ["pdf", "png"]
    assert settings.ocr.languages == ["de"]
    assert settings.upload.max_upload_size == 1024
    assert settings.database_url == f"sqlite:///{tmp_path.resolve() / 'ablage.db'}"
    assert settings.service.log_level.value == "DEBUG"


def test_settings_refuse_nonsense(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAX_UPLOAD_SIZE", "-1")
    with pytest.raises(ValidationError):
        Settings()
    monkeypatch.delenv("MAX_UPLOAD_SIZE")
    monkeypatch.setenv("ALLOWED_EXTENSIONS", " , ")
    with pytest.raises(ValidationError, match="ALLOWED_EXTENSIONS"):
        Settings()


def test_production_parts_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://ablage:secret@db:5432/ablage")
    monkeypatch.setenv("REDIS_URL", "rediss://:token@cache:6379/0")
    monkeypatch.setenv("S3_ENDPOINT_URL", "http://minio:9000")
    monkeypatch.setenv("ENVIRONMENT", "staging")
    settings = Settings()
    assert settings.database_url.startswith("postgresql+psycopg://")
    assert settings.queue.uses_redis and not settings.queue.runs_embedded_workers
    assert settings.storage.backend.value == "s3"
    assert settings.bucket("originals") == "ablage-original-docs-staging"
    assert settings.bucket("thumbnails") == "ablage-thumbnails-staging"
    assert "secret" not in repr(settings) and "token" not in repr(settings)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"REDIS_URL": "http://cache:6379"}, "REDIS_URL must start with"),
        ({"EMBEDDED_WORKERS": "false"}, "EMBEDDED_WORKERS=false needs REDIS_URL"),
        ({"ENVIRONMENT": "prod"}, "needs DATABASE_URL"),
        ({"ENVIRONMENT": "prod", "DATABASE_URL": "postgresql+psycopg://db/a"}, "needs REDIS_URL"),
        (
            {"ENVIRONMENT": "prod", "DATABASE_URL": "postgresql+psycopg://db/a", "REDIS_URL": "redis://c"},
            "needs S3 storage",
        ),
    ],
)
def test_inconsistent_settings_are_refused(monkeypatch: pytest.MonkeyPatch, env: dict[str, str], message: str) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError, match=message):
        Settings()


def test_models_check_reports_each_engine(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    from ablage.cli.main import app
    from typer.testing import CliRunner

    ok = CliRunner().invoke(app, ["models", "check"])
    assert ok.exit_code == 0, ok.output
    assert "ok       tesseract" in ok.output and "languages: de, en" in ok.output
    # Without the German model, Tesseract cannot serve the default languages, and says where it looked.
    monkeypatch.setenv("TESSDATA_PREFIX", str(tmp_path))
    missing = CliRunner().invoke(app, ["models", "check"])
    assert f"missing  tesseract, enabled: no Tesseract model for de, en in {tmp_path}" in missing.output


def test_empty_auth_variables_are_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("METRICS_TOKEN", "")
    monkeypatch.setenv("OIDC_ISSUER", "")
    monkeypatch.setenv("OIDC_AUDIENCE", " ")
    auth = Settings().auth
    assert auth.metrics_token is None and not auth.uses_oidc and auth.oidc_audience is None


@pytest.mark.parametrize(
    ("host", "loopback"), [("127.0.0.1", True), ("::1", True), ("[::1]", True), ("localhost", True), ("0.0.0.0", False)]
)
def test_bind_host_loopback(host: str, loopback: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BIND_HOST", host)
    assert Settings().auth.binds_loopback is loopback
