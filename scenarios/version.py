"""The tool version written into every output."""

from importlib.metadata import PackageNotFoundError, version

__all__ = ["TOOL_VERSION"]

try:
    TOOL_VERSION = version("warroom")
except PackageNotFoundError:  # running from a source tree that was never installed
    TOOL_VERSION = "0+unknown"
