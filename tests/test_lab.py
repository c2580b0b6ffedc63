"""`make lab` gives a JupyterLab whose kernel imports retainkit.

Starts a real JupyterLab server on a free loopback port, opens a kernel through its REST API and
runs code over the kernel's websocket channel (the same path the browser uses).
"""

import json
import re
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import pytest

websocket = pytest.importorskip("websocket")  # websocket-client, a jupyter_server dependency

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "retainkit-test"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _request(url, method="GET", body=None):
    req = urllib.request.Request(
        url,
        method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Authorization": f"token {TOKEN}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req, timeout=10) as resp:
        return resp.status, resp.read().decode()


@pytest.fixture
def lab_server(tmp_path):
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "jupyter", "lab", "--no-browser", f"--port={port}",
         "--ServerApp.ip=127.0.0.1", f"--IdentityProvider.token={TOKEN}",
         f"--ServerApp.root_dir={ROOT / 'notebooks'}", "--ServerApp.port_retries=0", "--allow-root"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        env={**__import__("os").environ, "JUPYTER_RUNTIME_DIR": str(tmp_path)},
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            _request(f"{base}/api/status")
            break
        except OSError:
            if proc.poll() is not None:
                pytest.fail("jupyter lab exited during start-up")
            time.sleep(0.5)
    else:
        proc.kill()
        pytest.fail("jupyter lab did not answer within 60 s")
    yield base, port
    proc.terminate()
    proc.wait(timeout=20)


def _execute(port, kernel_id, code, timeout=60):
    ws = websocket.create_connection(
        f"ws://127.0.0.1:{port}/api/kernels/{kernel_id}/channels?token={TOKEN}", timeout=timeout
    )
    msg_id = uuid.uuid4().hex
    ws.send(json.dumps({
        "header": {"msg_id": msg_id, "username": "test", "session": uuid.uuid4().hex,
                   "msg_type": "execute_request", "version": "5.3"},
        "parent_header": {}, "metadata": {}, "channel": "shell",
        "content": {"code": code, "silent": False, "store_history": False,
                    "user_expressions": {}, "allow_stdin": False},
    }))
    out, status = [], None
    deadline = time.monotonic() + timeout
    while status is None and time.monotonic() < deadline:
        msg = json.loads(ws.recv())
        if msg.get("parent_header", {}).get("msg_id") != msg_id:
            continue
        if msg["msg_type"] == "stream":
            out.append(msg["content"]["text"])
        elif msg["msg_type"] == "error":
            out.append("\n".join(msg["content"]["traceback"]))
        elif msg["msg_type"] == "execute_reply":
            status = msg["content"]["status"]
    ws.close()
    return status, "".join(out)


def test_lab_kernel_imports_retainkit(lab_server):
    base, port = lab_server
    status, page = _request(f"{base}/lab")
    assert status == 200 and "JupyterLab" in page
    status, body = _request(f"{base}/api/kernels", method="POST", body={"name": "python3"})
    kernel_id = json.loads(body)["id"]
    status, out = _execute(port, kernel_id, "import retainkit, sys\nprint(retainkit.__version__)")
    assert status == "ok", out
    import retainkit

    assert out.strip() == retainkit.__version__


def test_make_lab_opens_notebook_00():
    makefile = (ROOT / "Makefile").read_text()
    target = re.search(r"^lab:.*\n\t(.+)$", makefile, flags=re.MULTILINE).group(1)
    notebook = re.search(r"notebooks/\S+\.ipynb", target).group()
    assert "jupyter lab" in target and (ROOT / notebook).exists()
