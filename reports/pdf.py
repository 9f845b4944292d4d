"""PDF through Chromium's own print-to-PDF (headless), when Chromium is installed; a clear
error naming what to install when it is not."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

__all__ = ["html_to_pdf", "PdfUnavailable", "chromium"]

_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
          "--disable-component-update", "--disable-sync", "--no-first-run", "--no-pdf-header-footer"]


class PdfUnavailable(RuntimeError):
    """No way to print a PDF on this machine."""


def chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


def html_to_pdf(html: str, timeout: float = 60.0) -> bytes:
    browser = chromium()
    if browser is None:
        raise PdfUnavailable("PDF needs Chromium (Debian: apt-get install -y chromium); "
                             "the HTML report prints to PDF from any browser too")
    with tempfile.TemporaryDirectory(prefix="warroom-pdf-") as tmp:
        source, target = Path(tmp) / "report.html", Path(tmp) / "report.pdf"
        source.write_text(html, encoding="utf-8")
        result = subprocess.run([browser, *_FLAGS, f"--user-data-dir={tmp}/profile", f"--print-to-pdf={target}",
                                 source.as_uri()], capture_output=True, text=True, timeout=timeout)
        if not target.exists() or target.stat().st_size == 0:
            raise PdfUnavailable(f"Chromium could not print the report: {result.stderr.strip()[-300:]}")
        return target.read_bytes()
