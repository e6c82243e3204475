"""Gaoqi (高企培育平台): the high-tech enterprise cultivation platform."""

__version__ = "0.1.0"
