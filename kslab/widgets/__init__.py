"""Widgets: thin, labelled views over kslab's pure functions (one module per notebook topic).

Each widget module imports ipywidgets inside its functions, so importing kslab stays cheap, and
offers a static rendering of the widget's default state for readers without a running kernel.
"""
