"""Activation: handing an audience (a list of user ids) to a campaign tool.

:mod:`audience.activation.files` writes the plain file export (CSV + JSON + manifest) that every
destination and the Explorer's download share.
"""
