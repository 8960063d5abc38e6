"""The documentation's examples run as written: the README's Python block and
examples/quickstart.py, each against a server started as the README says
(system clock, default provider delay) on a free port."""
from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from harness import Server

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
KEY_ID = "LTAI5tExampleKey0000000"
KEY_SECRET = "ExampleSecret000000000000000000"


def readme_python() -> str:
    text = open(os.path.join(ROOT, "README.md"), encoding="utf-8").read()
    blocks = re.findall(r"```python\n(.*?)```", text, re.S)
    assert len(blocks) == 1, "the README has one Python example"
    return blocks[0]


@pytest.fixture
def readme_server(tmp_path):
    s = Server(str(tmp_path / "data"), extra_args=("--clock", "system"), key_id=KEY_ID, key_secret=KEY_SECRET,
               log_path=str(tmp_path / "server.log"))
    s.start()
    yield s
    s.stop()


def run(code: str, endpoint: str, tmp_path) -> str:
    path = tmp_path / "example.py"
    path.write_text(code.replace("127.0.0.1:8080", endpoint), encoding="utf-8")
    env = dict(os.environ, PHYSCONN_ENDPOINT=endpoint, PHYSCONN_ACCESS_KEY_ID=KEY_ID,
               PHYSCONN_ACCESS_KEY_SECRET=KEY_SECRET)
    out = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, timeout=60, env=env)
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_readme_example(readme_server, tmp_path):
    out = run(readme_python(), readme_server.endpoint, tmp_path)
    assert re.search(r"^order \d{15}$", out, re.M), out
    assert re.search(r"^pc-\w+ Enabled$", out, re.M), out


def test_readme_pytest_example(tmp_path):
    """The README's pytest test, run by pytest with physconn's plugin (from python/ of this
    checkout, as the wheel installs it) and nothing else."""
    text = open(os.path.join(ROOT, "README.md"), encoding="utf-8").read()
    blocks = re.findall(r"```py\n(.*?)```", text, re.S)
    assert len(blocks) == 1, "the README has one pytest example"
    (tmp_path / "test_readme.py").write_text(blocks[0], encoding="utf-8")
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "python"))
    out = subprocess.run([sys.executable, "-m", "pytest", "-p", "physconn.pytest_plugin", "-p", "no:cacheprovider",
                          "-q", "test_readme.py"], capture_output=True, text=True, timeout=120, env=env,
                         cwd=str(tmp_path))
    assert out.returncode == 0, out.stdout + out.stderr
    assert "1 passed" in out.stdout, out.stdout


def test_quickstart_example(readme_server, tmp_path):
    code = open(os.path.join(ROOT, "examples", "quickstart.py"), encoding="utf-8").read()
    out = run(code, readme_server.endpoint, tmp_path)
    assert "Enabled" in out, out
