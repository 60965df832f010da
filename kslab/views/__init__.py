"""The ground floor for showing results: plain-text tables (:mod:`kslab.views.tables`) and objects that
show themselves as their text (:mod:`kslab.views.text`).

Every layer may use it; it imports nothing from kslab but :mod:`kslab.errors`. It never computes a
lesson's answer, it only lays one out.
"""
