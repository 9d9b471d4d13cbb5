"""Evaluation harness for emotion representations in small language models."""

__version__ = "0.1.0"
# Bump when a change alters what is extracted or measured, so cached results are not reused.
PROTOCOL_VERSION = 1
