"""Evaluation harness for emotion representations in small language models."""

__version__ = "0.1.0"

from harness.protocol import PROTOCOL_VERSION

__all__ = ["PROTOCOL_VERSION", "__version__"]
