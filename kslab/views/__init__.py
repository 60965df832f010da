"""The ground floor for showing results: tables for a terminal and a notebook (:mod:`kslab.views.tables`),
objects that show themselves as their text (:mod:`kslab.views.text`) and the course's display colours,
named for what they mean (:mod:`kslab.views.styles`).

Every layer may use it; it imports nothing from kslab but :mod:`kslab.errors`. It never computes a
lesson's answer, it only lays one out.
"""
