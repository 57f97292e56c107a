"""The built wheel carries every module and data file the service needs (a non-editable install, e.g. Docker)."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_wheel_contains_all_code_and_data(tmp_path: Path) -> None:
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                    "-w", str(tmp_path), str(ROOT)], check=True, capture_output=True, timeout=300)
    wheel = next(tmp_path.glob("taxrecon-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    wanted = [p for pattern in ("app/**/*.py", "tax_rules/**/*.py", "tax_rules/data/**/*.*",
                                "app/shopify/queries/*.graphql", "app/shopify/schema/*.gz")
              for p in ROOT.glob(pattern) if "__pycache__" not in p.parts]
    missing = sorted(str(p.relative_to(ROOT)) for p in wanted if str(p.relative_to(ROOT)) not in names)
    assert missing == []
    assert len(wanted) > 150
