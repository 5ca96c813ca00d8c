"""Surya without its real weights: a tiny random-weight detection model saved where ``SURYA_MODEL_DIR`` points,
and a loopback OpenAI-compatible server that answers Surya's full-page prompt the way its model does — HTML
blocks with ``data-bbox`` (0..1000) and ``data-label`` — from a real OCR of the image it was sent (Tesseract)."""

from __future__ import annotations

import base64
import io
import json
import threading
from collections.abc import Iterator
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from ablage.engines.surya import DETECTION_DIR
from PIL import Image

MODEL_NAME = "datalab-to/surya-ocr-2"


def build_tiny_detector(model_dir: Path) -> Path:
    torch = pytest.importorskip("torch", reason="Surya needs torch (the surya extra)")
    from surya.detection.model.config import EfficientViTConfig
    from surya.detection.model.encoderdecoder import EfficientViTForSemanticSegmentation
    from surya.detection.processor import SegformerImageProcessor

    torch.manual_seed(0)
    config = EfficientViTConfig(
        widths=(8, 16, 32, 64, 128),
        head_dim=8,
        depths=(1, 1, 1, 1, 1),
        hidden_sizes=(8, 16, 32, 64),
        decoder_layer_hidden_size=16,
        decoder_hidden_size=32,
    )
    folder = model_dir / DETECTION_DIR
    EfficientViTForSemanticSegmentation(config).save_pretrained(folder)
    SegformerImageProcessor(size={"height": 256, "width": 256}).save_pretrained(folder)
    return model_dir


def _full_page_html(image: Image.Image) -> str:
    import tesserocr
    from ablage.tessdata import tessdata_dir
    from tesserocr import RIL

    width, height = image.size
    blocks: list[str] = []
    with tesserocr.PyTessBaseAPI(path=str(tessdata_dir()) + "/", lang="deu+eng") as api:
        api.SetImage(image)
        api.Recognize()
        iterator = api.GetIterator()
        while True:
            text = iterator.GetUTF8Text(RIL.BLOCK) if not iterator.Empty(RIL.BLOCK) else ""
            box = iterator.BoundingBox(RIL.BLOCK)
            if text and text.strip() and box:
                x0, y0, x1, y1 = box
                scaled = [round(x0 * 1000 / width), round(y0 * 1000 / height)]
                scaled += [round(x1 * 1000 / width), round(y1 * 1000 / height)]
                lines = "".join(f"<p>{escape(line)}</p>" for line in text.splitlines() if line.strip())
                blocks.append(f'<div data-bbox="{" ".join(map(str, scaled))}" data-label="Text">{lines}</div>')
            if not iterator.Next(RIL.BLOCK):
                break
    return "".join(blocks)


class _Handler(BaseHTTPRequestHandler):
    requests: list[dict[str, Any]]

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _json(self, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        if self.path == "/health":
            self._json({"status": "ok"})
        elif self.path == "/v1/models":
            self._json({"object": "list", "data": [{"id": MODEL_NAME, "object": "model"}]})
        else:
            self.send_error(404)

    def do_POST(self) -> None:
        if self.path != "/v1/chat/completions":
            self.send_error(404)
            return
        request = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.requests.append(request)
        content = request["messages"][0]["content"]
        url = next(part["image_url"]["url"] for part in content if part["type"] == "image_url")
        image = Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1])))
        html = _full_page_html(image.convert("RGB"))
        self._json(
            {
                "id": "cmpl-1",
                "object": "chat.completion",
                "model": MODEL_NAME,
                "choices": [
                    {
                        "index": 0,
                        "finish_reason": "stop",
                        "message": {"role": "assistant", "content": html},
                        "logprobs": {"content": [{"token": "x", "logprob": -0.05, "bytes": None, "top_logprobs": []}]},
                    }
                ],
                "usage": {"prompt_tokens": 1, "completion_tokens": len(html) // 4, "total_tokens": 1},
            }
        )


class RecognitionServer:
    def __init__(self, port: int = 0) -> None:
        handler = type("Handler", (_Handler,), {"requests": []})
        self.requests: list[dict[str, Any]] = handler.requests
        self._server = ThreadingHTTPServer(("127.0.0.1", port), handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/v1"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> RecognitionServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture(scope="session")
def surya_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_detector(tmp_path_factory.mktemp("surya-models"))


@pytest.fixture(scope="session")
def recognition_server() -> Iterator[RecognitionServer]:
    with RecognitionServer() as server:
        yield server
